// RNN, LSTM, GRU and their cells, with PyTorch's options, parameter names, shapes, gate order and
// initialisation. One loop over layers and directions, as in PyTorch's rnn.py.
import { tf, type Tensor } from "./tf";
import { Module, parameter, py, type Parameter } from "./module";
import { recurrentLayer, stepMask, type LayerWeights } from "./recurrence";
import { GATES, type Mode } from "../common/gate-layout";
import { PackedSequence, packTf, unpackTf, type TensorPackedSequence } from "./packed";
import { ShapeError, UsageError, OptionError } from "./errors";
import { boolean, checkArguments, checkOptions, positiveInteger, rule, show, type Check } from "./options";
import { shapeString } from "./tensor";
import { nextUniform } from "./random";
import { uniform } from "./init";
import type { TraceNames } from "./trace-hooks";
import type { RecurrentConfig } from "../common/dynamics-types";
import { layerProbe } from "./dynamics-hooks";
import { tfLevel } from "./boundary";
import { Tensor as TorchTensor } from "./tensor-class";

export interface RNNOptions {
  numLayers?: number;
  /** RNN only: "tanh" (default) or "relu". */
  nonlinearity?: "tanh" | "relu";
  bias?: boolean;
  /** Input and output as `[batch, seq, feature]` instead of `[seq, batch, feature]`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode. */
  dropout?: number;
  bidirectional?: boolean;
  /** LSTM only: project h to this size (`weight_hr_l{k}`). */
  projSize?: number;
}

/** LSTM's and GRU's options: no `nonlinearity`, as in PyTorch. */
export type GatedOptions = Omit<RNNOptions, "nonlinearity">;
export type GatedCellOptions = Omit<CellOptions, "nonlinearity">;

/** An LSTM's state: `[h, c]`. */
export type LSTMState = [Tensor, Tensor];
/** `[h, c]` of an LSTM called with Tensors. */
export type TensorLSTMState = [TorchTensor, TorchTensor];
/** What a module called with Tensors may be given; the boundary (boundary.ts) hands its body tfjs tensors. */
type Given = Tensor | TorchTensor;

/** A parameter as the module's sizes make it: PyTorch's name, its shape, and that shape in words. */
type ParameterSpec = [name: string, shape: number[], formula: string];

/** The parameters of one layer and direction (`suffix`: `_l0`, `_l1_reverse`, or none for a cell), given the
 *  size of its input and of h (`[size, formula]`) and the projection's size (0: none). */
function parameterSpecs(
  mode: Mode,
  suffix: string,
  input: [number, string],
  hidden: number,
  h: [number, string],
  bias: boolean,
  proj: number,
): ParameterSpec[] {
  const G = GATES[mode];
  const gates = G > 1 ? `${G}*hidden_size` : "hidden_size";
  return [
    [`weight_ih${suffix}`, [G * hidden, input[0]], `[${gates}, ${input[1]}]`],
    [`weight_hh${suffix}`, [G * hidden, h[0]], `[${gates}, ${h[1]}]`],
    ...(bias
      ? ([
          [`bias_ih${suffix}`, [G * hidden], `[${gates}]`],
          [`bias_hh${suffix}`, [G * hidden], `[${gates}]`],
        ] as ParameterSpec[])
      : []),
    ...(proj ? ([[`weight_hr${suffix}`, [proj, hidden], "[proj_size, hidden_size]"]] as ParameterSpec[]) : []),
  ];
}

/** Throws where a parameter of `owner` is missing, not float32, or of another shape than its spec (replaced
 *  after the module was made): every path (tfjs, WebGPU, native) refuses it alike, before any computes on it. */
function checkParameters(module: string, owner: Module, specs: ParameterSpec[]): void {
  for (const [name, shape, formula] of specs) {
    const p = tfOf((owner as unknown as Record<string, unknown>)[name]);
    if (!(p instanceof tf.Tensor)) throw new UsageError(`${module}: the parameter ${name} is missing (got ${show(p)})`);
    if (p.dtype !== "float32") throw new UsageError(`${module}: the parameter ${name} must be float32, got ${p.dtype}`);
    if (!tf.util.arraysEqual(p.shape, shape)) throw new ShapeError(module, name, p.shape, `expected ${formula} = ${shapeString(shape)}`, { shape });
  }
}

/** The tfjs tensor a module attribute holds: a Parameter's (or Tensor's) `.tf`, or a tfjs tensor put there. */
function tfOf(value: unknown): unknown {
  return value instanceof TorchTensor ? value.tf : value;
}

/** RNN and RNNCell choose 'tanh' or 'relu'. PyTorch's LSTM and GRU have no such option (a TypeError there). */
const nonlinearity = (mode: Mode): Check =>
  mode.startsWith("RNN")
    ? rule(
        (v) => v === "tanh" || v === "relu",
        (v) => `Unknown nonlinearity ${show(v)}. Select from 'tanh' or 'relu'.`,
      )
    : rule(
        () => false,
        (v) => `nonlinearity ${show(v)}: only RNN and RNNCell have this option (the ${mode} gates use sigmoid and tanh)`,
      );

const rnnOptions = (mode: Mode): { [K in keyof RNNOptions]-?: Check } => ({
  numLayers: positiveInteger,
  nonlinearity: nonlinearity(mode),
  bias: boolean,
  batchFirst: boolean,
  dropout: rule(
    (v) => typeof v === "number" && v >= 0 && v <= 1,
    (v) => `dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${show(v)}`,
  ),
  bidirectional: boolean,
  projSize: rule(
    (v) => Number.isInteger(v) && (v as number) >= 0,
    (v) => `projSize should be a positive integer or zero to disable projections, got ${show(v)}`,
  ),
});

/** PyTorch's check_forward_args, the kind half (shapes are checked once the batch is known): an LSTM's state is
 *  the pair `[h, c]`, every other module's one tensor; null or undefined means zeros. A third argument is
 *  refused too: JavaScript would drop it, and `lstm.forward(x, h0, c0)` would run without c0. */
function stateArgs(owner: string, state: unknown, argCount: number, names: readonly string[]): Tensor[] | null {
  const pair = names.length === 2;
  const wanted = pair ? `[${names.join(", ")}]` : names[0];
  if (argCount > 2) {
    throw new UsageError(
      `${owner}.forward takes (input, ${wanted}), got ${argCount} arguments${pair ? ` — pass the state as one array ${wanted}, where PyTorch takes the tuple (${names.join(", ")})` : ""}`,
    );
  }
  if (state === undefined || state === null) return null;
  const isTensor = (t: unknown): t is Tensor => t instanceof tf.Tensor;
  if (pair && Array.isArray(state) && state.length === 2 && state.every(isTensor)) return state;
  if (!pair && isTensor(state)) return [state];
  const hint = !pair && Array.isArray(state) ? " — only LSTM and LSTMCell take a pair [h, c]" : "";
  throw new UsageError(`${owner}.forward: the state must be ${wanted}, ${pair ? "two tensors" : "one tensor"} (or null for zeros), got ${show(state)}${hint}`);
}

abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  protected readonly mode: Mode;

  constructor(mode: Mode, inputSize: number, hiddenSize: number, options: number | RNNOptions = {}) {
    super();
    const name = this.constructor.name;
    checkArguments(name, { input_size: [inputSize, positiveInteger], hidden_size: [hiddenSize, positiveInteger] });
    // `new nn.RNN(100, 10, 3)`: a number is numLayers, as PyTorch's third positional argument.
    const o = checkOptions<RNNOptions>(name, typeof options === "number" ? { numLayers: options } : options, rnnOptions(mode));
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = o.numLayers ?? 1;
    this.bias = o.bias ?? true;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    this.bidirectional = o.bidirectional ?? false;
    this.projSize = o.projSize ?? 0;
    if (this.projSize && mode !== "LSTM") throw new OptionError(`${name}: projSize argument is only supported for LSTM, not RNN or GRU`);
    if (this.projSize >= hiddenSize)
      throw new OptionError(`${name}: projSize has to be smaller than hiddenSize, got projSize=${this.projSize} and hiddenSize=${hiddenSize}`);

    const bound = 1 / Math.sqrt(hiddenSize);
    for (const [pname, shape] of this.parameterSpecs()) (this as unknown as Record<string, Parameter>)[pname] = parameter(uniform(shape, -bound, bound));
  }

  /** Every parameter of every layer and direction, in PyTorch's order, as the sizes make it. */
  private parameterSpecs(): ParameterSpec[] {
    const h: [number, string] = this.projSize ? [this.projSize, "proj_size"] : [this.hiddenSize, "hidden_size"];
    const D = this.numDirections;
    return Array.from({ length: this.numLayers }, (_, layer) => {
      const input: [number, string] = layer === 0 ? [this.inputSize, "input_size"] : [h[0] * D, D > 1 ? `${D}*${h[1]}` : h[1]];
      return this.directionSuffixes().flatMap((suffix) =>
        parameterSpecs(this.mode, `_l${layer}${suffix}`, input, this.hiddenSize, h, this.bias, this.projSize),
      );
    }).flat();
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private directionSuffixes(): string[] {
    return this.bidirectional ? ["", "_reverse"] : [""];
  }

  private param(name: string): Tensor | undefined {
    return tfOf((this as unknown as Record<string, unknown>)[name]) as Tensor | undefined;
  }

  /** The weights of one layer and direction, by PyTorch's names. */
  layerWeights(layer: number, suffix: string): LayerWeights {
    const p = (kind: string) => this.param(`${kind}_l${layer}${suffix}`) ?? null;
    return { wIh: p("weight_ih")!, wHh: p("weight_hh")!, bIh: p("bias_ih"), bHh: p("bias_hh"), wHr: p("weight_hr") };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${py(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${py(this.batchFirst)}`;
    if (this.dropout) s += `, dropout=${py(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${py(this.bidirectional)}`;
    return s;
  }

  /** Sizes and layout, for the unrolled diagram of shape traces. */
  recurrentConfig(): RecurrentConfig {
    const { inputSize, hiddenSize, numLayers, bidirectional, batchFirst } = this;
    return { inputSize, hiddenSize, numLayers, bidirectional, batchFirst };
  }

  /** RNN and GRU take `input, h0` and give `out, h_n`; LSTM adds `c0` and `c_n`. */
  override traceNames(): TraceNames {
    return { inputs: ["input", "h0", "c0"], outputs: ["out", "h_n", "c_n"] };
  }

  /** The signature shown in messages: `LSTM(input_size=100, hidden_size=20)`. */
  protected describe(): string {
    return `${this.constructor.name}(input_size=${this.inputSize}, hidden_size=${this.hiddenSize}${this.numLayers > 1 ? `, num_layers=${this.numLayers}` : ""}${this.bidirectional ? ", bidirectional=True" : ""})`;
  }

  /** Runs the stack; `state` is `[h0]` or `[h0, c0]` (or null), time-major, batched. */
  protected run(input: Tensor | PackedSequence, state: Tensor[] | null): { output: Tensor | PackedSequence; state: Tensor[] } {
    const isLSTM = this.mode === "LSTM";
    const packed = input instanceof PackedSequence ? input : null;
    let x: Tensor;
    let lengths: number[] | null = null;
    let unbatched = false;
    if (packed) {
      [x, lengths] = unpackTf(packed, {});
    } else if (!(input instanceof tf.Tensor)) {
      throw new UsageError(`${this.constructor.name}.forward: the input must be a tensor or a PackedSequence, got ${show(input)}`);
    } else {
      x = input as Tensor;
      if (x.rank !== 2 && x.rank !== 3) {
        throw new ShapeError(
          this.describe(),
          "input",
          x.shape,
          `expected a 3-D input (${this.batchFirst ? "batch, seq" : "seq, batch"}, feature) or a 2-D unbatched input (seq, feature)`,
        );
      }
      unbatched = x.rank === 2;
      if (unbatched) x = x.expandDims(1);
      else if (this.batchFirst) x = x.transpose([1, 0, 2]);
    }
    const last = x.shape[2];
    if (last !== this.inputSize) {
      throw new ShapeError(
        this.describe(),
        "input",
        (packed ? x : (input as Tensor)).shape,
        `the last dimension must be ${this.inputSize} (input_size), not ${last}`,
        { lastDim: this.inputSize, name: "input_size" },
      );
    }
    checkParameters(this.describe(), this, this.parameterSpecs());
    const [T, B] = x.shape;
    // PyTorch refuses it too; tfjs would fail deep inside the recurrence.
    if (T === 0) throw new ShapeError(this.describe(), "input", (packed ? x : (input as Tensor)).shape, "expected sequence length to be larger than 0");
    const real = this.projSize || this.hiddenSize;
    const D = this.numDirections;
    const stateShapes = [
      [this.numLayers * D, B, real],
      [this.numLayers * D, B, this.hiddenSize],
    ];
    const names = ["h0", "c0"];
    const initial = (isLSTM ? [0, 1] : [0]).map((k) => {
      const given = state?.[k];
      // Zeros for each layer and direction as they are: one zeros tensor unstacked cost kernels under the tape.
      if (!given) return Array.from({ length: this.numLayers * D }, () => tf.zeros(stateShapes[k].slice(1)));
      const s = unbatched ? given.expandDims(1) : given;
      if (!tf.util.arraysEqual(s.shape, stateShapes[k])) {
        const expected = unbatched ? [stateShapes[k][0], stateShapes[k][2]] : stateShapes[k];
        throw new ShapeError(
          this.describe(),
          names[k],
          given.shape,
          `expected ${shapeString(expected)} (num_layers * num_directions, ${unbatched ? "" : "batch, "}${k === 0 && this.projSize ? "proj_size" : "hidden_size"})`,
          { shape: expected },
        );
      }
      return unstack(s);
    });
    const h0s = initial[0];
    const c0s = isLSTM ? initial[1] : null;
    const mask = lengths ? stepMask(lengths, T) : null;

    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      this.directionSuffixes().forEach((suffix, direction) => {
        const k = layer * D + direction;
        const result = recurrentLayer({
          mode: this.mode,
          x: layerInput,
          h0: h0s[k],
          c0: c0s ? c0s[k] : null,
          weights: this.layerWeights(layer, suffix),
          reverse: direction === 1,
          mask,
          probe: layerProbe(this, layer, direction === 1),
        });
        outputs.push(result.output);
        hN.push(result.h);
        if (result.c) cN.push(result.c);
      });
      layerInput = D === 2 ? tf.concat(outputs, 2) : outputs[0];
      if (this.training && this.dropout > 0 && layer < this.numLayers - 1) layerInput = dropout(layerInput, this.dropout);
    }

    let output: Tensor | PackedSequence = layerInput;
    let finalState = [tf.stack(hN), ...(isLSTM ? [tf.stack(cN)] : [])];
    if (packed) {
      output = packTf(layerInput, lengths!, { enforceSorted: false });
    } else if (unbatched) {
      output = layerInput.squeeze([1]);
      finalState = finalState.map((s) => s.squeeze([1]));
    } else if (this.batchFirst) {
      output = layerInput.transpose([1, 0, 2]);
    }
    return { output, state: finalState };
  }
}

/** tf.unstack, except that one slice is a squeeze: the gradient of a one-output Unpack fails in tfjs 4.22. */
const unstack = (t: Tensor) => (t.shape[0] === 1 ? [t.squeeze([0])] : tf.unstack(t));

/** Inverted dropout with the library's seeded generator: zeroes each value with probability p, scales the rest. */
export function dropout(x: Tensor, p: number): Tensor {
  if (p === 1) return tf.zerosLike(x);
  const keep = new Float32Array(x.size);
  for (let i = 0; i < keep.length; i++) keep[i] = nextUniform() >= p ? 1 / (1 - p) : 0;
  return x.mul(tf.tensor(keep, x.shape));
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its call signatures follow it
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, options: number | RNNOptions = {}) {
    // The base checks the options, nonlinearity included: anything but 'relu' picks tanh until then.
    const relu = typeof options === "object" && options?.nonlinearity === "relu";
    super(relu ? "RNN_RELU" : "RNN_TANH", inputSize, hiddenSize, options);
    this.nonlinearity = relu ? "relu" : "tanh";
  }

  /** `[output, h_n]`: output `[seq, batch, D*hidden]`, h_n `[numLayers*D, batch, hidden]`. */
  override forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  override forward(input: TensorPackedSequence, h0?: TorchTensor | null): [TensorPackedSequence, TorchTensor];
  override forward(input: PackedSequence, h0?: Given | null): [PackedSequence, Tensor];
  override forward(input: TorchTensor, h0?: TorchTensor | null): [TorchTensor, TorchTensor];
  override forward(input: Given | PackedSequence, h0?: Given | null): [Given | PackedSequence, Given] {
    const { output, state } = this.run(input as Tensor | PackedSequence, stateArgs(this.constructor.name, h0, arguments.length, ["h0"]));
    return [output, state[0]];
  }
}

/** `rnn(x, h0)`, typed as `forward`'s overloads (Module's call signature would take only the last one). In a loop,
 *  PyTorch's `out, h = rnn(x, h)` is `[out, h] = rnn(x, h)` after `let out, h = null`, and needs no annotation. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the call signatures, as Module's
export interface RNN {
  (input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  (input: TensorPackedSequence, h0?: TorchTensor | null): [TensorPackedSequence, TorchTensor];
  (input: PackedSequence, h0?: Given | null): [PackedSequence, Tensor];
  (input: TorchTensor, h0?: TorchTensor | null): [TorchTensor, TorchTensor];
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its call signatures follow it
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: number | GatedOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }

  override forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  override forward(input: TensorPackedSequence, h0?: TorchTensor | null): [TensorPackedSequence, TorchTensor];
  override forward(input: PackedSequence, h0?: Given | null): [PackedSequence, Tensor];
  override forward(input: TorchTensor, h0?: TorchTensor | null): [TorchTensor, TorchTensor];
  override forward(input: Given | PackedSequence, h0?: Given | null): [Given | PackedSequence, Given] {
    const { output, state } = this.run(input as Tensor | PackedSequence, stateArgs(this.constructor.name, h0, arguments.length, ["h0"]));
    return [output, state[0]];
  }
}

/** `gru(x, h0)`, as RNN's. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the call signatures, as Module's
export interface GRU {
  (input: Tensor, h0?: Tensor | null): [Tensor, Tensor];
  (input: TensorPackedSequence, h0?: TorchTensor | null): [TensorPackedSequence, TorchTensor];
  (input: PackedSequence, h0?: Given | null): [PackedSequence, Tensor];
  (input: TorchTensor, h0?: TorchTensor | null): [TorchTensor, TorchTensor];
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- its call signatures follow it
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: number | GatedOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }

  /** `[output, [h_n, c_n]]`. */
  override forward(input: Tensor, state?: LSTMState | null): [Tensor, LSTMState];
  override forward(input: TensorPackedSequence, state?: TensorLSTMState | null): [TensorPackedSequence, TensorLSTMState];
  override forward(input: PackedSequence, state?: LSTMState | TensorLSTMState | null): [PackedSequence, LSTMState];
  override forward(input: TorchTensor, state?: TensorLSTMState | null): [TorchTensor, TensorLSTMState];
  override forward(input: Given | PackedSequence, state?: LSTMState | TensorLSTMState | null): [Given | PackedSequence, LSTMState | TensorLSTMState] {
    const { output, state: s } = this.run(input as Tensor | PackedSequence, stateArgs(this.constructor.name, state, arguments.length, ["h0", "c0"]));
    return [output, [s[0], s[1]]];
  }
}

/** `lstm(x, [h0, c0])`, as RNN's. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the call signatures, as Module's
export interface LSTM {
  (input: Tensor, state?: LSTMState | null): [Tensor, LSTMState];
  (input: TensorPackedSequence, state?: TensorLSTMState | null): [TensorPackedSequence, TensorLSTMState];
  (input: PackedSequence, state?: LSTMState | TensorLSTMState | null): [PackedSequence, LSTMState];
  (input: TorchTensor, state?: TensorLSTMState | null): [TorchTensor, TensorLSTMState];
}

export interface CellOptions {
  bias?: boolean;
  /** RNNCell only. */
  nonlinearity?: "tanh" | "relu";
}

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  declare weight_ih: Parameter;
  declare weight_hh: Parameter;
  declare bias_ih: Parameter | undefined;
  declare bias_hh: Parameter | undefined;
  protected readonly mode: Mode;

  constructor(mode: Mode, inputSize: number, hiddenSize: number, options: CellOptions) {
    super();
    const name = this.constructor.name;
    checkArguments(name, { input_size: [inputSize, positiveInteger], hidden_size: [hiddenSize, positiveInteger] });
    const o = checkOptions<CellOptions>(name, options, { bias: boolean, nonlinearity: nonlinearity(mode) });
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = o.bias ?? true;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (const [pname, shape] of this.parameterSpecs()) (this as unknown as Record<string, Parameter>)[pname] = parameter(uniform(shape, -bound, bound));
  }

  /** weight_ih, weight_hh and the biases, as the sizes make them. */
  private parameterSpecs(): ParameterSpec[] {
    return parameterSpecs(this.mode, "", [this.inputSize, "input_size"], this.hiddenSize, [this.hiddenSize, "hidden_size"], this.bias, 0);
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += `, bias=${py(this.bias)}`;
    return s;
  }

  /** Sizes and layout, for the unrolled diagram of shape traces: one step of one layer. */
  recurrentConfig(): RecurrentConfig {
    return { inputSize: this.inputSize, hiddenSize: this.hiddenSize, numLayers: 1, bidirectional: false, batchFirst: false };
  }

  /** RNNCell and GRUCell take `input, hx` and give `h`; LSTMCell adds `cx` and `c`. */
  override traceNames(): TraceNames {
    return { inputs: ["input", "hx", "cx"], outputs: ["h", "c"] };
  }

  /** One step: `state` is `[h]` or `[h, c]`; returns the new state. Batched `[B, in]` or unbatched `[in]`. */
  protected step(input: Tensor, state: (Tensor | null | undefined)[]): Tensor[] {
    const name = `${this.constructor.name}(input_size=${this.inputSize}, hidden_size=${this.hiddenSize})`;
    if (!(input instanceof tf.Tensor)) throw new UsageError(`${this.constructor.name}.forward: the input must be a tensor, got ${show(input)}`);
    if (input.rank !== 1 && input.rank !== 2) throw new ShapeError(name, "input", input.shape, "expected a 2-D (batch, input_size) or 1-D (input_size) input");
    if (input.shape[input.rank - 1] !== this.inputSize) {
      throw new ShapeError(name, "input", input.shape, `the last dimension must be ${this.inputSize} (input_size), not ${input.shape[input.rank - 1]}`, {
        lastDim: this.inputSize,
        name: "input_size",
      });
    }
    checkParameters(name, this, this.parameterSpecs());
    const unbatched = input.rank === 1;
    const x = unbatched ? input.reshape([1, 1, this.inputSize]) : input.expandDims(0);
    const B = x.shape[1]!;
    const states = state.map((s, k) => {
      if (!s) return tf.zeros([B, this.hiddenSize]);
      const expected = unbatched ? [this.hiddenSize] : [B, this.hiddenSize];
      if (!tf.util.arraysEqual(s.shape, expected)) {
        throw new ShapeError(name, k === 0 ? "hx" : "cx", s.shape, `expected ${shapeString(expected)} (${unbatched ? "" : "batch, "}hidden_size)`, {
          shape: expected,
        });
      }
      return unbatched ? s.reshape([1, this.hiddenSize]) : s;
    });
    const { h, c } = recurrentLayer({
      mode: this.mode,
      x,
      h0: states[0],
      c0: states[1] ?? null,
      weights: {
        wIh: tfOf(this.weight_ih) as Tensor,
        wHh: tfOf(this.weight_hh) as Tensor,
        bIh: (tfOf(this.bias_ih) as Tensor | undefined) ?? null,
        bHh: (tfOf(this.bias_hh) as Tensor | undefined) ?? null,
        wHr: null,
      },
      reverse: false,
      mask: null,
      probe: layerProbe(this, 0, false),
    });
    const out = c ? [h, c] : [h];
    return unbatched ? out.map((s) => s.reshape([this.hiddenSize])) : out;
  }
}

export class RNNCell extends CellBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, options: CellOptions = {}) {
    const relu = options?.nonlinearity === "relu"; // checked by the base
    super(relu ? "RNN_RELU" : "RNN_TANH", inputSize, hiddenSize, options);
    this.nonlinearity = relu ? "relu" : "tanh";
  }

  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== "tanh" ? `, nonlinearity=${this.nonlinearity}` : "");
  }

  /** h' from input and h (zeros when omitted). */
  override forward(input: Tensor, hx?: Tensor | null): Tensor;
  override forward(input: TorchTensor, hx?: TorchTensor | null): TorchTensor;
  override forward(input: Given, hx?: Given | null): Given {
    return this.step(input as Tensor, stateArgs(this.constructor.name, hx, arguments.length, ["hx"]) ?? [null])[0];
  }
}

export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: GatedCellOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }

  override forward(input: Tensor, hx?: Tensor | null): Tensor;
  override forward(input: TorchTensor, hx?: TorchTensor | null): TorchTensor;
  override forward(input: Given, hx?: Given | null): Given {
    return this.step(input as Tensor, stateArgs(this.constructor.name, hx, arguments.length, ["hx"]) ?? [null])[0];
  }
}

export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, options: GatedCellOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }

  /** `[h', c']` from input and `[h, c]` (zeros when omitted). */
  override forward(input: Tensor, state?: LSTMState | null): LSTMState;
  override forward(input: TorchTensor, state?: TensorLSTMState | null): TensorLSTMState;
  override forward(input: Given, state?: LSTMState | TensorLSTMState | null): LSTMState | TensorLSTMState {
    const [h, c] = this.step(input as Tensor, stateArgs(this.constructor.name, state, arguments.length, ["hx", "cx"]) ?? [null, null]);
    return [h, c];
  }
}

// Their forward computes on tfjs tensors: called with Tensors, they unwrap and wrap once (boundary.ts).
tfLevel(RNN, GRU, LSTM, RNNCell, GRUCell, LSTMCell);
