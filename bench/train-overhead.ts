// The cost of training through the runner (dist/train.js: events, metrics file, snapshots, dynamics,
// checkpoints) against the bare loop (zeroGrad, backward, step) in one process, in steps per second.
//   node esbuild.mjs --bench && node out/bench/train-overhead.js [--backend wasm]
// Both sides train the same model on the same batches. The runner's times come from its step events, from
// its first step to its last, so process start-up and compilation are left out. Two figures per setup: the
// median interval between steps (robust to a shared machine's noise, blind to occasional snapshots) and
// the mean rate over the whole run (snapshots, dynamics and per-epoch checkpoints included), each the
// median of REPEATS interleaved runs.
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, nn, optim, backward, useBackend } from "unroll";
import * as tfTorch from "../src/nn/tf-torch"; // the tfjs-level factories: the closure-form cases run on tfjs tensors
import type { RunEvent } from "../src/common/protocol";

const args = process.argv.slice(2);
const backend = args.includes("--backend") ? args[args.indexOf("--backend") + 1] : "wasm";
const REPEATS = 5;

/** Step end times in seconds → [median ms between steps, steps per second over the run]. */
function rates(times: number[]): [number, number] {
  const gaps = times
    .slice(1)
    .map((t, i) => (t - times[i]) * 1000)
    .sort((a, b) => a - b);
  return [gaps[Math.floor(gaps.length / 2)], (times.length - 1) / (times[times.length - 1] - times[0])];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Case {
  name: string;
  input: number;
  hidden: number;
  seq: number;
  batch: number;
  batches: number; // per epoch
  epochs: number;
}

const CASES: Case[] = [
  { name: "hello: LSTM(4, 4), seq 5, batch 1", input: 4, hidden: 4, seq: 5, batch: 1, batches: 20, epochs: 15 },
  { name: "small: LSTM(16, 64), seq 20, batch 32", input: 16, hidden: 64, seq: 20, batch: 32, batches: 20, epochs: 5 },
];

/** The experiment as a model file: the same construction as `bare` below. */
const modelFile = (c: Case) => `import { defineExperiment, nn, optim, torch, tf } from "unroll";
class Net extends nn.Module {
  rnn = new nn.LSTM(${c.input}, ${c.hidden});
  fc = new nn.Linear(${c.hidden}, 3);
  forward(x: tf.Tensor) { const [out] = this.rnn.forward(x); return this.fc.forward(out.gather(${c.seq - 1})); }
}
export default defineExperiment({
  epochs: ${c.epochs},
  model: () => { torch.manualSeed(0); return new Net(); },
  data: () => ({ train: Array.from({ length: ${c.batches} }, () => [torch.randn([${c.seq}, ${c.batch}, ${c.input}]), torch.randint(0, 3, [${c.batch}])] as [torch.Tensor, torch.Tensor]) }),
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (p) => new optim.Adam(p, { lr: 0.01 }),
});
`;

function bare(c: Case): [number, number] {
  tfTorch.manualSeed(0);
  const rnn = new nn.LSTM(c.input, c.hidden);
  const fc = new nn.Linear(c.hidden, 3);
  const model = new nn.Sequential(rnn, fc);
  const data = Array.from({ length: c.batches }, () => [tfTorch.randn([c.seq, c.batch, c.input]), tfTorch.randint(0, 3, [c.batch])]);
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const times: number[] = [];
  for (let epoch = 0; epoch < c.epochs; epoch++) {
    for (const [x, y] of data) {
      tf.tidy(() => {
        optimizer.zeroGrad();
        backward(() => criterion.forward(fc.forward(rnn.forward(x)[0].gather(c.seq - 1)), y));
        optimizer.step();
      });
      times.push(performance.now() / 1000);
    }
  }
  model.dispose();
  optimizer.dispose();
  tf.dispose(data.flat());
  return rates(times);
}

function runner(file: string, snapshotEvery: number): Promise<[number, number]> {
  const entry = path.join(__dirname, "../../dist/train.js");
  const runs = path.join(path.dirname(file), "runs");
  const child = fork(entry, [file, "--backend", backend, "--snapshot-every", String(snapshotEvery), "--runs", runs], { stdio: "ignore", execArgv: [] });
  const times: number[] = [];
  child.on("message", (e: RunEvent) => {
    if (e.type === "step") times.push(e.time);
  });
  return new Promise((resolve) => child.on("exit", () => resolve(rates(times))));
}

async function main() {
  await useBackend(backend);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-"));
  console.log(`backend ${backend}; median ms between steps and mean steps/s, with their ratios to the bare loop (median of ${REPEATS} runs)`);
  for (const c of CASES) {
    const file = path.join(dir, `${c.name.split(":")[0]}.ts`);
    fs.writeFileSync(file, modelFile(c));
    const setups: [string, () => [number, number] | Promise<[number, number]>][] = [
      ["bare loop", () => bare(c)],
      ["runner, no snapshots", () => runner(file, 1_000_000)],
      ["runner, snapshots every 50 steps", () => runner(file, 50)],
      ["runner, snapshots every 10 steps", () => runner(file, 10)],
    ];
    const results: [number, number][][] = setups.map(() => []);
    for (let r = 0; r < REPEATS; r++) for (const [k, [, run]] of setups.entries()) results[k].push(await run());
    const figures = results.map((rs) => [median(rs.map((x) => x[0])), median(rs.map((x) => x[1]))]);
    console.log(`\n${c.name}: ${c.batches * c.epochs} steps, ${c.batches} per epoch`);
    console.log(`  ${"".padEnd(34)} ${"ms/step".padStart(8)} ${"ratio".padStart(6)} ${"steps/s".padStart(8)} ${"ratio".padStart(6)}`);
    for (const [k, [what]] of setups.entries()) {
      const [ms, rate] = figures[k];
      console.log(
        `  ${what.padEnd(34)} ${ms.toFixed(2).padStart(8)} ${(ms / figures[0][0]).toFixed(2).padStart(6)} ${rate.toFixed(1).padStart(8)} ${(rate / figures[0][1]).toFixed(2).padStart(6)}`,
      );
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
