// Shape traces: runs a model file's top level (and, for an experiment, one training step: trace-experiment.ts) with the library's trace hooks set (src/nn/trace-hooks.ts) and
// records, per source location in the user's file, every module construction, module call and tensor factory
// call: names, configurations, parameter tables, input and output shapes, how often each site ran, and the
// error that stopped the trace, located at its call site.
//
// Runs in-process (the tracing child, trace-server.ts, calls it for every request). The user's top level is
// synchronous, so a time budget cannot be enforced from here: the caller's watchdog does it, and reads what was
// recorded so far through `timedOutTrace`.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { SourceMap, type SourceMapPayload } from "node:module";
import { tf, nn, PackedSequence, Tensor, setTraceObserver, backendReport, type TraceObserver } from "unroll";
import type { ExperimentTrace, RecurrentConfig, RunnerError, SourceLocation, Trace, TraceEntry, TracedShape } from "../common/protocol";
import { findExperiment, hasExperiment, RunFailure, viaExperiment } from "./experiment";
import { LIBRARY, compileModelFile, describeError, loadCompiled, mainFunction, sourcePath } from "./model-file";
import { traceTrainingStep, type TraceScope } from "./trace-experiment";
import { isolateTrace, type StrayErrorReporter } from "./trace-isolation";
import type { PausedFrame } from "./watchdog-host";
import { t } from "../runs/l10n";

/** Arms and disarms a time budget around a trace (trace-server.ts's watchdog thread). */
export interface Watchdog {
  arm(timeoutMs: number): void;
  disarm(): void;
}

export interface TraceOptions {
  /** The time budget, enforced by `watchdog` (without one, the trace runs to its end). */
  timeoutMs?: number;
  watchdog?: Watchdog;
  /** Told of what a timer the file set threw (by default, written to stderr with the file's name). */
  onStrayError?: StrayErrorReporter;
}

const reportStray: StrayErrorReporter = (file, error) =>
  console.error(`unroll: ${t("a timer set by {0} threw: {1}", file, error instanceof Error ? (error.stack ?? error.message) : String(error))}`);

export type { PausedFrame };

/** How much later than the budget the watchdog fires: a trace that waits (on a promise, a timer, I/O) leaves the
 *  main thread idle, and its own timer answers first, with the last call traced; one that loops is the watchdog's. */
export const WATCHDOG_MARGIN_MS = 250;

/** Thrown into the trace's awaits when its budget ends while it waits. */
class Waited extends Error {}

/** A promise that rejects with Waited after `ms` (unless cancelled), for Promise.race against the trace's awaits. */
function budget(ms: number): { race<T>(work: Promise<T>): Promise<T>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Waited()), ms)));
  over.catch(() => {}); // rejected while nothing races it: after the trace, or before its first await
  return { race: (work) => Promise.race([work, over]), cancel: () => clearTimeout(timer) };
}

/** The trace in progress (one at a time: the library's observer is global); no recorder while compiling. */
let current: { file: string; started: number; recorder: Recorder | null } | null = null;

/** Compiles and runs `file`'s top level, recording its shapes. Never throws: errors end up in `trace.error`. */
export async function traceModelFile(file: string, options: TraceOptions = {}): Promise<Trace> {
  file = path.resolve(file);
  const started = performance.now();
  const running: NonNullable<typeof current> = { file, started, recorder: null };
  current = running;
  if (options.timeoutMs !== undefined) options.watchdog?.arm(options.timeoutMs);
  const undo = isolateTrace(file, options.onStrayError ?? reportStray);
  try {
    let code: string;
    try {
      code = await compileModelFile(file);
    } catch (error) {
      return traceOf(file, started, [], describeError(error, file));
    }
    const recorder = new Recorder(file, throughSourceMap(file, code));
    running.recorder = recorder;
    setTraceObserver(recorder);
    const tensors = collectTensors();
    let error: RunnerError | undefined;
    let experiment: ExperimentTrace | undefined;
    let stepping = false;
    // With a watchdog (trace-server.ts), the budget is also kept here, for traces that wait rather than loop. It
    // counts from the watchdog's start, before the compile: else a slow compile (a busy machine) let the watchdog
    // fire first and the trace lost where it waited.
    const left = options.timeoutMs !== undefined ? Math.max(0, options.timeoutMs - (performance.now() - started)) : undefined;
    const waiting = options.watchdog && left !== undefined ? budget(left) : null;
    const awaited = <T>(work: Promise<T>) => (waiting ? waiting.race(work) : work);
    try {
      const exports = loadCompiled(file, code);
      const main = mainFunction(exports);
      if (main) await awaited(Promise.resolve(main()));
      else if (hasExperiment(exports)) {
        const scope: TraceScope = {
          quietly: async (fn) => {
            setTraceObserver(null);
            try {
              return await fn();
            } finally {
              setTraceObserver(recorder);
            }
          },
          retain: tensors.retain,
        };
        stepping = true;
        experiment = await awaited(traceTrainingStep(findExperiment(exports, file), file, code, scope));
      }
    } catch (thrown) {
      error = thrown instanceof Waited ? recorder.waited(options.timeoutMs!) : thrown instanceof RunFailure ? thrown.error : recorder.fail(thrown);
      if (stepping) error = viaExperiment(error, file);
    } finally {
      waiting?.cancel();
      setTraceObserver(null);
    }
    const entries = recorder.entries(); // reads configurations and parameters: before they are freed
    tensors.free();
    return { ...traceOf(file, started, entries, error), ...(experiment && { experiment }) };
  } finally {
    current = null;
    options.watchdog?.disarm();
    await undo();
  }
}

/** For the watchdog, evaluated on the paused main thread: what the trace in progress recorded, stopped by a
 *  timeout at the first of `frames` in the user's file. Null when no trace is running. */
export function timedOutTrace(timeoutMs: number, frames: PausedFrame[]): Trace | null {
  if (!current) return null;
  const { file, started, recorder } = current;
  let location: SourceLocation | null = null;
  for (const frame of frames) {
    location = recorder && sameFile(frame.url, file) ? recorder.original(frame.lineNumber, frame.columnNumber) : null;
    if (location) break;
  }
  const message = location ? t("trace timed out after {0} s at line {1}", timeoutMs / 1000, location.line) : t("trace timed out after {0} s", timeoutMs / 1000);
  return traceOf(file, started, recorder?.entries() ?? [], { kind: "timeout", message, location: location ?? undefined });
}

function traceOf(file: string, started: number, entries: TraceEntry[], error: RunnerError | undefined): Trace {
  const backend = backendReport()?.name ?? tf.getBackend();
  return { file, entries, ...(error && { error }), durationMs: Math.round(performance.now() - started), backend };
}

/** Starts collecting the tensors the user's code makes: `free` frees them all but those retained. A scope frees
 *  those it tracks, but not the ones kept with tf.keep (the optimizers' state, gradients) nor variables (the
 *  parameters): those are collected apart. */
function collectTensors(): { free(): void; retain(tensors: tf.Tensor[]): void } {
  const engine = tf.engine();
  const variables = new Set(Object.keys(engine.registeredVariables));
  const kept: tf.Tensor[] = [];
  const retained = new Set<tf.Tensor>();
  const keep = engine.keep;
  engine.keep = <T extends tf.Tensor>(result: T): T => {
    kept.push(result);
    return keep.call(engine, result) as T;
  };
  engine.startScope();
  return {
    retain(tensors) {
      for (const t of tensors) {
        retained.add(t);
        keep.call(engine, t); // kept by the engine, not by the user: outlives this scope
      }
    },
    free() {
      engine.endScope();
      engine.keep = keep;
      tf.dispose(kept.filter((t) => !retained.has(t)));
      for (const [name, variable] of Object.entries(engine.registeredVariables)) if (!variables.has(name)) variable.dispose();
    },
  };
}

const sameFile = (url: string, file: string) => (url.startsWith("file:") ? fileURLToPath(url) : url) === file;

/** Frames of the library and of this runner: skipped to find who made a call. */
const PASSTHROUGH = new Set([LIBRARY, __filename]);

/** The current stack as V8's structured call sites (generated positions, no source-map formatting: cheap). */
function callSites(): NodeJS.CallSite[] {
  const { prepareStackTrace, stackTraceLimit } = Error;
  Error.prepareStackTrace = (_, sites) => sites;
  Error.stackTraceLimit = 50;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  Error.captureStackTrace(holder, callSites);
  const sites = holder.stack ?? [];
  Error.prepareStackTrace = prepareStackTrace;
  Error.stackTraceLimit = stackTraceLimit;
  return sites;
}

/** The source map esbuild inlined in the compiled code. */
function inlineSourceMap(code: string): SourceMap | null {
  const match = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  return match ? new SourceMap(JSON.parse(Buffer.from(match[1], "base64").toString("utf8")) as SourceMapPayload) : null;
}

/** Tuples flattened: `[out, [h, c]]` → `out, h, c`. */
function leaves(values: unknown[], into: unknown[] = []): unknown[] {
  for (const value of values) {
    if (Array.isArray(value)) leaves(value, into);
    else into.push(value);
  }
  return into;
}

/** The tensors among `values`, named by `names` and past them generically. */
function shapesOf(values: unknown[], names: string[], side: "input" | "output"): TracedShape[] {
  const all = leaves(values);
  const generic = (i: number) => (side === "input" ? (i === 0 ? "input" : `arg${i}`) : all.length === 1 ? "out" : `out${i}`);
  const shapes: TracedShape[] = [];
  all.forEach((value, i) => {
    const name = names[i] ?? generic(i);
    if (value instanceof tf.Tensor || value instanceof Tensor) shapes.push({ name, shape: [...value.shape] });
    else if (value instanceof PackedSequence) shapes.push({ name, shape: [...value.data.shape], packed: { batchSizes: [...value.batchSizes] } });
  });
  return shapes;
}

/** `fn()`, or undefined if it throws (a module read mid-construction, or after a failed one). */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

interface Site {
  entry: TraceEntry;
  /** The first run's shapes, to tell whether later runs differ. */
  signature?: string;
  /** The modules constructed (module sites) or called (call sites) here, first one first. */
  modules: nn.Module[];
}

/** A compiled model file's positions in its source, through the source map esbuild inlined. */
function throughSourceMap(file: string, code: string): (line: number, column: number) => SourceLocation | null {
  const sourceMap = inlineSourceMap(code);
  const dir = path.dirname(file);
  return (line, column) => {
    const entry = sourceMap?.findEntry(line, column);
    if (!entry || !("originalSource" in entry) || sourcePath(entry.originalSource, dir) !== file) return null;
    return { file, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  };
}

/** The observer: records into sites keyed by kind, location and name, in the order they first ran. Also records a
 *  notebook cell's calls as it runs (runner/notebook-kernel.ts). */
export class Recorder implements TraceObserver {
  private readonly sites = new Map<string, Site>();
  /** Every module constructed, located or not, to tell submodules from top-level ones. */
  private readonly constructed: nn.Module[] = [];
  /** Errors already recorded on the entry of the call that raised them (outer calls see them again). */
  private readonly attributed = new Set<unknown>();
  private readonly positions = new Map<string, SourceLocation | null>();
  /** The entry of the last construction, call or tensor recorded, for a timeout while waiting. */
  private last: TraceEntry | undefined;

  /** `file`: the script whose frames are the user's; `toSource`: a generated position (0-based) of it in the user's
   *  source, or null where it maps nowhere there. */
  constructor(
    readonly file: string,
    private readonly toSource: (line: number, column: number) => SourceLocation | null,
  ) {}

  module(module: nn.Module): void {
    this.constructed.push(module);
    // A user's class (class Net extends nn.Module) is constructed from `super()` inside its own constructor:
    // the site is where `new Net()` is written, past the frames of the constructors of its own class chain.
    const chain = new Set<string>();
    for (let p = Object.getPrototypeOf(module); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) chain.add(p.constructor.name);
    const location = this.locate(callSites(), (s) => s.isConstructor() && chain.has(s.getFunctionName() ?? ""));
    if (!location) return;
    const site = this.site("module", module.constructor.name, location);
    site.entry.count++;
    site.modules.push(module);
  }

  call(module: nn.Module, args: unknown[], run: () => unknown): unknown {
    const location = this.locate(callSites());
    if (!location) return run(); // called by the library itself (Sequential's children): part of that call
    const site = this.site("call", module.constructor.name, location); // before running: outer calls come first
    site.entry.count++;
    if (!site.modules.length) site.modules.push(module);
    const names = module.traceNames();
    const inputs = shapesOf(args, names.inputs, "input");
    site.entry.inputs ??= inputs; // before running: a call that fails or never ends still shows what it got
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      if (!this.attributed.has(error)) {
        this.attributed.add(error);
        if (!site.entry.error) {
          const described = this.describe(error);
          Object.assign(site.entry, { error: described.message }, described.shape && { shapeError: described.shape });
        }
      }
      throw error;
    }
    const outputs = shapesOf([result], names.outputs, "output");
    const signature = JSON.stringify([inputs, outputs]);
    if (site.signature === undefined) {
      site.signature = signature;
      site.entry.outputs = outputs;
    } else if (signature !== site.signature) site.entry.varying = true;
    return result;
  }

  tensor(factory: string, tensor: tf.Tensor): void {
    const location = this.locate(callSites());
    if (!location) return; // made by the library itself
    const site = this.site("tensor", factory, location);
    site.entry.count++;
    const signature = JSON.stringify(tensor.shape);
    if (site.signature === undefined) {
      site.signature = signature;
      site.entry.outputs = [{ name: "out", shape: [...tensor.shape] }];
    } else if (signature !== site.signature) site.entry.varying = true;
  }

  /** The error that stopped the trace, located, and recorded on the entry where it was raised. */
  fail(thrown: unknown): RunnerError {
    const error = this.describe(thrown);
    if (!this.attributed.has(thrown) && error.location) {
      // Not raised by a module call (a failed construction, say): the last entry at its location.
      const { line, column } = error.location;
      const here = [...this.sites.values()].filter((s) => s.entry.location.line === line && s.entry.location.column === column);
      const last = here[here.length - 1];
      if (last && !last.entry.error) Object.assign(last.entry, { error: error.message }, error.shape && { shapeError: error.shape });
    }
    return error;
  }

  /** The timeout of a trace that was waiting (on a promise, a timer, I/O) when its budget ended: no line runs, so
   *  it is placed at the last call traced. */
  waited(timeoutMs: number): RunnerError {
    const last = this.last;
    const seconds = timeoutMs / 1000;
    if (!last) return { kind: "timeout", message: t("trace timed out after {0} s, waiting (for a promise, a timer or I/O)", seconds) };
    const call = last.kind === "call" ? `${last.name}.forward` : last.kind === "tensor" ? `torch.${last.name}` : `new ${last.name}`;
    return {
      kind: "timeout",
      message: t(
        "trace timed out after {0} s, waiting (for a promise, a timer or I/O); the last call traced: {1} at line {2}",
        seconds,
        call,
        last.location.line,
      ),
      location: last.location,
    };
  }

  /** A library error's message needs no "ShapeError:" prefix: the kind says it, and the message names the module. */
  private describe(thrown: unknown): RunnerError {
    const error = describeError(thrown, this.file);
    if ((error.kind === "shape" || error.kind === "usage") && thrown instanceof Error) error.message = thrown.message;
    return error;
  }

  /** The entries, with what is read from modules now that their constructors have run. */
  entries(): TraceEntry[] {
    const children = new Set<nn.Module>();
    for (const m of this.constructed) for (const child of attempt(() => m.children()) ?? []) children.add(child);
    return [...this.sites.values()].map(({ entry, modules }) => {
      const first = modules[0];
      if (!first || (entry.error && entry.kind === "module")) return { ...entry }; // a failed construction: nothing to read
      const config = attempt(() => String(first));
      const recurrent = attempt(() => (first as { recurrentConfig?(): RecurrentConfig }).recurrentConfig?.());
      const out: TraceEntry = { ...entry, config, ...(recurrent && { recurrent }) };
      if (entry.kind === "module") {
        const named = attempt(() => first.namedParameters()) ?? [];
        out.parameters = named.map(([name, p]) => ({ name, shape: [...p.shape], count: p.numel() }));
        out.parameterCount = out.parameters.reduce((n, p) => n + p.count, 0);
        if (children.has(first)) out.submodule = true;
        if (modules.some((m) => attempt(() => String(m)) !== config)) out.varying = true;
      }
      return out;
    });
  }

  /** The user's line and column for a generated position (0-based), when it maps into the user's file. */
  original(line: number, column: number): SourceLocation | null {
    const key = `${line}:${column}`;
    let location = this.positions.get(key);
    if (location === undefined) {
      location = this.toSource(line, column);
      this.positions.set(key, location);
    }
    return location;
  }

  /** Where the user's code made this call: past the library's frames (and `skip`), the caller must be the user's
   *  file; the first of its frames that maps into the user's own source is the site. */
  private locate(sites: NodeJS.CallSite[], skip?: (site: NodeJS.CallSite) => boolean): SourceLocation | null {
    let i = 0;
    while (i < sites.length && PASSTHROUGH.has(sites[i].getFileName() ?? "")) i++;
    if (skip) while (i < sites.length && sites[i].getFileName() === this.file && skip(sites[i])) i++;
    for (; i < sites.length && sites[i].getFileName() === this.file; i++) {
      const location = this.original((sites[i].getLineNumber() ?? 1) - 1, (sites[i].getColumnNumber() ?? 1) - 1);
      if (location) return location;
    }
    return null;
  }

  private site(kind: TraceEntry["kind"], name: string, location: SourceLocation): Site {
    const key = `${kind}:${location.line}:${location.column}:${name}`;
    let site = this.sites.get(key);
    if (!site) {
      site = { entry: { kind, location, name, count: 0 }, modules: [] };
      this.sites.set(key, site);
    }
    this.last = site.entry;
    return site;
  }
}
