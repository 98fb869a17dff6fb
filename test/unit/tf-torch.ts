// The tfjs-level torch functions (what `torch.*` gave before it gave Tensors), for the tests of the library's
// tfjs paths: modules, losses and kernels still take and give TensorFlow.js tensors, and these tests check them
// with the numbers they always had.
export { randn, rand, randint, zeros, ones, full, tensor, arange, size, format } from "../../src/nn/tensor";
export { cat, stack, argmax, max, item, transpose, t, flatten, softmax, logSoftmax } from "../../src/nn/functional";
export { manualSeed } from "../../src/nn/random";
export { backward, noGrad } from "../../src/nn/autograd";
