// PyTorch's `loss.backward()`, for TensorFlow.js: tfjs records gradients only while a function runs, so the
// loss is computed inside `backward(() => …)`. Gradients accumulate into each parameter's `.grad`, as in
// PyTorch, until `optimizer.zeroGrad()` clears them.
import { tf, type Tensor } from "./tf";
import { isParameterLike, type ParameterVariable } from "./module";
import { UsageError } from "./errors";
import { show } from "./options";
import { withoutGrad } from "./graph";
import { Tensor as TorchTensor } from "./tensor-class";

export interface Backward {
  /** The loss, as a number. */
  loss: number;
  /** The parameters that received a gradient. */
  parameters: ParameterVariable[];
}

/** What the function may return to keep tensors it computed: `{ loss, ...kept }`. The kept values come back
 *  as they are, tensors included (which `backward` would otherwise free): `{ loss: number, ...kept }`. */
export type WithLoss = { loss: Tensor | TorchTensor } & Record<string, unknown>;
export type Kept<T extends WithLoss> = { loss: number } & Omit<T, "loss">;

/** Runs `computeLoss`, backpropagates from the scalar it returns into every parameter it used (adding to
 *  `.grad`), and returns the loss as a number. Intermediate tensors are freed; to keep some (the output, for a
 *  prediction), return them with the loss: `const { loss, out } = backward(() => { …; return { loss, out }; })`. */
export function backward(computeLoss: () => Tensor | TorchTensor): number;
export function backward<T extends WithLoss>(computeLoss: () => T): Kept<T>;
export function backward(computeLoss: () => Tensor | TorchTensor | WithLoss): number | Kept<WithLoss> {
  const { loss, kept } = backwardDetailed(computeLoss);
  return kept ? { ...kept, loss } : loss;
}

export function backwardDetailed(computeLoss: () => Tensor | TorchTensor | WithLoss): Backward & { kept?: Record<string, unknown> } {
  const { loss, parameters, kept } = backwardUnread(computeLoss);
  const value = loss.dataSync()[0];
  if (!containsTensor(kept, loss)) loss.dispose();
  return { loss: value, parameters, kept };
}

/** `backward` that leaves the loss unread: its scalar tensor comes back (the caller disposes it, or a tidy around
 *  the call does), so that a training loop reads it together with other values in one read-back per step (on a
 *  GPU each read waits for the device). */
export function backwardUnread(computeLoss: () => Tensor | TorchTensor | WithLoss): {
  loss: tf.Scalar;
  parameters: ParameterVariable[];
  kept?: Record<string, unknown>;
} {
  const variables = Object.values(tf.engine().registeredVariables).filter((v) => isParameterLike(v) && v.trainable) as ParameterVariable[];
  if (!variables.length) throw new UsageError("backward(): there are no parameters to backpropagate into: create the model before calling backward()");
  // Tensor ids only grow: a loss with an id below this one existed before the function ran.
  const mark = tf.scalar(0);
  const firstId = mark.id;
  mark.dispose();
  let kept: Record<string, unknown> | undefined;
  const { value, grads } = tf.engine().gradients(
    () => {
      const result = computeLoss();
      if (result instanceof tf.Tensor || result instanceof TorchTensor) return checkLoss(tfOf(result));
      if (result !== null && typeof result === "object" && !Array.isArray(result) && (result.loss instanceof tf.Tensor || result.loss instanceof TorchTensor)) {
        const { loss, ...rest } = result;
        kept = rest;
        keepTensors(rest);
        return checkLoss(tfOf(loss));
      }
      throw new UsageError(`backward(): the function must return the loss tensor, or { loss, ...tensors to keep }; it returned ${show(result)}`);
    },
    variables,
    undefined,
    true,
  );
  if (grads.every((g) => g == null)) {
    const before = value.id < firstId;
    if (!before) value.dispose();
    throw new UsageError(
      before
        ? "backward(): the loss was computed before backward() ran, so no gradient was recorded. TensorFlow.js records the operations only while the function runs: compute the loss inside it, backward(() => criterion.forward(model.forward(x), y)), not const loss = …; backward(() => loss)"
        : "backward(): the loss does not depend on any parameter: compute it from the model's output inside the function, backward(() => criterion.forward(model.forward(x), y))",
    );
  }
  const touched: ParameterVariable[] = [];
  const adopted = new Set<Tensor>(); // gradients that became a .grad as they are (no copy)
  variables.forEach((p, i) => {
    const grad = grads[i];
    if (!grad) return;
    const previous = p.grad;
    // Each .grad is its own handle: two parameters may receive the very same gradient tensor.
    const adopt = !previous && !adopted.has(grad);
    if (adopt) adopted.add(grad);
    p.grad = tf.keep(previous ? previous.add(grad) : adopt ? grad : grad.clone());
    previous?.dispose();
    touched.push(p);
  });
  for (const grad of grads) if (grad && !adopted.has(grad)) grad.dispose();
  return { loss: value, parameters: touched, kept };
}

const tfOf = (t: Tensor | TorchTensor): Tensor => (t instanceof TorchTensor ? t.tf : t);

function checkLoss(loss: Tensor): tf.Scalar {
  if (loss.rank !== 0) throw new UsageError(`backward(): the loss must be a scalar, got shape [${loss.shape.join(", ")}] (reduce it with .sum() or .mean())`);
  return loss as tf.Scalar;
}

/** tf.keep on every tensor in `value` (arrays and plain objects, at any depth). */
function keepTensors(value: unknown): void {
  if (value instanceof tf.Tensor) tf.keep(value);
  else if (value instanceof TorchTensor) tf.keep(value.tf);
  else if (Array.isArray(value)) value.forEach(keepTensors);
  else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(keepTensors);
}

function containsTensor(value: unknown, tensor: Tensor): boolean {
  if (value === tensor || (value instanceof TorchTensor && value.tf === tensor)) return true;
  if (value instanceof TorchTensor) return false;
  if (Array.isArray(value)) return value.some((v) => containsTensor(v, tensor));
  return value !== null && typeof value === "object" && !(value instanceof tf.Tensor) && Object.values(value).some((v) => containsTensor(v, tensor));
}

/** Runs `fn` without recording anything for gradients, like `with torch.no_grad():`: Tensors computed inside
 *  do not require grad, and the tfjs tensors it made and does not return are freed. */
export function noGrad<T>(fn: () => T): T {
  return withoutGrad(() => tf.tidy(fn as () => tf.TensorContainer) as T); // a Tensor keeps its own tensor (memory.ts)
}
