// The CLI's commands, one file each. Exit codes are in args.ts.
import { t } from "../runs/l10n";
import { EXIT, parseArgs, usageText, type Command } from "./args";
import { runCommand } from "./run";
import { trainCommand } from "./train";
import { runsCommand } from "./runs";
import { traceCommand } from "./trace";
import { checkCommand } from "./check";
import { sweepCommand } from "./sweep";
import { followCommand } from "./follow";
import { stopCommand } from "./stop";
import { doctorCommand } from "./doctor";

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  train: trainCommand,
  sweep: sweepCommand,
  runs: runsCommand,
  trace: traceCommand,
  check: checkCommand,
  follow: followCommand,
  stop: stopCommand,
  doctor: doctorCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return usageText({
    synopsis: t("unroll <command> [options]"),
    about: [t("Commands:"), ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary()}`), "", t("Options:")],
    options: [
      ["--backend NAME", t("auto (default), tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu (or $UNROLL_BACKEND)")],
      ["-h, --help", t("help for a command")],
    ],
    notes: [t("Messages follow LC_ALL, LC_MESSAGES or LANG (zh_CN.UTF-8: 简体中文), or $UNROLL_LANGUAGE (en, zh-cn).")],
  });
}

export async function runCli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`${t("unroll: unknown command '{0}'", name)}\n\n${usage()}`);
    return EXIT.usage;
  }
  const parsed = parseArgs(rest);
  if (parsed.options.help) {
    console.log(usageText(command.help()));
    return EXIT.ok;
  }
  return command.run(parsed);
}
