// The CLI's commands, one file each. Exit codes are in args.ts.
import { EXIT, parseArgs, type Command } from "./args";
import { runCommand } from "./run";
import { trainCommand } from "./train";
import { runsCommand } from "./runs";
import { traceCommand } from "./trace";
import { checkCommand } from "./check";

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  train: trainCommand,
  runs: runsCommand,
  trace: traceCommand,
  check: checkCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: unroll <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nOptions:\n  --backend NAME  auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu (or $UNROLL_BACKEND)\n  -h, --help      help for a command`;
}

export async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unroll: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  const parsed = parseArgs(rest);
  if (parsed.options.help) {
    console.log(command.usage);
    return EXIT.ok;
  }
  return command.run(parsed);
}
