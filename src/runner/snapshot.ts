// Parameter snapshots: for every parameter of a model, summary statistics, its gradient's norm, a histogram
// and a heatmap of its values, plus what its PyTorch name says (layer, direction) and its gate blocks.
//
// Values are read once per parameter (dataSync) and summarised in typed-array loops: a few passes over the
// numbers beat dozens of small tensor ops (each one a kernel launch and a read-back) and handle a
// 2048×512 matrix in milliseconds.
import { nn, type DynamicsRecord, type Tensor } from "unroll";
import type { Heatmap, Histogram, LayerDynamics, ParameterSnapshot } from "../protocol";

export const HISTOGRAM_BINS = 30;
/** Heatmaps larger than this (rows or columns) are averaged in blocks down to at most this size. */
export const HEATMAP_MAX = 64;
/** Significant digits kept for plotted values (heatmaps, dynamics): plenty for a picture, a third of the JSON. */
const DIGITS = 4;

const GATES: [new (...args: never[]) => nn.Module, string[]][] = [
  [nn.LSTM, ["i", "f", "g", "o"]],
  [nn.LSTMCell, ["i", "f", "g", "o"]],
  [nn.GRU, ["r", "z", "n"]],
  [nn.GRUCell, ["r", "z", "n"]],
];

/** The gates stacked in a recurrent module's weight_ih/weight_hh/bias_ih/bias_hh, by module class. */
function gatesOf(module: nn.Module): string[] | undefined {
  return GATES.find(([Class]) => module instanceof Class)?.[1];
}

/** Layer and direction from a PyTorch name: `rnn.weight_hh_l1_reverse` → layer 1, reverse. */
export function parseLayerName(name: string): { layer?: number; direction?: "forward" | "reverse" } {
  const match = /_l(\d+)(_reverse)?$/.exec(name);
  return match ? { layer: Number(match[1]), direction: match[2] ? "reverse" : "forward" } : {};
}

/** Snapshots every parameter of `model`, in `namedParameters()` order, under PyTorch's names. */
export function snapshotParameters(model: nn.Module): ParameterSnapshot[] {
  const gates = new Map<nn.Parameter, string[]>();
  for (const [, module] of model.namedModules()) {
    const names = gatesOf(module);
    if (!names) continue;
    for (const [key, value] of Object.entries(module)) {
      // weight_hr_l{k} (an LSTM's projection) has no gate blocks.
      if (nn.isParameter(value) && /^(weight|bias)_(ih|hh)/.test(key)) gates.set(value, names);
    }
  }
  return model.namedParameters().map(([name, p]) => describeParameter(name, p, p.grad, gates.get(p)));
}

/** One parameter's snapshot, from its values and (when it has one) its gradient. */
export function describeParameter(name: string, value: Tensor, grad: Tensor | null, gates?: string[]): ParameterSnapshot {
  const values = value.dataSync() as Float32Array;
  const stats = statistics(values);
  return {
    name,
    shape: [...value.shape],
    ...stats,
    gradNorm: grad ? norm(grad.dataSync() as Float32Array) : null,
    histogram: histogram(values, stats.min, stats.max),
    heatmap: heatmap(values, value.shape, gates?.length ?? 1),
    ...(gates ? { gates } : {}),
    ...parseLayerName(name),
  };
}

function norm(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/** Mean, standard deviation (unbiased, like `torch.std`), min and max of the finite values, and the L2 norm. */
function statistics(values: Float32Array): { mean: number; std: number; min: number; max: number; norm: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / values.length;
  let squares = 0; // around the mean, in a second pass: no cancellation
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  const std = values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0;
  return { mean, std, min: Number.isFinite(min) ? min : 0, max: Number.isFinite(max) ? max : 0, norm: norm(values) };
}

/** Counts in equal bins between min and max (all in the first bin when every value is the same). */
function histogram(values: Float32Array, min: number, max: number): Histogram {
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  const scale = max > min ? HISTOGRAM_BINS / (max - min) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v >= min && v <= max) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - min) * scale))]++; // NaN fails both tests
  }
  return { min, max, counts };
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

/** The values as a 2-D picture (a 1-D bias is one row; more dimensions fold into the columns), averaged in
 *  blocks when larger than HEATMAP_MAX; `downsampledFrom` then records the parameter's shape. */
export function heatmap(values: Float32Array, shape: readonly number[], gates = 1): Heatmap {
  const rows = shape.length >= 2 ? shape[0] : 1;
  const cols = rows ? values.length / rows : 0;
  // The gate blocks run along the first dimension: rows of a matrix, the columns of a bias's single row.
  const rowEdges = binEdges(rows, HEATMAP_MAX, shape.length >= 2 ? gates : 1);
  const colEdges = binEdges(cols, HEATMAP_MAX, shape.length === 1 ? gates : 1);
  const R = rowEdges.length - 1;
  const C = colEdges.length - 1;
  if (R === rows && C === cols) return { rows, cols, values: compact(values) };
  const colBin = new Int32Array(cols);
  for (let b = 0; b < C; b++) colBin.fill(b, colEdges[b], colEdges[b + 1]);
  const sums = new Float64Array(R * C);
  for (let b = 0; b < R; b++) {
    for (let r = rowEdges[b]; r < rowEdges[b + 1]; r++) {
      for (let c = 0; c < cols; c++) sums[b * C + colBin[c]] += values[r * cols + c];
    }
  }
  for (let b = 0; b < R; b++) {
    for (let k = 0; k < C; k++) sums[b * C + k] /= (rowEdges[b + 1] - rowEdges[b]) * (colEdges[k + 1] - colEdges[k]);
  }
  return { rows: R, cols: C, values: compact(sums), downsampledFrom: [...shape] };
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

/** Recorded dynamics (dynamics-hooks.ts) with their plotted values rounded like heatmaps; gradient norms are
 *  kept exact, since their point is how many orders of magnitude they span. */
export function compactDynamics(layers: DynamicsRecord[]): LayerDynamics[] {
  const grid = (m: number[][]) => m.map(compact);
  return layers.map((l) => ({
    ...l,
    hidden: grid(l.hidden),
    ...(l.cell ? { cell: grid(l.cell) } : {}),
    ...(l.gates ? { gates: { names: l.gates.names, values: l.gates.values.map(grid) } } : {}),
  }));
}
