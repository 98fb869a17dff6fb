// What the editor shows from a trace — hover text, inlay hints, diagnostics — as plain data, and how
// trace positions follow the user's edits. No `vscode` import: the providers turn this into VS Code types,
// and the unit tests check it directly. Words go through `t` (the providers pass vscode.l10n.t; English by default).
import { english, formatShape, formatTracedShapes, type Translate } from "../common/format";
import type { CellOutcome, CellShapes, Trace, TraceEntry, TracedShape, RunnerError, ShapeProblem } from "../common/protocol";
import { locationIn } from "../runs/location";
import { markdownCode, markdownText } from "./ui-text";

/** A hover shows an error message (and a module's configuration) whole, up to this many characters. */
const MAX_HOVER_TEXT = 2000;

/** `out [10, 3, 40] · h_n [8, 3, 20]` */
export const outputsLine = (shapes: readonly TracedShape[] | undefined): string => formatTracedShapes(shapes, { short: true });

/** The sign before a stale hint: the line was edited after the trace, so its shapes may be out of date. */
export const STALE_SIGN = "✎";

/** The sign before a hint carried from the last full trace: this save's trace stopped at its time budget first. */
export const EARLIER_SIGN = "⏱";

/** What an earlier line's hint and hover say. */
export const earlierNote = (t: Translate) =>
  t(
    "{0} From the last full trace: this save's trace stopped at its time budget before this line. “Unroll: Trace Shapes to the End” traces this version without the budget.",
    EARLIER_SIGN,
  );

/** The inlay hint at the end of a traced line: `→ [10, 3, 40]` (or the first output of each call on it); `stale`: the
 *  line was edited since the trace, and the hint says so (`✎ → [10, 3, 40]`) until the next trace; `earlier`: the
 *  shapes are the last full trace's (`⏱ → [10, 3, 40]`, see shownLines). */
export function inlayText(entries: readonly TraceEntry[], stale = false, earlier = false): string | null {
  const parts = entries
    .filter((e) => !e.error && e.outputs?.length)
    .map((e) => (e.outputs!.length === 1 ? formatShape(e.outputs![0].shape) : e.outputs!.map((o) => formatShape(o.shape)).join(", ")));
  const signs = [...(stale ? [STALE_SIGN] : []), ...(earlier ? [EARLIER_SIGN] : [])].map((sign) => `${sign} `).join("");
  return parts.length ? `${signs}→ ${parts.join(" | ")}` : null;
}

/** The notes heading a line's hover and hint tooltip: edited since the trace, carried from the last full trace. */
export const lineNotes = (t: Translate, stale: boolean, earlier: boolean): string[] => [...(stale ? [staleNote(t)] : []), ...(earlier ? [earlierNote(t)] : [])];

/** What a stale hint's or hover's first line says. */
export const staleNote = (t: Translate) => t("{0} Edited since the last trace: these shapes may be out of date until the file is saved.", STALE_SIGN);

/**
 * What each dimension of a recurrent call's tensors means, in PyTorch's words and order, which `batch_first` changes
 * for the input and the output (not for the states): `input [batch, seq, input_size] · out [batch, seq, 2·hidden_size]
 * · h_n [2·num_layers, batch, hidden_size]`. Null for anything else (a cell, a packed input: no such order to name).
 */
export function dimensionNames(entry: TraceEntry): string | null {
  const config = entry.recurrent;
  if (entry.kind !== "call" || !config || /Cell$/.test(entry.name) || entry.inputs?.[0]?.packed) return null;
  const d = config.bidirectional ? "2·" : "";
  const time = (rank: number, feature: string) =>
    rank === 2 ? `[seq, ${feature}]` : config.batchFirst ? `[batch, seq, ${feature}]` : `[seq, batch, ${feature}]`;
  const state = (rank: number) => (rank === 2 ? `[${d}num_layers, hidden_size]` : `[${d}num_layers, batch, hidden_size]`);
  const named = (s: TracedShape): string | null => {
    const rank = s.shape.length;
    if (rank !== 2 && rank !== 3) return null;
    if (s.name === "input") return `input ${time(rank, "input_size")}`;
    if (s.name === "out" || s.name === "output") return `${s.name} ${time(rank, `${d}hidden_size`)}`;
    if (/^(h|c)(0|_n)$/.test(s.name)) return `${s.name} ${state(rank)}`;
    return null;
  };
  const parts = [...(entry.inputs ?? []), ...(entry.outputs ?? [])].map(named).filter((p): p is string => p !== null);
  return parts.length ? parts.join(" · ") : null;
}

/** How the user's language formats words and numbers. `explain`: add a line in that language under the library's
 *  English (PyTorch's) error wording; off in English. */
export interface Words {
  t: Translate;
  locale: string;
  explain: boolean;
}

export const ENGLISH: Words = { t: english, locale: "en-US", explain: false };

/** One line that says a ShapeError again in the user's words: "输入的最后一维应为 100（input_size），实际为 50". */
export function explainShape(problem: ShapeProblem, t: Translate): string {
  const operand = ({ input: t("the input"), target: t("the target") } as Record<string, string>)[problem.operand] ?? problem.operand;
  const { expected, got } = problem;
  if (expected && "lastDim" in expected)
    return t("The last dimension of {0} should be {1} ({2}), but it is {3}.", operand, expected.lastDim, expected.name, got.at(-1) ?? "?");
  if (expected) return t("{0} should have the shape {1}, but it has {2}.", operand, formatShape(expected.shape), formatShape(got));
  return t("{0} of shape {1} does not fit {2}.", operand, formatShape(got), problem.module);
}

/** Markdown for a hover over a traced call, construction or tensor factory. Every piece of the trace (module
 *  configurations, names, error messages: what the user's code made) goes in as text: in a code span, or escaped
 *  (see ui-text.ts); shapes as numbers. */
export function hoverMarkdown(entry: TraceEntry, words: Words = ENGLISH): string {
  const { t, locale } = words;
  const text = (s: unknown) => markdownText(s, MAX_HOVER_TEXT);
  const code = (s: unknown) => markdownCode(s, { max: MAX_HOVER_TEXT });
  const count = (n: number) => text(n.toLocaleString(locale));
  const lines: string[] = [];
  if (entry.error) {
    lines.push(t("**Shape error**: {0}", text(entry.error)), "");
    if (words.explain && entry.shapeError) lines.push(text(explainShape(entry.shapeError, t)), "");
  }
  if (entry.kind === "call") {
    const ins = formatTracedShapes(entry.inputs);
    if (entry.outputs?.length) lines.push(code(outputsLine(entry.outputs)));
    lines.push("", code(`${entry.config ?? entry.name}.forward(${ins})`));
    const dims = dimensionNames(entry);
    if (dims) lines.push("", `${text(t("dimensions:"))} ${code(dims)}`);
  } else if (entry.kind === "tensor") {
    lines.push(code(outputsLine(entry.outputs)), "", code(`torch.${entry.name}`));
  } else {
    lines.push(code(entry.config ?? entry.name));
  }
  if (entry.count > 1)
    lines.push(
      "",
      entry.varying ? t("ran {0} times, with varying shapes (the first run is shown)", count(entry.count)) : t("ran {0} times", count(entry.count)),
    );
  if (entry.parameters?.length) {
    lines.push("", `| ${t("parameter")} | ${t("shape")} | ${t("count")} |`, "|---|---|---:|");
    for (const p of entry.parameters)
      lines.push(`| ${markdownCode(p.name, { max: MAX_HOVER_TEXT, table: true })} | ${formatShape(p.shape.map(Number))} | ${count(p.count)} |`);
    lines.push(`| **${t("total")}** | | **${count(entry.parameterCount ?? 0)}** |`);
  }
  return lines.join("\n");
}

export interface DiagnosticData {
  line: number; // 1-based
  column: number; // 1-based
  message: string;
  kind: RunnerError["kind"];
}

/** An error as diagnostics in `file` (the file traced or trained): at its location, and at the experiment that led
 *  there. An error raised elsewhere (a module the file imports, the library) is shown at the file's own frame of its
 *  stack, else at the experiment, else at the first line: every error the file throws reaches the Problems panel. An
 *  error of Unroll itself (internal, store) is shown only at a line of the file. */
export function diagnosticsFor(error: RunnerError | undefined, file: string, words: Words = ENGLISH): DiagnosticData[] {
  if (!error) return [];
  const { via, kind } = error;
  const { t } = words;
  const message = words.explain && error.shape ? `${error.message}\n${explainShape(error.shape, t)}` : error.message;
  if (error.location?.file === file) {
    const { location } = error;
    const at = [{ line: location.line, column: location.column, message, kind }];
    if (via?.file === file && via.line !== location.line) {
      at.push({ line: via.line, column: via.column, message: t("this experiment's training step failed at line {0}: {1}", location.line, message), kind });
    }
    return at;
  }
  if (kind === "internal" || kind === "store") return [];
  const elsewhere = error.location ? t("{0} (raised at {1}:{2})", message, error.location.file, error.location.line) : message;
  const frame = locationIn(error.stack, file) ?? (via?.file === file ? via : null);
  return [{ line: frame?.line ?? 1, column: frame?.column ?? 1, message: elsewhere, kind }];
}

/** What a cell's run recorded, as the trace of a file named by the cell's label: its error too (at the cell's line),
 *  but not a syntax error (TypeScript's own diagnostics show it) nor a kernel's end. */
export function cellTrace(label: string, result: CellOutcome & CellShapes, durationMs: number): Trace {
  const error = result.status === "error" && result.error.kind !== "compile" && result.error.location ? result.error : undefined;
  return { file: label, entries: result.shapes ?? [], ...(error && { error }), durationMs, backend: "" };
}

/** A diagnostic of tsserver's protocol as plain data (1-based lines and columns), for a notebook cell: VS Code's
 *  TypeScript extension drops semantic diagnostics of notebook cells, so the extension asks tsserver and shows them
 *  (notebook-cells.ts). Anything not shaped so is left out. */
export interface TsDiagnostic {
  start: { line: number; column: number };
  end: { line: number; column: number };
  message: string;
  code: number;
  category: "error" | "warning" | "suggestion" | "message";
}

export function tsDiagnostics(body: unknown): TsDiagnostic[] {
  if (!Array.isArray(body)) return [];
  const position = (p: unknown) => {
    const { line, offset } = (p ?? {}) as { line?: unknown; offset?: unknown };
    return Number.isInteger(line) && Number.isInteger(offset) && (line as number) > 0 && (offset as number) > 0
      ? { line: line as number, column: offset as number }
      : null;
  };
  return body.flatMap((d: unknown) => {
    const { start, end, text, code, category } = (d ?? {}) as Record<string, unknown>;
    const [from, to] = [position(start), position(end)];
    if (!from || !to || typeof text !== "string") return [];
    const kind = ["error", "warning", "suggestion", "message"].includes(category as string) ? (category as TsDiagnostic["category"]) : "error";
    return [{ start: from, end: to, message: text, code: Number.isInteger(code) ? (code as number) : 0, category: kind }];
  });
}

/** Trace entries of `file`, grouped by 1-based line. */
export function entriesByLine(trace: Trace, file: string): Map<number, TraceEntry[]> {
  const byLine = new Map<number, TraceEntry[]>();
  for (const e of trace.entries) {
    if (e.location.file !== file) continue;
    const list = byLine.get(e.location.line) ?? [];
    list.push(e);
    byLine.set(e.location.line, list);
  }
  return byLine;
}

/** An edit as VS Code reports it: lines `startLine..endLine` (0-based, inclusive) replaced by text with
 *  `newLineCount` line breaks. */
export interface LineEdit {
  startLine: number;
  endLine: number;
  newLineCount: number;
}

/**
 * Follows edits made after a trace: every traced line is moved to where it is now; a line an edit touched stays (at
 * the edit's nearest line) and is marked stale: its shapes are from the last trace and may no longer hold, so its hint
 * carries a sign until the next trace. Lines are 0-based. Returns old line → new line.
 */
export class LineTracker {
  private readonly current = new Map<number, number>(); // traced line → line now
  private readonly touched = new Set<number>(); // traced lines an edit touched

  constructor(tracedLines: Iterable<number>) {
    for (const line of tracedLines) this.current.set(line, line);
  }

  apply(edit: LineEdit): void {
    const removed = edit.endLine - edit.startLine;
    const delta = edit.newLineCount - removed;
    for (const [traced, now] of this.current) {
      if (now >= edit.startLine && now <= edit.endLine) {
        // Within the replaced lines: the same offset into the new text, or its last line when it has fewer.
        this.current.set(traced, edit.startLine + Math.min(now - edit.startLine, Math.max(0, edit.newLineCount)));
        this.touched.add(traced);
      } else if (now > edit.endLine) this.current.set(traced, now + delta);
    }
  }

  /** Where a traced line is now. */
  lineNow(traced: number): number | undefined {
    return this.current.get(traced);
  }

  /** Whether an edit touched the traced line since the trace (its shapes may be out of date). */
  isStale(traced: number): boolean {
    return this.touched.has(traced);
  }

  /** The traced line now shown at `line`, if any. */
  tracedAt(line: number): number | undefined {
    for (const [traced, now] of this.current) if (now === line) return traced;
    return undefined;
  }

  get edited(): boolean {
    if (this.touched.size) return true;
    for (const [traced, now] of this.current) if (traced !== now) return true;
    return false;
  }
}

/** Whether a document is an Unroll model file: TypeScript that imports "unroll". */
export function isModelFileText(text: string): boolean {
  return /\bfrom\s+["']unroll["']|require\(\s*["']unroll["']\s*\)/.test(text);
}

/** Where the CodeLens goes: the experiment's export, else the first line after the imports. */
export function codeLensLine(text: string): { line: number; experiment: boolean } {
  const lines = text.split("\n");
  const exp = lines.findIndex((l) => /export\s+(default\s+)?(const\s+\w+\s*=\s*)?defineExperiment\s*\(|export\s+default\s*\{/.test(l));
  if (exp >= 0) return { line: exp, experiment: true };
  let last = -1;
  lines.forEach((l, i) => {
    if (/^\s*import\b/.test(l)) last = i;
  });
  return { line: Math.max(0, last + 1 < lines.length ? lines.findIndex((l, i) => i > last && l.trim() !== "") : 0), experiment: false };
}

/** Whether a trace stopped at its time budget (its shapes are those of the lines it reached). */
export const isPartial = (trace: Trace) => trace.error?.kind === "timeout";

/** A trace's lines as shown: line (1-based) → entries, and the lines carried from an earlier trace. */
export interface ShownLines {
  byLine: Map<number, TraceEntry[]>;
  earlier: Set<number>;
}

/**
 * The lines to show for a new trace of `file`. A full trace shows its own. A partial one (a scratchpad that trains
 * for a minute, stopped at its budget) shows what it recorded and, for the lines after where it stopped, the
 * shapes the file's last full trace recorded (`before`: that trace's lines where they are now, and which of them
 * were already carried), marked as earlier: the shapes after the training loop still show, and saving never costs
 * more than the budget. A line the new trace reached keeps only what it recorded now.
 */
export function shownLines(trace: Trace, file: string, before?: ShownLines): ShownLines {
  const byLine = entriesByLine(trace, file);
  const earlier = new Set<number>();
  if (!isPartial(trace) || !before) return { byLine, earlier };
  const stop = trace.error?.location?.file === file ? trace.error.location.line : 0;
  for (const [line, entries] of before.byLine) {
    if (line <= stop || byLine.has(line)) continue;
    byLine.set(line, entries);
    earlier.add(line);
  }
  return { byLine, earlier };
}
