// What a run records to be compared: the configuration read from an experiment (the pure part; train.test.ts
// trains one and reads run.json back), the best of each metric, the experiment's `hparams` checked, and run.json's
// new fields read back totally.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { batchSize, foldBest, metricGoal, recordHparams } from "../../src/runner/hparams";
import { findExperiment, RunFailure } from "../../src/runner/experiment";
import { parseRunInfo } from "../../src/runs/run-file";

const f = () => undefined;
class ToyOptimizer {
  params = [{}, {}];
  lr = 0.1;
  stepCount = 0; // state, not configuration
  betas = [0.9, 0.999];
  eps = 1e-8;
  amsgrad = false;
  private readonly state = new Map();
}
class ToyScheduler {
  lastEpoch = 0;
  constructor(
    readonly optimizer: object,
    readonly options: { stepSize: number; gamma?: number },
  ) {}
}

describe("hyperparameters of a run", () => {
  test("from the experiment, the optimizer instance, the scheduler's options and hparams (which win a clash)", () => {
    const experiment = { name: "x", epochs: 30, clipGradNorm: 1, model: f, data: f, trace: { batch: f }, hparams: { hiddenSize: 100, lr: 0.2, note: "wide" } };
    const got = recordHparams(experiment, new ToyOptimizer(), new ToyScheduler({}, { stepSize: 5, gamma: 0.5 }), 10);
    assert.deepEqual(got, {
      epochs: 10,
      clipGradNorm: 1,
      optimizer: "ToyOptimizer",
      lr: 0.2,
      "betas[0]": 0.9,
      "betas[1]": 0.999,
      eps: 1e-8,
      amsgrad: false,
      scheduler: "ToyScheduler",
      "scheduler.stepSize": 5,
      "scheduler.gamma": 0.5,
      hiddenSize: 100,
      note: "wide",
    });
    assert.deepEqual(
      recordHparams({ epochs: 2, clipGradNorm: NaN }, { lr: Infinity }, undefined, 2),
      { epochs: 2, optimizer: "Object" },
      "JSON cannot hold NaN: left out",
    );
  });

  test("batch size: the first batch's target's first dimension", () => {
    assert.equal(batchSize([{ shape: [5, 3, 4] }, { shape: [32, 7] }]), 32);
    assert.equal(batchSize([{}, { shape: [] }]), undefined);
    assert.equal(batchSize(null), undefined);
  });

  test("the best of each metric: lowest loss, highest accuracy, lowest error; NaN never wins", () => {
    assert.deepEqual(
      [metricGoal("val_loss"), metricGoal("accuracy"), metricGoal("errorRate"), metricGoal("perplexity"), metricGoal("f1")],
      ["min", "max", "min", "min", "max"],
    );
    let best = foldBest(undefined, 1, 0.9, { accuracy: 0.5, error: 0.4, predicted: "ohlol" });
    best = foldBest(best, 2, 0.5, { accuracy: 0.4, error: NaN, predicted: "hello" });
    best = foldBest(best, 3, 0.7, { accuracy: 0.8, error: 0.3 });
    assert.deepEqual(best, {
      loss: { value: 0.5, epoch: 2, goal: "min" },
      accuracy: { value: 0.8, epoch: 3, goal: "max" },
      error: { value: 0.3, epoch: 3, goal: "min" },
    });
  });

  test("an experiment's hparams: numbers, strings and booleans; anything else is an export error", () => {
    const base = { epochs: 1, model: f, data: f, loss: f, optimizer: f };
    assert.deepEqual(findExperiment({ default: { ...base, hparams: { hiddenSize: 100, cell: "GRU", bias: true } } }, "/x.ts").hparams, {
      hiddenSize: 100,
      cell: "GRU",
      bias: true,
    });
    for (const [hparams, message] of [
      [[1], /hparams must be an object.*got an array/],
      [{ size: NaN }, /hparams.size must be a finite number, a string or a boolean, got NaN/],
      [{ layers: [1, 2] }, /hparams.layers .* got object/],
    ] as const) {
      assert.throws(
        () => findExperiment({ default: { ...base, hparams } }, "/x.ts"),
        (e: unknown) => e instanceof RunFailure && e.error.kind === "export" && message.test(e.error.message),
      );
    }
  });

  test("run.json: hparams and best read back; older runs without them are not damaged; malformed ones are", () => {
    const run = { name: "r", file: "/m.ts", status: "completed", pid: 1, backend: "wasm", backendName: "wasm", startedAt: "2026-01-01T00:00:00Z", config: {} };
    const older = parseRunInfo(JSON.stringify(run), "r");
    assert.equal(older.damaged, undefined);
    assert.equal(older.info.hparams, undefined);
    const hparams = { lr: 0.1, optimizer: "Adam", amsgrad: false };
    const best = { loss: { value: 0.2, epoch: 3, goal: "min" } };
    const newer = parseRunInfo(JSON.stringify({ ...run, hparams, best }), "r");
    assert.deepEqual([newer.info.hparams, newer.info.best, newer.damaged], [hparams, best, undefined]);
    const bad = parseRunInfo(JSON.stringify({ ...run, hparams: { lr: [1] }, best: { loss: { value: 1, epoch: 1, goal: "up" } } }), "r");
    assert.deepEqual([bad.info.hparams, bad.info.best], [undefined, undefined]);
    assert.match(bad.damaged ?? "", /hparams is an object; run.json's best is an object/);
  });
});
