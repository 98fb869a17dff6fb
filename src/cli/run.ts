// `unroll run <file.ts>`: runs a scratchpad and prints what it prints.
import * as path from "node:path";
import { useBackend } from "unroll";
import { describeError, mainFunction, runModelFile } from "../runner/model-file";
import { EXIT, formatRunnerError, modelPath, stringOption, type Command } from "./args";
import { checkBeforeRunning } from "./check";

export const runCommand: Command = {
  summary: "run a scratchpad model file and print what it prints",
  usage: [
    "Usage: unroll run <file.ts> [--backend NAME] [--no-check]",
    "",
    "Runs the model file's top-level code (and its default export, if it is a function), after printing its type",
    "errors (--no-check skips the type check).",
  ].join("\n"),
  async run({ positional, options }) {
    const file = modelPath(positional, this.usage);
    if (!file) return EXIT.usage;
    checkBeforeRunning(file, options);
    await useBackend(stringOption(options, "backend"), { searchPaths: [path.dirname(file)] });
    const result = await runModelFile(file);
    if ("error" in result) {
      console.error(formatRunnerError(result.error, file));
      return EXIT.modelFailed;
    }
    const main = mainFunction(result.exports);
    if (main) {
      try {
        await main();
      } catch (error) {
        console.error(formatRunnerError(describeError(error, file), file));
        return EXIT.modelFailed;
      }
    }
    return EXIT.ok;
  },
};


