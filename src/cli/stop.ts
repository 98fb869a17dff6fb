// `unroll stop RUN`: asks a training run to stop after its current step (the run folder's `stop` file and, on POSIX, a
// SIGTERM to its process: detached.ts) and waits for it to end; a step that has not ended a few seconds later is
// ended where it is. Everything written is kept; the run reads "stopped".
import { DETACHED_STOP_GRACE_MS, stopRun } from "../runs/detached";
import { t } from "../runs/l10n";
import { printable } from "../runs/run-file";
import { EXIT, usageError, type Command } from "./args";
import { findRun } from "./run-folder";
import { haltMessage, summary } from "./train";

export const stopCommand: Command = {
  summary: () => t("stop a training run after its current step, keeping everything it wrote"),
  help: () => ({
    synopsis: "unroll stop <run> [--runs DIR]",
    about: [t("Stops a run started by unroll train --detach, by VS Code, or in another terminal: <run> is its id, a part of it, or its folder.")],
    options: [["--runs DIR", t("where runs are stored (default: .unroll/runs in the current folder)")]],
    notes: [t("A step that has not ended {0} s after the stop is ended where it is. Exit code 1: the run was not training.", DETACHED_STOP_GRACE_MS / 1000)],
  }),
  async run({ positional, options }) {
    if (positional.length !== 1 || Object.keys(options).some((k) => !["runs", "backend"].includes(k))) return usageError(this);
    const found = findRun(positional[0], options);
    if ("problem" in found) {
      console.error(found.problem);
      return EXIT.usage;
    }
    const stopped = await stopRun(found.dir);
    if ("problem" in stopped) {
      console.error(printable(t("unroll: cannot stop {0}: {1}", positional[0], stopped.problem)));
      return EXIT.modelFailed;
    }
    const halted = haltMessage(stopped.info);
    if (halted) console.log(halted);
    console.log(summary(stopped.info));
    return EXIT.ok;
  },
};
