// The parallel-coordinates chart of a sweep, as pure layout: one vertical axis per swept hparam and one for the
// chosen metric, one line per run through its values, the best run marked. Numbers get a linear axis, or a log one
// for rates (isLogRange's rule, as the sweep draws them); texts and booleans evenly spaced categories. No DOM:
// unit-tested under Node (test/unit/parallel-coordinates.test.ts); drawn by runs-table-sweeps.ts.
import { isLogRange } from "../src/common/sweep";
import { formatNumber } from "./numbers";
import { niceStep, niceTicks, tickLabel } from "./ticks";

export type Value = number | string | boolean | undefined;

export interface PcAxis {
  key: string;
  scale: "linear" | "log" | "category";
  /** The ends of a numeric axis (a linear one widened when every value is the same). */
  min: number;
  max: number;
  /** A category axis's values, bottom to top. */
  categories?: string[];
  /** Set on the metric's axis: which way is better. */
  goal?: "min" | "max";
}

export interface PcRun {
  dir: string;
  values: Record<string, Value>;
}

export interface PcLine {
  dir: string;
  /** [x, y] in pixels, one per axis. */
  points: [number, number][];
  best: boolean;
}

export interface PcLayout {
  /** Each axis's x, in pixels. */
  xs: number[];
  lines: PcLine[];
  /** Runs left out: a value missing on some axis. */
  missing: number;
  /** The best run on the metric (the last axis), if any has it. */
  best?: string;
}

const own = (values: Record<string, Value>, key: string): Value => (Object.prototype.hasOwnProperty.call(values, key) ? values[key] : undefined);

/** One axis: numeric when every value the runs have is a finite number, else categories (sorted, numbers by value). */
export function pcAxis(runs: readonly PcRun[], key: string, goal?: "min" | "max"): PcAxis {
  const values = runs.map((r) => own(r.values, key)).filter((v) => v !== undefined);
  const numbers = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const withGoal = goal ? { goal } : {};
  if (numbers.length && numbers.length === values.length) {
    let [min, max] = [Math.min(...numbers), Math.max(...numbers)];
    if (isLogRange(min, max)) return { key, scale: "log", min, max, ...withGoal };
    if (min === max) [min, max] = [min - (Math.abs(min) || 1) * 0.5, max + (Math.abs(max) || 1) * 0.5];
    return { key, scale: "linear", min, max, ...withGoal };
  }
  const categories = [...new Set(values.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return { key, scale: "category", min: 0, max: Math.max(0, categories.length - 1), categories, ...withGoal };
}

/** The axes of a sweep: its names in order, then the metric (with its goal). */
export const pcAxes = (runs: readonly PcRun[], names: readonly string[], metric: string, goal: "min" | "max"): PcAxis[] => [
  ...names.map((n) => pcAxis(runs, n)),
  pcAxis(runs, metric, goal),
];

/** Where `v` sits on the axis, 0 (bottom) to 1 (top); undefined when it has no place there. */
export function axisFraction(axis: PcAxis, v: Value): number | undefined {
  if (v === undefined) return undefined;
  if (axis.scale === "category") {
    const i = axis.categories!.indexOf(String(v));
    if (i < 0) return undefined;
    return axis.categories!.length === 1 ? 0.5 : i / (axis.categories!.length - 1);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  if (axis.scale === "log") return v > 0 ? (Math.log(v) - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min)) : undefined;
  return (v - axis.min) / (axis.max - axis.min);
}

/** The value at `fraction` of a numeric axis (for its ticks). */
export const axisValue = (axis: PcAxis, fraction: number): number =>
  axis.scale === "log" ? Math.exp(Math.log(axis.min) + fraction * (Math.log(axis.max) - Math.log(axis.min))) : axis.min + fraction * (axis.max - axis.min);

/** An axis's labelled ticks, as [fraction from the bottom, label]: a numeric axis's ends (its lowest and highest
 *  value, 3 significant digits) and the round values between them (multiples of a round step on a linear axis, powers
 *  of ten on a log one) far enough from the ends to be read apart; a category axis's values. */
export function pcTicks(axis: PcAxis): [number, string][] {
  if (axis.scale === "category") return axis.categories!.map((c, k, all) => [all.length === 1 ? 0.5 : k / (all.length - 1), c]);
  const end = (v: number) => formatNumber(Number(v.toPrecision(3)));
  const inner =
    axis.scale === "log"
      ? powersOfTen(axis.min, axis.max).map((v): [number, string] => [axisFraction(axis, v)!, end(v)])
      : (() => {
          const step = niceStep(axis.min, axis.max, 2);
          return niceTicks(axis.min, axis.max, 2).map((v): [number, string] => [axisFraction(axis, v)!, tickLabel(v, step)]);
        })();
  return [[0, end(axis.min)], ...inner.filter(([f]) => f > 0.15 && f < 0.85), [1, end(axis.max)]];
}

/** The powers of ten within [min, max] (both positive). */
function powersOfTen(min: number, max: number): number[] {
  const powers: number[] = [];
  for (let k = Math.ceil(Math.log10(min) - 1e-9); k <= Math.floor(Math.log10(max) + 1e-9) && powers.length < 50; k++)
    powers.push(Number((10 ** k).toPrecision(12)));
  return powers;
}

/** The best run on the last axis (the metric), by its goal; ties: the first. */
export function bestOn(runs: readonly PcRun[], axis: PcAxis): string | undefined {
  let best: PcRun | undefined;
  for (const r of runs) {
    const v = own(r.values, axis.key);
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    const b = best && (own(best.values, axis.key) as number);
    if (best === undefined || (axis.goal === "max" ? v > b! : v < b!)) best = r;
  }
  return best?.dir;
}

/** Lines through each run's values on axes spread evenly across `width` (inside `pad`); a run missing a value on an
 *  axis is left out (and counted). The best run's line is drawn last, on top. */
export function pcLayout(
  runs: readonly PcRun[],
  axes: readonly PcAxis[],
  size: { width: number; height: number; pad: { left: number; right: number; top: number; bottom: number } },
): PcLayout {
  const { width, height, pad } = size;
  const span = width - pad.left - pad.right;
  const xs = axes.map((_, i) => pad.left + (axes.length === 1 ? span / 2 : (span * i) / (axes.length - 1)));
  const y = (f: number) => height - pad.bottom - f * (height - pad.top - pad.bottom);
  const best = axes.length ? bestOn(runs, axes[axes.length - 1]) : undefined;
  const lines: PcLine[] = [];
  let missing = 0;
  for (const run of runs) {
    const fractions = axes.map((a) => axisFraction(a, own(run.values, a.key)));
    if (fractions.some((f) => f === undefined)) {
      missing++;
      continue;
    }
    lines.push({ dir: run.dir, points: fractions.map((f, i) => [xs[i], y(f!)]), best: run.dir === best });
  }
  lines.sort((a, b) => Number(a.best) - Number(b.best));
  return { xs, lines, missing, ...(best ? { best } : {}) };
}
