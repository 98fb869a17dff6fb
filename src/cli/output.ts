// Output to a pipe whose reader has gone (`unroll runs | head -1`): the command ends quietly with exit code 0, as
// Unix tools do, instead of dying of EPIPE with a stack trace. A command that owns a process (`unroll train`'s
// training process) says how to end it first, so that none is left behind.
import { EXIT } from "./args";

/** process.exit as it was at the start: `unroll run` refuses the scratchpad's process.exit while it runs. */
const exitProcess = process.exit.bind(process);
let closed = false;
let beforeExit: (() => Promise<unknown> | void) | undefined;

/** Whether stdout or stderr lost its reader: nothing more is written. */
export const outputClosed = (): boolean => closed;

/** `end` runs when the output closes, before the process exits; returns the function that takes it back. */
export function onOutputClosed(end: () => Promise<unknown> | void): () => void {
  beforeExit = end;
  return () => {
    if (beforeExit === end) beforeExit = undefined;
  };
}

/** A process (or processes) this command owns and waits for: a training run or a sweep. */
export interface Owned<T> {
  /** Ends it after its current step. */
  stop(): void;
  /** Ends it at once. */
  kill(): void;
  done: Promise<T>;
}

/** Waits for `owned` to end. The first Ctrl-C stops it after its step (`sayStopping` tells the user so), the second
 *  kills it; a closed output stops it as Ctrl-C does and the command exits 0 once it has ended. Both are unhooked
 *  when it ends. `interrupted`: whether Ctrl-C was pressed. */
export async function untilDone<T>(owned: Owned<T>, sayStopping: () => void): Promise<{ result: T; interrupted: boolean }> {
  let interrupts = 0;
  const onInterrupt = () => {
    if (++interrupts === 1) {
      owned.stop();
      sayStopping();
    } else owned.kill();
  };
  process.on("SIGINT", onInterrupt);
  const forget = onOutputClosed(() => {
    owned.stop();
    return owned.done;
  });
  try {
    return { result: await owned.done, interrupted: interrupts > 0 };
  } finally {
    process.off("SIGINT", onInterrupt);
    forget();
  }
}

/** EPIPE on stdout or stderr ends the command quietly; any other write error stays an error. */
export function endQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (closed) return; // the writes still queued fail alike
      if (error.code !== "EPIPE") throw error;
      closed = true;
      const exit = () => exitProcess(EXIT.ok);
      Promise.resolve()
        .then(() => beforeExit?.())
        .then(exit, exit);
    });
  }
}
