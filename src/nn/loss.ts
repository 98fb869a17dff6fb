// Losses with PyTorch's semantics: reductions, ignore_index, and K-dimensional inputs `[N, C, d1, …]`.
import { tf, type Tensor } from "./tf";
import { Module } from "./module";
import { indexValues, mean, reshapeTo, sum, type CustomGradient } from "./ops";
import { crossEntropyOnHeap, scaledOnHeap } from "./wasm-kernels";
import { ShapeError } from "./errors";
import { shapeString } from "./tensor";
import { checkOptions, integer, rule, show, type Check } from "./options";
import { tfLevel } from "./boundary";
import { Tensor as TorchTensor } from "./tensor-class";

/** What a loss called with Tensors may be given; the boundary (boundary.ts) hands its body tfjs tensors. */
type Given = Tensor | TorchTensor;

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  reduction?: Reduction;
}

export interface NLLLossOptions extends LossOptions {
  /** Targets equal to it add nothing to the loss (PyTorch's ignore_index, -100 by default). */
  ignoreIndex?: number;
}

const reduction = rule(
  (v) => v === "mean" || v === "sum" || v === "none",
  (v) => `${show(v)} is not a valid value for reduction: choose 'mean', 'sum' or 'none'`,
);

abstract class Loss extends Module {
  readonly reduction: Reduction;
  /** `options` may be the reduction alone: `new nn.MSELoss("sum")`. `checks` are the subclass's options. */
  constructor(options: Reduction | LossOptions = {}, checks: Record<string, Check> = { reduction }) {
    super();
    const o = typeof options === "string" ? { reduction: options } : options;
    this.reduction = checkOptions<LossOptions>(this.constructor.name, o, checks as { reduction: Check }).reduction ?? "mean";
  }

  protected reduce(losses: Tensor): Tensor {
    return this.reduction === "none" ? losses : this.reduction === "sum" ? sum(losses) : mean(losses);
  }

  abstract override forward(input: Tensor, target: Tensor): Tensor;
  abstract override forward(input: TorchTensor, target: Given): TorchTensor;
}

/** `[N, C, d1, …]` or `[C]` as a `[rows, C]` table, classes last (tfjs's softmax works on the last axis only). */
function classRows(input: Tensor): Tensor {
  if (input.rank <= 2) return reshapeTo(input, [input.rank === 2 ? input.shape[0] : 1, input.shape[input.rank - 1]!]);
  const axes = [0, ...input.shape.slice(2).map((_, i) => i + 2), 1];
  // An empty input has nothing to move, and wasm's Transpose divides by zero on it.
  return (input.size ? input.transpose(axes) : input).reshape([-1, input.shape[1]!]);
}

/** Negative log likelihood of class indices, from log-probabilities `[N, C, …]` or `[C]`. */
export class NLLLoss extends Loss {
  readonly ignoreIndex: number;
  constructor(options: NLLLossOptions = {}) {
    super(options, { ignoreIndex: integer, reduction });
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }

  override forward(input: Tensor, target: Tensor): Tensor;
  override forward(input: TorchTensor, target: Given): TorchTensor;
  override forward(given: Given, givenTarget: Given): Given {
    const [input, target] = [given as Tensor, givenTarget as Tensor];
    return this.nll(input, classRows(input), target);
  }

  /** The loss from `logp`, the log-probabilities of `input` as a `[rows, C]` table. */
  protected nll(input: Tensor, logp: Tensor, target: Tensor): Tensor {
    const t = indexTensor(this.targetValues(input, logp.shape[1]!, target));
    const weight = rowWeights(t, this.ignoreIndex);
    const losses = logp.mul(tf.oneHot(t, logp.shape[1]!).toFloat()).sum(1).neg().mul(weight);
    // An empty batch, or one whose targets are all ignored, is 0 / 0: NaN, as in PyTorch.
    if (this.reduction === "mean") return sum(losses).div(sum(weight));
    return this.reduce(losses.reshape(target.shape));
  }

  /** The targets, one class index per row of the `[rows, classes]` table, checked against `input`'s shape and
   *  read once (no kernel). */
  protected targetValues(input: Tensor, classes: number, target: Tensor): ArrayLike<number> {
    const name = this.constructor.name;
    const expected = input.rank === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
    if (!tf.util.arraysEqual(target.shape, expected)) {
      throw new ShapeError(
        name,
        "target",
        target.shape,
        `expected ${shapeString(expected)}: input ${shapeString(input.shape)} has the classes in dimension ${input.rank === 1 ? 0 : 1}`,
        { shape: expected },
      );
    }
    return indexValues(target, `${name} target`, classes, this.ignoreIndex);
  }
}

/** Class indices as a `[rows]` int32 tensor, made from their values (no kernel). */
const indexTensor = (values: ArrayLike<number>) => tf.tensor1d(Int32Array.from(values), "int32");

/** Each row's weight: 1, or 0 where the target is `ignoreIndex`. */
const rowWeights = (t: Tensor, ignoreIndex: number) => t.notEqual(ignoreIndex).toFloat();

/** log_softmax over the classes, then NLLLoss. */
export class CrossEntropyLoss extends NLLLoss {
  override forward(input: Tensor, target: Tensor): Tensor;
  override forward(input: TorchTensor, target: Given): TorchTensor;
  override forward(given: Given, givenTarget: Given): Given {
    const [input, target] = [given as Tensor, givenTarget as Tensor];
    const rows = classRows(input);
    if (!rows.size) return this.nll(input, tf.logSoftmax(rows), target);
    const losses = crossEntropy(rows, this.targetValues(input, rows.shape[1]!, target), this.ignoreIndex, this.reduction);
    return this.reduction === "none" ? reshapeTo(losses, target.shape) : losses;
  }
}

/** log_softmax and the weighted negative log likelihood of the targets as one op, reduced, whose gradient is one
 *  expression, (softmax − one-hot) × weight (÷ the total weight for a mean). Why: as separate ops under the
 *  tape, the loss of a small model cost more kernels, each with its fixed overhead, than its recurrent layer.
 *  On the wasm backend the loss and its gradient come from one pass over the heap (wasm-kernels.ts): no kernel
 *  at all, and the gradient waits for the backward pass as a plain array, not a saved tensor. */
function crossEntropy(rows: Tensor, targets: ArrayLike<number>, ignoreIndex: number, reduction: Reduction): Tensor {
  const perRow = reduction === "none";
  const op = tf.customGrad(((logits: Tensor, save: tf.GradSaveFunc) => {
    if (tf.getBackend() === "wasm") {
      const { value, grad } = crossEntropyOnHeap(logits, targets, ignoreIndex, reduction);
      return { value, gradFunc: (dy: Tensor) => scaledOnHeap(grad, logits.shape, dy) };
    }
    const { value, grad } = crossEntropyOps(logits, indexTensor(targets), ignoreIndex, reduction);
    save([grad]);
    return { value, gradFunc: (dy: Tensor, [g]: Tensor[]) => g.mul(perRow ? dy.reshape([-1, 1]) : dy) };
  }) as unknown as CustomGradient);
  // Named as PyTorch names the loss's node (grad_fn=<NllLossBackward0>): a custom op takes its scope's name.
  return tf.tidy("NllLoss", () => op(rows) as Tensor);
}

/** The loss and its gradient for an upstream gradient of 1, in tfjs ops. */
function crossEntropyOps(logits: Tensor, t: Tensor, ignoreIndex: number, reduction: Reduction): { value: Tensor; grad: Tensor } {
  const weight = rowWeights(t, ignoreIndex);
  const logp = tf.logSoftmax(logits);
  const oneHot = tf.oneHot(t, logits.shape[1]!).toFloat();
  const losses = logp.mul(oneHot).sum(1).neg().mul(weight);
  // An empty batch, or one whose targets are all ignored, is 0 / 0: NaN, as in PyTorch.
  const total = weight.sum();
  const scale = reduction === "mean" ? weight.div(total) : weight;
  const grad = tf
    .exp(logp)
    .sub(oneHot)
    .mul(scale.reshape([-1, 1]));
  return { value: reduction === "mean" ? losses.sum().div(total) : reduction === "sum" ? losses.sum() : losses, grad };
}

export class MSELoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor;
  override forward(input: TorchTensor, target: Given): TorchTensor;
  override forward(given: Given, givenTarget: Given): Given {
    const [input, target] = [given as Tensor, givenTarget as Tensor];
    if (!tf.util.arraysEqual(input.shape, target.shape)) {
      throw new ShapeError("MSELoss", "target", target.shape, `expected the input's shape ${shapeString(input.shape)}`, { shape: input.shape });
    }
    return this.reduce(tf.squaredDifference(input, target));
  }
}

/** Binary cross-entropy on logits, computed stably: max(x, 0) - x*y + log(1 + exp(-|x|)). */
export class BCEWithLogitsLoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor;
  override forward(input: TorchTensor, target: Given): TorchTensor;
  override forward(given: Given, givenTarget: Given): Given {
    const [input, target] = [given as Tensor, givenTarget as Tensor];
    if (!tf.util.arraysEqual(input.shape, target.shape)) {
      throw new ShapeError("BCEWithLogitsLoss", "target", target.shape, `expected the input's shape ${shapeString(input.shape)}`, { shape: input.shape });
    }
    const losses = tf
      .relu(input)
      .sub(input.mul(target))
      .add(tf.log1p(tf.exp(input.abs().neg())));
    return this.reduce(losses);
  }
}

// Their forward computes on tfjs tensors: called with Tensors, they unwrap and wrap once (boundary.ts).
tfLevel(NLLLoss, CrossEntropyLoss, MSELoss, BCEWithLogitsLoss);
