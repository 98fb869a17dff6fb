// Hooks for shape traces (src/runner/trace.ts). The library tells an observer, when one is set, about every
// module it constructs, every `forward` call and every tensor factory call. With no observer (training, tests,
// user code) each hook is one null check, so the library runs as if they were not there.
import type { Module } from "./module";
import type { Tensor } from "./tf";

export interface TraceObserver {
  /** A module is being constructed: called from Module's constructor, so the subclass's fields and
   *  parameters are not set yet; read them later (at its first call, or when the trace ends). */
  module(module: Module): void;
  /** `module.forward(...args)` is called; `run` performs the call (returns its result or throws). */
  call(module: Module, args: unknown[], run: () => unknown): unknown;
  /** A tensor factory (`randn`, `zeros`, …) returned `tensor`. */
  tensor(factory: string, tensor: Tensor): void;
}

let observer: TraceObserver | null = null;

/** Sets (or, with null, removes) the observer. Modules constructed while it is set report their calls to it
 *  for as long as it stays set. */
export function setTraceObserver(o: TraceObserver | null): void {
  observer = o;
}

/** Called by Module's constructor. */
export function traceModule(module: Module): void {
  const o = observer;
  if (!o) return;
  o.module(module);
  // Calls are intercepted on the instance: an own, non-enumerable `forward` (so parameter and child discovery,
  // which walk own enumerable properties, see nothing new) around the class's one, found now through the
  // prototype chain of the class being constructed.
  const forward = module.forward;
  Object.defineProperty(module, "forward", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function (this: Module, ...args: unknown[]): unknown {
      return observer === o ? o.call(this, args, () => forward.apply(this, args)) : forward.apply(this, args);
    },
  });
}

/** Called by the tensor factories with what they return. */
export function traceTensor(factory: string, tensor: Tensor): Tensor {
  observer?.tensor(factory, tensor);
  return tensor;
}

/** How a module's `forward` tensors are named in traces, tuples flattened in order; names past the end of
 *  these lists are generic (`input`, `arg1`, …; `out`, or `out0`, `out1`, …). */
export interface TraceNames {
  inputs: string[];
  outputs: string[];
}
