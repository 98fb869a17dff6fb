// The main thread's side of the watchdog thread (watchdog.ts): starts it, arms it around a task, and runs a
// function of the user's (an experiment's `data()`, a scratchpad's main) within a time limit, whether it loops
// forever or awaits a promise that never settles. One watchdog per process: the tracing process, a training
// process, the CLI running a scratchpad.
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { RunnerError, SourceLocation } from "../common/protocol";
import type { WatchdogData } from "./watchdog";
import type { HaltedLine, WatchdogCommand } from "../common/watchdog-lines";
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import { locationIn } from "../runs/location";
import { sourcePath } from "./model-file";
import { t } from "../runs/l10n";

const ANSWER = "unroll.watchdog.answer";
/** The watchdog unsticks a function this long after its time limit, when the main thread's own timer could not fire. */
const UNSTICK_MARGIN_MS = 250;

/** A paused stack frame as the inspector gives it: a script URL (or path) and 0-based generated positions. */
export interface PausedFrame {
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export type Answer = (id: number, frames: PausedFrame[]) => string | null;

/** The paused frames as a stack's lines, model files' frames source-mapped (a stack taken during a debugger
 *  evaluation is not: Node maps none of it). */
function pausedStack(frames: PausedFrame[]): string {
  const lines = frames.map(({ url, lineNumber, columnNumber }) => {
    let file = url.startsWith("file:") ? fileURLToPath(url) : url;
    let [line, column] = [lineNumber + 1, columnNumber + 1];
    const entry = path.isAbsolute(file) ? findSourceMap(file)?.findEntry(lineNumber, columnNumber) : undefined;
    if (entry && "originalSource" in entry) {
      const original = entry as { originalSource: string; originalLine: number; originalColumn: number };
      file = sourcePath(original.originalSource, path.dirname(file));
      [line, column] = [original.originalLine + 1, original.originalColumn + 1];
    }
    return `    at ${file}:${line}:${column}`;
  });
  return ["paused", ...lines].join("\n");
}

export class Watchdog {
  private ids = 0;
  /** What the default answer saw last: the stack of the task it was asked about. */
  private paused: { id: number; stack: string } | null = null;
  /** The error of the task running, should the watchdog halt it. */
  private onLoop: { id: number; error: (stack: string) => RunnerError } | null = null;

  private constructor(
    private readonly worker: Worker,
    /** [0]: the id of the task running, or 0; shared with the watchdog thread. */
    private readonly running: Int32Array,
  ) {}

  /** Starts the watchdog thread (dist/watchdog.js, beside this bundle); resolves once it can pause this thread.
   *  `resultFd`: where a halt answers (and, with `listen`, where commands come from: the parent's pipe; its closing
   *  ends the process unless `outlivesParent`).
   *  `answer`: what the paused main thread answers for a task; by default a HaltedLine. */
  static start(options: { resultFd?: number; listen?: boolean; outlivesParent?: boolean; answer?: Answer } = {}): Promise<Watchdog> {
    const running = new Int32Array(new SharedArrayBuffer(4));
    const workerData: WatchdogData = {
      resultFd: options.resultFd ?? 2,
      listen: options.listen ?? false,
      outlivesParent: options.outlivesParent ?? false,
      answer: ANSWER,
      running: running.buffer as SharedArrayBuffer,
    };
    const worker = new Worker(path.join(__dirname, "watchdog.js"), { workerData });
    const watchdog = new Watchdog(worker, running);
    (globalThis as Record<symbol, unknown>)[Symbol.for(ANSWER)] = options.answer ?? ((id: number, frames: PausedFrame[]) => watchdog.answer(id, frames));
    return new Promise((resolve, reject) => {
      worker.once("message", () => {
        worker.unref(); // never what keeps a process alive
        resolve(watchdog);
      });
      worker.once("error", reject);
    });
  }

  private answer(id: number, frames: PausedFrame[]): string | null {
    if (id !== 0 && Atomics.load(this.running, 0) !== id) return null;
    const stack = pausedStack(frames);
    this.paused = { id, stack };
    const error = this.onLoop?.id === id ? this.onLoop.error(stack) : undefined;
    return JSON.stringify({ type: "halted", stack, ...(error && { error }) } satisfies HaltedLine);
  }

  /** Task `id` runs from now on; the watchdog does what `command` says if it still runs after its timeout. */
  arm(command: WatchdogCommand): void {
    Atomics.store(this.running, 0, command.id);
    this.worker.postMessage(command);
  }

  /** No task runs: an armed command is dropped. */
  disarm(): void {
    Atomics.store(this.running, 0, 0);
  }

  /** Ends the watchdog thread: before `process.exit`, which otherwise waits for its debugger session, saying so. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  /** Runs `fn` (its synchronous part in a task of its own, so that it can be stopped) and returns what it returns or
   *  resolves to, or "timeout" if it has not settled within `ms`: with the stack where it was stuck when it loops (a
   *  promise that never settles leaves none). No limit when `ms` is 0. With `onLoop`, a loop is not unstuck but
   *  halted, the process with it, and the watchdog's answer carries that error: where terminating the JavaScript
   *  running could break the process (a training process: async hooks, its IPC), its parent reports it. */
  async within<T>(fn: () => T | Promise<T>, ms: number, onLoop?: (stack: string) => RunnerError): Promise<{ value: T } | { timeout: true; stack?: string }> {
    const id = ++this.ids;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (action: () => void) => {
        if (Atomics.load(this.running, 0) !== id) return;
        clearTimeout(timer);
        this.disarm();
        action();
      };
      if (ms > 0) {
        timer = setTimeout(() => settle(() => resolve({ timeout: true, stack: this.paused?.id === id ? this.paused.stack : undefined })), ms);
        this.onLoop = onLoop ? { id, error: onLoop } : null;
        this.arm({ type: "arm", id, timeoutMs: ms + UNSTICK_MARGIN_MS, then: onLoop ? "halt" : "unstick" });
      } else Atomics.store(this.running, 0, id);
      setImmediate(() => {
        try {
          Promise.resolve(fn()).then(
            (value) => settle(() => resolve({ value })),
            (error: unknown) => settle(() => reject(error)),
          );
        } catch (error) {
          settle(() => reject(error));
        }
      });
    });
  }
}

/** A time limit from an environment variable in seconds (0: none), else `fallback`. */
export function secondsFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** The error for `what` (a call in `file`, "data()" say) past its limit: located where it loops when it loops,
 *  else at `otherwiseAt`. */
export function timeoutError(
  what: string,
  seconds: number,
  stack: string | undefined,
  file: string,
  howToChange: string,
  otherwiseAt?: SourceLocation,
): RunnerError {
  const looping = locationIn(stack, file);
  const message = looping
    ? t("{0} did not return within {1} s: it was still running line {2} ({3})", what, seconds, looping.line, howToChange)
    : t("{0} did not settle within {1} s: it awaits something that never comes ({2})", what, seconds, howToChange);
  const location = looping ?? otherwiseAt;
  return { kind: "timeout", message, ...(location && { location }) };
}
