// The Runs table: an editor tab ("Unroll: Compare Runs", from the Runs view's title) with one row per run and
// one column per hyperparameter and metric. One panel at most; it keeps the last list and re-sends it whenever its
// page (re)loads.
//
//   const table = new RunsTable(context.extensionUri, (m) => output.warn(m));
//   table.onMessage((m) => …);            // openRun, select, exportTable
//   table.show(); table.postRuns(runs, selectedDirs);
import * as vscode from "vscode";
import { isFromRunsTable, type FromRunsTable, type RunSummary, type ToRunsTable } from "../protocol";
import { post, receive, webviewHtml, webviewOptions } from "./webview-html";

export class RunsTable implements vscode.Disposable {
  static readonly viewType = "unroll.runsTable";

  /** Messages from the page that passed `isFromRunsTable` (`ready` included: the list has already been re-sent). */
  readonly onMessage: vscode.Event<FromRunsTable>;

  private readonly messages = new vscode.EventEmitter<FromRunsTable>();
  private panel: vscode.WebviewPanel | undefined;
  private subscriptions: vscode.Disposable[] = [];
  private last: ToRunsTable = { type: "runs", runs: [], selected: [] };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void = console.warn,
  ) {
    this.onMessage = this.messages.event;
  }

  /** Whether the table is open (the host then keeps it fresh). */
  get open(): boolean {
    return this.panel !== undefined;
  }

  /** Opens the table in the active editor group, or reveals it. */
  show(): void {
    if (this.panel) return this.panel.reveal();
    const panel = vscode.window.createWebviewPanel(RunsTable.viewType, vscode.l10n.t("Runs Table"), vscode.ViewColumn.Active, {
      ...webviewOptions(this.extensionUri),
      retainContextWhenHidden: false,
    });
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: "runs-table", title: vscode.l10n.t("Runs Table") });
    this.panel = panel;
    this.subscriptions.push(
      receive(
        panel.webview,
        isFromRunsTable,
        (m) => this.messages.fire(m),
        () => post(this.panel?.webview, this.last),
        this.log,
      ),
      panel.onDidDispose(() => this.disposePanel()),
    );
  }

  /** Every run (only run.json's facts travel: the table draws no curve), and the folders ticked for comparison. */
  postRuns(runs: RunSummary[], selected: string[]): void {
    this.last = { type: "runs", runs: runs.map((r) => ({ info: r.info, dir: r.dir, ...(r.damaged ? { damaged: r.damaged } : {}) })), selected };
    post(this.panel?.webview, this.last);
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposePanel();
    this.messages.dispose();
  }

  private disposePanel(): void {
    for (const d of this.subscriptions) d.dispose();
    this.subscriptions = [];
    this.panel = undefined;
  }
}
