// Keeps a shape trace for every open model file: traces on open and save (in the long-lived tracing
// process), follows edits so hovers and hints never point at the wrong line, and publishes diagnostics.
// A save's trace keeps to the time budget (unroll.trace.timeoutMs): a scratchpad that trains for a minute costs
// the budget, not the minute. Stopped there, it is partial: the lines it reached show what it recorded, the lines
// after show the last full trace's shapes marked ⏱ (shapes.ts, shownLines), and a warning says so; "Unroll:
// Trace Shapes to the End" traces once without the budget.
import * as vscode from "vscode";
import type { RunnerError, Trace, TraceEntry } from "../common/protocol";
import { TraceClient } from "../runs/trace-client";
import { words } from "./l10n";
import { LineTracker, diagnosticsFor, isModelFileText, isPartial, shownLines, type ShownLines } from "./shapes";
import type { Settings } from "./settings";

export interface TracedDocument {
  trace: Trace;
  /** Traced line (0-based) → entries. */
  byLine: Map<number, TraceEntry[]>;
  /** Traced lines (0-based) whose entries come from the last full trace: this one stopped at its budget first. */
  earlier: Set<number>;
  tracker: LineTracker;
}

/** The budget of "Trace Shapes to the End": long enough for a scratchpad's training, short of forever. */
export const TO_END_TIMEOUT_MS = 30 * 60_000;

/** A traced document's lines where they are now (1-based), for the next trace to carry what it does not reach. */
function linesNow(traced: TracedDocument): ShownLines {
  const byLine = new Map<number, TraceEntry[]>();
  const earlier = new Set<number>();
  for (const [line, entries] of traced.byLine) {
    const now = traced.tracker.lineNow(line);
    if (now === undefined) continue;
    byLine.set(now + 1, entries);
    if (traced.earlier.has(line)) earlier.add(now + 1);
  }
  return { byLine, earlier };
}

export function isModelFile(document: vscode.TextDocument): boolean {
  return document.languageId === "typescript" && document.uri.scheme === "file" && isModelFileText(document.getText());
}

export class TraceService implements vscode.Disposable {
  private readonly traces = new Map<string, TracedDocument>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("unroll");
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.changed];
  private client: TraceClient | null = null;
  /** The last training error of each file, shown with the trace's diagnostics until it trains again. */
  private readonly runErrors = new Map<string, RunnerError>();
  private readonly pending = new Map<string, Promise<Trace | null>>();

  /** Fires when a document's trace (or where its lines are) changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly serverPath: string,
    private readonly settings: () => Settings,
    private readonly log: vscode.OutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.traceIfWanted(d)),
      vscode.workspace.onDidSaveTextDocument((d) => this.traceIfWanted(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
      vscode.workspace.onDidChangeTextDocument((e) => this.followEdits(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => vscode.workspace.textDocuments.forEach((d) => this.traceIfWanted(d))),
    );
    vscode.workspace.textDocuments.forEach((d) => this.traceIfWanted(d));
  }

  get(uri: vscode.Uri): TracedDocument | undefined {
    return this.traces.get(uri.toString());
  }

  private traceIfWanted(document: vscode.TextDocument): void {
    if (this.settings().traceOnSave && isModelFile(document)) void this.trace(document);
  }

  /** Traces the saved file now (only in a trusted workspace) within the budget, or `toEnd` without it; resolves to
   *  the trace, or null. */
  trace(document: vscode.TextDocument, { toEnd = false } = {}): Promise<Trace | null> {
    const key = document.uri.toString();
    if (!vscode.workspace.isTrusted) return Promise.resolve(null);
    // One trace at a time per file: a save during a trace waits for it, then traces again.
    const previous = this.pending.get(key) ?? Promise.resolve(null);
    const next = previous.then(() => this.run(document, toEnd));
    this.pending.set(key, next);
    return next.finally(() => this.pending.get(key) === next && this.pending.delete(key));
  }

  private async run(document: vscode.TextDocument, toEnd: boolean): Promise<Trace | null> {
    const { backend, nativeKernels, traceTimeoutMs } = this.settings();
    const timeoutMs = toEnd ? Math.max(traceTimeoutMs, TO_END_TIMEOUT_MS) : traceTimeoutMs;
    this.client ??= new TraceClient({ serverPath: this.serverPath, backend, nativeKernels, language: vscode.env.language });
    const file = document.uri.fsPath;
    try {
      const trace = await this.client.trace(file, { timeoutMs });
      this.show(document.uri, trace);
      if (trace.error) this.log.appendLine(`trace ${file}: ${trace.error.kind}: ${trace.error.message}`);
      return trace;
    } catch (error) {
      this.log.appendLine(`trace ${file} failed: ${error instanceof Error ? error.stack : error}`);
      return null;
    }
  }

  /** Shows `trace` in the document at `uri`: hovers, inlay hints and diagnostics at the lines of `trace.file` (a
   *  notebook cell's run gives its calls as a trace of the cell's label: notebook-controller.ts). */
  show(uri: vscode.Uri, trace: Trace): void {
    const before = this.traces.get(uri.toString());
    const shown = shownLines(trace, trace.file, before && linesNow(before));
    const byLine = new Map([...shown.byLine].map(([line, entries]) => [line - 1, entries]));
    const earlier = new Set([...shown.earlier].map((line) => line - 1));
    this.traces.set(uri.toString(), { trace, byLine, earlier, tracker: new LineTracker(byLine.keys()) });
    this.publishDiagnostics(uri, trace);
    this.changed.fire(uri);
  }

  /** Shows (or, with null, clears) the error a training run of `file` ended with, at its line. */
  setRunError(file: string, error: RunnerError | null): void {
    const uri = vscode.Uri.file(file);
    // Every error the run ended with is shown (diagnosticsFor places one without a line in this file at line 1).
    if (error) this.runErrors.set(uri.toString(), error);
    else this.runErrors.delete(uri.toString());
    this.publishDiagnostics(uri, this.traces.get(uri.toString())?.trace ?? null);
  }

  private publishDiagnostics(uri: vscode.Uri, trace: Trace | null): void {
    const runError = this.runErrors.get(uri.toString());
    const file = trace?.file ?? uri.fsPath;
    const fromRun = diagnosticsFor(runError, file, words());
    const fromTrace = diagnosticsFor(trace?.error, file, words());
    // A trace stopped at its budget is no error of the file: a warning that its shapes are partial.
    const partial =
      trace && isPartial(trace)
        ? vscode.l10n.t(
            "The shapes are partial: those of the lines it reached; the lines after show the last full trace's (⏱). “Unroll: Trace Shapes to the End” traces without the budget.",
          )
        : "";
    const items = [...fromTrace, ...fromRun.filter((r) => !fromTrace.some((t) => t.line === r.line && t.message === r.message))].map((d) => {
      const start = new vscode.Position(d.line - 1, d.column - 1);
      // Underline the expression at the error: to the end of the call or the line.
      const range = new vscode.Range(start, new vscode.Position(d.line - 1, Number.MAX_SAFE_INTEGER));
      const budget = partial && fromTrace.includes(d);
      const severity = budget ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
      const diagnostic = new vscode.Diagnostic(range, budget ? `${d.message}. ${partial}` : d.message, severity);
      diagnostic.source = "unroll";
      diagnostic.code = d.kind;
      return diagnostic;
    });
    this.diagnostics.set(uri, items);
  }

  private followEdits(event: vscode.TextDocumentChangeEvent): void {
    const traced = this.traces.get(event.document.uri.toString());
    if (!traced || !event.contentChanges.length) return;
    for (const change of event.contentChanges) {
      traced.tracker.apply({ startLine: change.range.start.line, endLine: change.range.end.line, newLineCount: change.text.split("\n").length - 1 });
    }
    this.changed.fire(event.document.uri);
  }

  private forget(uri: vscode.Uri): void {
    this.traces.delete(uri.toString());
    this.diagnostics.delete(uri);
  }

  /** Restarts the tracing process (after a backend change). */
  restart(): void {
    this.client?.dispose();
    this.client = null;
  }

  dispose(): void {
    this.client?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
