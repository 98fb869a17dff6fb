// Recording what the recurrent layers do over time, for one sample: hidden and cell states, gate
// activations, and how large the loss gradient is at each step's hidden state (‖∂L/∂h_t‖, the quantity
// behind the vanishing-gradient lesson).
//
// The recurrent modules ask `layerProbe` for a probe on every call of every layer and direction. While no
// recording runs it returns null and the fused layer (recurrence.ts) does nothing extra: training pays one
// function call per layer. `recordDynamics` installs an observer for one forward and backward pass, reads
// sample 0's values as plain numbers, and leaves every parameter's `.grad` untouched.
import { tf, type Tensor } from "./tf";
import type { Module } from "./module";
import { Tensor as TorchTensor } from "./tensor-class";
import type { DynamicsRecord } from "../common/dynamics-types";

export type { DynamicsRecord };

/** What the fused layer reports for sample 0 of one call (one layer, one direction). Rows are indexed by time
 *  (position in the sequence), not by processing order, also for the reverse direction. */
export interface LayerProbe {
  /** After the forward pass: hidden `[T, P]`, cell `[T, H]` (LSTM), gate activations `[T, G*H]` with `gateNames`. */
  forward(values: { hidden: Tensor; cell: Tensor | null; gates: Tensor | null; gateNames: readonly string[] }): void;
  /** In the backward pass: ‖∂L/∂h_t‖ of sample 0 for each time t, `[T]`. */
  backward(gradNorms: Tensor): void;
}

type Observer = (module: Module, layer: number, reverse: boolean) => LayerProbe | null;

let observer: Observer | null = null;

/** Called by the recurrent modules for each layer and direction they run; null unless a recording is on. */
export function layerProbe(module: Module, layer: number, reverse: boolean): LayerProbe | null {
  return observer ? observer(module, layer, reverse) : null;
}

const rows = (t: Tensor) => (t.arraySync() as number[][]).map((r) => r.map(Number));

/** Runs `computeLoss` (a forward pass of `model` that returns a scalar loss) and its backward pass, and returns
 *  what every recurrent layer of `model` did for sample 0. Tensors are freed; gradients are discarded. */
export function recordDynamics(model: Module, computeLoss: () => Tensor | TorchTensor): DynamicsRecord[] {
  const names = new Map(model.namedModules().map(([name, m]) => [m, name || m.constructor.name]));
  const records = new Map<string, DynamicsRecord>(); // in the order the layers first ran
  observer = (module, layer, reverse) => {
    const name = names.get(module);
    if (name === undefined) return null; // a module outside the model (in the loss, say)
    const direction = reverse ? "reverse" : "forward";
    const key = `${name}\u0000${layer}\u0000${direction}`;
    let record = records.get(key);
    if (!record) records.set(key, (record = { module: name, kind: module.constructor.name, layer, direction, hidden: [], gradNorms: [] }));
    const r = record;
    let offset = 0; // where this call's steps start in the record
    return {
      forward({ hidden, cell, gates, gateNames }) {
        offset = r.hidden.length;
        r.hidden.push(...rows(hidden));
        r.gradNorms.push(...new Array<number>(hidden.shape[0]).fill(0));
        if (cell) (r.cell ??= []).push(...rows(cell));
        if (gates) {
          const size = gates.shape[1]! / gateNames.length;
          const perGate = rows(gates).map((row) => gateNames.map((_, g) => row.slice(g * size, (g + 1) * size)));
          (r.gates ??= { names: [...gateNames], values: [] }).values.push(...perGate);
        }
      },
      backward(gradNorms) {
        gradNorms.dataSync().forEach((v, t) => (r.gradNorms[offset + t] += v));
      },
    };
  };
  try {
    tf.tidy(() => {
      tf.variableGrads(() => {
        const given = computeLoss();
        const loss = given instanceof TorchTensor ? given.tf : given;
        if (!(loss instanceof tf.Tensor) || loss.rank !== 0) throw new Error("recordDynamics: the loss must be a scalar tensor");
        return loss as tf.Scalar;
      });
    });
  } finally {
    observer = null;
  }
  return [...records.values()];
}
