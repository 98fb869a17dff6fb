// Initialisation with PyTorch's distributions (torch.nn.init), drawn from the library's seeded generator.
// The `_` functions fill a parameter in place, as PyTorch's do.
import { tf, type Tensor } from "./tf";
import { normalArray, uniformArray } from "./random";

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function uniform(shape: number[], low: number, high: number): Tensor {
  return tf.tensor(uniformArray(count(shape), low, high), shape, "float32");
}

export function normal(shape: number[], mean = 0, std = 1): Tensor {
  return tf.tensor(normalArray(count(shape), mean, std), shape, "float32");
}

/** fan_in and fan_out as PyTorch computes them for a weight `[out, in, *receptive]`. */
export function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 2) throw new Error("fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions");
  const receptive = count(shape.slice(2));
  return [shape[1] * receptive, shape[0] * receptive];
}

/** What the `_` functions fill: a Parameter (`model.fc.weight`, whose `.tf` is its variable) or a tf.Variable. */
type Fillable = tf.Variable | { readonly tf: tf.Variable };

/** Assigns `values` to `p` in place and returns `p`, as PyTorch's init functions return the tensor they filled. */
function fill<P extends Fillable>(p: P, values: (shape: number[]) => Tensor): P {
  const variable = p instanceof tf.Variable ? p : p.tf;
  const t = values(variable.shape);
  variable.assign(t);
  t.dispose(); // the variable holds its own reference to the values
  return p;
}
const shapeOf = (p: Fillable): number[] => (p instanceof tf.Variable ? p : p.tf).shape;

export const uniform_ = <P extends Fillable>(p: P, a = 0, b = 1): P => fill(p, (shape) => uniform(shape, a, b));
export const normal_ = <P extends Fillable>(p: P, mean = 0, std = 1): P => fill(p, (shape) => normal(shape, mean, std));
export const constant_ = <P extends Fillable>(p: P, value: number): P => fill(p, (shape) => tf.fill(shape, value));
export const zeros_ = <P extends Fillable>(p: P): P => constant_(p, 0);
export const ones_ = <P extends Fillable>(p: P): P => constant_(p, 1);

export function xavierUniform_<P extends Fillable>(p: P, gain = 1): P {
  const [fanIn, fanOut] = fans(shapeOf(p));
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(p, -a, a);
}

export function xavierNormal_<P extends Fillable>(p: P, gain = 1): P {
  const [fanIn, fanOut] = fans(shapeOf(p));
  return normal_(p, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** kaiming_uniform_ with leaky_relu's gain for slope `a`; `a = sqrt(5)` is what Linear uses: bound 1/sqrt(fan_in). */
export function kaimingUniform_<P extends Fillable>(p: P, a = 0): P {
  const [fanIn] = fans(shapeOf(p));
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);
  return uniform_(p, -bound, bound);
}
