// `unroll runs [folder]`: the stored training runs, newest first.
import * as fs from "node:fs";
import * as path from "node:path";
import { printable } from "../runner/run-file";
import { listRuns, RUNS_SUBFOLDER } from "../runner/run-store";
import { displayWidth, padColumns } from "../format";
import type { RunStatus, RunSummary } from "../protocol";
import { t } from "../runner/l10n";
import { EXIT, type Command } from "./args";
import { formatMetrics } from "./train";

/** The runs folder: `<folder>/.unroll/runs` when it exists, else the folder itself (default: the current one). */
function runsFolder(folder = "."): string {
  const inside = path.resolve(folder, RUNS_SUBFOLDER);
  return fs.existsSync(inside) ? inside : path.resolve(folder);
}

/** Columns padded to their widest cell; the last one is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => displayWidth(r[c]))));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : padColumns(cell, widths[c])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
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
function row({ info, lossCurve, damaged }: RunSummary): string[] {
  // An interrupted run may have no finished epoch: its latest steps stand in.
  const loss = info.finalLoss ?? lossCurve[lossCurve.length - 1]?.[1];
  return [
    info.id,
    damaged ? t("{0} (damaged)", statusWord(info.status)) : statusWord(info.status),
    `${info.epoch ?? 0}/${info.config.epochs}`,
    loss === undefined ? "-" : loss.toFixed(4),
    formatMetrics(info.finalMetrics) || "-",
    (info.file && path.relative(process.cwd(), info.file)) || info.file || "-",
  ].map(printable);
}

export const runsCommand: Command = {
  get summary() {
    return t("list the stored training runs, newest first");
  },
  get usage() {
    return `${t("Usage: {0}", "unroll runs [folder]")}\n\n${t("Lists the runs in <folder>/.unroll/runs (or in <folder> itself); the folder defaults to the current one.")}`;
  },
  async run({ positional }) {
    if (positional.length > 1) {
      console.error(this.usage);
      return EXIT.usage;
    }
    const folder = runsFolder(positional[0]);
    const runs = await listRuns(folder);
    if (!runs.length) {
      console.log(t("no runs in {0}", printable(path.relative(process.cwd(), folder) || ".")));
      return EXIT.ok;
    }
    console.log(table([[t("ID"), t("STATUS"), t("EPOCHS"), t("LOSS"), t("METRICS"), t("FILE")], ...runs.map(row)]));
    const damaged = runs.filter((r) => r.damaged);
    if (damaged.length) console.log(["", ...damaged.map((r) => printable(t("{0}: damaged: {1}", r.info.id, r.damaged ?? "")))].join("\n"));
    return EXIT.ok;
  },
};
