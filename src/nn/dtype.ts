// PyTorch's three dtypes that Unroll's tensors hold, on TensorFlow.js's: float32 as float32, int64 ("long") as
// tfjs's int32 (tfjs has no 64-bit integers: values beyond ±2^31 do not fit), bool as bool.
import type { tf } from "./tf";
import type { ValueKind } from "./tensor-format";

export class DType {
  constructor(
    /** PyTorch's name: `float32`, `int64`, `bool`. */
    readonly name: ValueKind,
    /** The tfjs dtype underneath. */
    readonly tf: "float32" | "int32" | "bool",
    readonly isFloatingPoint: boolean,
  ) {}
  toString(): string {
    return `torch.${this.name}`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

export const float32 = new DType("float32", "float32", true);
export const int64 = new DType("int64", "int32", false);
export const bool = new DType("bool", "bool", false);

/** The dtype of a tfjs tensor; tfjs's int32 is PyTorch's long (see above). */
export function dtypeOf(t: tf.Tensor): DType {
  switch (t.dtype) {
    case "float32":
      return float32;
    case "int32":
      return int64;
    case "bool":
      return bool;
    default:
      throw new TypeError(`tensors of tfjs dtype ${t.dtype} have no PyTorch dtype in Unroll (float32, int64 and bool)`);
  }
}

/** The dtype of a result: bool < int64 < float32, as PyTorch promotes between these three. */
export function promote(a: DType, b: DType): DType {
  const rank = (d: DType) => (d === float32 ? 2 : d === int64 ? 1 : 0);
  return rank(a) >= rank(b) ? a : b;
}
