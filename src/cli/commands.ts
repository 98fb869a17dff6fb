// The CLI's commands. Exit codes: 0 done, 1 the model file failed (error printed as file:line:col),
// 2 bad usage, 70 an internal error.
import * as path from "node:path";
import * as fs from "node:fs";
import { useBackend } from "unroll";
import { CompileError, compileModelFile, loadCompiled, locationIn, userStack } from "../runner/model-file";

export const EXIT = { ok: 0, modelFailed: 1, usage: 2, internal: 70 } as const;

const USAGE = `Usage: unroll <command> [options]

Commands:
  run <file.ts>       run a scratchpad model file and print what it prints

Options:
  --backend NAME      auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu (or $UNROLL_BACKEND)
  -h, --help          show help for a command`;

interface Parsed {
  positional: string[];
  options: Record<string, string | boolean>;
}

function parse(args: string[]): Parsed {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") options.help = true;
    else if (a.startsWith("--")) {
      const [key, inline] = a.slice(2).split("=", 2);
      options[key] = inline ?? (args[i + 1] && !args[i + 1].startsWith("-") ? args[++i] : true);
    } else positional.push(a);
  }
  return { positional, options };
}

export async function runCli(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const { positional, options } = parse(rest);
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === "run") return run(positional, options);
  console.error(`unroll: unknown command '${command}'\n\n${USAGE}`);
  return EXIT.usage;
}

function modelPath(positional: string[], usage: string): string | null {
  if (positional.length !== 1) {
    console.error(usage);
    return null;
  }
  const file = path.resolve(positional[0]);
  if (!fs.existsSync(file)) {
    console.error(`unroll: no such file: ${positional[0]}`);
    return null;
  }
  return file;
}

/** Prints an error in a model file as `file:line:col: message` (plus the user's frames). */
export function reportModelError(error: unknown, file: string): void {
  if (error instanceof CompileError) {
    console.error(error.message);
    return;
  }
  const where = locationIn(error instanceof Error ? error.stack : undefined, file);
  const message = error instanceof Error ? `${error.name === "Error" ? "" : error.name + ": "}${error.message}` : String(error);
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  console.error(where ? `${rel(where.file)}:${where.line}:${where.column}: ${message}` : `${rel(file)}: ${message}`);
  const frames = userStack(error, file).split("\n").slice(1);
  if (frames.length) console.error(frames.join("\n"));
}

async function run(positional: string[], options: Parsed["options"]): Promise<number> {
  if (options.help) {
    console.log("Usage: unroll run <file.ts> [--backend NAME]\n\nRuns a scratchpad model file (top-level code) and prints its output.");
    return EXIT.ok;
  }
  const file = modelPath(positional, "Usage: unroll run <file.ts>");
  if (!file) return EXIT.usage;
  await useBackend(typeof options.backend === "string" ? options.backend : undefined, { searchPaths: [path.dirname(file)] });
  try {
    const exports = loadCompiled(file, await compileModelFile(file));
    const main = exports.default ?? exports.main;
    if (typeof main === "function") await main();
    return EXIT.ok;
  } catch (error) {
    reportModelError(error, file);
    return EXIT.modelFailed;
  }
}
