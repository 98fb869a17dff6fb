// One training run of a model file's experiment: what a PyTorch training loop does, plus recording.
//
// For every batch of every epoch: zeroGrad, backward(loss), clip, optimizer step, each step inside tf.tidy
// so that memory stays flat. Then, per epoch: the scheduler, `evaluate` (eval mode, tensors freed), a
// checkpoint. Every `snapshotEvery` steps and at the end: a parameter snapshot and the recurrent dynamics
// of the sample batch (one extra forward and backward pass, outside the training step). Events go to
// `emit`, and the run store is written as they happen, so a killed run keeps everything up to its last line.
import * as path from "node:path";
import { tf, nn, backward, recordDynamics, serializeSafetensors, useBackend, type Batch, type ExperimentData, type Metrics, type Tensor } from "unroll";
import type { RunEvent, RunInfo, RunnerError, RunStatus } from "../protocol";
import { buildModel, exportLocation, findExperiment, lossFunction, RunFailure, viaExperiment } from "./experiment";
import { batchSize, foldBest, recordHparams } from "./hparams";
import { describeError, refuseProcessExit, runModelFile } from "./model-file";
import { defaultRunsFolder, processStartTime, RunWriter, StoreError } from "./run-store";
import { GradientMonitor, MAX_WARNINGS } from "./gradient-health";
import { compactDynamics, snapshotParameters } from "./snapshot";
import { DEFAULT_DATA_TIMEOUT_S, DEFAULT_EXPLODING_RATIO, DEFAULT_SNAPSHOT_EVERY, DEFAULT_VANISHING_RATIO, type TrainOptions } from "./train-contract";
import { secondsFromEnv, timeoutError, type Watchdog } from "./watchdog-host";

/** Metrics as recorded: a scalar tensor becomes its number. */
type RecordedMetrics = Record<string, number | string>;

/** The first parameter (PyTorch name) whose gradient has a NaN or an infinity. */
function firstNonFiniteGradient(model: nn.Module): string | null {
  for (const [name, p] of model.namedParameters()) {
    if (p.grad && (p.grad.dataSync() as Float32Array).some((v) => !Number.isFinite(v))) return name;
  }
  return null;
}

function nanFailure(what: string, value: number, step: number, epoch: number, model: nn.Module): RunFailure {
  const culprit = firstNonFiniteGradient(model);
  const where = culprit ? `the first parameter whose gradient is not finite: ${culprit}` : "every gradient is finite";
  return new RunFailure({ kind: "nan", message: `${what} became ${value} at step ${step} (epoch ${epoch}); ${where}` });
}

/** Each parameter's gradient norm (PyTorch names; parameters without a gradient left out), read back in one
 *  batch: a sum of squares per parameter, stacked, one read for them all. Call inside a tidy. */
export function gradientNorms(model: nn.Module): Record<string, number> {
  const named = model.namedParameters().filter(([, p]) => p.grad);
  if (!named.length) return {};
  const norms = tf
    .stack(named.map(([, p]) => p.grad!.square().sum()))
    .sqrt()
    .dataSync();
  return Object.fromEntries(named.map(([name], i) => [name, norms[i]]));
}

/** Metric values as numbers or strings (a scalar tensor becomes its number). */
function plainMetrics(metrics: unknown): RecordedMetrics {
  const out: RecordedMetrics = {};
  for (const [key, value] of Object.entries((metrics ?? {}) as Record<string, unknown>)) {
    out[key] = value instanceof tf.Tensor ? (value.dataSync()[0] as number) : typeof value === "number" || typeof value === "string" ? value : String(value);
  }
  return out;
}

/** What exhausted memory throws: the wasm heap (4 GiB at most) aborting, or an ArrayBuffer that cannot be had. */
const OUT_OF_MEMORY = /Aborted\(|memory access out of bounds|Array buffer allocation failed|Invalid typed array length|out of memory/i;

/** An out-of-memory error said so: where training was, and what to make smaller. Other errors as they are. */
function outOfMemory(error: RunnerError, thrown: unknown, step: number, epoch: number): RunnerError {
  const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  if (!(thrown instanceof RangeError || thrown instanceof WebAssembly.RuntimeError) || !OUT_OF_MEMORY.test(text)) return error;
  const where = step ? `at step ${step} (epoch ${epoch})` : "before the first step";
  const hint = "the backend could not allocate its tensors (WebAssembly has at most 4 GiB): try a smaller batch size or shorter sequences, or a smaller model";
  return { ...error, message: `out of memory ${where}: ${error.message}; ${hint}` };
}

/** Lets IPC messages and signals (a stop) in between two steps. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Trains the experiment of `options.file`; returns how the run ended (or "failed" before it started). The watchdog
 *  holds `data()` to its time limit; without one (an in-process caller, a test) data() has no limit. */
export async function train(options: TrainOptions, emit: (event: RunEvent) => void, stopRequested: () => boolean, watchdog?: Watchdog): Promise<RunStatus> {
  const { file } = options;
  let store: RunWriter | null = null;
  let info: RunInfo | null = null;
  let step = 0;
  let epoch = 0;
  // The model file's process.exit ends nothing: it fails the run at its line.
  const restoreExit = refuseProcessExit((call) => `${call} cannot end a training run: throw an Error to fail it, or stop it (Ctrl-C, Stop Training)`);
  try {
    const backend = await useBackend(options.backend, { searchPaths: [path.dirname(file)] });
    const loaded = await runModelFile(file);
    if ("error" in loaded) throw new RunFailure(loaded.error);
    const experiment = findExperiment(loaded.exports, file);
    const model = buildModel(experiment);
    const optimizer = experiment.optimizer(model.parameters());
    const loss = lossFunction(experiment);
    const dataTimeout = options.dataTimeout ?? secondsFromEnv("UNROLL_DATA_TIMEOUT", DEFAULT_DATA_TIMEOUT_S);
    // A data() that loops is halted with this process: the training client reports the error.
    const dataTimeoutError = (stack?: string) => {
      const change = "--data-timeout SECONDS, $UNROLL_DATA_TIMEOUT or the unroll.dataTimeout setting changes the limit";
      return timeoutError("data()", dataTimeout, stack, file, change, exportLocation(file));
    };
    const made = watchdog ? await watchdog.within(() => experiment.data(), dataTimeout * 1000, dataTimeoutError) : { value: await experiment.data() };
    if ("timeout" in made) throw new RunFailure(dataTimeoutError(made.stack));
    const data = made.value;
    const scheduler = experiment.scheduler?.(optimizer);
    const epochs = options.epochs ?? experiment.epochs;
    const snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    const name = experiment.name ?? path.basename(file).replace(/\.[cm]?[jt]sx?$/, "");

    store = RunWriter.create(options.runsFolder ?? defaultRunsFolder(file), name);
    const started = performance.now();
    info = {
      id: store.id,
      name,
      file,
      status: "running",
      pid: process.pid,
      pidStart: processStartTime(process.pid),
      backend: backend.summary,
      backendName: backend.name,
      startedAt: new Date().toISOString(),
      config: { epochs, model: String(model), parameterCount: model.numParameters(), optimizer: optimizer.constructor.name, snapshotEvery },
      hparams: recordHparams(experiment, optimizer, scheduler, epochs),
    };
    store.writeInfo(info);
    emit({ type: "start", run: info });

    const elapsed = () => Math.round((performance.now() - started) * 10) / 10000; // seconds, to 0.1 ms
    const userSample = experiment.sample?.(data);
    let sample: Batch | undefined = userSample;
    const lossOf = (batch: Batch, epoch: number): Tensor =>
      experiment.step ? experiment.step({ model, batch, loss, epoch }) : loss(model.forward(batch[0]), batch[1]);

    let snapshotted = -1;
    let checkpointed = -1;
    const snapshot = (epoch: number) => {
      snapshotted = step;
      const parameters = snapshotParameters(model);
      // Eval mode: no dropout, so the pass draws no random numbers and the pictures compare across snapshots.
      model.eval();
      let dynamics;
      try {
        dynamics = sample ? compactDynamics(recordDynamics(model, () => lossOf(sample!, epoch))) : [];
      } finally {
        model.train();
      }
      const written = store!.writeSnapshot({ epoch, step, parameters, dynamics }); // within the file size cap
      emit({ type: "snapshot", epoch, step, parameters: written.parameters });
      emit({ type: "dynamics", epoch, step, layers: written.dynamics });
    };
    const checkpoint = (epoch: number) => {
      checkpointed = step;
      const file = store!.writeWeights(serializeSafetensors(model.stateDict(), { format: "pt" }));
      emit({ type: "checkpoint", epoch, step, file });
    };

    const monitor = new GradientMonitor({
      vanishing: options.vanishingRatio ?? DEFAULT_VANISHING_RATIO,
      exploding: options.explodingRatio ?? DEFAULT_EXPLODING_RATIO,
    });
    let stopped = false;
    while (epoch < epochs && !stopped) {
      epoch++;
      const losses: number[] = [];
      const batches = typeof data.train === "function" ? data.train() : data.train;
      for (const batch of batches) {
        if (!userSample && !losses.length) sample = batch; // the epoch's first batch: alive while the epoch runs
        if (step === 0) {
          const size = batchSize(batch);
          if (size !== undefined) info.hparams!.batchSize = size; // written with the first epoch's run.json
        }
        step++;
        let gradNorms: Record<string, number> = {};
        const value = tf.tidy(() => {
          model.zeroGrad();
          const value = backward(() => lossOf(batch, epoch));
          if (!Number.isFinite(value)) throw nanFailure("the loss", value, step, epoch, model);
          gradNorms = gradientNorms(model); // before clipping: what backward gave
          if (experiment.clipGradNorm !== undefined) {
            const norm = nn.utils.clipGradNorm(model.parameters(), experiment.clipGradNorm);
            if (!Number.isFinite(norm)) throw nanFailure("the gradient norm", norm, step, epoch, model);
          }
          optimizer.step();
          return value;
        });
        losses.push(value);
        const line = { type: "step", epoch, step, loss: value, lr: optimizer.lr, time: elapsed(), gradNorms } as const;
        store.appendMetric(line);
        emit(line);
        for (const warning of monitor.observe(step, epoch, gradNorms)) {
          info.gradientWarningCount = (info.gradientWarningCount ?? 0) + 1;
          if ((info.gradientWarnings ??= []).length < MAX_WARNINGS) info.gradientWarnings.push(warning);
          emit({ type: "gradientWarning", warning });
        }
        if (step % snapshotEvery === 0) snapshot(epoch);
        await yieldToEvents();
        if ((stopped = stopRequested())) break;
      }
      if (stopped) break; // a partial epoch gets no epoch line: its steps are in the metrics
      if (!losses.length) throw new Error(`data().train gave no batches in epoch ${epoch}`);
      scheduler?.step();
      const metrics = experiment.evaluate ? await evaluate(model, () => experiment.evaluate!(model, data as ExperimentData)) : {};
      const mean = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
      const line = { type: "epoch", epoch, loss: mean, metrics, time: elapsed() } as const;
      store.appendMetric(line);
      emit(line);
      Object.assign(info, { epoch, finalLoss: mean, finalMetrics: metrics, best: foldBest(info.best, epoch, mean, metrics) });
      store.writeInfo(info);
      checkpoint(epoch);
      stopped = epoch < epochs && stopRequested(); // a stop after the last epoch changes nothing
    }
    if (snapshotted !== step) snapshot(epoch);
    if (checkpointed !== step) checkpoint(epoch);
    return finish(stopped ? "stopped" : "completed");
  } catch (thrown) {
    const error =
      thrown instanceof RunFailure || thrown instanceof StoreError
        ? thrown.error
        : outOfMemory(viaExperiment(describeError(thrown, file), file), thrown, step, epoch);
    emit({ type: "error", error });
    if (info) info.error = error;
    return finish("failed");
  } finally {
    restoreExit();
  }

  function finish(status: RunStatus): RunStatus {
    if (store && info) {
      Object.assign(info, { status, endedAt: new Date().toISOString() });
      store.end(info); // never throws: on a full disk, the store freed room for this last run.json
      emit({ type: "end", run: info });
    }
    return status;
  }
}

/** Runs `evaluate` in eval mode, freeing the tensors it makes (it may be async, so a scope instead of tidy). */
async function evaluate(model: nn.Module, run: () => Metrics | Promise<Metrics>): Promise<RecordedMetrics> {
  model.eval();
  tf.engine().startScope();
  try {
    return plainMetrics(await run());
  } finally {
    tf.engine().endScope();
    model.train();
  }
}
