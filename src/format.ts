// How shapes are written by the tools — the CLI, hovers, the webviews — in one place (the library, shipped on its
// own with its declarations, keeps its own shapeString). Plain functions over the protocol types: any side may use it.
import type { TracedShape } from "./protocol";

/** `[10, 3, 40]` */
export const formatShape = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** `input [64, 32] (PackedSequence, batch_sizes [8, 8, 7, …])`, or without the batch sizes when `short`. */
export function formatTracedShape(s: TracedShape, { short = false } = {}): string {
  const packed = s.packed && (short ? "PackedSequence" : `PackedSequence, batch_sizes ${formatShape(s.packed.batchSizes)}`);
  return `${s.name} ${formatShape(s.shape)}${packed ? ` (${packed})` : ""}`;
}

/** `out [10, 3, 40] · h_n [8, 3, 20]` */
export const formatTracedShapes = (shapes: readonly TracedShape[] | undefined, options?: { short?: boolean }): string =>
  (shapes ?? []).map((s) => formatTracedShape(s, options)).join(" · ");
