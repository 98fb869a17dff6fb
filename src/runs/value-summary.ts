// How a tensor's values become what the views draw — statistics, a histogram, a heatmap averaged in blocks that
// keep gate blocks apart — for both places that summarise tensors: parameter snapshots during training
// (snapshot.ts, from a whole array) and the checkpoint viewer (safetensors-file.ts, from chunks read in bounded
// pieces, and the difference of two checkpoints). No library, no file system: the extension host loads it.
import type { Heatmap, Histogram, TensorStats } from "../common/protocol";

export const HISTOGRAM_BINS = 30;
/** Heatmaps larger than this (rows or columns) are averaged in blocks down to at most this size. */
export const HEATMAP_MAX = 64;
/** Significant digits kept for plotted values (heatmaps, dynamics): plenty for a picture, a third of the JSON. */
const DIGITS = 4;

/** Running statistics (Welford's mean and variance, so a long stream loses no precision): mean, unbiased
 *  standard deviation (like `torch.std`), min, max and L2 norm of the values added. */
export class Running {
  n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private squares = 0;
  add(v: number): void {
    this.n++;
    const d = v - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.squares += v * v;
  }
  stats(): TensorStats {
    const any = this.n > 0;
    return {
      mean: any ? this.mean : 0,
      std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0,
      min: any ? this.min : 0,
      max: any ? this.max : 0,
      norm: Math.sqrt(this.squares),
    };
  }
}

/** Counts in HISTOGRAM_BINS equal bins between min and max (all in the first bin when min = max); values outside,
 *  and NaN, are not counted. */
export class HistogramBins {
  private readonly counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  private readonly scale: number;
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.scale = max > min ? HISTOGRAM_BINS / (max - min) : 0;
  }
  add(v: number): void {
    if (v >= this.min && v <= this.max) this.counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - this.min) * this.scale))]++; // NaN fails both tests
  }
  histogram(): Histogram {
    return { min: this.min, max: this.max, counts: this.counts };
  }
}

/** Bin boundaries over `n` indices: at most `max` bins, none straddling a boundary between `groups` equal
 *  parts (the gate blocks of a recurrent weight), so a downsampled LSTM weight still shows i, f, g, o apart. */
export function binEdges(n: number, max: number, groups = 1): number[] {
  if (n <= max) return Array.from({ length: n + 1 }, (_, i) => i);
  const g = n % groups === 0 && groups <= max ? groups : 1;
  const size = n / g;
  const block = Math.ceil(size / Math.floor(max / g));
  const edges: number[] = [];
  for (let part = 0; part < g; part++) for (let start = part * size; start < (part + 1) * size; start += block) edges.push(start);
  edges.push(n);
  return edges;
}

/** A tensor's values as a 2-D picture, added one flat index at a time (a 1-D bias is one row; more dimensions fold
 *  into the columns), each cell the mean of the values added to it. Gate blocks run along the first dimension:
 *  the rows of a matrix, the columns of a bias's single row. */
export class HeatmapBins {
  private readonly rowBin: Int32Array;
  private readonly colBin: Int32Array;
  private readonly cols: number;
  private readonly shape: number[];
  private readonly R: number;
  private readonly C: number;
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;

  constructor(shape: readonly number[], gates = 1, max = HEATMAP_MAX) {
    this.shape = [...shape];
    const size = shape.reduce((a, b) => a * b, 1);
    const rows = shape.length >= 2 ? shape[0] : 1;
    this.cols = rows ? size / rows : 0;
    const rowEdges = binEdges(rows, max, shape.length >= 2 ? gates : 1);
    const colEdges = binEdges(this.cols, max, shape.length === 1 ? gates : 1);
    this.R = rowEdges.length - 1;
    this.C = colEdges.length - 1;
    this.rowBin = binIndex(rowEdges);
    this.colBin = binIndex(colEdges);
    this.sums = new Float64Array(this.R * this.C);
    this.counts = new Uint32Array(this.R * this.C);
  }

  /** Adds the value at flat index `i`. */
  add(i: number, v: number): void {
    const cell = this.rowBin[Math.floor(i / this.cols)] * this.C + this.colBin[i % this.cols];
    this.sums[cell] += v;
    this.counts[cell]++;
  }

  /** The cells (a cell nothing was added to is NaN); `downsampledFrom` says the shape when cells are averages, or
   *  when only a sample of the values was added. */
  heatmap(sampled = false): Heatmap {
    const means = new Float64Array(this.R * this.C);
    for (let k = 0; k < means.length; k++) means[k] = this.counts[k] ? this.sums[k] / this.counts[k] : NaN;
    const rows = this.shape.length >= 2 ? this.shape[0] : 1;
    const downsampled = this.R !== rows || this.C !== this.cols || sampled;
    return { rows: this.R, cols: this.C, values: compact(means), ...(downsampled ? { downsampledFrom: [...this.shape] } : {}) };
  }
}

/** For each index, the bin it falls in. */
function binIndex(edges: readonly number[]): Int32Array {
  const bins = new Int32Array(edges[edges.length - 1]);
  for (let b = 0; b + 1 < edges.length; b++) bins.fill(b, edges[b], edges[b + 1]);
  return bins;
}

/** Plain numbers rounded to DIGITS significant digits (NaN and infinities stay, and become null in JSON). */
export function compact(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(DIGITS));
  }
  return out;
}
