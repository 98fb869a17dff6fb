// What `torch.optim.*` gives.
export { SGD, Adam, AdamW, RMSprop, type Optimizer, type SGDOptions, type AdamOptions, type RMSpropOptions } from "./optim";
export * as lrScheduler from "./lr-scheduler";
