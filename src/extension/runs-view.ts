// The Runs view (`unroll.runs` in the Unroll activity-bar container): a webview listing the workspace's runs.
//
//   const runsView = new RunsView(context.extensionUri, (m) => output.warn(m));
//   context.subscriptions.push(runsView, vscode.window.registerWebviewViewProvider(RunsView.viewType, runsView));
//   runsView.onMessage((m) => …);            // openRun, deleteRun, select (then post a compare to the panel)
//   runsView.postRuns(summaries, selectedIds);
//
// The view keeps the last list and re-sends it whenever its page (re)loads (VS Code discards hidden views).
import * as vscode from "vscode";
import { runsViewChannel, type FromRunsView, type RunSummary, type ToRunsView } from "../common/protocol";
import { HostChannel, webviewHtml, webviewOptions } from "./webview-html";

export class RunsView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = "unroll.runs";

  /** Messages from the page that passed `runsViewChannel.isFrom` (`ready` included: the list has already been re-sent). */
  readonly onMessage: vscode.Event<FromRunsView>;

  private readonly messages = new vscode.EventEmitter<FromRunsView>();
  private channel: HostChannel<ToRunsView, FromRunsView> | undefined;
  private viewSubscriptions: vscode.Disposable[] = [];
  private last: ToRunsView = { type: "runs", runs: [], selected: [] };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void = console.warn,
  ) {
    this.onMessage = this.messages.event;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = webviewHtml(view.webview, this.extensionUri, { script: "runs", title: vscode.l10n.t("Runs") });
    const channel = new HostChannel(view.webview, runsViewChannel, {
      deliver: (m) => this.messages.fire(m),
      replay: () => channel.post(this.last),
      log: this.log,
    });
    this.channel = channel;
    this.viewSubscriptions.push(
      channel,
      view.onDidDispose(() => this.disposeView()),
    );
  }

  /** The runs to list, newest first, and the ids ticked for comparison. */
  postRuns(runs: RunSummary[], selected: string[]): void {
    this.last = { type: "runs", runs, selected };
    this.channel?.post(this.last);
  }

  dispose(): void {
    this.disposeView();
    this.messages.dispose();
  }

  private disposeView(): void {
    for (const d of this.viewSubscriptions) d.dispose();
    this.viewSubscriptions = [];
    this.channel = undefined;
  }
}
