// How command lines are read, by `unroll …` (src/cli) and by the training process (train-contract.ts) alike:
// `--name value`, `--name=value`, flags that never take a value, and positional arguments.

export interface Parsed {
  positional: string[];
  options: Record<string, string | boolean>;
}

/** `flags` never take a value: with "json" among them, `--json model.ts` is the flag and the file. */
export function parseArgs(args: string[], flags: ReadonlySet<string> = new Set()): Parsed {
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") options.help = true;
    else if (a.startsWith("--")) {
      const [key, inline] = a.slice(2).split("=", 2);
      const takesValue = !flags.has(key) && args[i + 1] !== undefined && !args[i + 1].startsWith("-");
      options[key] = inline ?? (takesValue ? args[++i] : true);
    } else positional.push(a);
  }
  return { positional, options };
}

export const stringOption = (options: Parsed["options"], name: string) => (typeof options[name] === "string" ? (options[name] as string) : undefined);
