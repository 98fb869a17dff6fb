// Linear, Embedding, Dropout and the containers, with PyTorch's shapes, names and initialisation.
import { tf, type Tensor } from "./tf";
import { Module, parameter, py, type Parameter } from "./module";
import { asIndices, gatherRows, linear } from "./ops";
import { normal, uniform } from "./init";
import { OptionError, ShapeError, UsageError } from "./errors";
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

/** Modules held by index ("0", "1", …), like PyTorch's ModuleList: `layers[0]`, `layers.length`, `for (const l of
 *  layers)`. Their parameters are named by index, as PyTorch's: `layers.0.weight`. */
export class ModuleList<M extends Module = Module> extends Module {
  /** The modules are own properties named "0", "1", …, which is how `layers[0]` finds them. */
  [index: number]: M;

  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }

  override get length(): number {
    return this.namedChildren().length;
  }

  /** `layers.at(-1)`: an index from the end when negative, like Python's `layers[-1]`. */
  at(index: number): M | undefined {
    return this[index < 0 ? this.length + index : index];
  }

  append(module: M): this {
    this[this.length] = checkModule(this.constructor.name, "append", module);
    return this;
  }

  extend(modules: Iterable<M>): this {
    if (modules === null || typeof (modules as Partial<Iterable<M>>)[Symbol.iterator] !== "function") {
      throw new UsageError(`${this.constructor.name}.extend should be called with an iterable, but got ${show(modules)}`);
    }
    for (const m of modules) this.append(m);
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

  override forward(input: Tensor): Tensor;
  override forward(input: TorchTensor): TorchTensor;
  override forward(input: Given): Given {
    return this.children().reduce((x: Given, m) => m(x) as Given, input);
  }
}

/** Modules held by name, like PyTorch's ModuleDict: `dict.get("encoder")`, `dict.set(name, module)`, `keys()`,
 *  `values()`, `items()`, iteration over the keys. Parameters are named by key: `dict.encoder.weight`. */
export class ModuleDict<M extends Module = Module> extends Module {
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }

  override get length(): number {
    return this.namedChildren().length;
  }

  get(key: string): M | undefined {
    return this.has(key) ? (Object.getOwnPropertyDescriptor(this, key)?.value as M) : undefined;
  }

  has(key: string): boolean {
    return this.namedChildren().some(([name]) => name === key);
  }

  /** Adds or replaces the module under `key`. Keys are attribute names, as in PyTorch: non-empty, without ".", and
   *  not one of the dict's own attributes or methods. */
  set(key: string, module: M): this {
    const owner = this.constructor.name;
    if (typeof key !== "string") throw new UsageError(`${owner} keys must be strings, got ${show(key)}`);
    if (key === "" || key.includes(".")) throw new UsageError(`${owner}: a module name can't be empty or contain ".", got ${show(key)}`);
    if (!this.has(key) && key in this) throw new UsageError(`${owner}: attribute ${show(key)} already exists`);
    // defineProperty, not assignment: a key such as "__proto__" must become a module, not the prototype.
    Object.defineProperty(this, key, { value: checkModule(owner, "set", module), enumerable: true, writable: true, configurable: true });
    return this;
  }

  /** Removes `key` and returns its module, like PyTorch's `pop`. */
  pop(key: string): M {
    const module = this.get(key);
    if (!module) throw new UsageError(`${this.constructor.name} has no key ${show(key)}`);
    delete (this as unknown as Record<string, unknown>)[key];
    return module;
  }

  update(modules: Record<string, M> | Iterable<[string, M]>): this {
    if (modules === null || typeof modules !== "object")
      throw new UsageError(`${this.constructor.name}.update should be called with an object or pairs, got ${show(modules)}`);
    const iterable = typeof (modules as Partial<Iterable<[string, M]>>)[Symbol.iterator] === "function";
    const pairs: Iterable<unknown> = iterable ? (modules as Iterable<unknown>) : Object.entries(modules);
    for (const pair of pairs) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new UsageError(`${this.constructor.name}.update: each item must be a [key, module] pair, got ${show(pair)}`);
      this.set(pair[0] as string, pair[1] as M);
    }
    return this;
  }

  keys(): string[] {
    return this.namedChildren().map(([name]) => name);
  }

  values(): M[] {
    return this.children() as M[];
  }

  items(): [string, M][] {
    return this.namedChildren() as [string, M][];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}

/** `module`, when it is one: a container holds modules only (PyTorch: "… is not a Module subclass"). */
function checkModule<M extends Module>(owner: string, method: string, module: M): M {
  if (!(module instanceof Module)) throw new UsageError(`${owner}.${method}: ${show(module)} is not a Module subclass`);
  return module;
}

// Their forward computes on tfjs tensors: called with Tensors, they unwrap and wrap once (boundary.ts).
tfLevel(Linear, Embedding, Dropout);
