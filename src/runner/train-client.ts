// Starting and talking to a training process (dist/train.js), for the CLI and the extension host. Like the
// run store, this module loads neither "unroll" nor TensorFlow.js: training happens in the child.
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { RunCommand, RunEvent, RunInfo, RunnerError } from "../protocol";

/** The training process's entry, beside the bundle that imports this module (dist/). */
export const TRAIN_ENTRY = path.join(__dirname, "train.js");

export const DEFAULT_SNAPSHOT_EVERY = 50;

export interface TrainOptions {
  /** The model file, absolute. */
  file: string;
  /** Overrides the experiment's epochs. */
  epochs?: number;
  /** A backend name or "auto" (default: $UNROLL_BACKEND, else auto). */
  backend?: string;
  /** Parameter snapshots and dynamics every this many steps (and at the end). */
  snapshotEvery?: number;
  /** Where run folders go (default: .unroll/runs beside the model file). */
  runsFolder?: string;
}

/** The training process's command line: `train.js <file> [--epochs N] [--backend NAME] [--snapshot-every N] [--runs DIR]`. */
export function trainArgs(o: TrainOptions): string[] {
  const args = [o.file];
  if (o.epochs !== undefined) args.push("--epochs", String(o.epochs));
  if (o.backend) args.push("--backend", o.backend);
  if (o.snapshotEvery !== undefined) args.push("--snapshot-every", String(o.snapshotEvery));
  if (o.runsFolder) args.push("--runs", o.runsFolder);
  return args;
}

/** Parses what `trainArgs` writes (and what a person types); throws with the reason on a bad value. */
export function parseTrainArgs(argv: string[]): TrainOptions {
  const files: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) files.push(a);
    else if (a.includes("=")) values[a.slice(2, a.indexOf("="))] = a.slice(a.indexOf("=") + 1);
    else if (i + 1 < argv.length) values[a.slice(2)] = argv[++i];
    else throw new Error(`${a} needs a value`);
  }
  const unknown = Object.keys(values).filter((k) => !["epochs", "backend", "snapshot-every", "runs"].includes(k));
  if (unknown.length) throw new Error(`unknown option --${unknown[0]}`);
  if (files.length !== 1) throw new Error("expected one model file");
  const count = (name: string) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${values[name]}'`);
    return n;
  };
  return {
    file: path.resolve(files[0]),
    epochs: count("epochs"),
    backend: values.backend,
    snapshotEvery: count("snapshot-every"),
    runsFolder: values.runs && path.resolve(values.runs),
  };
}

export interface TrainingResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The run as the `end` event gave it; absent when the process died first or failed before starting. */
  run?: RunInfo;
  /** The last error event. */
  error?: RunnerError;
}

export interface Training {
  child: ChildProcess;
  /** Asks the run to stop after its current step (it ends "stopped"). */
  stop(): void;
  /** Ends the process at once (the run reads as "interrupted"). */
  kill(): void;
  /** Settles once the process has exited and every event has been delivered. */
  done: Promise<TrainingResult>;
}

/** Forks a training process. Every RunEvent goes to `onEvent`, including anything the process printed
 *  outside the runner's redirection (as log events). */
export function startTraining(options: TrainOptions, onEvent: (event: RunEvent) => void, entry = TRAIN_ENTRY): Training {
  // execArgv []: not the parent's flags (a test runner's, an inspector's).
  const child = fork(entry, trainArgs(options), { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] });
  const result: Omit<TrainingResult, "code" | "signal"> = {};
  child.on("message", (message) => {
    const event = message as RunEvent;
    if (event.type === "end") result.run = event.run;
    if (event.type === "error") result.error = event.error;
    onEvent(event);
  });
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.setEncoding("utf8").on("data", (text: string) => onEvent({ type: "log", stream, text }));
  }
  // 'close' comes after the exit and the end of stdout/stderr; 'disconnect' after the last IPC message.
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (code, signal) => resolve([code, signal])));
  const disconnected = new Promise<void>((resolve) => (child.connected ? child.once("disconnect", resolve) : resolve()));
  const done = Promise.all([closed, disconnected]).then(([[code, signal]]) => ({ ...result, code, signal }));
  return {
    child,
    stop() {
      if (child.connected) child.send({ type: "stop" } satisfies RunCommand);
    },
    kill() {
      child.kill("SIGKILL");
    },
    done,
  };
}
