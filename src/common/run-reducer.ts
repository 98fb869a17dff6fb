// The one reducer from run events to a run's detail (what the explorer shows): the webview folds live events with
// it, and the run store's reader folds metrics.jsonl's lines with it, so that a live run and the same run read back
// after a reload show the same thing. Pure and in bounded memory whatever the run's length: past MAX_STEPS_SHOWN
// steps, each point drawn is the mean of an equal run of steps (the bucket doubles as the run grows; the last point
// is the mean of the bucket being filled); past MAX_EPOCHS_SHOWN epochs, every other epoch is dropped (the latest
// always stays); gradient warnings stop at MAX_GRADIENT_WARNINGS (the count goes on); an epoch's texts are cut at
// MAX_METRIC_TEXT characters.
// Plain data only: imports nothing but the protocol's types and its setOwn/ownValue.
import {
  isGpuMemory,
  MAX_STORED_SNAPSHOTS,
  ownValue,
  setOwn,
  type CurveState,
  type Point,
  type RunDetail,
  type RunEvent,
  type RunFold,
  type RunInfo,
} from "./protocol";
import { textPrefix } from "./format";

/** How many points of the per-step curve a detail holds; more steps are averaged in equal runs. */
export const MAX_STEPS_SHOWN = 10_000;
/** How many epochs a detail holds; past it, every other one is dropped. */
export const MAX_EPOCHS_SHOWN = 10_000;
/** How many gradient warnings a run lists (run.json keeps as many); `gradientWarningCount` counts them all. */
export const MAX_GRADIENT_WARNINGS = 100;
/** A text metric (a prediction) longer than this is cut, with "…": the table shows a line of it. */
export const MAX_METRIC_TEXT = 200;
/** An epoch's metrics and a step's gradient norms past these counts are left out (no chart draws more). */
export const MAX_METRICS_PER_EPOCH = 64;
export const MAX_NORMS_PER_STEP = 256;

/** Points of the sparkline, kept as the steps come: at MAX_POINTS full points, neighbours merge and the bucket
 *  doubles. The same for a run written step by step and one rebuilt from metrics.jsonl, in O(MAX_POINTS) memory. */
export const MAX_POINTS = 200;

export class LossCurve {
  constructor(public state: CurveState = { bucket: 1, points: [], partial: [0, 0, 0] }) {}

  /** Adds a step; true when the points merged. */
  add(step: number, loss: number): boolean {
    const s = this.state;
    const [, sum, count] = s.partial;
    s.partial = [step, sum + loss, count + 1];
    if (count + 1 < s.bucket) return false;
    s.points.push([step, (sum + loss) / (count + 1)]);
    s.partial = [0, 0, 0];
    if (s.points.length < MAX_POINTS) return false;
    const merged: Point[] = [];
    for (let i = 0; i + 1 < s.points.length; i += 2) merged.push([s.points[i + 1][0], (s.points[i][1] + s.points[i + 1][1]) / 2]);
    s.points = merged;
    s.bucket *= 2;
    return true;
  }

  points(): Point[] {
    const [step, sum, count] = this.state.partial;
    return count ? [...this.state.points, [step, sum / count]] : [...this.state.points];
  }
}

export type RunChange = "info" | "step" | "steps" | "epoch" | "snapshot" | "dynamics" | "gradientWarning" | null;
type Step = RunDetail["steps"][number];
type Epoch = RunDetail["epochs"][number];
type StepEvent = Extract<RunEvent, { type: "step" }>;
type EpochEvent = Extract<RunEvent, { type: "epoch" }>;

function newFold(maxSteps: number): RunFold {
  return {
    maxSteps,
    stepBucket: 1,
    stepsSeen: 0,
    partial: null,
    maxEpochs: MAX_EPOCHS_SHOWN,
    epochStride: 1,
    epochsSeen: 0,
    curve: { bucket: 1, points: [], partial: [0, 0, 0] },
  };
}

/** A run with nothing folded in yet. `maxSteps` (even, ≥ 2): the most steps drawn (tests use fewer). */
export function emptyRunDetail(info: RunInfo, dir = "", maxSteps = MAX_STEPS_SHOWN): RunDetail {
  return { summary: { info, dir, lossCurve: [] }, steps: [], epochs: [], fold: newFold(Math.max(2, maxSteps - (maxSteps % 2))) };
}

/** The detail's reducer state; a detail built without one (by hand, in a test) starts one from what it holds. */
function foldOf(detail: RunDetail): RunFold {
  if (detail.fold) return detail.fold;
  const fold = newFold(MAX_STEPS_SHOWN);
  fold.stepsSeen = detail.steps.length;
  fold.epochsSeen = detail.epochs.length;
  const curve = new LossCurve(fold.curve);
  for (const s of detail.steps) curve.add(s.step, s.loss);
  return (detail.fold = fold);
}

/**
 * Folds one event into the run shown, in place, and says what changed so the view redraws only that: "step" when a
 * step was appended, "steps" when the steps drawn changed otherwise (thinned, or their last point, the mean of the
 * bucket being filled, moved: redraw them all), null when nothing drawn changed (a log line).
 */
export function applyRunEvent(detail: RunDetail, event: RunEvent): RunChange {
  switch (event.type) {
    case "start":
    case "end":
      detail.summary.info = event.run;
      return "info";
    case "error":
      detail.summary.info = { ...detail.summary.info, error: event.error };
      return "info";
    case "step":
      return foldStep(detail, foldOf(detail), event);
    case "gradientWarning": {
      const info = detail.summary.info;
      const warnings = info.gradientWarnings ?? [];
      detail.summary.info = {
        ...info,
        gradientWarnings: warnings.length < MAX_GRADIENT_WARNINGS ? [...warnings, event.warning] : warnings,
        gradientWarningCount: Math.max(info.gradientWarningCount ?? 0, warnings.length) + 1,
      };
      return "gradientWarning";
    }
    case "epoch":
      foldEpoch(detail, foldOf(detail), event);
      detail.summary.info = { ...detail.summary.info, epoch: event.epoch, finalLoss: event.loss, finalMetrics: event.metrics };
      return "epoch";
    case "snapshot":
      detail.snapshot = { epoch: event.epoch, step: event.step, parameters: event.parameters };
      noteSnapshotStep(detail, event.step);
      return "snapshot";
    case "dynamics":
      detail.dynamics = { epoch: event.epoch, step: event.step, layers: event.layers, ...(event.tokens ? { tokens: event.tokens } : {}) };
      return "dynamics";
    default:
      return null; // log and checkpoint lines change nothing the explorer draws
  }
}

/**
 * The epoch a run is at, as the status bar says it: while it runs, the epoch of its latest step (the one in progress),
 * else the last epoch that ended. The run's info alone counts only the epochs that ended, one behind while training.
 */
export function epochInProgress(detail: Pick<RunDetail, "steps" | "summary">): number | undefined {
  const info = detail.summary.info;
  const stepEpoch = detail.steps.at(-1)?.epoch;
  if (info.status !== "running" || stepEpoch === undefined) return info.epoch;
  return Math.max(info.epoch ?? 0, stepEpoch);
}

/** At most `max` of the entries, in order. */
const firstEntries = <T>(record: Record<string, T>, max: number): [string, T][] => Object.entries(record).slice(0, max);

/** A step's gradient norms, at most MAX_NORMS_PER_STEP of them (the object itself when it has no more). */
function boundedNorms(norms: Record<string, number>): Record<string, number> {
  let count = 0;
  for (const _ in norms) if (++count > MAX_NORMS_PER_STEP) return Object.fromEntries(firstEntries(norms, MAX_NORMS_PER_STEP));
  return norms;
}

function foldStep(detail: RunDetail, fold: RunFold, event: StepEvent): RunChange {
  fold.stepsSeen++;
  syncLossCurve(detail.summary.lossCurve, fold.curve, new LossCurve(fold.curve).add(event.step, event.loss));
  if (isGpuMemory(event.gpuMemory)) detail.gpuMemory = { inUse: event.gpuMemory.inUse, allocated: event.gpuMemory.allocated };
  if (fold.stepBucket === 1) {
    const step: Step = { epoch: event.epoch, step: event.step, loss: event.loss, lr: event.lr, time: event.time };
    if (event.gradNorms) step.gradNorms = boundedNorms(event.gradNorms);
    detail.steps.push(step);
  } else {
    detail.stepsOnDisk = fold.stepsSeen;
    addToBucket(detail, fold, event);
  }
  if (fold.partial || detail.steps.length < fold.maxSteps) return fold.stepBucket === 1 ? "step" : "steps";
  const merged: Step[] = [];
  for (let i = 0; i + 1 < detail.steps.length; i += 2) merged.push(mergeSteps(detail.steps[i], detail.steps[i + 1]));
  detail.steps.splice(0, detail.steps.length, ...merged);
  fold.stepBucket *= 2;
  detail.stepsOnDisk = fold.stepsSeen;
  return "steps";
}

/** Adds a step to the bucket being filled, drawn as the last point (changed in place: a long run's steps allocate
 *  nothing new until the next bucket); `fold.partial` is null again once the bucket is full. */
function addToBucket(detail: RunDetail, fold: RunFold, event: StepEvent): void {
  let p = fold.partial;
  if (!p) {
    p = fold.partial = { lossSum: 0, count: 0, norms: {} };
    detail.steps.push({ epoch: 0, step: 0, loss: 0, lr: 0, time: 0 });
  }
  const point = detail.steps[detail.steps.length - 1];
  Object.assign(point, { epoch: event.epoch, step: event.step, lr: event.lr, time: event.time });
  p.lossSum += event.loss;
  p.count++;
  point.loss = p.lossSum / p.count;
  if (event.gradNorms) {
    let count = 0;
    for (const name in event.gradNorms) if (count++ < MAX_NORMS_PER_STEP) addNorm(p.norms, name, event.gradNorms[name]);
  }
  for (const name in p.norms) setOwn((point.gradNorms ??= {}), name, Math.exp(p.norms[name][0] / p.norms[name][1]));
  if (p.count === fold.stepBucket) fold.partial = null;
}

/** Adds a norm to the log sums; one that is not positive and finite (a NaN, a zero) has no logarithm to average
 *  and is left out. */
function addNorm(norms: Record<string, [number, number]>, name: string, norm: number): void {
  if (!(norm > 0 && Number.isFinite(norm))) return;
  const sums = ownValue(norms, name);
  if (sums) {
    sums[0] += Math.log(norm);
    sums[1]++;
  } else setOwn(norms, name, [Math.log(norm), 1]);
}

/** Two neighbouring points of equal buckets as one: at the later one's step (its epoch, lr and time), their mean
 *  loss, and each parameter's geometric mean gradient norm (norms span decades: the arithmetic mean would be the
 *  largest one's). */
function mergeSteps(a: Step, b: Step): Step {
  const norms: Record<string, [number, number]> = {};
  for (const s of [a, b]) for (const name in s.gradNorms) addNorm(norms, name, s.gradNorms[name]);
  const merged: Step = { epoch: b.epoch, step: b.step, loss: (a.loss + b.loss) / 2, lr: b.lr, time: b.time };
  for (const name in norms) setOwn((merged.gradNorms ??= {}), name, Math.exp(norms[name][0] / norms[name][1]));
  return merged;
}

/** Keeps `lossCurve` equal to the curve's points in O(1) per step (all of it again only when the points merged). */
function syncLossCurve(lossCurve: Point[], state: CurveState, merged: boolean): void {
  const { points } = state;
  lossCurve.length = merged ? 0 : Math.min(lossCurve.length, Math.max(0, points.length - 1)); // the last point may be new
  while (lossCurve.length < points.length) lossCurve.push(points[lossCurve.length]);
  const [step, sum, count] = state.partial;
  if (count) lossCurve.push([step, sum / count]);
}

/** An epoch's metrics, bounded: the first MAX_METRICS_PER_EPOCH, texts cut at MAX_METRIC_TEXT characters. */
function boundedMetrics(metrics: Record<string, number | string>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [key, value] of firstEntries(metrics, MAX_METRICS_PER_EPOCH)) {
    setOwn(out, key, typeof value === "string" && value.length > MAX_METRIC_TEXT ? textPrefix(value, MAX_METRIC_TEXT) + "…" : value); // `__proto__` too
  }
  return out;
}

/** A new epoch is appended; a repeated one (its metrics again, completed) replaces its entry. */
function foldEpoch(detail: RunDetail, fold: RunFold, event: EpochEvent): void {
  const entry: Epoch = { epoch: event.epoch, loss: event.loss, metrics: boundedMetrics(event.metrics) };
  const epochs = detail.epochs;
  const last = epochs.at(-1);
  if (last && event.epoch <= last.epoch) {
    for (let i = epochs.length - 1; i >= 0; i--) {
      if (epochs[i].epoch !== event.epoch) continue;
      epochs[i] = entry;
      return;
    }
  }
  if (last && fold.epochsSeen % fold.epochStride !== 0) epochs.pop(); // the latest, kept though off the stride
  fold.epochsSeen++;
  epochs.push(entry);
  if (epochs.length > fold.maxEpochs) thinEpochs(epochs, fold);
}

/** Every other epoch of the stride, and the latest. */
function thinEpochs(epochs: Epoch[], fold: RunFold): void {
  const latest = epochs[epochs.length - 1];
  const onStride = fold.epochsSeen % fold.epochStride === 0 ? epochs : epochs.slice(0, -1);
  const kept = onStride.filter((_, i) => i % 2 === 1);
  fold.epochStride *= 2;
  if (kept.at(-1) !== latest) kept.push(latest);
  epochs.splice(0, epochs.length, ...kept);
}

/** Adds a snapshot's step to the detail's list (the Parameters tab's slider reads older ones back from the store), in
 *  order, each once; past MAX_STORED_SNAPSHOTS every other one is dropped, the first and the latest always kept. The
 *  store lists the snapshot files it finds through this too, so a run read back lists what the live view listed. */
export function noteSnapshotStep(detail: Pick<RunDetail, "snapshotSteps">, step: number): void {
  if (!Number.isSafeInteger(step) || step < 0) return;
  const steps = detail.snapshotSteps ?? [];
  if (steps.includes(step)) return;
  let at = steps.findIndex((s) => s > step);
  if (at < 0) at = steps.length;
  steps.splice(at, 0, step);
  detail.snapshotSteps = steps.length > MAX_STORED_SNAPSHOTS ? steps.filter((_, i) => i % 2 === 0 || i === steps.length - 1) : steps;
}
