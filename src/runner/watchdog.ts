// The watchdog of a runner process: a worker thread (built to dist/watchdog.js, started by watchdog-host.ts) that
// stops the process's main thread where it is, even when that thread never yields (`while (true) {}` in the user's
// code): it cannot time itself out. This thread pauses it through the inspector and evaluates, on the paused
// frame, the process's answer function with the paused frames: the answer says where the main thread is (in the
// user's file) as one JSON line. Then, as the command says:
//   "halt": writes the answer to the result pipe (the IPC channel belongs to the paused main thread) and kills the
//     process. A trace past its budget (the tracing process); a training run that did not stop within its grace
//     period (asked by the training client, which writes the command on the same pipe).
//   "unstick": resumes and terminates the JavaScript running on the main thread, whose event loop goes on: its own
//     timer, overdue, then reports the timeout at the place the answer recorded. A `data()` or a scratchpad's
//     main past its time limit.
// A command from the main thread names the task it is about (an id): it is dropped once another runs (an
// Int32Array shared with the main thread, read here without a message round trip). One from the pipe concerns
// whatever runs (id 0) and fires at once.
//
// Measured pitfalls: Debugger.enable must be acknowledged before the main thread gets busy (the host waits for
// "ready"), this thread must keep its event loop alive, or it exits silently, and Runtime.terminateExecution is
// answered only once the main thread runs again (after Debugger.resume).
import { parentPort, workerData } from "node:worker_threads";
import { Session } from "node:inspector";
import * as fs from "node:fs";
import * as net from "node:net";
import type { WatchdogCommand } from "../common/watchdog-lines";

export interface WatchdogData {
  /** The file descriptor of the result pipe. */
  resultFd: number;
  /** Also read commands, as JSON lines, from the result pipe (the process's parent writes them), and end the process
   *  when the pipe closes: the parent is gone (unless `outlivesParent`). */
  listen: boolean;
  /** A detached training run: its parent going away (a window reloaded) is no reason to end it. */
  outlivesParent?: boolean;
  /** The global function (under Symbol.for(answer)) the paused main thread answers with: (id, frames) => JSON
   *  line, or null when task `id` is no longer running. Frames: PausedFrame in watchdog-host.ts. */
  answer: string;
  /** An Int32Array's buffer whose [0] the main thread keeps at the id of the task running (0 between tasks). */
  running: SharedArrayBuffer;
}

interface PausedEvent {
  params: { callFrames: { callFrameId: string; location: { scriptId: string; lineNumber: number; columnNumber: number } }[] };
}

/** How long a pause may take to land (the main thread may be idle, awaiting the compiler) before giving up on a location. */
const PAUSE_GRACE_MS = 2000;
/** A process whose parent went away ends by itself (its main thread sees the IPC channel close: a training run stops
 *  after its step, a tracing process exits); one still there this long after (a step or a trace that never ends) is
 *  ended. A little longer than the grace a parent gives a stopped run (STOP_GRACE_MS). */
const ORPHAN_GRACE_MS = 5000;

const { resultFd, listen, outlivesParent, answer, running } = workerData as WatchdogData;
const runningId = new Int32Array(running);
const stillRunning = (id: number) => id === 0 || Atomics.load(runningId, 0) === id;
const session = new Session();
session.connectToMainThread();
setInterval(() => {}, 1 << 30); // keeps this thread alive between tasks

type Armed = WatchdogCommand & { timer: NodeJS.Timeout };
let armed = null as Armed | null;
let firing = null as WatchdogCommand | null;

function schedule(command: WatchdogCommand): Armed {
  const next: Armed = { ...command, timer: setTimeout(() => fire(next), command.timeoutMs) };
  return next;
}

parentPort!.on("message", (command: WatchdogCommand) => {
  if (armed) clearTimeout(armed.timer);
  armed = schedule(command);
});

if (listen) {
  const pipe = new net.Socket({ fd: resultFd, readable: true, writable: false });
  let buffer = "";
  pipe.setEncoding("utf8").on("data", (text: string) => {
    buffer += text;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      try {
        schedule({ ...(JSON.parse(line) as WatchdogCommand), id: 0 });
      } catch {
        // not a command
      }
    }
  });
  pipe.on("error", () => {});
  // The parent's end closes when it exits, however it dies (SIGKILL too): an end of file, or a reset when it left
  // data unread (an error, then close).
  if (!outlivesParent) pipe.once("close", () => setTimeout(() => finish({ type: "arm", id: 0, timeoutMs: 0, then: "halt" }, null), ORPHAN_GRACE_MS));
}

function fire(request: WatchdogCommand): void {
  if (armed?.id === request.id && armed.then === request.then) armed = null;
  if (!stillRunning(request.id)) return;
  if (firing?.then === "halt") return; // a halt is on its way: nothing else matters
  firing = request;
  session.post("Debugger.pause");
  setTimeout(() => {
    if (firing !== request) return;
    firing = null; // a pause that lands later is resumed
    // Never paused: the main thread waits (on a promise, in native code). A halt goes on without a location; an
    // unstick has nothing to do (the main thread's own timer fires).
    if (request.then === "halt" && stillRunning(request.id)) finish(request, null);
  }, PAUSE_GRACE_MS);
}

// Paused frames name their script by id (their `url` is empty): the URLs come from these events, sent for every
// script compiled since Debugger.enable (each model file is one).
const scriptUrls = new Map<string, string>();
session.on("Debugger.scriptParsed", (event: { params: { scriptId: string; url: string } }) => {
  if (event.params.url) scriptUrls.set(event.params.scriptId, event.params.url);
});

session.on("Debugger.paused", (event: PausedEvent) => {
  const request = firing;
  if (!request) return void session.post("Debugger.resume"); // a late pause after the task ended
  const callFrames = event.params.callFrames;
  const frames = callFrames.map(({ location: l }) => ({ url: scriptUrls.get(l.scriptId) ?? "", lineNumber: l.lineNumber, columnNumber: l.columnNumber }));
  const expression = `globalThis[Symbol.for(${JSON.stringify(answer)})](${request.id}, ${JSON.stringify(frames)})`;
  // Evaluated on the first JavaScript frame: a WebAssembly frame (a backend's kernel) evaluates nothing.
  const frame =
    callFrames[
      Math.max(
        0,
        frames.findIndex((f) => !f.url.startsWith("wasm://")),
      )
    ];
  session.post("Debugger.evaluateOnCallFrame", { callFrameId: frame.callFrameId, expression, returnByValue: true }, (error, result) => {
    if (firing !== request) return; // a halt took over
    const value = error || result.exceptionDetails ? undefined : (result.result.value as string | null);
    if (value === null) {
      // That task ended before the pause landed: let the main thread go on.
      firing = null;
      session.post("Debugger.resume");
    } else if (request.then === "halt") {
      finish(request, value ?? null);
    } else {
      firing = null;
      session.post("Debugger.resume");
      session.post("Runtime.terminateExecution");
    }
  });
});

/** Writes the answer (or the command's fallback) to the result pipe and ends the process. */
function finish(request: WatchdogCommand, json: string | null): void {
  firing = request;
  const line = json ?? request.fallback;
  const bytes = Buffer.from(line ? line + "\n" : "");
  for (let written = 0; written < bytes.length;) {
    try {
      written += fs.writeSync(resultFd, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") break;
    }
  }
  process.kill(process.pid, "SIGKILL");
}

session.post("Debugger.enable", () => parentPort!.postMessage({ type: "ready" }));
