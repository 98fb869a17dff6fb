// The training process (dist/train.js): trains one model file's experiment, writing the run store.
//
//   node dist/train.js <model.ts> [--epochs N] [--backend NAME] [--snapshot-every N] [--runs DIR] [--data-timeout S]
//
// Forked by the CLI or the extension host (with an IPC channel): RunEvents go to the parent with
// process.send, and whatever the user's code prints becomes `log` events. Run directly: the events are
// printed as JSON lines and the user's output goes to the terminal as usual.
// A stop (RunCommand, SIGTERM, SIGINT, a `stop` file in the run folder, or the parent going away) ends the run after
// its current step, "stopped", with everything written; a second signal exits at once. `--detached` (train-client's
// detached start): the parent going away is no stop, and what the user's code prints also goes to the run folder's
// output.log, where followers read it (src/runs/detached.ts). A step that never ends cannot see a stop:
// the parent then has this process's watchdog thread (watchdog.ts, listening on fd 4) say where it is and end it.
import "./resolve-unroll"; // first: the user's "unroll" and ours are one library instance
import * as fs from "node:fs";
import type { RunCommand, RunEvent } from "../common/protocol";
import * as path from "node:path";
import { useLanguage } from "../runs/l10n";
import { OutputLog, stopFileThere } from "../runs/detached";
import { defaultRunsFolder } from "../runs/run-store";
import { parseTrainArgs, WATCHDOG_FD, type TrainOptions } from "../runs/train-contract";
import { train } from "./training";
import { Watchdog } from "./watchdog-host";

const parented = typeof process.send === "function";
let inFlight = 0; // events handed to process.send whose callback has not run yet
let drained: (() => void) | null = null;
const writeStdout = process.stdout.write.bind(process.stdout);

let runDir: string | undefined; // once the run folder exists
let runsFolder = "";
const output = new OutputLog();

function emit(event: RunEvent): void {
  if (event.type === "start") {
    runDir = path.join(runsFolder, event.run.id);
    if (parented) output.open(runDir); // run directly, the output goes to the terminal only
  }
  if (event.type === "log" && parented) output.write(event.text);
  if (!parented) {
    if (event.type !== "log") writeStdout(JSON.stringify(event) + "\n");
    return;
  }
  if (!process.connected) return;
  inFlight++;
  process.send!(event, undefined, {}, () => {
    if (--inFlight === 0) drained?.();
  });
}

/** Settles once every event sent has been handed to the channel. */
const flush = () => new Promise<void>((resolve) => (inFlight === 0 || !process.connected ? resolve() : (drained = resolve)));

/** Sends what would go to stdout or stderr as log events (console.log and any direct write). */
function redirectOutput(): void {
  for (const stream of ["stdout", "stderr"] as const) {
    process[stream].write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      emit({ type: "log", stream, text });
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    }) as typeof process.stdout.write;
  }
}

let stopRequested = false;
let signals = 0;
function onSignal(): void {
  if (++signals > 1) process.exit(130); // asked twice: go now (the run store reads "interrupted")
  stopRequested = true;
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.on("message", (message) => {
  if ((message as RunCommand)?.type === "stop") stopRequested = true;
});
let detached = false;
process.on("disconnect", () => (stopRequested ||= !detached)); // the host went away: end cleanly, unless detached

/** How often the run folder is looked at for a `stop` file (a stat: cheap, but a small model steps thousands of
 *  times a second). */
const STOP_POLL_MS = 200;
let stopLookedAt = 0;
/** Whether the run should stop after this step: a signal, the parent, or a `stop` file (`unroll stop`, a host). */
function stopAsked(): boolean {
  if (stopRequested || !runDir) return stopRequested;
  const now = Date.now();
  if (now - stopLookedAt < STOP_POLL_MS) return false;
  stopLookedAt = now;
  return (stopRequested = stopFileThere(runDir));
}

async function main(): Promise<number> {
  const spoken = useLanguage(); // $UNROLL_LANGUAGE from the extension, else the locale's (the CLI's children)
  if (spoken.error) emit({ type: "log", stream: "stderr", text: spoken.error + "\n" });
  let options: TrainOptions;
  try {
    options = parseTrainArgs(process.argv.slice(2));
    detached = options.detached === true;
    runsFolder = options.runsFolder ?? defaultRunsFolder(options.file);
  } catch (error) {
    emit({ type: "error", error: { kind: "internal", message: `train.js: ${(error as Error).message}` } });
    return 2;
  }
  const pipe = parented && isOpen(WATCHDOG_FD);
  const watchdog = await Watchdog.start({ resultFd: pipe ? WATCHDOG_FD : 2, listen: pipe, outlivesParent: detached });
  if (parented) redirectOutput();
  const status = await train(options, emit, stopAsked, watchdog);
  await watchdog.close();
  output.close();
  return status === "failed" ? 1 : 0;
}

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

main()
  .catch((error: unknown) => {
    emit({ type: "error", error: { kind: "internal", message: String(error instanceof Error ? error.stack : error) } });
    return 70;
  })
  .then(async (code) => {
    await flush(); // every event handed to the channel before exiting
    process.exit(code);
  });
