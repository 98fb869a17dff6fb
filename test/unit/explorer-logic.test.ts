// The explorer panel's pure logic (issue 25): round ticks, which axis a metric goes on, how a short series is
// smoothed, and the Shapes table's shortened labels.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { histogramTicks, niceStep, niceTicks, roundUp, tickLabel, tickLabels } from "../../webview/ticks";
import { metricUnit, planAxes } from "../../webview/chart-axes";
import { SHORT_SERIES, smoothingStyle } from "../../webview/smoothing";
import { MAX_LABEL, shortLabel, wrapPieces } from "../../webview/short-text";
import { SnapshotHistory } from "../../webview/snapshot-history";
import { formatLoss } from "../../src/common/format";
import { emptyRunDetail, epochInProgress } from "../../src/common/run-reducer";
import type { GradientWarning, RunInfo } from "../../src/common/protocol";
import { backendLabel } from "../../webview/backend-label";
import { timeLabels } from "../../webview/time-axis";
import { parseSnapshot } from "../../src/runs/run-file";
import { legendGroups, warningMarks } from "../../webview/gradient-logic";

describe("round ticks", () => {
  test("steps are 1, 2, 2.5 or 5 times a power of ten", () => {
    assert.equal(niceStep(0, 10, 5), 2);
    assert.equal(niceStep(-0.0494, 0.0511, 4), 0.025);
    assert.equal(niceStep(0, 1, 4), 0.25);
    assert.equal(niceStep(3, 3, 5), 0.5); // one value: a step from 0 to it
    assert.equal(niceStep(0, 0, 5), 1);
  });

  test("a histogram of [−0.0494, 0.0511] is labelled −0.05 … 0.05, never −0.0494", () => {
    const ticks = histogramTicks(-0.0494, 0.0511, 280);
    assert.deepEqual(
      ticks.map((t) => t.label),
      ["−0.025", "0", "0.025", "0.050"],
    );
    assert.ok(ticks.every((t) => t.value >= -0.0494 && t.value <= 0.0511));
    assert.ok(!ticks.some((t) => /0494/.test(t.label)));
    // Narrower: fewer ticks, still round.
    assert.deepEqual(
      histogramTicks(-0.0494, 0.0511, 140).map((t) => t.label),
      ["0", "0.05"],
    );
  });

  test("ticks are multiples of the step with no float noise and no −0", () => {
    assert.deepEqual(niceTicks(0.1, 0.7, 6), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    assert.deepEqual(niceTicks(-1, 1, 2), [-1, 0, 1]);
    assert.ok(niceTicks(-1, 1, 2).every((v) => !Object.is(v, -0)));
    assert.deepEqual(niceTicks(5, 1, 4), [1, 2, 3, 4, 5]); // reversed ends
    assert.deepEqual(niceTicks(NaN, 1), []);
  });

  test("labels carry the step's decimals and a true minus sign", () => {
    assert.equal(tickLabel(-0.05, 0.025), "−0.050");
    assert.equal(tickLabel(0.1, 0.05), "0.10");
    assert.equal(tickLabel(1500, 500), "1500");
    assert.equal(tickLabel(0, 0.1), "0");
    assert.equal(tickLabel(2e-6, 1e-6), "2e-6");
    assert.deepEqual(tickLabels([0.1, 0.15000000000000002, 0.2, null]), ["0.10", "0.15", "0.20", ""]);
  });

  test("a colour scale's end rounds up to a round value", () => {
    assert.equal(roundUp(0.0494), 0.05);
    assert.equal(roundUp(0.26), 0.3);
    assert.equal(roundUp(1), 1);
    assert.equal(roundUp(0), 0);
    assert.ok(roundUp(123.4) >= 123.4 && roundUp(123.4) <= 150);
  });
});

describe("axes by metric kind (lesson 06)", () => {
  const epochs = 8;
  const loss = Array.from({ length: epochs }, (_, i) => 2.5 - i * 0.25);
  const accuracy = Array.from({ length: epochs }, (_, i) => 0.3 + i * 0.05);
  const baseline = new Array<number>(epochs).fill(0.22);

  test("the majority-class baseline goes on the scores' axis, beside accuracy, not on the loss's", () => {
    assert.equal(metricUnit("baseline", baseline), "fraction");
    const plan = planAxes([
      { name: "epoch loss", values: loss },
      { name: "accuracy", values: accuracy },
      { name: "baseline", values: baseline },
    ]);
    assert.deepEqual(plan.sides, ["y", "y2", "y2"]);
    assert.deepEqual(plan.names, { y: ["epoch loss"], y2: ["accuracy", "baseline"] });
    assert.deepEqual(plan.ranges.y2, [0, 1]);
  });

  test("losses and errors stay on the loss axis whatever their values", () => {
    assert.equal(metricUnit("test loss", [0.2, 0.1]), "value");
    assert.equal(metricUnit("baseline loss", [0.5, 0.5]), "value");
    assert.equal(metricUnit("val_error", [0.2]), "value");
    assert.equal(metricUnit("baseline", [3.2, 3.1]), "value"); // a baseline beyond [0, 1] is no score
    assert.deepEqual(
      planAxes([
        { name: "epoch loss", values: loss },
        { name: "test loss", values: [0.4, 0.3] },
        { name: "accuracy", values: accuracy },
      ]).sides,
      ["y", "y", "y2"],
    );
  });
});

describe("smoothing of short series", () => {
  test("fewer than SHORT_SERIES points: raw values bold, smoothing faint", () => {
    assert.deepEqual(smoothingStyle(8, 0.6), { smoothed: true, rawBold: true });
    assert.deepEqual(smoothingStyle(SHORT_SERIES - 1, 0.9), { smoothed: true, rawBold: true });
    assert.deepEqual(smoothingStyle(SHORT_SERIES, 0.6), { smoothed: true, rawBold: false });
    assert.deepEqual(smoothingStyle(500, 0), { smoothed: false, rawBold: true });
    assert.deepEqual(smoothingStyle(8, NaN), { smoothed: false, rawBold: true });
  });
});

describe("shortened labels in the Shapes table", () => {
  test("a short name stays whole", () => {
    assert.equal(shortLabel("RNN(10, 20, batch_first=True)"), "RNN(10, 20, batch_first=True)");
  });

  test("a model's multi-line repr keeps its head", () => {
    const repr = "NamesClassifier(\n  (embedding): Embedding(57, 32)\n  (rnn): GRU(32, 64, batch_first=True)\n  (head): Linear(64, 18)\n)";
    assert.equal(shortLabel(repr), "NamesClassifier(…)");
  });

  test("a long name without a parenthesis is cut with …, on one line, by code points", () => {
    const long = "循环 网络(1) 🧪".replace("(1)", "") + "x".repeat(100);
    const short = shortLabel(long);
    assert.equal([...short].length, MAX_LABEL);
    assert.ok(short.endsWith("…"));
    assert.ok(short.startsWith("循环 网络 🧪"));
    assert.ok(!/\n/.test(shortLabel("a\nb")));
    const emoji = shortLabel("🧪".repeat(60), 10);
    assert.equal(emoji, "🧪".repeat(9) + "…"); // no half surrogate pair
  });

  test("a repr whose head is too long to keep is cut like any text", () => {
    const s = shortLabel("A".repeat(60) + "(x)", 20);
    assert.equal(s, "A".repeat(19) + "…");
  });
});

describe("the Parameters tab's snapshots", () => {
  const snap = (step: number, tag = "") => ({ step, epoch: Math.ceil(step / 32), tag });

  test("a snapshot posted again is never compared with itself (issue 25: “changes since step 256: +0”)", () => {
    const h = new SnapshotHistory<ReturnType<typeof snap>>();
    assert.equal(h.add(snap(128)), 0);
    assert.equal(h.add(snap(256)), 1);
    assert.equal(h.add(snap(256, "again")), 1); // the run posted again after it ended
    assert.equal(h.snapshots.length, 2);
    assert.equal(h.snapshots[1].tag, "again");
    assert.equal(h.before(1)?.step, 128);
    assert.equal(h.before(0), null);
    assert.ok(h.snapshots.every((s, i) => h.before(i)?.step !== s.step));
  });

  test("snapshots stay in step order, and one arriving late goes in its place", () => {
    const h = new SnapshotHistory<ReturnType<typeof snap>>();
    for (const step of [64, 192, 128]) h.add(snap(step));
    assert.deepEqual(
      h.snapshots.map((s) => s.step),
      [64, 128, 192],
    );
    assert.equal(h.before(2)?.step, 128);
    assert.equal(h.add({ step: NaN, epoch: 1, tag: "" }), -1);
    assert.equal(h.snapshots.length, 3);
  });

  test("past the cap the first snapshot stays (the earliest weights) and the second oldest goes", () => {
    const h = new SnapshotHistory<ReturnType<typeof snap>>(4);
    for (let i = 1; i <= 6; i++) h.add(snap(i * 10));
    assert.deepEqual(
      h.snapshots.map((s) => s.step),
      [10, 40, 50, 60],
    );
    assert.equal(h.before(1)?.step, 10);
    h.clear();
    assert.equal(h.snapshots.length, 0);
  });
});

describe("one loss, one epoch (issue 25, item 4)", () => {
  test("a loss is written alike everywhere: 4 decimals, exponent form only when that would read 0.0000", () => {
    assert.equal(formatLoss(0.51207), "0.5121");
    assert.equal(formatLoss(0.864), "0.8640");
    assert.equal(formatLoss(12.3), "12.3000");
    assert.equal(formatLoss(0), "0.0000");
    assert.equal(formatLoss(3.2e-6), "3.20e-6");
    assert.equal(formatLoss(NaN), "NaN");
    assert.equal(formatLoss(-Infinity), "−∞");
  });

  const info = (patch: Partial<RunInfo>) => ({ id: "r", status: "running", config: { epochs: 10 }, ...patch }) as unknown as RunInfo;
  const step = (epoch: number, n: number) => ({ epoch, step: n, loss: 1, lr: 0.1, time: n });

  test("while training, the panel's epoch is the one in progress, as the status bar's (not the last that ended)", () => {
    const detail = emptyRunDetail(info({ epoch: 2 }));
    detail.steps.push(step(2, 60), step(3, 61));
    assert.equal(epochInProgress(detail), 3);
  });

  test("before any step, and once the run ended, the last epoch that ended", () => {
    assert.equal(epochInProgress(emptyRunDetail(info({}))), undefined);
    const ended = emptyRunDetail(info({ status: "completed", epoch: 10 }));
    ended.steps.push(step(10, 300));
    assert.equal(epochInProgress(ended), 10);
    const stopped = emptyRunDetail(info({ status: "stopped", epoch: 4 }));
    stopped.steps.push(step(5, 130)); // stopped inside epoch 5: it did not end
    assert.equal(epochInProgress(stopped), 4);
  });
});

describe("the backend on one line", () => {
  test("the report's summary in a few words; the rest goes behind the disclosure", () => {
    const summary =
      "wasm (WebAssembly with SIMD, embedded) + native kernels (Eigen 3.4, AVX2, 2 threads) — skipped tfjs-node-gpu: not installed (npm install @tensorflow/tfjs-node-gpu); tfjs-node: not installed";
    assert.equal(backendLabel(summary), "CPU · WebAssembly + native kernels");
    assert.equal(backendLabel("wasm (WebAssembly with SIMD, embedded) — no native kernels: turned off (UNROLL_NATIVE=0)"), "CPU · WebAssembly");
    assert.equal(backendLabel("webgpu (Dawn, llvmpipe)"), "GPU · WebGPU");
    assert.equal(backendLabel("tfjs-node-gpu (CUDA 12)"), "GPU · CUDA");
    assert.equal(backendLabel("cpu (plain JavaScript)"), "CPU · JavaScript");
    assert.equal(backendLabel("mystery (new)"), "mystery");
    assert.equal(backendLabel(""), "");
    // A skipped backend's words after " — " do not count as native kernels in use.
    assert.equal(backendLabel("cpu (js) — skipped wasm: failed + native kernels (x)"), "CPU · JavaScript");
  });

  test("in the user's language", () => {
    const zh = (m: string, ...a: (string | number)[]) => (m === "{0} + native kernels" ? `${a[0]} + 原生内核` : m);
    assert.equal(backendLabel("wasm (SIMD) + native kernels (Eigen)", zh), "CPU · WebAssembly + 原生内核");
  });
});

describe("the gradient chart's legend and warning marks", () => {
  test("25 parameters group by module, in first-seen order, each keeping its series index", () => {
    const names = [
      ...["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"].flatMap((p) => [`encoder.rnn.${p}`]),
      ...Array.from({ length: 4 }, (_, l) => ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((p) => `decoder.lstm.${p}_l${l}`)).flat(),
      "embedding.weight",
      "head.weight",
      "head.bias",
      "scale",
      "decoder.lstm.weight_hr_l0",
      "encoder.rnn.weight_ih_l0_reverse",
      "offset",
    ];
    assert.equal(names.length, 27);
    const groups = legendGroups(names);
    assert.deepEqual(
      groups.map((g) => [g.module, g.items.length]),
      [
        ["encoder.rnn", 5],
        ["decoder.lstm", 17],
        ["embedding", 1],
        ["head", 2],
        ["", 2],
      ],
    );
    assert.deepEqual(groups[3].items, [
      { index: 21, name: "head.weight", label: "weight" },
      { index: 22, name: "head.bias", label: "bias" },
    ]);
    const indexes = groups.flatMap((g) => g.items.map((i) => i.index)).sort((a, b) => a - b);
    assert.deepEqual(
      indexes,
      names.map((_, i) => i),
    ); // every series once
  });

  test("each step that raised warnings is marked once, in order, naming them", () => {
    const w = (step: number, parameter: string, kind: GradientWarning["kind"] = "vanishing") =>
      ({ step, parameter, kind, norm: 1e-9, median: 1e-4, epoch: 1 }) as GradientWarning;
    const marks = warningMarks([w(140, "rnn.weight_hh_l0"), w(12, "rnn.bias_hh_l0", "exploding"), w(140, "rnn.weight_ih_l0"), w(NaN, "x")]);
    assert.deepEqual(
      marks.map((m) => m.x),
      [12, 140],
    );
    assert.equal(marks[0].title, "Exploding gradient: rnn.bias_hh_l0 at step 12");
    assert.equal(marks[1].title, "Vanishing gradient: rnn.weight_hh_l0 at step 140\nVanishing gradient: rnn.weight_ih_l0 at step 140");
  });
});

describe("Dynamics' time axis in the sample's tokens", () => {
  test("one label per step shown, padding marked, subsampled steps read every stride-th token", () => {
    assert.deepEqual(timeLabels(["h", "e", "l", "l", "o"], 5), [
      { text: "h", padding: false },
      { text: "e", padding: false },
      { text: "l", padding: false },
      { text: "l", padding: false },
      { text: "o", padding: false },
    ]);
    assert.deepEqual(
      timeLabels(["k", "i", "m", null, null], 5)!.map((l) => l.padding),
      [false, false, false, true, true],
    );
    assert.deepEqual(
      timeLabels(["a", "b", "c", "d", "e", "f"], 3, 2)!.map((l) => l.text),
      ["a", "c", "e"],
    );
    assert.deepEqual(timeLabels(["a"], 3), [
      { text: "a", padding: false },
      { text: "", padding: false },
      { text: "", padding: false },
    ]);
    assert.equal(timeLabels(undefined, 5), null);
    assert.equal(timeLabels([], 5), null);
    assert.equal(timeLabels(["a"], 0), null);
    assert.equal(timeLabels(["a", "b"], 2, 0)!.length, 2); // a bad stride reads as 1
  });

  test("a snapshot file's tokens are read when well formed, and name the file damaged otherwise", () => {
    const base = { epoch: 1, step: 4, parameters: [], dynamics: [] };
    const good = parseSnapshot(JSON.stringify({ ...base, tokens: ["循环", null, "🧪"] }));
    assert.ok(!("damaged" in good) && JSON.stringify(good.tokens) === JSON.stringify(["循环", null, "🧪"]));
    for (const tokens of [[1, 2], "hello", [null, { a: 1 }], ["x".repeat(1000)], new Array(20_000).fill("a")]) {
      assert.deepEqual(parseSnapshot(JSON.stringify({ ...base, tokens })), { damaged: "malformed tokens" }, JSON.stringify(tokens).slice(0, 40));
    }
    assert.ok(!("damaged" in parseSnapshot(JSON.stringify(base))), "no tokens: fine");
  });
});

describe("names in narrow columns wrap at their joints (issue 25: mid-word breaks at 400 px)", () => {
  test("after dots and underscores, before brackets; never inside a word; the pieces make the text", () => {
    assert.deepEqual(wrapPieces("encoder.layers.weight_ih_l0"), ["encoder.", "layers.", "weight_", "ih_", "l0"]);
    assert.deepEqual(wrapPieces("LSTM(50, 100)"), ["LSTM", "(50, 100)"]);
    assert.deepEqual(wrapPieces("循环网络.权重🧪"), ["循环网络.", "权重🧪"]);
    for (const text of ["", ".", "a.", "(x)", "__init__", "x[0].y"]) assert.equal(wrapPieces(text).join(""), text, text);
    assert.deepEqual(wrapPieces("NamesClassifier"), ["NamesClassifier"]);
  });
});
