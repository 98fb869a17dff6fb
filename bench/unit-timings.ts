// `npm run bench:timings`: the durations the unit tests used to assert (a test asserts behaviour, never a
// duration: machines are shared and noisy), measured here and printed against their targets.
//   CurveTable: 100,000 appended points (webview-logic.test.ts)                 target < 500 ms
//   describeParameter: a 2048×512 matrix with its gradient, warm (dynamics.test.ts) target < 500 ms
//   an endless loop traced with a 1 s budget: answered after (trace.test.ts)      target < 3000 ms
//   a re-trace of the same file by the same server: warm against cold (trace.test.ts) target warm < cold
//   a stop command: the training process ends after (train.test.ts)              target < 1000 ms
// Each figure is the median of --runs (default 3). Exit code 0 whatever the figures: it reports, it does not judge.
//   npm run bench:timings [-- --backend wasm|cpu|… --runs 5]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, useBackend } from "unroll";
import * as tfTorch from "../src/nn/tf-torch"; // the tfjs-level factories: the closure-form cases run on tfjs tensors
import { CurveTable } from "../webview/curves";
import { describeParameter } from "../src/runner/snapshot";
import { TraceClient } from "../src/runs/trace-client";
import { startTraining } from "../src/runs/train-client";
import { option } from "./lib/measure";

const ROOT = path.join(__dirname, "../..");
const DIST = path.join(ROOT, "dist");
const backend = option("backend") ?? process.env.UNROLL_BACKEND ?? "wasm";
const runs = Number(option("runs") ?? 3);
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-timings-"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function repeat(measure: () => Promise<number> | number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await measure());
  return median(xs);
}

function curveTable(): number {
  const t = new CurveTable(3);
  const start = performance.now();
  for (let i = 1; i <= 100_000; i++) t.set(0, i, 1 / i);
  const ms = performance.now() - start;
  if (t.x.length !== 100_000) throw new Error(`CurveTable kept ${t.x.length} points`);
  return ms;
}

function snapshot(): number {
  const value = tfTorch.randn([2048, 512]);
  const grad = tfTorch.randn([2048, 512]);
  try {
    describeParameter("w", value, grad); // warm-up
    const start = performance.now();
    describeParameter("w", value, grad, ["i", "f", "g", "o"]);
    return performance.now() - start;
  } finally {
    tf.dispose([value, grad]);
  }
}

function write(name: string, source: string): string {
  const file = path.join(TMP, `${name}.ts`);
  fs.writeFileSync(file, source);
  return file;
}

const SCRATCHPAD = `import { nn, torch } from "unroll";
const rnn = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true });
const [out, hN] = rnn.forward(torch.randn([10, 3, 100]));
`;

/** A trace of an endless loop with a 1 s budget, on a warm server: how long until the answer. */
async function traceTimeout(client: TraceClient): Promise<number> {
  const file = write("endless", `import { nn } from "unroll";\nconst rnn = new nn.RNN(4, 4);\nwhile (true) {}\n`);
  await client.trace(write("warm-up", SCRATCHPAD)); // the server loaded, so that only the budget is measured
  const start = performance.now();
  const trace = await client.trace(file, { timeoutMs: 1000 });
  const ms = performance.now() - start;
  if (trace.error?.kind !== "timeout") throw new Error(`expected a timeout, got ${JSON.stringify(trace.error)}`);
  return ms;
}

/** A fresh server's first trace of a file (cold) and its re-trace of it (warm). */
async function coldWarm(): Promise<{ cold: number; warm: number }> {
  const client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend });
  try {
    const file = write("warm", SCRATCHPAD);
    let start = performance.now();
    await client.trace(file);
    const cold = performance.now() - start;
    start = performance.now();
    const trace = await client.trace(file);
    const warm = performance.now() - start;
    if (trace.error) throw new Error(trace.error.message);
    return { cold, warm };
  } finally {
    client.dispose();
  }
}

const LONG_RUN = `import { defineExperiment, nn, optim, torch, tf } from "unroll";
class Net extends nn.Module {
  rnn = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  forward(x: tf.Tensor): tf.Tensor {
    const [out] = this.rnn.forward(x);
    return this.fc.forward(out.gather(out.shape[0] - 1));
  }
}
export default defineExperiment({
  name: "stopped",
  epochs: 100000,
  model: () => { torch.manualSeed(0); return new Net(); },
  data: () => ({ train: [0, 1, 2].map((i) => [torch.randn([5, 2, 4]), torch.tensor([i % 3, (i + 1) % 3])] as [torch.Tensor, torch.Tensor]) }),
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.01 }),
});
`;

/** A long training run stopped after its third step: ms from the stop command to the process's end. */
async function stopLatency(): Promise<number> {
  let third!: () => void;
  const reachedThird = new Promise<void>((resolve) => (third = resolve));
  const training = startTraining(
    { file: write("stopped", LONG_RUN), runsFolder: path.join(TMP, "runs"), backend },
    (event) => event.type === "step" && event.step === 3 && third(),
    path.join(DIST, "train.js"),
  );
  await Promise.race([reachedThird, training.done.then((r) => Promise.reject(new Error(`the run ended before step 3: ${JSON.stringify(r.error)}`)))]);
  const start = performance.now();
  training.stop();
  const result = await training.done;
  const ms = performance.now() - start;
  if (result.run?.status !== "stopped") throw new Error(`the run ended ${result.run?.status}, not stopped`);
  return ms;
}

async function main(): Promise<void> {
  for (const entry of ["trace-server.js", "train.js"]) {
    if (!fs.existsSync(path.join(DIST, entry))) throw new Error(`dist/${entry} is missing: run \`node esbuild.mjs\` first`);
  }
  await useBackend(backend);
  const rows: [string, number, number, string][] = [];
  rows.push(["CurveTable: 100,000 appended points", await repeat(curveTable), 500, "webview-logic.test.ts"]);
  rows.push(["describeParameter: 2048×512 with its gradient", await repeat(snapshot), 500, "dynamics.test.ts"]);
  const client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend });
  try {
    rows.push(["endless loop, 1 s budget: answered after", await repeat(() => traceTimeout(client)), 3000, "trace.test.ts"]);
  } finally {
    client.dispose();
  }
  const traces: { cold: number; warm: number }[] = [];
  for (let i = 0; i < runs; i++) traces.push(await coldWarm());
  const cold = median(traces.map((t) => t.cold));
  rows.push(["trace: a fresh server's first trace (cold)", cold, Infinity, "trace.test.ts"]);
  rows.push(["trace: its re-trace of the same file (warm)", median(traces.map((t) => t.warm)), cold, "trace.test.ts"]);
  rows.push(["training: ended after the stop command", await repeat(stopLatency), 1000, "train.test.ts"]);

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  const table = rows.map(([what, x, target, from]) => [
    what,
    ms(x),
    Number.isFinite(target) ? `< ${ms(target)}` : "",
    Number.isFinite(target) ? (x < target ? "✓" : "✗") : "",
    from,
  ]);
  const header = ["measurement", "median", "target", "", "was asserted in"];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(`Unit-test timings on ${backend}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}; median of ${runs}\n`);
  console.log([line(header), ...table.map(line)].join("\n"));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(TMP, { recursive: true, force: true }));
