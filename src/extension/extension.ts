// The VS Code host: wires model files to the runner (tracing process, training processes), the editor
// (hovers, inlay hints, diagnostics, CodeLens), the explorer panel and the Runs view.
// It never loads TensorFlow.js: everything numeric happens in child processes.
import * as vscode from "vscode";
import * as path from "node:path";
import { TraceService, isModelFile } from "./trace-service";
import { ModelCodeLensProvider, ShapeHoverProvider, ShapeInlayHintsProvider } from "./editor-providers";
import { Workbench } from "./workbench";

export function activate(context: vscode.ExtensionContext) {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("Unroll");
  const config = () => vscode.workspace.getConfiguration("unroll");
  const dist = (name: string) => context.asAbsolutePath(path.join("dist", name));

  const traces = new TraceService(
    dist("trace-server.js"),
    () => ({ backend: config().get("backend", "auto"), timeoutMs: config().get("trace.timeoutMs", 10_000), onSave: config().get("trace.onSave", true) }),
    log,
  );
  const workbench = new Workbench(context, traces, log);
  const selector: vscode.DocumentSelector = { language: "typescript", scheme: "file" };

  context.subscriptions.push(
    log,
    traces,
    workbench,
    vscode.languages.registerHoverProvider(selector, new ShapeHoverProvider(traces)),
    vscode.languages.registerInlayHintsProvider(selector, new ShapeInlayHintsProvider(traces, () => config().get("inlayHints.enabled", true))),
    vscode.languages.registerCodeLensProvider(selector, new ModelCodeLensProvider()),
    vscode.window.onDidChangeActiveTextEditor((editor) => updateModelFileContext(editor)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("unroll.backend")) traces.restart();
    }),
  );
  updateModelFileContext(vscode.window.activeTextEditor);
  log.appendLine(`Unroll activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { activationMs: performance.now() - started, traces, workbench };
}

function updateModelFileContext(editor: vscode.TextEditor | undefined): void {
  void vscode.commands.executeCommand("setContext", "unroll.isModelFile", !!editor && isModelFile(editor.document));
}

export function deactivate(): void {}
