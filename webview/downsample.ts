// What a chart draws of a long series: per pixel column of the x range in view, the rows holding each series' lowest
// and highest value, so that 1,000,000 points draw as about 2 × width without losing a spike. The raw data stays with
// the caller (CSV, smoothing); only the drawing is thinned. Pure logic, tested under Node.
import type { Value } from "./logic";

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
 * The rows to draw of a table sorted by x ([x, ...series], nulls where a series has no value): per series, its first
 * and last point in view, the lowest and highest in each pixel column, and — when zoomed in — the nearest point on
 * each side beyond the view (so lines run to the edges) and its very first and last points (so a reset of the zoom
 * spans all the data). Per series at most 2 × width + 2 rows: zoomed in, two pixel columns fewer pay for the four rows
 * beyond the edges. Null, NaN and ±∞ are never an extreme.
 */
export function downsample(data: Columns, options: DownsampleOptions): Columns {
  const [x, ...series] = data;
  const n = x.length;
  const width = Math.max(1, Math.floor(options.width));
  const logX = options.logX ?? false;
  let i0 = options.from === undefined ? 0 : lowerBound(x, options.from);
  const i1 = options.to === undefined ? n : upperBound(x, options.to);
  if (logX) i0 = Math.max(i0, upperBound(x, 0));
  if (i1 <= i0) return [[], ...series.map(() => [])];
  const zoomed = i0 > (logX ? upperBound(x, 0) : 0) || i1 < n;
  const buckets = zoomed ? Math.max(1, width - 2) : width;
  const pos = logX ? Math.log10 : (v: number) => v;
  const p0 = pos(x[i0]);
  const span = pos(x[i1 - 1]) - p0;
  const bucketOf = (i: number) => (span > 0 ? Math.min(buckets - 1, Math.floor(((pos(x[i]) - p0) / span) * buckets)) : 0);
  const keep = new Set<number>();
  const lo = new Int32Array(buckets);
  const hi = new Int32Array(buckets);
  series.forEach((column, c) => {
    const positive = options.logY?.[c] ?? false;
    const ok = (i: number) => {
      const v = column[i];
      return v !== null && v !== undefined && Number.isFinite(v) && (!positive || v > 0);
    };
    lo.fill(-1);
    hi.fill(-1);
    let first = -1;
    let last = -1;
    for (let i = i0; i < i1; i++) {
      if (!ok(i)) continue;
      if (first < 0) first = i;
      last = i;
      const b = bucketOf(i);
      const v = column[i]!;
      if (lo[b] < 0 || v < column[lo[b]]!) lo[b] = i;
      if (hi[b] < 0 || v > column[hi[b]]!) hi[b] = i;
    }
    for (let b = 0; b < buckets; b++) if (lo[b] >= 0) keep.add(lo[b]).add(hi[b]);
    if (first >= 0) keep.add(first).add(last);
    if (zoomed) for (const i of beyond(ok, i0, i1, n, logX ? upperBound(x, 0) : 0)) keep.add(i);
  });
  const rows = [...keep].sort((a, b) => a - b);
  return [rows.map((i) => x[i]), ...series.map((column) => rows.map((i) => column[i] ?? null))];
}

/** A series' points beyond the view: the nearest on each side and the first and last of all (`start`: the first
 *  row that can be drawn). */
function beyond(ok: (i: number) => boolean, i0: number, i1: number, n: number, start: number): number[] {
  const out: number[] = [];
  const scan = (from: number, to: number, step: number) => {
    for (let i = from; step > 0 ? i < to : i > to; i += step) if (ok(i)) return out.push(i);
  };
  scan(i0 - 1, start - 1, -1);
  scan(start, i0, 1);
  scan(i1, n, 1);
  scan(n - 1, i1 - 1, -1);
  return out;
}

/** Whether the rows in view are many enough, for `width` pixel columns, that drawing them all is wasted work. */
export function worthDownsampling(data: Columns, width: number, from?: number, to?: number): boolean {
  const x = data[0];
  const rows = (to === undefined ? x.length : upperBound(x, to)) - (from === undefined ? 0 : lowerBound(x, from));
  return rows > DOWNSAMPLE_FROM * Math.max(1, width);
}
