// What `torch.*` gives in PyTorch lessons: tensor factories and functions, seeding, printing, autograd, saving.
export { randn, rand, randint, zeros, ones, full, tensor, arange, size, Size, format, shapeString } from "./tensor";
export { cat, stack, argmax, max, item, transpose, t, flatten, softmax, logSoftmax, type ValuesIndices } from "./functional";
export { manualSeed } from "./random";
export { backward, noGrad } from "./autograd";
export { loadSafetensors as load, saveSafetensors as save } from "./safetensors";
