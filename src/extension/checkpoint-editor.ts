// The checkpoint viewer: any .safetensors file opens in a read-only custom editor that lists every tensor (name,
// dtype, shape, statistics) and draws recurrent weights split into their gate blocks; "Compare with…" (or the Runs
// view's Compare Weights) adds the difference with another checkpoint. The host reads the files in bounded chunks
// (src/runs/safetensors-file.ts and checkpoint-diff.ts, no library); the webview gets summaries and downsampled
// heatmaps only, never a file.
import * as vscode from "vscode";
import * as path from "node:path";
import { checkpointChannel, type CheckpointComparison, type CheckpointView, type FromCheckpoint, type ToCheckpoint } from "../common/protocol";
import { compareCheckpoints } from "../runs/checkpoint-diff";
import { readCheckpoint } from "../runs/safetensors-file";
import { uiText } from "./ui-text";
import { HostChannel, webviewHtml, webviewOptions } from "./webview-html";

export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = "unroll.checkpoint";
  private static registered: CheckpointEditorProvider | undefined;
  /** The viewers open, by file. */
  private readonly editors = new Map<string, Set<CheckpointEditor>>();
  /** What a viewer about to open compares its file with. */
  private readonly pending = new Map<string, string>();
  /** The tab titles of files opened as a run's weights: the run's label, not every tab "weights.safetensors". */
  private readonly titles = new Map<string, string>();

  static register(extensionUri: vscode.Uri, log: (message: string) => void): vscode.Disposable {
    const provider = new CheckpointEditorProvider(extensionUri, log);
    CheckpointEditorProvider.registered = provider;
    return vscode.window.registerCustomEditorProvider(CheckpointEditorProvider.viewType, provider, { supportsMultipleEditorsPerDocument: true });
  }

  /** Opens `file` in the checkpoint viewer, compared with `other` (B − A, `file` being A) when given; `title` names
   *  its tab (the label of the run the file belongs to). */
  static async open(file: string, other?: string, title?: string): Promise<void> {
    const provider = CheckpointEditorProvider.registered;
    if (other) provider?.pending.set(file, other);
    if (title) provider?.titles.set(file, title);
    await vscode.commands.executeCommand("vscode.openWith", vscode.Uri.file(file), CheckpointEditorProvider.viewType);
    // A viewer that was already open is only revealed: it gets the comparison here.
    if (other && provider?.pending.delete(file)) for (const editor of provider.editors.get(file) ?? []) editor.compareWith(other);
  }

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => {} };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = document.uri.fsPath;
    panel.webview.options = webviewOptions(this.extensionUri);
    const title = uiText(this.titles.get(file) ?? path.basename(file));
    panel.title = title;
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: "checkpoint", title, data: { file } });
    const editor = new CheckpointEditor(file, panel, this.log);
    const open = this.editors.get(file) ?? new Set();
    open.add(editor);
    this.editors.set(file, open);
    const other = this.pending.get(file);
    if (other) {
      this.pending.delete(file);
      editor.compareWith(other);
    }
    panel.onDidDispose(() => {
      open.delete(editor);
      if (!open.size) this.editors.delete(file);
      editor.dispose();
    });
  }
}

/** One open viewer: its file's view, and the comparison shown, each read again when a file changes (a run's
 *  weights.safetensors is rewritten after each epoch). */
class CheckpointEditor implements vscode.Disposable {
  private view: Promise<CheckpointView> | undefined;
  private other: { file: string; comparison?: Promise<CheckpointComparison>; watcher: vscode.Disposable } | undefined;
  private readonly channel: HostChannel<ToCheckpoint, FromCheckpoint>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly file: string,
    panel: vscode.WebviewPanel,
    log: (message: string) => void,
  ) {
    this.channel = new HostChannel(panel.webview, checkpointChannel, { deliver: (m) => void this.onMessage(m), replay: () => void this.send(), log });
    this.subscriptions = [
      this.channel,
      watch(file, () => {
        this.view = undefined;
        if (this.other) this.other.comparison = undefined;
        void this.send();
      }),
    ];
  }

  /** Shows the difference with `other` (B − A, this viewer's file being A). */
  compareWith(other: string): void {
    this.other?.watcher.dispose();
    const watcher = watch(other, () => {
      if (this.other) this.other.comparison = undefined;
      void this.sendComparison();
    });
    this.other = { file: other, watcher };
    void this.sendComparison();
  }

  private async onMessage(m: FromCheckpoint): Promise<void> {
    if (m.type === "compare") {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t("Compare {0} with…", uiText(path.basename(this.file))),
        defaultUri: vscode.Uri.file(path.dirname(this.file)),
        filters: { Safetensors: ["safetensors"] },
        canSelectMany: false,
      });
      if (picked?.[0]) this.compareWith(picked[0].fsPath);
    } else if (m.type === "closeComparison") {
      this.other?.watcher.dispose();
      this.other = undefined;
      this.channel.post({ type: "comparison", comparison: null });
    }
  }

  private async send(): Promise<void> {
    this.view ??= readCheckpoint(this.file);
    this.channel.post({ type: "checkpoint", view: await this.view });
    await this.sendComparison();
  }

  private async sendComparison(): Promise<void> {
    const other = this.other;
    if (!other) return;
    other.comparison ??= compareCheckpoints(this.file, other.file);
    const comparison = await other.comparison;
    if (this.other === other) this.channel.post({ type: "comparison", comparison });
  }

  dispose(): void {
    this.other?.watcher.dispose();
    this.subscriptions.forEach((d) => d.dispose());
  }
}

/** Calls `changed` when `file` is rewritten or created again. */
function watch(file: string, changed: () => void): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
  return vscode.Disposable.from(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
}
