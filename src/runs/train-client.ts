// Starting and talking to a training process (dist/train.js), for the CLI and the extension host. Like the
// run store, this module loads neither "unroll" nor TensorFlow.js: training happens in the child.
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import type { RunCommand, RunEvent, RunInfo, RunnerError } from "../common/protocol";
import { locationIn } from "./location";
import { defaultRunsFolder, endInterruptedRun } from "./run-store";
import { childEnvironment } from "./child-environment";
import { trainArgs, WATCHDOG_FD, type TrainOptions } from "./train-contract";
import type { HaltedLine, WatchdogCommand } from "../common/watchdog-lines";

/** The training process's entry, beside the bundle that imports this module (dist/). */
export const TRAIN_ENTRY = path.join(__dirname, "train.js");

/** How long a stopped run may take to end its step before its process is ended where it is. */
export const STOP_GRACE_MS = 3000;
/** How long the watchdog may take to answer a halt before the process is killed without its answer. */
const HALT_BACKSTOP_MS = 3000;

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
  /** Asks the run to stop after its current step; a step that has not ended `STOP_GRACE_MS` later is ended where it
   *  is, with its process. Either way the run ends "stopped", with every line written so far (ended, its `halted`
   *  says where the step was). */
  stop(): void;
  /** Ends the process at once (the run reads as "interrupted", or "stopped" after a stop). */
  kill(): void;
  /** Lets a detached run (TrainOptions.detached) go on alone: no more events, nothing of it keeps this process alive,
   *  and `done` settles no more; the run is followed and stopped through its folder from then on (detached.ts). */
  detach(): void;
  /** Settles once the process has exited and every event has been delivered. */
  done: Promise<TrainingResult>;
}

/** Forks a training process. Every RunEvent goes to `onEvent`, including anything the process printed
 *  outside the runner's redirection (as log events). A detached one (`options.detached`) runs in its own session
 *  (a terminal's Ctrl-C, a closed window do not reach it) and outlives this process. */
export function startTraining(options: TrainOptions, onEvent: (event: RunEvent) => void, entry = TRAIN_ENTRY): Training {
  // execArgv []: not the parent's flags (a test runner's, an inspector's). stdio 4: the watchdog's pipe.
  const child = fork(entry, trainArgs(options), {
    stdio: ["ignore", "pipe", "pipe", "ipc", "pipe"],
    execArgv: [],
    env: childEnvironment(options),
    detached: options.detached === true,
  });
  const result: Omit<TrainingResult, "code" | "signal"> = {};
  let started: RunInfo | undefined;
  let stopAsked = 0; // performance.now() of the stop
  let halted: RunInfo["halted"];
  const timers: NodeJS.Timeout[] = [];
  const watchdog = child.stdio[WATCHDOG_FD] as Readable & Writable;
  watchdog.on("error", () => {}); // the process is gone: its close says how
  let answer = "";
  watchdog.setEncoding("utf8").on("data", (text: string) => {
    answer += text;
    if (!answer.endsWith("\n")) return;
    let line: HaltedLine;
    try {
      line = JSON.parse(answer) as HaltedLine;
    } catch {
      return; // not the watchdog's answer
    }
    if (line.error) {
      // A task past its limit (a data() that loops): the error the process could not send.
      result.error = line.error;
      onEvent({ type: "error", error: line.error });
    }
    const location = locationIn(line.stack, options.file);
    if (halted && location) halted.location = location;
  });
  /** The stop's second stage: the watchdog says where the process is and ends it (or, failing that, a kill). */
  const halt = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    halted = { afterMs: Math.round(performance.now() - stopAsked) };
    watchdog.write(JSON.stringify({ type: "arm", id: 0, timeoutMs: 0, then: "halt" } satisfies WatchdogCommand) + "\n");
    timers.push(setTimeout(() => child.kill("SIGKILL"), HALT_BACKSTOP_MS));
  };
  child.on("message", (message) => {
    const event = message as RunEvent;
    if (event.type === "start") started = event.run;
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
  const done = Promise.all([closed, disconnected]).then(([[code, signal]]) => {
    for (const timer of timers) clearTimeout(timer);
    // Stopped, but the process ended before the run did: the run ends "stopped" here, as the process would have.
    if (stopAsked && started && !result.run) {
      try {
        result.run = endInterruptedRun(path.join(options.runsFolder ?? defaultRunsFolder(options.file), started.id), "stopped", halted && { halted });
        onEvent({ type: "end", run: result.run });
      } catch {
        // no readable run.json: the run store reads what there is
      }
    }
    return { ...result, code, signal };
  });
  return {
    child,
    stop() {
      if (stopAsked) return;
      stopAsked = performance.now();
      // A callback: a channel closing meanwhile (the process ending) is no error here; its close says how it ended.
      if (child.connected) child.send({ type: "stop" } satisfies RunCommand, () => {});
      timers.push(setTimeout(halt, STOP_GRACE_MS));
    },
    kill() {
      child.kill("SIGKILL");
    },
    detach() {
      child.removeAllListeners("message");
      if (child.connected) child.disconnect();
      for (const stream of [child.stdout, child.stderr, watchdog]) stream?.destroy();
      child.unref();
    },
    done,
  };
}
