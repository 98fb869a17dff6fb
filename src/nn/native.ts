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

/** An optimizer's hyperparameters, as the fused step takes them (kind: 0 SGD, 1 Adam or AdamW, 2 RMSprop);
 *  `step` is the step number, from 1 (Adam's bias corrections). */
export interface NativeOptimizer {
  kind: number;
  lr: number;
  step?: number;
  weightDecay?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
  amsgrad?: boolean;
  decoupled?: boolean;
  alpha?: number;
  centered?: boolean;
}

export interface NativeAddon {
  forward(layer: NativeLayer, ...arrays: Arrays): void;
  backward(layer: NativeLayer, ...arrays: Arrays): void;
  /** Writes each parameter's new value into `out` and updates its state buffers in place (native/optimizer.cc). */
  optimizerStep(hyper: NativeOptimizer, params: Float32Array[], grads: Float32Array[], out: Float32Array[], states: Float32Array[][], fresh: boolean[]): void;
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

/** One parameter for the fused optimizer step: its value, its gradient and its state (null: none yet). */
export interface OptimizerSlot {
  param: Tensor;
  grad: Tensor;
  state: Tensor[] | null;
}

/** The fused optimizer step on the wasm backend's heap: each parameter's new value is a new tensor written by
 *  the kernel (so that nothing sharing the old value's data sees it change), each state tensor is updated in
 *  place, and parameters without a state get `stateCount` new ones. Returns the new values and the states. */
export function optimizerStepOnHeap(
  addon: NativeAddon,
  hyper: NativeOptimizer,
  slots: OptimizerSlot[],
  stateCount: number,
): { param: Tensor; state: Tensor[] }[] {
  const backend = tf.backend() as unknown as WasmBackend;
  const allocate = (shape: number[]) => tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, "float32"));
  const view = (t: Tensor) => backend.typedArrayFromHeap(t) as Float32Array;
  const results = slots.map((s) => ({ param: allocate(s.param.shape), state: s.state ?? Array.from({ length: stateCount }, () => allocate(s.param.shape)) }));
  // Views only after every allocation: growing the heap detaches earlier views.
  addon.optimizerStep(
    hyper,
    slots.map((s) => view(s.param)),
    slots.map((s) => view(s.grad)),
    results.map((r) => view(r.param)),
    results.map((r) => r.state.map(view)),
    slots.map((s) => s.state === null),
  );
  return results;
}
