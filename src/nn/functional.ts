// PyTorch's tensor functions that lessons call as `torch.*`: joining, reductions that return indices, reshaping
// and softmax. Arguments come in PyTorch's order; dims may be negative, and bad ones are refused in PyTorch's words.
// Indices (argmax, max) are int32 tensors, tfjs's integer type, where PyTorch gives int64.
import { tf, type Tensor } from "./tf";
import { shapeString } from "./tensor";

/** `dim` as an axis in [0, rank). A scalar accepts dim 0 and -1, as in PyTorch. */
export function axis(fn: string, dim: number, rank: number): number {
  const n = Math.max(rank, 1);
  if (!Number.isInteger(dim)) throw new TypeError(`${fn}(): argument 'dim' must be a whole number, not ${dim}`);
  if (dim < -n || dim >= n) throw new RangeError(`Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`);
  return dim < 0 ? dim + n : dim;
}

/** A scalar as a one-element vector, so that the dim PyTorch allows it exists for tfjs. */
const atLeast1d = (x: Tensor): Tensor => (x.rank === 0 ? x.reshape([1]) : x);

/** Concatenates tensors along an existing dim, like `torch.cat`: all sizes but `dim`'s must match. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!tensors.length) throw new Error("torch.cat(): expected a non-empty list of Tensors");
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.rank === 0) throw new Error(`zero-dimensional tensor (at position ${i}) cannot be concatenated`);
    if (t.rank !== first.rank) throw new Error(`Tensors must have same number of dimensions: got ${first.rank} and ${t.rank}`);
  });
  const d = axis("cat", dim, first.rank);
  tensors.forEach((t, i) => {
    const k = t.shape.findIndex((n, j) => j !== d && n !== first.shape[j]);
    if (k >= 0)
      throw new Error(
        `Sizes of tensors must match except in dimension ${d}. Expected size ${first.shape[k]} but got size ${t.shape[k]} for tensor number ${i} in the list.`,
      );
  });
  return tf.concat(tensors as Tensor[], d);
}

/** Joins equally shaped tensors along a new dim, like `torch.stack`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!tensors.length) throw new Error("stack expects a non-empty TensorList");
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (!tf.util.arraysEqual(t.shape, first.shape)) {
      throw new Error(`stack expects each tensor to be equal size, but got ${shapeString(first.shape)} at entry 0 and ${shapeString(t.shape)} at entry ${i}`);
    }
  });
  return tf.stack(tensors as Tensor[], axis("stack", dim, first.rank + 1));
}

/** The axis of a reduction over `dim`, refused as PyTorch refuses it: without `dim` an empty tensor has no
 *  maximum, and with it the reduced dim must not be empty. */
function reduction(fn: string, input: Tensor, dim?: number): number | undefined {
  if (dim === undefined) {
    if (input.size === 0)
      throw new Error(`${fn}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
    return undefined;
  }
  const d = axis(fn, dim, input.rank);
  if (input.rank > 0 && input.shape[d] === 0) throw new Error(`${fn}(): Expected reduction dim ${d} to have non-zero size.`);
  return d;
}

/** The first index of the largest value along `d`, where a NaN counts as the largest, as in PyTorch (tfjs's
 *  argMax skips NaNs). */
function firstMax(x: Tensor, d: number): Tensor {
  // Integers have no NaN (and wasm's IsNan reads int32 bits as floats).
  if (x.dtype !== "float32") return x.argMax(d);
  return tf.tidy(() => {
    const nan = x.isNaN();
    return tf.where(nan.any(d), nan.toInt().argMax(d), x.argMax(d));
  });
}

/** Index of the largest value, like `torch.argmax`: over all values (flattened) without `dim`, else along `dim`.
 *  Ties give the first index, as in PyTorch. The result is int32. */
export function argmax(input: Tensor, dim?: number, keepdim = false): Tensor {
  const d = reduction("argmax", input, dim);
  if (d === undefined) {
    const index = firstMax(input.reshape([-1]), 0);
    return keepdim ? index.reshape(input.shape.map(() => 1)) : index;
  }
  const index = firstMax(atLeast1d(input), d);
  return keepdim && input.rank > 0 ? index.expandDims(d) : index;
}

/** PyTorch's named tuple (values, indices): destructure it either way, `[v, i]` or `{ values, indices }`. */
export type ValuesIndices = [values: Tensor, indices: Tensor] & { values: Tensor; indices: Tensor };

/** Like `torch.max`: the largest value (a scalar tensor), or with `dim` the largest values along it and
 *  their indices (int32; ties give the first). A NaN is the largest value, as in PyTorch. */
export function max(input: Tensor): Tensor;
export function max(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(input: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  const d = reduction("max", input, dim);
  if (d === undefined) return tf.max(input);
  const values = tf.max(atLeast1d(input), d, keepdim && input.rank > 0);
  const indices = argmax(input, d, keepdim);
  return Object.assign([values, indices] as [Tensor, Tensor], { values, indices });
}

/** The value of a one-element tensor as a number, like `tensor.item()`. */
export function item(input: Tensor): number {
  if (input.size !== 1) throw new Error(`a Tensor with ${input.size} elements cannot be converted to Scalar`);
  return input.dataSync()[0];
}

/** Swaps two dims, like `torch.transpose`. */
export function transpose(input: Tensor, dim0: number, dim1: number): Tensor {
  const [a, b] = [axis("transpose", dim0, input.rank), axis("transpose", dim1, input.rank)];
  if (a === b) return input.clone();
  const perm = input.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return tf.transpose(input, perm);
}

/** The transpose of a matrix, like `torch.t`; a vector or a scalar comes back as it is. */
export function t(input: Tensor): Tensor {
  if (input.rank > 2) throw new Error(`t() expects a tensor with <= 2 dimensions, but self is ${input.rank}D`);
  return input.rank === 2 ? tf.transpose(input) : input.clone();
}

/** Merges dims `startDim` to `endDim` (both included) into one, like `torch.flatten`. A scalar becomes `[1]`. */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  const [s, e] = [axis("flatten", startDim, input.rank), axis("flatten", endDim, input.rank)];
  if (s > e) throw new Error("flatten() has invalid args: start_dim cannot come after end_dim");
  if (input.rank === 0) return input.reshape([1]);
  const shape = input.shape;
  return input.reshape([...shape.slice(0, s), shape.slice(s, e + 1).reduce((a, b) => a * b, 1), ...shape.slice(e + 1)]);
}

/** `f` (tfjs's softmax or logSoftmax, which work on the last axis only) applied along `dim`. */
function alongDim(fn: string, input: Tensor, dim: number, f: (x: Tensor) => Tensor): Tensor {
  const x = atLeast1d(input);
  const d = axis(fn, dim, input.rank);
  const last = x.rank - 1;
  const y = d === last ? f(x) : transpose(f(transpose(x, d, last)), d, last);
  return y.reshape(input.shape);
}

/** Like `torch.softmax(input, dim)`: exponentials along `dim`, normalised to sum to 1. */
export function softmax(input: Tensor, dim: number): Tensor {
  return alongDim("softmax", input, dim, (x) => tf.softmax(x));
}

/** Like `torch.log_softmax(input, dim)`: the log of softmax, computed stably. */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return alongDim("logSoftmax", input, dim, (x) => tf.logSoftmax(x));
}
