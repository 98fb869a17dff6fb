// Ops whose built-in gradients are slow or missing on the wasm backend (see docs/engine-facts.md):
// transposed matMuls run 10–30x slower than plain ones there, and `gather` has no gradient kernel.
import { tf, type Tensor } from "./tf";

/** tfjs types the inputs of a custom gradient loosely; ours are tensors, the save function last. */
export type CustomGradient = Parameters<typeof tf.customGrad>[0];

/** What `customOp` returns from its forward function: its outputs, and the gradient of each input given one
 *  upstream gradient per output (zeros for an output nothing used). */
export interface OpResult {
  value: Tensor[];
  gradFunc: (dys: Tensor[], saved: Tensor[]) => Tensor[];
}

interface EngineInternals {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => Tensor[];
    backwardsFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => Record<string, () => Tensor>;
    inputs: Record<string, Tensor>;
  }): Tensor[];
}

/** tf.customGrad with several outputs (customGrad allows one, so an op with three had to return them flattened
 *  into one tensor, then split and reshape them: under the tape each of those is a kernel, and each reshape saves
 *  a copy of its input). Runs on the engine's own path for custom gradients, `runKernelFunc`, which takes a list
 *  of outputs (tfjs 4.22). `forward` runs in a tidy, as customGrad's does; `save` keeps tensors for the gradient. */
export function customOp(inputs: Tensor[], forward: (save: tf.GradSaveFunc) => OpResult): Tensor[] {
  let gradFunc: OpResult["gradFunc"];
  const engine = tf.engine() as unknown as EngineInternals;
  return engine.runKernelFunc({
    forwardFunc: (_backend, save) => {
      const result = forward(save);
      gradFunc = result.gradFunc;
      return result.value;
    },
    backwardsFunc: (dy, saved) => {
      const grads = gradFunc(Array.isArray(dy) ? dy : [dy], saved);
      return Object.fromEntries(grads.map((g, i) => [i, () => g]));
    },
    inputs: Object.fromEntries(inputs.map((t, i) => [i, t])),
  });
}

/** `a @ b` of matrices, zeros when either is empty, as in PyTorch: on wasm, XNNPACK refuses a zero-sized
 *  matrix (printing to stderr) and a zero inner size leaves the output unwritten. */
const product = (a: Tensor, b: Tensor): Tensor => (a.size && b.size ? tf.matMul(a, b) : tf.zeros([a.shape[0]!, b.shape[1]!]));

/** `a @ b` whose gradient uses explicit transposes and plain matMuls only. */
export const matMul = tf.customGrad(((a: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: product(a, b),
    gradFunc: (dy: Tensor, [sa, sb]: Tensor[]) => [product(dy, tf.transpose(sb)), product(tf.transpose(sa), dy)],
  };
}) as unknown as CustomGradient) as (a: Tensor, b: Tensor) => Tensor;

/** The sum of all values: 0 for an empty tensor, as in PyTorch (wasm's Sum leaves its output unwritten when
 *  there is nothing to add). The padding zero keeps the gradient's path back to `x`. */
export function sum(x: Tensor): Tensor {
  return x.size
    ? x.sum()
    : x
        .reshape([-1])
        .pad([[0, 1]])
        .sum();
}

/** The mean of all values: NaN for an empty tensor, 0 / 0 as in PyTorch (tfjs gives 0 on cpu, garbage on wasm). */
export function mean(x: Tensor): Tensor {
  return x.size ? x.mean() : sum(x).div(0);
}

/** `x @ weight.T (+ bias)` for a weight stored as PyTorch stores it, `[out, in]`. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const flat = x.rank === 2 ? x : x.reshape([-1, x.shape[x.rank - 1]]);
  let y = matMul(flat, tf.transpose(weight));
  if (bias) y = y.add(bias);
  return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
}

/** Rows of `table` at `indices` (int32, any shape), like an embedding lookup. Without `frozenRow` this is
 *  plain `tf.gather` (whose ScatterNd gradient tf.ts registers); rows gathered from `frozenRow` get no
 *  gradient (Embedding's padding_idx). */
export function gatherRows(table: Tensor, indices: Tensor, frozenRow?: number): Tensor {
  const flat = indices.reshape([-1]);
  if (frozenRow === undefined) return tf.gather(table, flat, 0).reshape([...indices.shape, ...table.shape.slice(1)]);
  const rows = tf.customGrad(((t: Tensor, save: tf.GradSaveFunc) => {
    save([flat]); // a tensor only captured by the closure would be freed before the backward pass
    return {
      value: tf.gather(t, flat, 0),
      gradFunc: (dy: Tensor, [index]: Tensor[]) => {
        const dRows = dy.mul(index.notEqual(frozenRow).toFloat().reshape([-1, 1]));
        return tf.scatterND(index.reshape([-1, 1]), dRows, t.shape);
      },
    };
  }) as unknown as CustomGradient)(table);
  return rows.reshape([...indices.shape, ...table.shape.slice(1)]);
}

/** Class or token indices as int32, checked in one read: whole numbers, each in [0, size) or equal to `allowed`.
 *  Accepts float32 (as `torch.tensor([1, 2])` gives here). */
export function asIndices(t: Tensor, what: string, size: number, allowed?: number): Tensor {
  const values = indexValues(t, what, size, allowed);
  return t.dtype === "int32" ? t : tf.tensor(Int32Array.from(values), t.shape, "int32");
}

/** The values of `t`, checked as asIndices checks them, read once (no kernel). */
export function indexValues(t: Tensor, what: string, size: number, allowed?: number): ArrayLike<number> {
  const values = t.dataSync() as ArrayLike<number>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new Error(`${what} must hold whole numbers (class or token indices), got ${v}`);
    if ((v < 0 || v >= size) && v !== allowed) {
      throw new Error(`${what}: index ${v} is out of range [0, ${size - 1}]${allowed !== undefined ? ` (and is not the ignore index ${allowed})` : ""}`);
    }
  }
  return values;
}

/** `x` in `shape` (no -1), without a Reshape kernel when it already has it: under the tape a reshape costs two
 *  kernels (the reshape and a copy of its input saved for the gradient), more than a small model's arithmetic. */
export function reshapeTo(x: Tensor, shape: number[]): Tensor {
  return tf.util.arraysEqual(x.shape, shape) ? x : x.reshape(shape);
}
