// The notebook kernel (dist/notebook-kernel.js): one long-lived process per notebook, forked by the notebook client
// (runs/notebook-client.ts). Runs cells in the order they come (KernelRequest), with the state kept between them
// on one scope object (notebook-cell.ts says how), and answers what they print and how each ended (KernelEvent).
// Interrupt: the client sends SIGINT, which stops a cell whose synchronous part loops (the vm call that runs it
// breaks on SIGINT, cleanly, where terminating it from the watchdog thread would corrupt Node's async hooks), and
// "interrupt" over IPC, which ends a cell that awaits. A cell looping after an `await` is past both: the client
// restarts the kernel when the cell has not stopped after a grace period.
import "./resolve-unroll"; // first: "unroll" below and in cells is one library instance
import * as path from "node:path";
import * as vm from "node:vm";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import { setTraceObserver, tf, torch, useBackend } from "unroll";
import type { CellOutcome, CellShapes, DisplayData, KernelEvent, KernelRequest, RunnerError } from "../common/protocol";
import { t, useLanguage } from "../runs/l10n";
import { describeError } from "./model-file";
import { CELL_ARGUMENTS, CellSyntaxError, compileCell, type CompiledCell } from "./notebook-cell";
import { CellDisplays, heatmap } from "./notebook-display";
import { Recorder } from "./trace";

const started = performance.now();
const spoken = useLanguage();
if (spoken.error) console.error(spoken.error);

const send = (event: KernelEvent) => process.send?.(event);

/** The notebook's state: every top-level name its cells declared. No prototype: `toString` is no cell's name. */
const scope: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
/** The folder the cells' imports resolve from (the notebook's). */
const dir = process.cwd();
const cellRequire = createRequire(path.join(dir, "notebook.ts"));
const importModule = (name: string): unknown => {
  const exports = cellRequire(name) as Record<string, unknown>; // "unroll" is this process's library (resolve-unroll)
  return exports && exports.__esModule ? exports : { ...exports, default: exports };
};

/** The compiled cells by script name, to map a stack's frames to a cell's lines (a function from cell 2 may throw
 *  while cell 5 runs). */
const compiled = new Map<string, { cell: CompiledCell; label: string }>();
const scriptName = (id: number) => `unroll-cell-${id}.js`;

/** The stack with each frame in a cell's script as `label:line:column` of the cell's TypeScript, and the first
 *  of those frames' label (where the error is). */
function cellStack(stack: string): { stack: string; label?: string } {
  let label: string | undefined;
  const mapped = stack.replace(/unroll-cell-(\d+)\.js:(\d+):(\d+)/g, (whole, id: string, line: string, column: string) => {
    const entry = compiled.get(scriptName(Number(id)));
    const at = entry?.cell.original(Number(line), Number(column));
    if (!entry || !at) return whole;
    label ??= entry.label;
    return `${entry.label}:${at.line}:${at.column}`;
  });
  return { stack: mapped, label };
}

/** A cell's error as the CLI reports one, located at the line of the cell it was thrown in (a function from an
 *  earlier cell throws in that one), with every cell's frames. */
function cellError(error: unknown, label: string): RunnerError {
  if (error instanceof CellSyntaxError) return { kind: "compile", message: error.message, location: { file: label, line: error.line, column: error.column } };
  if (!(error instanceof Error) || !error.stack) return describeError(error, label);
  const mapped = cellStack(error.stack);
  try {
    error.stack = mapped.stack;
  } catch {
    // a frozen error keeps its stack
  }
  const described = describeError(error, mapped.label ?? label);
  const [head, ...frames] = String(error.stack).split("\n");
  const cells = frames.filter((f) => [...compiled.values()].some((c) => f.includes(`${c.label}:`)));
  return { ...described, stack: [head, ...cells].join("\n") };
}

/** How Jupyter shows a cell's value: PyTorch's printing for tensors, sizes and modules (their inspect.custom), and
 *  for a TensorFlow.js tensor (what some factories still return) too. */
export function displayed(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof tf.Tensor) return value.isDisposed ? `<disposed tensor ${torch.shapeString(value.shape)}>` : torch.format(value);
  return inspect(value, { depth: 4, maxArrayLength: 50, breakLength: 100 });
}

let executions = 0;
/** The cell running: its id, how it ends early (interrupted), and what it displays. */
let running: { id: number; interrupt(): void; displays: CellDisplays } | null = null;

/** The display helpers every cell sees (notebook-display.ts); they show in the cell running. */
function addDisplayHelpers(): void {
  const displays = (name: string) => {
    if (!running) throw new Error(t("{0}() shows in the cell running: call it while a cell runs", name));
    return running.displays;
  };
  scope.report = (values: Record<string, unknown>, step?: number) => displays("report").report(values, step);
  scope.display = (value: unknown) => displays("display").display(value);
  scope.heatmap = heatmap;
}
addDisplayHelpers();

/** Forwards what the cell running writes (console.log included), in order with its outcome. */
function captureOutput(stream: "stdout" | "stderr"): void {
  const target = process[stream];
  const write = target.write.bind(target);
  target.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (!running) return (write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    send({ type: "output", id: running.id, stream, text: typeof chunk === "string" ? chunk : Buffer.from(chunk).toString() });
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof target.write;
}

async function execute(request: Extract<KernelRequest, { type: "execute" }>): Promise<CellOutcome & CellShapes> {
  let interrupted!: () => void;
  const stop = new Promise<"interrupted">((resolve) => (interrupted = () => resolve("interrupted")));
  const show = (displayId: string, data: DisplayData) => send({ type: "display", id: request.id, displayId, data });
  const displays = new CellDisplays(request.id, show, displayed);
  running = { id: request.id, interrupt: interrupted, displays };
  let recorder: Recorder | undefined;
  const shapes = () => (recorder ? { shapes: recorder.entries() } : {});
  try {
    const name = scriptName(request.id);
    const cell = await compileCell(request.code, dir);
    compiled.set(name, { cell, label: request.label });
    (globalThis as Record<symbol, unknown>)[CELL_ARGUMENTS] = [scope, importModule];
    recorder = cellRecorder(name, cell, request.label);
    recording = recorder;
    const value = vm.runInThisContext(cell.script, { filename: name, breakOnSigint: true }) as Promise<unknown>;
    const result = await Promise.race([value.then((v) => ({ v })), stop]);
    return result === "interrupted" ? { status: "interrupted", ...shapes() } : { status: "ok", value: displayed(result.v), ...shapes() };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") return { status: "interrupted", ...shapes() };
    return { status: "error", error: cellError(error, request.label), ...shapes() };
  } finally {
    displays.finish(); // the chart with every point reported stays in the notebook
    recording = null;
    running = null;
  }
}

/** The recorder of the cell running. The library reports a module's calls to the observer set when the module was
 *  made (trace-hooks.ts), and a module of cell 1 is called in cell 3: so one observer, set for the kernel's life,
 *  hands each report to the cell running (none between cells). */
let recording: Recorder | null = null;
setTraceObserver({
  module: (module) => recording?.module(module),
  call: (module, args, run) => (recording ? recording.call(module, args, run) : run()),
  tensor: (factory, tensor) => recording?.tensor(factory, tensor),
});

/** Records the module calls, constructions and tensor factories of a cell as it runs, as the trace does for a
 *  file (trace.ts), located at the cell's lines (`label`): the editor shows them in the cell without running it
 *  again. Calls made from another cell's functions are that cell's code, not recorded here. */
function cellRecorder(script: string, cell: CompiledCell, label: string): Recorder {
  return new Recorder(script, (line, column) => {
    const at = cell.original(line + 1, column + 1);
    return at && { file: label, line: at.line, column: at.column };
  });
}

const ready = useBackend(undefined, { searchPaths: [dir] });
// SIGINT stops a cell's synchronous part (the vm call breaks on it); between vm calls it must not end the kernel.
process.on("SIGINT", () => {});

// A cell's leftovers (a rejected promise nobody awaited, a timer's error) are its stderr, never the kernel's end.
const stray = (error: unknown) => process.stderr.write(`${error instanceof Error ? cellStack(error.stack ?? error.message).stack : String(error)}\n`);
const guardProcess = () => {
  process.removeAllListeners("unhandledRejection").on("unhandledRejection", stray);
  process.removeAllListeners("uncaughtException").on("uncaughtException", stray);
};

let queue = Promise.resolve();
process.on("message", (message: KernelRequest) => {
  if (message?.type === "interrupt") return running?.id === message.id ? running.interrupt() : undefined;
  if (message?.type !== "execute") return;
  queue = queue.then(async () => {
    await ready;
    const outcome = await execute(message);
    send({ type: "done", id: message.id, count: ++executions, ...outcome });
  });
});
process.on("disconnect", () => process.exit(0)); // the client went away

ready.then(
  () => {
    guardProcess();
    captureOutput("stdout");
    captureOutput("stderr");
    // Cells' stack traces reach their line from deep inside the library.
    if (Error.stackTraceLimit < 50) Error.stackTraceLimit = 50;
    send({ type: "ready", backend: tf.getBackend(), startMs: Math.round(performance.now() - started) });
  },
  (error: unknown) => {
    console.error(t("unroll: the notebook kernel could not start: {0}", error instanceof Error ? error.message : String(error)));
    process.exit(1);
  },
);
