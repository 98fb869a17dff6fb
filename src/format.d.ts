import type { TracedShape } from "./protocol";
/** `[10, 3, 40]` */
export declare const formatShape: (shape: readonly number[]) => string;
/** `input [64, 32] (PackedSequence, batch_sizes [8, 8, 7, …])`, or without the batch sizes when `short`. */
export declare function formatTracedShape(s: TracedShape, { short }?: {
    short?: boolean | undefined;
}): string;
/** `out [10, 3, 40] · h_n [8, 3, 20]` */
export declare const formatTracedShapes: (shapes: readonly TracedShape[] | undefined, options?: {
    short?: boolean;
}) => string;
