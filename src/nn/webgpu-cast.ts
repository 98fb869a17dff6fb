// A fix for TensorFlow.js's WebGPU backend (4.22): its Cast kernel turns int32 and bool into float32 by sharing the
// input's buffer ("no precision is lost", as on WebGL, where every texture holds floats). On WebGPU that buffer
// holds i32: the next program reading the float32 tensor declares it array<i32> and its shader does not compile,
// and the whole batch of commands submitted with it is dropped, so every op in that batch gives zeros. A one-hot
// input (`tf.oneHot(…).toFloat()`, lesson 05b) made the first training step's loss ln 4 and training diverge.
// This Cast converts them with one program instead; every other cast stays tfjs's.
import { tf } from "./tf";

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: "float32"): TensorInfo;
}

const WORKGROUP = 64;

/** out[i] = f32(A[i]) over a flat tensor (bool is stored as i32 too). */
class ToFloatProgram {
  variableNames = ["A"];
  outputShape: number[];
  shaderKey = "unroll_tofloat";
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  size = true; // tfjs adds `uniforms.size`, the output's element count
  constructor(size: number) {
    this.outputShape = [size];
    this.dispatch = [Math.ceil(size / WORKGROUP), 1, 1]; // tfjs spreads it over y past the adapter's limit
  }
  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) { setOutputAtIndex(index, f32(A[index])); }
      }`;
  }
}

let registered = false;

/** Replaces the webgpu backend's Cast for int32/bool → float32 (once; the backend must be registered). */
export function registerWebGPUCast(): void {
  if (registered) return;
  const config = tf.getKernel("Cast", "webgpu");
  if (!config) return;
  registered = true;
  const original = config.kernelFunc;
  const kernelFunc = ((args: { inputs: { x: TensorInfo }; backend: WebGPUBackendLike; attrs: { dtype: string } }) => {
    const { x } = args.inputs;
    if (args.attrs.dtype !== "float32" || (x.dtype !== "int32" && x.dtype !== "bool")) return original(args as never);
    const size = x.shape.reduce((a, b) => a * b, 1);
    const flat = { dataId: x.dataId, shape: [size], dtype: x.dtype };
    const out = args.backend.runWebGPUProgram(new ToFloatProgram(size), [flat], "float32");
    return { dataId: out.dataId, shape: x.shape, dtype: "float32" };
  }) as unknown as tf.KernelFunc;
  tf.unregisterKernel("Cast", "webgpu");
  tf.registerKernel({ ...config, kernelFunc });
}
