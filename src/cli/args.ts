// What every command shares: argument parsing, exit codes, finding the model file, printing errors.
import * as path from "node:path";
import * as fs from "node:fs";
import type { RunnerError } from "../common/protocol";
import { t } from "../runs/l10n";
import { parseArgs as parseCommandLine, stringOption, type Parsed } from "../runs/command-line";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, modelFailed: 1, usage: 2, stopped: 3, internal: 70 } as const;

/** Options that never take a value: `--json model.ts` is the flag and the file. */
const FLAGS = new Set(["json", "help", "quick", "no-check", "write", "detach"]);

export const parseArgs = (args: string[]): Parsed => parseCommandLine(args, FLAGS);
export { stringOption, type Parsed };

/** The one model file argument, resolved; prints why and returns null when missing. */
export function modelPath(positional: string[], command: Command): string | null {
  if (positional.length !== 1) {
    usageError(command);
    return null;
  }
  const file = path.resolve(positional[0]);
  if (!fs.existsSync(file)) {
    console.error(t("unroll: no such file: {0}", positional[0]));
    return null;
  }
  return file;
}

export const relative = (file: string) => path.relative(process.cwd(), file) || file;

/** `file:line:col: message`, then the user's stack frames. */
export function formatRunnerError(error: RunnerError, file: string): string {
  const where = error.location ? `${relative(error.location.file)}:${error.location.line}:${error.location.column}` : relative(file);
  const frames = error.stack?.split("\n").slice(1).filter(Boolean) ?? [];
  const via = error.via
    ? [`    ${t("in the training step of the experiment at {0}", `${relative(error.via.file)}:${error.via.line}:${error.via.column}`)}`]
    : [];
  return [`${where}: ${error.message}`, ...frames, ...via].join("\n");
}

/** What a command says of itself: read when shown (functions), after main.ts chose the language. */
export interface Command {
  summary(): string;
  help(): Help;
  run(parsed: Parsed): Promise<number>;
}

/** `unroll <command> --help`: the synopsis, what the command does, its options, notes after them. */
export interface Help {
  synopsis: string;
  about: string[];
  /** [flag, meaning]: the meanings aligned in one column; a meaning's `\n` continues it on the next line. */
  options: [string, string][];
  notes?: string[];
}

/** The help as printed: the options' meanings aligned after the widest flag. */
export function usageText({ synopsis, about, options, notes = [] }: Help): string {
  const width = Math.max(0, ...options.map(([flag]) => flag.length));
  const option = ([flag, meaning]: [string, string]) =>
    meaning
      .split("\n")
      .map((line, i) => `  ${(i ? "" : flag).padEnd(width)}  ${line}`)
      .join("\n");
  return [t("Usage: {0}", synopsis), "", ...about, ...options.map(option), ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** The command's help on stderr, before an exit with EXIT.usage. */
export function usageError(command: Command, why?: string): number {
  console.error(why ? `${why}\n\n${usageText(command.help())}` : usageText(command.help()));
  return EXIT.usage;
}
