// The gradient chart's pure logic: one column per parameter of the per-step gradient norms, warnings in words, and the
// trend of the gradient through time (the Dynamics tab).
// No DOM, so that test/unit/gradients.test.ts runs it under Node.
import type { GradientWarning, RunDetail } from "../src/common/protocol";
import { formatNumber } from "./numbers";
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
export const warningTitle = (w: GradientWarning) => `${w.kind === "vanishing" ? "Vanishing" : "Exploding"} gradient: ${w.parameter} at step ${w.step}`;

/** "norm 3.1e-9, 1e-4× its running median 3.1e-5 (epoch 2)" */
export const warningDetail = (w: GradientWarning) =>
  `norm ${formatNumber(w.norm)}, ${formatNumber(w.median > 0 ? w.norm / w.median : NaN)}× its running median ${formatNumber(w.median)} (epoch ${w.epoch})`;

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
