// One training run of a model file's experiment: what a PyTorch training loop does, plus recording.
//
// For every batch of every epoch: zeroGrad, backward(loss), clip, optimizer step, each step inside tf.tidy
// so that memory stays flat. Then, per epoch: the scheduler, `evaluate` (eval mode, tensors freed), a
// checkpoint. Every `snapshotEvery` steps and at the end: a parameter snapshot and the recurrent dynamics
// of the sample batch (one extra forward and backward pass, outside the training step). Events go to
// `emit`, and the run store is written as they happen, so a killed run keeps everything up to its last line.
import * as path from "node:path";
import {
  tf,
  nn,
  backwardUnread,
  readLossAndNorms,
  scaleGradients,
  recordDynamics,
  serializeSafetensors,
  useBackend,
  collectIfGrown,
  type Batch,
  type Experiment,
  type ExperimentData,
  type Metrics,
  Tensor,
  type optim,
} from "unroll";
import {
  MAX_TOKEN_TEXT,
  MAX_TOKENS,
  setOwn,
  type Hyperparameters,
  type RunEvent,
  type RunInfo,
  type RunnerError,
  type RunStatus,
  type SampleTokens,
} from "../common/protocol";
import { capStrings, truncateText } from "../common/format";
import { buildModel, exportLocation, findExperiment, lossFunction, RunFailure, viaExperiment, type LossFn } from "./experiment";
import { applyOverrides, batchSize, foldBest, recordHparams } from "./hparams";
import { describeError, refuseProcessExit, runModelFile } from "./model-file";
import { defaultRunsFolder, refuseBlockedFolder, RunWriter, StoreError } from "../runs/run-store";
import { processStartTime } from "../runs/process-liveness";
import { GradientMonitor, MAX_WARNINGS } from "./gradient-health";
import { gpuMemoryField } from "./gpu-memory";
import { compactDynamics, snapshotParameters } from "./snapshot";
import { DEFAULT_DATA_TIMEOUT_S, DEFAULT_EXPLODING_RATIO, DEFAULT_SNAPSHOT_EVERY, DEFAULT_VANISHING_RATIO, type TrainOptions } from "../runs/train-contract";
import { secondsFromEnv, timeoutError as watchdogTimeoutError, type Watchdog } from "./watchdog-host";
import { t } from "../runs/l10n";

/** Metrics as recorded: a scalar tensor becomes its number. */
type RecordedMetrics = Record<string, number | string>;

/** The first parameter (PyTorch name) whose gradient has a NaN or an infinity. */
function firstNonFiniteGradient(model: nn.Module): string | null {
  for (const [name, p] of model.namedParameters()) {
    if (p.tf.grad && (p.tf.grad.dataSync() as Float32Array).some((v) => !Number.isFinite(v))) return name;
  }
  return null;
}

function nanFailure(what: string, value: number, step: number, epoch: number, model: nn.Module): RunFailure {
  const culprit = firstNonFiniteGradient(model);
  const where = culprit ? t("the first parameter whose gradient is not finite: {0}", culprit) : t("every gradient is finite");
  return new RunFailure({ kind: "nan", message: t("{0} became {1} at step {2} (epoch {3}); {4}", what, String(value), step, epoch, where) });
}

/** The loss and each parameter's gradient norm (PyTorch names; parameters without a gradient left out), read
 *  back in one batch. */
export function lossAndGradientNorms(model: nn.Module, loss: tf.Tensor): { loss: number; gradNorms: Record<string, number> } {
  const named = model.namedParameters().filter(([, p]) => p.tf.grad);
  const read = readLossAndNorms(
    loss,
    named.map(([, p]) => p.tf.grad!),
  );
  return { loss: read.loss, gradNorms: Object.fromEntries(named.map(([name], i) => [name, read.norms[i]])) };
}

/** The model's first recurrent layer (RNN, LSTM, GRU: those with batchFirst), which says where a batch's batch
 *  dimension is. */
function firstRecurrentLayer(model: nn.Module): { batchFirst: boolean } | undefined {
  return model
    .namedModules()
    .map(([, m]) => m as nn.Module & { batchFirst?: unknown })
    .find((m): m is nn.Module & { batchFirst: boolean } => typeof m.batchFirst === "boolean");
}

/** Metric values as numbers or strings (a scalar tensor becomes its number, a text at most MAX_TEXT characters: it
 *  goes to metrics.jsonl, run.json and every webview showing the run), keyed whatever their names (`__proto__`). */
export function plainMetrics(metrics: unknown): RecordedMetrics {
  const out: RecordedMetrics = {};
  for (const [key, value] of Object.entries((metrics ?? {}) as Record<string, unknown>)) {
    setOwn(out, key, value instanceof tf.Tensor || value instanceof Tensor ? scalarOf(value) : typeof value === "number" ? value : truncateText(String(value)));
  }
  return out;
}

/** The first value of a metric's tensor, as a number. */
function scalarOf(value: tf.Tensor | Tensor): number {
  return Number((value instanceof Tensor ? value.tf : value).dataSync()[0]);
}

/** What exhausted memory throws: the wasm heap (4 GiB at most) aborting, or an ArrayBuffer that cannot be had. */
const OUT_OF_MEMORY = /Aborted\(|memory access out of bounds|Array buffer allocation failed|Invalid typed array length|out of memory/i;

/** An out-of-memory error said so: where training was, and what to make smaller. Other errors as they are. */
function outOfMemory(error: RunnerError, thrown: unknown, step: number, epoch: number): RunnerError {
  const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  if (!(thrown instanceof RangeError || thrown instanceof WebAssembly.RuntimeError) || !OUT_OF_MEMORY.test(text)) return error;
  const where = step ? t("at step {0} (epoch {1})", step, epoch) : t("before the first step");
  const hint = t(
    "the backend could not allocate its tensors (WebAssembly has at most 4 GiB): try a smaller batch size or shorter sequences, or a smaller model",
  );
  return { ...error, message: t("out of memory {0}: {1}; {2}", where, error.message, hint) };
}

/** Lets IPC messages and signals (a stop) in between two steps. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains the experiment of `options.file`; returns how the run ended (or "failed" before it started). The watchdog
 *  holds `data()` to its time limit; without one (an in-process caller, a test) data() has no limit. */
export async function train(options: TrainOptions, emit: (event: RunEvent) => void, stopRequested: () => boolean, watchdog?: Watchdog): Promise<RunStatus> {
  // The model file's process.exit ends nothing: it fails the run at its line.
  const restoreExit = refuseProcessExit((call) => t("{0} cannot end a training run: throw an Error to fail it, or stop it (Ctrl-C, Stop Training)", call));
  const run = new TrainingRun(options, emit);
  try {
    const ready = await run.setup(watchdog);
    if (stopRequested()) return "stopped"; // before the run started (a Ctrl-C, the parent gone): no run folder
    ready.start();
    let stopped = false;
    while (ready.epoch < ready.epochs && !stopped) stopped = await ready.trainEpoch(stopRequested);
    return ready.finish(stopped ? "stopped" : "completed");
  } catch (thrown) {
    return run.fail(thrown);
  } finally {
    restoreExit();
  }
}

/** What setup made, for the epochs: the experiment, its model, optimizer, loss and data, and the run's store. */
interface Prepared {
  experiment: Experiment;
  model: nn.Module;
  optimizer: optim.Optimizer;
  loss: LossFn;
  data: ExperimentData;
  /** The declared hyperparameters with the command line's overrides. */
  hparams: Hyperparameters;
  scheduler?: { step(): void };
  backend: { summary: string; label: string };
  store: RunWriter;
  info: RunInfo;
}

/** One run: set up (the model file, its experiment, the store), then epoch after epoch, then finish or fail. */
class TrainingRun {
  /** What setup made; the run's store comes with start(). */
  private made: Omit<Prepared, "store" | "info"> | null = null;
  private prepared: Prepared | null = null;
  epoch = 0;
  epochs = 0;
  private step = 0;
  private started = 0;
  private snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
  /** The input whose dynamics are recorded: the experiment's sample, else the current epoch's first batch. */
  private sample: Batch | undefined;
  private userSample = false;
  private snapshotted = -1;
  private checkpointed = -1;
  private monitor: GradientMonitor;

  constructor(
    private readonly options: TrainOptions,
    private readonly emit: (event: RunEvent) => void,
  ) {
    this.monitor = new GradientMonitor({
      vanishing: options.vanishingRatio ?? DEFAULT_VANISHING_RATIO,
      exploding: options.explodingRatio ?? DEFAULT_EXPLODING_RATIO,
    });
  }

  /** Loads the model file and its experiment, makes the model, optimizer, loss, data and scheduler. */
  async setup(watchdog?: Watchdog): Promise<this> {
    const { file } = this.options;
    refuseBlockedFolder(this.options.runsFolder ?? defaultRunsFolder(file)); // said now, not after data()
    const backend = await useBackend(this.options.backend, { searchPaths: [path.dirname(file)] });
    const loaded = await runModelFile(file);
    if ("error" in loaded) throw new RunFailure(loaded.error);
    const experiment = findExperiment(loaded.exports, file);
    const hparams = this.hparams(experiment);
    const model = buildModel(experiment, hparams);
    const optimizer = experiment.optimizer(model.parameters(), hparams);
    const loss = lossFunction(experiment);
    const data = await this.makeData(experiment, hparams, watchdog);
    const scheduler = experiment.scheduler?.(optimizer);
    this.epochs = this.options.epochs ?? experiment.epochs;
    this.snapshotEvery = this.options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.made = { experiment, model, optimizer, loss, data, hparams, scheduler, backend };
    return this;
  }

  /** Creates the run's folder, writes run.json and says "start". */
  start(): void {
    const { experiment, model, optimizer, data, hparams, scheduler, backend } = this.made!;
    const { file } = this.options;
    const name = experiment.name ?? path.basename(file).replace(/\.[cm]?[jt]sx?$/, "");
    const store = RunWriter.create(this.options.runsFolder ?? defaultRunsFolder(file), name);
    this.started = performance.now();
    const info: RunInfo = {
      id: store.id,
      name,
      file,
      status: "running",
      pid: process.pid,
      pidStart: processStartTime(process.pid),
      backend: backend.summary,
      backendName: backend.label,
      startedAt: new Date().toISOString(),
      config: {
        epochs: this.epochs,
        model: String(model),
        parameterCount: model.numParameters(),
        optimizer: optimizer.constructor.name,
        snapshotEvery: this.snapshotEvery,
      },
      hparams: recordHparams({ ...experiment, hparams }, optimizer, scheduler, this.epochs),
      ...(this.options.sweep ? { sweep: this.options.sweep } : {}),
    };
    this.prepared = { ...this.made!, store, info };
    store.writeInfo(info);
    this.emit({ type: "start", run: info });
    this.sample = experiment.sample?.(data);
    this.userSample = this.sample !== undefined;
  }

  /** The experiment's hparams with `--set` overrides applied; a wrong override fails the run at the export. */
  private hparams(experiment: Experiment): Hyperparameters {
    try {
      return applyOverrides(experiment.hparams ?? {}, this.options.overrides ?? {});
    } catch (error) {
      throw new RunFailure({ kind: "export", message: (error as Error).message, location: exportLocation(this.options.file) });
    }
  }

  /** `data()`, held to its time limit by the watchdog (a data() that loops is halted with this process: the
   *  training client reports the error). */
  private async makeData(experiment: Experiment, hparams: Hyperparameters, watchdog?: Watchdog): Promise<ExperimentData> {
    const { file } = this.options;
    const limit = this.options.dataTimeout ?? secondsFromEnv("UNROLL_DATA_TIMEOUT", DEFAULT_DATA_TIMEOUT_S);
    const timeoutError = (stack?: string) => {
      const change = t("--data-timeout SECONDS, $UNROLL_DATA_TIMEOUT or the unroll.dataTimeout setting changes the limit");
      return watchdogTimeoutError("data()", limit, stack, file, change, exportLocation(file));
    };
    const made = watchdog ? await watchdog.within(() => experiment.data(hparams), limit * 1000, timeoutError) : { value: await experiment.data(hparams) };
    if ("timeout" in made) throw new RunFailure(timeoutError(made.stack));
    return made.value;
  }

  private get run(): Prepared {
    return this.prepared!;
  }

  private elapsed(): number {
    return Math.round((performance.now() - this.started) * 10) / 10000; // seconds, to 0.1 ms
  }

  private lossOf(batch: Batch, epoch: number): Tensor | tf.Tensor {
    const { experiment, model, loss } = this.run;
    return experiment.step ? experiment.step({ model, batch, loss, epoch }) : loss(model.forward(batch[0]), batch[1]);
  }

  /** One epoch: a step per batch, then (unless stopped) the scheduler, `evaluate`, the epoch line and a checkpoint.
   *  Returns whether a stop was asked for. */
  async trainEpoch(stopRequested: () => boolean): Promise<boolean> {
    const { experiment, model, data, hparams, scheduler, store, info } = this.run;
    const epoch = ++this.epoch;
    const losses: number[] = [];
    const batches = typeof data.train === "function" ? data.train() : data.train;
    for (const batch of batches) {
      if (!this.userSample && !losses.length) this.sample = batch; // the epoch's first batch: alive while the epoch runs
      losses.push(this.trainStep(batch, epoch));
      if (this.step % this.snapshotEvery === 0) this.snapshot(epoch);
      await yieldToEvents();
      if (stopRequested()) return true; // a partial epoch gets no epoch line: its steps are in the metrics
    }
    if (!losses.length) throw new Error(t("data().train gave no batches in epoch {0}", epoch));
    scheduler?.step();
    const metrics = experiment.evaluate ? await evaluate(model, () => experiment.evaluate!(model, data, { epoch, hparams })) : {};
    const mean = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
    const line = { type: "epoch", epoch, loss: mean, metrics, time: this.elapsed() } as const;
    store.appendMetric(line);
    this.emit(line);
    Object.assign(info, { epoch, finalLoss: mean, finalMetrics: metrics, best: foldBest(info.best, epoch, mean, metrics, experiment.goals) });
    store.writeInfo(info);
    this.checkpoint(epoch);
    return epoch < this.epochs && stopRequested(); // a stop after the last epoch changes nothing
  }

  /** zeroGrad, backward, clip, optimizer step (in one tidy: memory stays flat); then the step line and the
   *  gradient-health warnings. Returns the loss. */
  private trainStep(batch: Batch, epoch: number): number {
    const { experiment, model, optimizer, store, info } = this.run;
    if (this.step === 0) {
      const size = batchSize(batch, firstRecurrentLayer(model));
      if (size !== undefined) info.hparams!.batchSize = size; // written with the first epoch's run.json
    }
    const step = ++this.step;
    let gradNorms: Record<string, number> = {};
    const value = tf.tidy(() => {
      model.zeroGrad();
      // The loss and the gradient norms (before clipping: what backward gave) in one read-back.
      const read = lossAndGradientNorms(model, backwardUnread(() => this.lossOf(batch, epoch)).loss);
      const value = read.loss;
      if (!Number.isFinite(value)) throw nanFailure(t("the loss"), value, step, epoch, model);
      gradNorms = read.gradNorms;
      if (experiment.clipGradNorm !== undefined) {
        // clipGradNorm's total norm, √Σ‖g_p‖², from the norms just read: no second read-back.
        const norm = Math.hypot(...Object.values(gradNorms));
        if (!Number.isFinite(norm)) throw nanFailure(t("the gradient norm"), norm, step, epoch, model);
        scaleGradients(model.parameters(), experiment.clipGradNorm, norm);
      }
      optimizer.step();
      return value;
    });
    const line = { type: "step", epoch, step, loss: value, lr: optimizer.lr, time: this.elapsed(), gradNorms, ...gpuMemoryField() } as const;
    store.appendMetric(line);
    this.emit(line);
    for (const warning of this.monitor.observe(step, epoch, gradNorms)) {
      info.gradientWarningCount = (info.gradientWarningCount ?? 0) + 1;
      if ((info.gradientWarnings ??= []).length < MAX_WARNINGS) info.gradientWarnings.push(warning);
      this.emit({ type: "gradientWarning", warning });
    }
    return value;
  }

  /** Every parameter's statistics, and the recurrent dynamics of the sample (one extra pass in eval mode). */
  private snapshot(epoch: number): void {
    const { model, store } = this.run;
    const step = (this.snapshotted = this.step);
    const parameters = snapshotParameters(model);
    // Eval mode: no dropout, so the pass draws no random numbers and the pictures compare across snapshots.
    model.eval();
    let dynamics;
    try {
      const sample = this.sample;
      dynamics = sample ? compactDynamics(recordDynamics(model, () => this.lossOf(sample, epoch))) : [];
    } finally {
      model.train();
    }
    const tokens = dynamics.length && this.sample ? sampleTokens(this.run.experiment, this.sample) : undefined;
    const written = store.writeSnapshot({ epoch, step, parameters, dynamics, ...(tokens ? { tokens } : {}) }); // within the file size cap
    this.emit({ type: "snapshot", epoch, step, parameters: written.parameters });
    this.emit({ type: "dynamics", epoch, step, layers: written.dynamics, ...(tokens ? { tokens } : {}) });
  }

  private checkpoint(epoch: number): void {
    const { model, store } = this.run;
    this.checkpointed = this.step;
    const file = store.writeWeights(serializeSafetensors(model.stateDict(), { format: "pt" }));
    this.emit({ type: "checkpoint", epoch, step: this.step, file });
  }

  /** The last snapshot and checkpoint (unless this step has them), then the run's end. */
  finish(status: RunStatus): RunStatus {
    if (this.snapshotted !== this.step) this.snapshot(this.epoch);
    if (this.checkpointed !== this.step) this.checkpoint(this.epoch);
    return this.end(status);
  }

  /** A failure, described for the user (at the step and epoch reached), and the run's end. */
  fail(thrown: unknown): RunStatus {
    const { file } = this.options;
    const error = capStrings(
      thrown instanceof RunFailure || thrown instanceof StoreError
        ? thrown.error
        : outOfMemory(viaExperiment(describeError(thrown, file), file), thrown, this.step, this.epoch),
    ); // a 200 MB message goes nowhere whole
    this.emit({ type: "error", error });
    if (this.prepared) this.prepared.info.error = error;
    return this.end("failed");
  }

  private end(status: RunStatus): RunStatus {
    if (this.prepared) {
      const { store, info } = this.prepared;
      Object.assign(info, { status, endedAt: new Date().toISOString() });
      store.end(info); // never throws: on a full disk, the store freed room for this last run.json
      this.emit({ type: "end", run: info });
    }
    return status;
  }
}

/** Runs `evaluate` in eval mode, freeing the tensors it makes (it may be async, so a scope instead of tidy). */
async function evaluate(model: nn.Module, run: () => Metrics | Promise<Metrics>): Promise<RecordedMetrics> {
  // The epoch's steps left Tensors (each keeps its tfjs tensor out of the step's tidy) that only a collection
  // frees: free them now, so that evaluate sees the same live tensors every epoch (once an epoch: a gc costs).
  collectIfGrown(); // none grew (tidy-style steps, or freed between steps): no gc
  model.eval();
  tf.engine().startScope();
  try {
    return plainMetrics(await run());
  } finally {
    tf.engine().endScope();
    model.train();
  }
}

/** The experiment's labels of the sample's time steps, as the protocol takes them: strings cut at MAX_TOKEN_TEXT,
 *  anything else as padding (null), at most MAX_TOKENS; undefined without sampleTokens. A sampleTokens that throws
 *  fails the run, as any other experiment function does. */
function sampleTokens(experiment: Experiment, sample: Batch): SampleTokens | undefined {
  const labels = experiment.sampleTokens?.(sample);
  if (!labels) return undefined;
  if (!Array.isArray(labels)) throw new Error(t("sampleTokens must return an array of strings (null for padding)"));
  return labels.slice(0, MAX_TOKENS).map((l) => (typeof l === "string" ? [...l].slice(0, MAX_TOKEN_TEXT).join("") : null));
}
