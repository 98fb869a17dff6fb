// The lines on a runner process's watchdog pipe (stdio 4), shared by the watchdog thread (runner/watchdog.ts), its
// host in the process (runner/watchdog-host.ts) and the training client in the extension host (runs/train-client.ts),
// which must not load the runner's code: plain types.
import type { RunnerError } from "./protocol";

/** A command to the watchdog thread, from the process's main thread or, as a JSON line, from its parent. */
export interface WatchdogCommand {
  type: "arm";
  /** The task it is about (the main thread's running id), or 0: whatever runs. */
  id: number;
  timeoutMs: number;
  then: "halt" | "unstick";
  /** For "halt": the line written when no answer comes (the main thread waits on nothing, or in native code). */
  fallback?: string;
}

/** How the paused main thread answers by default: one JSON line with where it is (source-mapped for model files). */
export interface HaltedLine {
  type: "halted";
  stack?: string;
  /** For a task run `within` a limit that loops: the error to report (the process is gone). */
  error?: RunnerError;
}
