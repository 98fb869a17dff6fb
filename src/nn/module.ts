// Module and Parameter: PyTorch's object model on TensorFlow.js variables.
// A module's parameters and submodules are its own properties (as in PyTorch's __setattr__),
// discovered in the order they were assigned, so names come out as PyTorch's: `rnn.weight_ih_l0`, `fc.bias`.
import { tf, type Tensor } from "./tf";
import { Tensor as TorchTensor } from "./tensor-class";
import { shapeString } from "./tensor";
import { UsageError } from "./errors";
import { show } from "./options";
import { traceModule, type TraceNames } from "./trace-hooks";

/** The tf.Variable under a Parameter: it holds the gradient that `loss.backward()` and `backward(() => loss)`
 *  accumulate (`.grad`, a tfjs tensor), and the marker graph.ts tells parameters apart by. */
export type ParameterVariable = tf.Variable & { grad: Tensor | null; readonly isParameter: true };

/** A trainable tensor, as PyTorch's `nn.Parameter`: a Tensor (methods, printing, `.grad` as a Tensor,
 *  `requiresGrad` true) over one tf.Variable (`p.tf`), shared with the module's own computations, never copied. */
export class Parameter extends TorchTensor {
  declare readonly tf: ParameterVariable;
  /** `requiresGrad_(false)` freezes it as PyTorch does: no gradient from `backward()` (nor the closure form),
   *  so optimizers leave it as it is; `requiresGrad_()` thaws it. */
  override requiresGrad_(flag = true): this {
    this.tf.trainable = flag;
    return this;
  }
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

export function parameter(value: Tensor): Parameter {
  const variable = Object.assign(tf.variable(value, true, undefined, "float32"), { grad: null, isParameter: true as const });
  const p = Object.create(Parameter.prototype) as Parameter;
  Object.defineProperty(p, "tf", { value: variable });
  return p;
}

export function isParameter(value: unknown): value is Parameter {
  return value instanceof Parameter;
}

/** The tf.Variable of a Parameter; also accepts the variable itself (what library code and the closure form of
 *  `backward` hold). */
export function variableOf(p: Parameter | ParameterVariable): ParameterVariable {
  return p instanceof Parameter ? p.tf : p;
}

/** Whether `value` is a Parameter or the tf.Variable of one. */
export function isParameterLike(value: unknown): value is Parameter | ParameterVariable {
  return value instanceof Parameter || (value instanceof tf.Variable && (value as Partial<ParameterVariable>).isParameter === true);
}

/** A module's parameters by name (`stateDict()`); `loadStateDict` also takes TensorFlow.js tensors. */
export type StateDict = Record<string, TorchTensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** The base of Module: its constructor returns a function whose prototype chain is the module's, so that a module
 *  is called as in PyTorch, `rnn(x)` being `rnn.forward(x)`. The function keeps no own property (its `name` and
 *  `length` are deleted, so that a user's `this.name = …` works and parameter discovery sees nothing new); subclass
 *  fields land on it because `super()` returns it; `instanceof`, `constructor` and the class's methods come
 *  through the prototype as for any object. */
class Callable {
  constructor() {
    // forward is looked up at each call: a shape trace may wrap it on the instance (trace-hooks.ts).
    const call = (...args: unknown[]): unknown => (call as unknown as Module).forward(...args);
    const own = call as { name?: string; length?: number };
    delete own.name;
    delete own.length;
    Object.setPrototypeOf(call, new.target.prototype);
    return call as unknown as Callable;
  }
}

/** The first of a function's two overloads (the only one when it has one signature). TypeScript's Parameters and
 *  ReturnType read the last overload only. */
type FirstOverload<F> = F extends { (...args: infer A): infer R; (...args: infer _B): unknown } ? (...args: A) => R : never;

/** A module called as a function runs `forward` with the same arguments and gives what it returns; typed from the
 *  module's own `forward` (`this` is the subclass here), its first and last overloads: enough for a forward that
 *  takes TensorFlow.js tensors or Tensors. Classes whose `forward` has more overloads declare their calls. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the class below is the module
export interface Module {
  (...args: Parameters<FirstOverload<this["forward"]>>): ReturnType<FirstOverload<this["forward"]>>;
  (...args: Parameters<this["forward"]>): ReturnType<this["forward"]>;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the interface adds the call signature
export class Module extends Callable {
  training = true;

  constructor() {
    super();
    traceModule(this); // a no-op unless a shape trace is running
  }

  /** Subclasses define `forward`; containers and user models override it with their own signature. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any, so that subclasses may narrow both sides
  forward(..._args: any[]): any {
    throw new Error(`${this.constructor.name} has no forward()`);
  }

  /** Direct children, in assignment order. */
  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, with dotted names ("" for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  /** Own parameters first, then each child's, recursively: PyTorch's `named_parameters()` order. */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [name, module] of this.namedModules(prefix)) {
      for (const [key, value] of Object.entries(module)) {
        if (isParameter(value) && !seen.has(value)) {
          seen.add(value);
          out.push([join(name, key), value]);
        }
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The number of trainable numbers, like `sum(p.numel() for p in model.parameters())`. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /** The parameters by name. The tensors are the live parameters: read them, do not dispose them. */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /** Copies values into the parameters. With `strict` (the default) any missing or unexpected key is an error;
   *  a shape mismatch is always an error. Returns the keys that did not match, like PyTorch. */
  loadStateDict(dict: Record<string, TorchTensor | Tensor>, { strict = true } = {}): LoadResult {
    if (typeof dict !== "object" || dict === null || Array.isArray(dict) || dict instanceof tf.Tensor || dict instanceof TorchTensor) {
      throw new UsageError(`Expected state_dict to be dict-like, got ${show(dict)}.`);
    }
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [key, given] of Object.entries(dict)) {
      const p = own.get(key);
      const value = given instanceof TorchTensor ? given.tf : given;
      if (p && !(value instanceof tf.Tensor)) {
        problems.push(`While copying the parameter named "${key}", expected a tensor from the state dict but received ${show(value)}`);
      } else if (p && !tf.util.arraysEqual(p.shape, value.shape)) {
        problems.push(
          `size mismatch for ${key}: copying a param with shape ${shapeString(value.shape)}, the shape in the current model is ${shapeString(p.shape)}`,
        );
      }
    }
    if (strict) {
      if (missingKeys.length) problems.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}`);
      if (unexpectedKeys.length) problems.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}`);
    }
    if (problems.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${problems.join("\n\t")}`);
    }
    for (const [key, value] of Object.entries(dict)) own.get(key)?.tf.assign((value instanceof TorchTensor ? value.tf : value).toFloat());
    return { missingKeys, unexpectedKeys };
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.tf.grad?.dispose();
      p.tf.grad = null;
    }
  }

  /** Frees the parameters' memory. */
  dispose(): void {
    this.zeroGrad();
    for (const p of this.parameters()) p.dispose();
  }

  /** How shape traces name the tensors `forward` takes and returns (tuples flattened); generic when empty. */
  traceNames(): TraceNames {
    return { inputs: [], outputs: [] };
  }

  /** What goes between the parentheses of the printed form, like PyTorch's `extra_repr`. */
  extraRepr(): string {
    return "";
  }

  /** The printed form, like PyTorch's: `LSTM(100, 20, num_layers=4, bidirectional=True)`, or a tree. */
  override toString(): string {
    const children = this.namedChildren();
    const extra = this.extraRepr();
    if (!children.length) return `${this.constructor.name}(${extra})`;
    const lines = extra ? extra.split("\n") : [];
    for (const [name, child] of children) lines.push(`(${name}): ${String(child).replace(/\n/g, "\n  ")}`);
    return `${this.constructor.name}(\n  ${lines.join("\n  ")}\n)`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

/** Python's spelling of values in printed forms (True, False, 0.5). */
export function py(value: boolean | number | string): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}
