// The run store: one folder per training run, written by the training process while it runs and read by the
// CLI (`unroll runs`) and the extension host. Plain files and Node only: this module must not import
// "unroll" or TensorFlow.js, so that the extension host can read runs without loading either.
//
//   <runs folder>/<YYYYMMDD-HHMMSS>-<name>/
//     run.json             RunInfo, replaced atomically (temp file + rename) on every status change and epoch
//     metrics.jsonl        one JSON line per step and per epoch event, append-only
//     summary.json         the sparkline so far and how many bytes of metrics.jsonl it covers (run-file.ts),
//                          replaced with run.json and every few seconds; rebuilt by a reader when missing
//     snapshots/<step>.json  parameter snapshots and recorded dynamics at that step, at most 2 MB each
//     weights.safetensors  the latest checkpoint, PyTorch's names, replaced atomically
//     trace.json           the model's shape trace (written by whoever traces the run)
//     .reserve             64 KiB kept free while the run writes: deleted when the disk fills up, so that
//                          run.json can still say so
//
// What survives what: whole files appear by rename, so a kill at any moment leaves the old file or the new
// one (a metrics line cut short is skipped by the reader); a full disk stops the run with a "store" error in
// run.json and removes the temporary file it was writing. Reading never throws: a malformed file gives a
// run listed with what can be read and `damaged` saying what could not (run-file.ts).
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import {
  type Point,
  type RunDetail,
  type RunFold,
  type RunInfo,
  type RunMeta,
  type RunnerError,
  type RunStatus,
  type RunSummary,
  type Trace,
} from "../common/protocol";
import { applyRunEvent, emptyRunDetail, MAX_STEPS_SHOWN, noteSnapshotStep } from "../common/run-reducer";
import {
  FILE_CAPS,
  READ_TIMEOUT_MS,
  readTextFile,
  readTextFileSync,
  streamLines,
  streamLinesSync,
  within,
  type StreamResult,
  type TextRead,
} from "./read-file";
import {
  LossCurve,
  parseMetricLine,
  parseRunInfo,
  parseSnapshot,
  parseSummary,
  type EpochLine,
  type MetricLine,
  type SnapshotFile,
  type StepLine,
  type SummaryFile,
} from "./run-file";
import { capSnapshot } from "./snapshot-cap";
import { runIsAlive } from "./process-liveness";
import { META_FILE, metaText, readRunMeta } from "./run-meta";
import { safeRunName } from "../common/run-id";

export type { EpochLine, MetricLine, SnapshotFile, StepLine } from "./run-file";

/** Where runs go, relative to a workspace (or the model file's folder). */
export const RUNS_SUBFOLDER = path.join(".unroll", "runs");

export { MAX_STEPS_SHOWN };
const RESERVE_BYTES = 64 * 1024;
const SUMMARY_EVERY_MS = 2000;

/** A run as read back: its info (status "interrupted" when its process died while "running") and metrics. */
export interface RunData {
  info: RunInfo;
  dir: string;
  steps: StepLine[];
  epochs: EpochLine[];
  /** What could not be read (see RunSummary.damaged). */
  damaged?: string;
}

/** The default runs folder for a model file: `.unroll/runs` beside it (or in the current folder). */
export function defaultRunsFolder(modelFile?: string): string {
  return path.join(modelFile ? path.dirname(modelFile) : process.cwd(), RUNS_SUBFOLDER);
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A run's folder name: local start time, then the name made safe for a folder on every OS (any script's letters
 *  kept: see common/run-id.ts). */
export function runId(name: string, date = new Date()): string {
  const stamp = `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
  return `${stamp}-${safeRunName(name)}`;
}

// -------------------------------------------------------------------------------------------------
// Writing

/** A write to the store that failed; `error` says what and where, for run.json and the user. */
export class StoreError extends Error {
  readonly error: RunnerError;
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.error = { kind: "store", message };
  }
}

/** Why a file operation failed, in words, by its error code (the code itself follows in parentheses). */
const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  EISDIR: "a folder is in its place",
  ENOTDIR: "a part of its path is not a folder",
  ENOENT: "its folder is gone",
  EEXIST: "something else is in its place",
  ELOOP: "its path has a loop of symbolic links",
  ENAMETOOLONG: "its path is too long",
  EFBIG: "the file is larger than the file system allows",
  EIO: "the disk reported an input/output error",
  EMFILE: "too many files are open",
  ENFILE: "too many files are open",
  ENXIO: "it is a special file with no reader",
};

/** `thrown` (an fs error) as a StoreError naming the file and why: "cannot write …/metrics.jsonl: permission denied
 *  (EACCES)"; a full disk says so. `action`: what was being done to `file`. */
export function storeError(thrown: unknown, file: string, action = "write"): StoreError {
  if (thrown instanceof StoreError) return thrown;
  const code = (thrown as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") {
    return new StoreError(`the disk is full: cannot ${action} ${file} (${code}). The run stopped there; what it wrote before is kept.`, code);
  }
  const reason = (code && Object.hasOwn(REASONS, code) && REASONS[code]) || (thrown instanceof Error ? thrown.message : String(thrown));
  return new StoreError(`cannot ${action} ${file}: ${reason}${code ? ` (${code})` : ""}`, code);
}

/** What a path that should be a folder (or be free for one) is instead, as the error says it ("a file", "a FIFO
 *  (named pipe)", "a symbolic link to nothing"); null for a folder or a link to one. Looks without opening. */
function notAFolder(stats: fs.Stats, link: fs.Stats | null): string | null {
  if (stats.isDirectory()) return null;
  const kind = stats.isFile()
    ? "a file"
    : stats.isFIFO()
      ? "a FIFO (named pipe)"
      : stats.isSocket()
        ? "a socket"
        : stats.isCharacterDevice() || stats.isBlockDevice()
          ? "a device"
          : "not a folder";
  return link?.isSymbolicLink() ? `a symbolic link to ${kind.replace(/^not a folder$/, "something else")}` : kind;
}

/** The deepest existing part of `folder` (itself or a parent) when it is not a folder: "…/.unroll/runs is a file".
 *  Null when the deepest existing part is a folder (what is missing below it can be made). */
export function blockedFolder(folder: string): string | null {
  for (let at = path.resolve(folder); ; at = path.dirname(at)) {
    let link: fs.Stats;
    try {
      link = fs.lstatSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === "ENOENT" || code === "ENOTDIR") && path.dirname(at) !== at) continue; // missing: look at its parent
      return null; // unreadable (EACCES…): mkdir says why
    }
    let stats: fs.Stats;
    try {
      stats = link.isSymbolicLink() ? fs.statSync(at) : link;
    } catch (error) {
      const loop = (error as NodeJS.ErrnoException).code === "ELOOP";
      return `${at} is a symbolic link ${loop ? "in a loop" : "to nothing"}`;
    }
    const kind = notAFolder(stats, link);
    return kind && `${at} is ${kind}`;
  }
}

/** Throws a StoreError, creating nothing, when run folders cannot be made in `folder`: its deepest existing part
 *  is not a folder (a file, a FIFO, a dangling symbolic link or one to a file). */
export function refuseBlockedFolder(folder: string): void {
  const blocked = blockedFolder(folder);
  if (blocked) throw new StoreError(`cannot create run folder: ${blocked}`, "ENOTDIR");
}

/** Creates the runs folder `folder` and its missing parents, refusing a blocked path (refuseBlockedFolder). */
function ensureRunsFolder(folder: string): void {
  refuseBlockedFolder(folder);
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    refuseBlockedFolder(folder); // replaced meanwhile: say by what
    throw storeError(error, folder, "create run folder");
  }
}

/** Removes `file` if it is there, whatever fails: for cleaning up after a failure, which must not fail itself. */
function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { recursive: true, force: true });
  } catch {
    // a read-only folder, a folder in its place: the failure being cleaned up after is the one reported
  }
}

/** Writes `data` to `file` so that readers see the old file or the new one, never a part; on failure, no
 *  temporary file is left and a StoreError says why. The temporary file is made new ("wx"): whatever had its name
 *  (a symbolic link, a FIFO) is removed first, never written through. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.rmSync(temporary, { force: true });
    fs.writeFileSync(temporary, data, { flag: "wx" });
    fs.renameSync(temporary, file);
  } catch (error) {
    removeQuietly(temporary);
    throw storeError(error, file);
  }
}

/** Writes a run's meta.json (the user's label, tags and note), atomically; throws a StoreError when it cannot. */
export function writeRunMeta(dir: string, meta: RunMeta): void {
  writeAtomic(path.join(dir, META_FILE), metaText(meta));
}

/** How many runs of one name may start in one second (`-2`, `-3`, …) before `create` gives up. */
const MAX_SAME_SECOND = 1000;

/** The writing side, used by the training process. Every write throws a StoreError when it fails. */
export class RunWriter {
  private readonly metrics: number; // file descriptor, opened for appending
  private readonly metricsFile: string;
  private readonly reserve: string;
  private readonly curve = new LossCurve();
  private metricsBytes = 0;
  private steps = 0;
  private summaryAt = 0;
  private closed = false;

  private constructor(
    readonly id: string,
    readonly dir: string,
  ) {
    this.reserve = path.join(dir, ".reserve");
    this.metricsFile = path.join(dir, "metrics.jsonl");
    let file = dir;
    try {
      // The folder was made just now: nothing of these can be there ("x": refuse anything that is).
      fs.mkdirSync((file = path.join(dir, "snapshots")));
      fs.writeFileSync((file = this.reserve), new Uint8Array(RESERVE_BYTES), { flag: "wx" });
      this.metrics = fs.openSync((file = this.metricsFile), "ax");
    } catch (error) {
      removeQuietly(dir); // nothing of the run was written yet
      throw storeError(error, file, "create");
    }
  }

  /** Creates a new run folder under `folder` (created if needed, refused when it or a parent is not a folder); a
   *  same-second, same-name run gets `-2`, … */
  static create(folder: string, name: string, date = new Date()): RunWriter {
    ensureRunsFolder(folder);
    const base = runId(name, date);
    for (let n = 1; n <= MAX_SAME_SECOND; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      const dir = path.join(folder, id);
      try {
        fs.mkdirSync(dir); // fails if taken: two runs never share a folder
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw storeError(error, dir, "create run folder");
      }
      return new RunWriter(id, dir);
    }
    throw new StoreError(`cannot create run folder: ${MAX_SAME_SECOND} runs named ${base} started in this second in ${folder}`, "EEXIST");
  }

  writeInfo(info: RunInfo): void {
    this.guard(() => writeAtomic(path.join(this.dir, "run.json"), JSON.stringify(info, null, 2) + "\n"));
    this.writeSummary();
  }

  /** One line, in one write: a kill leaves whole lines, at worst a cut last one. */
  appendMetric(line: MetricLine): void {
    const bytes = Buffer.from(JSON.stringify(line) + "\n");
    this.guard(() => {
      for (let at = 0; at < bytes.length;) at += fs.writeSync(this.metrics, bytes, at); // a full disk writes short, then throws
    }, "metrics.jsonl");
    this.metricsBytes += bytes.length;
    if (line.type === "step") {
      this.steps++;
      this.curve.add(line.step, line.loss);
    }
    if (Date.now() - this.summaryAt > SUMMARY_EVERY_MS) this.writeSummary();
  }

  /** Writes the snapshot, reduced to the size cap (snapshot-cap.ts); returns what was written. */
  writeSnapshot(snapshot: SnapshotFile): SnapshotFile {
    const capped = capSnapshot(snapshot);
    this.guard(() => writeAtomic(path.join(this.dir, "snapshots", `${snapshot.step}.json`), capped.json));
    return capped.snapshot;
  }

  /** The latest weights (safetensors bytes); returns the file written. */
  writeWeights(bytes: Uint8Array): string {
    const file = path.join(this.dir, "weights.safetensors");
    this.guard(() => writeAtomic(file, bytes));
    return file;
  }

  /** The hook for the shape trace of the run's model file. */
  writeTrace(trace: Trace): void {
    this.guard(() => writeAtomic(path.join(this.dir, "trace.json"), JSON.stringify(trace)));
  }

  /** The run's last words: run.json with its final status, the summary, the files closed. Never throws:
   *  returns why the last run.json could not be written, if it could not. */
  end(info: RunInfo): StoreError | null {
    let failed: StoreError | null = null;
    try {
      this.writeInfo(info);
    } catch (error) {
      failed = storeError(error, path.join(this.dir, "run.json"));
    }
    this.close();
    return failed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.closeSync(this.metrics);
    } catch {
      // already gone with its folder
    }
    removeQuietly(this.reserve);
  }

  /** summary.json, after checking that metrics.jsonl is still the file this writer appends to. */
  private writeSummary(): void {
    const summary: SummaryFile = { version: 1, metricsBytes: this.metricsBytes, steps: this.steps, skipped: 0, curve: this.curve.state };
    this.guard(() => {
      this.checkMetricsFile();
      writeAtomic(path.join(this.dir, "summary.json"), JSON.stringify(summary));
    });
    this.summaryAt = Date.now();
  }

  /** Throws when metrics.jsonl was removed or replaced (by a folder, another file) while the run wrote it: the
   *  lines appended from then on would go to a file nobody can read. */
  private checkMetricsFile(): void {
    const open = fs.fstatSync(this.metrics);
    let there: fs.Stats | null = null;
    try {
      there = fs.lstatSync(this.metricsFile);
    } catch {
      // removed
    }
    if (there?.ino === open.ino && there.dev === open.dev) return;
    const what = !there ? "it was removed" : there.isDirectory() ? "a folder was put in its place" : "another file was put in its place";
    throw new StoreError(`cannot write ${this.metricsFile}: ${what} while the run wrote it`, there ? "EEXIST" : "ENOENT");
  }

  /** Runs a write; when the disk is full, frees the reserve so that run.json can still say so. */
  private guard(write: () => void, file = ""): void {
    try {
      write();
    } catch (thrown) {
      const error = storeError(thrown, path.join(this.dir, file));
      if (error.code === "ENOSPC" || error.code === "EDQUOT") removeQuietly(this.reserve);
      throw error;
    }
  }
}

// -------------------------------------------------------------------------------------------------
// Whether a run's process still runs (process-liveness.ts)

/** A "running" run whose process is gone reads "interrupted". */
function settle(info: RunInfo): RunInfo {
  if (info.status === "running" && !runIsAlive(info)) info.status = "interrupted";
  return info;
}

/** Ends, for good, a run whose process died before it could (killed after a stop): an interrupted run gets `status`,
 *  the end time and `fields`, and loses its disk reserve; any other (or one without a readable run.json) is left as it is. Returns the info as
 *  it now reads. */
export function endInterruptedRun(dir: string, status: RunStatus, fields: Partial<RunInfo> = {}): RunInfo {
  const read = readInfoSync(dir);
  const info = settle(infoOf(dir, read).info);
  if (!("text" in read) || info.status !== "interrupted") return info;
  removeQuietly(path.join(dir, ".reserve")); // its writer died before it could free it
  Object.assign(info, { status, endedAt: new Date().toISOString() }, fields);
  writeAtomic(path.join(dir, "run.json"), JSON.stringify(info, null, 2) + "\n");
  return info;
}

// -------------------------------------------------------------------------------------------------
// Reading: only regular files, each kind capped in size, metrics.jsonl streamed (read-file.ts)

const joinDamage = (...parts: (string | undefined | false)[]) => parts.filter(Boolean).join("; ") || undefined;
const skippedLines = (n: number) => n > 0 && `metrics.jsonl has ${n} unreadable line${n === 1 ? "" : "s"} (skipped)`;

/** The files that make a folder a run (an empty or unrelated folder in the runs folder is not one). */
const RUN_FILES = ["run.json", "metrics.jsonl", "summary.json", "snapshots", "weights.safetensors"];

/** run.json's info, whatever the file is (a FIFO, a link to /dev/zero: named in `damaged`). */
function infoOf(dir: string, read: TextRead): { info: RunInfo; damaged?: string } {
  if ("problem" in read) return { info: parseRunInfo(null, path.basename(dir)).info, damaged: read.problem };
  return parseRunInfo("text" in read ? read.text : null, path.basename(dir));
}

const readInfo = (dir: string) => readTextFile(dir, "run.json", FILE_CAPS["run.json"]);

/** run.json alone, settled (a "running" run whose process is gone reads "interrupted"), with what could not be read
 *  in `damaged`; for following and stopping a run. Never throws. */
export async function readRunInfo(dir: string): Promise<{ info: RunInfo; damaged?: string }> {
  const { info, damaged } = infoOf(dir, await readInfo(dir));
  return { info: settle(info), ...withDamage(damaged) };
}
const readInfoSync = (dir: string) => readTextFileSync(dir, "run.json", FILE_CAPS["run.json"]);
const streamProblem = (read: StreamResult) => "problem" in read && read.problem;

/** A metrics.jsonl line handler: each line that parses to `onLine`, the others counted in `skipped`. */
function metricLines(onLine: (line: MetricLine) => void): { skipped: number; onText: (text: string | null) => void } {
  const counter = {
    skipped: 0,
    onText: (text: string | null) => {
      const line = text === null ? null : parseMetricLine(text);
      if (line) onLine(line);
      else counter.skipped++;
    },
  };
  return counter;
}

/** Reads a run folder, whatever its files hold (see RunData); a metrics line cut short by a kill is skipped. Every
 *  line is kept: for the CLI, tests and the CSV of every step; the explorer reads readRunDetail. */
export function readRun(dir: string): RunData {
  const { info, damaged } = infoOf(dir, readInfoSync(dir));
  const steps: StepLine[] = [];
  const epochs: EpochLine[] = [];
  const lines = metricLines((line) => (line.type === "step" ? steps.push(line) : epochs.push(line)));
  const read = streamLinesSync(dir, "metrics.jsonl", lines.onText);
  return { info: settle(info), dir, steps, epochs, damaged: joinDamage(damaged, streamProblem(read), skippedLines(lines.skipped)) };
}

/** At most `max` points: the mean of equal runs of steps, at the run's last step. */
export function downsampleLoss(steps: StepLine[], max = 200): Point[] {
  const size = Math.ceil(steps.length / max);
  const out: Point[] = [];
  for (let i = 0; i < steps.length; i += size) {
    const chunk = steps.slice(i, i + size);
    out.push([chunk[chunk.length - 1].step, chunk.reduce((sum, s) => sum + s.loss, 0) / chunk.length]);
  }
  return out;
}

/** How a reader may read a run. */
export interface ReadOptions {
  /** The most bytes of metrics.jsonl read to list one run (the lines after summary.json, or the whole file when it
   *  is missing or stale); a run past it is listed without its curve until it is opened (readRunDetail rebuilds
   *  summary.json). The extension host lists on activation: it sets one. Default: no limit (the CLI). */
  metricsBudget?: number;
  /** Write summary.json back when it was rebuilt (a run that no longer runs). Default: true. */
  writeBack?: boolean;
}

/** The sparkline of `start` (summary.json, or nothing) with the metrics lines after it folded in. */
async function summarize(dir: string, start: SummaryFile | null, budget: number): Promise<{ file: SummaryFile; read: StreamResult }> {
  const curve = new LossCurve(start ? structuredClone(start.curve) : undefined);
  let steps = start?.steps ?? 0;
  const lines = metricLines((line) => {
    if (line.type !== "step") return;
    curve.add(line.step, line.loss);
    steps++;
  });
  const read = await streamLines(dir, "metrics.jsonl", start?.metricsBytes ?? 0, lines.onText, budget);
  const metricsBytes = "end" in read ? read.end : (start?.metricsBytes ?? 0);
  return { file: { version: 1, metricsBytes, steps, skipped: (start?.skipped ?? 0) + lines.skipped, curve: curve.state }, read };
}

/** A run as listed: run.json, and the sparkline from summary.json plus the metrics lines written since (the
 *  whole of metrics.jsonl when summary.json is missing or stale: then it is written back for the next time,
 *  once the run no longer runs). Null for a folder that is not a run. Never throws. */
export async function readRunSummary(dir: string, options: ReadOptions = {}): Promise<RunSummary | null> {
  let info: RunInfo | undefined;
  try {
    const names = await within(fsp.readdir(dir), READ_TIMEOUT_MS, "the run folder").catch(() => [] as string[]);
    if (!names.some((n) => RUN_FILES.includes(n))) return null;
    const [infoRead, summaryRead, metaRead] = await Promise.all([
      readInfo(dir),
      readTextFile(dir, "summary.json", FILE_CAPS["summary.json"]),
      readRunMeta(dir),
    ]);
    const parsed = infoOf(dir, infoRead);
    info = settle(parsed.info);
    const budget = options.metricsBudget ?? Infinity;
    const stored = "text" in summaryRead ? parseSummary(summaryRead.text) : null;
    let summary = stored && (await summarize(dir, stored, budget));
    const rebuilt = !summary || "beyond" in summary.read; // no summary, or one of a longer file than this one
    if (!summary || rebuilt) summary = await summarize(dir, null, budget);
    const { file, read } = summary;
    if (rebuilt && "end" in read && info.status !== "running" && options.writeBack !== false) {
      await writeBack(path.join(dir, "summary.json"), JSON.stringify(file));
    }
    const damaged = joinDamage(
      parsed.damaged,
      "problem" in summaryRead && summaryRead.problem,
      streamProblem(read),
      skippedLines(file.skipped),
      metaRead.problem,
    );
    const meta = Object.keys(metaRead.meta).length ? { meta: metaRead.meta } : {};
    return { info, dir, lossCurve: new LossCurve(file.curve).points(), ...withDamage(damaged), ...meta };
  } catch (error) {
    return { info: info ?? parseRunInfo(null, path.basename(dir)).info, dir, lossCurve: [], damaged: `cannot read the run: ${error}` };
  }
}

const withDamage = (damaged: string | undefined) => (damaged ? { damaged } : {});

/** A reader's best-effort write (a read-only folder, a full disk: the next reader rebuilds again). */
async function writeBack(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await fsp.writeFile(temporary, text);
    await fsp.rename(temporary, file);
  } catch {
    await fsp.rm(temporary, { force: true }).catch(() => {});
  }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping their order. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The runs in one or more runs folders, newest first; what the CLI and the Runs view list. Folders that
 *  are not runs (and symbolic links) are left out; damaged runs are listed with `damaged`. Never throws. */
export async function listRuns(folders: string | string[], options: ReadOptions = {}): Promise<RunSummary[]> {
  const dirs = await Promise.all(
    [folders].flat().map(async (folder) => {
      const entries = await within(fsp.readdir(folder, { withFileTypes: true }), READ_TIMEOUT_MS, folder).catch(() => [] as fs.Dirent[]);
      return entries.filter((e) => e.isDirectory()).map((e) => path.join(folder, e.name));
    }),
  );
  const runs = (await mapLimited(dirs.flat(), 32, (dir) => readRunSummary(dir, options))).filter((r): r is RunSummary => r !== null);
  return runs.sort((a, b) => b.info.startedAt.localeCompare(a.info.startedAt) || b.info.id.localeCompare(a.info.id) || a.dir.localeCompare(b.dir));
}

/** `dir`, resolved, when it is a run folder directly inside one of `folders` (not a symbolic link, not
 *  reached through `..`); else null. The host acts on a folder a webview names only through this. */
export async function runFolderInside(folders: string[], dir: string): Promise<string | null> {
  try {
    if (!path.isAbsolute(dir) || !(await fsp.lstat(dir)).isDirectory()) return null;
    const real = await fsp.realpath(dir);
    for (const folder of folders) {
      const inside = await fsp.realpath(folder).catch(() => null);
      if (inside && path.dirname(real) === inside && path.basename(real) === path.basename(dir)) return real;
    }
  } catch {
    // no such folder
  }
  return null;
}

const snapshotSteps = (names: string[]) =>
  names
    .filter((n) => /^\d+\.json$/.test(n))
    .map((n) => parseInt(n, 10))
    .sort((a, b) => a - b);

/** The steps that have a snapshot, in order. */
export function listSnapshots(dir: string): number[] {
  try {
    return snapshotSteps(fs.readdirSync(path.join(dir, "snapshots")));
  } catch {
    return [];
  }
}

/** One snapshot file; throws an Error that says what is wrong with it (missing, not a file, not JSON, malformed). */
export function readSnapshot(dir: string, step: number): SnapshotFile {
  const name = `snapshots/${step}.json`;
  const read = readTextFileSync(dir, name, FILE_CAPS.snapshot);
  if ("problem" in read) throw new Error(read.problem);
  const parsed = "text" in read ? parseSnapshot(read.text) : { damaged: "missing" };
  if ("damaged" in parsed) throw new Error(`${name}: ${parsed.damaged}`);
  return parsed;
}

/** The snapshot at `step` of the run in `dir`, or what is wrong with its file (missing, too large, not JSON,
 *  malformed). Never throws. */
export async function readStoredSnapshot(dir: string, step: number): Promise<{ snapshot: SnapshotFile } | { problem: string }> {
  const name = `snapshots/${step}.json`;
  const read = await readTextFile(dir, name, FILE_CAPS.snapshot);
  if (!("text" in read)) return { problem: "problem" in read ? read.problem : `${name} is unreadable` };
  const parsed = parseSnapshot(read.text);
  return "damaged" in parsed ? { problem: `${name} is ${parsed.damaged}` } : { snapshot: parsed };
}

/** The latest snapshot that reads, as the explorer shows it, and the steps of all of them (for the slider, listed as
 *  the live view lists them: noteSnapshotStep); each one that does not read is named in `problems`. */
async function latestSnapshot(dir: string, problems: string[]): Promise<Pick<RunDetail, "snapshot" | "dynamics" | "snapshotSteps">> {
  const names = await within(fsp.readdir(path.join(dir, "snapshots")), READ_TIMEOUT_MS, "snapshots").catch(() => [] as string[]);
  const steps = snapshotSteps(names);
  const listing: Pick<RunDetail, "snapshotSteps"> = {};
  for (const step of steps) noteSnapshotStep(listing, step);
  const listed = listing.snapshotSteps ? { snapshotSteps: listing.snapshotSteps } : {};
  for (const step of [...steps].reverse()) {
    const read = await readStoredSnapshot(dir, step);
    if ("problem" in read) {
      problems.push(read.problem);
      continue;
    }
    const { epoch, parameters, dynamics, tokens } = read.snapshot;
    return {
      snapshot: { epoch, step, parameters },
      dynamics: { epoch, step, layers: dynamics, ...(tokens ? { tokens } : {}) },
      ...listed,
    };
  }
  return listed;
}

/** Everything the explorer shows of a run: metrics.jsonl streamed through the run-event reducer the webview folds
 *  live events with (run-reducer.ts: the curve thinned past `maxSteps` steps, MAX_STEPS_SHOWN by default, the epochs,
 *  the GPU memory), run.json's info, and the latest snapshot that reads (a malformed one is named in `damaged` and the
 *  one before is shown). A missing or damaged summary.json is written back from what was read. Bounded memory for a
 *  run of any length. Never throws. */
export async function readRunDetail(dir: string, options: Pick<ReadOptions, "writeBack"> & { maxSteps?: number } = {}): Promise<RunDetail> {
  const problems: (string | undefined | false)[] = [];
  const parsed = infoOf(dir, await readInfo(dir));
  const info = settle(parsed.info);
  const detail = emptyRunDetail({ ...info }, dir, options.maxSteps ?? MAX_STEPS_SHOWN);
  try {
    const lines = metricLines((line) => applyRunEvent(detail, line));
    const read = await streamLines(dir, "metrics.jsonl", 0, lines.onText);
    problems.push(parsed.damaged, streamProblem(read), skippedLines(lines.skipped));
    detail.summary.info = info; // run.json says how the run stands; its epoch lines may be ahead of it
    if ("end" in read && info.status !== "running" && options.writeBack !== false) await rebuildSummary(dir, read.end, lines.skipped, detail.fold!);
    Object.assign(detail, await latestSnapshot(dir, problems as string[]));
    const meta = await readRunMeta(dir);
    if (Object.keys(meta.meta).length) detail.summary.meta = meta.meta;
    problems.push(meta.problem);
  } catch (error) {
    problems.push(`cannot read the run: ${error}`);
  }
  Object.assign(detail.summary, withDamage(joinDamage(...problems)));
  return detail;
}

/** Writes summary.json from a whole read of metrics.jsonl when the one there is missing or does not parse. */
async function rebuildSummary(dir: string, metricsBytes: number, skipped: number, fold: RunFold): Promise<void> {
  const read = await readTextFile(dir, "summary.json", FILE_CAPS["summary.json"]);
  if ("text" in read && parseSummary(read.text)) return;
  const file: SummaryFile = { version: 1, metricsBytes, steps: fold.stepsSeen, skipped, curve: fold.curve };
  await writeBack(path.join(dir, "summary.json"), JSON.stringify(file));
}
