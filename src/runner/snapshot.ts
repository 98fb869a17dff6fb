// Parameter snapshots: for every parameter of a model, summary statistics, its gradient's norm, a histogram
// and a heatmap of its values, plus what its PyTorch name says (layer, direction) and its gate blocks.
//
// Values are read once per parameter (dataSync) and summarised in typed-array loops: a few passes over the
// numbers beat dozens of small tensor ops (each one a kernel launch and a read-back) and handle a
// 2048×512 matrix in milliseconds.
import { nn, type DynamicsRecord, type tf } from "unroll";
import type { Heatmap, Histogram, LayerDynamics, ParameterSnapshot } from "../common/protocol";
import { binEdges, compact, HeatmapBins, HistogramBins } from "../runs/value-summary";
import { GATE_NAMES, type RecurrentKind } from "../common/gate-layout";

export { binEdges, compact };

const KINDS: [new (...args: never[]) => nn.Module, RecurrentKind][] = [
  [nn.LSTM, "LSTM"],
  [nn.LSTMCell, "LSTM"],
  [nn.GRU, "GRU"],
  [nn.GRUCell, "GRU"],
];

/** The gates stacked in a recurrent module's weight_ih/weight_hh/bias_ih/bias_hh, by module class (none for a
 *  plain RNN: its one block has no name). */
function gatesOf(module: nn.Module): string[] | undefined {
  const kind = KINDS.find(([Class]) => module instanceof Class)?.[1];
  return kind && [...GATE_NAMES[kind]];
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
  return model.namedParameters().map(([name, p]) => describeParameter(name, p.tf, p.tf.grad, gates.get(p)));
}

/** One parameter's snapshot, from its values and (when it has one) its gradient. */
export function describeParameter(name: string, value: tf.Tensor, grad: tf.Tensor | null, gates?: string[]): ParameterSnapshot {
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

function histogram(values: Float32Array, min: number, max: number): Histogram {
  const bins = new HistogramBins(min, max);
  for (let i = 0; i < values.length; i++) bins.add(values[i]);
  return bins.histogram();
}

/** The values as a 2-D picture, averaged in blocks of at most HEATMAP_MAX a side (see HeatmapBins). */
export function heatmap(values: Float32Array, shape: readonly number[], gates = 1): Heatmap {
  const bins = new HeatmapBins(shape, gates);
  for (let i = 0; i < values.length; i++) bins.add(i, values[i]);
  return bins.heatmap();
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
