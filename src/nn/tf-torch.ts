// The tfjs-level torch functions (what `torch.*` gave before it gave Tensors), for the tests and benches of the library's
// tfjs paths: modules, losses and kernels still take and give TensorFlow.js tensors, and these tests check them
// with the numbers they always had.
export { randn, rand, randint, zeros, ones, full, tensor, arange, size, format } from "./tensor";
export { cat, stack, argmax, max, item, transpose, t, flatten, softmax, logSoftmax } from "./functional";
export { manualSeed } from "./random";
export { backward, noGrad } from "./autograd";
