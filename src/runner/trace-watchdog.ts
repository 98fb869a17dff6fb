// The tracing process's watchdog: a worker thread (built to dist/trace-watchdog.js) that stops a trace past its
// time budget. The user's top level is synchronous (`while (true) {}` never yields), so the main thread cannot
// time itself out: this thread pauses it through the inspector, asks it (evaluating on the paused frame) for the
// trace recorded so far located at the paused line, writes that answer as one JSON line to the result pipe (the
// IPC channel belongs to the paused main thread), and kills the process; the client starts a fresh one.
//
// Measured pitfalls: Debugger.enable must be acknowledged before the main thread gets busy (the main thread
// waits for "ready" before its first trace), and this thread must keep its event loop alive, or it exits silently.
import { parentPort, workerData } from "node:worker_threads";
import { Session } from "node:inspector";
import * as fs from "node:fs";
import { failedTrace } from "./failed-trace";

/** From the main thread (trace-server.ts): a trace started with this budget. */
export type WatchdogCommand = { type: "arm"; id: number; file: string; timeoutMs: number };
export interface WatchdogData {
  /** The file descriptor of the result pipe. */
  resultFd: number;
  /** The global function the paused main thread answers with: (id, timeoutMs, frames) => JSON | null. */
  answer: string;
  /** An Int32Array's buffer whose [0] the main thread keeps at the id of the trace running (0 between traces):
   *  read here without a message round trip, so that a trace that just ended is never stopped. */
  running: SharedArrayBuffer;
}

interface PausedEvent {
  params: { callFrames: { callFrameId: string; location: { scriptId: string; lineNumber: number; columnNumber: number } }[] };
}

/** How long a pause may take to land (the main thread may be idle, awaiting the compiler) before giving up on a location. */
const PAUSE_GRACE_MS = 2000;

const { resultFd, answer, running } = workerData as WatchdogData;
const runningId = new Int32Array(running);
const stillRunning = (id: number) => Atomics.load(runningId, 0) === id;
const session = new Session();
session.connectToMainThread();
setInterval(() => {}, 1 << 30); // keeps this thread alive between traces

type Armed = WatchdogCommand & { timer: NodeJS.Timeout };
let armed = null as Armed | null;
let firing = null as Armed | null;

parentPort!.on("message", (command: WatchdogCommand) => {
  if (armed) clearTimeout(armed.timer);
  const next: Armed = { ...command, timer: setTimeout(() => fire(next), command.timeoutMs) };
  armed = next;
});

function fire(request: Armed): void {
  armed = null;
  if (!stillRunning(request.id)) return;
  firing = request;
  session.post("Debugger.pause");
  setTimeout(() => {
    if (firing !== request) return;
    if (stillRunning(request.id)) finish(request, null); // never paused: answer without a location
    else firing = null; // it ended meanwhile; the pause, when it lands, is resumed
  }, PAUSE_GRACE_MS);
}

// Paused frames name their script by id (their `url` is empty): the URLs come from these events, sent for every
// script compiled since Debugger.enable (each traced model file is one).
const scriptUrls = new Map<string, string>();
session.on("Debugger.scriptParsed", (event: { params: { scriptId: string; url: string } }) => {
  if (event.params.url) scriptUrls.set(event.params.scriptId, event.params.url);
});

session.on("Debugger.paused", (event: PausedEvent) => {
  const request = firing;
  if (!request) return void session.post("Debugger.resume"); // a late pause after the trace ended
  const frames = event.params.callFrames.map(({ location: l }) => ({ url: scriptUrls.get(l.scriptId) ?? "", lineNumber: l.lineNumber, columnNumber: l.columnNumber }));
  const expression = `globalThis[Symbol.for(${JSON.stringify(answer)})](${request.id}, ${request.timeoutMs}, ${JSON.stringify(frames)})`;
  session.post("Debugger.evaluateOnCallFrame", { callFrameId: event.params.callFrames[0].callFrameId, expression, returnByValue: true }, (error, result) => {
    const value = error || result.exceptionDetails ? undefined : (result.result.value as string | null);
    if (value === null) {
      // That trace ended before the pause landed: let the main thread go on.
      firing = null;
      session.post("Debugger.resume");
      return;
    }
    finish(request, value ?? null);
  });
});

/** Writes the answer (or one without a trace's entries) to the result pipe and ends the process. */
function finish(request: WatchdogCommand, json: string | null): void {
  firing = null;
  const fallback = {
    type: "trace-result",
    id: request.id,
    trace: failedTrace(request.file, "timeout", `trace timed out after ${request.timeoutMs / 1000} s`, request.timeoutMs),
  };
  const bytes = Buffer.from((json ?? JSON.stringify(fallback)) + "\n");
  for (let written = 0; written < bytes.length; ) {
    try {
      written += fs.writeSync(resultFd, bytes, written);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") break;
    }
  }
  process.kill(process.pid, "SIGKILL");
}

session.post("Debugger.enable", () => parentPort!.postMessage({ type: "ready" }));
