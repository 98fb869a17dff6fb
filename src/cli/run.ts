// `unroll run <file.ts>`: runs a scratchpad and prints what it prints.
import * as path from "node:path";
import { useBackend } from "unroll";
import { describeError, mainFunction, refuseProcessExit, runModelFile } from "../runner/model-file";
import { secondsFromEnv, timeoutError, Watchdog } from "../runner/watchdog-host";
import { t } from "../runs/l10n";
import { EXIT, formatRunnerError, modelPath, stringOption, usageError, type Command } from "./args";
import { checkBeside, withCheck } from "./check";
import { runNotebookFile } from "./notebook";

/** How long a scratchpad may run, in seconds, unless --timeout or $UNROLL_RUN_TIMEOUT says otherwise (0: no limit). */
export const DEFAULT_RUN_TIMEOUT_S = 300;

export const runCommand: Command = {
  summary: () => t("run a scratchpad model file and print what it prints"),
  help: () => ({
    synopsis: "unroll run <file.ts | notebook.ipynb> [--backend NAME] [--timeout S] [--no-check] [--write]",
    about: [
      t(
        "Runs the model file's top-level code (and its default export, if it is a function) while its type check runs beside it; the type errors are printed as soon as they are known, and the command then exits with 1.",
      ),
      t("A notebook's code cells run in order on one kernel; the run stops at the first cell that fails."),
    ],
    options: [
      ["--no-check", t("skip the type check")],
      ["--write", t("a notebook: store the outputs in it, as Jupyter writes them")],
      [
        "--timeout S",
        `${t("how long it may run (default: $UNROLL_RUN_TIMEOUT, else {0} s; 0: no limit)", DEFAULT_RUN_TIMEOUT_S)}\n${t("past it, it is stopped and reported, at the line it was running when it loops")}`,
      ],
    ],
  }),
  async run({ positional, options }) {
    const file = modelPath(positional, this);
    if (!file) return EXIT.usage;
    const limit = options.timeout === undefined ? secondsFromEnv("UNROLL_RUN_TIMEOUT", DEFAULT_RUN_TIMEOUT_S) : Number(stringOption(options, "timeout"));
    if (!(limit >= 0)) return usageError(this, t("unroll: --timeout takes a number of seconds (0: no limit)"));
    if (file.toLowerCase().endsWith(".ipynb")) return runNotebookFile(file, options, limit); // the limit is per cell
    // The check runs beside the program (its process on the other core): a cached one prints before the program.
    const checked = checkBeside(file, options);
    const [, watchdog] = await Promise.all([useBackend(stringOption(options, "backend"), { searchPaths: [path.dirname(file)] }), Watchdog.start()]);
    // The scratchpad's process.exit ends nothing: it fails the run at its line.
    const restoreExit = refuseProcessExit((call) =>
      t("{0} cannot end `unroll run`: the run ends when the scratchpad's code does (throw an Error to fail it)", call),
    );
    let ran;
    try {
      ran = await watchdog.within(async () => {
        const result = await runModelFile(file);
        if ("error" in result) return result.error;
        await mainFunction(result.exports)?.();
        return null;
      }, limit * 1000);
    } catch (error) {
      ran = { value: describeError(error, file) };
    } finally {
      restoreExit();
    }
    if ("timeout" in ran) {
      console.error(
        formatRunnerError(
          timeoutError(path.basename(file), limit, ran.stack, file, t("--timeout SECONDS or $UNROLL_RUN_TIMEOUT changes the limit; 0: no limit")),
          file,
        ),
      );
      await Promise.all([watchdog.close(), checked]);
      process.exit(EXIT.modelFailed); // what it left running (timers, a loop's promise) must not keep the process
    }
    if (ran.value) console.error(formatRunnerError(ran.value, file));
    return withCheck(ran.value ? EXIT.modelFailed : EXIT.ok, await checked);
  },
};
