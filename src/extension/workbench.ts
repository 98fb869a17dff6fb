// The commands of the "Unroll" palette category, training sessions, the status bar, and the wiring of
// the explorer panels and the Runs view to the run store.
import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FromExplorer, FromRunsView, RunEvent, RunSummary } from "../protocol";
import { haltMessage, startTraining, type Training } from "../runner/train-client";
import { listRuns, readRunDetail, readRunSummary, runFolderInside } from "../runner/run-store";
import { ExplorerPanel } from "./explorer-panel";
import { RunsView } from "./runs-view";
import { isModelFile, type TraceService } from "./trace-service";

const BACKENDS = [
  { label: "auto", detail: "The first that works: CUDA, native, WebGPU, then the embedded WebAssembly backend" },
  { label: "tfjs-node-gpu", detail: "CUDA through libtensorflow (npm install @tensorflow/tfjs-node-gpu)" },
  { label: "tfjs-node", detail: "Native libtensorflow on the CPU (npm install @tensorflow/tfjs-node)" },
  { label: "webgpu", detail: "WebGPU through Dawn (npm install webgpu @tensorflow/tfjs-backend-webgpu)" },
  { label: "wasm", detail: "Embedded WebAssembly with SIMD: works offline everywhere" },
  { label: "cpu", detail: "Plain JavaScript: slowest" },
];

/** A training run the extension started, with what the status bar shows of it. */
interface Session {
  file: string;
  training: Training;
  runId?: string;
  backend?: { name: string; summary: string };
  epochs?: number;
  epoch?: number;
  step?: number;
  loss?: number;
  /** The latest step not yet shown: steps reach the panel and the status bar at most every STEP_INTERVAL_MS. */
  pendingStep?: RunEvent;
  stepTimer?: NodeJS.Timeout;
}

/** A small model trains thousands of steps a second; posting each to the webview floods the host (a Stop
 *  command then waits behind the queue). The panel gets the run's every step from the store at the end. */
const STEP_INTERVAL_MS = 100;
/** While a listed run is running (ours or a CLI's), the list is read again this often: a run whose process dies
 *  without a word then turns "interrupted". */
const RUNNING_POLL_MS = 5000;

export class Workbench implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly status = vscode.window.createStatusBarItem("unroll.training", vscode.StatusBarAlignment.Left, 50);
  private readonly sessions = new Map<string, Session>(); // by model file
  private readonly runsView: RunsView;
  private selected: string[] = []; // run folders ticked for comparison
  private runsRefresh: NodeJS.Timeout | undefined;
  private runsListed = 0; // the latest listing asked for: an older one that ends later is dropped

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly traces: TraceService,
    private readonly log: vscode.OutputChannel,
  ) {
    const warn = (m: string) => log.appendLine(m);
    this.runsView = new RunsView(context.extensionUri, warn);
    this.status.name = "Unroll training";
    this.disposables.push(
      this.status,
      this.runsView,
      ExplorerPanel.register(context.extensionUri, warn),
      ExplorerPanel.onDidCreate((panel) => void this.connectPanel(panel)),
      vscode.window.registerWebviewViewProvider(RunsView.viewType, this.runsView),
      this.runsView.onMessage((m) => this.onRunsMessage(m)),
      traces.onDidChange((uri) => this.postTrace(uri.fsPath)),
      vscode.commands.registerCommand("unroll.train", (uri?: vscode.Uri) => this.train(uri)),
      vscode.commands.registerCommand("unroll.stop", (uri?: vscode.Uri) => this.stop(uri)),
      vscode.commands.registerCommand("unroll.trace", (uri?: vscode.Uri) => this.traceCommand(uri)),
      vscode.commands.registerCommand("unroll.openExplorer", (uri?: vscode.Uri) => this.openExplorer(uri)),
      vscode.commands.registerCommand("unroll.selectBackend", () => this.selectBackend()),
      vscode.commands.registerCommand("unroll.newFromExample", () => this.newFromExample()),
      vscode.commands.registerCommand("unroll.openRun", (dir?: string) => this.openRun(dir)),
      vscode.commands.registerCommand("unroll.deleteRun", (dir?: string) => this.deleteRun(dir)),
      vscode.commands.registerCommand("unroll.exportWeights", (dir?: string) => this.exportWeights(dir)),
      vscode.commands.registerCommand("unroll.refreshRuns", () => this.refreshRuns()),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${this.runsSetting()}/*/run.json`);
    this.disposables.push(watcher, watcher.onDidCreate(() => this.scheduleRunsRefresh()), watcher.onDidChange(() => this.scheduleRunsRefresh()), watcher.onDidDelete(() => this.scheduleRunsRefresh()));
    void this.refreshRuns();
  }

  // -------------------------------------------------------------------------------------------------
  // Model files and trust

  /** The model file a command is about: its argument, else the active editor's. */
  private async modelDocument(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!document || !isModelFile(document)) {
      void vscode.window.showWarningMessage('Unroll: open a model file first (a .ts file that imports "unroll").');
      return undefined;
    }
    return document;
  }

  /** Running user code needs a trusted workspace; says so (with the way to trust) when it is not. */
  private ensureTrusted(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(`Unroll: ${what} runs the model file's code, which Unroll does only in trusted workspaces.`, "Manage Workspace Trust")
      .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
    return false;
  }

  private config() {
    return vscode.workspace.getConfiguration("unroll");
  }

  private runsSetting(): string {
    return this.config().get("runsFolder", ".unroll/runs").replace(/^\.\/|\/$/g, "");
  }

  /** Every runs folder of the workspace (one per workspace folder). */
  private runsFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map((f) => path.resolve(f.uri.fsPath, this.runsSetting()));
  }

  /** Where a model file's runs go: its workspace folder's runs folder, else beside the file. */
  private runsFolderFor(file: string): string {
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    return path.resolve(folder ? folder.uri.fsPath : path.dirname(file), this.runsSetting());
  }

  // -------------------------------------------------------------------------------------------------
  // Tracing and the explorer

  private async traceCommand(uri?: vscode.Uri): Promise<void> {
    const document = await this.modelDocument(uri);
    if (!document || !this.ensureTrusted("Tracing shapes")) return;
    if (document.isDirty) await document.save();
    const trace = await this.traces.trace(document);
    if (!trace) return;
    const calls = trace.entries.filter((e) => e.kind === "call").length;
    const summary = trace.error ? `stopped at line ${trace.error.location?.line ?? "?"}: ${trace.error.message}` : `${calls} calls traced in ${Math.round(trace.durationMs)} ms`;
    vscode.window.setStatusBarMessage(`Unroll: ${summary}`, 5000);
  }

  private async openExplorer(uri?: vscode.Uri): Promise<ExplorerPanel | undefined> {
    const file = uri?.fsPath ?? this.activeModelFile() ?? [...this.sessions.keys()].pop();
    if (!file) {
      void vscode.window.showWarningMessage('Unroll: open a model file first (a .ts file that imports "unroll").');
      return undefined;
    }
    return ExplorerPanel.show(file);
  }

  private activeModelFile(): string | undefined {
    const document = vscode.window.activeTextEditor?.document;
    return document && isModelFile(document) ? document.uri.fsPath : undefined;
  }

  /** Fills a new (or restored) panel: the trace, the file's latest run, and listens to it. */
  private async connectPanel(panel: ExplorerPanel): Promise<void> {
    panel.onMessage((m) => this.onPanelMessage(panel, m));
    this.postTrace(panel.file);
    const session = this.sessions.get(panel.file);
    if (session?.backend) panel.postBackend(session.backend.summary);
    const latest = (await this.runsOf(panel.file))[0];
    if (latest && (!session || latest.info.id === session.runId)) await this.showRun(panel, latest.dir);
  }

  private postTrace(file: string): void {
    const panel = ExplorerPanel.get(file);
    if (!panel) return;
    const traced = this.traces.get(vscode.Uri.file(file));
    panel.postTrace(traced?.trace ?? null, { stale: traced?.tracker.edited ?? false, trusted: vscode.workspace.isTrusted });
  }

  /** Reads the run (asynchronously, its curve downsampled for display) and shows it in the panel. */
  private async showRun(panel: ExplorerPanel, dir: string): Promise<void> {
    const detail = await readRunDetail(dir);
    if (detail.summary.damaged) this.log.appendLine(`Unroll: the run in ${dir} is damaged: ${detail.summary.damaged}`);
    panel.postRun(detail);
  }

  private async onPanelMessage(panel: ExplorerPanel, m: FromExplorer): Promise<void> {
    switch (m.type) {
      case "reveal": {
        const position = new vscode.Position(m.line - 1, m.column - 1);
        const editor = await vscode.window.showTextDocument(vscode.Uri.file(panel.file), { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
        editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        break;
      }
      case "train":
        return this.train(vscode.Uri.file(panel.file));
      case "stop":
        return this.stop(vscode.Uri.file(panel.file));
      case "exportCsv":
        return this.exportCsv(panel.file, m.runId, m.csv);
      default:
        break;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Training

  private async train(uri?: vscode.Uri): Promise<void> {
    const document = await this.modelDocument(uri);
    if (!document || !this.ensureTrusted("Training")) return;
    const file = document.uri.fsPath;
    if (this.sessions.has(file)) {
      void vscode.window.showInformationMessage(`Unroll: ${path.basename(file)} is already training.`, "Stop").then((c) => c && this.stop(document.uri));
      return;
    }
    if (document.isDirty) await document.save();
    ExplorerPanel.show(file);
    const session: Session = { file, training: undefined as unknown as Training };
    session.training = startTraining(
      {
        file,
        backend: this.config().get("backend", "auto"),
        snapshotEvery: this.config().get("snapshotEvery", 50),
        dataTimeout: this.config().get("dataTimeout", 120),
        runsFolder: this.runsFolderFor(file),
      },
      (event) => this.onRunEvent(session, event),
    );
    this.sessions.set(file, session);
    this.traces.setRunError(file, null);
    this.updateStatus();
    void vscode.commands.executeCommand("setContext", "unroll.training", true);
    const result = await session.training.done;
    this.flushStep(session);
    this.sessions.delete(file);
    // The panel saw a sample of the steps while training: now it gets them all.
    const panel = ExplorerPanel.get(file);
    if (panel && session.runId) void this.showRun(panel, path.join(this.runsFolderFor(file), session.runId));
    void vscode.commands.executeCommand("setContext", "unroll.training", this.sessions.size > 0);
    this.updateStatus(session);
    void this.refreshRuns();
    const run = result.run;
    this.traces.setRunError(file, result.error ?? null);
    if (result.error) {
      const where = result.error.location ? ` (${path.basename(result.error.location.file)}:${result.error.location.line})` : "";
      void vscode.window.showErrorMessage(`Unroll: training ${path.basename(file)} failed${where}: ${result.error.message}`, "Show Line").then((c) => {
        const loc = result.error?.location;
        if (c && loc) void vscode.window.showTextDocument(vscode.Uri.file(loc.file), { selection: new vscode.Range(loc.line - 1, loc.column - 1, loc.line - 1, loc.column - 1) });
      });
    } else if (run && haltMessage(run)) {
      void vscode.window.showInformationMessage(`Unroll: ${run.name} ${haltMessage(run)}.`, ...(run.halted?.location ? ["Show Line"] : [])).then((c) => {
        const loc = run.halted?.location;
        if (c && loc) void vscode.window.showTextDocument(vscode.Uri.file(loc.file), { selection: new vscode.Range(loc.line - 1, loc.column - 1, loc.line - 1, loc.column - 1) });
      });
    } else if (run?.status === "completed") {
      vscode.window.setStatusBarMessage(`Unroll: ${run.name} completed, loss ${run.finalLoss?.toFixed(4)}`, 8000);
    } else if (!run && result.code !== 0) {
      void vscode.window.showErrorMessage(`Unroll: the training process of ${path.basename(file)} ended unexpectedly (${result.signal ?? `exit ${result.code}`}). See the "Unroll" output.`);
    }
  }

  private onRunEvent(session: Session, event: RunEvent): void {
    if (event.type === "step") {
      Object.assign(session, { epoch: event.epoch, step: event.step, loss: event.loss, pendingStep: event });
      session.stepTimer ??= setTimeout(() => this.flushStep(session), STEP_INTERVAL_MS);
      return;
    }
    if (event.type !== "log") this.flushStep(session);
    switch (event.type) {
      case "start":
        session.runId = event.run.id;
        session.backend = { name: event.run.backendName, summary: event.run.backend };
        session.epochs = event.run.config.epochs;
        ExplorerPanel.get(session.file)?.postBackend(event.run.backend);
        this.scheduleRunsRefresh();
        break;
      case "epoch":
        this.scheduleRunsRefresh();
        break;
      case "log":
        this.log.append(event.text);
        return;
      default:
        break;
    }
    if (session.runId) ExplorerPanel.get(session.file)?.postEvent(session.runId, event);
    this.updateStatus();
  }

  private flushStep(session: Session): void {
    clearTimeout(session.stepTimer);
    session.stepTimer = undefined;
    const step = session.pendingStep;
    session.pendingStep = undefined;
    if (step && session.runId) ExplorerPanel.get(session.file)?.postEvent(session.runId, step);
    this.updateStatus();
  }

  private stop(uri?: vscode.Uri): void {
    const file = uri?.fsPath ?? this.activeModelFile();
    const session = (file && this.sessions.get(file)) || [...this.sessions.values()].pop();
    if (!session) {
      void vscode.window.showInformationMessage("Unroll: nothing is training.");
      return;
    }
    session.training.stop(); // a step that does not end within a few seconds is ended where it is; the run "stopped"
  }

  /** Backend, epoch, step and loss of the running session (or the last one's result for a while). */
  private updateStatus(ended?: Session): void {
    const session = [...this.sessions.values()].pop();
    if (!session) {
      if (ended?.backend) {
        this.status.text = `$(check) Unroll ${ended.backend.name} · loss ${ended.loss?.toFixed(4) ?? "–"}`;
        this.status.tooltip = `Last run: ${ended.backend.summary}`;
      } else this.status.hide();
      return;
    }
    const parts = [`$(sync~spin) Unroll ${session.backend?.name ?? "starting…"}`];
    if (session.epoch !== undefined) parts.push(`epoch ${session.epoch}/${session.epochs ?? "?"}`, `step ${session.step}`, `loss ${session.loss?.toFixed(4)}`);
    this.status.text = parts.join(" · ");
    this.status.tooltip = `Training ${path.basename(session.file)} on ${session.backend?.summary ?? "…"} — click to open the explorer`;
    this.status.command = { command: "unroll.openExplorer", title: "Open Explorer", arguments: [vscode.Uri.file(session.file)] };
    this.status.show();
  }

  // -------------------------------------------------------------------------------------------------
  // Runs

  /** Every run of the workspace's runs folders, newest first (read asynchronously; see listRuns). */
  private allRuns(): Promise<RunSummary[]> {
    return listRuns(this.runsFolders());
  }

  private async runsOf(file: string): Promise<RunSummary[]> {
    return (await listRuns(this.runsFolderFor(file))).filter((r) => r.info.file === file);
  }

  /** The run in `dir`, only when `dir` is a run folder directly inside one of the workspace's runs folders. */
  private async findRun(dir: string): Promise<RunSummary | null> {
    const inside = await runFolderInside(this.runsFolders(), dir);
    if (!inside) {
      this.log.appendLine(`Unroll: refused to act on ${JSON.stringify(dir)}: not a run folder inside the runs folder`);
      return null;
    }
    return readRunSummary(inside);
  }

  private scheduleRunsRefresh(delay = 300): void {
    clearTimeout(this.runsRefresh);
    this.runsRefresh = setTimeout(() => void this.refreshRuns(), delay);
  }

  private async refreshRuns(): Promise<void> {
    const listing = ++this.runsListed;
    const runs = await this.allRuns();
    if (listing !== this.runsListed) return; // a newer listing was asked for meanwhile
    this.selected = this.selected.filter((dir) => runs.some((r) => r.dir === dir));
    this.runsView.postRuns(runs, this.selected);
    if (runs.some((r) => r.info.status === "running")) this.scheduleRunsRefresh(RUNNING_POLL_MS);
  }

  private onRunsMessage(m: FromRunsView): void {
    if (m.type === "openRun") void this.openRun(m.dir);
    else if (m.type === "deleteRun") void this.deleteRun(m.dir);
    else if (m.type === "select") void this.compare(m.dirs);
  }

  /** Overlays the runs ticked in the Runs view on the loss charts (opening the first one's explorer if none is open). */
  private async compare(dirs: string[]): Promise<void> {
    this.selected = dirs;
    const runs = (await this.allRuns()).filter((r) => dirs.includes(r.dir));
    const details = await Promise.all(runs.map((r) => readRunDetail(r.dir)));
    const panels = ExplorerPanel.all();
    if (!panels.length && runs.length && runs[0].info.file) panels.push(ExplorerPanel.show(runs[0].info.file));
    for (const panel of panels) panel.postCompare(details);
  }

  private async pickRun(title: string): Promise<RunSummary | undefined> {
    const runs = await this.allRuns();
    if (!runs.length) {
      void vscode.window.showInformationMessage("Unroll: no runs yet. Train a model first (Unroll: Train Model).");
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({
        label: r.info.name,
        description: `${r.info.status}${r.damaged ? " (damaged)" : ""} · ${r.info.id}`,
        detail: r.damaged ? `damaged: ${r.damaged}` : `${path.basename(r.info.file)} · loss ${r.info.finalLoss?.toFixed(4) ?? "–"}`,
        run: r,
      })),
      { title },
    );
    return pick?.run;
  }

  /** The run of a command: the folder it names (a Runs view row), else the one the user picks. */
  private async runOf(dir: string | undefined, title: string): Promise<RunSummary | null | undefined> {
    return typeof dir === "string" ? this.findRun(dir) : this.pickRun(title);
  }

  private async openRun(dir?: string): Promise<void> {
    const run = await this.runOf(dir, "Unroll: open a run");
    if (!run) return;
    if (!run.info.file) {
      void vscode.window.showWarningMessage(`Unroll: the run ${run.info.id} does not say which model file it trained (damaged: ${run.damaged ?? "no file"}).`);
      return;
    }
    const panel = ExplorerPanel.show(run.info.file, { preserveFocus: false });
    await this.showRun(panel, run.dir);
  }

  private async deleteRun(dir?: string): Promise<void> {
    const run = await this.runOf(dir, "Unroll: delete a run");
    if (!run) return;
    if (run.info.status === "running") {
      void vscode.window.showWarningMessage("Unroll: stop this run before deleting it.");
      return;
    }
    const choice = await vscode.window.showWarningMessage(`Delete the run ${run.info.id}? Its metrics, snapshots and weights are removed.`, { modal: true, detail: run.dir }, "Delete");
    if (choice !== "Delete") return;
    try {
      await fs.promises.rm(run.dir, { recursive: true, force: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Unroll: cannot delete ${run.dir}: ${(error as Error).message}`);
    }
    void this.refreshRuns();
  }

  private async exportWeights(dir?: string): Promise<void> {
    const run = await this.runOf(dir, "Unroll: export the weights of a run");
    if (!run) return;
    const weights = path.join(run.dir, "weights.safetensors");
    if (!fs.existsSync(weights)) {
      void vscode.window.showWarningMessage(`Unroll: the run ${run.info.id} has no weights yet.`);
      return;
    }
    const folder = run.info.file ? path.dirname(run.info.file) : run.dir;
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(folder, `${run.info.name}.safetensors`)), filters: { Safetensors: ["safetensors"] } });
    if (!target) return;
    fs.copyFileSync(weights, target.fsPath);
    void vscode.window.showInformationMessage(`Unroll: weights saved to ${target.fsPath} (PyTorch's parameter names: load with safetensors.torch.load_file).`);
  }

  /** Saves the CSV the explorer built (RFC 4180, spreadsheet formulas neutralised) where the user chooses. */
  private async exportCsv(modelFile: string, runId: string, csv: string): Promise<void> {
    const folder = path.dirname(modelFile);
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(folder, `${runId}.csv`)), filters: { CSV: ["csv"] } });
    if (target) fs.writeFileSync(target.fsPath, csv);
  }

  // -------------------------------------------------------------------------------------------------
  // Other commands

  private async selectBackend(): Promise<void> {
    const current = this.config().get("backend", "auto");
    const pick = await vscode.window.showQuickPick(
      BACKENDS.map((b) => ({ ...b, description: b.label === current ? "current" : undefined })),
      { title: "Unroll: backend for training and traces" },
    );
    if (pick) await this.config().update("backend", pick.label, vscode.ConfigurationTarget.Workspace);
  }

  /** Copies one of the examples (and the data it reads) into the workspace and opens it. */
  private async newFromExample(): Promise<void> {
    const examples = this.context.asAbsolutePath("examples");
    const files = fs.readdirSync(examples).filter((f) => f.endsWith(".ts")).sort();
    const describe = (f: string) => fs.readFileSync(path.join(examples, f), "utf8").split("\n")[0].replace(/^\/\/\s*/, "");
    const pick = await vscode.window.showQuickPick(files.map((f) => ({ label: f, detail: describe(f) })), { title: "Unroll: new model file from an example" });
    if (!pick) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) {
      const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: fs.readFileSync(path.join(examples, pick.label), "utf8") });
      await vscode.window.showTextDocument(doc);
      return;
    }
    let target = path.join(folder, pick.label);
    for (let n = 2; fs.existsSync(target); n++) target = path.join(folder, pick.label.replace(/\.ts$/, `-${n}.ts`));
    fs.copyFileSync(path.join(examples, pick.label), target);
    const data = path.join(examples, "data");
    if (fs.existsSync(data) && !fs.existsSync(path.join(folder, "data"))) fs.cpSync(data, path.join(folder, "data"), { recursive: true });
    await vscode.window.showTextDocument(vscode.Uri.file(target));
  }

  dispose(): void {
    clearTimeout(this.runsRefresh);
    for (const session of this.sessions.values()) session.training.stop();
    this.disposables.forEach((d) => d.dispose());
  }
}

/** "wasm (WebAssembly with SIMD, embedded) — skipped …" → "wasm". */
