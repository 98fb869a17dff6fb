// A whole notebook run headless (`unroll run lesson.ipynb`, the lessons' test): every code cell in order on one
// kernel, each cell's outputs collected as Jupyter stores them. Stops at the first cell that fails, as Jupyter's
// Run All does.
import type { RunnerError } from "../common/protocol";
import { appendStream, resultOutputs, showDisplay, type CellRun, type JupyterOutput, type Notebook } from "./ipynb";
import type { CellResult, NotebookClient } from "./notebook-client";
import { t } from "./l10n";

export interface NotebookRunOptions {
  /** How errors name a cell: "lesson.ipynb [cell 3]". `index` counts every cell from 1, as the editor shows them. */
  label(index: number): string;
  /** An error as the user reads it (the CLI's `file:line:col: message` and frames). */
  describe(error: RunnerError): string;
  /** What a cell prints, as it prints it, and each cell's end. */
  onOutput?(stream: "stdout" | "stderr", text: string): void;
  onResult?(result: CellResult, outputs: CellRun["outputs"]): void;
  /** A cell still running after this long is interrupted (0: no limit). */
  cellTimeoutMs?: number;
}

/** Runs the notebook's code cells; `runs[i]` is code cell i's (fewer when one failed), `ok` whether all ran. */
export async function runNotebook(client: NotebookClient, notebook: Notebook, options: NotebookRunOptions): Promise<{ runs: CellRun[]; ok: boolean }> {
  const runs: CellRun[] = [];
  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.type !== "code") continue;
    const outputs: CellRun["outputs"] = [];
    const limit = options.cellTimeoutMs ?? 0;
    let timedOut = false;
    const timer = limit > 0 ? setTimeout(() => ((timedOut = true), client.interrupt()), limit) : undefined;
    const shown = new Map<string, JupyterOutput>();
    let result = await client.execute(
      cell.source,
      options.label(index + 1),
      (stream, text) => {
        appendStream(outputs, stream, text);
        options.onOutput?.(stream, text);
      },
      (displayId, data) => showDisplay(outputs, shown, displayId, data),
    );
    clearTimeout(timer);
    if (timedOut && result.status === "interrupted") {
      const why = t("the cell did not finish within {0} s", limit / 1000);
      result = { ...result, message: result.message ? `${why}; ${result.message}` : why };
    }
    outputs.push(...resultOutputs(result, result.status === "error" ? options.describe(result.error) : undefined));
    runs.push({ outputs, executionCount: result.count || null });
    options.onResult?.(result, outputs);
    if (result.status !== "ok") return { runs, ok: false };
  }
  return { runs, ok: true };
}
