// Text from files, processes and users (run folder names, run names, file names, metric and parameter names, error
// messages, backend reports) on its way into VS Code's UI. VS Code reads markup in much of its UI: a notification
// turns `[x](command:…)` into a link that runs a command, the status bar, quick picks and labels turn `$(name)` into
// an icon, a MarkdownString renders markdown. Every string built from data goes through one of these, and
// test/unit/ui-text.test.ts finds any that does not. No `vscode` import: the tests call these directly.
import { REPLACEMENT, withoutBidiControls } from "../common/plain-text";

/** The longest piece of data shown, in code points, unless a caller asks for another. */
export const MAX_UI_TEXT = 256;
/** Paths (a run folder, a file saved) and error messages are shown whole up to this many code points. */
export const MAX_LONG_TEXT = 1024;

const ELLIPSIS = "…";
/** U+2060 WORD JOINER: invisible, and breaks the sequences VS Code reads as markup without changing what shows. */
const JOINER = "\u2060";

/** A lone half of a surrogate pair (a broken UTF-16 string). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line breaks and tabs: a notification, a label or a status bar item is one line. */
const BREAKS = /\r\n|[\t\n\v\f\r\u0085\u2028\u2029]/g;
/** Other control characters: C0, DEL, C1. */
// eslint-disable-next-line no-control-regex -- control characters are what it neutralises
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;
/** `](`: how a notification's link starts ([label](command:…)); `$(`: how an icon starts ($(alert)). A `]` or `$`
 *  at the end, or a `(` at the start, could meet its other half in the message around the data. */
const MARKUP = /[\]$](?=\(|$)|^(?=\()/g;

/** At most `max` code points of `text`, cut on a code point (never inside a surrogate pair), with an ellipsis
 *  when cut. Only the first `max` code points are ever read: a megabyte costs what `max` does. */
function capped(text: string, max: number): string {
  const limit = Math.max(1, Math.floor(max));
  if (text.length <= limit) return text;
  let end = 0;
  let cut = 0; // where the ellipsis goes: after limit - 1 code points
  for (let points = 0; points < limit; points++) {
    if (end >= text.length) return text;
    if (points === limit - 1) cut = end;
    end += isPair(text, end) ? 2 : 1;
  }
  return end >= text.length ? text : text.slice(0, cut) + ELLIPSIS;
}

const isPair = (text: string, i: number) => {
  const c = text.charCodeAt(i);
  const d = text.charCodeAt(i + 1);
  return c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff;
};

/** Any value as one line of well-formed text: breaks as spaces, controls and bidi overrides as U+FFFD. */
function oneLine(value: unknown, max: number): string {
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
  return withoutBidiControls(capped(text, max).replace(LONE_SURROGATE, REPLACEMENT).replace(BREAKS, " ").replace(CONTROLS, REPLACEMENT));
}

/**
 * Data as plain text for VS Code's UI: notifications (and their `detail`), quick picks (label, description,
 * detail), status bar text and tooltips, tree items, titles. One line, at most `max` code points; no link, no icon,
 * no control character, no bidi override.
 *
 *   showWarningMessage(l10n.t("Unroll: the run {0} has no weights yet: …", uiText(run.info.id)))
 */
export function uiText(value: unknown, max = MAX_UI_TEXT): string {
  return oneLine(value, max).replace(MARKUP, `$&${JOINER}`);
}

/** Characters markdown may read as syntax: each gets a backslash. `<` and `&` become entities (HTML). */
const MARKDOWN_SYNTAX = /[\\`*_{}[\]()#+\-.!|~>$:]/g;
const HTML = /[<&]/g;

/**
 * Data as text inside markdown (a MarkdownString: hovers, tooltips): every character markdown reads as syntax is
 * escaped, so a name can be no link, image, emphasis, table cell, HTML or icon. Also one line of at most `max` code
 * points, like uiText. The MarkdownString must not be trusted (`isTrusted` false, `supportHtml` false).
 */
export function markdownText(value: unknown, max = MAX_UI_TEXT): string {
  return oneLine(value, max)
    .replace(HTML, (c) => (c === "<" ? "&lt;" : "&amp;"))
    .replace(MARKDOWN_SYNTAX, "\\$&");
}

/**
 * Data as inline code in markdown (`weight_hh_l0`): a code span shows its content as it is, so only its fence needs
 * care: one backtick longer than the longest run of backticks inside. In a table cell (`table`), a `|` would end the
 * cell even inside the span: it is escaped there (GFM then shows it as `|`).
 */
export function markdownCode(value: unknown, options: { max?: number; table?: boolean } = {}): string {
  let text = oneLine(value, options.max ?? MAX_UI_TEXT);
  if (options.table) text = text.replaceAll("|", "\\|");
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}
