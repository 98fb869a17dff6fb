// What `torch.*` gives in PyTorch lessons: tensor factories and functions, seeding, printing, autograd, saving.
export { randn, rand, randint, zeros, ones, full, tensor, arange, size, Size, format, shapeString } from "./tensor";
export { cat, stack, argmax, max, item, transpose, t, flatten, softmax, logSoftmax, type ValuesIndices } from "./functional";
export { manualSeed } from "./random";
export { backward, noGrad } from "./autograd";
export { loadSafetensors as load, saveSafetensors as save } from "./safetensors";
// PyTorch's Tensor class (methods, autograd with loss.backward(), printing, freeing when unreachable), its dtypes,
// and the one call each way between it and TensorFlow.js: torch.fromTf(x), t.tf.
export { Tensor, Slice, slice } from "./tensor-class";
export { fromTf } from "./tensor-factories";
export { float32, float32 as float, int64, int64 as long, bool, DType } from "./dtype";
