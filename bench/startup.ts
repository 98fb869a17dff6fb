// `npm run bench:startup`: how long `unroll run`, `trace` and `train --epochs 1` take from the command to its end
// (and to its first line of output), on a hello lesson and an LSTM lesson, against the same lessons in PyTorch
// (bench/torch/*.py, `python3 file.py`, the import of torch included). Each round runs every command once, in an
// order that alternates from round to round, so that the machine's load falls on both sides alike; the medians of
// --rounds (default 3) are printed with the load average before and after. Unroll is timed three ways:
//   cached:   the type check's cache holds the file's check (what a second command on an unchanged file does);
//   checked:  an empty cache, so the check runs beside the program (the first command after an edit);
//   no-check: --no-check.
//   npm run bench:startup [-- --rounds 5] [-- --python /usr/bin/python3] [-- --cases "run hello"]
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "../..");
const CLI = path.join(ROOT, "dist/cli.js");
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const rounds = Number(option("rounds", "3"));
const python = option("python", "/usr/bin/python3");
const only = option("cases", ""); // a part of the cases' names: --cases "run hello"
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-startup-"));
const runs = path.join(scratch, "runs");

interface Case {
  name: string;
  unroll: string[];
  torch?: string[];
}

const ALL_CASES: Case[] = [
  { name: "run hello_rnncell", unroll: ["run", "examples/hello_rnncell.ts"], torch: ["bench/torch/hello_rnncell.py"] },
  { name: "run 03_lstm", unroll: ["run", "examples/03_lstm.ts"], torch: ["bench/torch/lstm.py"] },
  { name: "trace 05a_hello_rnncell", unroll: ["trace", "examples/05a_hello_rnncell.ts"] },
  { name: "trace 07_forecast (LSTM)", unroll: ["trace", "examples/07_forecast.ts"] },
  {
    name: "train 05a_hello_rnncell",
    unroll: ["train", "examples/05a_hello_rnncell.ts", "--epochs", "1", "--runs", runs],
    torch: ["bench/torch/train_hello.py"],
  },
  { name: "train 07_forecast (LSTM)", unroll: ["train", "examples/07_forecast.ts", "--epochs", "1", "--runs", runs], torch: ["bench/torch/train_forecast.py"] },
];

const CASES = ALL_CASES.filter((c) => c.name.includes(only));

type Way = "torch" | "cached" | "checked" | "no-check";
interface Timing {
  total: number; // ms, from spawn to exit
  first: number; // ms, from spawn to the first byte on stdout
}

/** Runs a command to its end; rejects if it fails (a benchmark of a failing command measures nothing). */
function timed(command: string, commandArgs: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first = NaN;
    let stderr = "";
    const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.once("data", () => (first = performance.now() - started));
    child.stdout.resume();
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const total = performance.now() - started;
      if (code === 0) resolve({ total, first });
      else reject(new Error(`${command} ${commandArgs.join(" ")} exited with ${code}\n${stderr}`));
    });
  });
}

/** The type check's cache of the `cached` way: filled once, before the rounds. */
const warmCache = path.join(scratch, "cache");

function run(c: Case, way: Way): Promise<Timing> {
  if (way === "torch") return timed(python, c.torch!, process.env);
  const env = { ...process.env, UNROLL_CACHE_DIR: way === "cached" ? warmCache : fs.mkdtempSync(path.join(scratch, "cold-")) };
  return timed(process.execPath, [CLI, ...c.unroll, ...(way === "no-check" ? ["--no-check"] : [])], env);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const seconds = (ms: number) => (Number.isNaN(ms) ? "—" : (ms / 1000).toFixed(2));

async function main(): Promise<void> {
  if (!fs.existsSync(CLI)) throw new Error("run `node esbuild.mjs && npm run build:types` first");
  console.log(`${os.cpus().length} cores, Node ${process.version}, ${rounds} rounds; load average at the start: ${load()}`);
  for (const c of CASES) await run(c, "cached"); // fills the cache (and the OS's file cache) for the cached way
  const times = new Map<string, Timing[]>();
  const ways = (c: Case): Way[] => [...(c.torch ? (["torch"] as Way[]) : []), "cached", "checked", "no-check"];
  for (let round = 0; round < rounds; round++) {
    for (const c of CASES) {
      const order = round % 2 ? ways(c).reverse() : ways(c); // alternate who goes first
      for (const way of order) {
        const key = `${c.name}|${way}`;
        times.set(key, [...(times.get(key) ?? []), await run(c, way)]);
      }
    }
  }
  const header = ["case", "PyTorch", "cached", "checked", "no-check", "first line (cached)", "cached / PyTorch", "checked / PyTorch"];
  const rows = CASES.map((c) => {
    const med = (way: Way, what: keyof Timing = "total") => (times.has(`${c.name}|${way}`) ? median(times.get(`${c.name}|${way}`)!.map((t) => t[what])) : NaN);
    const ratio = (way: Way) => (c.torch ? `${(med(way) / med("torch")).toFixed(2)}x` : "—");
    return [
      c.name,
      seconds(med("torch")),
      seconds(med("cached")),
      seconds(med("checked")),
      seconds(med("no-check")),
      seconds(med("cached", "first")),
      ratio("cached"),
      ratio("checked"),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  "));
  console.log(`seconds, medians of ${rounds}; load average at the end: ${load()}`);
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
