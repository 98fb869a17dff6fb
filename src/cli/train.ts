// `unroll train <file.ts>`: trains the model file's experiment in a training process (dist/train.js) and
// shows its progress; the run is stored under .unroll/runs beside the file (see src/runner/run-store.ts).
import * as path from "node:path";
import type { RunEvent, RunInfo } from "../protocol";
import { printable } from "../runner/run-file";
import { defaultRunsFolder } from "../runner/run-store";
import { haltMessage, startTraining, STOP_GRACE_MS, type Training, type TrainingResult } from "../runner/train-client";
import { DEFAULT_DATA_TIMEOUT_S, trainOptions, type TrainOptions } from "../runner/train-contract";
import { EXIT, formatRunnerError, modelPath, type Command } from "./args";
import { checkBeforeRunning } from "./check";

const USAGE = `Usage: unroll train <file.ts> [--epochs N] [--backend NAME] [--json] [--snapshot-every N] [--runs DIR] [--data-timeout S] [--no-check]

Trains the experiment the model file exports (export default defineExperiment({ … })).
  --epochs N          override the experiment's number of epochs
  --backend NAME      auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu
  --json              print the run's events as JSON lines instead of progress
  --snapshot-every N  parameter snapshots and dynamics every N steps (default 50, and at the end)
  --runs DIR          where runs are stored (default: .unroll/runs beside the model file)
  --data-timeout S    how long the experiment's data() may take (default: $UNROLL_DATA_TIMEOUT, else ${DEFAULT_DATA_TIMEOUT_S} s; 0: no limit)
  --no-check          skip the type check (its errors are printed to stderr before training, which runs anyway)

Ctrl-C stops after the current step and keeps the run (exit code 3). A step that has not ended ${STOP_GRACE_MS / 1000} s later
is ended where it is (the run keeps every line written); a second Ctrl-C ends it at once.`;

/** `0.4321` for losses. */
const formatLoss = (loss: number) => loss.toFixed(4);

/** `accuracy 0.82  predicted "ohlol"`: numbers to 4 significant digits, strings quoted. */
export function formatMetrics(metrics: Record<string, number | string> | undefined): string {
  return Object.entries(metrics ?? {})
    .map(([key, v]) => `${key} ${typeof v === "number" ? String(Number(v.toPrecision(4))) : JSON.stringify(v)}`)
    .join("  ");
}

/** A path for the terminal: relative to the current folder, control characters escaped. */
const relative = (file: string) => printable(path.relative(process.cwd(), file) || file);

/** Shows a run for people: a progress line redrawn on a terminal (plain lines otherwise), one line per epoch. */
class Progress {
  private readonly tty = Boolean(process.stdout.isTTY);
  private epochs = 1;
  private stepsPerEpoch = 0; // learnt from the first epoch
  private lastStep = 0;
  private bar = "";
  private drawnAt = 0;

  event(e: RunEvent): void {
    switch (e.type) {
      case "start":
        this.epochs = e.run.config.epochs;
        this.line(`Training ${printable(e.run.name)} (${relative(e.run.file)}): ${plural(this.epochs, "epoch")}, ${e.run.config.optimizer}`);
        this.line(e.run.config.model); // printed as PyTorch prints a model
        this.line(`${plural(e.run.config.parameterCount, "parameter")}, backend: ${e.run.backend}`);
        break;
      case "log":
        this.clear();
        (e.stream === "stderr" ? process.stderr : process.stdout).write(e.text);
        this.redraw();
        break;
      case "step":
        if (this.tty) this.draw(e.epoch, e.step, e.loss);
        break;
      case "epoch":
        if (e.epoch === 1) this.stepsPerEpoch = this.lastStep;
        this.line(
          `epoch ${e.epoch}/${this.epochs}  loss ${formatLoss(e.loss)}${e.metrics && Object.keys(e.metrics).length ? "  " + formatMetrics(e.metrics) : ""}`,
        );
        break;
    }
  }

  private draw(epoch: number, step: number, loss: number): void {
    this.lastStep = step;
    const now = Date.now();
    if (now - this.drawnAt < 100) return; // a terminal redraw costs more than a small step
    this.drawnAt = now;
    const within = this.stepsPerEpoch ? Math.min(1, (step - (epoch - 1) * this.stepsPerEpoch) / this.stepsPerEpoch) : 0;
    const done = (epoch - 1 + within) / this.epochs;
    const width = 24;
    const filled = Math.round(done * width);
    this.bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] epoch ${epoch}/${this.epochs}  step ${step}  loss ${formatLoss(loss)}`;
    this.redraw();
  }

  private redraw(): void {
    if (this.tty && this.bar) process.stdout.write(`\r\x1b[2K${this.bar}`);
  }

  clear(): void {
    if (this.tty && this.bar) process.stdout.write("\r\x1b[2K");
  }

  line(text: string): void {
    this.clear();
    process.stdout.write(text + "\n");
    this.redraw();
  }

  done(): void {
    this.clear();
    this.bar = "";
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function summary(run: RunInfo): string {
  const seconds = run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : NaN;
  const how = run.status === "completed" ? "done" : run.status;
  const loss = run.finalLoss !== undefined ? `loss ${formatLoss(run.finalLoss)}` : "";
  const metrics = formatMetrics(run.finalMetrics);
  return `${how} after ${run.epoch ?? 0}/${run.config.epochs} epochs in ${seconds.toFixed(1)} s${loss || metrics ? ": " : ""}${[loss, metrics].filter(Boolean).join("  ")}`;
}

/** The exit code for how the process ended (`stopped`: after a Ctrl-C). */
function exitCode(result: TrainingResult, stopped: boolean): number {
  if (result.run?.status === "completed") return EXIT.ok;
  if (result.run?.status === "stopped" || (stopped && !result.run && !result.error)) return EXIT.stopped;
  if (result.error) return result.error.kind === "internal" ? EXIT.internal : EXIT.modelFailed;
  return EXIT.internal; // died without saying why
}

export const trainCommand: Command = {
  summary: "train a model file's experiment and store the run",
  usage: USAGE,
  async run({ positional, options }) {
    const file = modelPath(positional, USAGE);
    if (!file) return EXIT.usage;
    let run: TrainOptions;
    try {
      run = trainOptions({ positional, options }, ["json", "no-check", "help"]);
    } catch (error) {
      console.error(`unroll: ${(error as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    const json = options.json !== undefined;
    const progress = new Progress();
    const training: Training = startTraining(run, (event) => (json ? process.stdout.write(JSON.stringify(event) + "\n") : progress.event(event)));

    // Ctrl-C reaches the training process too (same process group); the stop message covers other cases.
    let interrupts = 0;
    const onInterrupt = () => {
      if (++interrupts === 1) {
        training.stop();
        if (!json) progress.line("stopping after this step… (Ctrl-C again to end it now)");
      } else training.kill();
    };
    process.on("SIGINT", onInterrupt);
    // While the training process starts: its events wait until the type errors are printed, and a Ctrl-C meanwhile stops it.
    checkBeforeRunning(file, options);
    const result = await training.done;
    process.off("SIGINT", onInterrupt);
    progress.done();

    if (!json) {
      if (result.error) console.error(formatRunnerError(result.error, file));
      if (result.run) {
        const halted = haltMessage(result.run);
        if (halted) console.log(halted);
        console.log(summary(result.run));
        console.log(`run stored in ${relative(path.join(run.runsFolder ?? defaultRunsFolder(file), result.run.id))}`);
      } else if (!result.error && interrupts) {
        console.log("stopped before the run started");
      } else if (!result.error) {
        console.error(`unroll: the training process ended without finishing the run (${result.signal ?? `exit code ${result.code}`})`);
      }
    }
    return exitCode(result, interrupts > 0);
  },
};
