// Faster Slice, SplitV and Unpack for the wasm backend.
//
// tfjs-backend-wasm 4.22 reads a slice's input with `readSync`, which copies the whole input tensor out of
// the wasm heap: taking one time step of a [100, 64, 2048] tensor copies all 52 MB, and splitting it into
// 100 steps took 3.2 s here. These kernels copy only the slice, from views on the heap.
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

let registered = false;

/** Replaces the wasm backend's Slice, SplitV and Unpack kernels; string tensors keep the original ones. */
export function registerFastWasmKernels(): void {
  if (registered) return;
  registered = true;
  const kernels = { Slice: slice, SplitV: splitV, Unpack: unpack } as Record<string, (args: never) => unknown>;
  for (const [kernelName, fast] of Object.entries(kernels)) {
    const original = tf.getKernel(kernelName, "wasm")!.kernelFunc;
    const kernelFunc = ((args: { inputs: Record<string, TensorInfo> }) =>
      Object.values(args.inputs)[0].dtype === "string" ? original(args as never) : fast(args as never)) as unknown as tf.KernelFunc;
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  }
}
