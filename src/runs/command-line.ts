// How command lines are read, by `unroll …` (src/cli) and by the training process (train-contract.ts) alike:
// `--name value`, `--name=value`, flags that never take a value, and positional arguments.

export interface Parsed {
  positional: string[];
  /** Each option's last value (`true` for a flag). */
  options: Record<string, string | boolean>;
  /** Each option's values in order, for those given more than once (`--set lr=0.1 --set hidden=8`). */
  lists?: Record<string, string[]>;
}

/** `flags` never take a value: with "json" among them, `--json model.ts` is the flag and the file. */
export function parseArgs(args: string[], flags: ReadonlySet<string> = new Set()): Parsed {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") options.help = true;
    else if (a.startsWith("--")) {
      const equals = a.indexOf("=");
      const key = equals < 0 ? a.slice(2) : a.slice(2, equals);
      const inline = equals < 0 ? undefined : a.slice(equals + 1); // --set=lr=0.1: all after the first =
      const takesValue = !flags.has(key) && args[i + 1] !== undefined && !args[i + 1].startsWith("-");
      const value = inline ?? (takesValue ? args[++i] : true);
      options[key] = value;
      if (typeof value === "string") (lists[key] ??= []).push(value);
    } else positional.push(a);
  }
  return { positional, options, lists };
}

export const stringOption = (options: Parsed["options"], name: string) => (typeof options[name] === "string" ? (options[name] as string) : undefined);
