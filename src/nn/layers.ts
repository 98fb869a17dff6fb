// Linear, Embedding, Dropout and the containers, with PyTorch's shapes, names and initialisation.
import { tf, type Tensor } from "./tf";
import { Module, parameter, py, type Parameter } from "./module";
import { asIndices, gatherRows, linear } from "./ops";
import { normal, uniform } from "./init";
import { OptionError, ShapeError } from "./errors";
import { boolean, checkArguments, checkOptions, integer, nonNegativeInteger, rule, show } from "./options";
import { dropout } from "./rnn";
import { tfLevel } from "./boundary";
import { Tensor as TorchTensor } from "./tensor-class";

/** What a module called with Tensors may be given; the boundary (boundary.ts) hands its body tfjs tensors. */
type Given = Tensor | TorchTensor;

export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    checkArguments("Linear", { in_features: [inFeatures, nonNegativeInteger], out_features: [outFeatures, nonNegativeInteger] });
    const { bias = true } = checkOptions<{ bias?: boolean }>("Linear", options, { bias: boolean });
    // PyTorch: kaiming_uniform_(a=sqrt(5)) for the weight and U(±1/sqrt(fan_in)) for the bias: both 1/sqrt(in).
    const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
    this.weight = parameter(uniform([outFeatures, inFeatures], -bound, bound));
    if (bias) this.bias = parameter(uniform([outFeatures], -bound, bound));
  }

  override forward(input: Tensor): Tensor;
  override forward(input: TorchTensor): TorchTensor;
  override forward(given: Given): Given {
    const input = given as Tensor;
    if (input.shape[input.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures})`,
        "input",
        input.shape,
        `the last dimension must be ${this.inFeatures} (in_features), not ${input.shape[input.rank - 1]}`,
        { lastDim: this.inFeatures, name: "in_features" },
      );
    }
    return input.rank === 1
      ? linear(input.expandDims(0), this.weight.tf, this.bias?.tf ?? null).squeeze([0])
      : linear(input, this.weight.tf, this.bias?.tf ?? null);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${py(this.bias !== null)}`;
  }
}

export class Embedding extends Module {
  weight: Parameter;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { paddingIdx?: number } = {},
  ) {
    super();
    checkArguments("Embedding", { num_embeddings: [numEmbeddings, nonNegativeInteger], embedding_dim: [embeddingDim, nonNegativeInteger] });
    const { paddingIdx } = checkOptions<{ paddingIdx?: number }>("Embedding", options, { paddingIdx: integer });
    if (paddingIdx !== undefined && (paddingIdx >= numEmbeddings || paddingIdx < -numEmbeddings)) {
      throw new OptionError(`Embedding: paddingIdx must be within numEmbeddings (${numEmbeddings}), got ${paddingIdx}`);
    }
    this.paddingIdx = paddingIdx === undefined ? null : paddingIdx < 0 ? numEmbeddings + paddingIdx : paddingIdx;
    const init = normal([numEmbeddings, embeddingDim]);
    const values = init.dataSync() as Float32Array;
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.weight = parameter(tf.tensor(values, init.shape));
    init.dispose();
  }

  /** Looks up each index: `[*]` → `[*, embeddingDim]`. Indices may be int32 or whole float32 values. */
  override forward(input: Tensor): Tensor;
  override forward(input: TorchTensor): TorchTensor;
  override forward(input: Given): Given {
    const indices = asIndices(input as Tensor, `Embedding(${this.numEmbeddings}, ${this.embeddingDim}) input`, this.numEmbeddings);
    return gatherRows(this.weight.tf, indices, this.paddingIdx ?? undefined);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ""}`;
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    const probability = rule(
      (v) => typeof v === "number" && v >= 0 && v <= 1,
      (v) => `dropout probability has to be between 0 and 1, but got ${show(v)}`,
    );
    checkArguments("Dropout", { p: [p, probability] });
  }

  override forward(input: Tensor): Tensor;
  override forward(input: TorchTensor): TorchTensor;
  override forward(input: Given): Given {
    return this.training && this.p > 0 ? dropout(input as Tensor, this.p) : input;
  }

  override extraRepr(): string {
    return `p=${this.p}, inplace=False`;
  }
}

/** Modules held by index ("0", "1", …), like PyTorch's ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  constructor(modules: M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(index: number): M {
    return (this as unknown as Record<string, M>)[String(index < 0 ? this.length + index : index)];
  }

  append(module: M): this {
    (this as unknown as Record<string, M>)[String(this.length)] = module;
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }
}

/** Runs its modules one after another on a single input. */
export class Sequential extends ModuleList {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(input: Tensor): Tensor {
    return this.children().reduce((x, m) => m.forward(x) as Tensor, input);
  }
}

// Their forward computes on tfjs tensors: called with Tensors, they unwrap and wrap once (boundary.ts).
tfLevel(Linear, Embedding, Dropout);
