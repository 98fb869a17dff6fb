// Talks to a notebook's kernel process (runner/notebook-kernel.ts) for the CLI (`unroll run lesson.ipynb`) and the
// VS Code notebook controller. Imports neither "unroll" nor TensorFlow.js: the kernel loads them. One cell runs at
// a time, in the order asked; Interrupt stops the running cell (and drops those queued), Restart is a new process,
// and a kernel that dies (process.exit in a cell, out of memory) fails its cell with why: the next cell starts a
// fresh one.
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { CellOutcome, CellShapes, DisplayData, KernelEvent, KernelRequest } from "../common/protocol";
import { childEnvironment, type ChildChoices } from "./child-environment";
import { t } from "./l10n";

export interface NotebookClientOptions extends ChildChoices {
  /** dist/notebook-kernel.js; by default beside this bundle. */
  kernelPath?: string;
  /** The kernel's working directory: the notebook's folder (cells' imports resolve from there). */
  cwd?: string;
  /** The backend the kernel selects (sets UNROLL_BACKEND); by default the environment's, else auto. */
  backend?: string;
}

/** A cell's end: its outcome and its execution count (Jupyter's `[n]`), 0 when it did not run. */
export type CellResult = CellOutcome & CellShapes & { count: number };
/** How long a kernel that reads its messages takes to end an interrupted cell that awaits: past it, the cell loops. */
const UNANSWERED_MS = 250;
/** How long an interrupted cell may take to stop before its kernel is restarted. */
export const INTERRUPT_GRACE_MS = 3000;
export type OnOutput = (stream: "stdout" | "stderr", text: string) => void;
/** What a cell displays (its live chart, display()): a later display with the same id replaces the earlier. */
export type OnDisplay = (displayId: string, data: DisplayData) => void;

interface Kernel {
  child: ChildProcess;
  ready: Promise<{ backend: string; startMs: number }>;
  /** The cell running there. */
  cell: { id: number; onOutput: OnOutput; onDisplay: OnDisplay; resolve(result: CellResult): void } | null;
  stderrTail: string;
  ended: boolean;
}

export class NotebookClient {
  private kernel: Kernel | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  /** Bumped by interrupt() and restart(): cells queued before it do not run. */
  private generation = 0;

  constructor(private readonly options: NotebookClientOptions = {}) {}

  /** Starts the kernel (if none runs) and resolves once it is ready: its backend, and its start time in ms as the
   *  client measured it (fork to ready). */
  start(): Promise<{ backend: string; startMs: number }> {
    return this.ensureKernel().ready;
  }

  /** Runs a cell after those already asked for. `label` names it in errors ("Cell 3"). Never rejects. */
  execute(code: string, label: string, onOutput: OnOutput = () => {}, onDisplay: OnDisplay = () => {}): Promise<CellResult> {
    const generation = this.generation;
    const result = this.queue.then(() =>
      generation === this.generation ? this.run(code, label, onOutput, onDisplay) : { status: "interrupted" as const, count: 0 },
    );
    this.queue = result;
    return result;
  }

  /** Stops the running cell and drops the cells queued. A cell that awaits ends at once (the kernel reads the
   *  request); one that loops does not read it: SIGINT stops its synchronous part. One that loops after an `await`
   *  cannot be stopped inside the kernel: if it still runs INTERRUPT_GRACE_MS later, the kernel is restarted. */
  interrupt(): void {
    this.generation++;
    const kernel = this.kernel;
    const cell = kernel?.cell;
    if (!kernel || !cell || kernel.ended) return;
    kernel.child.send({ type: "interrupt", id: cell.id } satisfies KernelRequest, () => {});
    const still = () => kernel.cell === cell && !kernel.ended;
    const signal = setTimeout(() => still() && kernel.child.kill("SIGINT"), UNANSWERED_MS);
    const restart = setTimeout(() => {
      if (!still()) return;
      kernel.cell = null;
      this.end(kernel, "");
      cell.resolve({
        status: "interrupted",
        count: 0,
        message: t("the cell did not stop when interrupted (it loops after an await), so the kernel was restarted: its state is lost"),
      });
    }, INTERRUPT_GRACE_MS);
    signal.unref();
    restart.unref();
  }

  /** Ends the kernel and its state; the next cell runs in a fresh one. */
  restart(): void {
    this.generation++;
    if (this.kernel) this.end(this.kernel, t("the kernel was restarted"));
  }

  dispose(): void {
    this.restart();
  }

  private async run(code: string, label: string, onOutput: OnOutput, onDisplay: OnDisplay): Promise<CellResult> {
    const kernel = this.ensureKernel();
    try {
      await kernel.ready;
    } catch (error) {
      return { status: "error", count: 0, error: { kind: "runtime", message: error instanceof Error ? error.message : String(error) } };
    }
    if (kernel.ended) return { status: "interrupted", count: 0 };
    const id = this.nextId++;
    return new Promise<CellResult>((resolve) => {
      kernel.cell = { id, onOutput, onDisplay, resolve };
      kernel.child.send({ type: "execute", id, code, label } satisfies KernelRequest, () => {}); // a dead kernel: its close reports
    });
  }

  private ensureKernel(): Kernel {
    if (this.kernel && !this.kernel.ended) return this.kernel;
    const kernelPath = this.options.kernelPath ?? path.join(__dirname, "notebook-kernel.js");
    const env = { ...childEnvironment(this.options), ...(this.options.backend && { UNROLL_BACKEND: this.options.backend }) };
    const forkedAt = performance.now();
    // stdio: stdin unused, stdout and stderr (the kernel's own messages), the IPC channel.
    const child = fork(kernelPath, [], { cwd: this.options.cwd, env, execArgv: [], stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let ready!: (value: { backend: string; startMs: number }) => void;
    let failed!: (error: Error) => void;
    const kernel: Kernel = {
      child,
      ready: new Promise((resolve, reject) => ([ready, failed] = [resolve, reject])),
      cell: null,
      stderrTail: "",
      ended: false,
    };
    kernel.ready.catch(() => {}); // reported to the cell that waits on it
    this.kernel = kernel;
    child.on("message", (event: KernelEvent) => {
      if (event.type === "ready") ready({ backend: event.backend, startMs: Math.round(performance.now() - forkedAt) });
      else if (event.type === "output") {
        if (kernel.cell?.id === event.id) kernel.cell.onOutput(event.stream, event.text);
      } else if (event.type === "display") {
        // A cell's code can send the client anything (process.send): a malformed display is dropped.
        if (kernel.cell?.id === event.id && isDisplay(event)) kernel.cell.onDisplay(event.displayId, event.data);
      } else if (event.type === "done" && kernel.cell?.id === event.id) {
        const { resolve } = kernel.cell;
        kernel.cell = null;
        resolve(withoutType(event));
      }
    });
    child.stdout!.on("data", (chunk: Buffer) => kernel.cell?.onOutput("stdout", chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => {
      kernel.stderrTail = (kernel.stderrTail + chunk.toString()).slice(-2000);
      kernel.cell?.onOutput("stderr", chunk.toString());
    });
    child.on("error", () => {}); // a failed spawn also closes; reported there
    child.on("close", (code, signal) => {
      const why = exitReason(code, signal, kernel.stderrTail);
      failed(new Error(why));
      this.end(kernel, why);
    });
    return kernel;
  }

  /** Ends `kernel`; its running cell fails with `why`. */
  private end(kernel: Kernel, why: string): void {
    kernel.ended = true;
    if (this.kernel === kernel) this.kernel = null;
    if (kernel.child.exitCode === null && kernel.child.signalCode === null) kernel.child.kill("SIGKILL");
    const cell = kernel.cell;
    kernel.cell = null;
    cell?.resolve({ status: "error", count: 0, error: { kind: "runtime", message: why } });
  }
}

/** Whether a display event holds what a display needs: its id, text, and a PNG as base64 if any. */
export function isDisplay(event: { displayId?: unknown; data?: unknown }): event is { displayId: string; data: DisplayData } {
  const data = event.data as Record<string, unknown> | null | undefined;
  return (
    typeof event.displayId === "string" &&
    typeof data === "object" &&
    data !== null &&
    typeof data["text/plain"] === "string" &&
    (data["image/png"] === undefined || (typeof data["image/png"] === "string" && /^[A-Za-z0-9+/]*={0,2}$/.test(data["image/png"])))
  );
}

function withoutType(event: Extract<KernelEvent, { type: "done" }>): CellResult {
  const { type: _type, id: _id, ...result } = event;
  return result;
}

/** Why a kernel ended, for the cell it was running: the next cell starts a fresh kernel. */
export function exitReason(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  const outOfMemory = /heap out of memory|Allocation failed|out of memory/i.test(stderr);
  const how = outOfMemory
    ? t("the kernel ran out of memory")
    : signal
      ? t("the kernel was ended by {0}", signal)
      : t("the kernel exited with code {0}", String(code));
  return t("{0}: its state is lost, and the next cell runs in a fresh kernel", how);
}
