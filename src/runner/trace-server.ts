// The long-lived tracing process (dist/trace-server.js), forked by TraceClient and reused across traces so that
// a re-trace after a save finds TensorFlow.js loaded and the backend chosen. Answers TraceRequest messages over
// IPC with TraceResponse, one at a time. A trace past its budget is stopped by the watchdog thread
// (watchdog.ts), which answers on the result pipe (fd 4) and kills this process.
import "./resolve-unroll"; // first: "unroll" below and in model files is one library instance
import { tf, useBackend } from "unroll";
import type { Trace, TraceRequest, TraceResponse } from "../common/protocol";
import { failedTrace } from "../runs/failed-trace";
import { t, useLanguage } from "../runs/l10n";
import { timedOutTrace, traceModelFile, WATCHDOG_MARGIN_MS, type PausedFrame, type Watchdog as TraceWatchdog } from "./trace";
import { Watchdog } from "./watchdog-host";

/** The result pipe: stdio index 4 of the fork (after stdin, stdout, stderr and the IPC channel). */
export const RESULT_FD = 4;

/** The request being traced and its budget; the watchdog's own copy of the id decides whether it still runs. */
let tracing = { id: 0, timeoutMs: 0 };

// What the watchdog evaluates on the paused main thread: the response for request `id` if it is still running.
const answerTimeout = (id: number, frames: PausedFrame[]): string | null => {
  if (tracing.id !== id) return null;
  const trace = timedOutTrace(tracing.timeoutMs, frames);
  return trace && JSON.stringify({ type: "trace-result", id, trace } satisfies TraceResponse);
};

// Before any message: $UNROLL_LANGUAGE from the extension, else the locale's (the CLI's children inherit it).
const spoken = useLanguage();
if (spoken.error) console.error(spoken.error);

/** The backend (chosen once: $UNROLL_BACKEND, else auto) and the watchdog, before the first trace. */
// The watchdog listens on the result pipe: nothing comes from the client, but its closing says the client is gone
// (a trace that never ends cannot see the IPC channel close).
const ready = Promise.all([
  useBackend(undefined, { searchPaths: [process.cwd()] }),
  Watchdog.start({ resultFd: RESULT_FD, listen: true, answer: answerTimeout }),
]);
ready.catch(() => {}); // reported with each request

/** Whether the backend still computes: after a WebAssembly abort or an exhausted heap every later op fails, so a
 *  trace that broke it must say so, not the next one. */
function backendWorks(): boolean {
  try {
    return tf.tidy(() => tf.scalar(2).add(tf.scalar(3)).dataSync()[0]) === 5;
  } catch {
    return false;
  }
}

/** The trace of `request`, and whether this process must be replaced before the next one. */
async function answer(request: TraceRequest): Promise<{ trace: Trace; restart: boolean }> {
  let dog: Watchdog;
  try {
    [, dog] = await ready;
  } catch (error) {
    return { trace: failedTrace(request.file, "runtime", error), restart: true };
  }
  const watchdog: TraceWatchdog = {
    arm(timeoutMs) {
      tracing = { id: request.id, timeoutMs };
      // Without a location (the trace awaits a promise that never settles): the same message, no entries.
      const trace = failedTrace(request.file, "timeout", t("trace timed out after {0} s", timeoutMs / 1000), timeoutMs);
      const fallback = JSON.stringify({ type: "trace-result", id: request.id, trace } satisfies TraceResponse);
      // Later than the budget: a trace that waits is answered by trace.ts's own timer, with what it recorded.
      dog.arm({ type: "arm", id: request.id, timeoutMs: timeoutMs + WATCHDOG_MARGIN_MS, then: "halt", fallback });
    },
    disarm() {
      tracing = { id: 0, timeoutMs: 0 };
      dog.disarm();
    },
  };
  let trace: Trace;
  try {
    trace = await traceModelFile(request.file, { timeoutMs: request.timeoutMs, watchdog });
  } catch (error) {
    trace = failedTrace(request.file, "internal", error);
  }
  // After a timeout while waiting, what the file waits on may still wake its code: the next trace gets a fresh process.
  if (backendWorks()) return { trace, restart: trace.error?.kind === "internal" || trace.error?.kind === "timeout" };
  const broken = t(
    "the {0} backend stopped working while this file was traced (out of memory, or an abort); the next trace starts a fresh tracing process",
    tf.getBackend(),
  );
  const error = trace.error ? { ...trace.error, message: `${trace.error.message}\n${broken}` } : { kind: "runtime" as const, message: broken };
  return { trace: { ...trace, error }, restart: true };
}

/** The file traced last: promises it left behind may reject after its trace. */
let lastFile = "";
const stray = (what: string) => (error: unknown) =>
  console.error(`unroll: ${what} ${lastFile || t("a model file")}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
// Never let one file's leftovers take the process (and the next file's trace) down. Once the backend is loaded:
// the wasm backend's Emscripten glue installs handlers that rethrow, and they must go.
const guardProcess = () => {
  process.removeAllListeners("unhandledRejection").on("unhandledRejection", stray(t("nothing handled a promise rejected by")));
  process.removeAllListeners("uncaughtException").on("uncaughtException", stray(t("an error escaped from")));
};
ready.then(guardProcess, guardProcess);

let queue = Promise.resolve();
process.on("message", (message: TraceRequest) => {
  if (message?.type !== "trace") return;
  queue = queue.then(async () => {
    lastFile = message.file;
    const { trace, restart } = await answer(message);
    process.send?.({ type: "trace-result", id: message.id, trace, ...(restart && { restart }) } satisfies TraceResponse, () => {
      if (restart) process.exit(0);
    });
  });
});
process.on("disconnect", () => process.exit(0)); // the client went away
