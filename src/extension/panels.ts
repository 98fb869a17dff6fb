// The explorer panels' wiring: a new (or restored) panel gets its file's trace and latest run, follows the
// traces as they change, and its buttons and links (reveal a line, train, stop, export CSV) reach the host here.
import * as vscode from "vscode";
import type { FromExplorer } from "../common/protocol";
import type { ExplorerPanel, ExplorerPanels } from "./explorer-panel";
import type { Runs } from "./runs";
import type { TrainingSessions } from "./sessions";
import type { TraceService } from "./trace-service";

export class Panels implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly explorers: ExplorerPanels,
    private readonly traces: TraceService,
    private readonly sessions: TrainingSessions,
    private readonly runs: Runs,
  ) {
    this.disposables = [explorers.onDidCreate((panel) => void this.connect(panel)), traces.onDidChange((uri) => this.postTrace(uri.fsPath))];
  }

  /** Fills a new (or restored) panel: the trace, the file's latest run, and listens to it. */
  private async connect(panel: ExplorerPanel): Promise<void> {
    panel.onMessage((m) => this.onMessage(panel, m));
    this.postTrace(panel.file);
    const session = this.sessions.get(panel.file);
    if (session?.backend) panel.postBackend(session.backend.summary);
    const latest = (await this.runs.of(panel.file))[0];
    if (latest && (!session || latest.info.id === session.runId)) await this.runs.show(panel, latest.dir);
    await this.runs.restoreCompare(panel);
  }

  private postTrace(file: string): void {
    const panel = this.explorers.get(file);
    if (!panel) return;
    const traced = this.traces.get(vscode.Uri.file(file));
    panel.postTrace(traced?.trace ?? null, { stale: traced?.tracker.edited ?? false, trusted: vscode.workspace.isTrusted });
  }

  private async onMessage(panel: ExplorerPanel, m: FromExplorer): Promise<void> {
    const file = vscode.Uri.file(panel.file);
    switch (m.type) {
      case "reveal": {
        const position = new vscode.Position(m.line - 1, m.column - 1);
        const editor = await vscode.window.showTextDocument(file, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
        editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        return;
      }
      case "train":
        return this.sessions.train(file);
      case "stop":
        return this.sessions.stop(file);
      case "exportCsv":
        return this.runs.exportCsv(panel.file, m.runId, m.dir, m.csv);
      case "loadSnapshot":
        return panel.post(await this.runs.storedSnapshot(m.dir, m.step));
      case "ready":
        return; // the panel replayed what it shows already
    }
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
