// Gradient health while training: each step's gradient norm per parameter, judged against that parameter's
// running median. A norm far below it (vanishing) or far above it (exploding) starts a warning; the parameter
// is not flagged again until its norm is back within the thresholds. Plain logic, no library: the training
// loop feeds it the norms it read back in one batch, and the unit tests feed it numbers.
import type { GradientWarning } from "../protocol";

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
export const MAX_WARNINGS = 100;

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
  private readonly flagged = new Map<string, GradientWarning["kind"]>();

  constructor(
    private readonly thresholds: GradientThresholds,
    private readonly window = MEDIAN_WINDOW,
    private readonly warmup = WARMUP_STEPS,
  ) {}

  /** One step's norms, by parameter; the warnings that begin at this step. The norm then joins the window
   *  (a lasting change becomes the new normal, and ends the warning). Non-finite norms are skipped: a NaN
   *  stops the run anyway. */
  observe(step: number, epoch: number, norms: Readonly<Record<string, number>>): GradientWarning[] {
    const warnings: GradientWarning[] = [];
    for (const [parameter, norm] of Object.entries(norms)) {
      if (!Number.isFinite(norm)) continue;
      let past = this.history.get(parameter);
      if (!past) this.history.set(parameter, (past = []));
      const med = past.length >= this.warmup ? median(past) : 0;
      const kind = judge(norm, med, this.thresholds);
      if (kind && this.flagged.get(parameter) !== kind) warnings.push({ parameter, kind, step, epoch, norm, median: med });
      if (kind) this.flagged.set(parameter, kind);
      else this.flagged.delete(parameter);
      past.push(norm);
      if (past.length > this.window) past.shift();
    }
    return warnings;
  }
}
