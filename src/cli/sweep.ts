// `unroll sweep <file.ts> lr=0.01,0.03,0.1 hidden=16,32`: trains the experiment once per point of a grid (or of
// `--random K` points drawn from ranges), several at a time, each a normal run marked with the sweep; then a table
// of the points and the chosen metric, the best marked. The points are checked against the experiment's declared
// hparams (read by a trace) before anything starts.
import type { Hyperparameters, RunInfo } from "../common/protocol";
import { bestRunIndex, DEFAULT_SWEEP_METRIC, sweepValue } from "../common/sweep";
import { printable } from "../runs/run-file";
import { defaultRunsFolder } from "../runs/run-store";
import { DEFAULT_TIMEOUT_MS, TraceClient } from "../runs/trace-client";
import { trainOptions, type TrainOptions } from "../runs/train-contract";
import { checkPoints, describePoint, fitAxes, gridPoints, parseAxes, randomPoints, type Point } from "../runs/sweep-plan";
import { defaultParallel, startSweep, sweepId, type PointOutcome, type Sweep, type SweepEvent } from "../runs/sweep";
import { t } from "../runs/l10n";
import { EXIT, formatRunnerError, relative, stringOption, usageError, type Command, type Help, type Parsed } from "./args";
import { untilDone } from "./output";
import { table } from "./runs";
import { formatMetrics } from "./train";

const help = (): Help => ({
  synopsis:
    "unroll sweep <file.ts> NAME=V1,V2… [NAME=LOW:HIGH]… [--random K] [--seed S] [--parallel N] [--metric NAME] [--epochs N] [--backend NAME] [--runs DIR] [--json]",
  about: [t("Trains the experiment once per point: every combination of the values (a grid), or K points drawn at random.")],
  options: [
    ["NAME=V1,V2,…", t("values of a declared hparam (checked as --set checks them)")],
    [
      "NAME=LOW:HIGH",
      t(
        "a range, for --random: whole numbers for a whole-number hparam; a log scale when both ends\nare above 0 and HIGH ≥ 100 × LOW (log:LOW:HIGH or lin:LOW:HIGH choose)",
      ),
    ],
    ["--random K", t("K points drawn from the ranges and lists instead of the grid")],
    ["--seed S", t("the seed of --random (default: drawn, and printed)")],
    ["--parallel N", t("runs at once (default: the number of cores, {0} here)", defaultParallel())],
    ["--metric NAME", t("the metric the summary compares (default: loss), at its best epoch")],
    ["--epochs N, --backend NAME, --runs DIR", t("as for unroll train, for every run")],
    ["--json", t("print every run's events as JSON lines, each with its point")],
  ],
  notes: [t("Ctrl-C stops every run after its current step and starts no more; finished runs are kept (exit code 3).")],
});

/** The sweep's own options; the others go to every run as `unroll train` reads them. */
const OWN = ["random", "seed", "parallel", "metric", "json", "help"];

/** The points to run, from the command line and the declared hparams; throws saying what is wrong. */
export function planPoints(
  axisTexts: string[],
  options: Parsed["options"],
  declared: Readonly<Hyperparameters>,
): { points: Point[]; names: string[]; seed?: number } {
  const axes = fitAxes(parseAxes(axisTexts), declared);
  const names = axes.map((a) => a.name);
  const random = stringOption(options, "random");
  if (options.random !== undefined && random === undefined) throw new Error(t("--{0} needs a value", "random"));
  if (random === undefined) {
    const points = gridPoints(axes);
    checkPoints(declared, points);
    return { points, names };
  }
  const seedText = stringOption(options, "seed");
  const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(t("--seed takes a whole number, got '{0}'", String(seedText)));
  const points = randomPoints(axes, Number(random), seed);
  checkPoints(declared, points);
  return { points, names, seed };
}

/** The experiment's declared hparams, from a trace of the file; a RunnerError's text when it cannot be traced. */
async function declaredHparams(options: TrainOptions): Promise<{ hparams: Hyperparameters } | { error: string }> {
  const client = new TraceClient({ backend: options.backend });
  try {
    const trace = await client.trace(options.file, { timeoutMs: DEFAULT_TIMEOUT_MS * 6 });
    if (trace.experiment) return { hparams: trace.experiment.hparams ?? {} };
    if (trace.error) return { error: formatRunnerError(trace.error, options.file) };
    return { error: t("unroll: {0} exports no experiment (export default defineExperiment({ … })): nothing to sweep", relative(options.file)) };
  } finally {
    client.dispose();
  }
}

/** `[2/6] lr=0.03 hidden=16`: which point a line is about. */
const pointLabel = (index: number, size: number, point: Point) => `[${index + 1}/${size}] ${printable(describePoint(point))}`;

const status = (run: RunInfo | undefined) => run?.status ?? t("not run");

/** The summary: one row per point (its values, how it ended, the metric), the best marked with `*`. */
export function summaryTable(outcomes: readonly PointOutcome[], names: readonly string[], metric: string): string {
  const runs = outcomes.map((o) => o.result?.run ?? {});
  const best = bestRunIndex(runs, metric);
  const rows = outcomes.map((o, i) => {
    const value = o.result?.run && sweepValue(o.result.run, metric);
    return [
      i === best ? "*" : "",
      String(o.index + 1),
      ...names.map((n) => printable(o.point[n] ?? "")),
      status(o.result?.run),
      value ? String(Number(value.value.toPrecision(4))) : "-",
    ];
  });
  return table([["", "#", ...names.map(printable), t("status"), printable(metric)], ...rows]);
}

export const sweepCommand: Command = {
  summary: () => t("train a model file's experiment once per point of a grid or of random draws"),
  help,
  async run({ positional, options, lists }) {
    const [fileArg, ...axisTexts] = positional;
    if (!fileArg || !axisTexts.length) return usageError(this);
    let base: TrainOptions;
    let parallel: number;
    try {
      base = trainOptions({ positional: [fileArg], options: { ...options }, lists }, OWN);
      const p = stringOption(options, "parallel");
      parallel = p === undefined ? defaultParallel() : Number(p);
      if (!Number.isInteger(parallel) || parallel < 1) throw new Error(t("--{0} must be a positive integer, got '{1}'", "parallel", String(p)));
    } catch (error) {
      return usageError(this, `unroll: ${(error as Error).message}`);
    }
    const json = options.json !== undefined;
    const metric = stringOption(options, "metric") ?? DEFAULT_SWEEP_METRIC;
    const declared = await declaredHparams(base);
    if ("error" in declared) {
      console.error(declared.error);
      return EXIT.modelFailed;
    }
    let plan: ReturnType<typeof planPoints>;
    try {
      plan = planPoints(axisTexts, options, declared.hparams);
    } catch (error) {
      console.error(`unroll: ${(error as Error).message}`); // the points, not the command line's form: no usage
      return EXIT.usage;
    }
    const { points, names, seed } = plan;
    const size = points.length;
    const id = sweepId(base.file);
    if (!json) {
      console.log(t("Sweep {0}: {1} points of {2}, {3} at a time", printable(id), size, relative(base.file), Math.min(parallel, size)));
      if (seed !== undefined) console.log(t("drawn with --seed {0}", seed));
    }
    const show = (e: SweepEvent) => {
      if (json) {
        if (e.type === "point-event") process.stdout.write(JSON.stringify({ point: e.index, ...e.event }) + "\n");
        return;
      }
      const label = pointLabel(e.index, size, points[e.index]);
      if (e.type === "point-start") console.log(t("{0}: started", label));
      else if (e.type === "point-end") {
        const run = e.result.run;
        const how = run
          ? `${status(run)}${run.finalLoss !== undefined ? `  ${t("loss {0}", run.finalLoss.toFixed(4))}` : ""}  ${formatMetrics(run.finalMetrics)}`
          : "";
        console.log(`${label}: ${how.trimEnd() || t("ended without a run")}`);
        if (e.result.error) console.error(formatRunnerError(e.result.error, base.file));
      }
    };

    const sweep: Sweep = startSweep({ base, points, names, parallel, id }, show);
    const { result: outcomes, interrupted } = await untilDone(sweep, () => {
      if (!json) console.log(t("stopping every run after its step… (Ctrl-C again to end them now)"));
    });

    if (!json) {
      console.log("");
      console.log(summaryTable(outcomes, names, metric));
      const best = bestRunIndex(
        outcomes.map((o) => o.result?.run ?? {}),
        metric,
      );
      const run = outcomes[best]?.result?.run;
      if (run)
        console.log(
          t(
            "best: {0} ({1} {2}), run {3}",
            printable(describePoint(outcomes[best].point)),
            printable(metric),
            Number(sweepValue(run, metric)!.value.toPrecision(4)),
            printable(run.id),
          ),
        );
      console.log(t("runs stored in {0}", relative(base.runsFolder ?? defaultRunsFolder(base.file))));
    }
    return exitCode(outcomes, interrupted);
  },
};

/** 0 when every point completed, 3 when stopped, 1 when one failed. */
function exitCode(outcomes: readonly PointOutcome[], stopped: boolean): number {
  if (outcomes.every((o) => o.result?.run?.status === "completed")) return EXIT.ok;
  if (stopped) return EXIT.stopped;
  return EXIT.modelFailed;
}
