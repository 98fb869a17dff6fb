// The GPU memory a run holds, for the explorer: what TensorFlow.js's WebGPU backend counts in its buffer manager
// (on that backend tf.memory() adds numBytesInGPU and numBytesAllocatedInGPU: counters kept on the CPU, so
// reading them costs no round trip to the GPU). The fused recurrent kernels allocate through the same manager.
import { tf } from "unroll";
import { isGpuMemory, type GpuMemory } from "../common/protocol";

/** `{ gpuMemory }` for a step line on the WebGPU backend; `{}` on any other backend, or when it reports none. */
export function gpuMemoryField(): { gpuMemory?: GpuMemory } {
  if (tf.getBackend() !== "webgpu") return {};
  const { numBytesInGPU, numBytesAllocatedInGPU } = tf.memory() as { numBytesInGPU?: unknown; numBytesAllocatedInGPU?: unknown };
  const gpuMemory = { inUse: numBytesInGPU, allocated: numBytesAllocatedInGPU };
  return isGpuMemory(gpuMemory) ? { gpuMemory } : {};
}
