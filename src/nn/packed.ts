// Packed sequences, as torch.nn.utils.rnn: a batch of variable-length sequences stored time step by
// time step, longest first, so that a recurrent module never runs over padding.
import { tf, type Tensor } from "./tf";
import { gatherRows } from "./ops";
import { UsageError } from "./errors";
import { Tensor as TorchTensor, op } from "./tensor-class";
import { recorded } from "./graph";
import { own } from "./memory";

/** What the functions here take: Tensors, or TensorFlow.js tensors. Given Tensors, they give Tensors (and a
 *  PackedSequence whose modules give Tensors), recorded in the autograd graph; given tfjs tensors, tfjs tensors. */
type Given = Tensor | TorchTensor;
const tfOf = (t: Given): Tensor => (t instanceof TorchTensor ? t.tf : t);

export class PackedSequence {
  /** Refuses fields that do not fit one another (checkPackedSequence): a hand-built PackedSequence too. */
  /** Made from Tensors: a recurrent module given it returns Tensors (and `padPackedSequence` a Tensor). */
  declare fromTensors?: boolean;
  constructor(
    /** `[sum(lengths), *]`: step 0 of every sequence, then step 1 of those still running, … (the tfjs tensor) */
    readonly data: Tensor,
    /** How many sequences are still running at each time step. */
    readonly batchSizes: number[],
    /** `sortedIndices[k]` is the original batch index of the k-th longest sequence. */
    readonly sortedIndices: number[],
    /** `unsortedIndices[b]` is where original sequence b sits in sorted order. */
    readonly unsortedIndices: number[],
  ) {
    checkPackedSequence(this, "PackedSequence");
  }

  /** Lengths in the original batch order. */
  get lengths(): number[] {
    const sortedLengths = this.sortedIndices.map((_, k) => this.batchSizes.filter((n) => n > k).length);
    return this.unsortedIndices.map((k) => sortedLengths[k]);
  }

  toString(): string {
    return `PackedSequence(data=[${this.data.shape.join(", ")}], batch_sizes=[${this.batchSizes.join(", ")}])`;
  }
}

/** Up to 12 values for a message (a hand-built list may be long). */
const list = (values: readonly unknown[]) => `[${values.slice(0, 12).map(String).join(", ")}${values.length > 12 ? `, … (${values.length})` : ""}]`;

/** Throws a UsageError naming `who` where a packed sequence's fields do not fit one another, before anything
 *  reads memory by them: batch sizes whole numbers from 1, non-increasing, summing to the data's rows; the sorted
 *  indices a permutation of the batch (0 … batch_sizes[0] − 1) and the unsorted ones its inverse. */
export function checkPackedSequence({ data, batchSizes, sortedIndices, unsortedIndices }: PackedSequence, who: string): void {
  const fail = (message: string): never => {
    throw new UsageError(`${who}: ${message}`);
  };
  if (!(data instanceof tf.Tensor) || data.rank < 1)
    fail(`data must be a tensor of at least one dimension, got ${data instanceof tf.Tensor ? "a scalar" : typeof data}`);
  for (const [name, value] of [
    ["batch_sizes", batchSizes],
    ["sorted_indices", sortedIndices],
    ["unsorted_indices", unsortedIndices],
  ] as const) {
    if (!Array.isArray(value)) fail(`${name} must be an array of whole numbers, got ${typeof value}`);
  }
  if (batchSizes.length === 0) fail("batch_sizes is empty (a packed sequence has at least one step)");
  if (!batchSizes.every((n) => Number.isSafeInteger(n) && n >= 1)) fail(`batch_sizes must be whole numbers from 1, got ${list(batchSizes)}`);
  if (batchSizes.some((n, t) => t > 0 && n > batchSizes[t - 1])) fail(`batch_sizes must not increase (longest sequences first), got ${list(batchSizes)}`);
  const rows = batchSizes.reduce((a, b) => a + b, 0);
  if (data.shape[0] !== rows) fail(`data has ${data.shape[0]} rows, but batch_sizes ${list(batchSizes)} sum to ${rows}`);
  const B = batchSizes[0];
  const seen = new Array<boolean>(B).fill(false);
  for (const [name, indices] of [
    ["sorted_indices", sortedIndices],
    ["unsorted_indices", unsortedIndices],
  ] as const) {
    seen.fill(false);
    const permutation = indices.length === B && indices.every((i) => Number.isInteger(i) && i >= 0 && i < B && !seen[i] && (seen[i] = true));
    if (!permutation) fail(`${name} must be a permutation of 0 … ${B - 1} (batch_sizes[0] = ${B} sequences), got ${list(indices)}`);
  }
  if (sortedIndices.some((b, k) => unsortedIndices[b] !== k)) {
    fail(`unsorted_indices ${list(unsortedIndices)} must be the inverse of sorted_indices ${list(sortedIndices)}`);
  }
}

function toLengths(lengths: number[] | Tensor): number[] {
  return Array.isArray(lengths) ? lengths : Array.from(lengths.dataSync(), Math.round);
}

/** For a padded time-major batch `[T, B, *]`, the flat row (t * B + b) of every packed element, in packed order. */
function packedRows(lengths: number[], sorted: number[], batch: number): number[] {
  const rows: number[] = [];
  const T = Math.max(...lengths);
  for (let t = 0; t < T; t++) for (const b of sorted) if (lengths[b] > t) rows.push(t * batch + b);
  return rows;
}

/** A PackedSequence made from Tensors: recurrent modules given one give one back, and Tensors for the state. */
export type TensorPackedSequence = PackedSequence & { readonly fromTensors: true };

type PackOptions = { batchFirst?: boolean; enforceSorted?: boolean };

export function packPaddedSequence(input: TorchTensor, lengths: number[] | Given, options?: PackOptions): TensorPackedSequence;
export function packPaddedSequence(input: Tensor, lengths: number[] | Given, options?: PackOptions): PackedSequence;
export function packPaddedSequence(input: Given, lengths: number[] | Given, options: PackOptions = {}): PackedSequence {
  const lens = toLengths(lengths instanceof TorchTensor ? lengths.tf : lengths);
  if (!(input instanceof TorchTensor)) return packTf(input, lens, options);
  const packed = recorded(() => packTf(input.tf, lens, options));
  return markTensors(packed);
}

/** A PackedSequence that came from Tensors: its data is freed when it is unreachable, and modules give Tensors. */
export function markTensors(packed: PackedSequence): PackedSequence {
  if (!packed.fromTensors) {
    Object.defineProperty(packed, "fromTensors", { value: true });
    own(packed, packed.data);
  }
  return packed;
}

/** packPaddedSequence on tfjs tensors (the library's own use). */
export function packTf(
  input: Tensor,
  lens: number[],
  { batchFirst = false, enforceSorted = true }: { batchFirst?: boolean; enforceSorted?: boolean },
): PackedSequence {
  const timeMajor = batchFirst ? input.transpose([1, 0, ...input.shape.slice(2).map((_, i) => i + 2)]) : input;
  const [T, B] = timeMajor.shape;
  if (lens.length !== B) throw new Error(`packPaddedSequence: ${lens.length} lengths for a batch of ${B}`);
  if (lens.some((n) => n < 1 || n > T || !Number.isInteger(n))) {
    throw new Error(`packPaddedSequence: lengths must be whole numbers between 1 and ${T} (the padded length), got [${lens.join(", ")}]`);
  }
  const order = [...lens.keys()];
  if (enforceSorted) {
    if (lens.some((n, i) => i > 0 && n > lens[i - 1])) {
      throw new Error(
        "packPaddedSequence: `lengths` array must be sorted in decreasing order when `enforceSorted` is true. Pass { enforceSorted: false } to pack unsorted sequences.",
      );
    }
  } else {
    order.sort((a, b) => lens[b] - lens[a] || a - b); // stable, like torch.sort(descending=True)
  }
  const unsorted = new Array<number>(B);
  order.forEach((b, k) => (unsorted[b] = k));
  const batchSizes = Array.from({ length: Math.max(...lens) }, (_, t) => lens.filter((n) => n > t).length);
  const rows = tf.tensor1d(packedRows(lens, order, B), "int32");
  const flat = timeMajor.reshape([T * B, ...timeMajor.shape.slice(2)]);
  return new PackedSequence(gatherRows(flat, rows), batchSizes, order, unsorted);
}

/** Back to a padded batch: `[output, lengths]`, with `paddingValue` past each sequence's end. */
export function padPackedSequence(sequence: TensorPackedSequence, options?: PadOptions): [TorchTensor, number[]];
export function padPackedSequence(sequence: PackedSequence, options?: PadOptions): [Tensor, number[]];
export function padPackedSequence(sequence: PackedSequence, options: PadOptions = {}): [Given, number[]] {
  if (!sequence.fromTensors) return unpackTf(sequence, options);
  let lens: number[] = [];
  const out = op(() => {
    const [padded, lengths] = unpackTf(sequence, options);
    lens = lengths;
    return padded;
  }, "");
  return [out, lens];
}

export type PadOptions = { batchFirst?: boolean; paddingValue?: number; totalLength?: number };

/** padPackedSequence on tfjs tensors (the library's own use). */
export function unpackTf(sequence: PackedSequence, { batchFirst = false, paddingValue = 0, totalLength }: PadOptions): [Tensor, number[]] {
  checkPackedSequence(sequence, "padPackedSequence"); // its arrays may have changed since it was made
  const lens = sequence.lengths;
  const maxLength = sequence.batchSizes.length;
  const T = totalLength ?? maxLength;
  if (T < maxLength) throw new Error(`padPackedSequence: totalLength ${T} is shorter than the longest sequence (${maxLength})`);
  const B = lens.length;
  const feature = sequence.data.shape.slice(1);
  // Each padded cell takes its packed row, or the extra padding row appended at the end.
  const rowOf = new Array<number>(T * B).fill(sequence.data.shape[0]);
  packedRows(lens, sequence.sortedIndices, B).forEach((cell, k) => (rowOf[cell] = k));
  const padRow = tf.fill([1, ...feature], paddingValue);
  const table = tf.concat([sequence.data, padRow], 0);
  let out = gatherRows(table, tf.tensor1d(rowOf, "int32")).reshape([T, B, ...feature]);
  if (batchFirst) out = out.transpose([1, 0, ...feature.map((_, i) => i + 2)]);
  return [out, lens];
}

/** Stacks tensors of shape `[L_i, *]` into `[T, B, *]` (or `[B, T, *]`), padding the shorter ones. */
export function padSequence(sequences: TorchTensor[], options?: { batchFirst?: boolean; paddingValue?: number }): TorchTensor;
export function padSequence(sequences: Tensor[], options?: { batchFirst?: boolean; paddingValue?: number }): Tensor;
export function padSequence(sequences: Given[], options: { batchFirst?: boolean; paddingValue?: number } = {}): Given {
  if (!sequences.some((s) => s instanceof TorchTensor)) return padTf(sequences as Tensor[], options);
  return op(() => padTf(sequences.map(tfOf), options), "");
}

function padTf(sequences: Tensor[], { batchFirst = false, paddingValue = 0 } = {}): Tensor {
  const T = Math.max(...sequences.map((s) => s.shape[0]));
  const padded = sequences.map((s) => {
    const rest = s.shape.slice(1).map(() => [0, 0] as [number, number]);
    return s.shape[0] === T ? s : tf.pad(s, [[0, T - s.shape[0]], ...rest], paddingValue);
  });
  return tf.stack(padded, batchFirst ? 0 : 1);
}
