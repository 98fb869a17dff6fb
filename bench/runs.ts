// `npm run bench:runs`: how long listing the run store takes (listRuns: what `unroll runs` and the Runs view
// read), on synthetic runs in a temporary folder:
//   cold: no summary.json yet (runs written before it existed, or deleted): every metrics.jsonl is read
//         once and the summaries are written back;
//   warm: summaries present: run.json, summary.json and the metrics lines written since (none here).
// Then the same for a few long runs (10 runs of 60,000 steps by default), and opening one of them
// (readRunDetail: the whole metrics.jsonl, downsampled for display).
//   npm run bench:runs [-- --runs 1000 --steps 500 --long-runs 10 --long-steps 60000]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunInfo } from "../src/common/protocol";
import { listRuns, readRunDetail } from "../src/runs/run-store";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

/** `count` finished runs of `steps` steps each (10 steps an epoch), written as the training process would
 *  have written them, less summary.json. */
function makeRuns(folder: string, count: number, steps: number): void {
  for (let r = 0; r < count; r++) {
    const id = `20260101-${String(r).padStart(6, "0")}-bench`;
    const dir = path.join(folder, id);
    fs.mkdirSync(path.join(dir, "snapshots"), { recursive: true });
    const lines: string[] = [];
    for (let s = 1; s <= steps; s++) {
      const epoch = Math.ceil(s / 10);
      lines.push(JSON.stringify({ type: "step", epoch, step: s, loss: 2 / Math.sqrt(s) + 0.01 * Math.sin(s), lr: 0.001, time: s / 1000 }));
      if (s % 10 === 0) lines.push(JSON.stringify({ type: "epoch", epoch, loss: 2 / Math.sqrt(s), metrics: { accuracy: 0.9 }, time: s / 1000 }));
    }
    fs.writeFileSync(path.join(dir, "metrics.jsonl"), lines.join("\n") + "\n");
    const info: RunInfo = {
      id,
      name: "bench",
      file: "/bench/model.ts",
      status: "completed",
      pid: 1,
      backend: "wasm",
      backendName: "wasm",
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, r)).toISOString(),
      endedAt: new Date(Date.UTC(2026, 0, 1, 1, 0, r)).toISOString(),
      config: { epochs: steps / 10, model: "LSTM(4, 8)", parameterCount: 416, optimizer: "Adam", snapshotEvery: 50 },
      epoch: steps / 10,
      finalLoss: 0.1,
      finalMetrics: { accuracy: 0.9 },
    };
    fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify(info, null, 2));
  }
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(label: string, count: number, steps: number): Promise<string> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-runs-"));
  try {
    makeRuns(folder, count, steps);
    const [cold, runs] = await time(() => listRuns(folder));
    if (runs.length !== count) throw new Error(`listed ${runs.length} runs of ${count}`);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await time(() => listRuns(folder)))[0]);
    const [open, detail] = await time(() => readRunDetail(runs[0].dir));
    return `${label.padEnd(28)} cold ${cold.toFixed(0).padStart(6)} ms   warm ${median(warm).toFixed(0).padStart(5)} ms (median of 5)   open one ${open.toFixed(0).padStart(5)} ms (${detail.steps.length} of ${steps} steps shown)`;
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs = option("runs", 1000);
  const steps = option("steps", 500);
  const longRuns = option("long-runs", 10);
  const longSteps = option("long-steps", 60_000);
  console.log(`Listing the run store (listRuns), on ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(await bench(`${runs} runs × ${steps} steps`, runs, steps));
  console.log(await bench(`${longRuns} runs × ${longSteps} steps`, longRuns, longSteps));
}

void main();
