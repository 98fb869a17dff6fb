// Tensor helpers in the PyTorch spirit: factories that use the library's seeded generator,
// and PyTorch's way of printing sizes and values.
import { tf, type Tensor } from "./tf";
import { normalArray, uniformArray } from "./random";
import { traceTensor } from "./trace-hooks";

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A factory that takes a shape PyTorch's two ways: `torch.randn(6, 5, 100)` or `torch.randn([6, 5, 100])`. */
export interface SizeFactory {
  (...size: number[]): Tensor;
  (size: readonly number[]): Tensor;
}

/** A copy of `shape` checked as PyTorch checks a size: whole numbers, none negative. */
function checkSize(factory: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${factory}(): argument 'size' must be an array of whole numbers, like [2, 3], not ${shape}`);
  shape.forEach((n, i) => {
    if (!Number.isInteger(n)) throw new TypeError(`${factory}(): argument 'size' must be whole numbers, but found ${n} at pos ${i + 1}`);
  });
  const negative = shape.find((n) => n < 0);
  if (negative !== undefined) throw new RangeError(`Trying to create tensor with negative dimension ${negative}: ${shapeString(shape)}`);
  return [...shape];
}

/** A traced factory of `name` whose size comes as numbers or as one array, never a mix of the two. */
function sized(name: string, make: (shape: number[]) => Tensor): SizeFactory {
  return (...args: (number | readonly number[])[]) => {
    const shape = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
    if (!args.length || shape.some(Array.isArray)) {
      throw new TypeError(`${name}() takes its size as numbers, ${name}(2, 3), or as one array, ${name}([2, 3])`);
    }
    return traceTensor(name, make(checkSize(name, shape)));
  };
}

/** Standard normal values, like `torch.randn`. Reproducible after `manualSeed`. */
export const randn = sized("randn", (shape) => tf.tensor(normalArray(count(shape)), shape, "float32"));

/** Uniform values in [0, 1), like `torch.rand`. */
export const rand = sized("rand", (shape) => tf.tensor(uniformArray(count(shape)), shape, "float32"));

export const zeros = sized("zeros", (shape) => tf.zeros(shape, "float32"));
export const ones = sized("ones", (shape) => tf.ones(shape, "float32"));

/** Integers drawn uniformly from [low, high), like `torch.randint(low, high, size)` or `torch.randint(high, size)`
 *  (as float32, usable as indices). */
export function randint(high: number, size: readonly number[]): Tensor;
export function randint(low: number, high: number, size: readonly number[]): Tensor;
export function randint(...args: [number, readonly number[]] | [number, number, readonly number[]]): Tensor {
  const [low, high, size] = args.length === 2 ? [0, ...args] : args;
  const shape = checkSize("randint", size);
  if (!(low < high)) throw new RangeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  return traceTensor("randint", tf.tensor(uniformArray(count(shape), low, high).map(Math.floor), shape, "float32"));
}

/** `value` everywhere, like `torch.full(size, value)`. */
export function full(size: readonly number[], value: number): Tensor {
  return traceTensor("full", tf.fill(checkSize("full", size), value, "float32"));
}

/** A float32 tensor from nested arrays or a typed array, like `torch.tensor`. Indices may be float32 too:
 *  Embedding and the losses accept them. */
export function tensor(values: tf.TensorLike, shape?: number[]): Tensor {
  return traceTensor("tensor", tf.tensor(values, shape, "float32"));
}

export function arange(start: number, end?: number, step = 1): Tensor {
  return traceTensor("arange", end === undefined ? tf.range(0, start, step, "float32") : tf.range(start, end, step, "float32"));
}

/** A tensor's shape that prints like PyTorch's: `torch.Size([10, 3, 40])`. */
export class Size extends Array<number> {
  override toString(): string {
    return `torch.Size([${this.join(", ")}])`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

export function size(t: Tensor): Size {
  return Size.from(t.shape) as Size;
}

/** `[10, 3, 40]`: how shapes are written everywhere in Unroll. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

const EDGE = 3;
const SUMMARY_THRESHOLD = 1000;

/** The values of a tensor written as PyTorch writes them: `tensor([[ 0.1234, -1.0000], ...])`. */
export function format(t: Tensor): string {
  const values = Array.from(t.dataSync() as ArrayLike<number>);
  const summarise = values.length > SUMMARY_THRESHOLD;
  const finite = values.filter(Number.isFinite);
  const integral = t.dtype !== "float32" || finite.every(Number.isInteger);
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.reduce((m, v) => (v !== 0 ? Math.min(m, Math.abs(v)) : m), Infinity);
  const scientific = !integral && (maxAbs >= 1e8 || (minAbs < 1e-4 && maxAbs / minAbs > 1000));
  const one = (v: number) => {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (t.dtype !== "float32") return String(v);
    if (integral) return `${v}.`;
    return scientific ? v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2") : v.toFixed(4);
  };
  const texts = values.map(one);
  const width = texts.reduce((w, s) => Math.max(w, s.length), 0);
  const pad = (s: string) => s.padStart(width);
  const strides = t.shape.map((_, i) => count(t.shape.slice(i + 1)));

  const block = (dim: number, offset: number, indent: number): string => {
    if (t.rank === 0) return pad(texts[0]);
    const n = t.shape[dim];
    const indices = summarise && n > 2 * EDGE ? [...Array(EDGE).keys(), -1, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : [...Array(n).keys()];
    if (dim === t.rank - 1) {
      return "[" + indices.map((i) => (i < 0 ? "..." : pad(texts[offset + i]))).join(", ") + "]";
    }
    const newlines = "\n".repeat(t.rank - dim - 1);
    const parts = indices.map((i) => (i < 0 ? "..." : block(dim + 1, offset + i * strides[dim], indent + 1)));
    return "[" + parts.join("," + newlines + " ".repeat(indent + 1)) + "]";
  };
  const prefix = "tensor(";
  return prefix + block(0, 0, prefix.length) + ")";
}
