// The VS Code host: wires model files to the runner (tracing process, training processes), the editor
// (hovers, inlay hints, diagnostics, CodeLens), the explorer panels and the Runs view.
// It never loads TensorFlow.js: everything numeric happens in child processes.
//
//   settings.ts      the settings, typed, and their defaults     workspace.ts  model files, trust, runs folders
//   commands.ts      every command, registered in one place      sessions.ts   training sessions (+ status-bar.ts)
//   trace-service.ts traces on open and save, diagnostics        runs.ts       the runs and the Runs view
//   editor-providers.ts hovers, inlay hints, CodeLens            panels.ts     the explorer panels' wiring
//   walkthrough.ts   "Get started with Unroll" and its steps     l10n.ts       the user's language (see l10n/README.md)
//   checkpoint-editor.ts the .safetensors viewer (custom editor)  notebook-controller.ts the notebook kernel
//   notebook-cells.ts the cells' order for the TS server plugin (one program of a notebook's cells), their type errors
import * as vscode from "vscode";
import * as path from "node:path";
import { CheckpointEditorProvider } from "./checkpoint-editor";
import { registerCommands } from "./commands";
import { ModelCodeLensProvider, ShapeHoverProvider, ShapeInlayHintsProvider } from "./editor-providers";
import { ExplorerPanels } from "./explorer-panel";
import { followCellOrder, showCellTypeErrors } from "./notebook-cells";
import { NotebookKernels } from "./notebook-controller";
import { Panels } from "./panels";
import { Runs } from "./runs";
import { TrainingSessions } from "./sessions";
import { readSettings } from "./settings";
import { TraceService, isModelFile } from "./trace-service";
import { registerWalkthrough, showWalkthroughOnce } from "./walkthrough";

export function activate(context: vscode.ExtensionContext) {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("Unroll");
  const settings = () => readSettings(vscode.workspace.getConfiguration("unroll"));
  const traces = new TraceService(context.asAbsolutePath(path.join("dist", "trace-server.js")), settings, log);
  // The explorer panels, handed to every room that shows something in them.
  const explorers = new ExplorerPanels(context.extensionUri, (m) => log.appendLine(m));
  const runs = new Runs(context.extensionUri, explorers, settings, log, context.workspaceState);
  const sessions = new TrainingSessions(settings, traces, runs, explorers, log);
  const selector: vscode.DocumentSelector = { language: "typescript", scheme: "file" };
  const withCells: vscode.DocumentSelector = [selector, { language: "typescript", scheme: "vscode-notebook-cell" }];

  context.subscriptions.push(
    log,
    traces,
    runs,
    sessions,
    explorers,
    new Panels(explorers, traces, sessions, runs),
    CheckpointEditorProvider.register(context.extensionUri, (m) => log.appendLine(m)),
    // A kernel starts at a cell's first run; what a cell's run recorded shows in the cell as a trace does in a file.
    new NotebookKernels(context.asAbsolutePath(path.join("dist", "notebook-kernel.js")), settings, (cell, trace) => traces.show(cell, trace)),
    followCellOrder(),
    showCellTypeErrors(),
    ...registerCommands({ extension: context, settings, traces, sessions, runs, explorers }),
    ...registerWalkthrough(context, traces, sessions, explorers),
    vscode.languages.registerHoverProvider(withCells, new ShapeHoverProvider(traces)),
    vscode.languages.registerInlayHintsProvider(withCells, new ShapeInlayHintsProvider(traces, () => settings().inlayHints)),
    vscode.languages.registerCodeLensProvider(selector, new ModelCodeLensProvider()),
    vscode.window.onDidChangeActiveTextEditor((editor) => updateModelFileContext(editor)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("unroll.backend") || e.affectsConfiguration("unroll.nativeKernels")) traces.restart();
    }),
  );
  updateModelFileContext(vscode.window.activeTextEditor);
  void sessions.reattach(); // runs that went on training while no window was there (a reload, `unroll train --detach`)
  void showWalkthroughOnce(context);
  log.appendLine(`Unroll activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { activationMs: performance.now() - started, traces, sessions, runs };
}

function updateModelFileContext(editor: vscode.TextEditor | undefined): void {
  void vscode.commands.executeCommand("setContext", "unroll.isModelFile", !!editor && isModelFile(editor.document));
}

export function deactivate(): void {}
