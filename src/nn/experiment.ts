// What a model file exports to be trained by `unroll train` (or "Unroll: Train Model"):
//
//   export default defineExperiment({
//     epochs: 50,
//     model: () => new Net(),
//     data: () => ({ train: [[x, y]] }),
//     loss: () => new nn.CrossEntropyLoss(),
//     optimizer: (params) => new optim.Adam(params, { lr: 0.1 }),
//     evaluate: (model) => ({ predicted: decode(model.forward(x)) }),
//   });
//
// The runner does what a PyTorch training loop does, for every batch of every epoch:
// zeroGrad, loss = lossFn(model.forward(input), target), backward, (clip), step; then the scheduler.
import type { Tensor } from "./tf";
import type { Module, Parameter } from "./module";
import type { Optimizer } from "./optim";

/** Per-epoch metrics: numbers, strings, or scalar tensors (their number is recorded). */
export type Metrics = Record<string, number | string | Tensor>;

/** One batch: what `model.forward` takes (a tensor, a PackedSequence, anything) and the target. */
export type Batch<I = unknown> = [input: I, target: Tensor];

export interface ExperimentData<I = unknown> {
  /** The training batches (a function is called again each epoch, e.g. to shuffle). */
  train: Batch<I>[] | (() => Iterable<Batch<I>>);
  /** Held-out batches, for `evaluate`. */
  test?: Batch<I>[];
}

export type LossFunction = ((output: never, target: Tensor) => Tensor) | { forward(output: never, target: Tensor): Tensor };

export interface StepContext<M extends Module, I> {
  model: M;
  batch: Batch<I>;
  loss: (output: unknown, target: Tensor) => Tensor;
  epoch: number;
}

export interface Experiment<M extends Module = Module, I = unknown> {
  /** Shown in the run list (default: the file name). */
  name?: string;
  epochs: number;
  model: () => M;
  data: () => ExperimentData<I> | Promise<ExperimentData<I>>;
  loss: () => LossFunction;
  optimizer: (parameters: Parameter[]) => Optimizer;
  /** Called once per epoch after the last batch, like `scheduler.step()`. */
  scheduler?: (optimizer: Optimizer) => { step(): void };
  /** Clip the gradients to this total norm before each step. */
  clipGradNorm?: number;
  /** A custom forward for one batch that returns the loss tensor (RNNCell loops, seq2seq decoding). */
  step?: (context: StepContext<M, I>) => Tensor;
  /** After each epoch: metrics to show (accuracy, the predicted string, …). Runs without gradients. */
  evaluate?: (model: M, data: ExperimentData<I>) => Metrics | Promise<Metrics>;
  /** The input whose recurrent dynamics are recorded (default: the first training batch); sample 0 is shown. */
  sample?: (data: ExperimentData<I>) => Batch<I>;
  /** Shape traces (hovers, `unroll trace`) run one training step's forward and loss on an example batch: by
   *  default `sample(data())`, else the first training batch of `data()`. When `data()` is costly, give a small
   *  batch here instead: `trace: { batch: () => [torch.randn([2, 7, 4]), torch.tensor([0, 1])] }`. */
  trace?: { batch?: () => Batch<I> };
  /** Your own hyperparameters, recorded with the run beside the optimizer's and shown in the Runs table to compare
   *  runs: `hparams: { hiddenSize: 100, dropout: 0.2 }`. Numbers, strings and booleans. */
  hparams?: Record<string, number | string | boolean>;
}

/** Types an experiment (it returns its argument): `export default defineExperiment({ … })`. */
export function defineExperiment<M extends Module, I = unknown>(experiment: Experiment<M, I>): Experiment<M, I> {
  return experiment;
}
