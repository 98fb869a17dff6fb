// Faster Slice, SplitV, Unpack, Identity and row gathers for the wasm backend.
//
// tfjs-backend-wasm 4.22 reads a slice's input with `readSync`, which copies the whole input tensor out of
// the wasm heap: taking one time step of a [100, 64, 2048] tensor copies all 52 MB, and splitting it into
// 100 steps took 3.2 s here. These kernels copy only the slice, from views on the heap. Its GatherV2 computes
// an index per element; gathering whole rows (axis 0: embeddings, packing sequences) here copies each row as
// one run, and was the largest kernel of the names classifier's step on the native kernels.
import { tf } from "./tf";

/** What the wasm backend's kernels see of a tensor. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** The parts of the wasm backend that give views of its heap (no copies), for kernels of our own. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

/** Copies the block `begin … begin + size` of `x` into a new tensor, one contiguous run at a time. */
function copyBlock(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[], outShape = size): TensorInfo {
  if (x.shape.length === 0) return copyBlock(backend, { ...x, shape: [1] }, [0], [1], outShape);
  const out = backend.makeOutput(outShape, x.dtype);
  // Views only after makeOutput: growing the heap detaches earlier views.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = tf.util.computeStrides(x.shape);
  // The innermost dimensions taken whole form one contiguous run with the first partial dimension.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === x.shape[k]) k--;
  const run = size.slice(k).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, k);
  const count = outer.reduce((a, b) => a * b, 1);
  const index = new Array<number>(k).fill(0);
  for (let n = 0, at = 0; n < count; n++, at += run) {
    let offset = begin[k] * (k < rank - 1 ? strides[k] : 1);
    for (let d = 0; d < k; d++) offset += (begin[d] + index[d]) * strides[d];
    to.set(from.subarray(offset, offset + run), at);
    for (let d = k - 1; d >= 0; d--) {
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

function slice({ inputs, attrs, backend }: { inputs: { x: TensorInfo }; attrs: { begin: number[]; size: number[] }; backend: WasmBackend }) {
  const { x } = inputs;
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size);
  return copyBlock(backend, x, begin, size);
}

function splitV({ inputs, attrs, backend }: { inputs: { x: TensorInfo }; attrs: { numOrSizeSplits: number | number[]; axis: number }; backend: WasmBackend }) {
  const { x } = inputs;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = copyBlock(backend, x, [...begin], size);
    begin[axis] += s;
    return out;
  });
}

function unpack({ inputs, attrs, backend }: { inputs: { value: TensorInfo }; attrs: { axis: number }; backend: WasmBackend }) {
  const x = inputs.value;
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  const outShape = x.shape.filter((_, d) => d !== axis);
  const size = [...x.shape];
  size[axis] = 1;
  return Array.from({ length: x.shape[axis] }, (_, i) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    begin[axis] = i;
    return copyBlock(backend, x, begin, size, outShape);
  });
}

/** Rows of `x` at `indices` (axis 0, no batch dimensions); other gathers are the backend's. */
function gatherRows({ inputs, backend }: { inputs: { x: TensorInfo; indices: TensorInfo }; backend: WasmBackend }) {
  const { x, indices } = inputs;
  const index = backend.typedArrayFromHeap(indices);
  const rows = x.shape[0];
  for (const i of index) tf.util.assert(i >= 0 && i <= rows - 1, () => `GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const width = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // Views only after makeOutput: growing the heap detaches earlier views.
  const [from, to, at] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), backend.typedArrayFromHeap(indices)];
  for (let k = 0; k < at.length; k++) to.set(from.subarray(at[k] * width, (at[k] + 1) * width), k * width);
  return out;
}

const isRowGather = ({ inputs, attrs }: { inputs: Record<string, TensorInfo>; attrs?: Record<string, unknown> }) =>
  inputs.x.dtype !== "string" &&
  inputs.indices.dtype === "int32" &&
  inputs.x.shape.length > 0 &&
  attrs?.batchDims === 0 &&
  tf.util.parseAxisParam(attrs.axis as number, inputs.x.shape)[0] === 0;

/** CrossEntropyLoss of `[rows, classes]` logits against class indices on the wasm backend: the loss (per row
 *  for "none", else reduced) as a tensor, and its gradient w.r.t. the logits for an upstream gradient of 1 as a
 *  plain array, in one pass over a view of the heap, in double precision. A tiny model's loss was otherwise some
 *  25 kernels. Rows whose target is `ignoreIndex` weigh 0; a mean over no weight is 0 / 0, NaN, as in PyTorch. */
export function crossEntropyOnHeap(
  logits: tf.Tensor,
  targets: ArrayLike<number>,
  ignoreIndex: number,
  reduction: "mean" | "sum" | "none",
): { value: tf.Tensor; grad: Float32Array } {
  const backend = tf.backend() as unknown as WasmBackend;
  const [R, C] = logits.shape as [number, number];
  const valueInfo = backend.makeOutput(reduction === "none" ? [R] : [], "float32");
  // Views only after every allocation: growing the heap detaches earlier views.
  const [x, v] = [logits, valueInfo].map((info) => backend.typedArrayFromHeap(info));
  const g = new Float32Array(R * C);
  let total = 0;
  let weight = 0;
  for (let r = 0, row = 0; r < R; r++, row += C) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[row + c]);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(x[row + c] - max);
    const logSumExp = max + Math.log(sum);
    const w = targets[r] === ignoreIndex ? 0 : 1;
    const loss = w ? logSumExp - x[row + targets[r]] : 0;
    if (reduction === "none") v[r] = loss;
    total += loss;
    weight += w;
    for (let c = 0; c < C; c++) g[row + c] = w * (Math.exp(x[row + c] - logSumExp) - (c === targets[r] ? 1 : 0));
  }
  if (reduction !== "none") v[0] = reduction === "mean" ? total / weight : total;
  if (reduction === "mean") for (let i = 0; i < g.length; i++) g[i] /= weight;
  return { value: tf.engine().makeTensorFromTensorInfo(valueInfo), grad: g };
}

/** `grad` (`[rows, columns]`) times the upstream gradient `dy`, a scalar or one value per row, as a new tensor
 *  written on the heap (no kernel). */
export function scaledOnHeap(grad: Float32Array, shape: number[], dy: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as unknown as WasmBackend;
  const out = backend.makeOutput(shape, "float32");
  const [d, o] = [dy, out].map((info) => backend.typedArrayFromHeap(info));
  const columns = shape[1];
  if (d.length === 1) for (let i = 0; i < grad.length; i++) o[i] = grad[i] * d[0];
  else for (let i = 0; i < grad.length; i++) o[i] = grad[i] * d[Math.floor(i / columns)];
  return tf.engine().makeTensorFromTensorInfo(out);
}

/** A copy that shares its input's memory, as tfjs's cpu backend does, instead of copying it. Under the tape every
 *  tensor an op keeps for its gradient is such a copy: the native recurrent layer's saved activations were
 *  copied whole every step (92 MB on case c of the benchmark, ~8% of its step). Safe because tfjs never
 *  writes a tensor in place; of Unroll's kernels only the fused optimizer step does, into the optimizer's
 *  state buffers, which nothing copies. */
function identityShared({ inputs: { x }, backend }: { inputs: { x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let registered = false;

/** Replaces the wasm backend's Slice, SplitV, Unpack and Identity kernels, and GatherV2 for whole rows; string
 *  tensors keep the original ones. */
export function registerFastWasmKernels(): void {
  if (registered) return;
  registered = true;
  type Args = { inputs: Record<string, TensorInfo>; attrs?: Record<string, unknown> };
  const notString = (args: Args) => Object.values(args.inputs)[0].dtype !== "string";
  const kernels: Record<string, [(args: never) => unknown, (args: Args) => boolean]> = {
    Slice: [slice, notString],
    SplitV: [splitV, notString],
    Unpack: [unpack, notString],
    Identity: [identityShared, notString],
    GatherV2: [gatherRows, isRowGather],
  };
  for (const [kernelName, [fast, applies]] of Object.entries(kernels)) {
    const config = tf.getKernel(kernelName, "wasm")!;
    const original = config.kernelFunc;
    const kernelFunc = ((args: Args) => (applies(args) ? fast(args as never) : original(args as never))) as unknown as tf.KernelFunc;
    tf.unregisterKernel(kernelName, "wasm");
    // The original's setup stays: it binds the wasm function the original kernel calls.
    tf.registerKernel({ ...config, kernelFunc });
  }
}
