// The optional native kernels (native/*.cc, built by `npm install` where a compiler and Eigen are present, or
// prebuilt in the linux-x64 .vsix; native-load.ts finds and loads them): running them on tensors in place. On the wasm backend the addon
// reads and writes views of the wasm heap (no copies); on the cpu backend, the backend's own arrays.
import { tf, type Tensor } from "./tf";
import type { TensorInfo, WasmBackend } from "./wasm-kernels";

/** One layer in one direction, as the addon takes it (mode: 0 RNN_TANH, 1 RNN_RELU, 2 LSTM, 3 GRU). */
export interface NativeLayer {
  mode: number;
  T: number;
  B: number;
  In: number;
  H: number;
  P: number;
  reverse: boolean;
  /** How many threads to split the work over; 0: as many as pay (up to 4). */
  threads: number;
}

type Arrays = (Float32Array | null)[];

export interface NativeAddon {
  forward(layer: NativeLayer, ...arrays: Arrays): void;
  backward(layer: NativeLayer, ...arrays: Arrays): void;
  info(): { library: string; simd: string; threads: number };
}

/** `UNROLL_NATIVE=0` turns the native kernels off; `1` requires them (useBackend fails without them). */
export const NATIVE_ENV = "UNROLL_NATIVE";

/** `UNROLL_NATIVE_THREADS=N`: split every layer over N threads (by default as many as pay, up to 4). */
export const nativeThreads = () => Number(process.env.UNROLL_NATIVE_THREADS) || 0;

let active: NativeAddon | null = null;

/** The addon while it is in use (loaded, checked, on a backend it serves), else null. */
export function nativeKernels(): NativeAddon | null {
  return active;
}

export function setNativeKernels(addon: NativeAddon | null): void {
  active = addon;
}

/** Makes float32 tensors of `shapes` (null: none) and calls `run` with the data of `inputs` and of the new
 *  tensors, in place; returns the new tensors. */
export function runInPlace(inputs: (Tensor | null)[], shapes: (number[] | null)[], run: (inputs: Arrays, outputs: Arrays) => void): (Tensor | null)[] {
  if (tf.getBackend() === "wasm") {
    const backend = tf.backend() as unknown as WasmBackend;
    const view = (t: TensorInfo | null) => t && (backend.typedArrayFromHeap(t) as Float32Array); // every tensor here is float32
    inputs.forEach(view); // moves onto the heap any input still held by another backend
    const infos = shapes.map((shape) => shape && backend.makeOutput(shape, "float32"));
    // Views only after every allocation: growing the heap detaches earlier views.
    run(inputs.map(view), infos.map(view));
    return infos.map((info) => info && tf.engine().makeTensorFromTensorInfo(info));
  }
  const outputs = shapes.map((shape) => shape && new Float32Array(tf.util.sizeFromShape(shape)));
  run(
    inputs.map((t) => t && (t.dataSync() as Float32Array)),
    outputs,
  );
  return outputs.map((values, k) => values && tf.tensor(values, shapes[k]!));
}
