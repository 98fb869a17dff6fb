import { shapeString } from "./tensor";

/** A tensor of the wrong shape was given to a module. The message names the module (with its configuration),
 *  the operand, its shape, and what was expected and why. */
export class ShapeError extends Error {
  override name = "ShapeError";
  constructor(
    readonly module: string,
    readonly operand: string,
    readonly got: readonly number[],
    readonly reason: string,
  ) {
    super(`${module} got ${operand} ${shapeString(got)}: ${reason}`);
  }
}
