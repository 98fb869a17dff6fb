// Exponential moving averages for the charts, debiased as TensorBoard's are (the first points are not pulled toward
// 0), and written as a running weighted mean so that a constant series comes out as that constant, bit for bit, from
// its first point (tensorboard#786: the naive form, last·w + (1 − w)·v divided by 1 − wⁿ, drifts by rounding).
import type { Value } from "./curves";

/** The running mean: `value` so far and `weight`, the sum of the weights of the points it holds (1 for the newest). */
export interface EmaState {
  value: number;
  weight: number;
}

export const emaState = (): EmaState => ({ value: 0, weight: 0 });

/** One point into the average, whose older points weigh `decay` times less than before; null for a gap (null, NaN,
 *  ±∞), which leaves the average alone. */
function fold(state: EmaState, v: Value, decay: number): Value {
  if (v === null || !Number.isFinite(v)) return null;
  state.weight = state.weight * decay + 1;
  // value + (v − value)/weight: v itself on the first point, and the value unchanged when v equals it.
  state.value += (v - state.value) / state.weight;
  return state.value;
}

const clampWeight = (weight: number) => Math.min(Math.max(Number.isFinite(weight) ? weight : 0, 0), 0.999);

/**
 * The smoothed series: each point is the mean of the points up to it, weighted `weight`^age (age in points).
 * `weight` in [0, 1): 0 is no smoothing. Gaps stay gaps and do not disturb the average.
 */
export function emaSmooth(values: readonly Value[], weight: number): Value[] {
  const w = clampWeight(weight);
  const state = emaState();
  return values.map((v) => fold(state, v, w));
}

/** One step of `emaSmooth`, for appending points one at a time. */
export function emaStep(state: EmaState, v: Value, weight: number): Value {
  return fold(state, v, clampWeight(weight));
}

/**
 * Smoothing for sparse series with uneven x (metrics every few epochs, some missing): a point's weight decays with the
 * distance along x, `weight` per typical gap (the median gap between points), so a point after a long gap owes less to
 * the points before it than one after a short gap. On evenly spaced points it equals `emaSmooth`.
 */
export function emaSmoothAt(xs: readonly number[], values: readonly Value[], weight: number): Value[] {
  const w = clampWeight(weight);
  const gap = typicalGap(xs, values);
  const state = emaState();
  let lastX: number | undefined;
  return values.map((v, i) => {
    const x = xs[i];
    if (v === null || !Number.isFinite(v) || !Number.isFinite(x)) return null;
    const decay = lastX === undefined || w === 0 ? w : Math.pow(w, Math.max(0, x - lastX) / gap);
    lastX = x;
    return fold(state, v, decay);
  });
}

/** The median distance between consecutive finite points (1 when there are fewer than two). */
function typicalGap(xs: readonly number[], values: readonly Value[]): number {
  const gaps: number[] = [];
  let last: number | undefined;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v) || !Number.isFinite(xs[i])) return;
    if (last !== undefined && xs[i] > last) gaps.push(xs[i] - last);
    last = xs[i];
  });
  if (!gaps.length) return 1;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}

/** A series shorter than this (per-epoch metrics, mostly) is read point by point: smoothing would end its line far
 *  from the last value (0.65 where lesson 06's loss is 0.51 after 8 epochs at 0.6). */
export const SHORT_SERIES = 30;

/** How a series is drawn at a smoothing weight: whether a smoothed line is drawn, and which line is bold. A short
 *  series keeps its raw values bold (a line through the points) and its smoothed line faint; a long one the other way. */
export function smoothingStyle(points: number, weight: number): { smoothed: boolean; rawBold: boolean } {
  if (!(weight > 0)) return { smoothed: false, rawBold: true };
  return { smoothed: true, rawBold: points < SHORT_SERIES };
}
