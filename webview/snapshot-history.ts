// The parameter snapshots of one run the Parameters tab steps through on its slider: those seen live and those stored
// on disk (read back when the slider reaches them), distinct by step, in step order. A snapshot is compared with the
// one before it in step order (the first with nothing: it is the earliest weights), never with itself (a run posted
// again brings its latest snapshot again). At most `max` are held; the first always stays. Pure logic, tested under Node.

export interface SnapshotLike {
  step: number;
  epoch: number;
}

/** How many snapshots the slider steps through (each is up to 2 MB of statistics and pictures). */
export const MAX_SNAPSHOTS_KEPT = 40;

export class SnapshotHistory<S extends SnapshotLike> {
  private list: S[] = [];
  private stored: number[] = [];

  constructor(private readonly max = MAX_SNAPSHOTS_KEPT) {}

  get snapshots(): readonly S[] {
    return this.list;
  }

  clear(): void {
    this.list = [];
    this.stored = [];
  }

  /** The steps of the run's snapshots on disk (RunDetail.snapshotSteps): whole, not negative, each once. */
  setStored(steps: readonly number[]): void {
    this.stored = [...new Set(steps.filter((s) => Number.isSafeInteger(s) && s >= 0))].sort((a, b) => a - b);
  }

  /** Every step the slider reaches: those stored and those held, in order, each once. */
  steps(): number[] {
    return [...new Set([...this.stored, ...this.list.map((s) => s.step)])].sort((a, b) => a - b);
  }

  /** The snapshot held for `step`, if any. */
  at(step: number): S | undefined {
    return this.list.find((s) => s.step === step);
  }

  /** The step `step` is compared with: the one before it on the slider, or null for the first. */
  stepBefore(step: number): number | null {
    const steps = this.steps();
    const i = steps.indexOf(step);
    return i > 0 ? steps[i - 1] : null;
  }

  /** What must be read back from disk to show `step` with its changes: it and the step before it, unless held. */
  missing(step: number): number[] {
    const before = this.stepBefore(step);
    return [step, ...(before === null ? [] : [before])].filter((s) => !this.at(s));
  }

  /**
   * Adds a snapshot where its step goes; one of a step already held replaces it (the same snapshot read again).
   * Past `max`, the one farthest from it goes, never the first (so the change since the start can still be shown), the
   * latest, nor the one before it (what it is compared with). Returns its index, or -1 for a snapshot whose
   * step is not a finite number.
   */
  add(snapshot: S): number {
    if (!Number.isFinite(snapshot.step)) return -1;
    const same = this.list.findIndex((s) => s.step === snapshot.step);
    if (same >= 0) {
      this.list[same] = snapshot;
      return same;
    }
    let at = this.list.findIndex((s) => s.step > snapshot.step);
    if (at < 0) at = this.list.length;
    this.list.splice(at, 0, snapshot);
    if (this.list.length > Math.max(2, this.max)) {
      const kept = new Set([0, this.list.length - 1, at, at - 1]); // the first, the latest, it and the one it is compared with
      const distance = (i: number) => Math.abs(this.list[i].step - snapshot.step);
      let far = -1;
      for (let i = 1; i < this.list.length - 1; i++) if (!kept.has(i) && (far < 0 || distance(i) > distance(far))) far = i;
      if (far < 0) far = at === 1 ? 2 : 1; // a cap of 2: something kept must go
      this.list.splice(far, 1);
      at = at > far ? at - 1 : at;
    }
    return at;
  }

  /** The snapshot the one at `index` is compared with: the one before it (an earlier step), or null for the first. */
  before(index: number): S | null {
    return index > 0 && index < this.list.length ? this.list[index - 1] : null;
  }
}
