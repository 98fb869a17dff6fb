// PyTorch's Tensor, on one TensorFlow.js tensor (`t.tf`). A wrapper, not a subclass: tfjs's numeric `.size` and
// its max/transpose/flatten/squeeze mean other things than PyTorch's. Methods unwrap once, run tfjs ops (recorded
// in the autograd graph of graph.ts when an input requires grad) and wrap the result once. Results are freed when
// the program no longer reaches them (memory.ts).
import { inspect } from "node:util";
import { tf } from "./tf";
import { Size, shapeString } from "./tensor";
import { DType, bool, dtypeOf, float32, int64, promote } from "./dtype";
import { tensorText } from "./tensor-format";
import * as F from "./functional";
import {
  accumulate,
  backward as backwardFrom,
  dropLeaf,
  gradNode,
  installGraph,
  leafHolder,
  nameNode,
  recorded,
  requiresGrad as tracked,
  withoutGrad,
  type GradNode,
} from "./graph";
import { disown, onRelease, own } from "./memory";

type TfTensor = tf.Tensor;

installGraph();
// Freeing a leaf's tensor frees the gradient it accumulated too.
onRelease((t) => {
  leafHolder(t, false)?.grad?.dispose();
  t.dispose();
});

/** A slice of one dim, PyTorch's `a:b:c`: `torch.slice(1, 3)`, or the string `"1:3"` in `x.at(…)`. */
export class Slice {
  constructor(
    readonly start?: number | null,
    readonly stop?: number | null,
    readonly step?: number | null,
  ) {}
}

/** PyTorch's `start:stop:step` for `x.at(…)`: `x.at(torch.slice(1, 3))` is `x[1:3]`. */
export const slice = (start?: number | null, stop?: number | null, step?: number | null): Slice => new Slice(start, stop, step);

/** One index of `x.at(…)`: a number (negative counts from the end), a slice (`":"`, `"1:3"`, `"::2"`,
 *  `torch.slice(1, 3)`), `null` for a new dim of size 1 (PyTorch's None), or `"..."` for the dims not named. */
export type Index = number | string | Slice | null;

/** `[values, indices]` of `max(dim)`/`min(dim)`, also as `.values` and `.indices`, like PyTorch's named tuple. */
export type ValuesIndices = [values: Tensor, indices: Tensor] & { values: Tensor; indices: Tensor };

export type Operand = Tensor | number | boolean;

export class Tensor {
  /** The TensorFlow.js tensor underneath (`torch.fromTf(x)` goes the other way). */
  declare readonly tf: TfTensor;
  declare private gradCache?: [TfTensor, Tensor];

  /** `new torch.Tensor(data)`: PyTorch's legacy constructor, always float32 (`torch.tensor(data)` infers). */
  constructor(data: number[] | number[][] | number[][][] | Float32Array) {
    const t = tf.tensor(data as tf.TensorLike, undefined, "float32");
    Object.defineProperty(this, "tf", { value: t });
    own(this, t);
  }

  /** Wraps a tfjs tensor; an owned one is freed with its Tensor. */
  static wrap(t: TfTensor, owned: boolean): Tensor {
    const wrapper = Object.create(Tensor.prototype) as Tensor;
    Object.defineProperty(wrapper, "tf", { value: t });
    if (owned) own(wrapper, t);
    return wrapper;
  }

  // ---- what it is ------------------------------------------------------------------------------------------

  /** The sizes, as a `torch.Size` (prints `torch.Size([3, 20])`, indexes and destructures as an array). */
  get shape(): Size {
    return Size.from(this.tf.shape) as Size;
  }
  /** `size()` is the shape; `size(d)` one dim's size (d may be negative). */
  size(): Size;
  size(dim: number): number;
  size(dim?: number): Size | number {
    return dim === undefined ? this.shape : (this.tf.shape[F.axis("size", dim, this.tf.rank)] ?? 1);
  }
  get dtype(): DType {
    return dtypeOf(this.tf);
  }
  dim(): number {
    return this.tf.rank;
  }
  get ndim(): number {
    return this.tf.rank;
  }
  numel(): number {
    return this.tf.size;
  }

  // ---- values ----------------------------------------------------------------------------------------------

  /** The value of a one-element tensor: a number, or a boolean for a bool tensor. */
  item(): number | boolean {
    if (this.tf.size !== 1) throw new RangeError("only one element tensors can be converted to Python scalars");
    const v = this.tf.dataSync()[0] as number;
    return this.tf.dtype === "bool" ? v !== 0 : v;
  }
  /** The values as nested arrays (a number for a 0-d tensor), booleans for a bool tensor. */
  tolist(): unknown {
    const values = valuesOf(this.tf);
    const shape = this.tf.shape;
    const build = (dim: number, offset: number): unknown => {
      if (dim === shape.length) return values[offset];
      const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /** PyTorch's text: `tensor([[ 0.5000, -1.2500]], grad_fn=<TanhBackward0>)`. */
  toString(): string {
    return tensorText(valuesOf(this.tf), this.tf.shape, this.dtype.name, gradNode(this.tf)?.name, this.requiresGrad);
  }
  [inspect.custom](): string {
    return this.toString();
  }

  /** The tfjs tensor underneath: what TensorFlow.js functions take. */
  toTf(): TfTensor {
    return this.tf;
  }
  /** Frees the tensor now (optional: unreachable tensors are freed anyway). */
  dispose(): void {
    disown(this);
    leafHolder(this.tf, false)?.grad?.dispose();
    this.tf.dispose();
  }

  // ---- autograd --------------------------------------------------------------------------------------------

  get requiresGrad(): boolean {
    return tracked(this.tf);
  }
  set requiresGrad(flag: boolean) {
    this.requiresGrad_(flag);
  }
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) {
      if (flag) return this;
      throw new Error(
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
      );
    }
    if (flag && !this.dtype.isFloatingPoint) throw new Error("only Tensors of floating point dtype can require gradients");
    if (flag) leafHolder(this.tf, true);
    else dropLeaf(this.tf);
    return this;
  }
  /** PyTorch's grad_fn: the node that made this tensor (its `.name` is `TanhBackward0`), null for a leaf. */
  get gradFn(): GradNode | null {
    return gradNode(this.tf) ?? null;
  }
  get isLeaf(): boolean {
    return !gradNode(this.tf);
  }
  /** The gradient accumulated by `backward()` into this leaf, until `zeroGrad()` or `x.grad = null`. */
  get grad(): Tensor | null {
    const g = leafHolder(this.tf, false)?.grad;
    if (!g || g.isDisposed) return null;
    if (this.gradCache?.[0] !== g) this.gradCache = [g, Tensor.wrap(g, false)];
    return this.gradCache[1];
  }
  /** Sets the gradient (a copy of it): a Tensor, a tfjs tensor, or null to clear it. */
  set grad(value: Tensor | TfTensor | null) {
    const holder = leafHolder(this.tf, false) ?? (value ? leafHolder(this.tf, true)! : undefined);
    if (!holder) return;
    holder.grad?.dispose();
    holder.grad = null;
    if (value) accumulate(holder, value instanceof Tensor ? value.tf : value);
  }
  /** Gradients of this tensor into every leaf it depends on (added to their `.grad`); `gradient` for a
   *  non-scalar. The graph's saved tensors are freed unless `retainGraph`. */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    backwardFrom(this.tf, gradient?.tf, options.retainGraph ?? false);
  }
  /** The same values, cut from the graph. */
  detach(): Tensor {
    return Tensor.wrap(
      withoutGrad(() => this.tf.clone()),
      true,
    );
  }
  clone(): Tensor {
    return op(() => this.tf.clone(), "CloneBackward0");
  }

  // ---- dtypes ----------------------------------------------------------------------------------------------

  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this;
    return op(() => tf.cast(this.tf, dtype.tf), "ToCopyBackward0");
  }
  float(): Tensor {
    return this.to(float32);
  }
  long(): Tensor {
    return this.to(int64);
  }
  bool(): Tensor {
    return this.to(bool);
  }

  // ---- shape -----------------------------------------------------------------------------------------------

  /** The same values in another shape; one size may be -1 (inferred). `view(2, 3)` or `view([2, 3])`. */
  view(...shape: number[] | [readonly number[]]): Tensor {
    const target = inferShape(this.tf.size, sizes(shape));
    return op(() => this.tf.reshape(target), "ViewBackward0");
  }
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return this.view(...shape);
  }
  unsqueeze(dim: number): Tensor {
    const d = F.axis("unsqueeze", dim, this.tf.rank + 1);
    return op(() => this.tf.expandDims(d), "UnsqueezeBackward0");
  }
  /** Without `dim` every dim of size 1 goes; with it, that dim (or those dims, a list as in PyTorch 2 and tfjs)
   *  if its size is 1 (else the shape stays). */
  squeeze(dim?: number | readonly number[]): Tensor {
    const shape = this.tf.shape;
    if (dim === undefined) return op(() => this.tf.reshape(shape.filter((n) => n !== 1)), "SqueezeBackward0");
    const list = typeof dim === "number" ? undefined : dim;
    const dims = (list ?? [dim as number]).map((d) => (shape.length ? F.axis("squeeze", d, shape.length) : (F.axis("squeeze", d, 0), -1)));
    return op(() => this.tf.reshape(shape.filter((n, i) => !dims.includes(i) || n !== 1)), list ? "SqueezeBackward2" : "SqueezeBackward1");
  }
  permute(...dims: number[] | [readonly number[]]): Tensor {
    const order = sizes(dims).map((d) => F.axis("permute", d, this.tf.rank));
    if (order.length !== this.tf.rank)
      throw new RangeError(
        `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${this.tf.rank} is not equal to len(dims) = ${order.length}`,
      );
    if (new Set(order).size !== order.length) throw new RangeError("permute(): duplicate dims are not allowed.");
    return op(() => tf.transpose(this.tf, order), "PermuteBackward0");
  }
  transpose(dim0: number, dim1: number): Tensor {
    return op(() => F.transpose(this.tf, dim0, dim1), "TransposeBackward0");
  }
  t(): Tensor {
    return op(() => F.t(this.tf), "TBackward0");
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return op(() => F.flatten(this.tf, startDim, endDim), "ViewBackward0");
  }
  /** Tensors here are always contiguous: the tensor itself. */
  contiguous(): Tensor {
    return this;
  }
  /** A view with dims of size 1 repeated to `sizes` (-1 keeps a size), like PyTorch's expand. */
  expand(...sizesIn: number[] | [readonly number[]]): Tensor {
    const target = sizes(sizesIn);
    const shape = this.tf.shape;
    const lead = target.length - shape.length;
    if (lead < 0)
      throw new RangeError(
        `expand(torch.${this.dtype === float32 ? "Float" : this.dtype === int64 ? "Long" : "Bool"}Tensor{${shapeString(shape)}}, size=${shapeString(target)}): the number of sizes provided (${target.length}) must be greater or equal to the number of dimensions in the tensor (${shape.length})`,
      );
    const out = target.map((n, i) => {
      const own = i < lead ? undefined : shape[i - lead];
      if (n === -1 && own !== undefined) return own;
      if (own !== undefined && own !== 1 && own !== n)
        throw new RangeError(
          `The expanded size of the tensor (${n}) must match the existing size (${own}) at non-singleton dimension ${i}.  Target sizes: ${shapeString(target)}.  Tensor sizes: ${shapeString(shape)}`,
        );
      return n;
    });
    return op(() => tf.broadcastTo(this.tf.reshape([...Array(lead).fill(1), ...shape]), out), "ExpandBackward0");
  }
  expandAs(other: Tensor): Tensor {
    return this.expand(other.tf.shape);
  }
  /** Tiles the tensor `repeats` times along each dim, like PyTorch's repeat. */
  repeat(...repeatsIn: number[] | [readonly number[]]): Tensor {
    const repeats = sizes(repeatsIn);
    const shape = this.tf.shape;
    if (repeats.length < shape.length) throw new RangeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
    const lead = repeats.length - shape.length;
    return op(() => tf.tile(this.tf.reshape([...Array(lead).fill(1), ...shape]), repeats), "RepeatBackward0");
  }
  /** Pieces of `splitSize` along `dim` (the last may be smaller), or of the sizes listed. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    const d = F.axis("split", dim, this.tf.rank);
    const n = this.tf.shape[d];
    let parts: number[];
    if (typeof splitSize === "number") {
      if (!(splitSize > 0)) throw new RangeError(`split expects split_size be non-negative, but got split_size=${splitSize}`);
      parts = Array.from({ length: Math.max(1, Math.ceil(n / splitSize)) }, (_, i) => Math.min(splitSize, n - i * splitSize));
    } else {
      parts = [...splitSize];
      const total = parts.reduce((a, b) => a + b, 0);
      if (total !== n)
        throw new RangeError(
          `split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${shapeString(parts)}`,
        );
    }
    return ops(() => tf.split(this.tf, parts, d), "SplitWithSizesBackward0");
  }
  /** `chunks` pieces along `dim` of equal size (the last may be smaller), like PyTorch's chunk. */
  chunk(chunks: number, dim = 0): Tensor[] {
    const n = this.tf.shape[F.axis("chunk", dim, this.tf.rank)];
    if (!(chunks > 0)) throw new RangeError("chunk expects `chunks` to be greater than 0, got: " + chunks);
    return this.split(Math.max(1, Math.ceil(n / chunks)), dim);
  }

  // ---- indexing --------------------------------------------------------------------------------------------

  /** PyTorch's `x[i, j, …]`: `x.at(0, -1)`, `x.at(":", 0)`, `x.at("1:3")`, `x.at(null)` (a new dim), `x.at("...", 0)`. */
  at(...indices: Index[]): Tensor {
    return indexed(this, indices);
  }
  /** The slice at `index` of `dim`, without that dim. */
  select(dim: number, index: number): Tensor {
    const d = F.axis("select", dim, this.tf.rank);
    const n = this.tf.shape[d];
    if (!Number.isInteger(index) || index < -n || index >= n)
      throw new RangeError(`select(): index ${index} out of range for tensor of size ${shapeString(this.tf.shape)} at dimension ${d}`);
    return indexed(this, [...Array(d).fill(":"), index]);
  }
  /** `length` entries of `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    const d = F.axis("narrow", dim, this.tf.rank);
    const n = this.tf.shape[d];
    const s = start < 0 ? start + n : start;
    if (s < 0 || s > n) throw new RangeError(`start out of range (expected to be in range of [${-n}, ${n}], but got ${start})`);
    if (s + length > n) throw new RangeError(`start (${s}) + length (${length}) exceeds dimension size (${n}).`);
    return indexed(this, [...Array(d).fill(":"), new Slice(s, s + length)]);
  }
  /** The entries of `dim` at the (long) indices given, in their order. */
  indexSelect(dim: number, index: Tensor): Tensor {
    const d = F.axis("index_select", dim, this.tf.rank);
    if (index.dtype !== int64) throw new TypeError("index_select(): Expected dtype int32 or int64 for index");
    if (index.tf.rank > 1) throw new RangeError("index_select(): Index is supposed to be a vector");
    const n = this.tf.shape[d];
    const bad = (index.tf.dataSync() as Int32Array).find((i) => i < -n || i >= n);
    if (bad !== undefined) throw new RangeError(`index out of range in self`);
    return op(() => tf.gather(this.tf, index.tf.reshape([-1]), d), "IndexSelectBackward0");
  }
  /** `value` where `mask` (broadcast) is true: a bool mask, or integers that are all 0 or 1 (as PyTorch takes). */
  maskedFill(mask: Tensor, value: number | Tensor): Tensor {
    if (mask.dtype !== bool && Array.from(mask.tf.dataSync() as ArrayLike<number>).some((v) => v !== 0 && v !== 1))
      throw new RangeError("Mask tensor can take 0 and 1 values only");
    const shape = tf.backend_util.assertAndGetBroadcastShape(this.tf.shape, mask.tf.shape);
    return op(() => {
      const fill = tf.cast(value instanceof Tensor ? value.tf : tf.scalar(value), this.tf.dtype);
      return tf.where(tf.broadcastTo(tf.cast(mask.tf, "bool"), shape), tf.broadcastTo(fill, shape), tf.broadcastTo(this.tf, shape));
    }, "MaskedFillBackward0");
  }
  /** `for (const row of x)`: the slices along dim 0. */
  *[Symbol.iterator](): Iterator<Tensor> {
    if (this.tf.rank === 0) throw new TypeError("iteration over a 0-d tensor");
    yield* ops(() => tf.unstack(this.tf), "UnbindBackward0");
  }

  // ---- math ------------------------------------------------------------------------------------------------

  add(other: Operand, alpha = 1): Tensor {
    return binary("AddBackward0", this, alpha === 1 ? other : scaled(other, alpha), tf.add);
  }
  sub(other: Operand, alpha = 1): Tensor {
    if (this.dtype === bool && (other instanceof Tensor ? other.dtype === bool : typeof other === "boolean"))
      throw new TypeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.");
    return binary("SubBackward0", this, alpha === 1 ? other : scaled(other, alpha), tf.sub);
  }
  mul(other: Operand): Tensor {
    return binary("MulBackward0", this, other, tf.mul);
  }
  /** True division: integers give a float result, as in PyTorch. */
  div(other: Operand): Tensor {
    return binary("DivBackward0", this, other, tf.div, float32);
  }
  pow(exponent: Operand): Tensor {
    if (this.dtype !== float32 && typeof exponent === "number" && Number.isInteger(exponent) && exponent < 0)
      throw new RangeError("Integers to negative integer powers are not allowed.");
    return binary(exponent instanceof Tensor ? "PowBackward1" : "PowBackward0", this, exponent, tf.pow);
  }
  /** The matrix product, with PyTorch's rules for vectors (a dot product, a matrix-vector product) and batches. */
  matmul(other: Tensor): Tensor {
    return matmul(this, other);
  }
  neg(): Tensor {
    if (this.dtype === bool)
      throw new TypeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      );
    return unary("NegBackward0", this, tf.neg, false);
  }
  abs(): Tensor {
    return unary("AbsBackward0", this, tf.abs, false);
  }
  relu(): Tensor {
    return unary("ReluBackward0", this, tf.relu, false);
  }
  exp(): Tensor {
    return unary("ExpBackward0", this, tf.exp, true);
  }
  log(): Tensor {
    return unary("LogBackward0", this, tf.log, true);
  }
  sqrt(): Tensor {
    return unary("SqrtBackward0", this, tf.sqrt, true);
  }
  tanh(): Tensor {
    return unary("TanhBackward0", this, tf.tanh, true);
  }
  sigmoid(): Tensor {
    return unary("SigmoidBackward0", this, tf.sigmoid, true);
  }
  softmax(dim: number): Tensor {
    return op(() => F.softmax(this.tf.toFloat(), dim), "SoftmaxBackward0");
  }
  logSoftmax(dim: number): Tensor {
    return op(() => F.logSoftmax(this.tf.toFloat(), dim), "LogSoftmaxBackward0");
  }
  /** Values below `min` become `min`, above `max` become `max`. */
  clamp(min?: number | null, max?: number | null): Tensor {
    if (min == null && max == null) throw new TypeError("torch.clamp: At least one of 'min' or 'max' must not be None");
    const integral = this.dtype !== float32 && [min, max].every((v) => v == null || Number.isInteger(v));
    const x = integral ? this : this.float();
    const name = min == null ? "ClampMaxBackward0" : max == null ? "ClampMinBackward0" : "ClampBackward1";
    if (!integral) return op(() => tf.clipByValue(x.tf, min ?? -Infinity, max ?? Infinity), name);
    // wasm's ClipByValue reads int32 values as floats: integers are clamped with maximum and minimum.
    return op(() => {
      const low = min == null ? x.tf : tf.maximum(x.tf, tf.scalar(min, "int32"));
      return max == null ? low : tf.minimum(low, tf.scalar(max, "int32"));
    }, name);
  }

  // ---- reductions ------------------------------------------------------------------------------------------

  /** The sum of every value, or along `dim` (a dim or a list of dims). Integers and bools give a long. */
  sum(dim?: number | readonly number[], keepdim = false): Tensor {
    const name = dim === undefined ? "SumBackward0" : "SumBackward1";
    return reduction(this, "sum", dim, name, (x, axes) => tf.sum(x.dtype === "float32" ? x : x.toInt(), axes, keepdim));
  }
  mean(dim?: number | readonly number[], keepdim = false): Tensor {
    needsFloat(this, "mean");
    return reduction(this, "mean", dim, dim === undefined ? "MeanBackward0" : "MeanBackward1", (x, axes) => tf.mean(x, axes, keepdim));
  }
  /** The variance, with Bessel's correction unless `unbiased` is false. */
  var(dim?: number | readonly number[] | null, unbiased = true, keepdim = false): Tensor {
    spreadNeedsFloat(this);
    return reduction(this, "var", dim, "VarBackward0", (x, axes) => variance(x, axes, unbiased, keepdim));
  }
  std(dim?: number | readonly number[] | null, unbiased = true, keepdim = false): Tensor {
    spreadNeedsFloat(this);
    return reduction(this, "std", dim, "StdBackward0", (x, axes) => tf.sqrt(variance(x, axes, unbiased, keepdim)));
  }
  /** The largest value; along `dim`, `[values, indices]` (also `.values`, `.indices`); with a tensor, the larger
   *  of the two at each place. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(other: Tensor): Tensor;
  max(dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    return extreme(this, "max", dim, keepdim);
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(other: Tensor): Tensor;
  min(dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
    return extreme(this, "min", dim, keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return Tensor.wrap(F.argmax(this.tf, dim, keepdim), true);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return Tensor.wrap(
      tf.tidy(() => F.argmax(this.tf.neg(), dim, keepdim)),
      true,
    );
  }

  // ---- comparisons -----------------------------------------------------------------------------------------

  eq(other: Operand): Tensor {
    return binary("", this, other, tf.equal);
  }
  ne(other: Operand): Tensor {
    return binary("", this, other, tf.notEqual);
  }
  gt(other: Operand): Tensor {
    return binary("", this, other, tf.greater);
  }
  ge(other: Operand): Tensor {
    return binary("", this, other, tf.greaterEqual);
  }
  lt(other: Operand): Tensor {
    return binary("", this, other, tf.less);
  }
  le(other: Operand): Tensor {
    return binary("", this, other, tf.lessEqual);
  }
}

/** The values, booleans for a bool tensor. */
function valuesOf(t: TfTensor): (number | boolean)[] {
  const data = Array.from(t.dataSync() as ArrayLike<number>);
  return t.dtype === "bool" ? data.map((v) => v !== 0) : data;
}

function needsFloat(t: Tensor, fn: string): void {
  if (t.dtype !== float32)
    throw new TypeError(
      `${fn}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${t.dtype === int64 ? "Long" : "Bool"}`,
    );
}

/** std and var refuse integers and bools with their own message. */
function spreadNeedsFloat(t: Tensor): void {
  if (t.dtype !== float32) throw new TypeError("std and var only support floating point and complex dtypes");
}

/** Runs tfjs ops (in a tidy, recorded in the graph) and wraps their result; `name` is PyTorch's grad_fn for it. */
export function op(fn: () => TfTensor, name: string): Tensor {
  return result(
    recorded(() => tf.tidy(fn)),
    name,
  );
}

/** `op` for one kernel that makes no intermediate tensor: no tidy (its scope costs as much as a small kernel). */
function kernel(fn: () => TfTensor, name: string): Tensor {
  return result(recorded(fn), name);
}

function result(out: TfTensor, name: string): Tensor {
  if (name) nameNode(out, name);
  return Tensor.wrap(out, true);
}

function ops(fn: () => TfTensor[], name: string): Tensor[] {
  return recorded(() => tf.tidy(fn)).map((out) => {
    nameNode(out, name);
    return Tensor.wrap(out, true);
  });
}

/** A size given as numbers or as one array. */
function sizes(args: number[] | [readonly number[]]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : (args as number[]);
  list.forEach((n) => {
    if (!Number.isInteger(n)) throw new TypeError(`sizes must be whole numbers, got ${n} in ${shapeString(list)}`);
  });
  return list;
}

/** `shape` with its one -1 worked out, checked as view() checks it. */
function inferShape(count: number, shape: number[]): number[] {
  const unknown = shape.filter((n) => n === -1).length;
  if (unknown > 1) throw new RangeError("only one dimension can be inferred");
  const bad = shape.find((n) => n < -1);
  if (bad !== undefined) throw new RangeError(`invalid shape dimension ${bad}`);
  const known = shape.filter((n) => n !== -1).reduce((a, b) => a * b, 1);
  const invalid = () => new RangeError(`shape '${shapeString(shape)}' is invalid for input of size ${count}`);
  if (!unknown) {
    if (known !== count) throw invalid();
    return shape;
  }
  if (known === 0 || count % known !== 0) throw invalid();
  return shape.map((n) => (n === -1 ? count / known : n));
}

/** The reduced axes of `dim` (all when undefined). */
function dims(fn: string, dim: number | readonly number[] | undefined, rank: number): number[] | undefined {
  if (dim === undefined) return undefined;
  const list = typeof dim === "number" ? [dim] : [...dim];
  const axes = list.map((d) => F.axis(fn, d, rank));
  if (new Set(axes).size !== axes.length) throw new RangeError(`dim ${axes.find((a, i) => axes.indexOf(a) !== i)} appears multiple times in the list of dims`);
  return rank === 0 ? [] : axes;
}

/** A reduction of `x` over `dim` (every dim when undefined or null), checked and recorded once for them all;
 *  `reduce` gets the tfjs tensor and the axes and carries its own `keepdim`. */
function reduction(
  x: Tensor,
  fn: string,
  dim: number | readonly number[] | null | undefined,
  name: string,
  reduce: (t: TfTensor, axes: number[] | undefined) => TfTensor,
): Tensor {
  const axes = dims(fn, dim ?? undefined, x.tf.rank);
  return op(() => reduce(x.tf, axes), name);
}

function variance(x: TfTensor, axes: number[] | undefined, unbiased: boolean, keepdim: boolean): TfTensor {
  const n = (axes ?? x.shape.map((_, i) => i)).reduce((c, a) => c * x.shape[a], 1);
  const centred = x.sub(tf.mean(x, axes, true));
  return tf.sum(centred.square(), axes, keepdim).div(Math.max(0, n - (unbiased ? 1 : 0)));
}

/** `other` times `alpha` (PyTorch's add(other, alpha=…)). */
function scaled(other: Operand, alpha: number): Operand {
  return other instanceof Tensor ? other.mul(alpha) : Number(other) * alpha;
}

/** The dtype of a plain number or boolean operand, as PyTorch sees a Python scalar. */
function scalarDtype(v: number | boolean): DType {
  return typeof v === "boolean" ? bool : Number.isInteger(v) ? int64 : float32;
}

/** `fn(a, b)` with PyTorch's type promotion (bool < long < float; bools count as longs in arithmetic), as a
 *  comparison when `name` is empty (a bool result). `as` forces the operands' dtype (true division). */
function binary(name: string, a: Tensor, b: Operand, fn: (x: TfTensor, y: TfTensor) => TfTensor, as?: DType): Tensor {
  const bType = b instanceof Tensor ? b.dtype : scalarDtype(b);
  let type = as ?? promote(a.dtype, bType);
  if (name && type === bool) type = int64;
  if (a.dtype === type && (!(b instanceof Tensor) || b.dtype === type)) {
    if (b instanceof Tensor) return kernel(() => fn(a.tf, b.tf), name);
    const y = tf.scalar(Number(b), type.tf);
    const out = kernel(() => fn(a.tf, y), name);
    y.dispose(); // the graph saved its own reference, if it needs one
    return out;
  }
  return op(() => {
    const x = a.dtype === type ? a.tf : tf.cast(a.tf, type.tf);
    const y = b instanceof Tensor ? (b.dtype === type ? b.tf : tf.cast(b.tf, type.tf)) : tf.scalar(Number(b), type.tf);
    return fn(x, y);
  }, name);
}

/** `fn(x)`; a function that makes floats (exp, tanh) promotes integers first, as PyTorch does. */
function unary(name: string, x: Tensor, fn: (t: TfTensor) => TfTensor, floats: boolean): Tensor {
  const as = floats ? float32 : x.dtype === bool ? int64 : x.dtype;
  if (as === x.dtype) return kernel(() => fn(x.tf), name);
  return op(() => fn(tf.cast(x.tf, as.tf)), name);
}

function matmul(a: Tensor, b: Tensor): Tensor {
  const [ra, rb] = [a.tf.rank, b.tf.rank];
  if (!ra || !rb) throw new RangeError(`both arguments to matmul need to be at least 1D, but they are ${ra}D and ${rb}D`);
  const [sa, sb] = [a.tf.shape, b.tf.shape];
  const inner = (shape: number[], last: boolean) => (last ? shape[shape.length - 1] : shape[shape.length - 2]);
  const ka = sa[sa.length - 1];
  const kb = rb === 1 ? sb[0] : inner(sb, false);
  if (ka !== kb) {
    if (ra === 1 && rb === 1)
      throw new RangeError(
        `inconsistent tensor size, expected tensor [${ka}] and src [${kb}] to have the same number of elements, but got ${ka} and ${kb} elements respectively`,
      );
    const rows = (s: number[]) => (s.length === 1 ? `1x${s[0]}` : `${s.slice(0, -1).reduce((x, y) => x * y, 1)}x${s[s.length - 1]}`);
    throw new RangeError(`mat1 and mat2 shapes cannot be multiplied (${rows(sa)} and ${rb === 1 ? `${sb[0]}x1` : `${inner(sb, false)}x${sb[sb.length - 1]}`})`);
  }
  const type = promote(a.dtype, b.dtype);
  const name = ra === 1 && rb === 1 ? "DotBackward0" : ra === 2 && rb === 2 ? "MmBackward0" : ra === 2 && rb === 1 ? "MvBackward0" : "BmmBackward0";
  return op(() => {
    let x = tf.cast(ra === 1 ? a.tf.reshape([1, ka]) : a.tf, "float32");
    let y = tf.cast(rb === 1 ? b.tf.reshape([kb, 1]) : b.tf, "float32");
    if (x.rank > 2 || y.rank > 2) {
      // The batch dims broadcast, each side made full first: tfjs's MatMul gradient assumes equal ranks.
      const batch = tf.backend_util.assertAndGetBroadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2));
      x = tf.broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
      y = tf.broadcastTo(y, [...batch, ...y.shape.slice(-2)]);
    }
    let out = tf.matMul(x, y);
    const shape = out.shape.filter((_, i) => !(ra === 1 && i === out.rank - 2) && !(rb === 1 && i === out.rank - 1));
    out = out.reshape(shape);
    return type === float32 ? out : tf.cast(out, type.tf);
  }, name);
}

function extreme(x: Tensor, which: "max" | "min", dim: number | Tensor | undefined, keepdim: boolean): Tensor | ValuesIndices {
  const name = which === "max" ? "Max" : "Min";
  if (dim instanceof Tensor) {
    // Both broadcast first: tfjs's Maximum and Minimum gradients do not sum over broadcast dims.
    const pick = which === "max" ? tf.maximum : tf.minimum;
    return binary(`${name}imumBackward0`, x, dim, (a, b) =>
      tf.tidy(() => {
        const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
        return pick(tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
      }),
    );
  }
  const sign = (t: TfTensor) => (which === "max" || t.dtype === "bool" ? t : t.neg());
  if (dim === undefined) return op(() => sign(F.max(sign(x.tf))), `${name}Backward1`);
  const [values, indices] = recorded(() =>
    tf.tidy(() => {
      const [v, i] = F.max(sign(x.tf), dim, keepdim);
      return [sign(v), i];
    }),
  );
  nameNode(values, `${name}Backward0`);
  const out = [Tensor.wrap(values, true), Tensor.wrap(indices, true)] as [Tensor, Tensor];
  return Object.assign(out, { values: out[0], indices: out[1] });
}

// ---- indexing ----------------------------------------------------------------------------------------------

type Resolved = { kind: "index"; at: number } | { kind: "slice"; start: number; length: number; step: number } | { kind: "new" };

/** `x[indices]` as PyTorch reads it: one slice op for the ranges, a gather for steps, one reshape for the rest. */
function indexed(x: Tensor, indices: Index[]): Tensor {
  const shape = x.tf.shape;
  const named = indices.filter((i) => i !== null && i !== "...").length;
  const ellipses = indices.filter((i) => i === "...").length;
  if (ellipses > 1) throw new RangeError("an index can only have a single ellipsis ('...')");
  if (named > shape.length) throw new RangeError(`too many indices for tensor of dimension ${shape.length}`);
  const full = indices.flatMap((i) => (i === "..." ? Array<Index>(shape.length - named).fill(":") : [i]));
  while (full.filter((i) => i !== null).length < shape.length) full.push(":");
  let dim = 0;
  const resolved: Resolved[] = full.map((index) => (index === null ? { kind: "new" } : resolve(index, shape[dim], dim++)));
  const begin: number[] = [];
  const size: number[] = [];
  const outShape: number[] = [];
  const stepped: [dim: number, length: number, step: number][] = [];
  for (const r of resolved) {
    if (r.kind === "new") outShape.push(1);
    else if (r.kind === "index") {
      begin.push(r.at);
      size.push(1);
    } else {
      const span = r.length ? (r.length - 1) * r.step + 1 : 0;
      if (r.step > 1) stepped.push([begin.length, r.length, r.step]);
      begin.push(r.start);
      size.push(span);
      outShape.push(r.length);
    }
  }
  const last = [...full].reverse().find((i) => i !== ":");
  const name = typeof last === "number" ? "SelectBackward0" : last === null ? "UnsqueezeBackward0" : "SliceBackward0";
  return op(() => {
    let y = tf.slice(x.tf, begin, size);
    for (const [d, length, step] of stepped) y = tf.gather(y, tf.range(0, length * step, step, "int32"), d);
    return y.reshape(outShape);
  }, name);
}

function resolve(index: Exclude<Index, null>, n: number, dim: number): Resolved {
  if (typeof index === "number") {
    if (!Number.isInteger(index)) throw new TypeError(`only integers, slices (":", "1:3"), null and "..." are valid indices (got ${index})`);
    if (index < -n || index >= n) throw new RangeError(`index ${index} is out of bounds for dimension ${dim} with size ${n}`);
    return { kind: "index", at: index < 0 ? index + n : index };
  }
  const slice = typeof index === "string" ? parseSlice(index) : index;
  const step = slice.step ?? 1;
  if (!Number.isInteger(step) || step <= 0) throw new RangeError("step must be greater than zero");
  const clampTo = (v: number | null | undefined, fallback: number) => (v == null ? fallback : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
  const start = clampTo(slice.start, 0);
  const stop = clampTo(slice.stop, n);
  return { kind: "slice", start, length: Math.max(0, Math.ceil((stop - start) / step)), step };
}

/** `"1:3"`, `":"`, `"::2"`, `"-2:"` as a Slice; anything else is refused. */
function parseSlice(text: string): Slice {
  const parts = text.split(":");
  const number = (s: string) => {
    const t = s.trim();
    if (t === "") return null;
    if (!/^-?\d+$/.test(t)) throw new TypeError(`"${text}" is not an index: use a number, a slice such as ":", "1:3" or "::2", null, or "..."`);
    return Number(t);
  };
  if (parts.length < 2 || parts.length > 3) throw new TypeError(`"${text}" is not an index: use a number, a slice such as ":", "1:3" or "::2", null, or "..."`);
  return new Slice(number(parts[0]), number(parts[1]), parts.length === 3 ? number(parts[2]) : null);
}
