// What the editor shows from a trace — hover text, inlay hints, diagnostics — as plain data, and how
// trace positions follow the user's edits. No `vscode` import: the providers turn this into VS Code types,
// and the unit tests check it directly. Words go through `t` (the providers pass vscode.l10n.t; English by default).
import { english, formatShape, formatTracedShapes, type Translate } from "../common/format";
import type { Trace, TraceEntry, TracedShape, RunnerError, ShapeProblem } from "../common/protocol";
import { locationIn } from "../runs/location";
import { markdownCode, markdownText } from "./ui-text";

/** A hover shows an error message (and a module's configuration) whole, up to this many characters. */
const MAX_HOVER_TEXT = 2000;

/** `out [10, 3, 40] · h_n [8, 3, 20]` */
export const outputsLine = (shapes: readonly TracedShape[] | undefined): string => formatTracedShapes(shapes, { short: true });

/** The inlay hint at the end of a traced line: `→ [10, 3, 40]` (or the first output of each call on it). */
export function inlayText(entries: readonly TraceEntry[]): string | null {
  const parts = entries
    .filter((e) => !e.error && e.outputs?.length)
    .map((e) => (e.outputs!.length === 1 ? formatShape(e.outputs![0].shape) : e.outputs!.map((o) => formatShape(o.shape)).join(", ")));
  return parts.length ? `→ ${parts.join(" | ")}` : null;
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
 * Follows edits made after a trace: every traced line is moved to where it is now, or dropped when an
 * edit touched it (its shapes may no longer hold). Lines are 0-based. Returns old line → new line.
 */
export class LineTracker {
  private readonly current = new Map<number, number>(); // traced line → line now

  constructor(tracedLines: Iterable<number>) {
    for (const line of tracedLines) this.current.set(line, line);
  }

  apply(edit: LineEdit): void {
    const removed = edit.endLine - edit.startLine;
    const delta = edit.newLineCount - removed;
    for (const [traced, now] of this.current) {
      if (now >= edit.startLine && now <= edit.endLine) this.current.delete(traced);
      else if (now > edit.endLine) this.current.set(traced, now + delta);
    }
  }

  /** Where a traced line is now, or undefined if an edit touched it. */
  lineNow(traced: number): number | undefined {
    return this.current.get(traced);
  }

  /** The traced line now shown at `line`, if any. */
  tracedAt(line: number): number | undefined {
    for (const [traced, now] of this.current) if (now === line) return traced;
    return undefined;
  }

  get edited(): boolean {
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
