// `unroll train <file.ts>`: trains the model file's experiment in a training process (dist/train.js) and
// shows its progress; the run is stored under .unroll/runs beside the file (see src/runs/run-store.ts).
import * as path from "node:path";
import type { RunEvent, RunInfo } from "../common/protocol";
import { truncateText } from "../common/format";
import { printable } from "../runs/run-file";
import { defaultRunsFolder } from "../runs/run-store";
import { startTraining, STOP_GRACE_MS, type Training, type TrainingResult } from "../runs/train-client";
import { DEFAULT_DATA_TIMEOUT_S, DEFAULT_EXPLODING_RATIO, DEFAULT_VANISHING_RATIO, trainOptions, type TrainOptions } from "../runs/train-contract";
import { t } from "../runs/l10n";
import { EXIT, formatRunnerError, modelPath, usageError, type Command, type Help, type Parsed } from "./args";
import { checkBeside, withCheck } from "./check";
import { untilDone } from "./output";

/** `unroll train --help`, in the language chosen (read when shown). */
const help = (): Help => ({
  synopsis:
    "unroll train <file.ts> [--set NAME=VALUE]… [--epochs N] [--backend NAME] [--json] [--snapshot-every N] [--runs DIR] [--data-timeout S] [--vanishing-ratio R] [--exploding-ratio R] [--no-check] [--detach]",
  about: [t("Trains the experiment the model file exports (export default defineExperiment({ … })).")],
  options: [
    ["--set NAME=VALUE", t("override one of the experiment's hparams (repeat for more): --set lr=0.03 --set hidden=64")],
    ["--epochs N", t("override the experiment's number of epochs")],
    ["--backend NAME", "auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu"],
    ["--json", t("print the run's events as JSON lines instead of progress")],
    ["--snapshot-every N", t("parameter snapshots and dynamics every N steps (default 50, and at the end)")],
    ["--runs DIR", t("where runs are stored (default: .unroll/runs beside the model file)")],
    ["--data-timeout S", t("how long the experiment's data() may take (default: $UNROLL_DATA_TIMEOUT, else {0} s; 0: no limit)", DEFAULT_DATA_TIMEOUT_S)],
    ["--vanishing-ratio R", t("warn when a gradient norm falls below R × its running median (default {0}; 0: never)", DEFAULT_VANISHING_RATIO)],
    ["--exploding-ratio R", t("warn when a gradient norm rises above R × its running median (default {0}; 0: never)", DEFAULT_EXPLODING_RATIO)],
    ["--no-check", t("skip the type check (its errors are printed to stderr while training runs; the command then exits with 1)")],
    ["--detach", t("train in the background: print the run's id once it starts and return (unroll follow ID, unroll stop ID)")],
  ],
  notes: [
    t(
      "Ctrl-C stops after the current step and keeps the run (exit code 3). A step that has not ended {0} s later is ended where it is (the run keeps every line written); a second Ctrl-C ends it at once.",
      STOP_GRACE_MS / 1000,
    ),
  ],
});

/** `0.4321` for losses. */
const formatLoss = (loss: number) => loss.toFixed(4);

/** `accuracy 0.82  predicted "ohlol"`: numbers to 4 significant digits, strings quoted. */
export function formatMetrics(metrics: Record<string, number | string> | undefined): string {
  return Object.entries(metrics ?? {})
    .map(([key, v]) => `${key} ${typeof v === "number" ? String(Number(v.toPrecision(4))) : JSON.stringify(truncateText(v))}`)
    .join("  ");
}

/** A path for the terminal: relative to the current folder, control characters escaped. */
const relative = (file: string) => printable(path.relative(process.cwd(), file) || file);

/** Shows a run for people: a progress line redrawn on a terminal (plain lines otherwise), one line per epoch. */
export class Progress {
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
        this.line(t("Training {0} ({1}): {2}, {3}", printable(e.run.name), relative(e.run.file), epochs(this.epochs), e.run.config.optimizer));
        this.line(e.run.config.model); // printed as PyTorch prints a model
        this.line(t("{0}, backend: {1}", parameters(e.run.config.parameterCount), e.run.backend));
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
          `${t("epoch {0}/{1}", e.epoch, this.epochs)}  ${t("loss {0}", formatLoss(e.loss))}${e.metrics && Object.keys(e.metrics).length ? "  " + formatMetrics(e.metrics) : ""}`,
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
    this.bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${t("epoch {0}/{1}", epoch, this.epochs)}  ${t("step {0}", step)}  ${t("loss {0}", formatLoss(loss))}`;
    this.redraw();
  }

  private redraw(): void {
    if (this.tty && this.bar) process.stdout.write(`\r\x1b[2K${this.bar}`);
  }

  clear(): void {
    if (this.tty && this.bar) process.stdout.write("\r\x1b[2K");
  }

  line(text: string): void {
    this.text(text, process.stdout);
  }

  /** A line (or lines) on `stream`, under the progress bar's line. */
  text(text: string, stream: NodeJS.WriteStream): void {
    this.clear();
    stream.write(text + "\n");
    this.redraw();
  }

  done(): void {
    this.clear();
    this.bar = "";
  }
}

export function summary(run: RunInfo): string {
  const seconds = run.endedAt ? (Date.parse(run.endedAt) - Date.parse(run.startedAt)) / 1000 : NaN;
  const loss = run.finalLoss !== undefined ? t("loss {0}", formatLoss(run.finalLoss)) : "";
  const metrics = formatMetrics(run.finalMetrics);
  const how = ended(run.status, run.epoch ?? 0, run.config.epochs, seconds.toFixed(1));
  const what = [loss, metrics].filter(Boolean).join("  ");
  return what ? t("{0}: {1}", how, what) : how;
}

/** How a run ended, by its status: {0}/{1} epochs, in {2} s. */
function ended(status: RunInfo["status"], ...args: [number, number, string]): string {
  switch (status) {
    case "completed":
      return t("done after {0}/{1} epochs in {2} s", ...args);
    case "stopped":
      return t("stopped after {0}/{1} epochs in {2} s", ...args);
    case "failed":
      return t("failed after {0}/{1} epochs in {2} s", ...args);
    case "interrupted":
      return t("interrupted after {0}/{1} epochs in {2} s", ...args);
    case "running":
      return t("still running after {0}/{1} epochs in {2} s", ...args);
  }
}

const epochs = (n: number) => (n === 1 ? t("1 epoch") : t("{0} epochs", n));
const parameters = (n: number) => (n === 1 ? t("1 parameter") : t("{0} parameters", n));

/** For a run a stop ended with its process: "stopped at line 7 of model.ts: its step had not ended 3 s after the stop". */
export function haltMessage(run: RunInfo): string | undefined {
  if (!run.halted) return undefined;
  const seconds = Math.round(run.halted.afterMs / 100) / 10;
  const where = run.halted.location;
  return where
    ? t("stopped at line {0} of {1}: its step had not ended {2} s after the stop", where.line, path.basename(where.file), seconds)
    : t("stopped: its step had not ended {0} s after the stop", seconds);
}

/** The exit code for how the process ended (`stopped`: after a Ctrl-C). */
function exitCode(result: TrainingResult, stopped: boolean): number {
  if (result.run?.status === "completed") return EXIT.ok;
  if (result.run?.status === "stopped" || (stopped && !result.run && !result.error)) return EXIT.stopped;
  if (result.error) return result.error.kind === "internal" ? EXIT.internal : EXIT.modelFailed;
  return EXIT.internal; // died without saying why
}

export const trainCommand: Command = {
  summary: () => t("train a model file's experiment and store the run"),
  help,
  async run({ positional, options, lists }) {
    const file = modelPath(positional, this);
    if (!file) return EXIT.usage;
    let run: TrainOptions;
    try {
      run = trainOptions({ positional, options, lists }, ["json", "no-check", "help", "detach"]);
    } catch (error) {
      return usageError(this, `unroll: ${(error as Error).message}`);
    }
    const json = options.json !== undefined;
    if (options.detach !== undefined) return trainDetached({ ...run, detached: true }, options, json);
    const progress = new Progress();
    const show = (event: RunEvent) => (json ? process.stdout.write(JSON.stringify(event) + "\n") : progress.event(event));
    // The file is type-checked beside the training process; its errors are printed between progress lines.
    const training: Training = startTraining(run, show);
    const checked = checkBeside(file, options, (text) => progress.text(text, process.stderr));

    // Ctrl-C reaches the training process too (same process group); the stop message covers other cases. The output's
    // reader going (`| head -1`) stops the run as Ctrl-C does (it is kept).
    const { result, interrupted } = await untilDone(training, () => {
      if (!json) progress.line(t("stopping after this step… (Ctrl-C again to end it now)"));
    });
    progress.done();

    if (!json) {
      if (result.error) console.error(formatRunnerError(result.error, file));
      if (result.run) {
        const halted = haltMessage(result.run);
        if (halted) console.log(halted);
        console.log(summary(result.run));
        console.log(t("run stored in {0}", relative(path.join(run.runsFolder ?? defaultRunsFolder(file), result.run.id))));
      } else if (!result.error && interrupted) {
        console.log(t("stopped before the run started"));
      } else if (!result.error) {
        console.error(t("unroll: the training process ended without finishing the run ({0})", result.signal ?? t("exit code {0}", String(result.code))));
      }
    }
    return withCheck(exitCode(result, interrupted), await checked);
  },
};

/** `unroll train --detach`: starts the run in its own session, shows what comes before it starts (type errors, the
 *  model file's output, a failure), then prints its id (or, with --json, its start event) and returns; the run goes
 *  on alone. */
async function trainDetached(run: TrainOptions, options: Parsed["options"], json: boolean): Promise<number> {
  let started: RunInfo | undefined;
  let onStart = () => {};
  const starting = new Promise<null>((resolve) => (onStart = () => resolve(null)));
  const training = startTraining(run, (event) => {
    if (started) return; // the run is on its own: its folder has the rest (output.log, metrics.jsonl)
    if (event.type === "start") {
      started = event.run;
      onStart();
    } else if (event.type === "log") (event.stream === "stderr" ? process.stderr : process.stdout).write(event.text);
    else if (json && !started) process.stdout.write(JSON.stringify(event) + "\n");
  });
  // Before it starts the run is still this command's: Ctrl-C stops it (its own session does not get the signal).
  const onInterrupt = () => training.stop();
  process.on("SIGINT", onInterrupt);
  const checked = checkBeside(run.file, options); // its errors are printed while the run starts
  const ended = await Promise.race([starting, training.done]);
  process.off("SIGINT", onInterrupt);
  if (!started) {
    const result = ended ?? (await training.done);
    if (!json && result.error) console.error(formatRunnerError(result.error, run.file));
    else if (!json && !result.error) console.log(t("stopped before the run started"));
    return withCheck(exitCode(result, true), await checked);
  }
  training.detach();
  if (json) console.log(JSON.stringify({ type: "start", run: started }));
  else {
    console.log(started.id);
    const dir = relative(path.join(run.runsFolder ?? defaultRunsFolder(run.file), started.id));
    console.error(t("training in the background in {0}: unroll follow {1} shows its progress, unroll stop {1} stops it", dir, printable(started.id)));
  }
  return withCheck(EXIT.ok, await checked);
}
