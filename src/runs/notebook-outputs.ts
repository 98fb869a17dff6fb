// A cell's outputs in an editor whose output calls take time (VS Code's appendOutput and replaceOutputItems are
// asynchronous): each output has a key (a stream's name, a display's id); the first showing of a key appends an
// output, later ones replace its items in place (no flicker: the output is never removed and added again). One
// call runs at a time, in the order shown (so outputs are appended in the order they first came); what is shown
// while a call runs waits, and only the latest content of a key is drawn. So a live chart redrawn faster than the editor takes it is throttled by the
// editor's own answers, not by a clock.

export interface OutputSink<Content, Handle> {
  append(content: Content): PromiseLike<Handle>;
  replace(handle: Handle, content: Content): PromiseLike<unknown>;
}

export class LatestOutputs<Content, Handle> {
  private readonly waiting = new Map<string, Content>();
  private readonly handles = new Map<string, Handle>();
  private drawing: Promise<void> | undefined;

  constructor(private readonly sink: OutputSink<Content, Handle>) {}

  /** Shows `content` as the output `key` (appended the first time, replaced after). */
  show(key: string, content: Content): void {
    this.waiting.set(key, content);
    this.drawing ??= this.drain();
  }

  /** Resolves when everything shown so far is drawn. */
  async flush(): Promise<void> {
    while (this.drawing) await this.drawing;
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.first(); next; next = this.first()) {
        const [key, content] = next;
        this.waiting.delete(key);
        const handle = this.handles.get(key);
        if (handle === undefined) this.handles.set(key, await this.sink.append(content));
        else await this.sink.replace(handle, content);
      }
    } catch {
      this.waiting.clear(); // the editor refused (the cell's execution ended): nothing more can be drawn there
    } finally {
      this.drawing = undefined;
    }
  }

  private first(): [string, Content] | undefined {
    return this.waiting.entries().next().value;
  }
}
