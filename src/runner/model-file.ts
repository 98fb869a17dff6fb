// Compiles and loads a user's model file (.ts importing "unroll").
//
// esbuild (compiler.ts) bundles the file with inline source maps and leaves "unroll" external; at load time "unroll"
// resolves to the very library bundle this process runs (dist/nn/index.js), so the user's modules, the
// runner's hooks and the backend are one instance. Stack traces map back to the user's .ts lines.
import type { BuildFailure } from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Module from "node:module";
import type { RunnerError, ShapeProblem, SourceLocation } from "../common/protocol";
import { build } from "./compiler";
import { locationIn } from "../runs/location";
import { TENSOR_METHODS, nearestTensorMethod } from "../nn/tensor-methods";

export { locationIn };

/** Where "unroll" resolves: the library bundle beside this one. */
export const LIBRARY = path.join(__dirname, "nn", "index.js");

type Resolve = (request: string, parent: unknown, isMain: boolean, options: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve; _nodeModulePaths(dir: string): string[] };

let resolverInstalled = false;
/** Makes `require("unroll")` (the user's and the runner's) load LIBRARY. Call before anything loads it. */
export function installUnrollResolver(): void {
  if (resolverInstalled) return;
  resolverInstalled = true;
  const resolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request, ...rest) {
    return request === "unroll" ? LIBRARY : resolve.call(this, request, ...rest);
  };
}

export class CompileError extends Error {
  override name = "CompileError";
  constructor(readonly diagnostics: (SourceLocation & { message: string })[]) {
    super(diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`).join("\n"));
  }
}

/** Bundles the model file to CommonJS (throws CompileError with positions on syntax or resolution errors). */
export async function compileModelFile(file: string): Promise<string> {
  // Paths in the source map are relative to the working directory, and Node resolves them against the file:
  // both must be the file's folder, or stack traces name a file that does not exist when run from elsewhere.
  const dir = path.dirname(path.resolve(file));
  try {
    const result = await build({
      absWorkingDir: dir,
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: "node",
      format: "cjs",
      target: "node20",
      sourcemap: "inline",
      sourcesContent: false,
      keepNames: true,
      external: ["unroll", "@tensorflow/*"],
      logLevel: "silent",
    });
    return result.outputFiles[0].text;
  } catch (error) {
    const failure = error as BuildFailure;
    if (!failure.errors) throw error;
    throw new CompileError(
      failure.errors.map((e) => ({
        file: e.location ? path.resolve(dir, e.location.file) : file,
        line: e.location?.line ?? 1,
        column: (e.location?.column ?? 0) + 1,
        message: e.text,
      })),
    );
  }
}

/** How many frames an error's stack keeps: enough to reach the user's line from deep inside the library. */
const USER_FRAME_DEPTH = 50;

/** Runs compiled code as the module `file` (top-level code runs now) and returns its exports. */
export function loadCompiled(file: string, code: string): Record<string, unknown> {
  // Source maps are turned on here, after the library has loaded: Node parses a module's inline map as it loads,
  // and the library's (8 MB) would add ~0.3 s to every process start, for frames that are never shown.
  process.setSourceMapsEnabled(true);
  // Errors are located by the user's frame in their stack, and TensorFlow.js raises some (a reshape to the wrong
  // size) ten frames below it, past V8's default of 10. The file may still set its own limit.
  if (Error.stackTraceLimit < USER_FRAME_DEPTH) Error.stackTraceLimit = USER_FRAME_DEPTH;
  const m = new Module(file) as Module & { _compile(code: string, file: string): void };
  m.filename = file;
  m.paths = moduleInternals._nodeModulePaths(path.dirname(file));
  m._compile(code, file);
  loaded.set(file, m);
  return m.exports as Record<string, unknown>;
}

/** The module last loaded for each file, kept: Node keeps a module's source map only while the module lives, and
 *  stacks taken later (an error thrown from a callback, the watchdog's) must still map. */
const loaded = new Map<string, Module>();

/** The file a source map's `sources` entry names: a URL relative to the compiled file's folder, in which esbuild
 *  percent-encodes non-ASCII letters and parentheses (`%E5%BE%AA….ts`, `rnn%281%29.ts`). */
export function sourcePath(source: string, dir: string): string {
  try {
    return fileURLToPath(new URL(source, pathToFileURL(dir + path.sep)));
  } catch {
    return path.resolve(dir, source);
  }
}

/** The user's part of a stack: frames in their file, without the runner's and the library's. */
export function userStack(error: unknown, file: string): string {
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  const [head, ...frames] = text.split("\n");
  const mine = frames.filter((f) => f.includes(file));
  return [head, ...mine].join("\n");
}

/** A thrown value as a RunnerError located in the user's file. */
export function describeError(error: unknown, file: string): RunnerError {
  if (error instanceof CompileError) {
    const first = error.diagnostics[0];
    return { kind: "compile", message: first.message, location: { file: first.file, line: first.line, column: first.column } };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const kind = e.name === "ShapeError" ? "shape" : e.name === "OptionError" || e.name === "UsageError" ? "usage" : "runtime";
  const location = locationIn(e.stack, file);
  const message = (e.name === "Error" ? e.message : `${e.name}: ${e.message}`) + (location ? notAFunctionAdvice(e, location) : "");
  return { kind, message, location: location ?? undefined, stack: userStack(e, file), ...(kind === "shape" && { shape: shapeProblem(e) }) };
}

/** A ShapeError's fields (read by name: the model file's copy of the library may be another module instance). */
function shapeProblem(e: Error): ShapeProblem {
  const { module, operand, got, expected } = e as Error & {
    module: string;
    operand: string;
    got: readonly number[];
    expected?: { lastDim: number; name: string } | { shape: readonly number[] };
  };
  const plain = expected && ("shape" in expected ? { shape: [...expected.shape] } : { lastDim: expected.lastDim, name: expected.name });
  return { module: String(module), operand: String(operand), got: [...(got ?? [])], ...(plain && { expected: plain }) };
}

/** Advice for V8's "x.view is not a function": a method name of torch.Tensor, or one near it (tfjs's `argMax`,
 *  PyTorch's `index_select`, a typo), gets tensor advice; `layers.get(i)` gets the container's `layers[i]`. Only the
 *  message and the source are known here, not what `x` is. Empty for anything else: a module is called as in
 *  PyTorch, so `rnn(x)` failing means `rnn` is not one, and no advice is better than a wrong one. */
export function notAFunctionAdvice(e: Error, at: SourceLocation): string {
  if (e.name !== "TypeError" || !/ is not a function( or its return value is not iterable)?$/.test(e.message)) return "";
  let line: string;
  try {
    line = fs.readFileSync(at.file, "utf8").split(/\r?\n/)[at.line - 1] ?? "";
  } catch {
    return "";
  }
  // V8 points at the called name: the last one of `x.view` or `this.h.view`.
  const call = /^([A-Za-z_$][\w$]*)\s*\(/.exec(line.slice(at.column - 1));
  const receiver = /([\w$.]*)\.$/.exec(line.slice(0, at.column - 1))?.[1];
  if (!call || !receiver || receiver === "this") return ""; // `this.rnn(x)`: a missing attribute, not a method
  const rest = line.slice(at.column - 1 + call[0].length);
  let depth = 1;
  let end = 0;
  for (; end < rest.length; end++) {
    if (rest[end] === "(") depth++;
    else if (rest[end] === ")" && --depth === 0) break;
  }
  const args = depth === 0 ? rest.slice(0, end) : "…"; // the arguments, when they close on this line
  return methodAdvice(receiver, call[1], args);
}

/** Advice for `receiver.name(args)` when `name` is, or is near, a torch.Tensor method or a container's. */
function methodAdvice(receiver: string, name: string, args: string): string {
  if (name === "get") return `: modules in a ModuleList or Sequential are ${receiver}[${args}], as in PyTorch`;
  if ((TENSOR_METHODS as readonly string[]).includes(name)) {
    return `: ${receiver} is not a torch.Tensor (a TensorFlow.js tensor has no method ${name}); torch.fromTf(${receiver}) makes one`;
  }
  const nearest = nearestTensorMethod(name);
  return nearest ? `: tensors have no method ${name}; did you mean ${receiver}.${nearest}(…)?` : "";
}

/** Compiles and runs a model file's top level; errors come back located, never thrown. */
export async function runModelFile(file: string): Promise<{ exports: Record<string, unknown> } | { error: RunnerError }> {
  try {
    return { exports: loadCompiled(file, await compileModelFile(file)) };
  } catch (error) {
    return { error: describeError(error, file) };
  }
}

/** Makes `process.exit` throw (`why` says what it would have ended) while a model file's code runs, so that the
 *  error is the model file's, located at the call; the function returned restores it. */
export function refuseProcessExit(why: (call: string) => string): () => void {
  const exit = process.exit;
  process.exit = ((code?: number | string | null) => {
    throw new Error(why(`process.exit(${code ?? ""})`));
  }) as typeof process.exit;
  return () => {
    process.exit = exit;
  };
}

/** A function, not a module: modules are callable too, but not instances of Function. */
export function isPlainFunction(value: unknown): value is () => unknown {
  return typeof value === "function" && value instanceof Function;
}

/** A scratchpad's entry point: its default export (or `main`) when that is a function, run after its top level. */
export function mainFunction(exports: Record<string, unknown>): (() => unknown) | undefined {
  const main = exports.default ?? exports.main;
  return isPlainFunction(main) ? main : undefined;
}
