// `npm run bench:runs`: how long listing the run store takes (listRuns: what `unroll runs` and the Runs view
// read), on synthetic runs in a temporary folder:
//   cold: no summary.json yet (runs written before it existed, or deleted): every metrics.jsonl is read
//         once and the summaries are written back;
//   warm: summaries present: run.json, summary.json and the metrics lines written since (none here).
// Then the same for a few long runs (10 runs of 60,000 steps by default), and opening one of them
// (readRunDetail: the whole metrics.jsonl, downsampled for display). Then one run with a 2 GB metrics.jsonl of
// real lines (a sparse file would be NUL bytes, not lines), without summary.json: listed (rebuilding it), listed
// again, and opened, each in a child process of its own, with the time and the peak RSS and heap.
//   npm run bench:runs [-- --runs 1000 --steps 500 --long-runs 10 --long-steps 60000 --big-gb 2]
import { execFileSync } from "node:child_process";
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

/** One run of `gb` GB of metrics.jsonl: step lines with six gradient norms, an epoch line every 1,000 steps,
 *  written in 8 MiB blocks (no summary.json). */
function makeBigRun(folder: string, gb: number): string {
  const id = "20260102-000000-big";
  const dir = path.join(folder, id);
  fs.mkdirSync(path.join(dir, "snapshots"), { recursive: true });
  const fd = fs.openSync(path.join(dir, "metrics.jsonl"), "w");
  const names = ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0", "fc.weight", "fc.bias"];
  let written = 0;
  let step = 0;
  while (written < gb * 1e9) {
    let block = "";
    while (block.length < 8 * 1024 * 1024) {
      step++;
      const epoch = Math.ceil(step / 1000);
      const loss = 2 / Math.sqrt(step) + 0.01 * Math.sin(step);
      const norms = names.map((n, i) => `"${n}":${(0.1 + 0.01 * Math.sin(step + i)).toPrecision(6)}`).join(",");
      block += `{"type":"step","epoch":${epoch},"step":${step},"loss":${loss},"lr":0.001,"time":${step / 1000},"gradNorms":{${norms}}}\n`;
      if (step % 1000 === 0)
        block += `{"type":"epoch","epoch":${epoch},"loss":${loss},"metrics":{"accuracy":${Math.min(1, step / 1e7)},"predicted":"ohlol"},"time":${step / 1000}}\n`;
    }
    written += fs.writeSync(fd, block);
  }
  fs.closeSync(fd);
  const info: RunInfo = {
    id,
    name: "big",
    file: "/bench/model.ts",
    status: "completed",
    pid: 1,
    backend: "wasm",
    backendName: "wasm",
    startedAt: "2026-01-02T00:00:00.000Z",
    config: { epochs: Math.ceil(step / 1000), model: "LSTM(4, 8)", parameterCount: 416, optimizer: "Adam", snapshotEvery: 0 },
  };
  fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify(info, null, 2));
  return dir;
}

/** In a child process (`--measure list|open DIR`): lists or opens, prints time, peak RSS and peak heap as JSON. */
async function measure(what: string, target: string): Promise<void> {
  let heap = 0;
  const sample = () => (heap = Math.max(heap, process.memoryUsage().heapUsed));
  const timer = setInterval(sample, 20);
  const start = performance.now();
  const result =
    what === "list"
      ? (await listRuns(target)).map((r) => `${r.info.status}, ${r.lossCurve.length} points${r.damaged ? `, damaged: ${r.damaged}` : ""}`).join("")
      : await readRunDetail(target).then((d) => `${d.steps.length} of ${d.stepsOnDisk ?? d.steps.length} steps drawn, ${d.epochs.length} epochs`);
  const ms = performance.now() - start;
  clearInterval(timer);
  sample();
  const { user, system } = process.cpuUsage();
  console.log(JSON.stringify({ ms, cpu: (user + system) / 1000, rss: process.resourceUsage().maxRSS * 1024, heap, result }));
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

function benchBig(gb: number): string[] {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-big-"));
  try {
    const dir = makeBigRun(folder, gb);
    const size = fs.statSync(path.join(dir, "metrics.jsonl")).size;
    const run = (what: string, target: string) => {
      const out = JSON.parse(execFileSync(process.execPath, [process.argv[1], "--measure", what, target], { encoding: "utf8" }));
      return `${(out.ms / 1000).toFixed(1).padStart(6)} s (CPU ${(out.cpu / 1000).toFixed(1)} s)   peak RSS ${MB(out.rss).padStart(7)}   peak heap ${MB(out.heap).padStart(7)}   (${out.result})`;
    };
    return [
      `One run, metrics.jsonl ${MB(size)}:`,
      `  list, no summary.json (rebuilt) ${run("list", folder)}`,
      `  list again                      ${run("list", folder)}`,
      `  open (readRunDetail)            ${run("open", dir)}`,
    ];
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const measuring = args.indexOf("--measure");
  if (measuring >= 0) return measure(args[measuring + 1], args[measuring + 2]);
  const runs = option("runs", 1000);
  const steps = option("steps", 500);
  const longRuns = option("long-runs", 10);
  const longSteps = option("long-steps", 60_000);
  console.log(`Listing the run store (listRuns), on ${os.cpus().length} CPUs, node ${process.version}`);
  if (runs > 0) console.log(await bench(`${runs} runs × ${steps} steps`, runs, steps));
  if (longRuns > 0) console.log(await bench(`${longRuns} runs × ${longSteps} steps`, longRuns, longSteps));
  const gb = option("big-gb", 2);
  if (gb > 0) console.log(benchBig(gb).join("\n"));
}

void main();
