// `unroll check <file.ts>…`: the model files' TypeScript errors, against the library's shipped declarations.
// `run`, `train` and `trace` print the same errors before they run (checkBeforeRunning).
import * as path from "node:path";
import type * as Typecheck from "../runner/typecheck";
import { t } from "../runs/l10n";
import { EXIT, relative, usageError, type Command, type Parsed } from "./args";

let checker: Typecheck.Checker | undefined;

/** The checker, from dist/typecheck.js (TypeScript bundled in), loaded on first use: other commands never pay for it. */
function typeChecker(): Typecheck.Checker {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle beside this one, found by path at run time
  checker ??= new (require(path.join(__dirname, "typecheck.js")) as typeof Typecheck).Checker();
  return checker;
}

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
      t("`unroll run`, `train` and `trace` print these errors before they run (--no-check skips that)."),
    ],
    options: [],
  }),
  async run({ positional }) {
    if (!positional.length) return usageError(this);
    let code: number = EXIT.ok;
    for (const file of positional) {
      const result = typeChecker().check(path.resolve(file));
      if ("error" in result) {
        console.error(t("unroll: cannot check {0}: {1}", file, result.error));
        code = EXIT.usage;
      } else if (result.diagnostics.length) {
        for (const d of result.diagnostics) console.log(format(d));
        if (code === EXIT.ok) code = EXIT.modelFailed;
      }
    }
    return code;
  },
};

/**
 * Before `run`, `train` and `trace`: prints the model file's type errors to stderr (stdout stays the command's,
 * valid JSON with --json), then the command runs anyway, as esbuild compiles without types. Never throws;
 * a file that cannot be checked (not .ts, unreadable) is left to the run, which says why.
 */
export function checkBeforeRunning(file: string, options: Parsed["options"]): void {
  if (options["no-check"]) return;
  try {
    const result = typeChecker().check(file);
    if (!("diagnostics" in result) || !result.diagnostics.length) return;
    for (const d of result.diagnostics) console.error(format(d));
    const n = result.diagnostics.length;
    console.error(
      n === 1
        ? t("unroll: 1 type error; running anyway (--no-check skips the check)")
        : t("unroll: {0} type errors; running anyway (--no-check skips the check)", n),
    );
  } catch (error) {
    console.error(t("unroll: the type check failed, running anyway: {0}", error instanceof Error ? error.message : String(error)));
  }
}
