// The optional native kernels (native/*.cc, built by `npm install` where a compiler and Eigen are present, or
// prebuilt in the linux-x64 .vsix; native-load.ts finds and loads them): running them on tensors in place. On the
// wasm backend the addon reads and writes views of the wasm heap (no copies); on the cpu backend, the backend's
// own arrays. Each entry point takes one object of named fields, built here and checked here and in the addon.
import * as os from "node:os";
import type { Mode } from "../common/gate-layout";
import { tf, type Tensor } from "./tf";
import type { TensorInfo, WasmBackend } from "./wasm-kernels";

/** The sizes of one layer in one direction, as each native call of the layer takes them (with its arrays, by
 *  name: native/recurrent.cc reads and checks every field). `proj` is the size of h: `hidden`, or an LSTM's
 *  projection. `gates`: the mode's gate count (GATES of src/common/gate-layout.ts; the addon checks it against the mode). */
export interface NativeLayer {
  mode: Mode;
  gates: number;
  steps: number;
  batch: number;
  input: number;
  hidden: number;
  proj: number;
  reverse: boolean;
  /** How many threads to split the work over; 0: as many as pay (up to 4). At most the machine's cores. */
  threads: number;
}

type Floats = Float32Array | null;

/** The arrays of a forward call: its inputs, then the outputs it writes (mask [T, B] of 0/1 for packed input). */
export const FORWARD_INPUTS = ["x", "h0", "c0", "weightIh", "weightHh", "biasIh", "biasHh", "weightHr", "mask"] as const;
export const FORWARD_OUTPUTS = ["out", "hN", "cN", "saved"] as const;
/** The arrays of a backward call: its inputs, then the gradients it writes (dhNorms: ‖∂L/∂h_t‖ of sample 0). */
export const BACKWARD_INPUTS = ["x", "weightIh", "weightHh", "weightHr", "mask", "saved", "dOut", "dhN", "dcN"] as const;
export const BACKWARD_OUTPUTS = ["dx", "dh0", "dc0", "dWeightIh", "dWeightHh", "dBiasIh", "dBiasHh", "dWeightHr", "dhNorms"] as const;

type ArrayName = (typeof FORWARD_INPUTS | typeof FORWARD_OUTPUTS | typeof BACKWARD_INPUTS | typeof BACKWARD_OUTPUTS)[number];
export type NativeForwardCall = NativeLayer & Record<(typeof FORWARD_INPUTS | typeof FORWARD_OUTPUTS)[number], Floats>;
export type NativeBackwardCall = NativeLayer & Record<(typeof BACKWARD_INPUTS | typeof BACKWARD_OUTPUTS)[number], Floats>;

/** The shape of every array of a layer's native calls, by name; one place for the wrappers below (they allocate
 *  the outputs and check the inputs by it) and the same formulas as native/recurrent.cc's checks. */
export function nativeShapes(l: NativeLayer): Record<ArrayName, number[]> {
  const { steps: T, batch: B, input: In, hidden: H, proj: P } = l;
  const GH = l.gates * H;
  const extra = l.mode === "LSTM" ? 2 * H : l.mode === "GRU" ? H : 0; // LSTM c_{t-1}, tanh(c_t); GRU W_hn h + b_hn
  const [x, h, c, wIh, wHh, b, wHr, out] = [[T, B, In], [B, P], [B, H], [GH, In], [GH, P], [GH], [P, H], [T, B, P]];
  // One literal (no spreads): this runs for every call of a layer, and small models make thousands a second.
  return {
    x,
    h0: h,
    c0: c,
    weightIh: wIh,
    weightHh: wHh,
    biasIh: b,
    biasHh: b,
    weightHr: wHr,
    mask: [T, B, 1],
    out,
    hN: h,
    cN: c,
    saved: [T * B * (P + GH + extra)],
    dOut: out,
    dhN: h,
    dcN: c,
    dx: x,
    dh0: h,
    dc0: c,
    dWeightIh: wIh,
    dWeightHh: wHh,
    dBiasIh: b,
    dBiasHh: b,
    dWeightHr: wHr,
    dhNorms: [T],
  };
}

const SIZES = ["steps", "batch", "input", "hidden", "proj"] as const;
const LAYER_FIELDS = new Set<string>(["mode", "gates", ...SIZES, "reverse", "threads"]);
/** The arrays a call may leave null: biases (a layer without), the mask (unpacked input), dhNorms (no probe). */
const OPTIONAL = new Set<ArrayName>(["biasIh", "biasHh", "mask", "dBiasIh", "dBiasHh", "dhNorms"]);

/** Throws where a call's sizes or arrays do not fit one another (the addon checks the same again): every size a
 *  whole number from 1, each array present (or absent) as the layer needs and of the length its shape says.
 *  The message names the layer and the array. */
export function checkNativeCall(call: NativeForwardCall | NativeBackwardCall, shapes = nativeShapes(call)): void {
  const layer = `native ${call.mode} layer`;
  for (const key of SIZES) {
    const n = call[key];
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${layer}: ${key} must be a whole number from 1, got ${n}`);
  }
  const lstm = call.mode === "LSTM";
  const projected = lstm && call.proj !== call.hidden;
  const needed: Partial<Record<ArrayName, boolean>> = { c0: lstm, cN: lstm, dcN: lstm, dc0: lstm, weightHr: projected, dWeightHr: projected };
  for (const name in call) {
    if (LAYER_FIELDS.has(name)) continue;
    if (!(name in shapes)) throw new TypeError(`${layer}: unknown field '${name}'`); // a misspelt optional array would read as absent
    const array = (call as unknown as Record<ArrayName, Floats>)[name as ArrayName];
    if (needed[name as ArrayName] === false && array) throw new TypeError(`${layer}: ${name} given, but this layer has none`);
    if (!array) {
      if (needed[name as ArrayName] ?? !OPTIONAL.has(name as ArrayName)) throw new TypeError(`${layer}: ${name} missing`);
      continue;
    }
    const shape = shapes[name as ArrayName];
    const length = tf.util.sizeFromShape(shape);
    if (array.length !== length) throw new RangeError(`${layer}: ${name} has ${array.length} floats, expected [${shape.join(", ")}] = ${length}`);
  }
}

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

/** The fused step's arrays: params, grads and out, one per parameter; states[i], parameter i's state buffers
 *  (updated in place); fresh[i], whether they hold nothing yet. */
export interface NativeOptimizerArrays {
  params: Float32Array[];
  grads: Float32Array[];
  out: Float32Array[];
  states: Float32Array[][];
  fresh: boolean[];
}

/** Each entry point takes one argument structure, its fields by name. */
export interface NativeAddon {
  forward(call: NativeForwardCall): void;
  backward(call: NativeBackwardCall): void;
  /** Writes each parameter's new value into `out` and updates its state buffers in place (native/optimizer.cc). */
  optimizerStep(call: NativeOptimizer & NativeOptimizerArrays): void;
  /** threads: the default number per call; cores: the most a call may use. */
  info(): { library: string; simd: string; threads: number; cores: number };
}

/** `UNROLL_NATIVE=0` turns the native kernels off; `1` requires them (useBackend fails without them). */
export const NATIVE_ENV = "UNROLL_NATIVE";

/** `UNROLL_NATIVE_THREADS=N`: split every layer over N threads (by default as many as pay, up to 4). */
export const THREADS_ENV = "UNROLL_NATIVE_THREADS";

/** The threads $UNROLL_NATIVE_THREADS asks for, at most the machine's cores; 0 (the default) where it is unset.
 *  Anything but a whole number from 1 is ignored, with a warning (once per value). */
export function nativeThreads(value = process.env[THREADS_ENV], cores = os.availableParallelism()): number {
  if (value === undefined || value.trim() === "") return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    warnOnce(`${THREADS_ENV}=${JSON.stringify(value)} is not a whole number of threads from 1: the default is used`);
    return 0;
  }
  return Math.min(n, cores);
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message);
}

let active: NativeAddon | null = null;

/** The addon while it is in use (loaded, checked, on a backend it serves), else null. */
export function nativeKernels(): NativeAddon | null {
  return active;
}

export function setNativeKernels(addon: NativeAddon | null): void {
  active = addon;
}

/** Makes float32 tensors of `shapes` (null: none) and calls `run` with the data of `inputs` and of the new
 *  tensors, in place, by name; returns the new tensors by name. */
/** A float32 tensor's data on the wasm heap. The backend's malloc returns 0 when the heap is full and the backend
 *  does not check: every tensor made then lies at offset 0, over other data. Refused here as what it is, before a
 *  kernel writes there (the addon would refuse the overlapping arrays, less clearly). */
function heapView(backend: WasmBackend, t: TensorInfo): Float32Array {
  const values = backend.typedArrayFromHeap(t) as Float32Array; // every tensor here is float32
  if (values.byteOffset === 0 && values.length > 0) {
    throw new RangeError(`out of memory: the WebAssembly heap has no room for a tensor of shape [${t.shape.join(", ")}]`);
  }
  return values;
}

/** On the wasm heap two live tensors never share memory, unless a malloc failed (the heap is full) and what was
 *  written through its 0 corrupted the allocator: refused as out of memory before a kernel writes anywhere. */
function checkHeapIsWhole(arrays: Record<string, Floats>, outputs: Record<string, unknown>): void {
  const all = Object.entries(arrays).filter((e): e is [string, Float32Array] => e[1] !== null && e[1].length > 0);
  for (const name in outputs) {
    const a = arrays[name];
    if (!a || a.length === 0) continue;
    const clash = all.find(([other, b]) => other !== name && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength);
    if (clash) throw new RangeError(`out of memory: the WebAssembly heap gave ${name} memory that ${clash[0]} holds (an allocation failed: the heap is full)`);
  }
}

function runInPlace<I extends string, O extends string>(
  inputs: Record<I, Tensor | null>,
  shapes: Record<O, number[] | null>,
  run: (arrays: Record<I | O, Floats>) => void,
): Record<O, Tensor | null> {
  const named = <K extends string, V, W>(record: Record<K, V>, f: (v: V, k: K) => W, into: Record<string, W> = {}) => {
    for (const k in record) into[k] = f(record[k], k);
    return into as Record<K, W>;
  };
  if (tf.getBackend() === "wasm") {
    const backend = tf.backend() as unknown as WasmBackend;
    const view = (t: TensorInfo | null) => t && heapView(backend, t);
    named(inputs, view); // moves onto the heap any input still held by another backend
    const infos = named(shapes, (shape) => shape && backend.makeOutput(shape, "float32"));
    // Views only after every allocation: growing the heap detaches earlier views.
    const arrays = named(infos, view, named(inputs, view)) as Record<I | O, Floats>;
    checkHeapIsWhole(arrays, shapes);
    run(arrays);
    return named(infos, (info) => info && tf.engine().makeTensorFromTensorInfo(info));
  }
  const outputs = named(shapes, (shape) => shape && new Float32Array(tf.util.sizeFromShape(shape)));
  run(
    named(
      outputs,
      (v) => v,
      named(inputs, (t) => t && (t.dataSync() as Float32Array)),
    ) as Record<I | O, Floats>,
  );
  return named(outputs, (values, k) => values && tf.tensor(values, shapes[k]!));
}

type ForwardInputs = Record<(typeof FORWARD_INPUTS)[number], Tensor | null>;
type BackwardInputs = Record<(typeof BACKWARD_INPUTS)[number], Tensor | null>;

/** One layer's forward pass on the native kernels: output, h_n, c_n (LSTM) and what the backward pass needs. */
export function nativeForward(addon: NativeAddon, layer: NativeLayer, inputs: ForwardInputs) {
  const shapes = nativeShapes(layer);
  const lstm = layer.mode === "LSTM";
  return runInPlace(inputs, { out: shapes.out, hN: shapes.hN, cN: lstm ? shapes.cN : null, saved: shapes.saved }, (arrays) => {
    const call = Object.assign(arrays, layer);
    checkNativeCall(call, shapes);
    addon.forward(call);
  });
}

/** One layer's backward pass on the native kernels: the gradients of its inputs and weights (those of the
 *  biases where it has them), and ‖∂L/∂h_t‖ of sample 0 where `dhNorms`. */
export function nativeBackward(addon: NativeAddon, layer: NativeLayer, inputs: BackwardInputs, { biases, dhNorms }: { biases: boolean; dhNorms: boolean }) {
  const s = nativeShapes(layer);
  const lstm = layer.mode === "LSTM";
  const b = biases ? s.dBiasIh : null;
  const shapes = {
    ...{ dx: s.dx, dh0: s.dh0, dc0: lstm ? s.dc0 : null, dWeightIh: s.dWeightIh, dWeightHh: s.dWeightHh, dBiasIh: b, dBiasHh: b },
    ...{ dWeightHr: inputs.weightHr ? s.dWeightHr : null, dhNorms: dhNorms ? s.dhNorms : null },
  };
  return runInPlace(inputs, shapes, (arrays) => {
    const call = Object.assign(arrays, layer);
    checkNativeCall(call, s);
    addon.backward(call);
  });
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
  const view = (t: Tensor) => heapView(backend, t);
  const results = slots.map((s) => ({ param: allocate(s.param.shape), state: s.state ?? Array.from({ length: stateCount }, () => allocate(s.param.shape)) }));
  // Views only after every allocation: growing the heap detaches earlier views.
  addon.optimizerStep({
    ...hyper,
    params: slots.map((s) => view(s.param)),
    grads: slots.map((s) => view(s.grad)),
    out: results.map((r) => view(r.param)),
    states: results.map((r) => r.state.map(view)),
    fresh: slots.map((s) => s.state === null),
  });
  return results;
}
