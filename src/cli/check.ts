// `unroll check <file.ts>…`: the model files' TypeScript errors, against the library's shipped declarations.
// `run`, `train` and `trace` print the same errors while they run (checkBeside). The check runs in its own
// process, with a memory and a time limit (runner/typecheck-client.ts): a type that makes TypeScript allocate
// without end stops the check, never the command.
import * as path from "node:path";
import type * as Typecheck from "../runner/typecheck";
import { CACHE_ENV } from "../runner/typecheck-cache";
import { checkFiles, DEFAULT_MEMORY_MB, DEFAULT_TIME_S, MEMORY_ENV, TIME_ENV } from "../runner/typecheck-client";
import { t } from "../runs/l10n";
import { EXIT, relative, usageError, type Command, type Parsed } from "./args";

/** `file:line:col: error TS2322: message`, the file relative to the working directory as the other commands print it. */
const format = (d: Typecheck.TypeDiagnostic) => `${relative(d.file)}:${d.line}:${d.column}: error TS${d.code}: ${d.message}`;

export const checkCommand: Command = {
  summary: () => t("type-check model files against the library's declarations"),
  help: () => ({
    synopsis: "unroll check <file.ts>…",
    about: [
      t(
        'Prints each TypeScript error of the model files (and of the files they import) as file:line:col: error TSnnnn: message, and exits with 1 if there is one. The files are checked as the editor checks them: strict, ES2022, "unroll" from the declarations shipped with Unroll.',
      ),
      t(
        "`unroll run`, `train` and `trace` check the file while they run it, print these errors as soon as they are known, and then exit with 1 (--no-check skips that). An unchanged file's check is kept in a cache (${0}, else $XDG_CACHE_HOME/unroll or ~/.cache/unroll; 0: none).",
        CACHE_ENV,
      ),
      t(
        "A check may use {0} MB of memory and {1} s per file (${2} and ${3} change that; 0: no limit); past either it stops, says so, and the command exits with 3.",
        DEFAULT_MEMORY_MB,
        DEFAULT_TIME_S,
        MEMORY_ENV,
        TIME_ENV,
      ),
    ],
    options: [],
  }),
  async run({ positional }) {
    if (!positional.length) return usageError(this);
    let code: number = EXIT.ok;
    const worse = (c: number) => (code = Math.max(code, c)); // usage 2 and stopped 3 over type errors 1
    const given = new Map(positional.map((file) => [path.resolve(file), file])); // named as typed: `.`, `missing.ts`
    await checkFiles([...given.keys()], (file, outcome) => {
      const name = given.get(file)!;
      if ("stopped" in outcome) {
        console.error(t("unroll: type check of {0} stopped: {1}", name, outcome.stopped) + (outcome.hint ? ` (${outcome.hint})` : ""));
        worse(EXIT.stopped);
      } else if ("error" in outcome) {
        console.error(t("unroll: cannot check {0}: {1}", name, outcome.error));
        worse(EXIT.usage);
      } else if (outcome.diagnostics.length) {
        for (const d of outcome.diagnostics) console.log(format(d));
        worse(EXIT.modelFailed);
      }
    });
    return code;
  },
};

/**
 * Beside `run`, `train` and `trace`: checks the model file while the command runs it (esbuild compiles without
 * types), and prints its type errors to stderr (stdout stays the command's, valid JSON with --json) through `print`
 * as soon as they are known: before the program starts when the check is in the cache, else when its process
 * answers. Resolves, once they are printed, with the exit code they call for: EXIT.modelFailed for type errors,
 * else EXIT.ok (a check that stopped, or a file that cannot be checked, is left to the run). Never rejects.
 */
export async function checkBeside(file: string, options: Parsed["options"], print = (line: string) => console.error(line)): Promise<number> {
  if (options["no-check"]) return EXIT.ok;
  let code: number = EXIT.ok;
  await checkFiles([file], (_, outcome) => {
    if ("stopped" in outcome) {
      return print(t("unroll: type check stopped: {0}; the program runs without it", outcome.stopped) + (outcome.hint ? ` (${outcome.hint})` : ""));
    }
    if (!("diagnostics" in outcome) || !outcome.diagnostics.length) return;
    const n = outcome.diagnostics.length;
    print(
      [
        ...outcome.diagnostics.map(format),
        n === 1
          ? t("unroll: 1 type error; the program runs anyway, and the command exits with 1 (--no-check skips the check)")
          : t("unroll: {0} type errors; the program runs anyway, and the command exits with 1 (--no-check skips the check)", n),
      ].join("\n"),
    );
    code = EXIT.modelFailed;
  });
  return code;
}

/** The command's exit code with the check's: a failure of the program's own wins, else the check's. */
export const withCheck = (code: number, checked: number): number => (code === EXIT.ok ? checked : code);
