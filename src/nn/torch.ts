// What `torch.*` gives in PyTorch lessons: tensor factories, seeding, printing, autograd, saving.
export { randn, rand, randint, zeros, ones, full, tensor, arange, size, Size, format, shapeString } from "./tensor";
export { manualSeed } from "./random";
export { backward, noGrad } from "./autograd";
export { loadSafetensors as load, saveSafetensors as save } from "./safetensors";
