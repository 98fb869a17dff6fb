// What `torch.*` gives in PyTorch lessons: tensor factories and functions on PyTorch's Tensor class (methods,
// autograd with loss.backward(), printing, freeing when unreachable), seeding, saving. The functions take
// Tensors or TensorFlow.js tensors and give Tensors; the one call each way between the two: torch.fromTf(x), t.tf.
export {
  randn,
  rand,
  randint,
  zeros,
  ones,
  full,
  tensor,
  arange,
  eye,
  zerosLike,
  onesLike,
  randnLike,
  randLike,
  fullLike,
  cat,
  stack,
  split,
  chunk,
  argmax,
  max,
  min,
  item,
  transpose,
  t,
  flatten,
  softmax,
  logSoftmax,
  size,
  format,
  fromTf,
  type TensorOptions,
  type TensorData,
} from "./tensor-factories";
export { Size, shapeString } from "./tensor";
export { type ValuesIndices } from "./tensor-class";
export { manualSeed } from "./random";
export { backward, noGrad } from "./autograd";
export { load, save } from "./safetensors";
export { Tensor, Slice, slice } from "./tensor-class";
export { float32, float32 as float, int64, int64 as long, bool, DType } from "./dtype";
