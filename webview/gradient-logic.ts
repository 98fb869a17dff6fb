// The gradient chart's pure logic: one column per parameter of the per-step gradient norms, warnings in words, and the
// trend of the gradient through time (the Dynamics tab).
// No DOM, so that test/unit/gradients.test.ts runs it under Node.
import type { GradientWarning, RunDetail } from "../src/common/protocol";
import { formatNumber } from "./numbers";
import { english, type Translate } from "../src/common/format";
import { stepXs, type Value } from "./curves";

type Step = RunDetail["steps"][number];

/** The parameters that have gradient norms, in first-seen order (the model's `namedParameters()` order). */
export function gradientNames(steps: readonly Step[]): string[] {
  const names = new Set<string>();
  for (const s of steps) for (const name of Object.keys(s.gradNorms ?? {})) names.add(name);
  return [...names];
}

/** [x, one column per name]: each step's norm of each parameter (null where a step has none). */
export function gradientColumns(steps: readonly Step[], names: readonly string[]): [number[], ...Value[][]] {
  const xs = stepXs(steps);
  return [xs, ...names.map((name) => steps.map((s) => normOf(s, name)))];
}

/** One step's norm of `name`, null when it has none or a non-finite one. */
export function normOf(step: Step, name: string): Value {
  const v = step.gradNorms?.[name];
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** "Vanishing gradient: weight_hh_l0 at step 140" */
export const warningTitle = (w: GradientWarning, t: Translate = english) =>
  w.kind === "vanishing" ? t("Vanishing gradient: {0} at step {1}", w.parameter, w.step) : t("Exploding gradient: {0} at step {1}", w.parameter, w.step);

/** "norm 3.1e-9, 1e-4× its running median 3.1e-5 (epoch 2)" */
export const warningDetail = (w: GradientWarning, t: Translate = english) =>
  t(
    "norm {0}, {1}× its running median {2} (epoch {3})",
    formatNumber(w.norm),
    formatNumber(w.median > 0 ? w.norm / w.median : NaN),
    formatNumber(w.median),
    w.epoch,
  );

/** The steps to mark on the gradient chart: one per step that raised warnings, in step order, naming what they said. */
export function warningMarks(warnings: readonly GradientWarning[], t: Translate = english): { x: number; title: string }[] {
  const byStep = new Map<number, string[]>();
  for (const w of warnings) {
    if (!Number.isFinite(w.step)) continue;
    byStep.set(w.step, [...(byStep.get(w.step) ?? []), warningTitle(w, t)]);
  }
  return [...byStep].sort(([a], [b]) => a - b).map(([x, titles]) => ({ x, title: titles.join("\n") }));
}

/** A group of the gradient chart's legend: the parameters of one module, each with its series' index. */
export interface LegendGroup {
  /** The module's path ("encoder.rnn"), or "" for parameters of the model itself. */
  module: string;
  items: { index: number; name: string; label: string }[];
}

/**
 * The parameters grouped by module for a legend that stays readable at 25 parameters: "rnn.weight_ih_l0" goes under
 * "rnn" as "weight_ih_l0". Groups in first-seen order, items in the order given.
 */
export function legendGroups(names: readonly string[]): LegendGroup[] {
  const groups = new Map<string, LegendGroup>();
  names.forEach((name, index) => {
    const dot = name.lastIndexOf(".");
    const module = dot > 0 ? name.slice(0, dot) : "";
    const group = groups.get(module) ?? { module, items: [] };
    group.items.push({ index, name, label: dot > 0 ? name.slice(dot + 1) : name });
    groups.set(module, group);
  });
  return [...groups.values()];
}

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
