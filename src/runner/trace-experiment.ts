// Traces of experiment files: what one training step runs — `model()`, the optimizer and scheduler as
// configured, then the forward and the loss (or the custom `step`) on one example batch — without a backward
// pass or a parameter update, so that the calls inside the user's `forward` get shapes like a scratchpad's.
//
// The example batch is `trace.batch()` when the experiment gives one, else `sample(data())`, else the first
// training batch of `data()`. `data()` can be costly (thousands of samples), so its batch is kept in this
// process between traces of a file for as long as the file's code outside its model classes stays the same:
// editing `forward` re-traces without running `data()` again.
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { tf, nn, PackedSequence, Tensor, type Batch, type Experiment, type ExperimentData } from "unroll";
import type { ExperimentTrace, TracedShape } from "../common/protocol";
import { buildModel, lossFunction } from "./experiment";
import { t } from "../runs/l10n";

/** What the trace lends this module: running code unrecorded, and keeping tensors past the trace's end. */
export interface TraceScope {
  /** Runs `fn` without recording its modules, calls and tensors (building data is not the model's shapes). */
  quietly<T>(fn: () => Promise<T>): Promise<T>;
  /** Keeps `tensors` alive after the trace frees what it made. */
  retain(tensors: tf.Tensor[]): void;
}

interface CachedBatch {
  key: string;
  batch: Batch;
  tensors: tf.Tensor[];
  from: ExperimentTrace["batchFrom"];
}

/** Example batches by file, the most recently traced last. */
const cache = new Map<string, CachedBatch>();
const CACHED_FILES = 8;

/** Runs one training step's forward and loss of `experiment` (compiled from `code`), recording as it goes. */
export async function traceTrainingStep(experiment: Experiment, file: string, code: string, scope: TraceScope): Promise<ExperimentTrace> {
  const model = buildModel(experiment);
  const optimizer = experiment.optimizer(model.parameters(), experiment.hparams ?? {}); // made, never stepped: its options are checked
  experiment.scheduler?.(optimizer);
  const loss = lossFunction(experiment);
  const { batch, trace } = await exampleBatch(experiment, file, code, model, scope);
  if (experiment.step) experiment.step({ model, batch, loss, epoch: 1 });
  else loss(model.forward(batch[0]), batch[1]);
  return trace;
}

/** Forgets every kept batch (the tensors are freed). */
export function clearExampleBatches(): void {
  for (const entry of cache.values()) tf.dispose(entry.tensors);
  cache.clear();
}

async function exampleBatch(experiment: Experiment, file: string, code: string, model: nn.Module, scope: TraceScope) {
  const started = performance.now();
  const made = (batch: Batch, from: ExperimentTrace["batchFrom"], cached: boolean) => ({
    batch,
    trace: { batchFrom: from, batch: batchShapes(batch), cached, batchMs: cached ? 0 : Math.round(performance.now() - started) },
  });
  const custom = experiment.trace?.batch;
  if (custom) return made(checkBatch(custom(), "trace.batch()"), "trace.batch", false);

  const key = dataKey(code, model);
  const hit = cache.get(file);
  if (hit?.key === key) {
    cache.delete(file);
    cache.set(file, hit); // the most recent last
    return made(hit.batch, hit.from, true);
  }
  forget(file);
  const from = experiment.sample ? "sample" : "data";
  const batch = await scope.quietly(async () => {
    const data = await experiment.data(experiment.hparams ?? {});
    return from === "sample" ? checkBatch(experiment.sample!(data), "sample(data)") : firstBatch(data);
  });
  const tensors = tensorsIn(batch);
  scope.retain(tensors);
  cache.set(file, { key, batch, tensors, from });
  while (cache.size > CACHED_FILES) forget(cache.keys().next().value!);
  return made(batch, from, false);
}

function forget(file: string): void {
  const entry = cache.get(file);
  if (!entry) return;
  tf.dispose(entry.tensors);
  cache.delete(file);
}

/** What the example batch depends on: the compiled file without its source map and without the source of the
 *  model's own classes, whose edits (the common case: `forward`) cannot change the data. */
function dataKey(code: string, model: nn.Module): string {
  let text = code.replace(/\/\/# sourceMappingURL=\S*\s*$/, "");
  for (const [, module] of model.namedModules()) {
    for (let c = module.constructor; c !== nn.Module && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
      const source = Function.prototype.toString.call(c);
      text = text.split(source).join(""); // only the user's classes are in the user's code
    }
  }
  return createHash("sha256").update(text).digest("hex");
}

function firstBatch(data: ExperimentData): Batch {
  const train = data?.train;
  if (train === undefined) throw new Error(t("data() must return { train, test? }: it has no train batches"));
  const batches = typeof train === "function" ? train() : train;
  if (!batches || typeof (batches as Iterable<Batch>)[Symbol.iterator] !== "function")
    throw new Error(t("data().train must be a list of [input, target] batches, or a function that returns them"));
  for (const batch of batches as Iterable<Batch>) return checkBatch(batch, t("the first batch of data().train"));
  throw new Error(t("data().train gave no batches"));
}

function checkBatch(batch: unknown, what: string): Batch {
  if (!Array.isArray(batch) || batch.length < 2)
    throw new Error(t("{0} must be a batch [input, target], got {1}", what, Array.isArray(batch) ? t("an array of {0}", batch.length) : typeof batch));
  return batch as Batch;
}

/** The tensors a batch holds: in tensors, packed sequences, arrays and plain objects, each once. */
function tensorsIn(value: unknown, into = new Set<tf.Tensor>(), depth = 0): tf.Tensor[] {
  if (value instanceof tf.Tensor) into.add(value);
  else if (value instanceof Tensor) into.add(value.tf);
  else if (value instanceof PackedSequence) into.add(value.data);
  else if (depth < 8 && value && typeof value === "object") for (const item of Object.values(value)) tensorsIn(item, into, depth + 1);
  return [...into];
}

/** `input [1, 5, 4] · target [5]`: the batch's tensors, tuples flattened. */
function batchShapes([input, target]: Batch): TracedShape[] {
  const named = (name: string, value: unknown): TracedShape[] => {
    if (value instanceof tf.Tensor || value instanceof Tensor) return [{ name, shape: [...value.shape] }];
    if (value instanceof PackedSequence) return [{ name, shape: [...value.data.shape], packed: { batchSizes: [...value.batchSizes] } }];
    if (Array.isArray(value)) return value.flatMap((v, i) => named(`${name}[${i}]`, v));
    return [];
  };
  return [...named("input", input), ...named("target", target)];
}
