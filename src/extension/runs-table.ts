// The Runs table: an editor tab ("Unroll: Compare Runs", from the Runs view's title) with one row per run and
// one column per hyperparameter and metric. One panel at most; it keeps the last list and re-sends it whenever its
// page (re)loads. A table open when VS Code reloads comes back (a WebviewPanelSerializer): its page state keeps the
// sort, the filter and the scatter's axes, the host's workspace state the runs ticked.
//
//   const table = new RunsTable(context.extensionUri, (m) => output.warn(m));
//   table.onMessage((m) => …);            // openRun, select, exportTable
//   table.registerSerializer(() => …);    // on activation: a table restored after a reload wants its runs
//   table.show(); table.postRuns(runs, selectedDirs);
import * as vscode from "vscode";
import { runsTableChannel, type FromRunsTable, type RunSummary, type ToRunsTable } from "../common/protocol";
import { HostChannel, webviewHtml, webviewOptions } from "./webview-html";

export class RunsTable implements vscode.Disposable {
  static readonly viewType = "unroll.runsTable";

  /** Messages from the page that passed `runsTableChannel.isFrom` (`ready` included: the list has already been re-sent). */
  readonly onMessage: vscode.Event<FromRunsTable>;

  private readonly messages = new vscode.EventEmitter<FromRunsTable>();
  private panel: vscode.WebviewPanel | undefined;
  private channel: HostChannel<ToRunsTable, FromRunsTable> | undefined;
  private subscriptions: vscode.Disposable[] = [];
  private last: ToRunsTable = { type: "table", runs: [], selected: [] };

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
    this.adopt(vscode.window.createWebviewPanel(RunsTable.viewType, vscode.l10n.t("Runs Table"), vscode.ViewColumn.Active, webviewOptions(this.extensionUri)));
  }

  /** Call once on activation: VS Code then restores a table left open across a reload, and `onRestored` should post
   *  its runs. A second table (there is one at most) is closed. */
  registerSerializer(onRestored: () => void): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(RunsTable.viewType, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        if (this.panel) return panel.dispose();
        panel.webview.options = webviewOptions(this.extensionUri);
        this.adopt(panel);
        onRestored();
      },
    });
  }

  /** Makes `panel` the table: its page, and its messages. */
  private adopt(panel: vscode.WebviewPanel): void {
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: "runs-table", title: vscode.l10n.t("Runs Table") });
    this.panel = panel;
    const channel = new HostChannel(panel.webview, runsTableChannel, {
      deliver: (m) => this.messages.fire(m),
      replay: () => channel.post(this.last),
      log: this.log,
    });
    this.channel = channel;
    this.subscriptions.push(
      channel,
      panel.onDidDispose(() => this.disposePanel()),
    );
  }

  /** Every run (only run.json's facts travel: the table draws no curve), and the folders ticked for comparison. */
  postRuns(runs: RunSummary[], selected: string[]): void {
    const tableRun = (r: RunSummary) => ({
      info: r.info,
      dir: r.dir,
      ...(r.damaged ? { damaged: r.damaged } : {}),
      ...(r.meta ? { meta: r.meta } : {}),
      ...(r.label ? { label: r.label } : {}),
    });
    this.last = { type: "table", runs: runs.map(tableRun), selected };
    this.channel?.post(this.last);
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
    this.channel = undefined;
  }
}
