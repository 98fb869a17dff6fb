import { shapeString } from "./tensor";

/** What a module expected of an operand, as data (the reason says it in words): the size of its last dimension and
 *  that size's name (`{ lastDim: 100, name: "input_size" }`), or its whole shape. Tools explain an error from it in
 *  other languages. */
export type ShapeExpectation = { lastDim: number; name: string } | { shape: readonly number[] };

/** A tensor of the wrong shape was given to a module. The message names the module (with its configuration),
 *  the operand, its shape, and what was expected and why. */
export class ShapeError extends Error {
  override name = "ShapeError";
  constructor(
    readonly module: string,
    readonly operand: string,
    readonly got: readonly number[],
    readonly reason: string,
    readonly expected?: ShapeExpectation,
  ) {
    super(`${module} got ${operand} ${shapeString(got)}: ${reason}`);
  }
}

/** The library refuses how it was called, as PyTorch would: a state of the wrong kind, a misused `backward`.
 *  Thrown synchronously from the user's call, so the first user frame of the stack is the user's line. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An option PyTorch does not have (`num_layers` for `numLayers`) or a value it refuses (`dropout: 1.5`). */
export class OptionError extends UsageError {
  override name = "OptionError";
}
