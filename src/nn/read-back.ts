// One read-back per training step: the loss and the L2 norm of every gradient, read together. On a GPU each
// read waits for the device, so reading them one by one costs a wait each; on the wasm backend they are read
// from views of the heap in JavaScript, with no kernel at all (a small model's norms were otherwise two kernels
// per parameter, a stack, a square root and the read, every step).
import { tf, type Tensor } from "./tf";
import type { WasmBackend } from "./wasm-kernels";

/** The value of the scalar `loss` and the L2 norm of each of `tensors` (float32), in one read. */
export function readLossAndNorms(loss: Tensor, tensors: Tensor[]): { loss: number; norms: number[] } {
  if (tf.getBackend() === "wasm" && [loss, ...tensors].every((t) => t.dtype === "float32")) return readOnHeap(loss, tensors);
  const values = tf.tidy(() => {
    const norms = tensors.map((t) => t.square().sum());
    return tf.concat([loss.reshape([1]), ...(norms.length ? [tf.stack(norms).sqrt()] : [])]).dataSync();
  });
  return { loss: values[0], norms: Array.from(values.subarray(1)) };
}

/** The same from views of the wasm heap, summed in double precision. */
function readOnHeap(loss: Tensor, tensors: Tensor[]): { loss: number; norms: number[] } {
  const backend = tf.backend() as unknown as WasmBackend;
  const norms = tensors.map((t) => {
    const values = backend.typedArrayFromHeap(t);
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
    return Math.fround(Math.sqrt(sum)); // float32, as the other backends read it
  });
  return { loss: backend.typedArrayFromHeap(loss)[0], norms };
}
