// What the library records for the tools, declared once: protocol.ts carries these very types to the host
// and the webviews. Interfaces only, importing nothing, so that the protocol may import them as types.

/** A recurrent module's sizes and layout, as shape traces report them. */
export interface RecurrentConfig {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
}

/** One layer and direction of one recurrent module, over the calls of one pass. A module called several times (a decoder stepped one token at a time, a cell stepped by
 *  hand) gets its calls' steps one after another. */
export interface DynamicsRecord {
  /** The module's path in the model ("rnn", "encoder.lstm"), or its class name for the model itself. */
  module: string;
  kind: string;
  layer: number;
  direction: "forward" | "reverse";
  /** `[time][unit]`. */
  hidden: number[][];
  cell?: number[][];
  /** `[time][gate][unit]`. */
  gates?: { names: string[]; values: number[][][] };
  /** ‖∂loss/∂h_t‖ per time step; 0 where the loss does not depend on h_t. */
  gradNorms: number[];
}
