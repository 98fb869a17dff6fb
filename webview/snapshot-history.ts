// The parameter snapshots the Parameters tab has seen of one run, for its slider and its "changes since": distinct
// snapshots by step, in step order, the first one (the earliest weights seen) always kept. A snapshot is compared
// with the one before it in step order, never with itself (a run posted again brings its latest snapshot again).
// Pure logic, tested under Node.

export interface SnapshotLike {
  step: number;
  epoch: number;
}

/** How many snapshots the slider steps through (each is up to 2 MB of statistics and pictures). */
export const MAX_SNAPSHOTS_KEPT = 40;

export class SnapshotHistory<S extends SnapshotLike> {
  private list: S[] = [];

  constructor(private readonly max = MAX_SNAPSHOTS_KEPT) {}

  get snapshots(): readonly S[] {
    return this.list;
  }

  clear(): void {
    this.list = [];
  }

  /**
   * Adds a snapshot where its step goes; one of a step already held replaces it (the same snapshot read again).
   * Past `max`, the second oldest goes: the first stays, so the change since the start can still be shown.
   * Returns its index, or -1 for a snapshot whose step is not a finite number.
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
      this.list.splice(1, 1);
      at = at > 1 ? at - 1 : at;
    }
    return at;
  }

  /** The snapshot the one at `index` is compared with: the one before it (an earlier step), or null for the first. */
  before(index: number): S | null {
    return index > 0 && index < this.list.length ? this.list[index - 1] : null;
  }
}
