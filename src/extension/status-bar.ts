// The status bar item of training: the backend, epoch, step and loss of the run in progress, or the last run's
// result once it ended. Click it to open the explorer of the file training. Each loss says which it is: the last
// batch's while training, the epoch mean (as the explorer and the notification) once the run ended.
import * as vscode from "vscode";
import * as path from "node:path";
import { formatLoss } from "../common/format";
import type { GradientWarning } from "../common/protocol";
import { MAX_LONG_TEXT, uiText } from "./ui-text";

/** What the status bar shows of a training session. */
export interface SessionStatus {
  file: string;
  backend?: { name: string; summary: string };
  epochs?: number;
  epoch?: number;
  step?: number;
  /** The last batch's loss (every step), and the mean loss of the last epoch that ended (the explorer's "epoch loss"). */
  loss?: number;
  epochLoss?: number;
  /** The latest gradient warning of the run, and how many it raised. */
  gradientWarning?: GradientWarning;
  gradientWarnings?: number;
}

/** "vanishing gradient in weight_hh_l0 at step 140" */
export const gradientNote = (w: GradientWarning) =>
  w.kind === "vanishing"
    ? vscode.l10n.t("vanishing gradient in {0} at step {1}", uiText(w.parameter), uiText(w.step))
    : vscode.l10n.t("exploding gradient in {0} at step {1}", uiText(w.parameter), uiText(w.step));

/** An ended run's loss: its last epoch's mean, as the explorer and the notification say it; the last batch's, labelled
 *  so, when no epoch ended (a run stopped in its first epoch). */
function endedLoss(ended: SessionStatus): string {
  if (ended.epochLoss !== undefined) return vscode.l10n.t("epoch loss {0}", uiText(formatLoss(ended.epochLoss)));
  return vscode.l10n.t("batch loss {0}", ended.loss !== undefined ? uiText(formatLoss(ended.loss)) : "–");
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
        const warning = ended.gradientWarning;
        this.item.text = `$(check) Unroll ${uiText(ended.backend.name)} · ${endedLoss(ended)}${warning ? ` · $(warning) ${vscode.l10n.t("{0} gradient warning(s)", uiText(ended.gradientWarnings ?? 1))}` : ""}`;
        this.item.tooltip =
          vscode.l10n.t("Last run: {0}", uiText(ended.backend.summary, MAX_LONG_TEXT)) +
          (warning ? `\n${vscode.l10n.t("Latest gradient warning: {0}", gradientNote(warning))}` : "");
        this.item.backgroundColor = undefined;
      } else this.item.hide();
      return;
    }
    const parts = [`$(sync~spin) Unroll ${running.backend ? uiText(running.backend.name) : vscode.l10n.t("starting…")}`];
    if (running.epoch !== undefined) {
      parts.push(
        vscode.l10n.t("epoch {0}/{1}", uiText(running.epoch), uiText(running.epochs ?? "?")),
        vscode.l10n.t("step {0}", uiText(running.step ?? "?")),
        vscode.l10n.t("batch loss {0}", running.loss !== undefined ? uiText(formatLoss(running.loss)) : "–"),
      );
    }
    const warning = running.gradientWarning;
    if (warning) parts.push(`$(warning) ${gradientNote(warning)}`);
    this.item.text = parts.join(" · ");
    this.item.tooltip = vscode.l10n.t(
      "Training {0} on {1} — click to open the explorer",
      uiText(path.basename(running.file)),
      uiText(running.backend?.summary ?? "…", MAX_LONG_TEXT),
    );
    if (running.epochLoss !== undefined) this.item.tooltip += `\n${vscode.l10n.t("epoch loss {0}", uiText(formatLoss(running.epochLoss)))}`;
    if (warning) {
      this.item.tooltip += `\n${vscode.l10n.t(
        "{0} gradient warning(s); the latest: {1} (norm {2}, running median {3}). The Training tab charts the gradient norms.",
        uiText(running.gradientWarnings ?? 1),
        gradientNote(warning),
        warning.norm.toExponential(1),
        warning.median.toExponential(1),
      )}`;
    }
    this.item.backgroundColor = warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.item.command = { command: "unroll.openExplorer", title: vscode.l10n.t("Open Explorer"), arguments: [vscode.Uri.file(running.file)] };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
