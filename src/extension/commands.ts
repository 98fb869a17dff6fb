// Every command of the "Unroll" palette category, registered in one place: each calls into the room that does
// it (training sessions, runs, traces), or is small enough to live here.
import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ExplorerPanel, ExplorerPanels } from "./explorer-panel";
import type { Runs } from "./runs";
import type { TrainingSessions } from "./sessions";
import { BACKEND_CHOICES, KEYS, type Settings } from "./settings";
import type { TraceService } from "./trace-service";
import { sweep, trainWith } from "./sweep-commands";
import { MAX_LONG_TEXT, uiText } from "./ui-text";
import { activeModelFile, ensureTrusted, modelDocument } from "./workspace";

export interface Rooms {
  extension: vscode.ExtensionContext;
  settings: () => Settings;
  traces: TraceService;
  sessions: TrainingSessions;
  runs: Runs;
  explorers: ExplorerPanels;
}

export function registerCommands(rooms: Rooms): vscode.Disposable[] {
  const { sessions, runs } = rooms;
  const command = (id: string, run: (...args: never[]) => unknown) => vscode.commands.registerCommand(`unroll.${id}`, run);
  return [
    command("train", (uri?: vscode.Uri) => sessions.train(uri)),
    command("trainWith", (uri?: vscode.Uri) => trainWith(rooms, uri)),
    command("sweep", (uri?: vscode.Uri) => sweep(rooms, uri)),
    command("stop", (uri?: vscode.Uri) => sessions.stop(uri)),
    command("trace", (uri?: vscode.Uri) => traceShapes(rooms.traces, uri)),
    command("traceToEnd", (uri?: vscode.Uri) => traceShapes(rooms.traces, uri, { toEnd: true })),
    command("openExplorer", (uri?: vscode.Uri) => openExplorer(rooms, uri)),
    command("selectBackend", () => selectBackend(rooms.settings())),
    command("newFromExample", () => newFromExample(rooms.extension)),
    command("openRun", (dir?: string) => runs.open(dir)),
    command("deleteRun", (dir?: string) => runs.delete(dir)),
    command("renameRun", (dir?: string) => runs.editRun(dir, "label")),
    command("tagRun", (dir?: string) => runs.editRun(dir, "tags")),
    command("noteRun", (dir?: string) => runs.editRun(dir, "note")),
    command("exportWeights", (dir?: string) => runs.exportWeights(dir)),
    command("openWeights", (dir?: string) => runs.openWeights(dir)),
    command("compareWeights", () => runs.compareWeights()),
    command("refreshRuns", () => runs.refresh()),
    command("compareRuns", () => runs.showTable()),
  ];
}

/** Traces the file now (saving it first), within the time budget or `toEnd` without it, and says how it went in
 *  the status bar. */
async function traceShapes(traces: TraceService, uri?: vscode.Uri, options: { toEnd?: boolean } = {}): Promise<void> {
  const document = await modelDocument(uri);
  if (!document || !ensureTrusted(vscode.l10n.t("Tracing shapes"))) return;
  if (document.isDirty) await document.save();
  const trace = await traces.trace(document, options);
  if (!trace) return;
  const calls = trace.entries.filter((e) => e.kind === "call").length;
  const summary = trace.error
    ? vscode.l10n.t("Unroll: stopped at line {0}: {1}", uiText(trace.error.location?.line ?? "?"), uiText(trace.error.message, MAX_LONG_TEXT))
    : vscode.l10n.t("Unroll: {0} calls traced in {1} ms", calls, Math.round(trace.durationMs));
  vscode.window.setStatusBarMessage(summary, 5000);
}

function openExplorer({ sessions, explorers }: Rooms, uri?: vscode.Uri): ExplorerPanel | undefined {
  const file = uri?.fsPath ?? activeModelFile() ?? sessions.latestFile();
  if (!file) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Unroll: open a model file first (a .ts file that imports "unroll").'));
    return undefined;
  }
  return explorers.show(file);
}

async function selectBackend(settings: Settings): Promise<void> {
  const pick = await vscode.window.showQuickPick(
    BACKEND_CHOICES.map((backend) => ({
      label: backend,
      detail: backendDetail()[backend],
      description: backend === settings.backend ? vscode.l10n.t("current") : undefined,
    })),
    { title: vscode.l10n.t("Unroll: backend for training and traces") },
  );
  if (pick) await vscode.workspace.getConfiguration("unroll").update(KEYS.backend, pick.label, vscode.ConfigurationTarget.Workspace);
}

/** What each backend is, for the quick pick. */
const backendDetail = (): Record<(typeof BACKEND_CHOICES)[number], string> => ({
  auto: vscode.l10n.t("The first that works: CUDA, native, WebGPU, then the embedded WebAssembly backend"),
  "tfjs-node-gpu": vscode.l10n.t("CUDA through libtensorflow (npm install @tensorflow/tfjs-node-gpu)"),
  "tfjs-node": vscode.l10n.t("Native libtensorflow on the CPU (npm install @tensorflow/tfjs-node)"),
  webgpu: vscode.l10n.t("WebGPU through Dawn (npm install webgpu @tensorflow/tfjs-backend-webgpu)"),
  wasm: vscode.l10n.t("Embedded WebAssembly with SIMD: works offline everywhere"),
  cpu: vscode.l10n.t("Plain JavaScript: slowest"),
});

/** Copies one of the examples (and the data it reads) into the workspace and opens it. */
async function newFromExample(extension: vscode.ExtensionContext): Promise<void> {
  const examples = extension.asAbsolutePath("examples");
  const files = fs
    .readdirSync(examples)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  // Each lesson opens with a line in English, then one in Chinese (see examples/): the user's, else the English.
  const chinese = vscode.env.language.startsWith("zh");
  const describe = (f: string) => {
    const lines = fs
      .readFileSync(path.join(examples, f), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("//"));
    return ((chinese && lines.find((l) => /[\u4e00-\u9fff]/.test(l))) || lines[0] || "").replace(/^\/\/\s*/, "");
  };
  const pick = await vscode.window.showQuickPick(
    files.map((file) => ({ label: uiText(file), detail: uiText(describe(file)), file })),
    { title: vscode.l10n.t("Unroll: new model file from an example") },
  );
  if (!pick) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) {
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: fs.readFileSync(path.join(examples, pick.file), "utf8") });
    await vscode.window.showTextDocument(doc);
    return;
  }
  let target = path.join(folder, pick.file);
  for (let n = 2; fs.existsSync(target); n++) target = path.join(folder, pick.file.replace(/\.ts$/, `-${n}.ts`));
  fs.copyFileSync(path.join(examples, pick.file), target);
  const data = path.join(examples, "data");
  if (fs.existsSync(data) && !fs.existsSync(path.join(folder, "data"))) fs.cpSync(data, path.join(folder, "data"), { recursive: true });
  await vscode.window.showTextDocument(vscode.Uri.file(target));
}
