// How shapes are written by the tools — the CLI, hovers, the webviews — in one place (the library, shipped on its
// own with its declarations, keeps its own shapeString). Plain functions over the protocol types: any side may use it.
import type { TracedShape } from "./protocol";

/** `[10, 3, 40]` */
export const formatShape = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** `input [64, 32] (PackedSequence, batch_sizes [8, 8, 7, …])`, or without the batch sizes when `short`. */
export function formatTracedShape(s: TracedShape, { short = false } = {}): string {
  const packed = s.packed && (short ? "PackedSequence" : `PackedSequence, batch_sizes ${formatShape(s.packed.batchSizes)}`);
  return `${s.name} ${formatShape(s.shape)}${packed ? ` (${packed})` : ""}`;
}

/** `out [10, 3, 40] · h_n [8, 3, 20]` */
export const formatTracedShapes = (shapes: readonly TracedShape[] | undefined, options?: { short?: boolean }): string =>
  (shapes ?? []).map((s) => formatTracedShape(s, options)).join(" · ");

/** A loss as the status bar, the notifications and the explorer's header all write it: 4 decimals (0.5121), or
 *  3 significant digits in exponent form when that would read 0.0000. The same number reads the same everywhere. */
export function formatLoss(loss: number): string {
  if (!Number.isFinite(loss)) return Number.isNaN(loss) ? "NaN" : loss > 0 ? "∞" : "−∞";
  return loss !== 0 && Math.abs(loss) < 5e-5 ? loss.toExponential(2) : loss.toFixed(4);
}

/** A message in the user's language: `t("epoch {0}/{1}", 3, 10)`. The English message is its own key; each side
 *  has one (`vscode.l10n.t` in the extension host, `t` of webview/l10n.ts in the webviews), and pure code takes one
 *  as an argument. See l10n/README.md. */
export type Translate = (message: string, ...args: (string | number)[]) => string;

/** Fills `{0}`, `{1}`… of a message with its arguments (as vscode.l10n.t does). */
export const fillMessage = (template: string, args: readonly (string | number)[]): string =>
  template.replace(/\{(\d+)\}/g, (whole, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : whole));

/** The English source: the message itself, filled. */
export const english: Translate = (message, ...args) => fillMessage(message, args);

/** East Asian wide and fullwidth characters (Hangul Jamo, CJK, Hangul, fullwidth forms, wide emoji): two columns
 *  in a terminal. */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u;

/** The columns `text` takes in a terminal (`损失` takes 4, `loss` 4), so that tables line up in every language. */
export const displayWidth = (text: string): number => [...text].reduce((n, c) => n + (WIDE.test(c) ? 2 : 1), 0);

/** `text` padded with spaces to `width` columns, at its end (or its start: numbers). */
export function padColumns(text: string, width: number, { start = false } = {}): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)));
  return start ? fill + text : text + fill;
}

/** The longest string a run event or a webview message carries (a metric that is text, an error message): 64 Ki
 *  characters. Past it, the rest is dropped and the text says how much there was. */
export const MAX_TEXT = 64 * 1024;

/** A size in characters, as "200 MB" or "96 kB" (one character a byte: what the text would take as ASCII). */
const textSize = (n: number) => (n >= 1e6 ? `${Number((n / 1e6).toPrecision(3))} MB` : `${Number((n / 1e3).toPrecision(3))} kB`);

/** `text` cut to `max` characters, marked "… (truncated, 200 MB)"; itself when shorter. Never cuts a surrogate pair. */
export function truncateText(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${textPrefix(text, max)}… (truncated, ${textSize(text.length)})`;
}

/** The first `max` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair. */
export function textPrefix(text: string, max: number): string {
  return text.slice(0, /[\ud800-\udbff]/.test(text[max - 1] ?? "") ? max - 1 : max);
}

/** `value` (plain data: arrays and objects of numbers and strings) with every string longer than `max` truncated: a
 *  copy of the parts that hold one (keys and prototypes kept), `value` itself when none does. */
export function capStrings<T>(value: T, max = MAX_TEXT, depth = 0): T {
  if (typeof value === "string") return truncateText(value, max) as T;
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || depth > 64) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const capped = capStrings(value[i] as unknown, max, depth + 1);
      if (capped !== value[i]) (copy ??= [...(value as unknown[])])[i] = capped;
    }
    return (copy ?? value) as T;
  }
  let copy: object | null = null;
  for (const key of Object.keys(value)) {
    const old = (value as Record<string, unknown>)[key];
    const capped = capStrings(old, max, depth + 1);
    if (capped === old) continue;
    // Descriptors, not assignment: an own "__proto__" key stays a key.
    copy ??= Object.create(Object.getPrototypeOf(value) as object | null, Object.getOwnPropertyDescriptors(value)) as object;
    Object.defineProperty(copy, key, { value: capped, enumerable: true, writable: true, configurable: true });
  }
  return (copy ?? value) as T;
}
