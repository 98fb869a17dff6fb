// What a chart draws of a long series: per pixel column of the x range in view, the rows holding each series' lowest
// and highest value, so that 1,000,000 points draw as about 2 × width without losing a spike. The raw data stays with
// the caller (CSV, smoothing); only the drawing is thinned. Pure logic, tested under Node.
import type { Value } from "./curves";

export type Columns = [number[], ...Value[][]];

export interface DownsampleOptions {
  /** The x range in view (default: all of x). */
  from?: number;
  to?: number;
  /** Pixel columns of the plotting area. */
  width: number;
  /** x on a log axis: columns are even in log x, and rows with x ≤ 0 (which cannot be drawn) are left out. */
  logX?: boolean;
  /** Per series: on a log axis, so only positive values count as its extremes. */
  logY?: readonly boolean[];
}

/** Past this many rows in view per pixel column, downsampling pays; below it, every row is drawn. */
export const DOWNSAMPLE_FROM = 4;

/** The first row with x ≥ v (`strict`: x > v), x sorted ascending. */
function bound(x: readonly number[], v: number, strict = false): number {
  let lo = 0;
  let hi = x.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x[mid] < v || (strict && x[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const lowerBound = (x: readonly number[], v: number) => bound(x, v);
/** The first row past the last with x ≤ v. */
const upperBound = (x: readonly number[], v: number) => bound(x, v, true);

/**
 * The rows of one series holding its lowest and highest value over any range of rows, in O(log n) per range: a
 * segment tree of argmin and argmax built once per data (O(n)), so that each zoom or pan step costs about
 * 2 × width × log n instead of a pass over every row in view.
 */
class Extrema {
  private readonly size: number;
  readonly lo: Int32Array;
  readonly hi: Int32Array;

  constructor(
    private readonly values: readonly Value[],
    readonly ok: (i: number) => boolean,
  ) {
    let size = 1;
    while (size < values.length) size *= 2;
    this.size = size;
    this.lo = new Int32Array(2 * size).fill(-1);
    this.hi = new Int32Array(2 * size).fill(-1);
    for (let i = 0; i < values.length; i++) if (ok(i)) this.lo[size + i] = this.hi[size + i] = i;
    for (let k = size - 1; k >= 1; k--) {
      this.lo[k] = this.lower(this.lo[2 * k], this.lo[2 * k + 1]);
      this.hi[k] = this.higher(this.hi[2 * k], this.hi[2 * k + 1]);
    }
  }

  /** Whether the series has a value anywhere. */
  get any(): boolean {
    return this.lo[1] >= 0;
  }

  private lower(a: number, b: number): number {
    return a < 0 ? b : b < 0 ? a : this.values[b]! < this.values[a]! ? b : a;
  }

  private higher(a: number, b: number): number {
    return a < 0 ? b : b < 0 ? a : this.values[b]! > this.values[a]! ? b : a;
  }

  /** The rows of the lowest and highest value in rows [a, b) (−1 when none has a value). */
  query(a: number, b: number): [number, number] {
    let lo = -1;
    let hi = -1;
    for (a += this.size, b += this.size; a < b; a >>= 1, b >>= 1) {
      if (a & 1) {
        lo = this.lower(lo, this.lo[a]);
        hi = this.higher(hi, this.hi[a++]);
      }
      if (b & 1) {
        lo = this.lower(lo, this.lo[--b]);
        hi = this.higher(hi, this.hi[b]);
      }
    }
    return [lo, hi];
  }
}

/**
 * A table sorted by x ([x, ...series], nulls where a series has no value), ready to be drawn at any zoom: `view` gives
 * the rows to draw of an x range. Build one per data (the chart builds it again when its data changes, and keeps it
 * across zooms).
 */
export class Downsampler {
  private readonly extrema: Extrema[];

  /** `logY`: per series, on a log axis, so only its positive values count. */
  constructor(
    private readonly data: Columns,
    logY: readonly boolean[] = [],
  ) {
    this.extrema = data.slice(1).map((column, c) => {
      const values = column as Value[];
      const positive = logY[c] ?? false;
      return new Extrema(values, (i) => {
        const v = values[i];
        return v !== null && v !== undefined && Number.isFinite(v) && (!positive || v > 0);
      });
    });
  }

  /**
   * Per series: its first and last point in view, the lowest and highest in each pixel column, and — when zoomed in —
   * the nearest point on each side beyond the view (so lines run to the edges) and its very first and last points (so
   * a reset of the zoom spans all the data). Per series at most 2 × width + 2 rows: zoomed in, two pixel columns fewer
   * pay for the four rows beyond the edges. Null, NaN and ±∞ are never an extreme.
   */
  view(options: Omit<DownsampleOptions, "logY">): Columns {
    const [x, ...series] = this.data;
    const n = x.length;
    const width = Math.max(1, Math.floor(options.width));
    const logX = options.logX ?? false;
    const start = logX ? upperBound(x, 0) : 0; // the first row that can be drawn
    const i0 = Math.max(start, options.from === undefined ? 0 : lowerBound(x, options.from));
    const i1 = options.to === undefined ? n : upperBound(x, options.to);
    if (i1 <= i0) return [[], ...series.map(() => [])];
    const zoomed = i0 > start || i1 < n;
    const buckets = zoomed ? Math.max(1, width - 2) : width;
    // The first row of each pixel column, even in x (or log x) between the first and last rows in view.
    const p0 = logX ? Math.log10(x[i0]) : x[i0];
    const span = (logX ? Math.log10(x[i1 - 1]) : x[i1 - 1]) - p0;
    const edges = [i0];
    for (let b = 1; b < buckets; b++) {
      const p = p0 + (span * b) / buckets;
      edges.push(Math.max(edges[b - 1], Math.min(i1, lowerBound(x, logX ? Math.pow(10, p) : p))));
    }
    edges.push(i1);
    const keep = new Set<number>();
    for (const extrema of this.extrema) {
      if (!extrema.any) continue;
      for (let b = 0; b < buckets; b++) {
        if (edges[b + 1] <= edges[b]) continue;
        const [lo, hi] = extrema.query(edges[b], edges[b + 1]);
        if (lo >= 0) keep.add(lo).add(hi);
      }
      const first = scan(extrema.ok, i0, i1, 1);
      if (first >= 0) keep.add(first).add(scan(extrema.ok, i1 - 1, i0 - 1, -1));
      if (zoomed)
        for (const i of [
          scan(extrema.ok, i0 - 1, start - 1, -1),
          scan(extrema.ok, start, i0, 1),
          scan(extrema.ok, i1, n, 1),
          scan(extrema.ok, n - 1, i1 - 1, -1),
        ])
          if (i >= 0) keep.add(i);
    }
    const rows = [...keep].sort((a, b) => a - b);
    return [rows.map((i) => x[i]), ...series.map((column) => rows.map((i) => column[i] ?? null))];
  }
}

/** The first row from `from` toward `to` (exclusive) where the series has a value, or −1. */
function scan(ok: (i: number) => boolean, from: number, to: number, step: 1 | -1): number {
  for (let i = from; step > 0 ? i < to : i > to; i += step) if (ok(i)) return i;
  return -1;
}

/** The rows to draw of `data` for one view (see Downsampler.view). */
export function downsample(data: Columns, options: DownsampleOptions): Columns {
  return new Downsampler(data, options.logY).view(options);
}

/** Whether the rows in view are many enough, for `width` pixel columns, that drawing them all is wasted work. */
export function worthDownsampling(data: Columns, width: number, from?: number, to?: number): boolean {
  const x = data[0];
  const rows = (to === undefined ? x.length : upperBound(x, to)) - (from === undefined ? 0 : lowerBound(x, from));
  return rows > DOWNSAMPLE_FROM * Math.max(1, width);
}
