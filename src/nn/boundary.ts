// The library's public edge for the Tensor class. The library's modules compute on tfjs tensors; a class marked
// with `tfLevel` accepts Tensors too: its `forward` unwraps Tensors once, runs the tfjs-level forward with the
// graph recording (parameters require grad), and wraps what it returns once. Called with tfjs tensors, it runs
// exactly as before.
import { tf } from "./tf";
import { Tensor } from "./tensor-class";
import { recorded } from "./graph";
import { PackedSequence, markTensors } from "./packed";

type Forward = (...args: unknown[]) => unknown;

/** Makes the `forward` of each library module class (its own, on its prototype) accept Tensors too. */
export function tfLevel(...classes: { prototype: object }[]): void {
  for (const c of classes) {
    const forward = (c.prototype as { forward: Forward }).forward;
    Object.defineProperty(c.prototype, "forward", { configurable: true, writable: true, enumerable: false, value: acceptTensors(forward) });
  }
}

/** `forward`, unwrapping Tensors and wrapping the results when it is given any; untouched otherwise. */
function acceptTensors(forward: Forward): Forward {
  return function (this: unknown, ...args: unknown[]): unknown {
    if (!args.some(holdsTensor)) return forward.apply(this, args);
    const given = new Map<tf.Tensor, Tensor>();
    const raw = args.map((a) => unwrap(a, given));
    // In a tidy, as every op of tensor-class.ts: the forward's intermediates (a transposed weight, a reshape) are
    // freed here, or a PyTorch-style loop, which never disposes, would keep them all (the graph keeps what its
    // backward needs). tidy keeps the tensors it returns, a PackedSequence's data included.
    return wrap(
      recorded(() => tf.tidy("forward", () => forward.apply(this, raw) as tf.TensorContainer)),
      given,
    );
  };
}

function holdsTensor(value: unknown): boolean {
  return value instanceof Tensor || (value instanceof PackedSequence && value.fromTensors === true) || (Array.isArray(value) && value.some(holdsTensor));
}

function unwrap(value: unknown, given: Map<tf.Tensor, Tensor>): unknown {
  if (value instanceof Tensor) {
    given.set(value.tf, value);
    return value.tf;
  }
  return Array.isArray(value) ? value.map((v) => unwrap(v, given)) : value;
}

/** The results as Tensors: an input given back is the Tensor given, a parameter is shared (not owned), anything
 *  else is owned by its new Tensor; a PackedSequence made here is marked as made from Tensors. */
function wrap(value: unknown, given: Map<tf.Tensor, Tensor>): unknown {
  if (value instanceof tf.Tensor) return given.get(value) ?? Tensor.wrap(value, !(value instanceof tf.Variable));
  if (value instanceof PackedSequence) return markTensors(value);
  return Array.isArray(value) ? value.map((v) => wrap(v, given)) : value;
}
