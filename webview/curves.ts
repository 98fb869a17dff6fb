// The charts' curves: x axes (steps, epochs, seconds, the wall clock), log-safe values, the robust y range, the
// points beyond it, and the table of columns sharing one x axis that uPlot draws.
/** A point of a curve; null is a gap. */
export type Value = number | null;

/** Values for a log axis: what is not positive and finite becomes a gap (null) instead of breaking the scale. */
export function logSafe(values: readonly Value[]): Value[] {
  return values.map((v) => (v !== null && v > 0 && Number.isFinite(v) ? v : null));
}

/** The x of the next step point: the run's global step, or one past the last when steps do not increase. */
export function nextX(lastX: number | undefined, step: number): number {
  if (lastX === undefined) return Number.isFinite(step) ? step : 1;
  return Number.isFinite(step) && step > lastX ? step : lastX + 1;
}

/** The step axis of a run's curve (see nextX). */
export function stepXs(steps: readonly { step: number }[]): number[] {
  const xs: number[] = [];
  for (const s of steps) xs.push(nextX(xs.at(-1), s.step));
  return xs;
}

/** What the loss chart's x axis counts: steps, epochs (fractional within an epoch), seconds since the run
 *  started, or the wall clock (seconds since 1970, drawn as dates). */
export type XAxis = "step" | "epoch" | "time" | "wall";

/** `xs` made strictly increasing, as uPlot needs: a value not above the one before becomes that one plus `bump`. */
export function increasing(xs: readonly number[], bump: number): number[] {
  const out: number[] = [];
  for (const x of xs) {
    const last = out.at(-1);
    out.push(last === undefined ? (Number.isFinite(x) ? x : 0) : Number.isFinite(x) && x > last ? x : last + bump);
  }
  return out;
}

/** Each step's epoch as a fraction: the k-th of an epoch's n steps is at epoch − 1 + k/n, so epoch e ends at e. The last
 *  epoch, still running, is spread over as many steps as the epoch before had (or its own, when more). */
export function epochXs(steps: readonly { epoch: number }[]): number[] {
  const counts = new Map<number, number>();
  for (const s of steps) counts.set(s.epoch, (counts.get(s.epoch) ?? 0) + 1);
  const epochs = [...counts.keys()];
  const last = epochs.at(-1);
  if (last !== undefined && epochs.length > 1) counts.set(last, Math.max(counts.get(last)!, counts.get(epochs.at(-2)!)!));
  const seen = new Map<number, number>();
  const xs = steps.map((s) => {
    const k = (seen.get(s.epoch) ?? 0) + 1;
    seen.set(s.epoch, k);
    return s.epoch - 1 + k / counts.get(s.epoch)!;
  });
  return increasing(xs, 1e-9);
}

/** The x of each step on `axis`; `startedAt` (run.json's ISO time) places relative times on the wall clock. */
export function stepAxis(steps: readonly { epoch: number; step: number; time: number }[], axis: XAxis, startedAt = ""): number[] {
  if (axis === "step") return stepXs(steps);
  if (axis === "epoch") return epochXs(steps);
  const start = axis === "wall" ? (Date.parse(startedAt) || 0) / 1000 : 0;
  return increasing(
    steps.map((s) => start + s.time),
    1e-4,
  );
}

/** The `lo` and `hi` quantiles of the finite values (linear interpolation between order statistics), or null when there
 *  are none: the outlier-robust range of a chart's y axis. */
export function quantileRange(values: Iterable<Value>, lo = 0.01, hi = 0.99): [number, number] | null {
  const sorted: number[] = [];
  for (const v of values) if (v !== null && Number.isFinite(v)) sorted.push(v);
  if (!sorted.length) return null;
  sorted.sort((a, b) => a - b);
  const at = (q: number) => {
    const i = q * (sorted.length - 1);
    const j = Math.floor(i);
    return j + 1 < sorted.length ? sorted[j] + (sorted[j + 1] - sorted[j]) * (i - j) : sorted[j];
  };
  return [at(lo), at(hi)];
}

/** Where the values fall outside [min, max]: the indexes above and below, so that a chart marks them at its edges
 *  instead of dropping them silently. */
export function clippedIndexes(values: readonly Value[], min: number, max: number, from = 0, to = values.length): { above: number[]; below: number[] } {
  const above: number[] = [];
  const below: number[] = [];
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) continue;
    if (v > max) above.push(i);
    else if (v < min) below.push(i);
  }
  return { above, below };
}

/**
 * Columns sharing one sorted x axis, in the layout uPlot draws ([x, ...columns]), for overlaying curves
 * whose x values differ. Appending past the end (the live case) is O(1); a point inside the range lands on
 * its row, or inserts one.
 */
export class CurveTable {
  readonly x: number[] = [];
  readonly columns: Value[][];

  constructor(columnCount: number) {
    this.columns = Array.from({ length: columnCount }, () => []);
  }

  /** Sets column `c` at `x`; returns the row and whether it was appended at the end. */
  set(c: number, x: number, y: Value): { row: number; appended: boolean } {
    const n = this.x.length;
    if (n === 0 || x > this.x[n - 1]) {
      this.x.push(x);
      for (const col of this.columns) col.push(null);
      this.columns[c][n] = y;
      return { row: n, appended: true };
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.x[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (this.x[lo] !== x) {
      this.x.splice(lo, 0, x);
      for (const col of this.columns) col.splice(lo, 0, null);
    }
    this.columns[c][lo] = y;
    return { row: lo, appended: false };
  }

  get data(): [number[], ...Value[][]] {
    return [this.x, ...this.columns];
  }
}
