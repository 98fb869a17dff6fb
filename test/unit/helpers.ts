// Shared by the unit tests: fixtures, tolerances, and the backend every test runs on.
import { after, before } from "node:test";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { nn, tf, useBackend, parseSafetensors, Tensor as TorchTensor } from "unroll";
import type { RunInfo } from "../../src/common/protocol";
import { parseTrainArgs, trainArgs, type TrainOptions } from "../../src/runs/train-contract";
type Tensor = tf.Tensor;

// The type check's cache of this test process and the CLI runs it starts: theirs, not the user's ~/.cache/unroll.
process.env.UNROLL_CACHE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "unroll-cache-"));

export const FIXTURES = path.join(__dirname, "../../../test/fixtures/parity");

/** The backend the unit tests use: the embedded default unless UNROLL_BACKEND says otherwise, with the native
 *  kernels when they load (unless UNROLL_NATIVE=0). */
export async function setupBackend(): Promise<void> {
  await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
}

/** The same backend with the native kernels required (true; throws when they cannot be used) or off (false). */
export async function setupBackendWithNative(native: boolean): Promise<void> {
  await useBackend(process.env.UNROLL_BACKEND ?? "wasm", { native });
}

/** For a describe() of native-kernel tests: in `before`, requires the native kernels; the getter says why they
 *  are unavailable (for `t.skip`), or throws under UNROLL_NATIVE=1, where they must be there. */
export function requireNativeKernels(): () => string | null {
  return withNativeKernels(true);
}

/** For a describe() on the native kernels (true) or on tfjs ops (false): as requireNativeKernels. */
export function withNativeKernels(native: boolean): () => string | null {
  let unavailable: string | null = null;
  before(async () => {
    try {
      await setupBackendWithNative(native);
    } catch (error) {
      if (process.env.UNROLL_NATIVE === "1") throw error;
      unavailable = (error as Error).message;
    }
  });
  after(setupBackend);
  return () => unavailable;
}

export interface FixtureCase {
  name: string;
  kind: "sequence" | "cell" | "model" | "loss" | "optimizer" | "clip";
  file: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind of case has its own fields (index.json)
  [key: string]: any;
}

export function fixtureCases(kind: FixtureCase["kind"]): FixtureCase[] {
  const index = JSON.parse(fs.readFileSync(path.join(FIXTURES, "index.json"), "utf8")) as { cases: FixtureCase[] };
  return index.cases.filter((c) => c.kind === kind);
}

export function loadFixture(c: FixtureCase): Record<string, Tensor> {
  return parseSafetensors(fs.readFileSync(path.join(FIXTURES, c.file))).tensors;
}

const SEQUENCE = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU } as const;

/** The sequence module of a parity case, with the fixture's parameters. */
export function sequenceModule(c: FixtureCase, f: Record<string, Tensor>): nn.RNN | nn.LSTM | nn.GRU {
  const o = c.options;
  const module = new SEQUENCE[c.module as keyof typeof SEQUENCE](o.inputSize, o.hiddenSize, {
    numLayers: o.numLayers,
    ...(c.module === "RNN" ? { nonlinearity: o.nonlinearity } : {}),
    bias: o.bias,
    batchFirst: o.batchFirst,
    bidirectional: o.bidirectional,
    projSize: o.projSize,
  });
  module.loadStateDict(withPrefix(f, "param"));
  return module;
}

/** Entries under `prefix.`, without the prefix: `param.weight_ih_l0` → `weight_ih_l0`. */
export function withPrefix<T>(tensors: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k.startsWith(prefix + "."))
      .map(([k, v]) => [k.slice(prefix.length + 1), v]),
  );
}

/** A torch Tensor (a parameter, a result) or a tfjs tensor: what the comparisons below take. */
export type AnyTensor = Tensor | TorchTensor;

/** The tfjs tensor of either. */
export const tfOf = (t: AnyTensor): Tensor => (t instanceof TorchTensor ? t.tf : t);

/** The values of either, as numbers. */
export const values = (t: AnyTensor): number[] => Array.from(tfOf(t).dataSync() as ArrayLike<number>);

/** Largest absolute difference; shapes must match exactly. */
export function maxAbsDiff(actualGiven: AnyTensor, expectedGiven: AnyTensor, what: string): number {
  const [actual, expected] = [tfOf(actualGiven), tfOf(expectedGiven)];
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape ${JSON.stringify(actual.shape)} vs PyTorch's ${JSON.stringify(expected.shape)}`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]));
  if (Number.isNaN(worst) || a.some((v) => Number.isNaN(v))) return Infinity;
  return worst;
}

/** Within `tolerance` absolutely (forward values, optimizer steps). */
export function assertClose(actual: AnyTensor, expected: AnyTensor, tolerance: number, what: string): void {
  const d = maxAbsDiff(actual, expected, what);
  assert.ok(d <= tolerance, `${what}: differs from PyTorch by ${d.toExponential(2)} (tolerance ${tolerance})`);
}

/** Within `tolerance` relative to the largest magnitude of the expected tensor (gradients). */
export function assertRelClose(actual: AnyTensor, expected: AnyTensor, tolerance: number, what: string): void {
  const d = maxAbsDiff(actual, expected, what);
  const scale = Math.max(
    tf.tidy(() => tfOf(expected).abs().max().dataSync()[0]),
    1e-6,
  );
  assert.ok(d / scale <= tolerance, `${what}: differs from PyTorch by ${(d / scale).toExponential(2)} relative (tolerance ${tolerance})`);
}

export const FORWARD_TOL = 1e-5;
export const GRAD_TOL = 1e-4;
export const STEP_TOL = 1e-6;

// ---------------------------------------------------------------------------------------------------
// The CLI, as a person runs it

export const CLI = path.join(__dirname, "../../../dist/cli.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The processes whose command line names `text` (a test's own folder), from /proc. */
export function processesNaming(text: string): number[] {
  if (!fs.existsSync("/proc/self/cmdline")) return [];
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

/** Every CLI process a test started and did not see end: `killCliRuns()` (in an `after`) ends them. */
const running = new Set<ChildProcess>();

/** Runs `unroll …` (on the backend of the tests); `interruptAfter` sends SIGINT, as Ctrl-C would, once stdout has
 *  that text; `closeStdoutAfter` closes the reading end of its stdout then, as `| head -1` does (at once when it
 *  matches "": /^/). Resolves with the
 *  exit code and what it printed. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; interruptAfter?: RegExp; closeStdoutAfter?: RegExp } = {},
): Promise<CliRun> {
  // English, whatever the machine's locale, unless a test asks for a language (src/runs/language.ts).
  const env = { ...process.env, UNROLL_BACKEND: process.env.UNROLL_BACKEND ?? "wasm", UNROLL_LANGUAGE: "en", ...options.env };
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? path.join(__dirname, "../../.."), env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  if (options.closeStdoutAfter?.test("")) child.stdout.destroy();
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d;
    if (options.interruptAfter?.test(stdout) && !child.killed) child.kill("SIGINT");
    if (options.closeStdoutAfter?.test(stdout)) child.stdout.destroy();
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

export function killCliRuns(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** What `run` prints through console.log and console.error (kept from the terminal), and what it returns: a
 *  command run in this process (`runsCommand.run(…)`). */
export async function printedBy<T>(run: () => Promise<T>): Promise<{ value: T; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (text: string) => out.push(text);
  console.error = (text: string) => err.push(text);
  try {
    return { value: await run(), out, err };
  } finally {
    Object.assign(console, { log, error });
  }
}

/** Writes a small experiment to `file`: Linear(4, 2) learning random data with SGD, `batches` batches of 8 per epoch,
 *  and `evaluate` (source text) when given. */
export function writeLinearExperiment(
  file: string,
  { name, epochs = 1_000_000, batches = 1, evaluate }: { name: string; epochs?: number; batches?: number; evaluate?: string },
): string {
  fs.writeFileSync(
    file,
    `import { defineExperiment, nn, optim, torch, tf } from "unroll";
export default defineExperiment({
  name: ${JSON.stringify(name)},
  epochs: ${epochs},
  model: () => new nn.Linear(4, 2),
  data: () => ({ train: Array.from({ length: ${batches} }, () => [torch.randn([8, 4]), torch.randn([8, 2])] as [tf.Tensor, tf.Tensor]) }),
  loss: () => new nn.MSELoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.01 }),${evaluate ? `\n  evaluate: ${evaluate},` : ""}
});
`,
  );
  return file;
}

/** A name with CJK, a space, parentheses and an emoji: what every reader of names is tried with. */
export const HOSTILE_NAME = "循环 网络(1) 🧪";

/** A completed run's run.json for a model file named HOSTILE_NAME in `root`; `patch` changes any field. */
export function hostileRunInfo(root: string, id: string, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    name: HOSTILE_NAME,
    file: path.join(root, `${HOSTILE_NAME}.ts`),
    status: "completed",
    pid: 0,
    backend: "wasm",
    backendName: "wasm",
    startedAt: "2026-01-01T00:00:00.000Z",
    config: { epochs: 3, model: "LSTM(4, 8)", parameterCount: 416, optimizer: "Adam", snapshotEvery: 50 },
    ...patch,
  };
}

/** How a command line that sets only `set` reads back: every other training option undefined. */
export function onlySet(set: TrainOptions): TrainOptions {
  const unset = ["epochs", "backend", "snapshotEvery", "runsFolder", "dataTimeout", "vanishingRatio", "explodingRatio"] as const;
  return { ...Object.fromEntries(unset.map((name) => [name, undefined])), ...set };
}

/** `options` written on the training process's command line reads back as it was, the options it leaves unset undefined. */
export function assertRoundTrip(options: TrainOptions): void {
  assert.deepEqual(parseTrainArgs(trainArgs(options)), onlySet(options));
}

/** The budget of a trace meant to time out: long enough for its compile and its first lines on a busy machine (they
 *  count in it), so that it times out where the test says; UNROLL_TEST_TRACE_BUDGET_MS gives another. */
export const TIMEOUT_BUDGET_MS = Number(process.env.UNROLL_TEST_TRACE_BUDGET_MS) || 4500;
/** `4.5`: the budget in seconds, as the messages write it. */
export const TIMEOUT_BUDGET_S = String(TIMEOUT_BUDGET_MS / 1000);
