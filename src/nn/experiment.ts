// What a model file exports to be trained by `unroll train` (or "Unroll: Train Model"):
//
//   export default defineExperiment({
//     epochs: 50,
//     hparams: { lr: 0.1, hidden: 32 },             // `unroll train f.ts --set lr=0.03` overrides them
//     model: ({ hidden }) => new Net(hidden),
//     data: () => ({ train: [[x, y]] }),
//     loss: () => new nn.CrossEntropyLoss(),
//     optimizer: (params, { lr }) => new optim.Adam(params, { lr }),
//     evaluate: (model) => ({ predicted: decode(model.forward(x)) }),
//     goals: { predictedRight: "max" },             // which way a metric is better (default: guessed from its name)
//   });
//
// The runner does what a PyTorch training loop does, for every batch of every epoch:
// zeroGrad, loss = lossFn(model.forward(input), target), backward, (clip), step; then the scheduler.
import type { Tensor as TfTensor } from "./tf";
import type { Tensor as TorchTensor } from "./tensor-class";
import type { Module, Parameter } from "./module";

/** Experiments take and give Tensors, or TensorFlow.js tensors (the runner unwraps either). */
type Tensor = TorchTensor | TfTensor;
import type { Optimizer } from "./optim";

/** Per-epoch metrics: numbers, strings, or scalar tensors (their number is recorded). */
export type Metrics = Record<string, number | string | Tensor>;

/** One batch: what `model.forward` takes (a tensor, a PackedSequence, anything) and the target. */
export type Batch<I = unknown> = [input: I, target: TargetOf<I>];

/** A batch's target: a tfjs tensor beside a tfjs input, else a Tensor (beside a Tensor, a PackedSequence, an object). */
type TargetOf<I> = I extends TfTensor ? TfTensor : TorchTensor;

export interface ExperimentData<I = unknown> {
  /** The training batches (a function is called again each epoch, e.g. to shuffle). */
  train: Batch<I>[] | (() => Iterable<Batch<I>>);
  /** Held-out batches, for `evaluate`. */
  test?: Batch<I>[];
}

export type LossFunction = ((output: never, target: never) => Tensor) | { forward(output: never, target: never): Tensor };

export interface StepContext<M extends Module, I> {
  model: M;
  batch: Batch<I>;
  /** The experiment's loss: a Tensor for a Tensor output (a tfjs tensor for a tfjs one). */
  loss: { (output: TorchTensor, target: Tensor): TorchTensor; (output: unknown, target: Tensor): Tensor };
  epoch: number;
}

/** An experiment's hyperparameters: numbers, strings and booleans by name. */
export type Hparams = Record<string, number | string | boolean>;

/** What `evaluate` is told besides the model and the data. */
export interface EvaluateContext<H extends Hparams = Hparams> {
  /** The epoch just trained, from 1. */
  epoch: number;
  /** The hyperparameters of the run (the declared ones with the overrides applied). */
  hparams: H;
}

export interface Experiment<M extends Module = Module, I = unknown, H extends Hparams = Hparams> {
  /** Shown in the run list (default: the file name). */
  name?: string;
  epochs: number;
  /** Makes the model; `hparams` are the run's (declared, with `--set` overrides applied). */
  model: (hparams: H) => M;
  data: (hparams: H) => ExperimentData<I> | Promise<ExperimentData<I>>;
  loss: () => LossFunction;
  optimizer: (parameters: Parameter[], hparams: H) => Optimizer;
  /** Called once per epoch after the last batch, like `scheduler.step()`. */
  scheduler?: (optimizer: Optimizer) => { step(): void };
  /** Clip the gradients to this total norm before each step. */
  clipGradNorm?: number;
  /** A custom forward for one batch that returns the loss (a Tensor, or a tfjs tensor): RNNCell loops, seq2seq. */
  step?: (context: StepContext<M, I>) => Tensor;
  /** After each epoch: metrics to show (accuracy, the predicted string, …). Runs without gradients. */
  evaluate?: (model: M, data: ExperimentData<I>, context: EvaluateContext<H>) => Metrics | Promise<Metrics>;
  /** The input whose recurrent dynamics are recorded (default: the first training batch); sample 0 is shown. */
  sample?: (data: ExperimentData<I>) => Batch<I>;
  /** The label of each time step of that sample's first sequence (its tokens: `["h", "e", "l", "l"]`), null where it
   *  is padding: the Dynamics tab writes them along its time axis and marks the padding. */
  sampleTokens?: (sample: Batch<I>) => readonly (string | null)[];
  /** Shape traces (hovers, `unroll trace`) run one training step's forward and loss on an example batch: by
   *  default `sample(data())`, else the first training batch of `data()`. When `data()` is costly, give a small
   *  batch here instead: `trace: { batch: () => [torch.randn([2, 7, 4]), torch.tensor([0, 1])] }`. */
  trace?: { batch?: () => Batch<I> };
  /** Your own hyperparameters, given to `model`, `optimizer`, `data` and `evaluate`, recorded with the run beside the
   *  optimizer's and shown in the Runs table to compare runs: `hparams: { hiddenSize: 100, dropout: 0.2 }`. Numbers,
   *  strings and booleans; `unroll train f.ts --set hiddenSize=64` overrides one (a whole number takes whole numbers). */
  hparams?: H;
  /** Which way each metric is better, "min" or "max": `goals: { acc: "max", rmse: "min" }`. The best value of each
   *  metric is kept by it; a metric without a goal is guessed from its name (loss, error, perplexity: "min"). */
  goals?: Record<string, "min" | "max">;
}

/** Types an experiment (it returns its argument): `export default defineExperiment({ … })`. */
export function defineExperiment<M extends Module, I = unknown, H extends Hparams = Hparams>(experiment: Experiment<M, I, H>): Experiment<M, I, H> {
  return experiment;
}
