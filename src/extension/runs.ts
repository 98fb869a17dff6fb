// The workspace's runs: the Runs view's list (kept fresh by a file watcher, and polled while a run is running),
// the runs ticked to compare, and the commands that act on one run — open, delete, export its weights — always on
// a folder directly inside a runs folder.
import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAX_COMPARED, type FromRunsTable, type FromRunsView, type RunDetail, type RunMetaField, type RunSummary, type ToExplorer } from "../common/protocol";
import { runCsv } from "../common/run-csv";
import { experimentOf, labelled } from "../common/run-identity";
import { editedMeta, MAX_LABEL, MAX_NOTE } from "../runs/run-meta";
import { listRuns, readRun, readRunDetail, readRunSummary, readStoredSnapshot, runFolderInside, writeRunMeta, type ReadOptions } from "../runs/run-store";
import { CheckpointEditorProvider } from "./checkpoint-editor";
import type { ExplorerPanel, ExplorerPanels } from "./explorer-panel";
import { RunsTable } from "./runs-table";
import { RunsView } from "./runs-view";
import type { Settings } from "./settings";
import { MAX_LONG_TEXT, uiText } from "./ui-text";
import { runsFolderFor, runsFolders } from "./workspace";

/** While a listed run is running (ours or a CLI's), the list is read again this often: a run whose process dies
 *  without a word then turns "interrupted". */
const RUNNING_POLL_MS = 5000;
/** The most of one run's metrics.jsonl a listing reads (the lines after its summary.json, or all of it when that is
 *  missing): the host lists on activation, and a run past it lists without its sparkline until it is opened. */
const LISTING_METRICS_BUDGET = 32 * 1024 * 1024;

/** How the host reads runs: bounded listings; in Restricted Mode nothing written back into the workspace. */
const readOptions = (): ReadOptions => ({ metricsBudget: LISTING_METRICS_BUDGET, writeBack: vscode.workspace.isTrusted });

/** The workspace state's key of the runs ticked to compare: the comparison survives a reload of VS Code. */
const COMPARED_KEY = "unroll.compared";

/** The details, each with the label its run has in `listing`. */
const withLabels = (details: RunDetail[], listing: RunSummary[]): RunDetail[] =>
  details.map((d) => {
    const label = listing.find((r) => r.dir === d.summary.dir)?.label;
    return label ? { ...d, summary: { ...d.summary, label } } : d;
  });

/** The runs of `file` among `details`: a file's charts overlay only its own experiment. */
export const sameExperiment = (details: RunDetail[], file: string): RunDetail[] => details.filter((d) => experimentOf(d.summary) === file);

/** A run's status, in words. */
const statusText = (status: RunSummary["info"]["status"]): string =>
  ({
    running: vscode.l10n.t("running"),
    completed: vscode.l10n.t("completed"),
    stopped: vscode.l10n.t("stopped"),
    failed: vscode.l10n.t("failed"),
    interrupted: vscode.l10n.t("interrupted"),
  })[status];

export class Runs implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly view: RunsView;
  private readonly table: RunsTable;
  private selected: string[]; // run folders ticked for comparison (kept in the workspace state)
  private refreshTimer: NodeJS.Timeout | undefined;
  private listed = 0; // the latest listing asked for: an older one that ends later is dropped
  private warnedFor = ""; // the ticked runs of other model files last warned of

  constructor(
    extensionUri: vscode.Uri,
    private readonly explorers: ExplorerPanels,
    private readonly settings: () => Settings,
    private readonly log: vscode.OutputChannel,
    private readonly state: vscode.Memento,
  ) {
    const saved = state.get<unknown>(COMPARED_KEY);
    this.selected = Array.isArray(saved) ? saved.filter((d): d is string => typeof d === "string").slice(0, MAX_COMPARED) : [];
    this.view = new RunsView(extensionUri, (m) => log.appendLine(m));
    this.table = new RunsTable(extensionUri, (m) => log.appendLine(m));
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${settings().runsFolder}/*/run.json`);
    const changed = () => this.scheduleRefresh();
    this.disposables.push(
      this.view,
      vscode.window.registerWebviewViewProvider(RunsView.viewType, this.view),
      this.view.onMessage((m) => this.onMessage(m)),
      this.table,
      this.table.onMessage((m) => this.onMessage(m)),
      this.table.registerSerializer(() => void this.refresh()),
      watcher,
      watcher.onDidCreate(changed),
      watcher.onDidChange(changed),
      watcher.onDidDelete(changed),
    );
    void this.refresh();
  }

  /** Every run of the workspace's runs folders, newest first (read asynchronously; see listRuns). */
  async all(): Promise<RunSummary[]> {
    return labelled(await listRuns(runsFolders(this.settings()), readOptions()));
  }

  /** The runs of one model file, newest first. */
  async of(file: string): Promise<RunSummary[]> {
    return labelled((await listRuns(runsFolderFor(this.settings(), file), readOptions())).filter((r) => r.info.file === file));
  }

  /** Reads the run (asynchronously, its curve downsampled for display) and shows it in the panel. */
  async show(panel: ExplorerPanel, dir: string): Promise<void> {
    const [read, listing] = await Promise.all([readRunDetail(dir, readOptions()), this.all()]);
    const [detail] = withLabels([read], listing);
    if (detail.summary.damaged) this.log.appendLine(`Unroll: the run in ${dir} is damaged: ${detail.summary.damaged}`);
    panel.postRun(detail);
  }

  scheduleRefresh(delay = 300): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), delay);
  }

  async refresh(): Promise<void> {
    const listing = ++this.listed;
    const runs = await this.all();
    if (listing !== this.listed) return; // a newer listing was asked for meanwhile
    this.select(this.selected.filter((dir) => runs.some((r) => r.dir === dir)));
    this.view.postRuns(runs, this.selected);
    if (this.table.open) this.table.postRuns(runs, this.selected);
    if (runs.some((r) => r.info.status === "running")) this.scheduleRefresh(RUNNING_POLL_MS);
  }

  /** Opens the Runs table (or reveals it) with every run. */
  async showTable(): Promise<void> {
    this.table.show();
    this.table.postRuns(await this.all(), this.selected);
  }

  private onMessage(m: FromRunsView | FromRunsTable): void {
    if (m.type === "openRun") void this.open(m.dir);
    else if (m.type === "openWeights") void this.openWeights(m.dir);
    else if (m.type === "deleteRun") void this.delete(m.dir);
    else if (m.type === "select") void this.compare(m.dirs);
    else if (m.type === "exportTable") void this.exportTable(m.csv);
    else if (m.type === "editRun") void this.editRun(m.dir, m.field);
  }

  /** Overlays the runs ticked (in the Runs view or the table: both show the same ticks) on the loss charts of their
   *  own model file, opening the first one's explorer if none of its file is open. */
  private async compare(dirs: string[]): Promise<void> {
    this.select(dirs);
    const all = await this.all();
    this.view.postRuns(all, this.selected);
    if (this.table.open) this.table.postRuns(all, this.selected);
    const runs = all.filter((r) => dirs.includes(r.dir));
    const details = withLabels(await Promise.all(runs.map((r) => readRunDetail(r.dir, readOptions()))), all);
    const panels = this.explorers.all();
    // The first ticked run's experiment is shown: its panel is opened when no open panel is of its file.
    if (runs.length && runs[0].info.file && !panels.some((p) => p.file === experimentOf(runs[0]))) panels.push(this.explorers.show(runs[0].info.file));
    for (const panel of panels) panel.postCompare(sameExperiment(details, panel.file));
    this.warnOtherExperiments(
      runs,
      panels.map((p) => p.file),
    );
  }

  /** Says once per selection that ticked runs of another model file are not drawn on a file's charts: a curve of
   *  another task on the same axes reads as a comparison it is not. */
  private warnOtherExperiments(runs: RunSummary[], files: string[]): void {
    const others = runs.filter((r) => !files.includes(experimentOf(r)));
    const key = others.map((r) => r.dir).join("\0");
    if (!others.length || !files.length || key === this.warnedFor) return;
    this.warnedFor = key;
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        "Unroll: {0} ticked runs belong to another model file ({1}): a file's charts overlay only runs of that file.",
        others.length,
        uiText([...new Set(others.map((r) => path.basename(r.info.file) || r.info.name))].join(", ")),
      ),
    );
  }

  /** Overlays the runs ticked on a panel that opened (or came back after a reload) while some are ticked. */
  async restoreCompare(panel: ExplorerPanel): Promise<void> {
    if (!this.selected.length) return;
    const runs = (await this.all()).filter((r) => this.selected.includes(r.dir));
    if (runs.length) panel.postCompare(sameExperiment(await Promise.all(runs.map((r) => readRunDetail(r.dir, readOptions()))), panel.file));
  }

  private select(dirs: string[]): void {
    const changed = dirs.length !== this.selected.length || dirs.some((d, i) => d !== this.selected[i]);
    this.selected = dirs;
    if (changed) void this.state.update(COMPARED_KEY, dirs);
  }

  /** The run in `dir`, only when `dir` is a run folder directly inside one of the workspace's runs folders. */
  private async find(dir: string): Promise<RunSummary | null> {
    const inside = await runFolderInside(runsFolders(this.settings()), dir);
    if (!inside) {
      this.log.appendLine(`Unroll: refused to act on ${JSON.stringify(dir)}: not a run folder inside the runs folder`);
      return null;
    }
    return readRunSummary(inside, readOptions());
  }

  private async pick(title: string): Promise<RunSummary | undefined> {
    const runs = await this.all();
    if (!runs.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t("Unroll: no runs yet. Train a model first (Unroll: Train Model)."));
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({
        label: uiText(r.info.name),
        description: `${statusText(r.info.status)}${r.damaged ? vscode.l10n.t(" (damaged)") : ""} · ${uiText(r.info.id)}`,
        detail: r.damaged
          ? vscode.l10n.t("damaged: {0}", uiText(r.damaged))
          : `${uiText(path.basename(r.info.file))} · ${vscode.l10n.t("loss {0}", r.info.finalLoss?.toFixed(4) ?? "–")}`,
        run: r,
      })),
      { title },
    );
    return pick?.run;
  }

  /** The run of a command: the folder it names (a Runs view row), else the one the user picks. */
  private async runOf(dir: string | undefined, title: string): Promise<RunSummary | null | undefined> {
    return typeof dir === "string" ? this.find(dir) : this.pick(title);
  }

  async open(dir?: string): Promise<void> {
    const run = await this.runOf(dir, vscode.l10n.t("Unroll: open a run"));
    if (!run) return;
    if (!run.info.file) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t(
          "Unroll: the run {0} does not say which model file it trained (damaged: {1}).",
          uiText(run.info.id),
          run.damaged ? uiText(run.damaged) : vscode.l10n.t("no file"),
        ),
      );
      return;
    }
    await this.show(this.explorers.show(run.info.file, { preserveFocus: false }), run.dir);
  }

  async delete(dir?: string): Promise<void> {
    const run = await this.runOf(dir, vscode.l10n.t("Unroll: delete a run"));
    if (!run) return;
    if (run.info.status === "running") {
      void vscode.window.showWarningMessage(vscode.l10n.t("Unroll: stop this run before deleting it."));
      return;
    }
    const remove = vscode.l10n.t("Delete");
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t("Delete the run {0}? Its metrics, snapshots and weights are removed.", uiText(run.info.id)),
      { modal: true, detail: uiText(run.dir, MAX_LONG_TEXT) },
      remove,
    );
    if (choice !== remove) return;
    try {
      await fs.promises.rm(run.dir, { recursive: true, force: true });
    } catch (error) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t("Unroll: cannot delete {0}: {1}", uiText(run.dir, MAX_LONG_TEXT), uiText((error as Error).message, MAX_LONG_TEXT)),
      );
    }
    void this.refresh();
  }

  /** The run's weights.safetensors, or undefined after telling the user it has none yet. */
  private weightsOf(run: RunSummary): string | undefined {
    const weights = path.join(run.dir, "weights.safetensors");
    if (fs.statSync(weights, { throwIfNoEntry: false })?.isFile()) return weights; // not a FIFO, not /dev/zero: it is copied on export
    void vscode.window.showWarningMessage(
      vscode.l10n.t("Unroll: the run {0} has no weights yet: a run writes weights.safetensors at the end of each epoch.", uiText(run.info.id)),
    );
    return undefined;
  }

  /** Opens a run's weights in the checkpoint viewer. */
  async openWeights(dir?: string): Promise<void> {
    const run = await this.runOf(dir, vscode.l10n.t("Unroll: open the weights of a run"));
    const weights = run && this.weightsOf(run);
    if (weights) await CheckpointEditorProvider.open(weights, undefined, await this.weightsTitle(run));
  }

  /** Compares the weights of two runs in the checkpoint viewer (B − A, A the older): the two runs ticked in the Runs
   *  view, else two the user picks. */
  async compareWeights(): Promise<void> {
    let runs: RunSummary[] = [];
    if (this.selected.length === 2) runs = (await Promise.all(this.selected.map((dir) => this.find(dir)))).filter((r): r is RunSummary => !!r);
    else {
      const a = await this.pick(vscode.l10n.t("Unroll: compare the weights of a run (A)…"));
      const b = a && (await this.pick(vscode.l10n.t("Unroll: …with the weights of another run (B)")));
      if (a && b) runs = [a, b];
    }
    if (runs.length !== 2) return;
    // The older run is A: the difference then reads as what training changed.
    const [a, b] = runs.sort((x, y) => x.info.startedAt.localeCompare(y.info.startedAt));
    const weightsA = this.weightsOf(a);
    const weightsB = weightsA && this.weightsOf(b);
    if (weightsA && weightsB) await CheckpointEditorProvider.open(weightsA, weightsB, await this.weightsTitle(a));
  }

  /** A weights tab's title: the run's label (what tells it from the other runs), not "weights.safetensors". */
  private async weightsTitle(run: RunSummary): Promise<string> {
    const label = run.label ?? (await this.all()).find((r) => r.dir === run.dir)?.label ?? run.info.id;
    return vscode.l10n.t("Weights · {0}", uiText(label));
  }

  /** The answer to the Parameters tab's loadSnapshot: the stored snapshot's parameters (its step the file's), or why
   *  it does not read; a folder outside the runs folders gets a problem, never a read. */
  async storedSnapshot(dir: string, step: number): Promise<ToExplorer> {
    const inside = await runFolderInside(runsFolders(this.settings()), dir);
    if (!inside) return { type: "storedSnapshot", dir, step, problem: vscode.l10n.t("not a run folder inside the runs folder") };
    const read = await readStoredSnapshot(inside, step);
    if ("problem" in read) return { type: "storedSnapshot", dir, step, problem: read.problem };
    return { type: "storedSnapshot", dir, step, snapshot: { epoch: read.snapshot.epoch, step, parameters: read.snapshot.parameters } };
  }

  /** Asks for a run's new label, tags or note and writes it to the run's meta.json (an empty answer removes it); from
   *  the palette, the run is picked first. */
  async editRun(dir: string | undefined, field: RunMetaField): Promise<void> {
    const picking = { label: vscode.l10n.t("Unroll: rename a run"), tags: vscode.l10n.t("Unroll: tag a run"), note: vscode.l10n.t("Unroll: annotate a run") };
    const run = await this.runOf(dir, picking[field]);
    if (!run) return;
    const meta = run.meta ?? {};
    const prompt =
      field === "label"
        ? vscode.l10n.t("A name for this run (empty: the automatic label)")
        : field === "tags"
          ? vscode.l10n.t("Tags, separated by commas")
          : vscode.l10n.t("A note on this run");
    const value = field === "tags" ? (meta.tags ?? []).join(", ") : (meta[field] ?? "");
    const max = field === "label" ? MAX_LABEL : MAX_NOTE;
    const typed = await vscode.window.showInputBox({
      title: vscode.l10n.t("Unroll: {0}", uiText((await this.all()).find((r) => r.dir === run.dir)?.label ?? run.info.id)),
      prompt,
      value,
      validateInput: (text) => (text.length > max ? vscode.l10n.t("At most {0} characters.", max) : undefined),
    });
    if (typed === undefined) return;
    try {
      writeRunMeta(run.dir, editedMeta(meta, field, typed));
    } catch (error) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t("Unroll: cannot save {0}: {1}", uiText(path.join(run.dir, "meta.json"), MAX_LONG_TEXT), uiText((error as Error).message, MAX_LONG_TEXT)),
      );
    }
    void this.refresh();
  }

  async exportWeights(dir?: string): Promise<void> {
    const run = await this.runOf(dir, vscode.l10n.t("Unroll: export the weights of a run"));
    if (!run) return;
    const weights = this.weightsOf(run);
    if (!weights) return;
    const folder = run.info.file ? path.dirname(run.info.file) : run.dir;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(folder, `${run.info.name}.safetensors`)),
      filters: { Safetensors: ["safetensors"] },
    });
    if (!target) return;
    fs.copyFileSync(weights, target.fsPath);
    void vscode.window.showInformationMessage(
      vscode.l10n.t("Unroll: weights saved to {0} (PyTorch's parameter names: load with safetensors.torch.load_file).", uiText(target.fsPath, MAX_LONG_TEXT)),
    );
  }

  /** Saves a run as CSV (RFC 4180, spreadsheet formulas neutralised) where the user chooses: every step of a stored
   *  run from its folder (the explorer has at most MAX_STEPS_SHOWN of them), else the CSV the explorer built. */
  async exportCsv(modelFile: string, runId: string, dir: string, csv: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(path.dirname(modelFile), `${runId}.csv`)),
      filters: { CSV: ["csv"] },
    });
    if (!target) return;
    const stored = await this.find(dir);
    fs.writeFileSync(target.fsPath, stored ? runCsv(readRun(stored.dir)) : csv);
  }

  /** Saves the Runs table as it shows (its filter and order) where the user chooses. */
  private async exportTable(csv: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, "runs.csv") } : {}),
      filters: { CSV: ["csv"] },
    });
    if (target) fs.writeFileSync(target.fsPath, csv);
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    this.disposables.forEach((d) => d.dispose());
  }
}
