// The Unroll kernel for Jupyter notebooks (.ipynb) with TypeScript cells: a NotebookController whose cells run on
// one kernel process per notebook (runs/notebook-client.ts → runner/notebook-kernel.ts), started at the first
// cell run, never at activation. Only in trusted workspaces. What a cell prints shows as it comes, one output per
// stream updated in place (a `\r` progress line is rewritten, not appended); what it displays (its live loss chart,
// display()) as image/png with text/plain, a chart redrawn in place; its value as text/plain; its error at the
// cell's line. Interrupt is the notebook's; "Unroll: Restart Notebook Kernel" is a command.
import * as vscode from "vscode";
import * as path from "node:path";
import { overwrittenLines } from "../runs/ipynb";
import { NotebookClient, type CellResult } from "../runs/notebook-client";
import { LatestOutputs } from "../runs/notebook-outputs";
import type { DisplayData } from "../common/protocol";
import type { Trace } from "../common/protocol";
import { cellTrace } from "./shapes";
import type { Settings } from "./settings";
import { ensureTrusted } from "./workspace";

export const CONTROLLER_ID = "unroll.notebook";
/** How often a cell's printed text is redrawn at most: a loop printing every step must not flicker. */
const REDRAW_MS = 100;

export class NotebookKernels implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly clients = new Map<string, NotebookClient>();
  private readonly subscriptions: vscode.Disposable[] = [];

  /** `showShapes`: shows what a cell's run recorded in that cell (its hovers, inlay hints, diagnostics). */
  constructor(
    private readonly kernelPath: string,
    private readonly settings: () => Settings,
    private readonly showShapes: (cell: vscode.Uri, trace: Trace) => void = () => {},
  ) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, "jupyter-notebook", vscode.l10n.t("Unroll (TypeScript)"));
    this.controller.supportedLanguages = ["typescript"];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = vscode.l10n.t("TypeScript cells on Unroll's library, state kept between cells");
    this.controller.executeHandler = (cells, notebook) => this.executeAll(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.clients.get(notebook.uri.toString())?.interrupt();
    // A notebook written for Unroll (the lessons: kernelspec "unroll") gets this kernel without asking.
    const prefer = (notebook: vscode.NotebookDocument) => {
      // VS Code's ipynb serializer keeps the file's metadata under `metadata` (older versions: `custom.metadata`).
      type Kept = { metadata?: { kernelspec?: { name?: unknown } } };
      const kept = notebook.metadata as Kept & { custom?: Kept };
      const kernelspec = (kept.metadata ?? kept.custom?.metadata)?.kernelspec;
      if (notebook.notebookType === "jupyter-notebook" && kernelspec?.name === "unroll") {
        this.controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
      }
    };
    vscode.workspace.notebookDocuments.forEach(prefer);
    this.subscriptions.push(
      this.controller,
      vscode.workspace.onDidOpenNotebookDocument(prefer),
      vscode.workspace.onDidCloseNotebookDocument((notebook) => this.dispose(notebook)),
      vscode.commands.registerCommand("unroll.restartNotebookKernel", (notebook?: vscode.NotebookDocument) => this.restart(notebook)),
    );
  }

  /** Restarts the kernel of `notebook` (by default the active one's): its state is gone, the next cell starts one. */
  restart(notebook = vscode.window.activeNotebookEditor?.notebook): void {
    if (notebook) this.clients.get(notebook.uri.toString())?.restart();
  }

  dispose(notebook?: vscode.NotebookDocument): void {
    if (notebook) {
      this.clients.get(notebook.uri.toString())?.dispose();
      this.clients.delete(notebook.uri.toString());
      return;
    }
    this.clients.forEach((client) => client.dispose());
    this.clients.clear();
    this.subscriptions.forEach((s) => s.dispose());
  }

  private client(notebook: vscode.NotebookDocument): NotebookClient {
    const key = notebook.uri.toString();
    let client = this.clients.get(key);
    if (!client) {
      const { backend, nativeKernels } = this.settings();
      const cwd = notebook.uri.scheme === "file" ? path.dirname(notebook.uri.fsPath) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      client = new NotebookClient({
        kernelPath: this.kernelPath,
        cwd,
        backend: backend === "auto" ? undefined : backend,
        nativeKernels,
        language: vscode.env.language,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Runs the cells in order; stops at the first that fails, as Jupyter's Run All does. */
  private async executeAll(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    if (!ensureTrusted(vscode.l10n.t("Running a notebook cell"))) return;
    const client = this.client(notebook);
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code) continue;
      const result = await this.execute(cell, client);
      if (result.status !== "ok") return;
    }
  }

  private async execute(cell: vscode.NotebookCell, client: NotebookClient): Promise<CellResult> {
    const execution = this.controller.createNotebookCellExecution(cell);
    execution.start(Date.now());
    await execution.clearOutput();
    const outputs = new CellOutputs(execution);
    const label = vscode.l10n.t("Cell {0}", cell.index + 1);
    const started = Date.now();
    const result = await client.execute(
      cell.document.getText(),
      label,
      (stream, text) => outputs.print(stream, text),
      (displayId, data) => outputs.display(displayId, data),
    );
    await outputs.flush();
    this.showShapes(cell.document.uri, cellTrace(label, result, Date.now() - started));
    if (result.count) execution.executionOrder = result.count;
    if (result.status === "ok" && result.value !== undefined) {
      await execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(result.value, "text/plain")]));
    } else if (result.status === "error") {
      const where = result.error.location ? `${result.error.location.file}:${result.error.location.line}:${result.error.location.column}: ` : "";
      const error = Object.assign(new Error(where + result.error.message), { stack: result.error.stack ?? "" });
      error.name = result.error.kind === "compile" ? "SyntaxError" : "Error";
      await execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(error)]));
    } else if (result.status === "interrupted") {
      const message = result.message ?? vscode.l10n.t("Interrupted.");
      await execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.stderr(message + "\n")]));
    }
    execution.end(result.status === "ok", Date.now());
    return result;
  }
}

/** A cell's outputs as they come: its printed text, one output per stream redrawn in place at most every
 *  REDRAW_MS, and its displays (a chart: replaced in place each time the kernel redraws it). */
class CellOutputs {
  private readonly text = { stdout: "", stderr: "" };
  private readonly shown = { stdout: "", stderr: "" };
  private timer: NodeJS.Timeout | undefined;
  private readonly outputs: LatestOutputs<vscode.NotebookCellOutputItem[], vscode.NotebookCellOutput>;

  constructor(execution: vscode.NotebookCellExecution) {
    this.outputs = new LatestOutputs({
      async append(items) {
        const output = new vscode.NotebookCellOutput(items);
        await execution.appendOutput(output);
        return output;
      },
      replace: (output, items) => execution.replaceOutputItems(items, output),
    });
  }

  print(stream: "stdout" | "stderr", text: string): void {
    this.text[stream] = overwrittenLines(this.text[stream] + text);
    this.timer ??= setTimeout(() => this.showText(), REDRAW_MS);
  }

  /** An image with its text (VS Code shows the image; the saved notebook keeps both, as Jupyter does). */
  display(displayId: string, data: DisplayData): void {
    this.showText(); // what was printed before it stays before it
    const png = data["image/png"];
    const text = vscode.NotebookCellOutputItem.text(data["text/plain"], "text/plain");
    this.outputs.show(displayId, png === undefined ? [text] : [new vscode.NotebookCellOutputItem(Buffer.from(png, "base64"), "image/png"), text]);
  }

  async flush(): Promise<void> {
    this.showText();
    await this.outputs.flush();
  }

  private showText(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const stream of ["stdout", "stderr"] as const) {
      const text = this.text[stream];
      if (text === this.shown[stream]) continue;
      this.shown[stream] = text;
      this.outputs.show(stream, [stream === "stdout" ? vscode.NotebookCellOutputItem.stdout(text) : vscode.NotebookCellOutputItem.stderr(text)]);
    }
  }
}
