// The status bar item of training: the backend, epoch, step and loss of the run in progress, or the last run's
// result once it ended. Click it to open the explorer of the file training.
import * as vscode from "vscode";
import * as path from "node:path";
import type { GradientWarning } from "../protocol";

/** What the status bar shows of a training session. */
export interface SessionStatus {
  file: string;
  backend?: { name: string; summary: string };
  epochs?: number;
  epoch?: number;
  step?: number;
  loss?: number;
  /** The latest gradient warning of the run, and how many it raised. */
  gradientWarning?: GradientWarning;
  gradientWarnings?: number;
}

/** "vanishing gradient in weight_hh_l0 at step 140" */
export const gradientNote = (w: GradientWarning) => `${w.kind} gradient in ${w.parameter} at step ${w.step}`;

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("unroll.training", vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = "Unroll training";
  }

  /** Shows `running` (the latest session training), else what `ended` reached, else nothing. */
  show(running: SessionStatus | undefined, ended?: SessionStatus): void {
    if (!running) {
      if (ended?.backend) {
        const warning = ended.gradientWarning;
        this.item.text = `$(check) Unroll ${ended.backend.name} · loss ${ended.loss?.toFixed(4) ?? "–"}${warning ? ` · $(warning) ${ended.gradientWarnings} gradient warning(s)` : ""}`;
        this.item.tooltip = `Last run: ${ended.backend.summary}${warning ? `\nLatest gradient warning: ${gradientNote(warning)}` : ""}`;
        this.item.backgroundColor = undefined;
      } else this.item.hide();
      return;
    }
    const parts = [`$(sync~spin) Unroll ${running.backend?.name ?? "starting…"}`];
    if (running.epoch !== undefined) parts.push(`epoch ${running.epoch}/${running.epochs ?? "?"}`, `step ${running.step}`, `loss ${running.loss?.toFixed(4)}`);
    const warning = running.gradientWarning;
    if (warning) parts.push(`$(warning) ${gradientNote(warning)}`);
    this.item.text = parts.join(" · ");
    this.item.tooltip = `Training ${path.basename(running.file)} on ${running.backend?.summary ?? "…"} — click to open the explorer`;
    if (warning) this.item.tooltip += `\n${running.gradientWarnings} gradient warning(s); the latest: ${gradientNote(warning)} (norm ${warning.norm.toExponential(1)}, running median ${warning.median.toExponential(1)}). The Training tab charts the gradient norms.`;
    this.item.backgroundColor = warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.command = { command: "unroll.openExplorer", title: "Open Explorer", arguments: [vscode.Uri.file(running.file)] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
