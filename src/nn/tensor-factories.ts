// PyTorch's tensor factories for the Tensor class: `tensor(data)` infers the dtype from the data, as PyTorch
// does from Python's values. JavaScript has one number type, so the rule is: all booleans → bool; all whole
// numbers → int64 (long, what class targets need); any other number → float32. `tensor(0)` is a long, and
// `tensor(0).add(0.5)` a float, as in PyTorch; write `tensor(0, { dtype: torch.float32 })` or `tensor(0.0)`…
// (which JavaScript also reads as 0: use the dtype) for a float.
import { tf } from "./tf";
import { Tensor, op, type ValuesIndices } from "./tensor-class";
import { DType, bool, float32, int64 } from "./dtype";
import * as T from "./tensor";
import type { Size } from "./tensor";
import * as F from "./functional";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/** Nested arrays of numbers or booleans, or a typed array. */
export type TensorData = number | boolean | TensorData[] | Float32Array | Int32Array | Uint8Array;

/** A Tensor of `data`; the dtype is inferred as the file's comment says unless `options.dtype` gives it. */
export function tensor(data: TensorData, options: TensorOptions = {}): Tensor {
  const { values, shape, inferred } = flattenData(data);
  const dtype = options.dtype ?? inferred;
  const t = Tensor.wrap(tf.tensor(dtype === bool ? values.map(Boolean) : values.map(Number), shape, dtype.tf), true);
  return options.requiresGrad ? t.requiresGrad_() : t;
}

/** The values of nested arrays, row-major, their shape and dtype, checked as PyTorch checks them. */
function flattenData(data: TensorData): { values: (number | boolean)[]; shape: number[]; inferred: DType } {
  if (data instanceof Float32Array) return { values: Array.from(data), shape: [data.length], inferred: float32 };
  if (data instanceof Int32Array) return { values: Array.from(data), shape: [data.length], inferred: int64 };
  if (data instanceof Uint8Array) return { values: Array.from(data), shape: [data.length], inferred: int64 };
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: (number | boolean)[] = [];
  const walk = (value: unknown, dim: number) => {
    if (dim === shape.length) {
      if (Array.isArray(value)) throw new TypeError(`expected a number at dim ${dim}, got a list`);
      if (typeof value !== "number" && typeof value !== "boolean") throw new TypeError(`Could not infer dtype of ${value === null ? "null" : typeof value}`);
      values.push(value);
      return;
    }
    if (!Array.isArray(value)) throw new TypeError(`expected sequence of length ${shape[dim]} at dim ${dim} (got a ${typeof value})`);
    if (value.length !== shape[dim]) throw new RangeError(`expected sequence of length ${shape[dim]} at dim ${dim} (got ${value.length})`);
    value.forEach((v) => walk(v, dim + 1));
  };
  walk(data, 0);
  const inferred = values.every((v) => typeof v === "boolean") && values.length ? bool : values.every((v) => Number.isInteger(Number(v))) ? int64 : float32;
  return { values, shape, inferred };
}

/** A factory of PyTorch's form `zeros(2, 3)`, `zeros([2, 3])`, with options last: `zeros(2, 3, { dtype })`. */
type Sized = (...args: (number | readonly number[] | TensorOptions)[]) => Tensor;

function sized(make: T.SizeFactory, defaultType = float32): Sized {
  return (...args) => {
    const last = args[args.length - 1];
    const options = last !== undefined && typeof last === "object" && !Array.isArray(last) ? (args.pop() as TensorOptions) : {};
    const made = make(...(args as number[]));
    return finish(made, options, defaultType);
  };
}

/** A tfjs tensor made float32 as the Tensor of the requested dtype, requiring grad if asked. */
function finish(made: tf.Tensor, options: TensorOptions, defaultType: DType): Tensor {
  const dtype = options.dtype ?? defaultType;
  const t = Tensor.wrap(made.dtype === dtype.tf ? made : castAway(made, dtype), true);
  return options.requiresGrad ? t.requiresGrad_() : t;
}

function castAway(t: tf.Tensor, dtype: DType): tf.Tensor {
  const out = tf.cast(t, dtype.tf);
  t.dispose();
  return out;
}

export const zeros = sized(T.zeros);
export const ones = sized(T.ones);
/** Standard normal values, reproducible after `manualSeed`. */
export const randn = sized(T.randn);
/** Uniform values in [0, 1). */
export const rand = sized(T.rand);

/** Whole numbers drawn from [low, high), as longs: `randint(low, high, size)` or `randint(high, size)`. */
export function randint(...args: [number, readonly number[], TensorOptions?] | [number, number, readonly number[], TensorOptions?]): Tensor {
  const options = (typeof args[args.length - 1] === "object" && !Array.isArray(args[args.length - 1]) ? args.pop() : {}) as TensorOptions;
  const made = args.length === 2 ? T.randint(args[0] as number, args[1] as number[]) : T.randint(args[0] as number, args[1] as number, args[2] as number[]);
  return finish(made, options, int64);
}

/** `value` everywhere; the dtype follows the value (a whole number gives a long, as in PyTorch). */
export function full(size: readonly number[], value: number | boolean, options: TensorOptions = {}): Tensor {
  const made = T.full(size, Number(value));
  return finish(made, options, typeof value === "boolean" ? bool : Number.isInteger(value) ? int64 : float32);
}

/** `start, start + step, …` below `end` (or 0 … start-1); longs when all three are whole numbers. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const whole = [start, end ?? 0, step].every(Number.isInteger);
  return finish(T.arange(start, end, step), options, whole ? int64 : float32);
}

/** The identity matrix `n × m` (m = n). */
export function eye(n: number, m = n, options: TensorOptions = {}): Tensor {
  return finish(tf.eye(n, m), options, float32);
}

export const zerosLike = (t: Tensor, options: TensorOptions = {}) => zeros(t.tf.shape, { dtype: t.dtype, ...options });
export const onesLike = (t: Tensor, options: TensorOptions = {}) => ones(t.tf.shape, { dtype: t.dtype, ...options });
export const randnLike = (t: Tensor, options: TensorOptions = {}) => randn(t.tf.shape, { dtype: t.dtype, ...options });
export const randLike = (t: Tensor, options: TensorOptions = {}) => rand(t.tf.shape, { dtype: t.dtype, ...options });
export const fullLike = (t: Tensor, value: number | boolean, options: TensorOptions = {}) => full(t.tf.shape, value, { dtype: t.dtype, ...options });

/** A Tensor, or a TensorFlow.js tensor (shared, as `fromTf` shares it): what `torch.*` functions take. */
export type AnyTensor = Tensor | tf.Tensor;

/** `t` as a Tensor: itself, or a Tensor sharing the tfjs tensor (not owning it). */
export function asTensor(t: AnyTensor): Tensor {
  return t instanceof Tensor ? t : fromTf(t);
}

/** Joins tensors along an existing dim. */
export function cat(tensors: readonly AnyTensor[], dim = 0): Tensor {
  return joined(tensors.map(asTensor), "CatBackward0", (ts) => F.cat(ts, dim));
}
/** Joins equally shaped tensors along a new dim. */
export function stack(tensors: readonly AnyTensor[], dim = 0): Tensor {
  return joined(tensors.map(asTensor), "StackBackward0", (ts) => F.stack(ts, dim));
}

function joined(tensors: readonly Tensor[], name: string, fn: (ts: tf.Tensor[]) => tf.Tensor): Tensor {
  const types = new Set(tensors.map((t) => t.dtype));
  const type = types.has(float32) ? float32 : types.has(int64) ? int64 : bool;
  return op(() => fn(tensors.map((t) => (t.dtype === type ? t.tf : tf.cast(t.tf, type.tf)))), name);
}

export const split = (t: AnyTensor, splitSize: number | readonly number[], dim = 0) => asTensor(t).split(splitSize, dim);
export const chunk = (t: AnyTensor, chunks: number, dim = 0) => asTensor(t).chunk(chunks, dim);
export const argmax = (t: AnyTensor, dim?: number, keepdim = false) => asTensor(t).argmax(dim, keepdim);
export const item = (t: AnyTensor) => asTensor(t).item();
export const transpose = (t: AnyTensor, dim0: number, dim1: number) => asTensor(t).transpose(dim0, dim1);
export const t = (x: AnyTensor) => asTensor(x).t();
export const flatten = (t: AnyTensor, startDim = 0, endDim = -1) => asTensor(t).flatten(startDim, endDim);
export const softmax = (t: AnyTensor, dim: number) => asTensor(t).softmax(dim);
export const logSoftmax = (t: AnyTensor, dim: number) => asTensor(t).logSoftmax(dim);

/** `torch.max(x)`, `torch.max(x, dim)` (`[values, indices]`), or `torch.max(x, other)`, as `x.max(…)`. */
export function max(input: AnyTensor): Tensor;
export function max(input: AnyTensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(input: AnyTensor, other: Tensor): Tensor;
export function max(input: AnyTensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return asTensor(input).max(dim as number, keepdim);
}
export function min(input: AnyTensor): Tensor;
export function min(input: AnyTensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(input: AnyTensor, other: Tensor): Tensor;
export function min(input: AnyTensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  return asTensor(input).min(dim as number, keepdim);
}

/** `x.size()`, or `x.size(dim)`. */
export function size(t: AnyTensor): Size;
export function size(t: AnyTensor, dim: number): number;
export function size(t: AnyTensor, dim?: number): Size | number {
  return dim === undefined ? asTensor(t).size() : asTensor(t).size(dim);
}

/** PyTorch's text of a tensor, as `String(x)` and `console.log(x)` give it. */
export const format = (t: AnyTensor): string => asTensor(t).toString();

/** A Tensor on a TensorFlow.js tensor, sharing it: the Tensor does not own it (dispose it as before). The other
 *  way is `t.tf` (or `t.toTf()`). */
export function fromTf(t: tf.Tensor): Tensor {
  return Tensor.wrap(t, false);
}
