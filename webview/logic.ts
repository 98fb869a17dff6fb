// Folding live run events into the RunDetail the explorer shows. No DOM here, so that the unit tests run it under Node.
import { isGpuMemory, type RunDetail, type RunEvent } from "../src/protocol";

/**
 * Folds one live event into the run shown, in place, and says what changed so the view redraws only that.
 * The same folding rebuilds what the run store holds, so a reloaded webview shows the same thing.
 */
export function applyRunEvent(detail: RunDetail, event: RunEvent): "info" | "step" | "epoch" | "snapshot" | "dynamics" | "gradientWarning" | null {
  switch (event.type) {
    case "start":
    case "end":
      detail.summary.info = event.run;
      return "info";
    case "error":
      detail.summary.info = { ...detail.summary.info, error: event.error };
      return "info";
    case "step":
      detail.steps.push({
        epoch: event.epoch,
        step: event.step,
        loss: event.loss,
        lr: event.lr,
        time: event.time,
        ...(event.gradNorms ? { gradNorms: event.gradNorms } : {}),
      });
      if (isGpuMemory(event.gpuMemory)) detail.gpuMemory = event.gpuMemory;
      return "step";
    case "gradientWarning": {
      const info = detail.summary.info;
      detail.summary.info = {
        ...info,
        gradientWarnings: [...(info.gradientWarnings ?? []), event.warning],
        gradientWarningCount: (info.gradientWarningCount ?? 0) + 1,
      };
      return "gradientWarning";
    }
    case "epoch": {
      const entry = { epoch: event.epoch, loss: event.loss, metrics: event.metrics };
      const i = detail.epochs.findIndex((e) => e.epoch === event.epoch);
      if (i >= 0) detail.epochs[i] = entry;
      else detail.epochs.push(entry);
      const info = detail.summary.info;
      detail.summary.info = { ...info, epoch: event.epoch, finalLoss: event.loss, finalMetrics: event.metrics };
      return "epoch";
    }
    case "snapshot":
      detail.snapshot = { epoch: event.epoch, step: event.step, parameters: event.parameters };
      return "snapshot";
    case "dynamics":
      detail.dynamics = { epoch: event.epoch, step: event.step, layers: event.layers };
      return "dynamics";
    default:
      return null; // log and checkpoint lines change nothing the explorer draws
  }
}
