// The checkpoint viewer: any .safetensors file opens in a read-only custom editor that lists every tensor (name,
// dtype, shape, statistics) and draws recurrent weights split into their gate blocks. The host reads the file in
// bounded chunks (src/runner/safetensors-file.ts, no library); the webview gets summaries and downsampled
// heatmaps only, never the file.
import * as vscode from "vscode";
import * as path from "node:path";
import { isFromCheckpoint, type CheckpointView } from "../protocol";
import { readCheckpoint } from "../runner/safetensors-file";
import { post, receive, webviewHtml, webviewOptions } from "./webview-html";

export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = "unroll.checkpoint";

  static register(extensionUri: vscode.Uri, log: (message: string) => void): vscode.Disposable {
    return vscode.window.registerCustomEditorProvider(CheckpointEditorProvider.viewType, new CheckpointEditorProvider(extensionUri, log), {
      supportsMultipleEditorsPerDocument: true,
    });
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
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: "checkpoint", title: path.basename(file), data: { file } });
    let view: Promise<CheckpointView> | undefined;
    const send = async () => {
      view ??= readCheckpoint(file);
      post(panel.webview, { type: "checkpoint", view: await view });
    };
    // The file may be rewritten (a training run's weights.safetensors after each epoch): read it again then.
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
    const changed = () => {
      view = undefined;
      void send();
    };
    const subscriptions = [
      receive(
        panel.webview,
        isFromCheckpoint,
        () => {},
        () => void send(),
        this.log,
      ),
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
    ];
    panel.onDidDispose(() => subscriptions.forEach((d) => d.dispose()));
  }
}
