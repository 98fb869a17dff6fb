// Keeps a shape trace for every open model file: traces on open and save (in the long-lived tracing
// process), follows edits so hovers and hints never point at the wrong line, and publishes diagnostics.
import * as vscode from "vscode";
import type { RunnerError, Trace, TraceEntry } from "../common/protocol";
import { TraceClient } from "../runs/trace-client";
import { words } from "./l10n";
import { LineTracker, diagnosticsFor, entriesByLine, isModelFileText } from "./shapes";
import type { Settings } from "./settings";

export interface TracedDocument {
  trace: Trace;
  /** Traced line (0-based) → entries. */
  byLine: Map<number, TraceEntry[]>;
  tracker: LineTracker;
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

  /** Traces the saved file now (only in a trusted workspace); resolves to the trace, or null. */
  trace(document: vscode.TextDocument): Promise<Trace | null> {
    const key = document.uri.toString();
    if (!vscode.workspace.isTrusted) return Promise.resolve(null);
    // One trace at a time per file: a save during a trace waits for it, then traces again.
    const previous = this.pending.get(key) ?? Promise.resolve(null);
    const next = previous.then(() => this.run(document));
    this.pending.set(key, next);
    return next.finally(() => this.pending.get(key) === next && this.pending.delete(key));
  }

  private async run(document: vscode.TextDocument): Promise<Trace | null> {
    const { backend, nativeKernels, traceTimeoutMs: timeoutMs } = this.settings();
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
    const byLine = new Map([...entriesByLine(trace, trace.file)].map(([line, entries]) => [line - 1, entries]));
    this.traces.set(uri.toString(), { trace, byLine, tracker: new LineTracker(byLine.keys()) });
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
    const items = [...fromTrace, ...fromRun.filter((r) => !fromTrace.some((t) => t.line === r.line && t.message === r.message))].map((d) => {
      const start = new vscode.Position(d.line - 1, d.column - 1);
      // Underline the expression at the error: to the end of the call or the line.
      const range = new vscode.Range(start, new vscode.Position(d.line - 1, Number.MAX_SAFE_INTEGER));
      const diagnostic = new vscode.Diagnostic(range, d.message, vscode.DiagnosticSeverity.Error);
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
