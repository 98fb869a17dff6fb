// The gate layout of PyTorch's recurrent layers, written once: which kinds there are, the gate blocks stacked along
// the first dimension of weight_ih, weight_hh, bias_ih and bias_hh (`weight_ih_l0` of an LSTM is
// [4·hidden, input], blocks i f g o). The library's kernels (tfjs ops and WebGPU), the checkpoint's weight reader,
// the snapshots and the webviews' gate labels all follow it; native/recurrent.cc gets the count from the library.

/** The recurrent kinds, as PyTorch names the modules (the cells add "Cell"). */
export const RECURRENT_KINDS = ["RNN", "LSTM", "GRU"] as const;
export type RecurrentKind = (typeof RECURRENT_KINDS)[number];

/** The library's modes: a plain RNN is tanh or ReLU. */
export type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

export const KIND_OF_MODE: Record<Mode, RecurrentKind> = { RNN_TANH: "RNN", RNN_RELU: "RNN", LSTM: "LSTM", GRU: "GRU" };

const LSTM_GATES = ["i", "f", "g", "o"] as const;
const GRU_GATES = ["r", "z", "n"] as const;
export type GateName = (typeof LSTM_GATES)[number] | (typeof GRU_GATES)[number];

/** The named gate blocks in PyTorch's order. A plain RNN has one block, unnamed: no gate labels. */
export const GATE_NAMES: Record<RecurrentKind, readonly GateName[]> = { RNN: [], LSTM: LSTM_GATES, GRU: GRU_GATES };

/** How many blocks of `hidden` rows a kind stacks in its weights. */
export const gateCount = (kind: RecurrentKind): number => Math.max(1, GATE_NAMES[kind].length);

/** Gate blocks per mode: `weight_ih` is `[GATES[mode] * hidden, input]`. */
export const GATES = Object.fromEntries(Object.entries(KIND_OF_MODE).map(([mode, kind]) => [mode, gateCount(kind)])) as Record<Mode, number>;

/** The kind whose weights stack `count` blocks, or undefined when none does. */
export const kindOfGateCount = (count: number): RecurrentKind | undefined => RECURRENT_KINDS.find((kind) => gateCount(kind) === count);
