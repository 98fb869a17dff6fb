// Losses with PyTorch's semantics: reductions, ignore_index, and K-dimensional inputs `[N, C, d1, …]`.
import { tf, type Tensor } from "./tf";
import { Module } from "./module";
import { asIndices, mean, sum, type CustomGradient } from "./ops";
import { ShapeError } from "./errors";
import { shapeString } from "./tensor";
import { checkOptions, integer, rule, show, type Check } from "./options";

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
}

/** `[N, C, d1, …]` or `[C]` as a `[rows, C]` table, classes last (tfjs's softmax works on the last axis only). */
function classRows(input: Tensor): Tensor {
  if (input.rank <= 2) return input.reshape([-1, input.shape[input.rank - 1]!]);
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

  override forward(input: Tensor, target: Tensor): Tensor {
    return this.nll(input, classRows(input), target);
  }

  /** The loss from `logp`, the log-probabilities of `input` as a `[rows, C]` table. */
  protected nll(input: Tensor, logp: Tensor, target: Tensor): Tensor {
    const { t, weight } = this.targets(input, logp.shape[1]!, target);
    const losses = logp.mul(tf.oneHot(t, logp.shape[1]!).toFloat()).sum(1).neg().mul(weight);
    // An empty batch, or one whose targets are all ignored, is 0 / 0: NaN, as in PyTorch.
    if (this.reduction === "mean") return sum(losses).div(sum(weight));
    return this.reduce(losses.reshape(target.shape));
  }

  /** The targets as one class index per row of the `[rows, classes]` table, checked against `input`'s shape,
   *  and each row's weight (0 where the target is `ignoreIndex`). */
  protected targets(input: Tensor, classes: number, target: Tensor): { t: Tensor; weight: Tensor } {
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
    const t = asIndices(target, `${name} target`, classes, this.ignoreIndex).reshape([-1]);
    return { t, weight: t.notEqual(this.ignoreIndex).toFloat() };
  }
}

/** log_softmax over the classes, then NLLLoss. */
export class CrossEntropyLoss extends NLLLoss {
  override forward(input: Tensor, target: Tensor): Tensor {
    const rows = classRows(input);
    if (!rows.size) return this.nll(input, tf.logSoftmax(rows), target);
    const { t, weight } = this.targets(input, rows.shape[1]!, target);
    const losses = crossEntropy(rows, t, weight, this.reduction);
    return this.reduction === "none" ? losses.reshape(target.shape) : losses;
  }
}

/** log_softmax and the weighted negative log likelihood of `t` as one op, reduced, whose gradient is one
 *  expression, (softmax − one-hot) × weight (÷ the total weight for a mean). Why: as separate ops under the
 *  tape, the loss of a small model cost more kernels, each with its fixed overhead, than its recurrent layer. */
function crossEntropy(rows: Tensor, t: Tensor, weight: Tensor, reduction: Reduction): Tensor {
  const op = tf.customGrad(((logits: Tensor, save: tf.GradSaveFunc) => {
    const logp = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(t, logits.shape[1]!).toFloat();
    const losses = logp.mul(oneHot).sum(1).neg().mul(weight);
    // An empty batch, or one whose targets are all ignored, is 0 / 0: NaN, as in PyTorch.
    const total = weight.sum();
    const scale = reduction === "mean" ? weight.div(total) : weight;
    save([
      tf
        .exp(logp)
        .sub(oneHot)
        .mul(scale.reshape([-1, 1])),
    ]);
    const value = reduction === "mean" ? losses.sum().div(total) : reduction === "sum" ? losses.sum() : losses;
    return { value, gradFunc: (dy: Tensor, [grad]: Tensor[]) => grad.mul(reduction === "none" ? dy.reshape([-1, 1]) : dy) };
  }) as unknown as CustomGradient);
  return op(rows) as Tensor;
}

export class MSELoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    if (!tf.util.arraysEqual(input.shape, target.shape)) {
      throw new ShapeError("MSELoss", "target", target.shape, `expected the input's shape ${shapeString(input.shape)}`, { shape: input.shape });
    }
    return this.reduce(tf.squaredDifference(input, target));
  }
}

/** Binary cross-entropy on logits, computed stably: max(x, 0) - x*y + log(1 + exp(-|x|)). */
export class BCEWithLogitsLoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
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
