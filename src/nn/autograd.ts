// PyTorch's `loss.backward()`, for TensorFlow.js: tfjs records gradients only while a function runs, so the
// loss is computed inside `backward(() => …)`. Gradients accumulate into each parameter's `.grad`, as in
// PyTorch, until `optimizer.zeroGrad()` clears them.
import { tf, type Tensor } from "./tf";
import { isParameter, type Parameter } from "./module";

export interface Backward {
  /** The loss, as a number. */
  loss: number;
  /** The parameters that received a gradient. */
  parameters: Parameter[];
}

/** Runs `computeLoss`, backpropagates from the scalar it returns into every parameter it used (adding to
 *  `.grad`), and returns the loss as a number. Intermediate tensors are freed. */
export function backward(computeLoss: () => Tensor): number {
  return backwardDetailed(computeLoss).loss;
}

export function backwardDetailed(computeLoss: () => Tensor): Backward {
  const variables = Object.values(tf.engine().registeredVariables).filter(isParameter);
  const { value, grads } = tf.variableGrads(() => {
    const loss = computeLoss();
    if (!(loss instanceof tf.Tensor)) throw new Error("backward(): the function must return the loss tensor");
    if (loss.rank !== 0) throw new Error(`backward(): the loss must be a scalar, got shape [${loss.shape.join(", ")}] (reduce it with .sum() or .mean())`);
    return loss as tf.Scalar;
  }, variables);
  const byName = new Map(variables.map((v) => [v.name, v]));
  const touched: Parameter[] = [];
  for (const [name, grad] of Object.entries(grads)) {
    const p = byName.get(name)!;
    const previous = p.grad;
    // Each .grad is its own handle: two parameters may receive the very same gradient tensor.
    p.grad = tf.keep(previous ? previous.add(grad) : grad.clone());
    previous?.dispose();
    touched.push(p);
  }
  for (const grad of Object.values(grads)) grad.dispose();
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, parameters: touched };
}

/** Runs `fn` without recording anything for gradients, like `with torch.no_grad():` (tfjs records only inside
 *  `backward`, so this is for readability and to free intermediate tensors). */
export function noGrad<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}
