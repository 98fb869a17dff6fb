// `npm run bench:trace`: how long a shape trace takes, for every scratchpad in examples/ (the model files that
// do not export an experiment), through the tracing process as the editor uses it:
//   cold: a fresh server (TensorFlow.js and the backend loading) and its first trace of the file;
//   warm: re-traces of the same saved file by that server (the median of a few).
// Prints a table against the targets (cold < 1.5 s, warm < 300 ms).
//   npm run bench:trace [-- --backend wasm|cpu|… --runs 5]
import * as fs from "node:fs";
import * as path from "node:path";
import { TraceClient } from "../src/runner/trace-client";

const ROOT = path.join(__dirname, "../..");
const SERVER = path.join(ROOT, "dist/trace-server.js");
const TARGETS = { cold: 1500, warm: 300 };

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const backend = option("backend");
const runs = Number(option("runs") ?? 3);

/** examples/*.ts whose top level is the whole program (experiments are trained, not traced as scratchpads). */
function scratchpads(): string[] {
  const dir = path.join(ROOT, "examples");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f))
    .filter((f) => !/\bdefineExperiment\b|^export default/m.test(fs.readFileSync(f, "utf8")))
    .sort();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mark = (x: number, target: number) => `${ms(x).padStart(8)} ${x < target ? "✓" : "✗"}`;

async function main(): Promise<void> {
  if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`node esbuild.mjs\` first`);
  const rows: string[][] = [];
  let backendName = "";
  for (const file of scratchpads()) {
    const client = new TraceClient({ serverPath: SERVER, backend });
    try {
      let started = performance.now();
      const first = await client.trace(file);
      const cold = performance.now() - started;
      const warm: number[] = [];
      for (let i = 0; i < runs; i++) {
        started = performance.now();
        await client.trace(file);
        warm.push(performance.now() - started);
      }
      backendName = first.backend || backendName;
      const note = first.error ? `${first.error.kind}: ${first.error.message.split("\n")[0]}` : "";
      rows.push([path.basename(file), String(first.entries.length), mark(cold, TARGETS.cold), mark(median(warm), TARGETS.warm), note]);
    } finally {
      client.dispose();
    }
  }
  const header = ["scratchpad", "entries", `cold (<${TARGETS.cold})`, `warm (<${TARGETS.warm})`, "error"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  console.log(`Shape traces on ${backendName || "?"}, warm = median of ${runs} re-traces\n`);
  console.log([line(header), ...rows.map(line)].join("\n"));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
