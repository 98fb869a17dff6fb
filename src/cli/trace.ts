// `unroll trace <file.ts>`: every module construction, module call and tensor factory of a scratchpad, with
// their shapes and parameters, as a table like torchinfo's (or the Trace as JSON). Goes through the tracing
// process, as the editor does, so both show the same thing.
import { displayWidth, formatShape, formatTracedShape, padColumns } from "../common/format";
import type { ExperimentTrace, Trace, TraceEntry, TracedShape } from "../common/protocol";
import { DEFAULT_TIMEOUT_MS, TraceClient } from "../runs/trace-client";
import { t } from "../runs/l10n";
import { EXIT, formatRunnerError, modelPath, stringOption, usageError, type Command } from "./args";
import { checkBeside, withCheck } from "./check";

export const traceCommand: Command = {
  summary: () => t("trace a model file: module shapes and parameters, line by line"),
  help: () => ({
    synopsis: "unroll trace <file.ts> [--json] [--backend NAME] [--timeout MS] [--no-check]",
    about: [
      t(
        "Runs the model file's top level (and a scratchpad's default export, if it is a function) and prints, for each line that constructs a module, calls one or makes a tensor, the shapes in and out and the parameter counts. For an experiment it also runs model(), then one training step's forward and loss (or its step) on an example batch, without updating a parameter.",
      ),
      "",
    ],
    options: [
      ["--json", t("print the trace as JSON (the Trace type of src/common/protocol.ts)")],
      ["--timeout MS", t("stop the trace after MS milliseconds (default {0})", DEFAULT_TIMEOUT_MS)],
      ["--no-check", t("skip the type check (its errors are printed to stderr while the trace runs; the command then exits with 1)")],
    ],
  }),
  async run({ positional, options }) {
    const file = modelPath(positional, this);
    if (!file) return EXIT.usage;
    const timeout = stringOption(options, "timeout");
    const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(timeout);
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      return usageError(this, t("unroll: --timeout takes a number of milliseconds, got {0}", String(timeout)));
    const client = new TraceClient({ backend: stringOption(options, "backend") });
    let trace: Trace;
    let checked: Promise<number>;
    try {
      client.start(); // the tracing process loads TensorFlow.js and traces while the check runs beside it
      checked = checkBeside(file, options);
      trace = await client.trace(file, { timeoutMs });
    } finally {
      client.dispose();
    }
    if (options.json) console.log(JSON.stringify(trace, null, 2));
    else {
      if (trace.entries.length) console.log(formatTraceTable(trace));
      if (trace.error) console.error(formatRunnerError(trace.error, file));
    }
    return withCheck(trace.error ? EXIT.modelFailed : EXIT.ok, await checked);
  },
};

const number = (n: number) => n.toLocaleString("en-US");
const shape = (s: TracedShape) => formatTracedShape(s, { short: true });

/** The "Module / call" cell: a module's printed form (its class when that spans lines), `RNN.forward`, `torch.randn`. */
function what(entry: TraceEntry): string {
  const config = entry.config && !entry.config.includes("\n") ? entry.config : `${entry.name}(…)`;
  const name = entry.kind === "module" ? config : entry.kind === "call" ? `${entry.name}.forward` : `torch.${entry.name}`;
  const runs = entry.count > 1 ? ` ×${entry.count}` : "";
  return `${entry.submodule ? "  " : ""}${name}${runs}${entry.varying ? ` ${t("(varies)")}` : ""}`;
}

/** The "Input → output" cell. */
function shapes(entry: TraceEntry): string {
  if (entry.kind === "module") return entry.error ? t("error") : "";
  const inputs = (entry.inputs ?? []).map(shape).join(", ");
  const outputs = entry.error
    ? t("error")
    : entry.kind === "tensor"
      ? (entry.outputs ?? []).map((s) => formatShape(s.shape)).join(", ")
      : (entry.outputs ?? []).map(shape).join(", ");
  return `${inputs}${inputs ? " " : ""}→ ${outputs}`;
}

/** The table, then the total parameters of the top-level modules constructed (not those inside another). */
export function formatTraceTable(trace: Trace): string {
  const rows = trace.entries.map((e) => [String(e.location.line), what(e), shapes(e), e.parameterCount !== undefined ? number(e.parameterCount) : ""]);
  const header = [t("Line"), t("Module / call"), t("Input → output"), t("Param #")];
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i]))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => padColumns(c, widths[i], { start: i === 0 || i === cells.length - 1 }))
      .join("  ")
      .trimEnd();
  const rule = "─".repeat(widths.reduce((a, b) => a + b + 2, -2));
  const topLevel = trace.entries.filter((e) => e.kind === "module" && !e.submodule && e.parameterCount !== undefined);
  const total = topLevel.reduce((n, e) => n + e.parameterCount! * e.count, 0);
  return [
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    t("Total parameters: {0}", number(total)),
    ...(trace.experiment ? [exampleBatchLine(trace.experiment)] : []),
    t("Traced in {0} ms on {1}", number(trace.durationMs), trace.backend || "?"),
  ].join("\n");
}

/** Where the example batch came from. */
function batchFrom(from: ExperimentTrace["batchFrom"]): string {
  if (from === "trace.batch") return t("the experiment's trace.batch()");
  return from === "sample" ? "sample(data())" : t("the first training batch of data()");
}

/** `Example batch: input [1, 5, 4], target [5], from the first training batch of data() (made in 3 ms)`. */
export function exampleBatchLine(experiment: ExperimentTrace): string {
  const how = experiment.cached ? t("kept from the previous trace") : t("made in {0} ms", number(experiment.batchMs));
  return t("Example batch: {0}, from {1} ({2})", experiment.batch.map(shape).join(", "), batchFrom(experiment.batchFrom), how);
}
