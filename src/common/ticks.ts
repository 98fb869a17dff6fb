// Tick values for the charts' axes (the webviews' and the notebook's chart images) at round numbers (1, 2, 2.5 or 5
// times a power of ten), and their labels written with no more digits than the step between ticks needs: −0.05,
// not −0.0494. Pure logic, tested under Node.

const MANTISSAS = [1, 2, 2.5, 5];

/** The round step that puts closest to `count` intervals (at least 1) across [min, max] (the smaller on a tie). */
export function niceStep(min: number, max: number, count = 5): number {
  const span = Math.abs(max - min);
  if (!Number.isFinite(span) || span === 0) return Number.isFinite(min) && min !== 0 ? niceStep(0, Math.abs(min), count) : 1;
  const n = Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(span / n)));
  const candidates = [0.1, 1, 10].flatMap((p) => MANTISSAS.map((m) => m * p * power));
  let best = candidates[0];
  for (const step of candidates) if (Math.abs(span / step - n) < Math.abs(span / best - n) - 1e-9) best = step;
  return Number(best.toPrecision(12));
}

/** The digits after the point a step's multiples need (0.25 → 2, 50 → 0, 2e-4 → 4). */
export function stepDecimals(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 0;
  for (let d = 0; d <= 20; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6 * step * 10 ** d) return d;
  return 20;
}

/** Multiples of the round step within [min, max] (both ends included when they fall on one). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  const [lo, hi] = min <= max ? [min, max] : [max, min];
  const step = niceStep(lo, hi, count);
  const decimals = stepDecimals(step);
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9 && ticks.length <= 1000; i++) {
    ticks.push(Number((i * step).toFixed(Math.min(decimals, 20))) || 0); // || 0: no −0
  }
  return ticks;
}

/** A tick's label: as many decimals as the step needs, a true minus sign, exponent form for tiny or huge values. */
export function tickLabel(value: number, step: number): string {
  if (!Number.isFinite(value)) return "";
  if (value === 0) return "0";
  const a = Math.abs(value);
  const minus = value < 0 ? "−" : "";
  if (a >= 1e6 || (a < 1e-4 && step < 1e-4))
    return minus + a.toExponential(Math.max(0, stepDecimals(step / 10 ** Math.floor(Math.log10(a))))).replace("e+", "e");
  return minus + a.toFixed(Math.min(stepDecimals(step), 10));
}

/** The labels of ticks uPlot placed (its splits, evenly spaced): each written to the step between them. */
export function tickLabels(splits: readonly (number | null)[]): string[] {
  const finite = splits.filter((v): v is number => v !== null && Number.isFinite(v));
  const gaps = finite
    .slice(1)
    .map((v, i) => Math.abs(v - finite[i]))
    .filter((g) => g > 0);
  const step = gaps.length ? Math.min(...gaps) : Math.abs(finite[0] ?? 1) || 1;
  return splits.map((v) => (v === null || !Number.isFinite(v) ? "" : tickLabel(v, step)));
}

/** `v` rounded up to a multiple of a round step a tenth its size or so (0.0494 → 0.05, 0.26 → 0.3): a colour scale's
 *  end, labelled roundly and truly. `v` itself when not a positive number. */
export function roundUp(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return v;
  const step = niceStep(0, v, 5);
  return Number((Math.ceil(v / step - 1e-9) * step).toFixed(stepDecimals(step)));
}

/** The labelled ticks under a histogram of [min, max] drawn `width` pixels wide: about one per 70 pixels. */
export function histogramTicks(min: number, max: number, width: number): { value: number; label: string }[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (!(max > min)) return [{ value: min, label: tickLabel(min, Math.abs(min) / 100 || 1) }];
  const count = Math.max(1, Math.min(6, Math.floor(width / 70)));
  const step = niceStep(min, max, count);
  return niceTicks(min, max, count).map((value) => ({ value, label: tickLabel(value, step) }));
}
