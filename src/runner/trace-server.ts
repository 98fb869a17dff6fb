// The long-lived tracing process (dist/trace-server.js), forked by TraceClient and reused across traces so that
// a re-trace after a save finds TensorFlow.js loaded and the backend chosen. Answers TraceRequest messages over
// IPC with TraceResponse, one at a time. A trace past its budget is stopped by the watchdog thread
// (trace-watchdog.ts), which answers on the result pipe (fd 4) and kills this process.
import "./resolve-unroll"; // first: "unroll" below and in model files is one library instance
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { useBackend } from "unroll";
import type { Trace, TraceRequest, TraceResponse } from "../protocol";
import { timedOutTrace, traceModelFile, type PausedFrame, type Watchdog } from "./trace";
import type { WatchdogCommand, WatchdogData } from "./trace-watchdog";

/** The result pipe: stdio index 4 of the fork (after stdin, stdout, stderr and the IPC channel). */
export const RESULT_FD = 4;
const ANSWER = "unroll.trace.timedOut";

/** The id of the request being traced, or 0; shared with the watchdog. */
const running = new Int32Array(new SharedArrayBuffer(4));

// What the watchdog evaluates on the paused main thread: the response for request `id` if it is still running.
(globalThis as Record<symbol, unknown>)[Symbol.for(ANSWER)] = (id: number, timeoutMs: number, frames: PausedFrame[]): string | null => {
  if (Atomics.load(running, 0) !== id) return null;
  const trace = timedOutTrace(timeoutMs, frames);
  return trace && JSON.stringify({ type: "trace-result", id, trace } satisfies TraceResponse);
};

/** Starts the watchdog thread; resolves once its debugger session is enabled. */
function startWatchdog(): Promise<Worker> {
  const workerData: WatchdogData = { resultFd: RESULT_FD, answer: ANSWER, running: running.buffer as SharedArrayBuffer };
  const worker = new Worker(path.join(__dirname, "trace-watchdog.js"), { workerData });
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve(worker));
    worker.once("error", reject);
  });
}

/** The backend (chosen once: $UNROLL_BACKEND, else auto) and the watchdog, before the first trace. */
const ready = Promise.all([useBackend(undefined, { searchPaths: [process.cwd()] }), startWatchdog()]);
ready.catch(() => {}); // reported with each request

async function answer(request: TraceRequest): Promise<Trace> {
  let worker: Worker;
  try {
    [, worker] = await ready;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { file: request.file, entries: [], error: { kind: "runtime", message }, durationMs: 0, backend: "" };
  }
  const watchdog: Watchdog = {
    arm(timeoutMs) {
      Atomics.store(running, 0, request.id);
      worker.postMessage({ type: "arm", id: request.id, file: request.file, timeoutMs } satisfies WatchdogCommand);
    },
    disarm: () => Atomics.store(running, 0, 0),
  };
  try {
    return await traceModelFile(request.file, { timeoutMs: request.timeoutMs, watchdog });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return { file: request.file, entries: [], error: { kind: "internal", message }, durationMs: 0, backend: "" };
  }
}

let queue = Promise.resolve();
process.on("message", (message: TraceRequest) => {
  if (message?.type !== "trace") return;
  queue = queue.then(async () => {
    const trace = await answer(message);
    process.send?.({ type: "trace-result", id: message.id, trace } satisfies TraceResponse);
  });
});
process.on("disconnect", () => process.exit(0)); // the client went away
