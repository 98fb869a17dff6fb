// The runs of a sweep compared on one metric: each run's value (its best epoch's, as run.json's `best` keeps it) and
// the best run. Shared by the CLI's sweep summary and the Runs table's sweep rows and chart.
import type { RunInfo } from "./protocol";

/** A range is read on a log scale (drawn from by a sweep, drawn by its chart) when both ends are > 0 and the high is
 *  at least LOG_RATIO × the low: learning rates, weight decays. */
export const LOG_RATIO = 100;
export const isLogRange = (low: number, high: number): boolean => low > 0 && high / low >= LOG_RATIO;

/** The metric a sweep is judged on unless one is chosen. */
export const DEFAULT_SWEEP_METRIC = "loss";

/** A run's value of `metric` and which way is better: its best epoch's (`best`), else its last epoch's. */
export function sweepValue(run: Pick<RunInfo, "best" | "finalMetrics" | "finalLoss">, metric: string): { value: number; goal: "min" | "max" } | undefined {
  const best = run.best && Object.prototype.hasOwnProperty.call(run.best, metric) ? run.best[metric] : undefined;
  if (best && Number.isFinite(best.value)) return { value: best.value, goal: best.goal };
  const last = metric === "loss" ? run.finalLoss : run.finalMetrics?.[metric];
  return typeof last === "number" && Number.isFinite(last) ? { value: last, goal: metric === "loss" ? "min" : "max" } : undefined;
}

/** The index of the best run on `metric` (ties: the first), or -1 when none has a value. */
export function bestRunIndex(runs: readonly Pick<RunInfo, "best" | "finalMetrics" | "finalLoss">[], metric: string): number {
  let best = -1;
  let bestValue = 0;
  runs.forEach((run, i) => {
    const v = sweepValue(run, metric);
    if (!v) return;
    if (best < 0 || (v.goal === "min" ? v.value < bestValue : v.value > bestValue)) [best, bestValue] = [i, v.value];
  });
  return best;
}
