// The type check with limits, for the CLI (`unroll check`, and `run`, `trace`, `train`, which check first): the
// files are checked in a child process (dist/typecheck.js, typecheck-process.ts) whose heap is capped by
// --max-old-space-size and whose time is bounded here. A check past either limit ends that process and comes back
// as `{ stopped }` for the file it was on; the files after it are checked by a fresh process. A file whose check
// is in the cache (typecheck-cache.ts) and unchanged gets its outcome at once, without a process.
import { fork } from "node:child_process";
import * as path from "node:path";
import type { CheckResult } from "./typecheck";
import { CheckCache } from "./typecheck-cache";
import { PARENT_ENV, type CheckMessage } from "./typecheck-protocol";
import { secondsFromEnv } from "./watchdog-host";
import { t } from "../runs/l10n";

/** The check process's entry, beside the bundle that imports this module (dist/). */
export const TYPECHECK_ENTRY = path.join(__dirname, "typecheck.js");

/** The environment variables that change the limits (0: none). */
export const MEMORY_ENV = "UNROLL_CHECK_MEMORY_MB";
export const TIME_ENV = "UNROLL_CHECK_TIMEOUT";

/** A check takes about 300 MB and a few seconds; these leave room for a big project on a loaded machine. */
export const DEFAULT_MEMORY_MB = 1024;
export const DEFAULT_TIME_S = 60;

export interface CheckLimits {
  /** The check's JavaScript heap, in MB (0: Node's own limit). */
  memoryMb: number;
  /** Seconds for each file, loading TypeScript included for the first (0: no limit). */
  seconds: number;
}

/** The limits from $UNROLL_CHECK_MEMORY_MB and $UNROLL_CHECK_TIMEOUT (seconds), else the defaults. */
export const checkLimits = (): CheckLimits => ({
  memoryMb: secondsFromEnv(MEMORY_ENV, DEFAULT_MEMORY_MB),
  seconds: secondsFromEnv(TIME_ENV, DEFAULT_TIME_S),
});

/** A file's check: its result, or why it stopped ("more than 1024 MB of memory") and what changes that. */
export type CheckOutcome = CheckResult | { stopped: string; hint?: string };

/** V8's last words when the heap passes --max-old-space-size (or a structure outgrows what V8 can allocate). */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|invalid (array|table|size)|Allocation failed/i;
/** The end of the process's stderr: enough for V8's message, bounded whatever the process prints. */
const STDERR_KEPT = 4096;

/** The cache beside `entry` (the declarations are dist/types, beside it), as the environment sets it. */
export const defaultCache = (entry = TYPECHECK_ENTRY): CheckCache | null => CheckCache.fromEnv(entry, path.join(path.dirname(entry), "types", "index.d.ts"));

/** Checks `files`, each outcome to `onOutcome` in their order as soon as it is known: those in `cache` at once
 *  (synchronously, before this returns its promise), the others from a process. Never throws. */
export async function checkFiles(
  files: string[],
  onOutcome: (file: string, outcome: CheckOutcome) => void,
  limits = checkLimits(),
  entry = TYPECHECK_ENTRY,
  cache = defaultCache(entry),
): Promise<void> {
  const known: (CheckOutcome | undefined)[] = files.map((file) => cache?.lookup(file) ?? undefined);
  let next = 0; // the first file whose outcome has not been given
  const give = () => {
    for (; next < files.length && known[next]; next++) onOutcome(files[next], known[next]!);
  };
  give();
  const missed = files.flatMap((_, i) => (known[i] ? [] : [i]));
  const onChecked = (i: number, outcome: CheckOutcome) => {
    known[i] = outcome;
    give();
  };
  let rest = missed;
  while (rest.length) {
    const done = await checkInProcess(rest, files, onChecked, limits, entry, cache);
    rest = rest.slice(done);
  }
}

/** One process for files[i] of each i of `indices`: resolves with how many of them got an outcome (all, or up to
 *  the one it stopped on). */
function checkInProcess(
  indices: number[],
  files: string[],
  onOutcome: (i: number, outcome: CheckOutcome) => void,
  limits: CheckLimits,
  entry: string,
  cache: CheckCache | null,
): Promise<number> {
  const limited = (what: string, name: string) => ({ stopped: what, hint: t("${0} raises the limit; 0: none", name) });
  return new Promise((resolve) => {
    // execArgv: the heap limit only, not the parent's flags (a test runner's, an inspector's).
    const execArgv = limits.memoryMb > 0 ? [`--max-old-space-size=${Math.ceil(limits.memoryMb)}`] : [];
    const env = { ...process.env, [PARENT_ENV]: String(process.pid) };
    const started = Date.now(); // for the cache: a file changed after this may not be the text that was checked
    const child = fork(
      entry,
      indices.map((i) => files[i]),
      { stdio: ["ignore", "ignore", "pipe", "ipc"], execArgv, env },
    );
    let answered = 0;
    let timedOut = false;
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      if (limits.seconds > 0) timer = setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), limits.seconds * 1000);
    };
    arm();
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT)));
    child.on("message", (message: CheckMessage) => {
      if ("done" in message || answered >= indices.length) return;
      const i = indices[answered++];
      cache?.store(files[i], message.result, started);
      onOutcome(i, "error" in message.result ? message.result : { diagnostics: message.result.diagnostics });
      arm();
    });
    let settled = false;
    const end = (why: Extract<CheckOutcome, { stopped: string }> | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answered < indices.length) onOutcome(indices[answered++], why ?? { stopped: t("its process ended before it answered") });
      resolve(answered);
    };
    child.on("error", (error) => {
      child.kill("SIGKILL");
      end({ stopped: t("its process could not run ({0})", error.message) });
    });
    child.on("close", (code, signal) => {
      if (timedOut) return end(limited(t("more than {0} s", limits.seconds), TIME_ENV));
      if (OUT_OF_MEMORY.test(stderr))
        return end(limited(limits.memoryMb > 0 ? t("more than {0} MB of memory", limits.memoryMb) : t("out of memory"), MEMORY_ENV));
      end(code === 0 ? null : { stopped: t("its process ended ({0})", signal ?? t("exit code {0}", String(code))) });
    });
  });
}
