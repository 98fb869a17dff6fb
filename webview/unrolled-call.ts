// A traced recurrent call, read for the Shapes tab's unrolled diagram: its kind, steps, batch and sizes.
import type { TraceEntry, TracedShape } from "../src/common/protocol";
import { RECURRENT_KINDS, type RecurrentKind } from "../src/common/gate-layout";

export interface UnrolledCall {
  kind: RecurrentKind;
  /** RNNCell, LSTMCell, GRUCell: one step per call. */
  cell: boolean;
  steps: number;
  /** null for an unbatched (2-D) input. */
  batch: number | null;
  inputSize: number;
  hiddenSize: number;
  layers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  /** The input was a PackedSequence. */
  packed: boolean;
  input: TracedShape;
  outputs: TracedShape[];
}

const RECURRENT_MODULE = new RegExp(`^(${RECURRENT_KINDS.join("|")})(Cell)?$`);

/** Reads `LSTM(50, 100, num_layers=2, bidirectional=True)` and the call's shapes; null for anything else. */
export function unrolledCall(entry: TraceEntry): UnrolledCall | null {
  const m = RECURRENT_MODULE.exec(entry.name);
  const input = entry.inputs?.[0];
  const config = entry.recurrent;
  if (entry.kind !== "call" || !m || !config || !input || input.shape.length < 1) return null;
  const cell = m[2] === "Cell";
  const { batchFirst } = config;
  const shape = input.shape;
  let steps = 1;
  let batch: number | null = null;
  if (input.packed) {
    steps = input.packed.batchSizes.length;
    batch = input.packed.batchSizes[0] ?? null;
  } else if (cell) {
    batch = shape.length >= 2 ? shape[0] : null;
  } else if (shape.length >= 3) {
    steps = batchFirst ? shape[1] : shape[0];
    batch = batchFirst ? shape[0] : shape[1];
  } else {
    steps = shape[0];
  }
  return {
    kind: m[1] as UnrolledCall["kind"],
    cell,
    steps,
    batch,
    inputSize: config.inputSize,
    hiddenSize: config.hiddenSize,
    layers: config.numLayers,
    bidirectional: config.bidirectional,
    batchFirst,
    packed: !!input.packed,
    input,
    outputs: entry.outputs ?? [],
  };
}

/**
 * Which time steps the diagram draws: all of them up to `max`, else the first few, a gap (null), and the
 * last two, so a 1,000-step sequence still reads as "x₁ x₂ x₃ … x₉₉₉ x₁₀₀₀".
 */
export function shownSteps(steps: number, max = 7): (number | null)[] {
  if (steps <= max) return Array.from({ length: steps }, (_, i) => i + 1);
  const head = max - 3;
  return [...Array.from({ length: head }, (_, i) => i + 1), null, steps - 1, steps];
}
