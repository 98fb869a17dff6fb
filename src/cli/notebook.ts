// `unroll run lesson.ipynb`: every code cell of a notebook in order on one kernel, what they print printed as it
// comes; `--write` stores the outputs in the notebook as Jupyter writes them.
import * as fs from "node:fs";
import * as path from "node:path";
import { notebookWithOutputs, parseNotebook } from "../runs/ipynb";
import { NotebookClient } from "../runs/notebook-client";
import { runNotebook } from "../runs/notebook-run";
import { t } from "../runs/l10n";
import { EXIT, formatRunnerError, relative, stringOption, type Parsed } from "./args";

/** Runs the notebook `file` (resolved, existing) with `run`'s options; `limit`: seconds a cell may run (0: none). */
export async function runNotebookFile(file: string, options: Parsed["options"], limit: number): Promise<number> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    console.error(t("unroll: cannot read {0}: {1}", relative(file), (error as Error).message));
    return EXIT.usage;
  }
  const notebook = parseNotebook(text);
  if ("error" in notebook) {
    console.error(t("unroll: {0} is not a notebook Unroll can run: {1}", relative(file), notebook.error));
    return EXIT.usage;
  }
  const client = new NotebookClient({ cwd: path.dirname(file), backend: stringOption(options, "backend") });
  try {
    const { runs, ok } = await runNotebook(client, notebook, {
      label: (index) => `${file} [cell ${index}]`,
      describe: (error) => formatRunnerError(error, file),
      cellTimeoutMs: limit * 1000,
      onOutput: (stream, chunk) => process[stream].write(chunk),
      onResult(result, outputs) {
        // What the cell displayed (its chart's final numbers, display()) as text: a terminal shows no image.
        for (const output of outputs) if (output.output_type === "display_data") console.log(output.data["text/plain"].join(""));
        if (result.status === "ok" && result.value !== undefined) console.log(result.value);
        const error = outputs.find((o) => o.output_type === "error");
        if (error?.output_type === "error") console.error(result.status === "error" ? error.traceback.join("\n") : `${error.ename}: ${error.evalue}`);
      },
    });
    if (options.write) fs.writeFileSync(file, notebookWithOutputs(notebook, runs));
    return ok ? EXIT.ok : EXIT.modelFailed;
  } finally {
    client.dispose();
  }
}
