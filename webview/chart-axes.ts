// Several metrics on one chart: which series goes on which y axis, and each axis's range. A metric's unit is read from
// its name and values: a bounded score (accuracy, precision, recall, F1, AUC…) in [0, 1] or in percent, or a value such
// as a loss or an error. The first series' unit takes the left axis; a series of another unit goes on the right, so
// that an accuracy in [0, 1] is not flattened under a loss of 3. A baseline (lesson 06's majority-class "baseline",
// 0.22) is a score to beat when its values are a score's: it goes on the scores' axis, not the loss's.
// Pure logic, tested under Node.
import type { Value } from "./curves";

export type Unit = "fraction" | "percent" | "value";
export type Side = "y" | "y2";

export interface MetricSeries {
  name: string;
  values: readonly Value[];
}

export interface AxisPlan {
  /** The axis of each series, in the order given. */
  sides: Side[];
  /** The unit of each axis (right: null when every series shares the left one's). */
  units: { y: Unit; y2: Unit | null };
  /** A fixed range per axis for a bounded unit ([0, 1], [0, 100]); null: from the data. */
  ranges: { y: [number, number] | null; y2: [number, number] | null };
  /** The names of the series on each axis, for its label. */
  names: { y: string[]; y2: string[] };
}

/** Names of scores bounded by 1 (or 100 %): accuracy, precision, recall, F1, AUC, exact match, IoU, Dice, hit rate. */
const SCORE = /acc|precision|recall|(^|[^a-z])f1|auc|exact|match|iou|dice|hit/i;
const PERCENT = /%|percent|pct/i;
/** Names of losses and errors: never a score, whatever their values. */
const LOSS = /loss|err|mse|mae|nll|perplexity|ppl|entropy|distance/i;
/** Names of reference levels (a majority-class baseline, chance): scores when their values fit a score's range. */
const REFERENCE = /baseline|chance|majority|random|prior/i;

function finite(values: readonly Value[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** What a metric measures, from its name and its values: a score in [0, 1], a score in percent, or anything else. */
export function metricUnit(name: string, values: readonly Value[]): Unit {
  const vs = finite(values);
  const within = (lo: number, hi: number) => vs.every((v) => v >= lo && v <= hi);
  if (PERCENT.test(name) && within(0, 100)) return "percent"; // an error rate in percent shares a score's scale
  if (LOSS.test(name)) return "value";
  if (!SCORE.test(name)) return REFERENCE.test(name) && vs.length > 0 && within(0, 1) ? "fraction" : "value";
  if (within(0, 1)) return "fraction";
  return within(0, 100) ? "percent" : "value";
}

/** The range a unit's axis always spans (a bounded score shows its whole scale), or null for a range from the data. */
export function unitRange(unit: Unit | null): [number, number] | null {
  return unit === "fraction" ? [0, 1] : unit === "percent" ? [0, 100] : null;
}

/**
 * Which axis each series goes on: the first series' unit on the left, every other unit on the right (a third unit, rare,
 * shares the right axis; the legend names each series' axis, so nothing is read against the wrong scale).
 */
export function planAxes(series: readonly MetricSeries[]): AxisPlan {
  const units = series.map((s) => metricUnit(s.name, s.values));
  const left = units[0] ?? "value";
  const sides = units.map((u): Side => (u === left ? "y" : "y2"));
  const rightUnits = [...new Set(units.filter((u) => u !== left))];
  const right = rightUnits.length === 1 ? rightUnits[0] : rightUnits.length ? "value" : null;
  const names = { y: series.filter((_, i) => sides[i] === "y").map((s) => s.name), y2: series.filter((_, i) => sides[i] === "y2").map((s) => s.name) };
  return { sides, units: { y: left, y2: right }, ranges: { y: unitRange(left), y2: unitRange(right) }, names };
}
