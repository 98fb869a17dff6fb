// Which run a command names (`unroll follow RUN`, `unroll stop RUN`): a run folder's path, its id, or a part of its id
// that only one run has, looked up in --runs DIR or the current folder's .unroll/runs.
import * as fs from "node:fs";
import * as path from "node:path";
import { printable } from "../runs/run-file";
import { t } from "../runs/l10n";
import { stringOption, type Parsed } from "./args";
import { runsFolder } from "./runs";

/** The run folder `name` names, or why none: the message says where it looked. Reads folder names only. */
export function findRun(name: string, options: Parsed["options"]): { dir: string } | { problem: string } {
  if (name.includes("/") || name.includes(path.sep)) {
    const dir = path.resolve(name);
    return isFolder(dir) ? { dir } : { problem: t("unroll: no run folder {0}", printable(name)) };
  }
  const folder = path.resolve(stringOption(options, "runs") ?? runsFolder("."));
  let names: string[];
  try {
    names = fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return { problem: t("unroll: cannot read the runs folder {0} (--runs DIR says where runs are)", printable(folder)) };
  }
  const wanted = name.normalize("NFC");
  const exact = names.find((n) => n.normalize("NFC") === wanted);
  const partial = names.filter((n) => n.normalize("NFC").includes(wanted));
  const found = exact ?? (partial.length === 1 ? partial[0] : undefined);
  if (found) return { dir: path.join(folder, found) };
  if (partial.length > 1)
    return {
      problem: t("unroll: {0} names {1} runs in {2}: {3}", printable(name), partial.length, printable(folder), partial.slice(0, 5).map(printable).join(", ")),
    };
  return { problem: t("unroll: no run {0} in {1} (unroll runs lists them; --runs DIR says where runs are)", printable(name), printable(folder)) };
}

function isFolder(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
