// `npm run bench:vanishing`: is lesson 9's gradient-health warning independent of rounding? Trains
// examples/09_vanishing_gradients.ts's `firstTokenExperiment` (09b: the RNN, 09c: the LSTM) with `unroll train --json`
// on every backend path (wasm; the native kernels on 1 and 2 threads; tfjs's plain cpu backend) and several seeds
// (model and data), and prints, for each run, the gradient warnings (count, first step, parameters, norm / median)
// and how close the run came to either threshold. The lesson holds when every RNN run warns and no LSTM run does.
//   npm run bench:vanishing [-- --seeds N] [--epochs N] [--paths wasm,native1,native2,cpu]
// Exit status 1 when the lesson does not hold somewhere.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { GradientWarning, RunEvent } from "../src/common/protocol";
import { MEDIAN_WINDOW, WARMUP_STEPS, median } from "../src/runner/gradient-health";
import { DEFAULT_EXPLODING_RATIO, DEFAULT_VANISHING_RATIO } from "../src/runs/train-contract";

const ROOT = path.join(__dirname, "../.."); // out/bench → the checkout
const CLI = path.join(ROOT, "dist/cli.js");
const LESSON = path.join(ROOT, "examples/09_vanishing_gradients");

const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const SEEDS = Number(arg("--seeds") ?? 5);
const EPOCHS = arg("--epochs");

interface Path {
  name: string;
  env: Record<string, string>;
  args: string[];
}
const PATHS: Path[] = [
  { name: "wasm", env: { UNROLL_NATIVE: "0" }, args: [] },
  { name: "native1", env: { UNROLL_NATIVE: "1", UNROLL_NATIVE_THREADS: "1" }, args: [] },
  { name: "native2", env: { UNROLL_NATIVE: "1", UNROLL_NATIVE_THREADS: "2" }, args: [] },
  { name: "cpu", env: { UNROLL_NATIVE: "0" }, args: ["--backend", "cpu"] },
];
const chosen = arg("--paths")?.split(",");

interface Outcome {
  backend: string;
  warnings: GradientWarning[];
  /** The lowest and highest norm / running median of any parameter (after warm-up): how near the thresholds a run
   *  without warnings came (the monitor's judging, less its hold on a vanished parameter). */
  lowest: { ratio: number; step: number; parameter: string };
  highest: { ratio: number; step: number; parameter: string };
  loss: number;
  pAnswer: number;
}

/** Each step's norm / running median, as src/runner/gradient-health.ts judges it: the extremes of a run. */
function extremes(steps: Extract<RunEvent, { type: "step" }>[]): Pick<Outcome, "lowest" | "highest"> {
  const history = new Map<string, number[]>();
  let lowest = { ratio: Infinity, step: 0, parameter: "" };
  let highest = { ratio: 0, step: 0, parameter: "" };
  for (const { step, gradNorms } of steps) {
    for (const [parameter, norm] of Object.entries(gradNorms ?? {})) {
      const past = history.get(parameter) ?? [];
      history.set(parameter, past);
      const med = past.length >= WARMUP_STEPS ? median(past) : 0;
      if (med > 0 && Number.isFinite(norm)) {
        const ratio = norm / med;
        if (ratio < lowest.ratio) lowest = { ratio, step, parameter };
        if (ratio > highest.ratio) highest = { ratio, step, parameter };
      }
      past.push(norm);
      if (past.length > MEDIAN_WINDOW) past.shift();
    }
  }
  return { lowest, highest };
}

/** One run of the lesson with `unroll train --json` in a temporary folder. */
async function train(kind: "rnn" | "lstm", seed: number, where: Path): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-vanishing-"));
  try {
    const file = path.join(dir, `09${kind === "rnn" ? "b" : "c"}_seed${seed}.ts`);
    fs.writeFileSync(
      file,
      `import { firstTokenExperiment } from ${JSON.stringify(LESSON)};\nexport default firstTokenExperiment({ kind: "${kind}", seed: ${seed} });\n`,
    );
    const args = [CLI, "train", file, "--json", "--no-check", "--runs", path.join(dir, "runs"), "--snapshot-every", "1000000", ...where.args];
    if (EPOCHS) args.push("--epochs", EPOCHS);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, args, { env: { ...process.env, ...where.env }, maxBuffer: 1 << 28 }, (error, out, err) =>
        error ? reject(new Error(`${where.name} ${kind} seed ${seed}: ${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const events = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as RunEvent);
    const start = events.find((e): e is Extract<RunEvent, { type: "start" }> => e.type === "start");
    const last = events.filter((e): e is Extract<RunEvent, { type: "epoch" }> => e.type === "epoch").at(-1);
    return {
      backend: start?.run.backend ?? "?",
      warnings: events.flatMap((e) => (e.type === "gradientWarning" ? [e.warning] : [])),
      ...extremes(events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step")),
      loss: last?.loss ?? NaN,
      pAnswer: Number(last?.metrics.pAnswer),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const short = (name: string) => name.replace(/^rnn\./, "").replace(/_l0$/, "");
const ratio = (r: number) => (r === Infinity ? "-" : r < 0.01 ? r.toExponential(0) : r.toPrecision(2));

/** `17 warnings, first at step 17: weight_ih, weight_hh, fc.weight (1e-10 … 2e-8 × median)`, or `none`. */
function describe(warnings: GradientWarning[]): string {
  if (!warnings.length) return "none";
  const first = warnings.filter((w) => w.step === warnings[0].step);
  const kinds = [...new Set(warnings.map((w) => w.kind))].join("+");
  const ratios = first.map((w) => w.norm / w.median);
  return `${warnings.length} ${kinds}, first at step ${first[0].step}: ${first.map((w) => short(w.parameter)).join(", ")} (${ratio(Math.min(...ratios))}…${ratio(Math.max(...ratios))} x median)`;
}

async function main(): Promise<void> {
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ");
  console.log(
    `Lesson 9's warnings: vanishing below ${DEFAULT_VANISHING_RATIO} x, exploding above ${DEFAULT_EXPLODING_RATIO} x the median of the last ${MEDIAN_WINDOW} steps (after ${WARMUP_STEPS}); load ${load()}\n`,
  );
  console.log("| path | seed | RNN: warnings | RNN loss | LSTM: warnings | LSTM: lowest, highest | LSTM loss, pAnswer |");
  console.log("|---|---|---|---|---|---|---|");
  let failures = 0;
  for (const where of PATHS.filter((p) => !chosen || chosen.includes(p.name))) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const rnn = await train("rnn", seed, where);
      const lstm = await train("lstm", seed, where);
      if (seed === 0) console.log(`| ${where.name}: ${rnn.backend.split(" — ")[0]} | | | | | | |`);
      const ok =
        rnn.warnings.some((w) => w.kind === "vanishing" && w.parameter === "rnn.weight_hh_l0") &&
        rnn.warnings.every((w) => w.kind === "vanishing") &&
        !lstm.warnings.length;
      if (!ok) failures++;
      console.log(
        `| ${where.name} | ${seed} | ${describe(rnn.warnings)} | ${rnn.loss.toFixed(3)} | ${describe(lstm.warnings)} | ${ratio(lstm.lowest.ratio)}, ${ratio(lstm.highest.ratio)} (${short(lstm.highest.parameter)} @${lstm.highest.step}) | ${lstm.loss.toFixed(3)}, ${lstm.pAnswer.toFixed(2)} |${ok ? "" : " FAIL"}`,
      );
    }
  }
  console.log(`\nload ${load()}; ${failures ? `${failures} run(s) where the lesson does not hold` : "the RNN warns and the LSTM does not, in every run"}`);
  process.exitCode = failures ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
