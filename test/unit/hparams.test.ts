// What a run records to be compared: the configuration read from an experiment (the pure part; train.test.ts
// trains one and reads run.json back), the best of each metric, the experiment's `hparams` checked, and run.json's
// new fields read back totally.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyOverrides, batchSize, foldBest, metricGoal, nearestName, recordHparams } from "../../src/runner/hparams";
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

  test("batch size: the batch dimension the first recurrent layer reads; without one, the target's first", () => {
    const seqFirst = { batchFirst: false };
    const batchFirst = { batchFirst: true };
    assert.equal(batchSize([{ shape: [5, 3, 4] }, { shape: [5, 3, 2] }], seqFirst), 3, "[seq, batch, features]");
    assert.equal(batchSize([{ shape: [3, 5, 4] }, { shape: [3] }], batchFirst), 3, "[batch, seq, features]");
    assert.equal(batchSize([{ shape: [7, 4] }, { shape: [7, 2] }], seqFirst), 1, "unbatched: [seq, features], not 7");
    assert.equal(batchSize([{ shape: [7], dtype: "int32" }, { shape: [7] }], seqFirst), 1, "unbatched token ids");
    assert.equal(batchSize([{ shape: [6, 9], dtype: "int32" }, { shape: [6 * 9] }], batchFirst), 6, "token ids [batch, seq]");
    assert.equal(batchSize([{ shape: [9, 6], dtype: "int32" }, { shape: [9, 6] }], seqFirst), 6, "token ids [seq, batch]");
    assert.equal(batchSize([{ batchSizes: [4, 4, 2] }, { shape: [10] }], seqFirst), 4, "a PackedSequence: its first batch size");
    assert.equal(batchSize([{ shape: [5, 3, 4] }, { shape: [32, 7] }]), 32, "no recurrent layer: the target's first");
    assert.equal(batchSize([[{ shape: [1] }, { shape: [2] }], { shape: [8, 2] }], seqFirst), 8, "a tuple input: the target's first");
    assert.equal(batchSize([{}, { shape: [] }]), undefined);
    assert.equal(batchSize(null), undefined);
    assert.equal(batchSize([{ shape: "x", batchSizes: ["a"] }, { shape: ["b"] }], seqFirst), undefined);
  });

  test("--set overrides: checked against the declared names and types; an unknown name gets the nearest", () => {
    const declared = { lr: 0.1, hidden: 32, cell: "GRU", bidirectional: false };
    assert.deepEqual(applyOverrides(declared, { lr: "0.03", hidden: "64", cell: "LSTM 唐诗", bidirectional: "true" }), {
      lr: 0.03,
      hidden: 64,
      cell: "LSTM 唐诗",
      bidirectional: true,
    });
    assert.deepEqual(applyOverrides(declared, {}), declared);
    assert.deepEqual(applyOverrides(declared, { lr: "1e-3", cell: "" }), { ...declared, lr: 0.001, cell: "" });
    const refused = (overrides: Record<string, string>, message: string, from: Record<string, number | string | boolean> = declared) =>
      assert.throws(() => applyOverrides(from, overrides), { message });
    refused({ lrr: "0.1" }, "unknown hyperparameter 'lrr'; did you mean 'lr'?");
    refused({ hiden: "8" }, "unknown hyperparameter 'hiden'; did you mean 'hidden'?");
    refused({ Hidden: "8" }, "unknown hyperparameter 'Hidden'; did you mean 'hidden'?");
    refused({ dropout: "0.2" }, "unknown hyperparameter 'dropout'; the experiment declares lr, hidden, cell, bidirectional");
    refused({ lr: "0.1" }, "unknown hyperparameter 'lr': the experiment declares no hparams", {});
    refused({ hidden: "6.5" }, "hyperparameter 'hidden' is a whole number (declared 32), got '6.5'");
    refused({ lr: "fast" }, "hyperparameter 'lr' is a number (declared 0.1), got 'fast'");
    refused({ lr: "" }, "hyperparameter 'lr' is a number (declared 0.1), got ''");
    refused({ lr: "Infinity" }, "hyperparameter 'lr' is a number (declared 0.1), got 'Infinity'");
    refused({ bidirectional: "yes" }, "hyperparameter 'bidirectional' is true or false, got 'yes'");
    refused({ toString: "x" }, "unknown hyperparameter 'toString'; the experiment declares lr, hidden, cell, bidirectional");
    refused({ __proto__x: "1" } as Record<string, string>, "unknown hyperparameter '__proto__x'; the experiment declares lr, hidden, cell, bidirectional");
    const odd = JSON.parse('{"__proto__": 2, "toString": "a"}') as Record<string, number | string>; // declared own names
    const set = applyOverrides(odd, JSON.parse('{"__proto__": "3", "toString": "b"}') as Record<string, string>);
    assert.deepEqual([Object.getOwnPropertyDescriptor(set, "__proto__")?.value, Object.getOwnPropertyDescriptor(set, "toString")?.value], [3, "b"]);
    assert.equal(Object.getPrototypeOf(set), Object.prototype);
    assert.equal(nearestName("hiddenSize", ["hidden_size", "lr"]), "hidden_size");
    assert.equal(nearestName("x", ["lr", "hidden"]), undefined);
    assert.equal(nearestName("anything", []), undefined);
    assert.equal(nearestName("rl", ["lr", "hidden"]), "lr"); // two letters swapped are one slip
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

  test("goals decide which way a metric is better, over the name's guess; malformed goals are an export error", () => {
    assert.deepEqual([metricGoal("error", { error: "max" }), metricGoal("acc", { rmse: "min" }), metricGoal("rmse", { rmse: "min" })], ["max", "max", "min"]);
    let best = foldBest(undefined, 1, 0.9, { error: 0.4, score: 3 }, { error: "max", score: "min" });
    best = foldBest(best, 2, 0.5, { error: 0.6, score: 1 }, { error: "max", score: "min" });
    assert.deepEqual(best.error, { value: 0.6, epoch: 2, goal: "max" });
    assert.deepEqual(best.score, { value: 1, epoch: 2, goal: "min" });
    const base = { epochs: 1, model: f, data: f, loss: f, optimizer: f };
    assert.deepEqual(findExperiment({ default: { ...base, goals: { acc: "max" } } }, "/x.ts").goals, { acc: "max" });
    for (const goals of [{ acc: "up" }, ["max"], "max", null]) {
      assert.throws(
        () => findExperiment({ default: { ...base, goals } }, "/x.ts"),
        (e: unknown) => e instanceof RunFailure && e.error.kind === "export" && /^goals say which way each metric is better/.test(e.error.message),
      );
    }
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
