// What a sweep runs: its axes as typed (`lr=0.01,0.03,0.1`, `hidden=16:128`, `lr=log:1e-4:1e-1`), expanded into
// points, each point a set of `--set` overrides (texts, checked by the same applyOverrides as `--set`). Pure: the
// CLI's `unroll sweep` and the extension's "Sweep…" share it, and tests need no process.
import type { Hyperparameters } from "../common/protocol";
import { isLogRange } from "../common/sweep";
import { t } from "./l10n";
import { applyOverrides } from "./overrides";
import { MAX_SWEEP_POINTS } from "./run-file";

/** One hparam's values: a list (a grid's axis, or drawn from at random) or a range (drawn from, `--random K`). */
export type Axis =
  { name: string; kind: "list"; values: string[] } | { name: string; kind: "range"; low: number; high: number; log: boolean; integer: boolean };

/** A point: each swept name's value as typed, as `--set` takes it. */
export type Point = Record<string, string>;

// A range is drawn on a log scale by isLogRange's rule (both ends > 0, the high ≥ 100 × the low), or with a `log:`
// prefix; `lin:` draws it evenly whatever its ends.
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** `name=v1,v2,…` or `name=[log:|lin:]low:high`, as an Axis; throws saying what is wrong. */
export function parseAxis(text: string): Axis {
  const at = text.indexOf("=");
  const name = at < 0 ? "" : text.slice(0, at).trim();
  const spec = text.slice(at + 1).trim();
  if (!name || !spec) throw new Error(t("a sweep axis is NAME=V1,V2,… or NAME=LOW:HIGH, like lr=0.01,0.1 or lr=1e-4:1e-1, got '{0}'", text));
  const range = /^(?:(log|lin):)?([^:,]+):([^:,]+)$/i.exec(spec);
  if (range && NUMBER.test(range[2].trim()) && NUMBER.test(range[3].trim())) {
    const [low, high] = [Number(range[2]), Number(range[3])];
    const scale = range[1]?.toLowerCase();
    if (!(low < high)) throw new Error(t("the range of '{0}' must go from low to high, got {1}", name, spec));
    if (scale === "log" && !(low > 0)) throw new Error(t("a log range of '{0}' must be above 0, got {1}", name, spec));
    const log = scale === "log" || (scale !== "lin" && isLogRange(low, high));
    return { name, kind: "range", low, high, log, integer: INTEGER.test(range[2].trim()) && INTEGER.test(range[3].trim()) };
  }
  const values = spec.split(",").map((v) => v.trim());
  if (values.some((v) => v === "")) throw new Error(t("a value of '{0}' is empty in '{1}'", name, text));
  return { name, kind: "list", values: [...new Set(values)] };
}

/** The axes of a command line (each name once). */
export function parseAxes(texts: readonly string[]): Axis[] {
  if (!texts.length) throw new Error(t("a sweep needs at least one axis, like lr=0.01,0.03,0.1"));
  const axes = texts.map(parseAxis);
  const seen = new Set<string>();
  for (const { name } of axes) {
    if (seen.has(name)) throw new Error(t("'{0}' is swept twice", name));
    seen.add(name);
  }
  return axes;
}

/** Every combination of the lists' values, the first axis varying slowest (as nested loops in the order given). */
export function gridPoints(axes: readonly Axis[]): Point[] {
  const ranged = axes.find((a) => a.kind === "range");
  if (ranged) throw new Error(t("'{0}' is a range: a grid takes lists of values; --random K draws K points from ranges", ranged.name));
  const lists = axes as Extract<Axis, { kind: "list" }>[];
  const size = lists.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_SWEEP_POINTS) throw new Error(t("the grid has {0} points, more than {1}", size, MAX_SWEEP_POINTS));
  let points: Point[] = [{}];
  for (const axis of lists) points = points.flatMap((p) => axis.values.map((v) => ({ ...p, [axis.name]: v })));
  return points;
}

/** A reproducible stream of numbers in [0, 1) from `seed` (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number drawn in the range: evenly, or evenly in its logarithm; whole when both ends are (the high included),
 *  else to 3 significant digits (a value people can read and type again). */
export function drawInRange(axis: Extract<Axis, { kind: "range" }>, random: () => number): number {
  const { low, high, log, integer } = axis;
  const top = integer ? high + 1 : high; // a whole range [16, 128] draws 128 as often as 16
  const x = log ? Math.exp(Math.log(low) + random() * (Math.log(top) - Math.log(low))) : low + random() * (top - low);
  return integer ? Math.min(high, Math.floor(x)) : Number(x.toPrecision(3));
}

/** `count` points drawn with `seed`: a range's value as drawInRange draws it, a list's one of its values. */
export function randomPoints(axes: readonly Axis[], count: number, seed: number): Point[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SWEEP_POINTS)
    throw new Error(t("--random takes a number of points from 1 to {0}, got '{1}'", MAX_SWEEP_POINTS, count));
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const point: Point = {};
    for (const axis of axes)
      point[axis.name] = axis.kind === "list" ? axis.values[Math.floor(random() * axis.values.length)] : String(drawInRange(axis, random));
    return point;
  });
}

/** The axes with what the experiment declares: a range of a whole-number hparam draws whole numbers (its ends
 *  rounded inward), of any other number real ones; a range of a text or a boolean is refused. Names it does not
 *  declare are left for checkPoints to refuse. */
export function fitAxes(axes: readonly Axis[], declared: Readonly<Hyperparameters>): Axis[] {
  return axes.map((axis) => {
    const was = Object.prototype.hasOwnProperty.call(declared, axis.name) ? declared[axis.name] : undefined;
    if (axis.kind !== "range" || was === undefined) return axis;
    if (typeof was !== "number") throw new Error(t("'{0}' is not a number (declared {1}): give its values as a list", axis.name, JSON.stringify(was)));
    if (!Number.isInteger(was)) return { ...axis, integer: false };
    const [low, high] = [Math.ceil(axis.low), Math.floor(axis.high)];
    if (low > high) throw new Error(t("'{0}' is a whole number (declared {1}): its range holds none", axis.name, was));
    return { ...axis, low, high, integer: true };
  });
}

/** Throws the first point's error that `--set` would give (an unknown name with the nearest declared one, a value of
 *  the wrong type): nothing starts before every point is valid. */
export function checkPoints(declared: Readonly<Hyperparameters>, points: readonly Point[]): void {
  for (const point of points) applyOverrides(declared, point);
}

/** `lr=0.03 hidden=16`: a point as a person reads it (and types it again). */
export const describePoint = (point: Point): string =>
  Object.entries(point)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
