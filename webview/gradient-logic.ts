// The gradient chart's pure logic: one column per parameter of the per-step gradient norms, warnings in words.
// No DOM, so that test/unit/gradients.test.ts runs it under Node.
import type { GradientWarning, RunDetail } from "../src/common/protocol";
import { formatNumber, stepXs, type Value } from "./logic";

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
export const warningTitle = (w: GradientWarning) => `${w.kind === "vanishing" ? "Vanishing" : "Exploding"} gradient: ${w.parameter} at step ${w.step}`;

/** "norm 3.1e-9, 1e-4× its running median 3.1e-5 (epoch 2)" */
export const warningDetail = (w: GradientWarning) =>
  `norm ${formatNumber(w.norm)}, ${formatNumber(w.median > 0 ? w.norm / w.median : NaN)}× its running median ${formatNumber(w.median)} (epoch ${w.epoch})`;
