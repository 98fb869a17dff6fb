// The explorer panel beside a model file: one WebviewPanel per file, restored after a window reload.
//
//   const explorers = new ExplorerPanels(context.extensionUri, (m) => output.warn(m));   // once, on activation
//   explorers.onDidCreate((panel) => panel.onMessage((m) => handle(panel.file, m)));    // created or restored
//   const panel = explorers.show(document.uri.fsPath);
//   panel.postTrace(trace, { stale: false, trusted: vscode.workspace.isTrusted });
//
// The rooms that post to panels (training sessions, runs, commands) are handed the one ExplorerPanels. Each panel
// remembers the last trace, run (with the events posted since), comparison and backend, and re-sends them whenever
// its page (re)loads, so the host posts each thing once.
import * as vscode from "vscode";
import * as path from "node:path";
import { explorerChannel, type FromExplorer, type RunDetail, type RunEvent, type ToExplorer, type Trace } from "../common/protocol";
import { uiText } from "./ui-text";
import { HostChannel, webviewHtml, webviewOptions } from "./webview-html";

/** Past this many live events, the replay keeps none: the host should answer `ready` with a fresh postRun. */
const MAX_REPLAYED_EVENTS = 500_000;

/** The explorer panels open, one per model file: created by show(), or restored by VS Code after a reload. */
export class ExplorerPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ExplorerPanel>();
  private readonly created = new vscode.EventEmitter<ExplorerPanel>();
  private readonly serializer: vscode.Disposable;
  /** Every panel, whether show() created it or VS Code restored it after a reload: subscribe to onMessage here. */
  readonly onDidCreate = this.created.event;

  /** Remembers where the webview's files are and restores the panels of a reload (construct it on activation). */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void = console.warn,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(ExplorerPanel.viewType, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        const file = (state as { file?: unknown } | undefined)?.file;
        if (typeof file !== "string" || !file || this.panels.has(file)) {
          panel.dispose(); // nothing to restore it from, or a duplicate
          return;
        }
        this.adopt(panel, file);
      },
    });
  }

  /** Opens the panel of `file` beside the editor, or reveals the one already open. */
  show(file: string, options: { preserveFocus?: boolean } = {}): ExplorerPanel {
    const preserveFocus = options.preserveFocus ?? true;
    const open = this.panels.get(file);
    if (open) {
      open.reveal(preserveFocus);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      ExplorerPanel.viewType,
      title(file),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      webviewOptions(this.extensionUri),
    );
    return this.adopt(panel, file);
  }

  /** The open panel of `file`, if any. */
  get(file: string): ExplorerPanel | undefined {
    return this.panels.get(file);
  }

  all(): ExplorerPanel[] {
    return [...this.panels.values()];
  }

  dispose(): void {
    // The panels stay: VS Code restores the ones open when the window reloads.
    this.serializer.dispose();
    this.created.dispose();
  }

  private adopt(webviewPanel: vscode.WebviewPanel, file: string): ExplorerPanel {
    const panel = new ExplorerPanel(webviewPanel, file, this.extensionUri, this.log);
    this.panels.set(file, panel);
    panel.onDidDispose(() => this.panels.get(file) === panel && this.panels.delete(file));
    this.created.fire(panel);
    return panel;
  }
}

export class ExplorerPanel implements vscode.Disposable {
  static readonly viewType = "unroll.explorer";

  /** Messages from the page that passed `explorerChannel.isFrom` (`ready` included: the panel has already replayed). */
  readonly onMessage: vscode.Event<FromExplorer>;
  readonly onDidDispose: vscode.Event<void>;

  private readonly messages = new vscode.EventEmitter<FromExplorer>();
  private readonly disposed = new vscode.EventEmitter<void>();
  private readonly channel: HostChannel<ToExplorer, FromExplorer>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private alive = true;
  // What the page shows, to replay when it loads again.
  private trace: ToExplorer | undefined;
  private run: ToExplorer | undefined;
  private events: ToExplorer[] = [];
  private compare: ToExplorer | undefined;
  private backend: ToExplorer | undefined;
  /** A tab to show, once: on the next replay when the page is (re)loading. */
  private tab: ToExplorer | undefined;

  /** Made by ExplorerPanels only (show, or a restore after a reload). */
  constructor(
    private readonly panel: vscode.WebviewPanel,
    readonly file: string,
    extensionUri: vscode.Uri,
    private readonly log: (message: string) => void,
  ) {
    this.onMessage = this.messages.event;
    this.onDidDispose = this.disposed.event;
    panel.title = title(file);
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = webviewHtml(panel.webview, extensionUri, { script: "explorer", title: title(file), vendorStyles: ["uPlot.min.css"], data: { file } });
    this.channel = new HostChannel(panel.webview, explorerChannel, { deliver: (m) => this.messages.fire(m), replay: () => this.replay(), log });
    this.subscriptions.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The file's shapes; `stale` when they come from the last save rather than the text on screen. */
  postTrace(trace: Trace | null, options: { stale: boolean; trusted: boolean }): void {
    this.send((this.trace = { type: "trace", trace, ...options }));
  }

  /** The run to show (replaces the one before); live events for it follow through postEvent. */
  postRun(detail: RunDetail): void {
    this.events = [];
    this.send((this.run = { type: "run", detail }));
  }

  /** Live events of the run shown, in one message (a `start` event of a new run also makes it the run shown). */
  postEvents(runId: string, events: RunEvent[]): void {
    for (const event of events) this.keep(runId, event);
    this.send({ type: "events", runId, events });
  }

  /** Keeps a live event to replay when the page loads again. */
  private keep(runId: string, event: RunEvent): void {
    if (event.type === "start") {
      this.run = undefined;
      this.events = [];
    }
    if (event.type === "log") return;
    // Only the latest snapshot and dynamics are drawn: older ones need not be replayed.
    if (event.type === "snapshot" || event.type === "dynamics") this.events = this.events.filter((m) => m.type !== "event" || m.event.type !== event.type);
    this.events.push({ type: "event", runId, event });
    if (this.events.length > MAX_REPLAYED_EVENTS) {
      this.log(`Unroll: the explorer of ${this.file} stopped keeping live events to replay; post the run again on 'ready'.`);
      this.events = [];
    }
  }

  /** Earlier runs of the same file to overlay on the loss chart (an empty list clears them). */
  postCompare(runs: RunDetail[]): void {
    this.send((this.compare = { type: "compare", runs }));
  }

  /** Brings a section of the explorer into view (the Training tab's gradient norms, from the NaN stop's message). */
  postReveal(section: "gradients"): void {
    this.reveal(false);
    this.send({ type: "showSection", section });
  }

  /** The backend the next run will use, and why others were skipped. */
  postBackend(summary: string): void {
    this.send((this.backend = { type: "backend", summary }));
  }

  /** Shows one of the tabs (the walkthrough's buttons open the Dynamics tab). */
  showTab(tab: "shapes" | "training" | "parameters" | "dynamics"): void {
    this.send((this.tab = { type: "tab", tab }));
  }

  get visible(): boolean {
    return this.panel.visible;
  }

  reveal(preserveFocus = true): void {
    this.panel.reveal(undefined, preserveFocus);
  }

  dispose(): void {
    if (!this.alive) return;
    this.alive = false;
    this.panel.dispose();
    this.disposed.fire();
    for (const d of [...this.subscriptions, this.messages, this.disposed]) d.dispose();
  }

  /** Sends a message the panel asked for (it is not replayed after a reload). */
  post(message: ToExplorer): void {
    this.send(message);
  }

  private send(message: ToExplorer): void {
    if (this.alive) this.channel.post(message);
  }

  private replay(): void {
    for (const m of [this.backend, this.trace, this.run, ...this.events, this.compare, this.tab]) if (m) this.send(m);
    this.tab = undefined;
  }
}

const title = (file: string) => vscode.l10n.t("Unroll: {0}", uiText(path.basename(file)));
