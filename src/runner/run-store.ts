// The run store: one folder per training run, written by the training process while it runs and read by the
// CLI (`unroll runs`) and the extension host. Plain files and Node only: this module must not import
// "unroll" or TensorFlow.js, so that the extension host can read runs without loading either.
//
//   <runs folder>/<YYYYMMDD-HHMMSS>-<name>/
//     run.json             RunInfo, replaced atomically (temp file + rename) on every status change and epoch
//     metrics.jsonl        one JSON line per step and per epoch event, append-only
//     snapshots/<step>.json  parameter snapshots and recorded dynamics at that step
//     weights.safetensors  the latest checkpoint, PyTorch's names, replaced atomically
//     trace.json           the model's shape trace (written by whoever traces the run)
//
// Every write leaves a readable store behind if the process is killed at any moment: whole files appear
// by rename, and a metrics line cut short by a kill is skipped by the reader.
import * as fs from "node:fs";
import * as path from "node:path";
import type { LayerDynamics, ParameterSnapshot, Point, RunDetail, RunEvent, RunInfo, RunStatus, RunSummary, Trace } from "../protocol";

/** Where runs go, relative to a workspace (or the model file's folder). */
export const RUNS_SUBFOLDER = path.join(".unroll", "runs");

export type StepLine = Extract<RunEvent, { type: "step" }>;
export type EpochLine = Extract<RunEvent, { type: "epoch" }>;
export type MetricLine = StepLine | EpochLine;

/** What `snapshots/<step>.json` holds. */
export interface SnapshotFile {
  epoch: number;
  step: number;
  parameters: ParameterSnapshot[];
  dynamics: LayerDynamics[];
}

/** A run as read back: its info (status "interrupted" when its process died while "running") and metrics. */
export interface RunData {
  info: RunInfo;
  dir: string;
  steps: StepLine[];
  epochs: EpochLine[];
}

/** The default runs folder for a model file: `.unroll/runs` beside it (or in the current folder). */
export function defaultRunsFolder(modelFile?: string): string {
  return path.join(modelFile ? path.dirname(modelFile) : process.cwd(), RUNS_SUBFOLDER);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A run's folder name: local start time, then the name made safe for paths and ids (`[\w.-]`). */
export function runId(name: string, date = new Date()): string {
  const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  const safe = name.replace(/[^\w.-]+/g, "-").replace(/^[-.]+|-+$/g, "").slice(0, 48);
  return `${stamp}-${safe || "run"}`;
}

/** Writes `data` to `file` so that readers see the old file or the new one, never a part. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}

/** The writing side, used by the training process. */
export class RunWriter {
  private readonly metrics: number; // file descriptor, opened for appending

  private constructor(
    readonly id: string,
    readonly dir: string,
  ) {
    fs.mkdirSync(path.join(dir, "snapshots"));
    this.metrics = fs.openSync(path.join(dir, "metrics.jsonl"), "a");
  }

  /** Creates a new run folder under `folder` (created if needed); a same-second, same-name run gets `-2`, … */
  static create(folder: string, name: string, date = new Date()): RunWriter {
    fs.mkdirSync(folder, { recursive: true });
    const base = runId(name, date);
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      const dir = path.join(folder, id);
      try {
        fs.mkdirSync(dir); // fails if taken: two runs never share a folder
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      return new RunWriter(id, dir);
    }
  }

  writeInfo(info: RunInfo): void {
    writeAtomic(path.join(this.dir, "run.json"), JSON.stringify(info, null, 2) + "\n");
  }

  /** One line, in one write: a kill leaves whole lines, at worst a cut last one. */
  appendMetric(line: MetricLine): void {
    fs.writeSync(this.metrics, JSON.stringify(line) + "\n");
  }

  /** Returns the file written. */
  writeSnapshot(snapshot: SnapshotFile): string {
    const file = path.join(this.dir, "snapshots", `${snapshot.step}.json`);
    writeAtomic(file, JSON.stringify(snapshot));
    return file;
  }

  /** The latest weights (safetensors bytes); returns the file written. */
  writeWeights(bytes: Uint8Array): string {
    const file = path.join(this.dir, "weights.safetensors");
    writeAtomic(file, bytes);
    return file;
  }

  /** The hook for the shape trace of the run's model file. */
  writeTrace(trace: Trace): void {
    writeAtomic(path.join(this.dir, "trace.json"), JSON.stringify(trace));
  }

  close(): void {
    fs.closeSync(this.metrics);
  }
}

/** Whether a process runs with this id (one we may not signal counts: it exists). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A run's run.json; status "interrupted" when its process died while "running". Throws when unreadable. */
export function readInfo(dir: string): RunInfo {
  const info = JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8")) as RunInfo;
  if (info.status === "running" && !isAlive(info.pid)) info.status = "interrupted";
  return info;
}

/** Ends, for good, a run whose process died before it could (killed after a stop): an interrupted run gets `status`,
 *  the end time and `fields`; any other is left as it is. Returns the info as it now reads. */
export function endInterruptedRun(dir: string, status: RunStatus, fields: Partial<RunInfo> = {}): RunInfo {
  const info = readInfo(dir);
  if (info.status !== "interrupted") return info;
  Object.assign(info, { status, endedAt: new Date().toISOString() }, fields);
  writeAtomic(path.join(dir, "run.json"), JSON.stringify(info, null, 2) + "\n");
  return info;
}

/** Reads a run folder; throws when it has no readable run.json. Metrics lines that do not parse (a line cut
 *  short by a kill) are skipped. */
export function readRun(dir: string): RunData {
  const info = readInfo(dir);
  const steps: StepLine[] = [];
  const epochs: EpochLine[] = [];
  let text = "";
  try {
    text = fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8");
  } catch {
    // no metrics yet
  }
  for (const line of text.split("\n")) {
    if (!line) continue;
    let parsed: MetricLine;
    try {
      parsed = JSON.parse(line) as MetricLine;
    } catch {
      continue;
    }
    if (parsed.type === "step") steps.push(parsed);
    else if (parsed.type === "epoch") epochs.push(parsed);
  }
  return { info, dir, steps, epochs };
}

/** At most `max` points: the mean of equal runs of steps, at the run's last step. */
export function downsampleLoss(steps: StepLine[], max = 200): Point[] {
  const size = Math.max(1, Math.ceil(steps.length / max));
  const points: Point[] = [];
  for (let i = 0; i < steps.length; i += size) {
    const chunk = steps.slice(i, i + size);
    points.push([chunk[chunk.length - 1].step, chunk.reduce((s, p) => s + p.loss, 0) / chunk.length]);
  }
  return points;
}

export function summarizeRun(run: RunData): RunSummary {
  return { info: run.info, dir: run.dir, lossCurve: downsampleLoss(run.steps) };
}

/** The runs in a runs folder, newest first; folders without a readable run.json are left out. */
export function listRuns(folder: string): RunSummary[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const runs: RunSummary[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    try {
      runs.push(summarizeRun(readRun(path.join(folder, entry.name))));
    } catch {
      // not a run (or one whose run.json was never written)
    }
  }
  return runs.sort((a, b) => b.info.startedAt.localeCompare(a.info.startedAt) || b.info.id.localeCompare(a.info.id));
}

/** The steps that have a snapshot, in order. */
export function listSnapshots(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(dir, "snapshots"));
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+\.json$/.test(n)).map((n) => parseInt(n, 10)).sort((a, b) => a - b);
}

export function readSnapshot(dir: string, step: number): SnapshotFile {
  return JSON.parse(fs.readFileSync(path.join(dir, "snapshots", `${step}.json`), "utf8")) as SnapshotFile;
}

/** Everything the explorer shows of a run, with its latest snapshot. */
export function readRunDetail(dir: string): RunDetail {
  const run = readRun(dir);
  const detail: RunDetail = {
    summary: summarizeRun(run),
    steps: run.steps.map(({ epoch, step, loss, lr }) => ({ epoch, step, loss, lr })),
    epochs: run.epochs.map(({ epoch, loss, metrics }) => ({ epoch, loss, metrics })),
  };
  const last = listSnapshots(dir).pop();
  if (last !== undefined) {
    const { epoch, step, parameters, dynamics } = readSnapshot(dir, last);
    detail.snapshot = { epoch, step, parameters };
    detail.dynamics = { epoch, step, layers: dynamics };
  }
  return detail;
}
