// The webviews' pure logic: smoothing, log-safe values, CSV, colour scales, downsampling, gate labels,
// sparklines, reading a traced recurrent call (live run events are folded by src/run-reducer.ts). No DOM here,
// so that the unit tests (test/unit/webview-logic.test.ts) run it under Node.
import { isGpuMemory, type LayerDynamics, type ParameterSnapshot, type Point, type TraceEntry, type TracedShape } from "../src/common/protocol";
import { english, formatShape, type Translate } from "../src/common/format";
import { RECURRENT_KINDS, type GateName, type RecurrentKind } from "../src/common/gate-layout";

export type Value = number | null;

// ---------------------------------------------------------------------------------------------------
// Numbers

/** Compact, aligned-looking numbers: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e"); // 1.50e-7 → 1.5e-7, 1.00e-4 → 1e-4
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

export { formatShape };
export { csvField, metricNames, runCsv } from "../src/common/run-csv";

/** 12,345 */
export const formatCount = (n: number, locale = "en-US") => n.toLocaleString(locale);

export { emaSmooth, emaState, emaStep, emaSmoothAt, type EmaState } from "./smoothing";

/** Values for a log axis: what is not positive and finite becomes a gap (null) instead of breaking the scale. */
export function logSafe(values: readonly Value[]): Value[] {
  return values.map((v) => (v !== null && v > 0 && Number.isFinite(v) ? v : null));
}

/** The x of the next step point: the run's global step, or one past the last when steps do not increase. */
export function nextX(lastX: number | undefined, step: number): number {
  if (lastX === undefined) return Number.isFinite(step) ? step : 1;
  return Number.isFinite(step) && step > lastX ? step : lastX + 1;
}

/** The step axis of a run's curve (see nextX). */
export function stepXs(steps: readonly { step: number }[]): number[] {
  const xs: number[] = [];
  for (const s of steps) xs.push(nextX(xs.at(-1), s.step));
  return xs;
}

/** What the loss chart's x axis counts: steps, epochs (fractional within an epoch), seconds since the run
 *  started, or the wall clock (seconds since 1970, drawn as dates). */
export type XAxis = "step" | "epoch" | "time" | "wall";

/** `xs` made strictly increasing, as uPlot needs: a value not above the one before becomes that one plus `bump`. */
export function increasing(xs: readonly number[], bump: number): number[] {
  const out: number[] = [];
  for (const x of xs) {
    const last = out.at(-1);
    out.push(last === undefined ? (Number.isFinite(x) ? x : 0) : Number.isFinite(x) && x > last ? x : last + bump);
  }
  return out;
}

/** Each step's epoch as a fraction: the k-th of an epoch's n steps is at epoch − 1 + k/n, so epoch e ends at e. The last
 *  epoch, still running, is spread over as many steps as the epoch before had (or its own, when more). */
export function epochXs(steps: readonly { epoch: number }[]): number[] {
  const counts = new Map<number, number>();
  for (const s of steps) counts.set(s.epoch, (counts.get(s.epoch) ?? 0) + 1);
  const epochs = [...counts.keys()];
  const last = epochs.at(-1);
  if (last !== undefined && epochs.length > 1) counts.set(last, Math.max(counts.get(last)!, counts.get(epochs.at(-2)!)!));
  const seen = new Map<number, number>();
  const xs = steps.map((s) => {
    const k = (seen.get(s.epoch) ?? 0) + 1;
    seen.set(s.epoch, k);
    return s.epoch - 1 + k / counts.get(s.epoch)!;
  });
  return increasing(xs, 1e-9);
}

/** The x of each step on `axis`; `startedAt` (run.json's ISO time) places relative times on the wall clock. */
export function stepAxis(steps: readonly { epoch: number; step: number; time: number }[], axis: XAxis, startedAt = ""): number[] {
  if (axis === "step") return stepXs(steps);
  if (axis === "epoch") return epochXs(steps);
  const start = axis === "wall" ? (Date.parse(startedAt) || 0) / 1000 : 0;
  return increasing(
    steps.map((s) => start + s.time),
    1e-4,
  );
}

/** The `lo` and `hi` quantiles of the finite values (linear interpolation between order statistics), or null when there
 *  are none: the outlier-robust range of a chart's y axis. */
export function quantileRange(values: Iterable<Value>, lo = 0.01, hi = 0.99): [number, number] | null {
  const sorted: number[] = [];
  for (const v of values) if (v !== null && Number.isFinite(v)) sorted.push(v);
  if (!sorted.length) return null;
  sorted.sort((a, b) => a - b);
  const at = (q: number) => {
    const i = q * (sorted.length - 1);
    const j = Math.floor(i);
    return j + 1 < sorted.length ? sorted[j] + (sorted[j + 1] - sorted[j]) * (i - j) : sorted[j];
  };
  return [at(lo), at(hi)];
}

/** Where the values fall outside [min, max]: the indexes above and below, so that a chart marks them at its edges
 *  instead of dropping them silently. */
export function clippedIndexes(values: readonly Value[], min: number, max: number, from = 0, to = values.length): { above: number[]; below: number[] } {
  const above: number[] = [];
  const below: number[] = [];
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) continue;
    if (v > max) above.push(i);
    else if (v < min) below.push(i);
  }
  return { above, below };
}

/**
 * Columns sharing one sorted x axis, in the layout uPlot draws ([x, ...columns]), for overlaying curves
 * whose x values differ. Appending past the end (the live case) is O(1); a point inside the range lands on
 * its row, or inserts one.
 */
export class CurveTable {
  readonly x: number[] = [];
  readonly columns: Value[][];

  constructor(columnCount: number) {
    this.columns = Array.from({ length: columnCount }, () => []);
  }

  /** Sets column `c` at `x`; returns the row and whether it was appended at the end. */
  set(c: number, x: number, y: Value): { row: number; appended: boolean } {
    const n = this.x.length;
    if (n === 0 || x > this.x[n - 1]) {
      this.x.push(x);
      for (const col of this.columns) col.push(null);
      this.columns[c][n] = y;
      return { row: n, appended: true };
    }
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.x[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (this.x[lo] !== x) {
      this.x.splice(lo, 0, x);
      for (const col of this.columns) col.splice(lo, 0, null);
    }
    this.columns[c][lo] = y;
    return { row: lo, appended: false };
  }

  get data(): [number[], ...Value[][]] {
    return [this.x, ...this.columns];
  }
}

/** A byte count as people read it: "512 bytes", "1.5 KiB", "123.4 MiB", "2.0 GiB". */
export const formatBytes = (n: number) =>
  n >= 1 << 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 1 << 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${n} bytes`;

/** The Training tab's line for a run on WebGPU: "GPU memory: 123.4 MiB" (in use by tensors) and, for its tooltip,
 *  what is allocated. Null without GPU memory, or with a malformed one (what the host relays is checked here). */
export function gpuMemoryLine(memory: unknown, t: Translate = english): { text: string; title: string } | null {
  if (!isGpuMemory(memory)) return null;
  return {
    text: t("GPU memory: {0}", formatBytes(memory.inUse)),
    title: t("{0} in use by tensors; {1} allocated, with the buffers kept for reuse", formatBytes(memory.inUse), formatBytes(memory.allocated)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Colour

export type Rgb = [number, number, number];

/** Parses the colours the theme's CSS variables hold: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba(). */
export function parseColor(css: string): Rgb | null {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [m[1], m[2], m[3]].map((c) => Math.round(Math.min(255, Number(c)))) as Rgb;
  return null;
}

/** The golden angle in degrees: successive hues this far apart never repeat and stay far from every hue before. */
const GOLDEN_ANGLE = 180 * (3 - Math.sqrt(5));

/**
 * The colour of the i-th compared run, distinct for any number of runs: hues a golden angle apart (from orange, so the
 * run shown stays the theme's blue), lightness in three tiers so that neighbours in hue also differ in lightness, lighter
 * on a dark background.
 */
export function runColor(i: number, dark: boolean): string {
  const hue = (30 + i * GOLDEN_ANGLE) % 360;
  const tier = i % 3;
  const lightness = (dark ? 68 : 40) + (tier - 1) * 8;
  return `hsl(${hue.toFixed(1)}, ${tier === 2 ? 60 : 80}%, ${lightness}%)`;
}

/** Relative luminance in [0, 1] (sRGB), to tell a dark theme's background from a light one's. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgb;

/**
 * A diverging scale centred on the theme's background: 0 is the background (so the matrix's structure, not
 * its zeros, stands out in light and dark themes alike), −maxAbs full `negative`, +maxAbs full `positive`.
 * The square root spends more of the range on small values, where most weights live.
 */
export function divergingColor(value: number, maxAbs: number, center: Rgb, negative: Rgb, positive: Rgb): Rgb {
  if (!Number.isFinite(value) || maxAbs <= 0) return center;
  const t = Math.min(Math.abs(value) / maxAbs, 1);
  return mix(center, value < 0 ? negative : positive, Math.sqrt(t));
}

/** The largest finite |value| (1 when there is none), the symmetric range of a diverging heatmap. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && Number.isFinite(a)) m = a;
  }
  return m || 1;
}

// ---------------------------------------------------------------------------------------------------
// Grids (heatmaps)

/** A row-major matrix. */
export interface Grid {
  rows: number;
  cols: number;
  values: ArrayLike<number>;
}

/** [row][col] → Grid; `transpose` puts the first index along the columns (time along x in the Dynamics tab). */
export function gridFrom(matrix: readonly (readonly number[])[], transpose = false): Grid {
  const a = matrix.length;
  const b = a ? matrix[0].length : 0;
  const values = new Float32Array(a * b);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) values[transpose ? j * a + i : i * b + j] = matrix[i][j] ?? NaN;
  }
  return transpose ? { rows: b, cols: a, values } : { rows: a, cols: b, values };
}

/** Gate `g` of [time][gate][unit] as a units × time grid. */
export function gateGrid(values: readonly (readonly (readonly number[])[])[], g: number): Grid {
  return gridFrom(
    values.map((step) => step[g] ?? []),
    true,
  );
}

/**
 * Averages blocks so that the grid is at most maxRows × maxCols (one value per canvas pixel is enough;
 * drawing more only costs). Non-finite values are left out of their block's average.
 */
export function downsampleGrid(grid: Grid, maxRows: number, maxCols: number): Grid {
  const rows = Math.max(1, Math.min(grid.rows, Math.floor(maxRows)));
  const cols = Math.max(1, Math.min(grid.cols, Math.floor(maxCols)));
  if (rows === grid.rows && cols === grid.cols) return grid;
  const sums = new Float64Array(rows * cols);
  const counts = new Uint32Array(rows * cols);
  for (let r = 0; r < grid.rows; r++) {
    const br = Math.floor((r * rows) / grid.rows);
    for (let c = 0; c < grid.cols; c++) {
      const v = grid.values[r * grid.cols + c];
      if (!Number.isFinite(v)) continue;
      const k = br * cols + Math.floor((c * cols) / grid.cols);
      sums[k] += v;
      counts[k]++;
    }
  }
  const values = new Float32Array(rows * cols);
  for (let k = 0; k < values.length; k++) values[k] = counts[k] ? sums[k] / counts[k] : NaN;
  return { rows, cols, values };
}

/** The grid a parameter's heatmap shows: a bias (1-D) stands as one column, so its gate blocks run down it like a matrix's rows. */
export function parameterGrid(p: ParameterSnapshot): Grid {
  const { rows, cols, values } = p.heatmap;
  return p.shape.length <= 1 ? { rows: rows * cols, cols: 1, values } : { rows, cols, values };
}

/** A labelled band of rows, in (possibly fractional) grid rows: [start, end). */
export interface RowBlock {
  label: string;
  start: number;
  end: number;
}

/**
 * The gate blocks of a parameter along its heatmap's rows: PyTorch stacks the gates along the first
 * dimension (weight_ih_l0 of an LSTM is [4·hidden, input], gates i f g o), so each gate is an equal band,
 * even when the heatmap was downsampled.
 */
export function gateBlocks(p: ParameterSnapshot): RowBlock[] {
  const gates = p.gates ?? [];
  if (gates.length < 2) return [];
  const rows = parameterGrid(p).rows;
  return gates.map((label, i) => ({ label, start: (i * rows) / gates.length, end: ((i + 1) * rows) / gates.length }));
}

/** Every gate of src/common/gate-layout.ts, named (the type refuses one left out). */
const gateNames = (t: Translate): Record<GateName, string> => ({
  i: t("input gate"),
  f: t("forget gate"),
  g: t("cell candidate"),
  o: t("output gate"),
  r: t("reset gate"),
  z: t("update gate"),
  n: t("new gate"),
});

/** "f (forget gate)" */
export const gateTitle = (g: string, t: Translate = english) => {
  const names: Partial<Record<string, string>> = gateNames(t);
  const name = names[g];
  return name ? `${g} (${name})` : g;
};

/** What a parameter's card says under its name: "layer 0, forward · gates i f g o · downsampled from [1024, 256]". */
export function parameterNote(p: ParameterSnapshot, t: Translate = english): string {
  const parts: string[] = [];
  const direction = p.direction && directionName(p.direction, t);
  if (p.layer !== undefined) parts.push(`${t("layer {0}", p.layer)}${direction ? `, ${direction}` : ""}`);
  else if (direction) parts.push(direction);
  if (p.gates && p.gates.length > 1) parts.push(t("gates {0}", p.gates.join(" ")));
  if (p.heatmap.downsampledFrom) parts.push(t("downsampled from {0}", formatShape(p.heatmap.downsampledFrom)));
  return parts.join(" · ");
}

/** "rnn · layer 1 · reverse" */
export const dynamicsLabel = (d: LayerDynamics, t: Translate = english) =>
  `${d.module} (${d.kind}) · ${t("layer {0}", d.layer)} · ${directionName(d.direction, t)}`;

/** "forward", "reverse", in the user's words. */
const directionName = (direction: string, t: Translate) => ({ forward: t("forward"), reverse: t("reverse") })[direction] ?? direction;

/**
 * How the gradient reaching h_t changes from the last step back to the first. The ratio is
 * ‖∂L/∂h_first‖ / ‖∂L/∂h_last‖: far below 1 the early steps barely learn (vanishing), far above they
 * dominate (exploding).
 */
export function gradientTrend(norms: readonly number[]): { ratio: number; verdict: "vanishing" | "exploding" | "steady" } | null {
  const finite = norms.filter((n) => Number.isFinite(n) && n > 0);
  if (finite.length < 2) return null;
  const ratio = finite[0] / finite[finite.length - 1];
  return { ratio, verdict: ratio < 1e-2 ? "vanishing" : ratio > 1e2 ? "exploding" : "steady" };
}

// ---------------------------------------------------------------------------------------------------
// Sparkline

/**
 * A curve's points in a width × height box (canvas coordinates: y down), `pad` pixels in. `log` plots
 * log10(y), skipping what is not positive. Non-finite points are skipped; a flat curve sits mid-height.
 */
export function sparkline(points: readonly Point[], width: number, height: number, pad = 1, log = false): Point[] {
  const pts = points.map(([x, y]): Point => [x, log ? (y > 0 ? Math.log10(y) : NaN) : y]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) return [];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const w = width - 2 * pad;
  const h = height - 2 * pad;
  return pts.map(([x, y]): Point => [pad + (x1 > x0 ? ((x - x0) / (x1 - x0)) * w : w / 2), pad + (y1 > y0 ? (1 - (y - y0) / (y1 - y0)) * h : h / 2)]);
}

// ---------------------------------------------------------------------------------------------------
// A traced recurrent call, for the unrolled diagram

export interface UnrolledCall {
  kind: RecurrentKind;
  /** RNNCell, LSTMCell, GRUCell: one step per call. */
  cell: boolean;
  steps: number;
  /** null for an unbatched (2-D) input. */
  batch: number | null;
  inputSize: number;
  hiddenSize: number;
  layers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  /** The input was a PackedSequence. */
  packed: boolean;
  input: TracedShape;
  outputs: TracedShape[];
}

const RECURRENT_MODULE = new RegExp(`^(${RECURRENT_KINDS.join("|")})(Cell)?$`);

/** Reads `LSTM(50, 100, num_layers=2, bidirectional=True)` and the call's shapes; null for anything else. */
export function unrolledCall(entry: TraceEntry): UnrolledCall | null {
  const m = RECURRENT_MODULE.exec(entry.name);
  const input = entry.inputs?.[0];
  const config = entry.recurrent;
  if (entry.kind !== "call" || !m || !config || !input || input.shape.length < 1) return null;
  const cell = m[2] === "Cell";
  const { batchFirst } = config;
  const shape = input.shape;
  let steps = 1;
  let batch: number | null = null;
  if (input.packed) {
    steps = input.packed.batchSizes.length;
    batch = input.packed.batchSizes[0] ?? null;
  } else if (cell) {
    batch = shape.length >= 2 ? shape[0] : null;
  } else if (shape.length >= 3) {
    steps = batchFirst ? shape[1] : shape[0];
    batch = batchFirst ? shape[0] : shape[1];
  } else {
    steps = shape[0];
  }
  return {
    kind: m[1] as UnrolledCall["kind"],
    cell,
    steps,
    batch,
    inputSize: config.inputSize,
    hiddenSize: config.hiddenSize,
    layers: config.numLayers,
    bidirectional: config.bidirectional,
    batchFirst,
    packed: !!input.packed,
    input,
    outputs: entry.outputs ?? [],
  };
}

/**
 * Which time steps the diagram draws: all of them up to `max`, else the first few, a gap (null), and the
 * last two, so a 1,000-step sequence still reads as "x₁ x₂ x₃ … x₉₉₉ x₁₀₀₀".
 */
export function shownSteps(steps: number, max = 7): (number | null)[] {
  if (steps <= max) return Array.from({ length: steps }, (_, i) => i + 1);
  const head = max - 3;
  return [...Array.from({ length: head }, (_, i) => i + 1), null, steps - 1, steps];
}
