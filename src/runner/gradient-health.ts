// Gradient health while training: each step's gradient norm per parameter, judged against that parameter's
// running median. A norm far below it (vanishing) or far above it (exploding) starts a warning; the parameter
// is not flagged again until its norm is back within the thresholds. A vanished gradient stays vanished until its
// norm is back above the threshold of the median it fell from: what is left of it is at the level of rounding
// (lesson 9b's RNN: exact zeros and 2e-8 in turn on the wasm path, 1e-12 on the native kernels), not a new normal,
// and judged against itself it raised a warning at every other step, and could raise "exploding" ones. Plain
// logic, no library: the training loop feeds it the norms it read back in one batch, and the unit tests feed it
// numbers.
import type { GradientWarning } from "../common/protocol";
import { MAX_GRADIENT_WARNINGS } from "../common/run-reducer";

export interface GradientThresholds {
  /** A norm below `vanishing` × the running median is vanishing (0: never). */
  vanishing: number;
  /** A norm above `exploding` × the running median is exploding (0: never). */
  exploding: number;
}

/** How many earlier steps the running median looks at, and how many it needs before judging at all. */
export const MEDIAN_WINDOW = 50;
export const WARMUP_STEPS = 10;
/** At most this many warnings are kept in run.json (the first ones: where the trouble started). */
export const MAX_WARNINGS = MAX_GRADIENT_WARNINGS; // the explorer lists as many, live and after a reload

/** The median of `values` (not empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** How `norm` compares with `med` under `thresholds`: null when within them, or when the median says nothing (0). */
export function judge(norm: number, med: number, thresholds: GradientThresholds): GradientWarning["kind"] | null {
  if (!(med > 0) || !Number.isFinite(norm)) return null;
  if (thresholds.vanishing > 0 && norm < med * thresholds.vanishing) return "vanishing";
  if (thresholds.exploding > 0 && norm > med * thresholds.exploding) return "exploding";
  return null;
}

export class GradientMonitor {
  private readonly history = new Map<string, number[]>();
  private readonly exploding = new Set<string>();
  /** Parameters whose gradient vanished, with the running median they fell from. */
  private readonly vanishedFrom = new Map<string, number>();

  constructor(
    private readonly thresholds: GradientThresholds,
    private readonly window = MEDIAN_WINDOW,
    private readonly warmup = WARMUP_STEPS,
  ) {}

  /** One step's norms, by parameter; the warnings that begin at this step. The norm then joins the window (a
   *  lasting rise becomes the new normal, and ends the warning), unless it vanished: a vanished parameter is left
   *  out of the window and not judged until its norm is back above `vanishing` × the median it fell from. Non-finite
   *  norms are skipped: a NaN stops the run anyway. */
  observe(step: number, epoch: number, norms: Readonly<Record<string, number>>): GradientWarning[] {
    const warnings: GradientWarning[] = [];
    for (const [parameter, norm] of Object.entries(norms)) {
      if (!Number.isFinite(norm)) continue;
      const from = this.vanishedFrom.get(parameter);
      if (from !== undefined && norm < from * this.thresholds.vanishing) continue; // still vanished
      this.vanishedFrom.delete(parameter);
      let past = this.history.get(parameter);
      if (!past) this.history.set(parameter, (past = []));
      const med = past.length >= this.warmup ? median(past) : 0;
      const kind = judge(norm, med, this.thresholds);
      if (kind === "vanishing" || (kind === "exploding" && !this.exploding.has(parameter))) warnings.push({ parameter, kind, step, epoch, norm, median: med });
      if (kind === "exploding") this.exploding.add(parameter);
      else this.exploding.delete(parameter);
      if (kind === "vanishing") this.vanishedFrom.set(parameter, med);
      else {
        past.push(norm);
        if (past.length > this.window) past.shift();
      }
    }
    return warnings;
  }
}
