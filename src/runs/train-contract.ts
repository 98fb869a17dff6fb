// The contract between whoever starts a training run (the CLI and the extension host, through train-client.ts)
// and the training process (train-process.ts): the run's options, their defaults, and the process's command line,
// written and read here and nowhere else. Loads neither "unroll" nor TensorFlow.js.
import * as path from "node:path";
import { parseArgs, stringOption, type Parsed } from "./command-line";
import { t } from "./l10n";
import type { ChildChoices } from "./child-environment";
import type { SweepMark } from "../common/protocol";
import { parseSweepMark } from "./run-file";

export const DEFAULT_SNAPSHOT_EVERY = 50;
/** How long `data()` may take, in seconds, unless $UNROLL_DATA_TIMEOUT or an option says otherwise (0: no limit). */
export const DEFAULT_DATA_TIMEOUT_S = 120;
/** Gradient health: a parameter's gradient norm below VANISHING × its running median, or above EXPLODING ×, is
 *  flagged (0 turns either off). */
export const DEFAULT_VANISHING_RATIO = 0.01;
export const DEFAULT_EXPLODING_RATIO = 100;
/** The watchdog's pipe: stdio index 4 of the fork (after stdin, stdout, stderr and the IPC channel). */
export const WATCHDOG_FD = 4;

/** ChildChoices (language, nativeKernels) travel in the process's environment, not on its command line. */
export interface TrainOptions extends ChildChoices {
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
  /** The time limit of the experiment's `data()`, in seconds (0: none; default: $UNROLL_DATA_TIMEOUT, else 120). */
  dataTimeout?: number;
  /** Gradient health thresholds, relative to each parameter's running median (0: off; default: the constants above). */
  vanishingRatio?: number;
  explodingRatio?: number;
  /** Hyperparameter overrides, `--set name=value`: the value as typed, checked by the training process against the
   *  experiment's declared `hparams` (src/runner/hparams.ts). */
  overrides?: Record<string, string>;
  /** The run's place in a sweep, recorded in its run.json. */
  sweep?: SweepMark;
  /** The process outlives whoever started it (its own session, its parent going away is no stop): see detached.ts. */
  detached?: boolean;
}

const OPTIONS = ["epochs", "backend", "snapshot-every", "runs", "data-timeout", "vanishing-ratio", "exploding-ratio", "set", "sweep", "detached"];

/** The training process's command line: `train.js <file> [--epochs N] [--backend NAME] [--snapshot-every N]
 *  [--runs DIR] [--data-timeout SECONDS] [--vanishing-ratio R] [--exploding-ratio R] [--set NAME=VALUE]…` — `unroll
 *  train`'s options, less the CLI's own. */
export function trainArgs(o: TrainOptions): string[] {
  const args = [o.file];
  if (o.epochs !== undefined) args.push("--epochs", String(o.epochs));
  if (o.backend) args.push("--backend", o.backend);
  if (o.snapshotEvery !== undefined) args.push("--snapshot-every", String(o.snapshotEvery));
  if (o.runsFolder) args.push("--runs", o.runsFolder);
  if (o.dataTimeout !== undefined) args.push("--data-timeout", String(o.dataTimeout));
  if (o.vanishingRatio !== undefined) args.push("--vanishing-ratio", String(o.vanishingRatio));
  if (o.explodingRatio !== undefined) args.push("--exploding-ratio", String(o.explodingRatio));
  for (const [name, value] of Object.entries(o.overrides ?? {})) args.push(`--set=${name}=${value}`); // `=`: a value may start with -
  if (o.sweep) args.push(`--sweep=${JSON.stringify(o.sweep)}`);
  if (o.detached) args.push("--detached");
  return args;
}

/** The run's options from a parsed command line (`unroll train`'s or the training process's); throws with the
 *  reason on a bad value. `others`: options the caller reads itself (the CLI's --json, --no-check). */
export function trainOptions({ positional, options, lists }: Parsed, others: readonly string[] = []): TrainOptions {
  const unknown = Object.keys(options).filter((k) => !OPTIONS.includes(k) && !others.includes(k));
  if (unknown.length) throw new Error(t("unknown option --{0}", unknown[0]));
  if (positional.length !== 1) throw new Error(t("expected one model file"));
  const value = (name: string) => {
    if (options[name] === undefined) return undefined;
    const text = stringOption(options, name);
    if (text === undefined) throw new Error(t("--{0} needs a value", name));
    return text;
  };
  const count = (name: string) => {
    const text = value(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(t("--{0} must be a positive integer, got '{1}'", name, text));
    return n;
  };
  const timeout = value("data-timeout");
  const seconds = timeout === undefined ? undefined : Number(timeout);
  if (seconds !== undefined && !(seconds >= 0)) throw new Error(t("--data-timeout must be a number of seconds (0: no limit), got '{0}'", String(timeout)));
  const ratio = (name: string) => {
    const text = value(name);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!(n >= 0 && Number.isFinite(n))) throw new Error(t("--{0} must be a number ≥ 0 (0: off), got '{1}'", name, text));
    return n;
  };
  const runs = value("runs");
  const sweep = value("sweep");
  const mark = sweep === undefined ? undefined : parseSweepMark(parseJsonOrNull(sweep));
  if (mark === null) throw new Error(t("--sweep must be a sweep mark (JSON: id, index, size, names), got '{0}'", String(sweep)));
  const overrides = options.set === undefined ? undefined : parseOverrides(typeof options.set === "string" ? (lists?.set ?? [options.set]) : []);
  return {
    file: path.resolve(positional[0]),
    epochs: count("epochs"),
    backend: value("backend"),
    snapshotEvery: count("snapshot-every"),
    runsFolder: runs && path.resolve(runs),
    dataTimeout: seconds,
    vanishingRatio: ratio("vanishing-ratio"),
    explodingRatio: ratio("exploding-ratio"),
    ...(overrides ? { overrides } : {}),
    ...(mark ? { sweep: mark } : {}),
    ...(options.detached === true ? { detached: true } : {}),
  };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `--set name=value` texts as { name: value } (a name set twice: its last value); throws on a text that is not one. */
export function parseOverrides(texts: readonly string[]): Record<string, string> {
  if (!texts.length) throw new Error(t("--set needs NAME=VALUE, like --set lr=0.03"));
  const out: Record<string, string> = {};
  for (const text of texts) {
    const at = text.indexOf("=");
    const name = text.slice(0, at).trim();
    if (at < 0 || !name) throw new Error(t("--set needs NAME=VALUE, like --set lr=0.03, got '{0}'", text));
    out[name] = text.slice(at + 1);
  }
  return out;
}

/** Reads what `trainArgs` writes. */
export const parseTrainArgs = (argv: string[]): TrainOptions => trainOptions(parseArgs(argv));
