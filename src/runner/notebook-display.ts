// What a notebook cell shows besides its printing, through three names every cell has (the kernel puts them on the
// notebook's scope; a cell may declare its own of the same name):
//   report({ loss })           in a training loop: one point per call on the cell's live chart, which is redrawn
//                              in place (one output, replaced) at most every REDRAW_MS and once more when the cell
//                              ends, so the notebook keeps the final chart (image/png) and numbers (text/plain);
//   display(x)                 shows x now as the cell's value would show (a tensor or module as PyTorch prints it);
//   display(heatmap(p))        a parameter (or any 1-D/2-D tensor) as a heatmap image, gate blocks labelled:
//                              heatmap(lstm, "weight_hh_l0") finds the gates from the module's kind.
// A loop reports explicitly (a loss is a tensor on the device: reading it every step is the loop's choice).
import { Tensor, tf } from "unroll";
import { drawHeatmap, drawLineChart, seriesText, type Series } from "../common/chart-image";
import { GATE_NAMES, KIND_OF_MODE, RECURRENT_KINDS, type Mode, type RecurrentKind } from "../common/gate-layout";
import type { DisplayData } from "../common/protocol";
import { encodePng } from "../runs/png";
import type { Raster } from "../common/raster";

/** The least time between two drawings of a live chart: a loop reporting every step must not flood the editor. */
export const REDRAW_MS = 250;

/** Where a display goes: outputs with the same id within a cell replace each other in place. */
export type SendDisplay = (displayId: string, data: DisplayData) => void;

/** A picture made by heatmap(), shown by display(). */
export class Heatmap {
  constructor(
    readonly title: string,
    readonly picture: Raster,
    readonly summary: string,
  ) {}
  toString(): string {
    return this.summary;
  }
}

const pngData = (picture: Raster, text: string): DisplayData => ({ "image/png": encodePng(picture).toString("base64"), "text/plain": text });

/** One cell's displays: its live chart (if it reports) and what it displays. */
export class CellDisplays {
  private readonly series = new Map<string, Series>();
  private drawnAt = -Infinity;
  private stale = false;
  private shown = 0;

  constructor(
    private readonly cellId: number,
    private readonly send: SendDisplay,
    /** How the cell's value is written (the kernel's: PyTorch's printing). */
    private readonly text: (value: unknown) => string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Adds a point per value (a number or a one-element tensor) at `step` (default: the series' next); redraws the
   *  chart when REDRAW_MS have passed since it was last drawn. */
  report(values: Record<string, unknown>, step?: number): void {
    if (typeof values !== "object" || values === null || Array.isArray(values)) {
      throw new TypeError(
        `report() takes the values by name, as report({ loss }); it got ${typeof values === "object" ? JSON.stringify(values) : typeof values}`,
      );
    }
    if (step !== undefined && !Number.isFinite(step)) throw new TypeError(`report(): the step must be a finite number, not ${String(step)}`);
    for (const [name, value] of Object.entries(values)) {
      const series = this.series.get(name) ?? { name, points: [] };
      this.series.set(name, series);
      series.points.push([step ?? series.points.length + 1, scalar(name, value)]);
    }
    this.stale = true;
    if (this.now() - this.drawnAt >= REDRAW_MS) this.drawChart();
  }

  /** Shows `value` now: a heatmap as its image, anything else as the cell's value shows. */
  display(value: unknown): void {
    const id = `cell-${this.cellId}-display-${++this.shown}`;
    this.send(id, value instanceof Heatmap ? pngData(value.picture, value.summary) : { "text/plain": this.text(value) ?? String(value) });
  }

  /** The cell ended: the chart is drawn with every point reported, so the notebook keeps the final one. */
  finish(): void {
    if (this.stale) this.drawChart();
  }

  private drawChart(): void {
    const series = [...this.series.values()];
    this.send(`cell-${this.cellId}-chart`, pngData(drawLineChart(series), seriesText(series)));
    this.drawnAt = this.now();
    this.stale = false;
  }
}

/** A reported value as a number: a number, or a tensor of one element (read from the device). */
function scalar(name: string, value: unknown): number {
  if (typeof value === "number") return value;
  const t = value instanceof Tensor ? value.tf : value instanceof tf.Tensor ? value : undefined;
  if (t && !t.isDisposed && t.size === 1) return Number(t.dataSync()[0]);
  throw new TypeError(`report(): ${name} must be a number or a tensor of one element${t ? `, not a tensor of shape [${t.shape.join(", ")}]` : ""}`);
}

/** Finds the named parameter of a module, or a tensor given itself, with the gate kind that labels its rows. */
function heatmapSource(source: unknown, nameOrOptions: unknown): { tensor: tf.Tensor; title: string; kind?: RecurrentKind } {
  if (source instanceof Tensor || source instanceof tf.Tensor) {
    const options = (typeof nameOrOptions === "object" && nameOrOptions !== null ? nameOrOptions : {}) as { gates?: unknown; title?: unknown };
    if (options.gates !== undefined && !RECURRENT_KINDS.includes(options.gates as RecurrentKind)) {
      throw new TypeError(`heatmap(): gates must be one of ${RECURRENT_KINDS.join(", ")}, not ${JSON.stringify(options.gates)}`);
    }
    const tensor = source instanceof Tensor ? source.tf : source;
    return {
      tensor,
      title: typeof options.title === "string" ? options.title : `tensor [${tensor.shape.join(", ")}]`,
      kind: options.gates as RecurrentKind | undefined,
    };
  }
  const module = source as { namedParameters?: () => [string, Tensor][]; mode?: unknown; constructor?: { name?: string } };
  if (typeof module?.namedParameters !== "function") throw new TypeError("heatmap() takes a tensor, or a module and the name of one of its parameters");
  const named = module.namedParameters();
  const found = named.find(([name]) => name === nameOrOptions);
  if (!found) throw new TypeError(`heatmap(): the module has no parameter ${JSON.stringify(nameOrOptions)}; it has ${named.map(([n]) => n).join(", ")}`);
  const mode = typeof module.mode === "string" && Object.hasOwn(KIND_OF_MODE, module.mode) ? (module.mode as Mode) : undefined;
  const gated = /^(weight|bias)_(ih|hh)/.test(found[0]);
  return {
    tensor: found[1].tf,
    title: `${module.constructor?.name ?? "module"}.${found[0]} [${found[1].tf.shape.join(", ")}]`,
    kind: gated && mode ? KIND_OF_MODE[mode] : undefined,
  };
}

/** heatmap(module, "weight_hh_l0") or heatmap(tensor, { gates: "LSTM", title }): the picture display() shows. */
export function heatmap(source: unknown, nameOrOptions?: unknown): Heatmap {
  const { tensor, title, kind } = heatmapSource(source, nameOrOptions);
  if (tensor.isDisposed) throw new TypeError("heatmap(): the tensor was disposed");
  if (tensor.rank < 1 || tensor.rank > 2 || tensor.size === 0)
    throw new TypeError(`heatmap() draws a 1-D or 2-D tensor, not one of shape [${tensor.shape.join(", ")}]`);
  const [rows, cols] = tensor.rank === 2 ? tensor.shape : [tensor.shape[0], 1];
  const values = tensor.dataSync() as ArrayLike<number>;
  // A recurrent weight's rows stack its gate blocks; a tensor of a stacking count's multiple is labelled when asked.
  const gates = kind && rows % Math.max(1, GATE_NAMES[kind].length) === 0 ? GATE_NAMES[kind] : [];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) [min, max] = [Math.min(min, values[i]), Math.max(max, values[i])];
  const summary = `${title}: min ${min.toPrecision(4)}, max ${max.toPrecision(4)}${gates.length ? `, gate blocks ${gates.join(" ")}` : ""}`;
  return new Heatmap(title, drawHeatmap({ values, rows, cols, title, gates }), summary);
}
