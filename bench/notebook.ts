// `npm run bench:notebook`: the notebook kernel as the editor and `unroll run lesson.ipynb` use it, through
// NotebookClient:
//   start:  fork to ready (TensorFlow.js and the backend loading), for a few fresh kernels: the median;
//   cell:   a trivial cell (`1 + 1`) on a warm kernel, request to outcome: the median and the 90th percentile;
//   lesson: every code cell of examples/notebooks/01_rnncell_by_hand.ipynb on a warm kernel, in total.
// Prints them against the issue's targets (start < 2 s, warm cell < 50 ms).
//   npm run bench:notebook [-- --backend wasm|cpu|… --runs 50]
import * as fs from "node:fs";
import * as path from "node:path";
import { NotebookClient } from "../src/runs/notebook-client";
import { parseNotebook, type Notebook } from "../src/runs/ipynb";
import { option } from "./lib/measure";

const ROOT = path.join(__dirname, "../..");
const KERNEL = path.join(ROOT, "dist/notebook-kernel.js");
const LESSON = path.join(ROOT, "examples/notebooks/01_rnncell_by_hand.ipynb");
const TARGETS = { start: 2000, cell: 50 };

const backend = option("backend");
const runs = Number(option("runs") ?? 50);
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const newClient = () => new NotebookClient({ kernelPath: KERNEL, cwd: path.dirname(LESSON), backend });

async function main(): Promise<void> {
  const starts: number[] = [];
  let chosen = "";
  for (let i = 0; i < 3; i++) {
    const client = newClient();
    const { startMs, backend: name } = await client.start();
    starts.push(startMs);
    chosen = name;
    client.dispose();
  }
  const client = newClient();
  await client.start();
  await client.execute("0", "warm-up");
  const cells: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    const result = await client.execute("1 + 1", "bench");
    cells.push(performance.now() - began);
    if (result.status !== "ok" || result.value !== "2") throw new Error(`the trivial cell gave ${JSON.stringify(result)}`);
  }
  const lesson = parseNotebook(fs.readFileSync(LESSON, "utf8")) as Notebook;
  const began = performance.now();
  for (const cell of lesson.cells.filter((c) => c.type === "code")) await client.execute(cell.source, "lesson");
  const lessonMs = performance.now() - began;
  client.dispose();

  const row = (what: string, ms: number, target?: number) =>
    console.log(`${what.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms${target ? `   target < ${target} ms: ${ms < target ? "met" : "MISSED"}` : ""}`);
  console.log(`notebook kernel on ${chosen} (${runs} trivial cells, 3 starts)`);
  row("kernel start (fork to ready, median)", quantile(starts, 0.5), TARGETS.start);
  row("warm trivial cell (median)", quantile(cells, 0.5), TARGETS.cell);
  row("warm trivial cell (90th percentile)", quantile(cells, 0.9));
  row("lesson 01, every code cell (warm)", lessonMs);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
