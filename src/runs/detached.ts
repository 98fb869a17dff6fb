// Runs that outlive whoever started them: a training process is detached from the editor or the terminal, so a
// reload, a closed window or a dropped remote connection does not end it. Everything about it is then read from its
// run folder, as the files grow, and it is stopped through the folder too:
//
//   <run folder>/stop         asks the run to stop after its current step (anything of that name: looked at, never
//                             opened; the training process polls for it between steps). On POSIX a SIGTERM to the
//                             process, checked by its start time first, says the same at once.
//   <run folder>/output.log   what the user's code printed, as it printed it (capped at MAX_OUTPUT_BYTES)
//
// Host-safe, like the run store: Node only, never "unroll" or TensorFlow.js. Every reader here is total.
import * as fs from "node:fs";
import * as path from "node:path";
import type { RunEvent, RunInfo, RunSummary } from "../common/protocol";
import { openRegular, streamLines } from "./read-file";
import { parseMetricLine } from "./run-file";
import { runIsAlive } from "./process-liveness";
import { endInterruptedRun, listRuns, listSnapshots, readRunInfo, readSnapshot, type ReadOptions } from "./run-store";
import { t } from "./l10n";

export const STOP_FILE = "stop";
export const OUTPUT_FILE = "output.log";
/** The most of a run's output kept in output.log (a model that prints every step fills no disk). */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** How often a follower reads the run's files, and how often a stopper looks whether the run ended. */
export const FOLLOW_POLL_MS = 250;
/** How long a stopped run may take to end its step before its process is ended where it is: 5 s, or
 *  $UNROLL_STOP_GRACE seconds (a slow step on a busy machine: the tests give it a minute). */
export const DETACHED_STOP_GRACE_MS = stopGraceMs(process.env.UNROLL_STOP_GRACE);

function stopGraceMs(seconds: string | undefined): number {
  const n = Number(seconds);
  return seconds && n > 0 && Number.isFinite(n) ? n * 1000 : 5000;
}
/** How long a killed process may take to go (an unreaped one, where no start time tells, stays "alive"). */
const KILL_WAIT_MS = 5000;
/** The most of output.log a follower reads per poll (the rest comes with the next ones). */
const OUTPUT_CHUNK_BYTES = 256 * 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a stop was asked for the run in `dir`: anything named `stop` there (lstat: a FIFO or a link is not opened). */
export function stopFileThere(dir: string): boolean {
  try {
    fs.lstatSync(path.join(dir, STOP_FILE));
    return true;
  } catch {
    return false;
  }
}

/** The runs still training in `folders` (their process alive, checked by pid and start time), newest first. */
export async function liveRuns(folders: string | string[], options: ReadOptions = {}): Promise<RunSummary[]> {
  return (await listRuns(folders, options)).filter((run) => run.info.status === "running");
}

/** Asks the run in `dir` to stop after its current step: the `stop` file, and on POSIX a SIGTERM to its process
 *  (only when its pid still names the run's process). Returns the run as read, or why it cannot be stopped. */
export async function requestStop(dir: string): Promise<{ info: RunInfo } | { problem: string }> {
  const { info, damaged } = await readRunInfo(dir);
  if (info.status !== "running") return { problem: damaged ?? t("the run is not training ({0})", info.status) };
  const problem = askToStop(dir, info);
  return problem ? { problem } : { info };
}

/** requestStop's asking, for a run known to train (`info`: its run.json), at once: for a host about to go away.
 *  Only the first asker signals: the training process takes a second signal for "end now". Returns why the stop file
 *  could not be written where nothing else asks (Windows), else undefined. */
export function askToStop(dir: string, info: Pick<RunInfo, "pid" | "pidStart">): string | undefined {
  if (stopFileThere(dir)) return undefined; // asked already
  try {
    fs.writeFileSync(path.join(dir, STOP_FILE), `${new Date().toISOString()}\n`, { flag: "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return undefined; // another asker came first
    if (process.platform === "win32") return t("cannot write {0} ({1})", path.join(dir, STOP_FILE), String(code));
    // A read-only folder: the signal below asks alone.
  }
  if (process.platform !== "win32" && runIsAlive(info)) signal(info.pid, "SIGTERM"); // Windows' SIGTERM would kill it
  return undefined;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone meanwhile
  }
}

/** Stops the run in `dir` and waits for it to end: after its current step, or, when that step has not ended
 *  `graceMs` later, with its process killed (the run reads "stopped", `halted` saying after how long). */
export async function stopRun(dir: string, graceMs = DETACHED_STOP_GRACE_MS): Promise<{ info: RunInfo } | { problem: string }> {
  const asked = await requestStop(dir);
  if ("problem" in asked) return asked;
  const start = Date.now();
  for (;;) {
    await sleep(Math.min(FOLLOW_POLL_MS, graceMs));
    const { info } = await readRunInfo(dir);
    if (info.status === "interrupted") return { info: endInterruptedRun(dir, "stopped") }; // died before its last words
    if (info.status !== "running") return { info };
    if (Date.now() - start < graceMs) continue;
    signal(info.pid, "SIGKILL"); // runIsAlive said so just now: the pid is still the run's
    for (let waited = 0; runIsAlive(info) && waited < KILL_WAIT_MS; waited += 50) await sleep(50);
    return { info: endInterruptedRun(dir, "stopped", { halted: { afterMs: Date.now() - start } }) };
  }
}

export interface Follower {
  /** Settles with the run's last info once it no longer trains (or the following was cancelled). */
  done: Promise<RunInfo>;
  /** Stops following (the run goes on). */
  cancel(): void;
}

export interface FollowOptions {
  /** Start after what the files hold now (the caller showed that already): default false, from the beginning. */
  fromEnd?: boolean;
  pollMs?: number;
}

/** Follows the run in `dir` from its files as they grow: `start` with its info, then its `step` and `epoch` lines,
 *  `log` for what it prints, `snapshot` and `dynamics` for each new snapshot, and `end` once it no longer trains
 *  (completed, stopped, failed, or "interrupted" when its process died). Never throws: what cannot be read is
 *  skipped and read again at the next poll. */
export function followRun(dir: string, onEvent: (event: RunEvent) => void, options: FollowOptions = {}): Follower {
  let cancelled = false;
  let wake: (() => void) | undefined;
  const reader = new RunFollower(dir, onEvent);
  const done = (async () => {
    let { info } = await readRunInfo(dir);
    if (options.fromEnd) await reader.skipToEnd();
    onEvent({ type: "start", run: info });
    for (let first = true; !cancelled; first = false) {
      if (!first) await new Promise<void>((resolve) => setTimeout((wake = resolve), options.pollMs ?? FOLLOW_POLL_MS));
      if (cancelled) break;
      info = (await readRunInfo(dir)).info; // first: the lines read after a final status are all there are
      await reader.poll();
      if (info.status !== "running") {
        onEvent({ type: "end", run: info });
        break;
      }
    }
    return info;
  })();
  return {
    done,
    cancel() {
      cancelled = true;
      wake?.();
    },
  };
}

/** What a follower has read of a run's files, and reading what came since. */
class RunFollower {
  private metricsAt = 0;
  private outputAt = 0;
  private snapshotAt = -1;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly dir: string,
    private readonly onEvent: (event: RunEvent) => void,
  ) {}

  async skipToEnd(): Promise<void> {
    const metrics = await streamLines(this.dir, "metrics.jsonl", 0, () => {});
    if ("end" in metrics) this.metricsAt = metrics.end;
    const output = await openRegular(this.dir, OUTPUT_FILE);
    if ("fd" in output) {
      this.outputAt = output.size;
      await output.fd.close().catch(() => {});
    }
    this.snapshotAt = listSnapshots(this.dir).pop() ?? -1;
  }

  async poll(): Promise<void> {
    await this.readOutput();
    const read = await streamLines(this.dir, "metrics.jsonl", this.metricsAt, (text) => {
      const line = text === null ? null : parseMetricLine(text);
      if (line) this.onEvent(line);
    });
    if ("end" in read) this.metricsAt = read.end;
    this.readSnapshot();
  }

  /** What output.log gained since the last poll, at most OUTPUT_CHUNK_BYTES of it. */
  private async readOutput(): Promise<void> {
    const opened = await openRegular(this.dir, OUTPUT_FILE);
    if (!("fd" in opened)) return;
    try {
      const length = Math.min(OUTPUT_CHUNK_BYTES, opened.size - this.outputAt);
      if (length <= 0) return;
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await opened.fd.read(buffer, 0, length, this.outputAt);
      this.outputAt += bytesRead;
      const text = this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true }); // a character cut in two waits
      if (text) this.onEvent({ type: "log", stream: "stdout", text });
    } catch {
      // read again next time
    } finally {
      await opened.fd.close().catch(() => {});
    }
  }

  /** The newest snapshot, when there is a newer one than the last shown and it reads. */
  private readSnapshot(): void {
    const step = listSnapshots(this.dir).pop();
    if (step === undefined || step <= this.snapshotAt) return;
    try {
      const snapshot = readSnapshot(this.dir, step);
      this.snapshotAt = step;
      this.onEvent({ type: "snapshot", epoch: snapshot.epoch, step, parameters: snapshot.parameters });
      this.onEvent({ type: "dynamics", epoch: snapshot.epoch, step, layers: snapshot.dynamics });
    } catch {
      // being written (it appears by rename, so rather unreadable): the next poll
    }
  }
}

/** The training process's side of output.log: what the user's code prints, kept before the run folder exists and
 *  appended once it does, up to MAX_OUTPUT_BYTES. Never throws: output that cannot be kept is dropped. */
export class OutputLog {
  private fd: number | undefined;
  private held: string[] = [];
  private bytes = 0;

  /** The run folder exists: the file is made (new: whatever has its name is refused) and what was held written. */
  open(dir: string): void {
    try {
      this.fd = fs.openSync(path.join(dir, OUTPUT_FILE), "ax");
    } catch {
      this.fd = undefined;
    }
    const held = this.held;
    this.held = [];
    this.bytes = 0;
    for (const text of held) this.write(text);
  }

  write(text: string): void {
    if (this.bytes >= MAX_OUTPUT_BYTES) return;
    const bytes = Buffer.from(text);
    const room = MAX_OUTPUT_BYTES - this.bytes;
    const kept = bytes.length > room ? Buffer.concat([bytes.subarray(0, room), Buffer.from(`\n[output past ${MAX_OUTPUT_BYTES} bytes not kept]\n`)]) : bytes;
    this.bytes += bytes.length;
    if (this.fd === undefined) {
      this.held.push(kept.toString());
      return;
    }
    try {
      fs.writeSync(this.fd, kept);
    } catch {
      // a full disk: the run's own files say so
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
