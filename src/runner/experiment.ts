// A model file's experiment (`export default defineExperiment({ … })`), as training and traces find it: the
// export checked field by field, with messages located at the export's line, and the loss as one function.
import * as fs from "node:fs";
import * as path from "node:path";
import { nn, showValue, type Experiment, type StepContext } from "unroll";
import type { RunnerError } from "../common/protocol";
import { t } from "../runs/l10n";
import { isPlainFunction } from "./model-file";

/** An error already described for the user (a bad export, a NaN loss). */
export class RunFailure extends Error {
  constructor(readonly error: RunnerError) {
    super(error.message);
  }
}

/** The experiment's loss: Tensors or tfjs tensors in, the same kind out. */
export type LossFn = StepContext<nn.Module, unknown>["loss"];

const REQUIRED: [key: keyof Experiment, what: string][] = [
  ["epochs", "epochs (a number)"],
  ["model", "model (a function that returns the model)"],
  ["data", "data (a function that returns { train, test? })"],
  ["loss", "loss (a function that returns the loss function)"],
  ["optimizer", "optimizer (a function (parameters) => optimizer)"],
];
const OPTIONAL_FUNCTIONS: (keyof Experiment)[] = ["scheduler", "step", "evaluate", "sample", "sampleTokens"];

/** The line and column of the experiment's export in the file's text, for messages about it. */
export function exportLocation(file: string): RunnerError["location"] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const match = /export\s+(default\b|(const|let|var)\s+experiment\b)/.exec(text);
  if (!match) return undefined;
  const before = text.slice(0, match.index).split("\n");
  return { file, line: before.length, column: before[before.length - 1].length + 1 };
}

/** Whether the file exports an experiment to check (a scratchpad exports none, or a function to run). */
export function hasExperiment(exports: Record<string, unknown>): boolean {
  const candidate = exports.default ?? exports.experiment;
  return candidate !== undefined && !isPlainFunction(candidate); // a module exported by mistake is checked, and refused
}

/** The default export or the `experiment` export, checked: a missing or wrong export says what is missing. */
export function findExperiment(exports: Record<string, unknown>, file: string): Experiment {
  const fail = (message: string) => new RunFailure({ kind: "export", message, location: exportLocation(file) });
  const which = exports.default !== undefined ? t("the default export") : t("the export 'experiment'");
  const candidate = exports.default ?? exports.experiment;
  if (candidate === undefined) {
    throw fail(t("{0} exports no experiment to train: add `export default defineExperiment({ epochs, model, data, loss, optimizer })`", path.basename(file)));
  }
  if (typeof candidate !== "object" || candidate === null) {
    throw fail(
      t(
        "{0} is {1}, not an experiment: export defineExperiment({ epochs, model, data, loss, optimizer })",
        which,
        isPlainFunction(candidate) ? t("a function") : typeof candidate === "function" ? showValue(candidate) : String(candidate),
      ),
    );
  }
  const e = candidate as Record<string, unknown>;
  const missing = REQUIRED.filter(([key]) => e[key] === undefined).map(([, what]) => what);
  if (missing.length) throw fail(t("{0} is not a complete experiment: it lacks {1}", which, missing.join(", ")));
  if (!(Number.isInteger(e.epochs) && (e.epochs as number) > 0)) throw fail(t("epochs must be a positive integer, got {0}", showValue(e.epochs)));
  if (e.name !== undefined && typeof e.name !== "string")
    throw fail(t("name must be a string (it names the run), got {0}", e.name === null ? "null" : typeof e.name));
  const wrong = [...REQUIRED.slice(1).map(([key]) => key), ...OPTIONAL_FUNCTIONS].find((key) => e[key] !== undefined && typeof e[key] !== "function");
  if (wrong) throw fail(t("{0} must be a function, got {1}", String(wrong), typeof e[wrong]));
  const trace = e.trace as Record<string, unknown> | undefined;
  if (trace !== undefined && (typeof trace !== "object" || trace === null || (trace.batch !== undefined && typeof trace.batch !== "function"))) {
    throw fail(t("trace must be { batch: () => [input, target] }, a function that makes a small example batch for shape traces"));
  }
  const hparams = e.hparams;
  if (hparams !== undefined) {
    const isPlain = typeof hparams === "object" && hparams !== null && !Array.isArray(hparams);
    if (!isPlain)
      throw fail(
        t(
          "hparams must be an object of numbers, strings and booleans, like { hiddenSize: 100 }, got {0}",
          Array.isArray(hparams) ? t("an array") : hparams === null ? "null" : typeof hparams,
        ),
      );
    const bad = Object.entries(hparams).find(([, v]) => !(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))));
    if (bad)
      throw fail(
        t(
          "hparams.{0} must be a finite number, a string or a boolean, got {1}",
          bad[0],
          typeof bad[1] === "number" ? showValue(bad[1]) : bad[1] === null ? "null" : typeof bad[1],
        ),
      );
  }
  const goals = e.goals;
  if (goals !== undefined) {
    const isPlain = typeof goals === "object" && goals !== null && !Array.isArray(goals);
    const bad = isPlain ? Object.entries(goals).find(([, v]) => v !== "min" && v !== "max") : undefined;
    if (!isPlain || bad)
      throw fail(
        t(
          'goals say which way each metric is better, like { accuracy: "max", rmse: "min" }, got {0}',
          bad ? `${bad[0]}: ${JSON.stringify(bad[1])}` : String(JSON.stringify(goals)),
        ),
      );
  }
  return candidate as Experiment;
}

/** The experiment's loss as a function, whether `loss()` gave a function or a module with `forward`. */
export function lossFunction(experiment: Experiment): LossFn {
  const made = experiment.loss();
  if (typeof made === "function") return made as LossFn;
  if (made && typeof (made as { forward?: unknown }).forward === "function")
    return ((o: unknown, t: unknown) => (made as { forward: (o: unknown, t: unknown) => unknown }).forward(o, t)) as LossFn;
  throw new Error(t("loss() must return a loss function or a module with forward(), got {0}", made === null ? "null" : typeof made));
}

/** `model(hparams)`, checked: training and traces need an nn.Module. */
export function buildModel(experiment: Experiment, hparams = experiment.hparams ?? {}): nn.Module {
  const model: unknown = experiment.model(hparams);
  if (!(model instanceof nn.Module)) throw new Error(t("model() must return an nn.Module, got {0}", model === null ? "null" : typeof model));
  return model;
}

/** An error of the experiment's training step, with the experiment's export as the place that led there. */
export function viaExperiment(error: RunnerError, file: string): RunnerError {
  const via = error.location && error.kind !== "export" ? exportLocation(file) : undefined;
  return via && via.line !== error.location!.line ? { ...error, via } : error;
}
