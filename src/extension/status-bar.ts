// The status bar item of training: the backend, epoch, step and loss of the run in progress, or the last run's
// result once it ended. Click it to open the explorer of the file training.
import * as vscode from "vscode";
import * as path from "node:path";

/** What the status bar shows of a training session. */
export interface SessionStatus {
  file: string;
  backend?: { name: string; summary: string };
  epochs?: number;
  epoch?: number;
  step?: number;
  loss?: number;
}

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("unroll.training", vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = vscode.l10n.t("Unroll training");
  }

  /** Shows `running` (the latest session training), else what `ended` reached, else nothing. */
  show(running: SessionStatus | undefined, ended?: SessionStatus): void {
    if (!running) {
      if (ended?.backend) {
        this.item.text = `$(check) ${vscode.l10n.t("Unroll {0} · loss {1}", ended.backend.name, ended.loss?.toFixed(4) ?? "–")}`;
        this.item.tooltip = vscode.l10n.t("Last run: {0}", ended.backend.summary);
      } else this.item.hide();
      return;
    }
    const parts = [`$(sync~spin) Unroll ${running.backend?.name ?? vscode.l10n.t("starting…")}`];
    if (running.epoch !== undefined) {
      parts.push(vscode.l10n.t("epoch {0}/{1}", running.epoch, running.epochs ?? "?"), vscode.l10n.t("step {0}", running.step ?? "?"), vscode.l10n.t("loss {0}", running.loss?.toFixed(4) ?? "–"));
    }
    this.item.text = parts.join(" · ");
    this.item.tooltip = vscode.l10n.t("Training {0} on {1} — click to open the explorer", path.basename(running.file), running.backend?.summary ?? "…");
    this.item.command = { command: "unroll.openExplorer", title: vscode.l10n.t("Open Explorer"), arguments: [vscode.Uri.file(running.file)] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
