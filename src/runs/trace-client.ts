// Talks to the long-lived tracing process (trace-server.ts) for the CLI and the VS Code extension host. Imports
// neither "unroll" nor TensorFlow.js (the host must stay light): the server loads them, once, and is reused for
// every trace; after a timeout (the server kills itself), a crash or a cancel, the next one is a fresh process.
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { Readable } from "node:stream";
import type { Trace, TraceRequest, TraceResponse } from "../common/protocol";
import { failedTrace } from "./failed-trace";
import { childEnvironment, type ChildChoices } from "./child-environment";

export interface TraceClientOptions extends ChildChoices {
  /** dist/trace-server.js; by default beside this bundle (dist/cli.js, dist/extension.js). */
  serverPath?: string;
  /** The backend the server selects (sets UNROLL_BACKEND); by default the environment's, else auto. */
  backend?: string;
  /** The server's working directory (optional backends are also looked up from there). */
  cwd?: string;
  /** What the model files print while traced (and the server's own errors). Drained and dropped by default. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

/** Rejects the traces a `cancel()` or `dispose()` interrupted. */
export class TraceCancelled extends Error {
  override name = "TraceCancelled";
  constructor() {
    super("trace cancelled");
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** How long past its budget a trace may take before the client stops waiting for the server's watchdog
 *  (which normally answers on time): covers the server's start (TensorFlow.js, the backend's self-check). */
const BACKSTOP_MS = 20_000;

interface Pending {
  id: number;
  file: string;
  resolve(trace: Trace): void;
  reject(error: Error): void;
  backstop: NodeJS.Timeout;
}

/** One server process and the trace it is answering. */
interface Server {
  child: ChildProcess;
  pending: Pending | null;
  /** Set once it must not take new traces: it answered through the watchdog and is being killed, or was cancelled. */
  ending: boolean;
  /** The end of its stderr, for the message when it dies. */
  stderrTail: string;
}

export class TraceClient {
  private server: Server | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  /** Bumped by cancel(): traces queued before it are not run. */
  private generation = 0;
  private disposed = false;

  constructor(private readonly options: TraceClientOptions = {}) {}

  /** Starts the server now, so that the first trace finds it warm. */
  start(): void {
    this.ensureServer();
  }

  /** Traces `file` (after the traces already asked for). Resolves to the trace, errors included; rejects only
   *  with TraceCancelled. */
  trace(file: string, { timeoutMs = DEFAULT_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<Trace> {
    const generation = this.generation;
    const result = this.queue.then(() => {
      if (generation !== this.generation || this.disposed) throw new TraceCancelled();
      return this.run(path.resolve(file), timeoutMs);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the trace running and drops those queued (their promises reject with TraceCancelled). */
  cancel(): void {
    this.generation++;
    const server = this.server;
    if (server?.pending) {
      this.end(server);
      if (!this.disposed) this.ensureServer(); // the next trace finds it warm
    }
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
    if (this.server) this.end(this.server);
  }

  private run(file: string, timeoutMs: number): Promise<Trace> {
    const server = this.ensureServer();
    const id = this.nextId++;
    return new Promise<Trace>((resolve, reject) => {
      // Normally the server's watchdog answers on time; this only guards against a wedged server.
      const backstop = setTimeout(() => {
        this.settle(server, id, failedTrace(file, "timeout", `trace timed out after ${timeoutMs / 1000} s (the tracing process did not answer)`, timeoutMs));
        this.end(server);
      }, timeoutMs + BACKSTOP_MS);
      server.pending = { id, file, resolve, reject, backstop };
      server.child.send({ type: "trace", id, file, timeoutMs } satisfies TraceRequest);
    });
  }

  private ensureServer(): Server {
    if (this.server && !this.server.ending) return this.server;
    const serverPath = this.options.serverPath ?? path.join(__dirname, "trace-server.js");
    const env = { ...childEnvironment(this.options), ...(this.options.backend && { UNROLL_BACKEND: this.options.backend }) };
    // stdio: stdin unused, stdout and stderr drained, the IPC channel, and the watchdog's result pipe (fd 4).
    const child = fork(serverPath, [], { cwd: this.options.cwd, env, execArgv: [], stdio: ["ignore", "pipe", "pipe", "ipc", "pipe"] });
    const server: Server = { child, pending: null, ending: false, stderrTail: "" };
    this.server = server;

    child.on("message", (message: TraceResponse) => {
      if (message.restart) server.ending = true; // it exits after this answer: the next trace goes to a fresh one
      this.settle(server, message.id, message.trace);
      if (message.restart && !this.disposed) this.ensureServer();
    });
    child.stdout!.on("data", (chunk: Buffer) => this.options.onOutput?.("stdout", chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => {
      server.stderrTail = (server.stderrTail + chunk.toString()).slice(-2000);
      this.options.onOutput?.("stderr", chunk.toString());
    });
    // The watchdog answers here when it stops a trace, then kills the process: take no more traces there.
    readLines(child.stdio[4] as Readable, (line) => {
      const message = attemptParse(line);
      if (!message) return;
      server.ending = true;
      this.settle(server, message.id, message.trace);
      if (!this.disposed) this.ensureServer(); // warm for the next trace
    });
    child.on("error", () => {}); // a failed spawn also closes; reported there
    child.on("close", (code, signal) => {
      server.ending = true;
      if (this.server === server) this.server = null;
      const pending = server.pending;
      if (!pending) return;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      const tail = server.stderrTail.trim().split("\n").slice(-5).join("\n");
      this.settle(server, pending.id, failedTrace(pending.file, "runtime", `the tracing process ended unexpectedly (${why})${tail ? `:\n${tail}` : ""}`));
    });
    return server;
  }

  /** Resolves the pending trace `id` (answers for anything else are stale and dropped). */
  private settle(server: Server, id: number, trace: Trace): void {
    const pending = server.pending;
    if (!pending || pending.id !== id) return;
    server.pending = null;
    clearTimeout(pending.backstop);
    pending.resolve(trace);
  }

  /** Kills a server; its pending trace, if any, is cancelled. */
  private end(server: Server): void {
    server.ending = true;
    if (this.server === server) this.server = null;
    const pending = server.pending;
    server.pending = null;
    if (pending) {
      clearTimeout(pending.backstop);
      pending.reject(new TraceCancelled());
    }
    server.child.kill("SIGKILL");
  }
}

function attemptParse(line: string): TraceResponse | null {
  try {
    return JSON.parse(line) as TraceResponse;
  } catch {
    return null;
  }
}

/** Calls `onLine` with each complete line of a stream. */
function readLines(stream: Readable, onLine: (line: string) => void): void {
  let buffer = "";
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.trim()) onLine(line);
    }
  });
}
