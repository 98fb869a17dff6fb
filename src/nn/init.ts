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

type Fillable = tf.Variable;

export const uniform_ = (p: Fillable, a = 0, b = 1) => p.assign(uniform(p.shape, a, b));
export const normal_ = (p: Fillable, mean = 0, std = 1) => p.assign(normal(p.shape, mean, std));
export const constant_ = (p: Fillable, value: number) => p.assign(tf.fill(p.shape, value));
export const zeros_ = (p: Fillable) => constant_(p, 0);
export const ones_ = (p: Fillable) => constant_(p, 1);

export function xavierUniform_(p: Fillable, gain = 1): void {
  const [fanIn, fanOut] = fans(p.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  uniform_(p, -a, a);
}

export function xavierNormal_(p: Fillable, gain = 1): void {
  const [fanIn, fanOut] = fans(p.shape);
  normal_(p, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** kaiming_uniform_ with leaky_relu's gain for slope `a`; `a = sqrt(5)` is what Linear uses: bound 1/sqrt(fan_in). */
export function kaimingUniform_(p: Fillable, a = 0): void {
  const [fanIn] = fans(p.shape);
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);
  uniform_(p, -bound, bound);
}
