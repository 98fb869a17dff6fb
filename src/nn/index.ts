// The library user model files import as "unroll":
//   import { torch, nn, optim } from "unroll";
// Tensors are PyTorch's (`torch.Tensor`, methods, autograd, printing); `tf` is the library's copy of
// TensorFlow.js, for any op not wrapped here: `x.tf` is a Tensor's tfjs tensor, `torch.fromTf(t)` the way back.
export { tf } from "./tf";
export { Tensor } from "./tensor-class";
export * as torch from "./torch";
export * as nn from "./nn";
export * as optim from "./optim-ns";
export { backward, backwardUnread, noGrad } from "./autograd";
export { readLossAndNorms } from "./read-back";
export { scaleGradients } from "./optim";
export { manualSeed } from "./random";
export { collectIfGrown, collectNow } from "./memory"; // the runner frees what a step left unreachable before it counts or measures
export { useBackend, backendReport, BACKENDS, BACKEND_ENV, type BackendName, type BackendChoice, type BackendReport } from "./backend";
export { webgpuAdapter, type AdapterInfo } from "./webgpu";
export { loadSafetensors, saveSafetensors, parseSafetensors, serializeSafetensors } from "./safetensors";
export { PackedSequence, packPaddedSequence, padPackedSequence, padSequence, type TensorPackedSequence } from "./packed";
export { setTraceObserver, type TraceObserver, type TraceNames } from "./trace-hooks";
export {
  defineExperiment,
  type Experiment,
  type ExperimentData,
  type Batch,
  type Metrics,
  type StepContext,
  type Hparams,
  type EvaluateContext,
} from "./experiment";
export { recordDynamics, type DynamicsRecord } from "./dynamics-hooks";
export { show as showValue } from "./options"; // values in messages, as the library's own show them (the runner's)
