// The order of each open notebook's TypeScript cells, told to the TS server plugin (src/ts-plugin/notebook.ts), which
// makes the cells one program in that order: a cell knows the names of the cells above it. tsserver sees each cell
// as its own file and cannot know where the user moved it. Sent through the TypeScript extension's
// `_typescript.configurePlugin` command, the channel VS Code gives an extension to its TS server plugin.
import * as vscode from "vscode";
import { tsDiagnostics, type TsDiagnostic } from "./shapes";

const PLUGIN = "unroll-types";

/** The plugin's configuration: per notebook (its path, as a cell's URI has it), its TypeScript cells' keys in order
 *  (the cell URI's path and fragment: what tsserver's name for the cell ends with). */
export function cellOrder(notebooks: readonly vscode.NotebookDocument[]): { notebooks: Record<string, string[]> } {
  const order: Record<string, string[]> = {};
  for (const notebook of notebooks) {
    const cells = notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === "typescript");
    if (cells.length) order[cells[0].document.uri.path] = cells.map((c) => `${c.document.uri.path}#${c.document.uri.fragment}`);
  }
  return { notebooks: order };
}

/** Keeps the plugin told of the cells' order as notebooks open, close and their cells move. */
export function followCellOrder(): vscode.Disposable {
  let sent = "";
  const send = () => {
    const configuration = cellOrder(vscode.workspace.notebookDocuments);
    const text = JSON.stringify(configuration);
    if (text === sent) return;
    sent = text;
    // Without the TypeScript extension (disabled), cells simply go in the order they were made.
    vscode.commands.executeCommand("_typescript.configurePlugin", PLUGIN, configuration).then(undefined, () => (sent = ""));
  };
  send();
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenNotebookDocument(send),
    vscode.workspace.onDidCloseNotebookDocument(send),
    vscode.workspace.onDidChangeNotebookDocument((e) => e.contentChanges.length && send()),
  );
}

/** How long the cells' type check waits after the last edit. */
const CHECK_DELAY_MS = 400;

/**
 * Type errors in notebook cells: VS Code's TypeScript extension drops every semantic diagnostic of a notebook cell
 * (cells were never one program), so none would show. Now that the plugin makes them one, this asks tsserver for each
 * TypeScript cell's (`typescript.tsserverRequest`, semanticDiagnosticsSync) after the notebook changes and shows them.
 */
export function showCellTypeErrors(): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection("unroll-notebook-types");
  const timers = new Map<string, NodeJS.Timeout>();
  const check = async (notebook: vscode.NotebookDocument) => {
    for (const cell of notebook.getCells()) {
      if (cell.kind !== vscode.NotebookCellKind.Code || cell.document.languageId !== "typescript") continue;
      const response = (await vscode.commands
        .executeCommand("typescript.tsserverRequest", "semanticDiagnosticsSync", { file: cell.document.uri })
        .then(undefined, () => undefined)) as { body?: unknown } | undefined;
      if (notebook.isClosed) return;
      collection.set(cell.document.uri, tsDiagnostics(response?.body).map(toDiagnostic));
    }
  };
  const schedule = (notebook: vscode.NotebookDocument | undefined) => {
    if (!notebook || notebook.notebookType !== "jupyter-notebook") return;
    const key = notebook.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        void check(notebook);
      }, CHECK_DELAY_MS),
    );
  };
  const notebookOf = (document: vscode.TextDocument) =>
    document.uri.scheme === "vscode-notebook-cell"
      ? vscode.workspace.notebookDocuments.find((n) => n.getCells().some((c) => c.document === document))
      : undefined;
  vscode.workspace.notebookDocuments.forEach(schedule);
  return vscode.Disposable.from(
    collection,
    vscode.workspace.onDidOpenNotebookDocument(schedule),
    vscode.workspace.onDidChangeNotebookDocument((e) => schedule(e.notebook)),
    vscode.workspace.onDidChangeTextDocument((e) => schedule(notebookOf(e.document))),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => notebook.getCells().forEach((c) => collection.delete(c.document.uri))),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
  );
}

function toDiagnostic(d: TsDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.start.line - 1, d.start.column - 1, d.end.line - 1, d.end.column - 1);
  const severity = {
    error: vscode.DiagnosticSeverity.Error,
    warning: vscode.DiagnosticSeverity.Warning,
    suggestion: vscode.DiagnosticSeverity.Hint,
    message: vscode.DiagnosticSeverity.Information,
  }[d.category];
  const diagnostic = new vscode.Diagnostic(range, d.message, severity);
  diagnostic.source = "ts";
  diagnostic.code = d.code;
  return diagnostic;
}
