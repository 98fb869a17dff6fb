// `npm run bench:trace`: how long a shape trace takes, for every model file in examples/ (scratchpads, and
// experiments traced through one training step), through the tracing process as the editor uses it:
//   cold:   a fresh server (TensorFlow.js and the backend loading) and its first trace of the file;
//   warm:   re-traces of the same saved file by that server (the median of a few);
//   edited: re-traces after an edit inside the model's `forward` (a new statement each time), as when the user
//           saves while writing the model: an experiment's example batch is kept, so `data()` does not run.
// Prints a table against the targets (cold < 1.5 s, warm and edited < 300 ms).
//   npm run bench:trace [-- --backend wasm|cpu|… --runs 5]
import * as fs from "node:fs";
import * as path from "node:path";
import type { Trace } from "../src/common/protocol";
import { TraceClient } from "../src/runs/trace-client";
import { option } from "./lib/measure";

const ROOT = path.join(__dirname, "../..");
const SERVER = path.join(ROOT, "dist/trace-server.js");
const TARGETS = { cold: 1500, warm: 300 };

const backend = option("backend");
const runs = Number(option("runs") ?? 3);

function examples(): string[] {
  const dir = path.join(ROOT, "examples");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f))
    .sort();
}

/** The source with one more statement inside `forward` (or, with no model class, at the end). */
function edited(source: string, n: number): string {
  const lines = source.split("\n");
  const at = lines.findIndex((l) => /^\s*(override\s+)?forward\(/.test(l));
  if (at < 0) return `${source}\nvoid ${n};\n`;
  lines.splice(at + 1, 0, `    void ${n};`);
  return lines.join("\n");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mark = (x: number, target: number) => `${ms(x).padStart(8)} ${x < target ? "✓" : "✗"}`;

async function timed(client: TraceClient, file: string): Promise<[number, Trace]> {
  const started = performance.now();
  const trace = await client.trace(file);
  return [performance.now() - started, trace];
}

async function main(): Promise<void> {
  if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`node esbuild.mjs\` first`);
  const rows: string[][] = [];
  let backendName = "";
  for (const file of examples()) {
    const source = fs.readFileSync(file, "utf8");
    // The edited copy sits beside the original, so that its relative imports and data files resolve.
    const copy = path.join(path.dirname(file), `.bench-${path.basename(file)}`);
    const client = new TraceClient({ serverPath: SERVER, backend });
    try {
      const [cold, first] = await timed(client, file);
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) warm.push((await timed(client, file))[0]);
      fs.writeFileSync(copy, source);
      await client.trace(copy); // its first trace makes the example batch
      const edits: number[] = [];
      let batch = "";
      for (let i = 0; i < runs; i++) {
        fs.writeFileSync(copy, edited(source, i));
        const [time, trace] = await timed(client, copy);
        edits.push(time);
        batch = trace.experiment ? (trace.experiment.cached ? "kept" : `made (${trace.experiment.batchMs} ms)`) : "";
      }
      backendName = first.backend || backendName;
      const note = first.error ? `${first.error.kind}: ${first.error.message.split("\n")[0]}` : "";
      const kind = first.experiment ? "experiment" : "scratchpad";
      rows.push([
        path.basename(file),
        kind,
        String(first.entries.length),
        mark(cold, TARGETS.cold),
        mark(median(warm), TARGETS.warm),
        mark(median(edits), TARGETS.warm),
        batch,
        note,
      ]);
    } finally {
      client.dispose();
      fs.rmSync(copy, { force: true });
    }
  }
  const header = ["model file", "kind", "entries", `cold (<${TARGETS.cold})`, `warm (<${TARGETS.warm})`, `edited (<${TARGETS.warm})`, "example batch", "error"];
  const numeric = new Set([2, 3, 4, 5]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(`Shape traces on ${backendName || "?"}, warm and edited = median of ${runs} re-traces\n`);
  console.log([line(header), ...rows.map(line)].join("\n"));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
