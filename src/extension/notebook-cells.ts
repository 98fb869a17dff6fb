// The order of each open notebook's TypeScript cells, told to the TS server plugin (src/ts-plugin/notebook.ts), which
// makes the cells one program in that order: a cell knows the names of the cells above it. tsserver sees each cell
// as its own file and cannot know where the user moved it. Sent through the TypeScript extension's
// `_typescript.configurePlugin` command, the channel VS Code gives an extension to its TS server plugin.
import * as vscode from "vscode";

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
