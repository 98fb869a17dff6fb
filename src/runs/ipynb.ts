// Jupyter notebooks (.ipynb, nbformat 4) for `unroll run lesson.ipynb`: a total reader (any bytes give a notebook
// or a clear error, never an exception) and the outputs written back as Jupyter writes them (one-space indent,
// sorted keys, multi-line strings as lists of lines, a final newline). Fields Unroll does not know are kept.
import type { DisplayData } from "../common/protocol";
import type { CellResult } from "./notebook-client";
import { t } from "./l10n";

export interface NotebookCell {
  type: "code" | "markdown" | "raw";
  source: string;
}

/** A notebook as read: its cells, and the JSON object itself (written back with its unknown fields). */
export interface Notebook {
  cells: NotebookCell[];
  json: Record<string, unknown>;
}

/** One output of a code cell, in nbformat 4's JSON. */
export type JupyterOutput =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string[] }
  | { output_type: "execute_result"; execution_count: number | null; data: { "text/plain": string[] }; metadata: Record<string, never> }
  | { output_type: "display_data"; data: { "text/plain": string[]; "image/png"?: string }; metadata: Record<string, never> }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** What a code cell ran to: its outputs in order and its execution count (null: not run). */
export interface CellRun {
  outputs: JupyterOutput[];
  executionCount: number | null;
}

/** The largest notebook read: lessons are kilobytes; a notebook with big stored images is a few megabytes. */
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

/** Reads a notebook's text: the notebook, or why it is not one (in words for the user). */
export function parseNotebook(text: string): Notebook | { error: string } {
  if (text.length > MAX_NOTEBOOK_BYTES) return { error: t("the notebook is larger than {0} MB", MAX_NOTEBOOK_BYTES / 1024 / 1024) };
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    return { error: t("not JSON: {0}", (error as Error).message) };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { error: t("not a notebook: the JSON is not an object") };
  const notebook = json as Record<string, unknown>;
  if (notebook.nbformat !== 4) return { error: t("not an nbformat 4 notebook (nbformat: {0})", JSON.stringify(notebook.nbformat) ?? "-") };
  if (!Array.isArray(notebook.cells)) return { error: t("not a notebook: it has no list of cells") };
  const cells: NotebookCell[] = [];
  for (const [index, cell] of (notebook.cells as unknown[]).entries()) {
    const read = readCell(cell);
    if (typeof read === "string") return { error: t("cell {0}: {1}", index + 1, read) };
    cells.push(read);
  }
  return { cells, json: notebook };
}

function readCell(cell: unknown): NotebookCell | string {
  if (typeof cell !== "object" || cell === null || Array.isArray(cell)) return t("not an object");
  const { cell_type: type, source } = cell as Record<string, unknown>;
  if (type !== "code" && type !== "markdown" && type !== "raw") return t("unknown cell_type {0}", JSON.stringify(type) ?? "-");
  const text = multiline(source);
  return text === undefined ? t("its source is neither a string nor a list of strings") : { type, source: text };
}

/** nbformat's multi-line string: a string, or a list of strings joined as they are. */
function multiline(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((s) => typeof s === "string")) return value.join("");
  return undefined;
}

/** nbformat's list of lines, each but the last keeping its "\n" (as Jupyter splits them). */
export function lines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line !== "");
}

/** Printed text as a terminal shows it: a carriage return goes back to the start of its line, so a progress line
 *  written as `\rloss 0.52` is replaced in place (Jupyter shows stream text so). */
export function overwrittenLines(text: string): string {
  if (!text.includes("\r")) return text;
  return text
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((line) => {
      const parts = line.split("\r");
      // "\rabc" then "\rx": "xbc" in a terminal; a progress line is rewritten whole, so the last non-empty part,
      // and a "\r" at the end kept: the next text printed replaces the line.
      const shown = [...parts].reverse().find((p) => p !== "") ?? "";
      return parts[parts.length - 1] === "" && parts.length > 1 ? shown + "\r" : shown;
    })
    .join("\n");
}

/** Appends what a cell printed to its outputs: consecutive writes to one stream are one output, as in Jupyter,
 *  with progress lines (`\r`) replaced in place. */
export function appendStream(outputs: JupyterOutput[], name: "stdout" | "stderr", text: string): void {
  const last = outputs[outputs.length - 1];
  if (last?.output_type === "stream" && last.name === name) last.text = lines(overwrittenLines(last.text.join("") + text));
  else outputs.push({ output_type: "stream", name, text: lines(overwrittenLines(text)) });
}

/** Shows a display in a cell's outputs: a new display_data (an image as Jupyter stores it: base64, then "\n"),
 *  or, for a `displayId` shown before (`shown` remembers them), that one replaced where it is. */
export function showDisplay(outputs: JupyterOutput[], shown: Map<string, JupyterOutput>, displayId: string, data: DisplayData): void {
  const png = data["image/png"];
  const output: JupyterOutput = {
    output_type: "display_data",
    data: { "text/plain": lines(data["text/plain"]), ...(png !== undefined && { "image/png": png + "\n" }) },
    metadata: {},
  };
  const previous = shown.get(displayId);
  const at = previous ? outputs.indexOf(previous) : -1;
  if (at >= 0) outputs[at] = output;
  else outputs.push(output);
  shown.set(displayId, output);
}

/** The outputs a cell's result adds: its value as an execute_result, or its error. */
export function resultOutputs(result: CellResult, errorText: string | undefined): JupyterOutput[] {
  if (result.status === "ok") {
    return result.value === undefined
      ? []
      : [{ output_type: "execute_result", execution_count: result.count, data: { "text/plain": lines(result.value) }, metadata: {} }];
  }
  if (result.status === "interrupted") {
    return [{ output_type: "error", ename: "Interrupted", evalue: result.message ?? t("the cell was interrupted"), traceback: [] }];
  }
  const [ename, ...rest] = result.error.message.split(": ");
  const named = rest.length > 0 && /^[A-Z]\w*(Error|Exception)$/.test(ename);
  return [
    {
      output_type: "error",
      ename: named ? ename : "Error",
      evalue: named ? rest.join(": ") : result.error.message,
      traceback: (errorText ?? result.error.message).split("\n"),
    },
  ];
}

/** The notebook's JSON with the code cells' outputs and execution counts set (`runs[i]` for code cell i; cells past
 *  the runs get none), as Jupyter writes a notebook. */
export function notebookWithOutputs(notebook: Notebook, runs: CellRun[]): string {
  let code = 0;
  const cells = (notebook.json.cells as Record<string, unknown>[]).map((cell, index) => {
    if (notebook.cells[index].type !== "code") return cell;
    const run = runs[code++] ?? { outputs: [], executionCount: null };
    return { ...cell, outputs: run.outputs, execution_count: run.executionCount };
  });
  return JSON.stringify(sortKeys({ ...notebook.json, cells }), null, 1) + "\n";
}

/** A JSON value with every object's keys sorted (Jupyter's `sort_keys=True`). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(sorted, key, { value: sortKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return sorted;
}

/** An empty TypeScript notebook's metadata, for lessons written by hand. */
export const TYPESCRIPT_METADATA = {
  kernelspec: { display_name: "TypeScript (Unroll)", language: "typescript", name: "unroll" },
  language_info: { file_extension: ".ts", mimetype: "text/typescript", name: "typescript" },
};
