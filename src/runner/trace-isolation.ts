// One trace cannot spoil the next: the tracing process is long-lived and runs file after file, so what a traced
// file leaves behind is undone when its trace ends. Its timers are cancelled (and one that throws is reported
// against the file that set it, never crashing the process); the globals and built-in prototypes it changed are
// restored and those it added removed; the working directory and the backend come back; `process.exit` is
// refused while it runs.
import { tf } from "unroll";
import { refuseProcessExit } from "./model-file";
import { t } from "../runs/l10n";

/** Where the shared state a file can change lives. */
const GUARDED: object[] = [
  globalThis,
  Error,
  Math,
  JSON,
  console,
  Object.prototype,
  Array.prototype,
  Function.prototype,
  String.prototype,
  Number.prototype,
  Promise.prototype,
];

const TIMERS = [
  ["setTimeout", "clearTimeout"],
  ["setInterval", "clearInterval"],
  ["setImmediate", "clearImmediate"],
] as const;

export type StrayErrorReporter = (file: string, error: unknown) => void;

/** Isolates what runs from now on as the trace of `file`; the function returned undoes what it left behind. */
export function isolateTrace(file: string, report: StrayErrorReporter): () => Promise<void> {
  const restores = GUARDED.map(restorer);
  const cwd = process.cwd();
  const backend = tf.getBackend();
  const cancels: (() => void)[] = [];
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [set, clear] of TIMERS) {
    const original = g[set];
    const cancel = g[clear];
    g[set] = (callback: unknown, ...rest: unknown[]) => {
      const handle = original(guarded(callback, file, report), ...rest);
      cancels.push(() => cancel(handle));
      return handle;
    };
  }
  const restoreExit = refuseProcessExit((call) => t("{0} does not end a shape trace: a trace runs the file's top level and stops by itself", call));

  return async () => {
    for (const cancel of cancels) cancel();
    restoreExit();
    for (const restore of restores) restore(); // the timers' own functions too: globalThis is guarded
    if (process.cwd() !== cwd) process.chdir(cwd);
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };
}

/** A timer's callback that reports what it throws instead of taking the process down. */
function guarded(callback: unknown, file: string, report: StrayErrorReporter): unknown {
  if (typeof callback !== "function") return callback;
  return function (this: unknown, ...args: unknown[]) {
    try {
      return callback.apply(this, args);
    } catch (error) {
      report(file, error);
    }
  };
}

/** Remembers `target`'s own properties; the function returned puts back those changed and deletes those added. */
function restorer(target: object): () => void {
  const was = Object.getOwnPropertyDescriptors(target) as Record<PropertyKey, PropertyDescriptor>;
  return () => {
    for (const key of Reflect.ownKeys(target)) if (!(key in was)) Reflect.deleteProperty(target, key);
    for (const key of Reflect.ownKeys(was)) {
      const now = Reflect.getOwnPropertyDescriptor(target, key);
      const before = was[key as keyof typeof was];
      if (now && now.value === before.value && now.get === before.get && now.set === before.set) continue;
      try {
        Object.defineProperty(target, key, before);
      } catch {
        // a property the file made non-configurable stays as it made it
      }
    }
  };
}
