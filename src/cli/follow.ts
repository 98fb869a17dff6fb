// `unroll follow RUN`: a run's progress, read from its folder as it grows (detached.ts), until it ends. Ctrl-C stops
// following, never the run.
import type { RunEvent, RunInfo } from "../common/protocol";
import { followRun } from "../runs/detached";
import { t } from "../runs/l10n";
import { printable } from "../runs/run-file";
import { EXIT, formatRunnerError, usageError, type Command } from "./args";
import { findRun } from "./run-folder";
import { haltMessage, Progress, summary } from "./train";

/** The exit code for how a followed run ended: as `unroll train`'s. */
export function endCode(info: RunInfo): number {
  switch (info.status) {
    case "completed":
      return EXIT.ok;
    case "stopped":
      return EXIT.stopped;
    case "failed":
      return EXIT.modelFailed;
    default:
      return EXIT.internal; // interrupted: its process died without a word
  }
}

export const followCommand: Command = {
  summary: () => t("show a run's progress as it trains, until it ends (Ctrl-C stops following, not the run)"),
  help: () => ({
    synopsis: "unroll follow <run> [--runs DIR] [--json]",
    about: [t("Follows a run started by unroll train --detach, by VS Code, or in another terminal: <run> is its id, a part of it, or its folder.")],
    options: [
      ["--runs DIR", t("where runs are stored (default: .unroll/runs in the current folder)")],
      ["--json", t("print the run's events as JSON lines instead of progress")],
    ],
    notes: [t("Exit code: 0 completed, 3 stopped, 1 failed, 70 interrupted (its process died).")],
  }),
  async run({ positional, options }) {
    if (positional.length !== 1 || Object.keys(options).some((k) => !["runs", "json", "backend"].includes(k))) return usageError(this);
    const found = findRun(positional[0], options);
    if ("problem" in found) {
      console.error(found.problem);
      return EXIT.usage;
    }
    const json = options.json !== undefined;
    const progress = new Progress();
    const follower = followRun(found.dir, (event: RunEvent) => (json ? process.stdout.write(JSON.stringify(event) + "\n") : progress.event(event)));
    let interrupted = false;
    const onInterrupt = () => {
      interrupted = true;
      follower.cancel();
    };
    process.on("SIGINT", onInterrupt);
    const info = await follower.done;
    process.off("SIGINT", onInterrupt);
    progress.done();
    if (interrupted) {
      if (!json) console.error(t("stopped following {0}; it goes on (unroll stop {0} stops it)", printable(info.id)));
      return EXIT.ok;
    }
    if (!json) {
      if (info.error) console.error(formatRunnerError(info.error, info.file));
      const halted = haltMessage(info);
      if (halted) console.log(halted);
      console.log(summary(info));
    }
    return endCode(info);
  },
};
