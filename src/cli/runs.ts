// `unroll runs [folder] [--json]`: the stored training runs, newest first: status, the hyperparameters that differ
// between them (those the same in all in one line under the table), the final loss and metrics, and the best value of
// each with its epoch, fitted to the terminal's width. `--json`: the same as JSON Lines, one run per line, every
// hyperparameter included.
import * as fs from "node:fs";
import * as path from "node:path";
import { printable } from "../runs/run-file";
import { blockedFolder, listRuns, RUNS_SUBFOLDER } from "../runs/run-store";
import { displayWidth, padColumns } from "../common/format";
import { ownValue, type BestMetric, type Hyperparameters, type RunStatus, type RunSummary } from "../common/protocol";
import { t } from "../runs/l10n";
import { EXIT, usageError, type Command } from "./args";
import { formatMetrics } from "./train";

/** The runs folder: `<folder>/.unroll/runs` when there is something of that name (a file there is refused by the
 *  caller, not passed over), else the folder itself (default: the current one). */
export function runsFolder(folder = "."): string {
  const inside = path.resolve(folder, RUNS_SUBFOLDER);
  try {
    fs.lstatSync(inside);
    return inside;
  } catch {
    return path.resolve(folder);
  }
}

/** `text` cut to `width` terminal columns, its last one `…` when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  for (const c of text) {
    if (displayWidth(out + c) > width - 1) break;
    out += c;
  }
  return out + "…";
}

/** The narrowest a cut column becomes: room for a few characters and the `…`. */
const MIN_COLUMN = 6;

/** Each column's width: its widest cell; when the line is wider than `maxWidth`, the widest columns are narrowed
 *  first, never below MIN_COLUMN (a terminal too narrow for that wraps the lines). */
export function columnWidths(rows: string[][], maxWidth?: number): number[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => displayWidth(r[c]))));
  if (maxWidth === undefined) return widths;
  const gaps = 2 * (widths.length - 1);
  let excess = widths.reduce((a, b) => a + b, 0) + gaps - maxWidth;
  while (excess > 0) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= MIN_COLUMN) break;
    widths[widest]--;
    excess--;
  }
  return widths;
}

/** Columns padded to their widest cell (the last one not padded), cells cut with `…` to fit `maxWidth` terminal
 *  columns when given (a terminal's; none when piped: every cell whole). */
export function table(rows: string[][], maxWidth?: number): string {
  const widths = columnWidths(rows, maxWidth);
  return rows
    .map((r) =>
      r
        .map((cell, c) => truncate(cell, widths[c]))
        .map((cell, c) => (c === r.length - 1 ? cell : padColumns(cell, widths[c])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A number as the table prints it: 4 significant digits. */
const number = (v: number) => String(Number(v.toPrecision(4)));
const cell = (v: number | string | boolean | undefined) => (v === undefined ? "-" : typeof v === "number" ? number(v) : String(v));

/** The hyperparameters (in first-seen order) whose values differ between the runs, and those every run has alike
 *  (one run alone: all of its own; none differ). */
export function splitHparams(runs: readonly RunSummary[]): { varying: string[]; same: [string, number | string | boolean][] } {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.info.hparams ?? {})))];
  const varying: string[] = [];
  const same: [string, number | string | boolean][] = [];
  for (const key of keys) {
    const values = runs.map((r) => ownValue(r.info.hparams, key));
    if (values.every((v) => v !== undefined && v === values[0])) same.push([key, values[0]!]);
    else varying.push(key);
  }
  return { varying, same };
}

/** "loss 0.25@3  accuracy 0.9@3": each metric's best value and the epoch it was reached at. */
export function formatBest(best: Record<string, BestMetric> | undefined): string {
  return Object.entries(best ?? {})
    .map(([name, b]) => `${name} ${number(b.value)}@${b.epoch}`)
    .join("  ");
}

/** A run's status in the user's words. */
function statusWord(status: RunStatus): string {
  switch (status) {
    case "running":
      return t("running");
    case "completed":
      return t("completed");
    case "stopped":
      return t("stopped");
    case "failed":
      return t("failed");
    case "interrupted":
      return t("interrupted");
  }
}

/** A run's cells; whatever run.json holds (a name or a path with escape sequences) reaches the terminal escaped. */
function row({ info, lossCurve, damaged }: RunSummary, hparams: string[], showBest: boolean): string[] {
  // An interrupted run may have no finished epoch: its latest steps stand in.
  const loss = info.finalLoss ?? lossCurve[lossCurve.length - 1]?.[1];
  return [
    info.id,
    damaged ? t("{0} (damaged)", statusWord(info.status)) : info.status === "running" ? t("● running (pid {0})", info.pid) : statusWord(info.status),
    `${info.epoch ?? 0}/${info.config.epochs}`,
    ...hparams.map((key) => cell(ownValue(info.hparams, key))),
    loss === undefined ? "-" : loss.toFixed(4),
    formatMetrics(info.finalMetrics) || "-",
    ...(showBest ? [formatBest(info.best) || "-"] : []),
    (info.file && path.relative(process.cwd(), info.file)) || info.file || "-",
  ].map(printable);
}

/** The runs as `--json` prints them, one per line: one object per run, newest first. */
export function runsJson(runs: readonly RunSummary[]): object[] {
  return runs.map(({ info, dir, damaged, lossCurve }) => ({
    id: info.id,
    dir,
    status: info.status,
    ...(info.status === "running" ? { live: true, pid: info.pid } : {}),
    file: info.file,
    startedAt: info.startedAt,
    ...(info.endedAt ? { endedAt: info.endedAt } : {}),
    epoch: info.epoch ?? 0,
    epochs: info.config.epochs,
    hparams: info.hparams ?? ({} as Hyperparameters),
    final: { loss: info.finalLoss ?? lossCurve[lossCurve.length - 1]?.[1] ?? null, ...(info.finalMetrics ?? {}) },
    best: info.best ?? {},
    ...(damaged ? { damaged } : {}),
  }));
}

/** Which way each metric of BEST is better, as the runs recorded it: "loss ↓  accuracy ↑". */
export function goalsText(runs: readonly RunSummary[]): string {
  const goals = new Map<string, "min" | "max">();
  for (const r of runs) for (const [name, b] of Object.entries(r.info.best ?? {})) if (!goals.has(name)) goals.set(name, b.goal);
  return [...goals].map(([name, goal]) => `${name} ${goal === "min" ? "↓" : "↑"}`).join("  ");
}

/** The table for people: hyperparameter columns only for those that differ, a BEST column (its header says which
 *  way each metric is better) when runs record it; `width`: the terminal's, the table is cut to fit. */
function printTable(runs: RunSummary[], width?: number): void {
  const { varying, same } = splitHparams(runs);
  const showBest = runs.some((r) => r.info.best && Object.keys(r.info.best).length);
  const best = showBest ? [t("BEST ({0})", goalsText(runs))] : [];
  const header = [t("ID"), t("STATUS"), t("EPOCHS"), ...varying, t("LOSS"), t("METRICS"), ...best, t("FILE")].map(printable);
  console.log(table([header, ...runs.map((r) => row(r, varying, showBest))], width));
  const alike = same.map(([k, v]) => `${k}=${cell(v)}`).join("  ");
  if (same.length) console.log(printable(runs.length > 1 ? t("same in all: {0}", alike) : t("hyperparameters: {0}", alike)));
  const live = runs.filter((r) => r.info.status === "running").length;
  if (live) console.log(t("● {0} training now (its process checked): unroll follow ID shows one, unroll stop ID stops it", live));
  const damaged = runs.filter((r) => r.damaged);
  if (damaged.length) console.log(["", ...damaged.map((r) => printable(t("{0}: damaged: {1}", r.info.id, r.damaged ?? "")))].join("\n"));
}

export const runsCommand: Command = {
  summary: () => t("list the stored training runs, newest first, with their hyperparameters and final and best metrics"),
  help: () => ({
    synopsis: "unroll runs [folder] [--json]",
    about: [
      t("Lists the runs in <folder>/.unroll/runs (or in <folder> itself); the folder defaults to the current one."),
      t(
        "The table shows the hyperparameters that differ between runs (those alike in all under it), the final loss and metrics, and the best value of each metric with its epoch (loss 0.25@3).",
      ),
    ],
    options: [["--json", t("JSON Lines: one object per run and line, with its id, folder, status, hparams, final and best metrics")]],
    notes: [t("On a terminal the table is cut to its width (cells end in …); piped, every cell is whole.")],
  }),
  async run({ positional, options }) {
    if (positional.length > 1 || Object.keys(options).some((k) => k !== "json" && k !== "backend")) return usageError(this);
    const folder = runsFolder(positional[0]);
    const blocked = blockedFolder(folder);
    if (blocked) {
      console.error(printable(t("unroll: cannot list runs: {0}", blocked)));
      return EXIT.modelFailed;
    }
    const runs = await listRuns(folder);
    if (options.json) {
      for (const run of runsJson(runs)) console.log(JSON.stringify(run));
      return EXIT.ok;
    }
    if (!runs.length) {
      console.log(
        t(
          "No runs in {0}. unroll train stores runs in .unroll/runs beside the model file (or in --runs DIR): list them with unroll runs <folder>.",
          printable(folder),
        ),
      );
      return EXIT.ok;
    }
    printTable(runs, process.stdout.columns);
    return EXIT.ok;
  },
};
