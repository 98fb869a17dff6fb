// The webviews' pure logic (webview/curves.ts, numbers.ts, colors.ts, grids.ts, …): smoothing, log-safe values, the
// aligned curve table, folding live events (src/common/run-reducer.ts), CSV, colours, downsampling, gate labels, sparklines and reading a traced
// recurrent call.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ParameterSnapshot, RecurrentConfig, RunDetail, RunInfo, TraceEntry } from "../../src/common/protocol";
import { explorerChannel } from "../../src/common/protocol";
import { applyRunEvent } from "../../src/common/run-reducer";
import { clippedIndexes, epochXs, increasing, quantileRange, stepAxis, CurveTable, logSafe, nextX, stepXs } from "../../webview/curves";
import { csvField, metricNames, runCsv } from "../../src/common/run-csv";
import { divergingColor, maxAbs, parseColor } from "../../webview/colors";
import { downsampleGrid, gateBlocks, gateGrid, gridFrom, parameterGrid } from "../../webview/grids";
import { emaSmooth, emaStep, emaState } from "../../webview/smoothing";
import { formatBytes, formatNumber, gpuMemoryLine } from "../../webview/numbers";
import { gradientTrend } from "../../webview/gradient-logic";
import { parameterNote } from "../../webview/parameter-labels";
import { shownSteps, unrolledCall } from "../../webview/unrolled-call";
import { sparkline } from "../../webview/sparkline";

const info = (patch: Partial<RunInfo> = {}): RunInfo => ({
  id: "20261122-193000-hello",
  name: "hello",
  file: "/w/hello.ts",
  status: "running",
  pid: 1,
  backend: "wasm",
  backendName: "wasm",
  startedAt: "2026-11-22T19:30:00Z",
  config: { epochs: 3, model: "RNNCell(4, 4)", parameterCount: 40, optimizer: "Adam(lr=0.1)", snapshotEvery: 50 },
  ...patch,
});

const detail = (): RunDetail => ({ summary: { info: info(), dir: "/w/.unroll/runs/x", lossCurve: [] }, steps: [], epochs: [] });

const param = (patch: Partial<ParameterSnapshot>): ParameterSnapshot => ({
  name: "weight_hh_l0",
  shape: [8, 2],
  mean: 0,
  std: 1,
  min: -1,
  max: 1,
  norm: 1,
  gradNorm: null,
  histogram: { min: -1, max: 1, counts: [1, 2, 1] },
  heatmap: { rows: 8, cols: 2, values: new Array(16).fill(0) },
  ...patch,
});

describe("smoothing and log scales", () => {
  test("EMA with weight 0 is the identity, and is debiased from the first point", () => {
    assert.deepEqual(emaSmooth([1, 2, 3], 0), [1, 2, 3]);
    // Debiasing: a constant series stays constant instead of rising from 0.
    for (const v of emaSmooth([5, 5, 5, 5], 0.9)) assert.ok(Math.abs(v! - 5) < 1e-12);
    const s = emaSmooth([0, 10], 0.5);
    assert.equal(s[0], 0);
    assert.ok(Math.abs(s[1]! - 10 * (0.5 / 0.75)) < 1e-12); // (0.5·0 + 0.5·10)… / (1 − 0.25)
  });

  test("EMA skips gaps and non-finite values; emaStep extends it point by point", () => {
    const values = [1, null, NaN, 3, Infinity, 2];
    const smoothed = emaSmooth(values, 0.6);
    assert.equal(smoothed[1], null);
    assert.equal(smoothed[2], null);
    assert.equal(smoothed[4], null);
    assert.deepEqual(emaSmooth([1, 3, 2], 0.6), [smoothed[0], smoothed[3], smoothed[5]]);
    const state = emaState();
    assert.deepEqual(
      values.map((v) => emaStep(state, v, 0.6)),
      smoothed,
    );
  });

  test("log-safe values turn zero, negatives and non-finite values into gaps", () => {
    assert.deepEqual(logSafe([1, 0, -2, NaN, Infinity, null, 1e-9]), [1, null, null, null, null, null, 1e-9]);
  });

  test("step axis: the global step, or one past the last when steps restart", () => {
    assert.equal(nextX(undefined, 1), 1);
    assert.equal(nextX(4, 5), 5);
    assert.equal(nextX(5, 1), 6);
    assert.deepEqual(stepXs([{ step: 1 }, { step: 2 }, { step: 1 }, { step: 2 }]), [1, 2, 3, 4]);
  });

  test("formatNumber", () => {
    assert.equal(formatNumber(0.123456), "0.1235");
    assert.equal(formatNumber(12), "12");
    assert.equal(formatNumber(1.5e-7), "1.5e-7");
    assert.equal(formatNumber(1e-4), "1e-4");
    assert.equal(formatNumber(123456), "1.23e+5");
    assert.equal(formatNumber(null), "—");
    assert.equal(formatNumber(NaN), "NaN");
  });
});

describe("CurveTable", () => {
  test("appends at the end, lands on existing rows, inserts in between", () => {
    const t = new CurveTable(2);
    assert.deepEqual(t.set(0, 1, 10), { row: 0, appended: true });
    t.set(0, 3, 30);
    assert.deepEqual(t.set(1, 3, 300), { row: 1, appended: false });
    assert.deepEqual(t.set(1, 2, 200), { row: 1, appended: false });
    t.set(1, 0, 0);
    assert.deepEqual(t.data, [
      [0, 1, 2, 3],
      [null, 10, null, 30],
      [0, null, 200, 300],
    ]);
  });

  // How fast: \`npm run bench:timings\` (a duration, so a benchmark, not a test).
  test("100,000 appended points are all kept, in order", () => {
    const t = new CurveTable(3);
    for (let i = 1; i <= 100_000; i++) t.set(0, i, 1 / i);
    assert.equal(t.x.length, 100_000);
    assert.deepEqual([t.x[0], t.x[99_999], t.data[1][99_999], t.data[2][0]], [1, 100_000, 1 / 100_000, null]);
  });
});

describe("runs", () => {
  test("applyRunEvent folds live events into a RunDetail", () => {
    const d = detail();
    assert.equal(applyRunEvent(d, { type: "step", epoch: 1, step: 1, loss: 1.5, lr: 0.1, time: 0 }), "step");
    assert.equal(applyRunEvent(d, { type: "epoch", epoch: 1, loss: 1.4, metrics: { predicted: "ohlll" }, time: 0 }), "epoch");
    assert.equal(applyRunEvent(d, { type: "epoch", epoch: 1, loss: 1.3, metrics: { predicted: "ohlol" }, time: 0 }), "epoch");
    assert.equal(d.epochs.length, 1, "an epoch reported twice is replaced");
    assert.equal(d.summary.info.finalLoss, 1.3);
    assert.deepEqual(d.summary.info.finalMetrics, { predicted: "ohlol" });
    assert.equal(applyRunEvent(d, { type: "log", stream: "stdout", text: "hi" }), null);
    assert.equal(applyRunEvent(d, { type: "end", run: info({ status: "completed" }) }), "info");
    assert.equal(d.summary.info.status, "completed");
    assert.equal(applyRunEvent(d, { type: "snapshot", epoch: 1, step: 1, parameters: [] }), "snapshot");
    assert.deepEqual(d.snapshot, { epoch: 1, step: 1, parameters: [] });
  });

  test("a step's GPU memory is kept when it is two byte counts, and only then", () => {
    const d = detail();
    applyRunEvent(d, { type: "step", epoch: 1, step: 1, loss: 1.5, lr: 0.1, time: 0 });
    assert.equal(d.gpuMemory, undefined, "a step without it (wasm) leaves none");
    applyRunEvent(d, { type: "step", epoch: 1, step: 2, loss: 1.4, lr: 0.1, time: 0, gpuMemory: { inUse: 129_000_000, allocated: 200 << 20 } });
    assert.deepEqual(d.gpuMemory, { inUse: 129_000_000, allocated: 200 << 20 });
    assert.equal(Object.hasOwn(d.steps[1], "gpuMemory"), false, "not copied into every step");
    // What the host relays is checked: a malformed figure keeps the last good one.
    for (const bad of [{ inUse: -1, allocated: 0 }, { inUse: 1.5, allocated: 2 }, { inUse: "1", allocated: 2 }, { inUse: 1 }, null, [1, 2], Infinity]) {
      applyRunEvent(d, { type: "step", epoch: 1, step: 3, loss: 1.3, lr: 0.1, time: 0, gpuMemory: bad as never });
      assert.deepEqual(d.gpuMemory, { inUse: 129_000_000, allocated: 200 << 20 }, JSON.stringify(bad));
    }
  });

  test("the Training tab's GPU memory line: in use, with what is allocated in its tooltip; none off WebGPU", () => {
    assert.deepEqual(gpuMemoryLine({ inUse: 129_000_000, allocated: 200 << 20 }), {
      text: "GPU memory: 123.0 MiB",
      title: "123.0 MiB in use by tensors; 200.0 MiB allocated, with the buffers kept for reuse",
    });
    const zh = (m: string, ...a: (string | number)[]) => `[${m}|${a.join("|")}]`;
    assert.equal(gpuMemoryLine({ inUse: 512, allocated: 2048 }, zh)!.text, "[GPU memory: {0}|512 bytes]", "through t()");
    for (const none of [undefined, null, {}, { inUse: -5, allocated: 0 }, { inUse: NaN, allocated: 0 }, "123 MB"]) assert.equal(gpuMemoryLine(none), null);
    assert.deepEqual([formatBytes(0), formatBytes(1536), formatBytes(3 * 2 ** 30)], ["0 bytes", "1.5 KiB", "3.0 GiB"]);
  });

  test("metric names split into numeric and other", () => {
    const names = metricNames([
      { epoch: 1, loss: 1, metrics: { acc: 0.5, predicted: "x" } },
      { epoch: 2, loss: 1, metrics: { acc: 0.7, predicted: "y", bleu: 3 } },
    ]);
    assert.deepEqual(names, { numeric: ["acc", "bleu"], other: ["predicted"] });
  });

  test("CSV: a row per step, the epoch's metrics on its last step, quoting and formula guards", () => {
    const d = detail();
    d.steps = [
      { epoch: 1, step: 1, loss: 2, lr: 0.1, time: 0.5 },
      { epoch: 1, step: 2, loss: 1.5, lr: 0.1, time: 1 },
      { epoch: 2, step: 3, loss: 1, lr: 0.05, time: 1.25 },
    ];
    d.epochs = [
      { epoch: 1, loss: 1.75, metrics: { acc: 0.5, predicted: 'say "hi", ok' } },
      { epoch: 2, loss: 1, metrics: { acc: 0.75, predicted: "=SUM(A1)" } },
      { epoch: 3, loss: 0.5, metrics: { acc: 1, predicted: "ohlol" } },
    ];
    assert.equal(
      runCsv(d),
      [
        "epoch,step,loss,lr,time,epoch_loss,acc,predicted",
        "1,1,2,0.1,0.5,,,", // as wide as the header (RFC 4180)
        '1,2,1.5,0.1,1,1.75,0.5,"say ""hi"", ok"',
        "2,3,1,0.05,1.25,1,0.75,'=SUM(A1)",
        "3,,,,,0.5,1,ohlol",
        "",
      ].join("\n"),
    );
    assert.equal(csvField(NaN), "NaN");
    assert.equal(csvField(-Infinity), "-Infinity");
    assert.equal(csvField("a\nb"), '"a\nb"');
  });

  test("explorerChannel.isFrom accepts an exportCsv with its run's folder and CSV, and nothing else", () => {
    const dir = "/w/.unroll/runs/20261122-193000-hello";
    assert.ok(explorerChannel.isFrom({ type: "exportCsv", runId: "20261122-193000-hello", dir, csv: "a,b\n" }));
    assert.ok(!explorerChannel.isFrom({ type: "exportCsv", runId: "20261122-193000-hello", csv: "a,b\n" }));
    assert.ok(!explorerChannel.isFrom({ type: "exportCsv", runId: "20261122-193000-hello", dir }));
    assert.ok(!explorerChannel.isFrom({ type: "exportCsv", runId: "../etc", dir, csv: "" }));
    assert.ok(!explorerChannel.isFrom({ type: "exportCsv", runId: "x", dir: "a\0b", csv: "" }));
    assert.ok(!explorerChannel.isFrom({ type: "exportCsv", runId: "x", dir, csv: "", extra: 1 }));
  });
});

describe("colours and grids", () => {
  test("parseColor reads the theme's formats", () => {
    assert.deepEqual(parseColor("#1e1e1e"), [30, 30, 30]);
    assert.deepEqual(parseColor("#fff"), [255, 255, 255]);
    assert.deepEqual(parseColor("#3794ff80"), [55, 148, 255]);
    assert.deepEqual(parseColor("rgba(10, 20, 30, 0.5)"), [10, 20, 30]);
    assert.deepEqual(parseColor("rgb(10 20 30)"), [10, 20, 30]);
    assert.equal(parseColor("var(--x)"), null);
  });

  test("the diverging scale is the background at 0 and the full colours at ±range", () => {
    const bg: [number, number, number] = [255, 255, 255];
    const blue: [number, number, number] = [0, 0, 255];
    const red: [number, number, number] = [255, 0, 0];
    assert.deepEqual(divergingColor(0, 1, bg, blue, red), bg);
    assert.deepEqual(divergingColor(-1, 1, bg, blue, red), blue);
    assert.deepEqual(divergingColor(5, 1, bg, blue, red), red, "clamped");
    assert.deepEqual(divergingColor(NaN, 1, bg, blue, red), bg);
    const dark: [number, number, number] = [30, 30, 30];
    assert.deepEqual(divergingColor(0, 2, dark, blue, red), dark, "adapts to a dark background");
    assert.equal(maxAbs([0.5, -2, NaN, 1]), 2);
    assert.equal(maxAbs([0, 0]), 1);
  });

  test("gridFrom transposes [time][unit] to units × time", () => {
    const g = gridFrom(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    assert.equal(g.rows, 3);
    assert.equal(g.cols, 2);
    assert.deepEqual(Array.from(g.values), [1, 4, 2, 5, 3, 6]);
    const gates = gateGrid(
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      1,
    ); // [t][gate][unit]
    assert.deepEqual(Array.from(gates.values), [3, 7, 4, 8]);
  });

  test("downsampleGrid averages blocks and leaves out non-finite values", () => {
    const g = { rows: 2, cols: 4, values: [1, 3, 5, NaN, 2, 4, 6, 8] };
    const small = downsampleGrid(g, 1, 2);
    assert.deepEqual({ rows: small.rows, cols: small.cols }, { rows: 1, cols: 2 });
    assert.deepEqual(Array.from(small.values), [2.5, Math.fround((5 + 6 + 8) / 3)]); // Float32Array
    assert.equal(downsampleGrid(g, 10, 10), g, "no larger than it is");
  });
});

describe("parameters", () => {
  test("gate blocks split the heatmap's rows evenly, also when downsampled", () => {
    const lstm = param({ gates: ["i", "f", "g", "o"], shape: [400, 100], heatmap: { rows: 6, cols: 2, values: [], downsampledFrom: [400, 100] } });
    assert.deepEqual(gateBlocks(lstm), [
      { label: "i", start: 0, end: 1.5 },
      { label: "f", start: 1.5, end: 3 },
      { label: "g", start: 3, end: 4.5 },
      { label: "o", start: 4.5, end: 6 },
    ]);
    assert.deepEqual(gateBlocks(param({})), []);
    const bias = param({ name: "bias_ih_l0", shape: [6], gates: ["r", "z", "n"], heatmap: { rows: 1, cols: 6, values: [1, 2, 3, 4, 5, 6] } });
    assert.deepEqual({ rows: parameterGrid(bias).rows, cols: parameterGrid(bias).cols }, { rows: 6, cols: 1 });
    assert.deepEqual(
      gateBlocks(bias).map((b) => [b.label, b.start, b.end]),
      [
        ["r", 0, 2],
        ["z", 2, 4],
        ["n", 4, 6],
      ],
    );
  });

  test("the card names layer, direction, gates and downsampling", () => {
    const p = param({
      layer: 0,
      direction: "forward",
      gates: ["i", "f", "g", "o"],
      heatmap: { rows: 256, cols: 256, values: [], downsampledFrom: [1024, 256] },
    });
    assert.equal(parameterNote(p), "layer 0, forward · gates i f g o · downsampled from [1024, 256]");
  });

  test("gradient trend through time", () => {
    assert.equal(gradientTrend([1e-5, 1e-3, 1])?.verdict, "vanishing");
    assert.equal(gradientTrend([1e3, 10, 1])?.verdict, "exploding");
    assert.equal(gradientTrend([0.5, 1])?.verdict, "steady");
    assert.equal(gradientTrend([1]), null);
  });
});

describe("sparkline", () => {
  test("fits the box with y down, skips non-finite points", () => {
    const pts = sparkline(
      [
        [0, 1],
        [1, NaN],
        [2, 3],
      ],
      102,
      52,
      1,
    );
    assert.deepEqual(pts, [
      [1, 51],
      [101, 1],
    ]);
    assert.deepEqual(
      sparkline(
        [
          [0, 2],
          [1, 2],
        ],
        10,
        10,
        0,
      ),
      [
        [0, 5],
        [10, 5],
      ],
      "flat: mid-height",
    );
    assert.deepEqual(sparkline([], 10, 10), []);
    const log = sparkline(
      [
        [0, 1],
        [1, 10],
        [2, 100],
        [3, 0],
      ],
      10,
      10,
      0,
      true,
    );
    assert.deepEqual(
      log.map(([, y]) => y),
      [10, 5, 0],
      "log: evenly spaced decades, zero left out",
    );
  });
});

describe("unrolled recurrent calls", () => {
  const call = (patch: Partial<TraceEntry>): TraceEntry => ({ kind: "call", location: { file: "m.ts", line: 3, column: 1 }, name: "LSTM", count: 1, ...patch });

  test("a 2-layer bidirectional LSTM", () => {
    const c = unrolledCall(
      call({
        config: "LSTM(50, 100, num_layers=2, bidirectional=True)",
        recurrent: { inputSize: 50, hiddenSize: 100, numLayers: 2, bidirectional: true, batchFirst: false },
        inputs: [{ name: "input", shape: [10, 3, 50] }],
        outputs: [
          { name: "out", shape: [10, 3, 200] },
          { name: "h_n", shape: [4, 3, 100] },
          { name: "c_n", shape: [4, 3, 100] },
        ],
      }),
    );
    assert.ok(c);
    assert.deepEqual(
      {
        kind: c.kind,
        steps: c.steps,
        batch: c.batch,
        inputSize: c.inputSize,
        hiddenSize: c.hiddenSize,
        layers: c.layers,
        bidirectional: c.bidirectional,
        cell: c.cell,
      },
      { kind: "LSTM", steps: 10, batch: 3, inputSize: 50, hiddenSize: 100, layers: 2, bidirectional: true, cell: false },
    );
  });

  test("batch_first, several layers, packed input, cells, and other calls", () => {
    const config = (inputSize: number, hiddenSize: number, more: Partial<RecurrentConfig> = {}): RecurrentConfig => ({
      inputSize,
      hiddenSize,
      numLayers: 1,
      bidirectional: false,
      batchFirst: false,
      ...more,
    });
    const bf = unrolledCall(call({ name: "GRU", recurrent: config(10, 20, { batchFirst: true }), inputs: [{ name: "input", shape: [32, 7, 10] }] }));
    assert.deepEqual([bf?.steps, bf?.batch, bf?.batchFirst, bf?.inputSize, bf?.hiddenSize], [7, 32, true, 10, 20]);
    assert.equal(unrolledCall(call({ name: "RNN", recurrent: config(100, 10, { numLayers: 3 }), inputs: [{ name: "input", shape: [5, 100] }] }))?.layers, 3);
    const packed = unrolledCall(call({ name: "RNN", recurrent: config(4, 8), inputs: [{ name: "input", shape: [8, 4], packed: { batchSizes: [3, 3, 2] } }] }));
    assert.deepEqual([packed?.steps, packed?.batch, packed?.packed], [3, 3, true]);
    const cell = unrolledCall(call({ name: "RNNCell", recurrent: config(4, 4), inputs: [{ name: "input", shape: [1, 4] }] }));
    assert.deepEqual([cell?.cell, cell?.steps, cell?.batch, cell?.kind], [true, 1, 1, "RNN"]);
    assert.equal(unrolledCall(call({ name: "Linear", config: "Linear(4, 4)", inputs: [{ name: "input", shape: [1, 4] }] })), null);
    assert.equal(unrolledCall(call({ kind: "module", recurrent: config(1, 1) })), null);
    assert.equal(unrolledCall(call({ name: "LSTM", inputs: [{ name: "input", shape: [5, 3, 1] }] })), null, "no configuration, no diagram");
  });

  test("long sequences show their ends around a gap", () => {
    assert.deepEqual(shownSteps(3), [1, 2, 3]);
    assert.deepEqual(shownSteps(1000), [1, 2, 3, 4, null, 999, 1000]);
  });
});

describe("the loss chart's axes", () => {
  const steps = [
    { epoch: 1, step: 1, time: 0.5 },
    { epoch: 1, step: 2, time: 1.0 },
    { epoch: 1, step: 3, time: 1.0 }, // two steps within the time's resolution
    { epoch: 1, step: 4, time: 2.0 },
    { epoch: 2, step: 5, time: 2.5 },
  ];

  test("x as steps, fractional epochs, seconds since the start, or the wall clock; always increasing", () => {
    assert.deepEqual(stepAxis(steps, "step"), [1, 2, 3, 4, 5]);
    assert.deepEqual(stepAxis(steps, "epoch"), [0.25, 0.5, 0.75, 1, 1.25], "epoch 2, still running, is spread like epoch 1");
    assert.deepEqual(stepAxis(steps, "time"), [0.5, 1, 1.0001, 2, 2.5]);
    const wall = stepAxis(steps, "wall", "2026-11-22T19:30:00.000Z");
    assert.equal(wall[0], Date.parse("2026-11-22T19:30:00.000Z") / 1000 + 0.5);
    assert.ok(wall.every((x, i) => i === 0 || x > wall[i - 1]));
  });

  test("epochs: every complete epoch ends on its number, whatever its step count; a running one that outgrows the last is spread over its own", () => {
    const e = (...epochs: number[]) => epochXs(epochs.map((epoch) => ({ epoch }))).map((x) => Number(x.toFixed(9)));
    assert.deepEqual(e(1, 1, 2, 2, 2, 2, 3), [0.5, 1, 1.25, 1.5, 1.75, 2, 2.25]);
    assert.deepEqual(e(1, 1, 2, 2, 2), [0.5, 1, 1.333333333, 1.666666667, 2]);
    assert.deepEqual(e(1, 1, 1, 1), [0.25, 0.5, 0.75, 1], "the first epoch while it runs: its own steps so far");
  });

  test("increasing: equal or falling values (and NaN) move just past the previous one", () => {
    assert.deepEqual(increasing([3, 3, 2, NaN, 7], 0.5), [3, 3.5, 4, 4.5, 7]);
    assert.deepEqual(increasing([NaN, 1], 1), [0, 1]);
  });

  test("the robust range: the 1st and 99th percentiles of the finite values", () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0 … 100
    assert.deepEqual(quantileRange(values), [1, 99]);
    assert.deepEqual(quantileRange([...values, null, NaN, Infinity], 0.25, 0.75), [25, 75]);
    assert.deepEqual(quantileRange([5]), [5, 5]);
    assert.equal(quantileRange([null, NaN]), null);
    const spiky = [1, 1.1, 0.9, 1, 1000, 1.05, 0.95, 1, 1, 1];
    const [, hi] = quantileRange(spiky, 0, 0.8)!;
    assert.ok(hi < 2, "a spike does not stretch the axis");
  });

  test("clipped points are found, above and below, within the window asked", () => {
    const values = [5, null, -3, 0.5, 9, NaN, 1];
    assert.deepEqual(clippedIndexes(values, 0, 2), { above: [0, 4], below: [2] });
    assert.deepEqual(clippedIndexes(values, 0, 2, 3, 6), { above: [4], below: [] });
  });
});
