// Option checking shared by every module, optimizer and scheduler. PyTorch refuses an unknown keyword argument
// and a value out of range when the object is built; a JavaScript options object would silently ignore a
// misspelt key (`num_layers` runs a 1-layer LSTM), so each constructor declares its options here and is
// refused, at the user's line, what PyTorch refuses.
import { tf } from "./tf";
import { OptionError } from "./errors";
import { shapeString } from "./tensor";
import { editDistance } from "../common/edit-distance";

/** Why `value`, given as `name`, is refused (the message after "Owner: "), or undefined when it is fine. */
export type Check = ((value: unknown, name: string) => string | undefined) & { required?: boolean };

/** A check from a test and either what was expected ("a positive integer") or the whole message. */
export function rule(ok: (value: unknown) => boolean, expected: string | ((value: unknown, name: string) => string)): Check {
  return (value, name) => (ok(value) ? undefined : typeof expected === "string" ? `${name} must be ${expected}, got ${show(value)}` : expected(value, name));
}

/** An option without a default: absent is refused too. */
export function required(check: Check): Check {
  return Object.assign((value: unknown, name: string) => (value === undefined ? `${name} is required` : check(value, name)), { required: true });
}

const isNumber = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);
export const boolean = rule((v) => typeof v === "boolean", "true or false");
export const number = rule(isNumber, "a number");
export const integer = rule(Number.isInteger, "an integer");
export const positiveInteger = rule((v) => Number.isInteger(v) && (v as number) > 0, "a positive integer");
export const nonNegativeInteger = rule((v) => Number.isInteger(v) && (v as number) >= 0, "an integer ≥ 0");
export const oneOf = (...values: string[]) => rule((v) => values.includes(v as string), `one of ${values.map((s) => `'${s}'`).join(", ")}`);
/** A number ≥ 0 in PyTorch's optimizer wording: `Invalid momentum value: -1`. */
export const nonNegative = (what: string) =>
  rule(
    (v) => isNumber(v) && v >= 0,
    (v) => `Invalid ${what}: ${show(v)}`,
  );

/** Checks positional arguments (which are always required): `checkArguments("LSTM", { input_size: [10, positiveInteger] })`. */
export function checkArguments(owner: string, args: Record<string, [unknown, Check]>): void {
  for (const [name, [value, check]] of Object.entries(args)) {
    const why = check(value, name);
    if (why) throw new OptionError(`${owner}: ${why}`);
  }
}

/** Refuses keys `checks` does not declare (naming the closest one) and values they refuse; an option given as
 *  undefined counts as absent. Returns the options, typed. */
export function checkOptions<T extends object>(owner: string, options: unknown, checks: { [K in keyof T]-?: Check }): T {
  const valid = Object.keys(checks);
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null || Array.isArray(options) || asTfTensor(options)) {
    throw new OptionError(`${owner}: options must be an object like { ${valid[0]}: … }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    const close = closest(key, valid);
    throw new OptionError(
      `${owner}: unknown option '${key}' — ${close ? `did you mean '${close}'?` : `the options are ${valid.map((k) => `'${k}'`).join(", ")}`}`,
    );
  }
  for (const [key, check] of Object.entries(checks) as [string, Check][]) {
    const value = (options as Record<string, unknown>)[key];
    const why = value === undefined && !check.required ? undefined : check(value, key);
    if (why) throw new OptionError(`${owner}: ${why}`);
  }
  return options as T;
}

/** The valid key a misspelt one most likely meant: snake_case → camelCase first (PyTorch's spelling is the
 *  usual slip), then letter case, then the nearest by edit distance if it is near enough. */
export function closest(key: string, valid: string[]): string | undefined {
  const camel = key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
  const lower = camel.toLowerCase();
  const same = valid.find((v) => v.toLowerCase() === lower);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const d = editDistance(lower, v.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

/** A tfjs tensor, or a torch Tensor's (known by its tfjs tensor `.tf`, so that this low file needs no import of the Tensor class). */
function asTfTensor(value: unknown): tf.Tensor | undefined {
  if (value instanceof tf.Tensor) return value;
  const inner = value !== null && typeof value === "object" && "tf" in value ? (value as { tf: unknown }).tf : undefined;
  return inner instanceof tf.Tensor ? inner : undefined;
}

/** How much of a value a message shows: a hostile or mistaken one may be a megabyte string or nest 100,000 deep. */
const SHOWN = { depth: 3, items: 10, chars: 80 };

/** A value as messages show it: `'relu'`, `1.5`, `-0`, `NaN`, `10n`, `[0.9, 1]`, `a tensor of shape [1, 3, 100]`,
 *  `an array of 1: …`; long strings, arrays and objects cut short, nesting past 3 levels shown as `[…]`. */
export function show(value: unknown, depth = 0): string {
  const tensor = asTfTensor(value);
  if (tensor) return `a tensor of shape ${shapeString(tensor.shape)}`;
  if (typeof value === "string") return `'${value.length > SHOWN.chars ? `${value.slice(0, SHOWN.chars)}…` : value}'`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value); // String(-0) is "0"
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function" && value instanceof Function) return "a function"; // a module is callable, not a Function
  if (Array.isArray(value)) {
    if (depth >= SHOWN.depth) return "[…]";
    const items = value.slice(0, SHOWN.items).map((v) => show(v, depth + 1));
    const list = items.join(", ") + (value.length > SHOWN.items ? `, … ${value.length - SHOWN.items} more` : "");
    return value.every((v) => v === null || typeof v !== "object") ? `[${list}]` : `an array of ${value.length}: ${list}`;
  }
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const name = value.constructor?.name;
    if (name && name !== "Object") return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
    const keys = Object.keys(value);
    return `an object { ${keys.slice(0, SHOWN.items).join(", ")}${keys.length > SHOWN.items ? `, … ${keys.length - SHOWN.items} more` : ""} }`;
  }
  return String(value);
}
