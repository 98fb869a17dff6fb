// What a run records to be compared with others: its configuration as typed values (RunInfo.hparams) and the
// best value of each metric (RunInfo.best), and the experiment's hparams with the command line's overrides. Plain
// objects in, plain data out: no "unroll", so tests need no backend.
import { ownValue, setOwn, type BestMetric, type Hyperparameters } from "../common/protocol";
export { applyOverrides, nearestName } from "../runs/overrides";

type Value = number | string | boolean;
const MAX_KEYS = 200;
const MAX_TEXT = 200;
const MAX_ARRAY = 8;
/** Counters an instance keeps, not options it was given. */
const STATE = new Set(["stepCount", "lastEpoch"]);

/** A number, string or boolean as recorded (non-finite numbers and long texts are left out: JSON cannot hold NaN). */
function recordable(v: unknown): Value | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") return v.length <= MAX_TEXT ? v : undefined;
  if (typeof v === "boolean") return v;
  return undefined;
}

/** The scalar fields of `object` (own and inherited data properties, e.g. a class's `readonly lr`), and short arrays
 *  of numbers as `key[i]`; `prefix` names where they come from. */
function scalars(object: unknown, prefix: string, out: Hyperparameters): void {
  if (typeof object !== "object" || object === null) return;
  for (const [key, v] of Object.entries(object)) {
    if (Object.keys(out).length >= MAX_KEYS) return;
    if (STATE.has(key)) continue;
    const value = recordable(v);
    if (value !== undefined)
      setOwn(out, prefix + key, value); // a name from the user's code: `__proto__` too
    else if (Array.isArray(v) && v.length <= MAX_ARRAY) v.forEach((x, i) => typeof x === "number" && Number.isFinite(x) && (out[`${prefix}${key}[${i}]`] = x));
  }
}

const className = (o: unknown) => (typeof o === "object" && o !== null ? (o.constructor?.name ?? "Object") : undefined);

/**
 * The configuration of a run: the experiment's own numbers, strings and booleans (its functions are code, not
 * configuration; `name` names the run already), the optimizer's class and options as the instance holds them at the
 * start (so defaults count: Adam's betas when none were given), the scheduler's class and its `options`, the epochs
 * trained (a --epochs override wins), and the experiment's `hparams`, which win a clash of names.
 */
export function recordHparams(experiment: object, optimizer: object, scheduler: object | undefined, epochs: number): Hyperparameters {
  const out: Hyperparameters = {};
  const { name: _name, hparams, ...rest } = experiment as Record<string, unknown>;
  scalars(rest, "", out);
  out.epochs = epochs;
  out.optimizer = className(optimizer) ?? "";
  scalars(optimizer, "", out);
  if (scheduler) {
    out.scheduler = className(scheduler) ?? "";
    const options = (scheduler as { options?: unknown }).options;
    scalars(options ?? scheduler, "scheduler.", out);
  }
  scalars(hparams, "", out);
  return out;
}

type Shaped = { shape?: unknown; dtype?: unknown; batchSizes?: unknown } | undefined;

/**
 * The size of a batch: its batch dimension as the model's first recurrent layer reads it (`recurrent`, its
 * batchFirst): [batch, seq, features] or [seq, batch, features], token ids one dimension fewer (int32, before an
 * embedding), an unbatched sequence 1, a PackedSequence its first batch size. Without a recurrent layer, or for an
 * input of another form (a tuple), the target's first dimension. Undefined when there is none.
 */
export function batchSize(batch: unknown, recurrent?: { batchFirst: boolean }): number | undefined {
  if (!Array.isArray(batch)) return undefined;
  const input = batch[0] as Shaped;
  if (Array.isArray(input?.batchSizes) && Number.isInteger(input.batchSizes[0])) return input.batchSizes[0] as number;
  const shape = input?.shape;
  if (recurrent && Array.isArray(shape)) {
    const features = input?.dtype === "int32" ? 0 : 1; // token ids have no feature dimension
    if (shape.length === 2 + features) return recurrent.batchFirst ? shape[0] : shape[1];
    if (shape.length === 1 + features) return 1; // unbatched
  }
  const target = (batch[1] as Shaped)?.shape;
  return Array.isArray(target) && Number.isInteger(target[0]) ? target[0] : undefined;
}

/** Metrics where smaller is better, by name (losses, errors, perplexities, distances); every other is "max". The
 *  experiment's `goals` win over the guess. */
export const metricGoal = (name: string, goals?: Record<string, "min" | "max">): "min" | "max" =>
  goals?.[name] ?? (/loss|err|perplex|mse|mae|rmse|distance|cost|^ppl$|nll|bpc/i.test(name) ? "min" : "max");

/** `best` with one epoch's loss and numeric metrics folded in (a new object; NaN and infinities never win). */
export function foldBest(
  best: Record<string, BestMetric> | undefined,
  epoch: number,
  loss: number,
  metrics: Record<string, number | string>,
  goals?: Record<string, "min" | "max">,
): Record<string, BestMetric> {
  const out = { ...best }; // own properties, `__proto__` included
  const consider = (key: string, value: number, goal: "min" | "max") => {
    if (!Number.isFinite(value)) return;
    const old = ownValue(out, key); // not Object.prototype's, for a metric named `toString`
    if (!old || (goal === "min" ? value < old.value : value > old.value)) setOwn(out, key, { value, epoch, goal });
  };
  consider("loss", loss, "min");
  for (const [key, value] of Object.entries(metrics)) if (typeof value === "number" && key !== "loss") consider(key, value, metricGoal(key, goals));
  return out;
}
