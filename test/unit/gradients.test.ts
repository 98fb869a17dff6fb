// Gradient health: each step's gradient norm per parameter (read back in one batch), the running-median
// warnings, what the run store keeps of both, and the gradient chart's columns.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { nn, tf, backwardUnread, useBackend } from "unroll";
import * as tfTorch from "./tf-torch";
import type { GradientWarning, RunDetail, RunInfo } from "../../src/common/protocol";
import { GradientMonitor, judge, median } from "../../src/runner/gradient-health";
import { parseGradNorms, parseMetricLine, parseRunInfo } from "../../src/runs/run-file";
import { lossAndGradientNorms } from "../../src/runner/training";
import { gradientColumns, gradientNames, warningTitle } from "../../webview/gradient-logic";
import { applyRunEvent } from "../../src/common/run-reducer";
import { setupBackend } from "./helpers";

before(setupBackend);

const OFF = { vanishing: 0, exploding: 0 };
const DEFAULT = { vanishing: 0.01, exploding: 100 };

test("median of odd and even counts, unsorted", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
});

test("judge: below vanishing × median, above exploding × median, else nothing; a zero median says nothing", () => {
  assert.equal(judge(0.009, 1, DEFAULT), "vanishing");
  assert.equal(judge(0, 1, DEFAULT), "vanishing");
  assert.equal(judge(0.011, 1, DEFAULT), null);
  assert.equal(judge(101, 1, DEFAULT), "exploding");
  assert.equal(judge(99, 1, DEFAULT), null);
  assert.equal(judge(1e-9, 0, DEFAULT), null);
  assert.equal(judge(NaN, 1, DEFAULT), null);
  assert.equal(judge(0, 1, OFF), null);
  assert.equal(judge(1e9, 1, OFF), null);
});

test("the monitor waits for its warm-up, warns once when a norm leaves the band, again only after it came back", () => {
  const monitor = new GradientMonitor(DEFAULT, 50, 10);
  const warnings: GradientWarning[] = [];
  const feed = (step: number, norms: Record<string, number>) => warnings.push(...monitor.observe(step, 1, norms));
  // Warm-up: a tiny norm at step 3 is not judged (fewer than 10 steps before it).
  for (let step = 1; step <= 10; step++) feed(step, { w: step === 3 ? 1e-9 : 1, b: 0.5 });
  assert.equal(warnings.length, 0);
  feed(11, { w: 1e-4, b: 0.5 });
  feed(12, { w: 1e-5, b: 0.5 }); // still vanishing: no second warning
  feed(13, { w: 1, b: 500 });
  feed(14, { w: 1e-4, b: 0.5 }); // back in the band at 13, so vanishing again is a new warning
  assert.deepEqual(
    warnings.map((w) => [w.parameter, w.kind, w.step]),
    [
      ["w", "vanishing", 11],
      ["b", "exploding", 13],
      ["w", "vanishing", 14],
    ],
  );
  const first = warnings[0];
  assert.equal(first.median, 1);
  assert.equal(first.norm, 1e-4);
  assert.match(warningTitle(first), /^Vanishing gradient: w at step 11$/);
});

test("a lasting fall stays one warning: the vanished norms stay out of the running median", () => {
  const monitor = new GradientMonitor(DEFAULT, 20, 10);
  const kinds: string[] = [];
  for (let step = 1; step <= 20; step++) monitor.observe(step, 1, { w: 1 });
  for (let step = 21; step <= 60; step++) kinds.push(...monitor.observe(step, 1, { w: 1e-3 }).map((w) => `${w.kind}@${w.step}`));
  // Flagged once at 21, and vanished since: no new warning.
  assert.deepEqual(kinds, ["vanishing@21"]);
  assert.deepEqual(monitor.observe(61, 1, { w: 1e-3 }), []);
});

test("what is left of a vanished gradient (rounding: zeros, 1e-13, 2e-8 in turn) raises no warning; it ends when the norm is back", () => {
  const monitor = new GradientMonitor(DEFAULT, 50, 10);
  const warnings: string[] = [];
  const feed = (step: number, w: number) => warnings.push(...monitor.observe(step, 1, { w }).map((x) => `${x.kind}@${x.step}`));
  for (let step = 1; step <= 16; step++) feed(step, 0.1);
  const noise = [0, 2e-8, 1e-13, 0, 2e-8, 3e-13];
  for (let step = 17; step <= 200; step++) feed(step, noise[step % noise.length]);
  assert.deepEqual(warnings, ["vanishing@17"]); // judged against itself, the noise gave dozens, "exploding" ones too
  feed(201, 0.05); // back above 0.01 × the 0.1 it fell from: within the band of the window from before the fall
  feed(202, 1e-4); // and a new fall is a new warning
  feed(203, 20); // exploding: judged against the window from before the fall (0.1)
  assert.deepEqual(warnings, ["vanishing@17", "vanishing@202", "exploding@203"]);
});

test("a lasting rise becomes the new normal: the running median forgets steps past its window", () => {
  const monitor = new GradientMonitor(DEFAULT, 20, 10);
  const kinds: string[] = [];
  for (let step = 1; step <= 20; step++) monitor.observe(step, 1, { w: 1 });
  for (let step = 21; step <= 60; step++) kinds.push(...monitor.observe(step, 1, { w: 1e3 }).map((w) => `${w.kind}@${w.step}`));
  // Flagged once at 21; 11 steps of 1e3 later the median is 1e3 and the warning ends, without a new one.
  assert.deepEqual(kinds, ["exploding@21"]);
  assert.deepEqual(monitor.observe(61, 1, { w: 1e5 }), [], "1e5 is 100 × the new normal");
  assert.deepEqual(
    monitor.observe(62, 1, { w: 1.1e5 }).map((w) => w.kind),
    ["exploding"],
  );
});

test("lossAndGradientNorms: the loss, and one norm per parameter with a gradient equal to the gradient's own norm, on wasm's heap and in tfjs ops", async () => {
  const check = () => {
    tfTorch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Dropout(0), new nn.Linear(4, 2));
    const unused = new nn.Linear(2, 2); // registered with the engine, but no gradient from this loss
    const x = tfTorch.randn([5, 3]);
    tf.tidy(() => {
      model.zeroGrad();
      const { loss } = backwardUnread(() => model.forward(x).square().mean());
      const read = lossAndGradientNorms(model, loss);
      assert.equal(read.loss, loss.dataSync()[0]);
      assert.deepEqual(
        Object.keys(read.gradNorms),
        model.namedParameters().map(([name]) => name),
      );
      for (const [name, p] of model.namedParameters()) {
        const expected = Math.sqrt((p.grad!.tf.dataSync() as Float32Array).reduce((s, v) => s + v * v, 0));
        assert.ok(Math.abs(read.gradNorms[name] - expected) <= 1e-6 * Math.max(1, expected), `${name}: ${read.gradNorms[name]} vs ${expected}`);
      }
      assert.deepEqual(lossAndGradientNorms(unused, tf.scalar(2)), { loss: 2, gradNorms: {} });
    });
  };
  check(); // the unit tests' backend: wasm, read from its heap
  await useBackend("cpu", { native: false });
  try {
    check(); // stacked in tfjs ops, one read
  } finally {
    await setupBackend();
  }
});

test("metrics lines: gradNorms read totally, absent in older runs; run.json's warnings checked", () => {
  const line = parseMetricLine('{"type":"step","epoch":1,"step":2,"loss":0.5,"lr":0.1,"time":1,"gradNorms":{"rnn.weight_hh_l0":0.25,"x":null,"y":"big"}}');
  assert.ok(line && line.type === "step");
  assert.equal(line.gradNorms!["rnn.weight_hh_l0"], 0.25);
  assert.ok(Number.isNaN(line.gradNorms!.x));
  assert.equal("y" in line.gradNorms!, false);
  const older = parseMetricLine('{"type":"step","epoch":1,"step":2,"loss":0.5,"lr":0.1,"time":1}');
  assert.ok(older && older.type === "step" && !("gradNorms" in older));
  assert.equal(parseGradNorms([1, 2]), undefined);
  assert.equal(parseGradNorms("0.5"), undefined);

  const warning: GradientWarning = { parameter: "rnn.weight_hh_l0", kind: "vanishing", step: 45, epoch: 3, norm: 5e-4, median: 0.075 };
  const info = {
    id: "r",
    name: "r",
    file: "/m.ts",
    status: "completed",
    pid: 1,
    backend: "wasm",
    backendName: "wasm",
    startedAt: "2026-01-01T00:00:00Z",
    config: { epochs: 1, model: "M", parameterCount: 1, optimizer: "Adam", snapshotEvery: 50 },
  };
  const read = parseRunInfo(JSON.stringify({ ...info, gradientWarnings: [warning], gradientWarningCount: 7 }), "r");
  assert.equal(read.damaged, undefined);
  assert.deepEqual([read.info.gradientWarnings, read.info.gradientWarningCount], [[warning], 7]);
  const bad = parseRunInfo(JSON.stringify({ ...info, gradientWarnings: [{ ...warning, kind: "wobbly" }] }), "r");
  assert.match(bad.damaged ?? "", /gradientWarnings/);
  assert.equal(bad.info.gradientWarnings, undefined);
});

test("the explorer folds gradient norms and warnings into the run; the chart has a column per parameter", () => {
  const info = { id: "r", status: "running", config: {} } as unknown as RunInfo;
  const detail: RunDetail = { summary: { info, dir: "", lossCurve: [] }, steps: [{ epoch: 1, step: 1, loss: 1, lr: 0.1, time: 0 }], epochs: [] };
  applyRunEvent(detail, { type: "step", epoch: 1, step: 2, loss: 0.9, lr: 0.1, time: 0, gradNorms: { a: 1, b: 2 } });
  applyRunEvent(detail, { type: "step", epoch: 1, step: 3, loss: 0.8, lr: 0.1, time: 0, gradNorms: { b: 3, c: Infinity } });
  const warning: GradientWarning = { parameter: "a", kind: "exploding", step: 3, epoch: 1, norm: 500, median: 1 };
  assert.equal(applyRunEvent(detail, { type: "gradientWarning", warning }), "gradientWarning");
  assert.deepEqual(detail.summary.info.gradientWarnings, [warning]);
  assert.equal(detail.summary.info.gradientWarningCount, 1);
  const names = gradientNames(detail.steps);
  assert.deepEqual(names, ["a", "b", "c"]);
  assert.deepEqual(gradientColumns(detail.steps, names), [
    [1, 2, 3],
    [null, 1, null],
    [null, 2, 3],
    [null, null, null],
  ]);
});
