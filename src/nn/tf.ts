// The one place that loads TensorFlow.js. Everything in the library, and every user model file,
// uses this copy, so that gradients, chained ops (x.add(y)) and backends all register on it.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-backend-cpu";

// The built-in gradient of `gather` needs UnsortedSegmentSum, which the wasm backend lacks; ScatterNd
// (which sums repeated indices) gives the same result on every backend. Batched gathers keep the original.
const original = tf.getGradient("GatherV2")!;
tf.registerGradient({
  kernelName: "GatherV2",
  inputsToSave: ["x", "indices"],
  gradFunc: (dy, saved, attrs) => {
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims: number };
    if (batchDims) return original.gradFunc(dy, saved, attrs);
    const [x, indices] = saved;
    const shape = x.shape;
    const ax = axis < 0 ? axis + shape.length : axis;
    const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
    return {
      x: () => {
        const outer = size(shape.slice(0, ax));
        const inner = size(shape.slice(ax + 1));
        // dy is [outer, n, inner] with n = indices.size: scatter the n rows back along the gathered axis.
        const rows = (dy as tf.Tensor).reshape([outer, indices.size, inner]).transpose([1, 0, 2]);
        const summed = tf.scatterND(indices.reshape([-1, 1]).toInt(), rows, [shape[ax]!, outer, inner]);
        return summed.transpose([1, 0, 2]).reshape(shape);
      },
      indices: () => tf.zerosLike(indices).toFloat(),
    };
  },
});

export { tf };
export type Tensor = tf.Tensor;
export type Rank = tf.Rank;
