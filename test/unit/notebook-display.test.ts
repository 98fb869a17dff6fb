// What a notebook cell shows besides its printing: the PNG writer (decoded back with zlib), the Raster and its font,
// the loss chart and the gate-labelled heatmap, the kernel's live chart throttle (driven by a fake clock: the test
// counts the displays sent, it never waits on time), the editor-side LatestOutputs (driven by the sink's answers),
// the display events the client accepts, and the display_data a notebook stores.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { nn, torch } from "unroll";
import { setupBackend } from "./helpers";
import { decodePng, PNG_SIGNATURE } from "./png-decode";
import { crc32, encodePng } from "../../src/runs/png";
import { Raster, textWidth } from "../../src/common/raster";
import { CHART_SIZE, drawHeatmap, drawLineChart, HEATMAP_MAX_CELLS, seriesText } from "../../src/common/chart-image";
import { CellDisplays, heatmap, REDRAW_MS } from "../../src/runner/notebook-display";
import { LatestOutputs } from "../../src/runs/notebook-outputs";
import { isDisplay } from "../../src/runs/notebook-client";
import { notebookWithOutputs, parseNotebook, showDisplay, type JupyterOutput, type Notebook } from "../../src/runs/ipynb";
import type { DisplayData } from "../../src/common/protocol";

before(setupBackend);

const png = (data: DisplayData) => decodePng(Buffer.from(data["image/png"]!, "base64"));
/** The RGB colour at (x, y). */
const pixel = ({ width, pixels }: { width: number; pixels: Uint8Array }, x: number, y: number) => [
  ...pixels.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
];
/** How many pixels have exactly this colour. */
function count({ pixels }: { pixels: Uint8Array }, [r, g, b]: number[]): number {
  let n = 0;
  for (let i = 0; i < pixels.length; i += 3) if (pixels[i] === r && pixels[i + 1] === g && pixels[i + 2] === b) n++;
  return n;
}
const BLUE = [31, 119, 180];
const ORANGE = [255, 127, 14];

describe("the PNG writer", () => {
  test("signature, IHDR, IDAT, IEND with valid CRCs, and the same pixels back after inflating", () => {
    const raster = new Raster(7, 3, [10, 20, 30]);
    raster.set(0, 0, [255, 0, 0]);
    raster.set(6, 2, [0, 255, 0]);
    raster.set(3, 1, [1, 2, 3]);
    const file = encodePng(raster);
    assert.deepEqual([...file.subarray(0, 8)], PNG_SIGNATURE);
    const decoded = decodePng(file);
    assert.deepEqual(decoded.chunks, ["IHDR", "IDAT", "IEND"]);
    assert.deepEqual([decoded.width, decoded.height], [7, 3]);
    assert.deepEqual(decoded.pixels, raster.pixels);
    assert.deepEqual(pixel(decoded, 6, 2), [0, 255, 0]);
    assert.deepEqual(pixel(decoded, 1, 1), [10, 20, 30]);
  });

  test("crc32 is the standard CRC-32", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });

  test("a one-pixel and a wide picture round-trip", () => {
    for (const [w, h] of [
      [1, 1],
      [1000, 2],
    ]) {
      const raster = new Raster(w, h);
      raster.line(0, 0, w - 1, h - 1, [200, 100, 50]);
      assert.deepEqual(decodePng(encodePng(raster)).pixels, raster.pixels);
    }
  });
});

describe("the Raster", () => {
  test("refuses sizes it cannot make, clips what is drawn outside it", () => {
    for (const [w, h] of [
      [0, 5],
      [5, -1],
      [1.5, 2],
      [NaN, 2],
      [100_000, 100_000],
    ]) {
      assert.throws(() => new Raster(w, h), RangeError, `${w}×${h}`);
    }
    const raster = new Raster(4, 4);
    raster.fill(-10, -10, 100, 2, [0, 0, 0]);
    raster.line(-5, 3, 50, 3, [0, 0, 0]);
    raster.text(2, 2, "循环 网络(1) 🧪", [0, 0, 0]);
    assert.equal(count(raster, [0, 0, 0]) > 0, true);
    assert.equal(raster.pixels.length, 4 * 4 * 3);
  });

  test("text: 6 pixels a character, glyph pixels set, an unknown character drawn as ?", () => {
    assert.equal(textWidth("loss 0.5"), 48);
    const a = new Raster(20, 9);
    const b = new Raster(20, 9);
    assert.equal(a.text(1, 1, "循", [0, 0, 0]), 6);
    b.text(1, 1, "?", [0, 0, 0]);
    assert.deepEqual(a.pixels, b.pixels);
    const one = new Raster(8, 9);
    one.text(1, 1, "1", [0, 0, 0]);
    assert.equal(count(one, [0, 0, 0]), 10); // "1": the stem, its flag and its foot
  });
});

describe("the chart and the heatmap", () => {
  const falling = (n: number) => Array.from({ length: n }, (_, i) => [i + 1, 2 / (i + 1)] as [number, number]);

  test("a line chart: its size, the series' colours in legend and plot, the latest values as text", () => {
    const series = [
      { name: "loss", points: falling(40) },
      { name: "accuracy", points: falling(40).map(([x, y]) => [x, 1 - y / 2] as [number, number]) },
    ];
    const chart = decodePng(encodePng(drawLineChart(series)));
    assert.deepEqual([chart.width, chart.height], [CHART_SIZE.width, CHART_SIZE.height]);
    assert.ok(count(chart, BLUE) > 200, "the loss's line and swatch");
    assert.ok(count(chart, ORANGE) > 200, "the accuracy's line and swatch");
    // The plot spans x 56..466 and y 26..244 for steps 1..40 and values 0..2: the first loss point (2) is at its
    // top left, the last (0.05) near its bottom right.
    assert.deepEqual(pixel(chart, 56, 26), BLUE);
    assert.deepEqual(pixel(chart, 466, 239), BLUE);
    assert.deepEqual(seriesText(series).split("\n"), ["loss 0.0500 (step 40, min 0.0500 at step 40)", "accuracy 0.9750 (step 40)"]);
  });

  test("NaN, ∞, one point or none draw without throwing; the text says them", () => {
    for (const points of [
      [],
      [[1, NaN]],
      [[1, 0.5]],
      [
        [1, Infinity],
        [2, 1],
      ],
    ] as [number, number][][]) {
      const picture = drawLineChart([{ name: "loss", points }]);
      assert.equal(picture.width, CHART_SIZE.width);
    }
    assert.equal(seriesText([{ name: "loss", points: [[3, NaN]] }]), "loss NaN (step 3)");
    assert.equal(seriesText([{ name: "loss", points: [] }]), "");
  });

  test("a heatmap: one cell per value, red for the largest, blue for the most negative, gate rows separated", () => {
    const values = Array.from({ length: 8 * 3 }, (_, i) => (i === 0 ? 4 : i === 23 ? -4 : 0));
    const picture = drawHeatmap({ values, rows: 8, cols: 3, title: "LSTM.weight_ih_l0 [8, 3]", gates: ["i", "f", "g", "o"] });
    const decoded = decodePng(encodePng(picture));
    assert.deepEqual(decoded.pixels, picture.pixels);
    const reds = count(decoded, [200, 40, 40]);
    const blues = count(decoded, [40, 90, 200]);
    assert.equal(reds, blues, "one full-red cell and one full-blue cell, of one size");
    assert.ok(reds >= 1);
  });

  test("a large matrix is averaged into at most HEATMAP_MAX_CELLS bins a side", () => {
    const rows = 1000;
    const cols = 700;
    const picture = drawHeatmap({ values: new Float32Array(rows * cols).fill(1), rows, cols, title: "big", gates: [] });
    assert.ok(picture.height <= 24 + HEATMAP_MAX_CELLS * 2 + 10, String(picture.height));
    assert.ok(count(picture, [200, 40, 40]) >= HEATMAP_MAX_CELLS * HEATMAP_MAX_CELLS);
  });
});

describe("the live chart in the kernel (a fake clock)", () => {
  function displays(start = 0) {
    let clock = start;
    const sent: { id: string; data: DisplayData }[] = [];
    const cell = new CellDisplays(
      7,
      (id, data) => sent.push({ id, data }),
      (v) => `value ${String(v)}`,
      () => clock,
    );
    return { cell, sent, tick: (ms: number) => (clock += ms) };
  }

  test("the first report draws, reports within REDRAW_MS only add points, the cell's end draws them all", () => {
    const { cell, sent, tick } = displays();
    for (let step = 1; step <= 100; step++) cell.report({ loss: 1 / step });
    assert.equal(sent.length, 1);
    assert.equal(sent[0].data["text/plain"], "loss 1.0000 (step 1)");
    tick(REDRAW_MS);
    cell.report({ loss: 0.001 });
    assert.equal(sent.length, 2);
    assert.match(sent[1].data["text/plain"], /^loss 0\.0010 \(step 101, /);
    cell.report({ loss: 0.5 }, 500);
    cell.finish();
    assert.equal(sent.length, 3);
    assert.equal(new Set(sent.map((s) => s.id)).size, 1, "one output, replaced in place");
    assert.equal(sent[2].data["text/plain"], "loss 0.5000 (step 500, min 0.0010 at step 101)");
    assert.equal(png(sent[2].data).width, CHART_SIZE.width);
    cell.finish();
    assert.equal(sent.length, 3, "nothing new: no second final drawing");
  });

  test("tensors of one element are read; anything else is refused with what it was", () => {
    const { cell, sent } = displays();
    cell.report({ loss: torch.tensor([0.25]), acc: torch.tensor(0.5) });
    assert.equal(sent[0].data["text/plain"], "loss 0.2500 (step 1)\nacc 0.5000 (step 1)");
    assert.throws(() => cell.report({ loss: torch.zeros(2, 3) }), /loss must be a number or a tensor of one element, not a tensor of shape \[2, 3\]/);
    assert.throws(() => cell.report({ loss: "low" }), /loss must be a number/);
    assert.throws(() => cell.report(0.5 as unknown as Record<string, unknown>), /report\(\) takes the values by name/);
    assert.throws(() => cell.report({ loss: 1 }, NaN), /the step must be a finite number/);
  });

  test("display(): values as the cell's value shows them, each its own output; heatmaps as images", () => {
    const { cell, sent } = displays();
    cell.display(42);
    torch.manualSeed(0);
    const lstm = new nn.LSTM(3, 2);
    cell.display(heatmap(lstm, "weight_ih_l0"));
    assert.deepEqual(
      sent.map((s) => s.id),
      ["cell-7-display-1", "cell-7-display-2"],
    );
    assert.deepEqual(sent[0].data, { "text/plain": "value 42" });
    assert.match(sent[1].data["text/plain"], /^LSTM\.weight_ih_l0 \[8, 3\]: min -?\d\.\d+, max -?\d\.\d+, gate blocks i f g o$/);
    const image = png(sent[1].data);
    assert.ok(image.width > 0 && image.height >= 8 * 3);
  });

  test("heatmap(): of a tensor with gates asked for, and clear errors for what it cannot draw", () => {
    assert.match(heatmap(torch.ones(6, 2), { gates: "GRU", title: "w" }).summary, /^w: min 1\.000, max 1\.000, gate blocks r z n$/);
    assert.match(heatmap(torch.ones(5)).summary, /^tensor \[5\]: /);
    const cell = new nn.RNNCell(2, 3);
    assert.doesNotMatch(heatmap(cell, "weight_hh").summary, /gate blocks/);
    assert.throws(() => heatmap(cell, "weight_xx"), /the module has no parameter "weight_xx"; it has weight_ih, weight_hh, bias_ih, bias_hh/);
    assert.throws(() => heatmap(torch.ones(2, 2, 2)), /1-D or 2-D tensor, not one of shape \[2, 2, 2\]/);
    assert.throws(() => heatmap(torch.ones(4, 2), { gates: "Transformer" }), /gates must be one of RNN, LSTM, GRU/);
    assert.throws(() => heatmap({}), /heatmap\(\) takes a tensor, or a module/);
    assert.throws(() => heatmap(null), /heatmap\(\) takes a tensor, or a module/);
  });
});

describe("LatestOutputs (driven by the editor's answers, not a clock)", () => {
  /** A sink whose calls wait until the test answers them. */
  function sink() {
    const calls: { op: string; key?: string; content: string; answer(): void }[] = [];
    let handles = 0;
    const outputs = new LatestOutputs<string, string>({
      append: (content) => new Promise((resolve) => calls.push({ op: "append", content, answer: () => resolve(`output-${++handles}`) })),
      replace: (handle, content) => new Promise((resolve) => calls.push({ op: `replace ${handle}`, content, answer: () => resolve(undefined) })),
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    return { calls, outputs, settle };
  }

  test("one call at a time: what comes while one runs waits, and only the latest of a key is drawn, in place", async () => {
    const { calls, outputs, settle } = sink();
    outputs.show("chart", "frame 1");
    for (let i = 2; i <= 100; i++) outputs.show("chart", `frame ${i}`);
    assert.deepEqual(
      calls.map((c) => [c.op, c.content]),
      [["append", "frame 1"]],
    );
    calls[0].answer();
    await settle();
    assert.deepEqual(
      calls.map((c) => [c.op, c.content]),
      [
        ["append", "frame 1"],
        ["replace output-1", "frame 100"],
      ],
    );
    outputs.show("stdout", "epoch 1");
    outputs.show("chart", "frame 101");
    const flushed = outputs.flush();
    calls[1].answer();
    await settle();
    calls[2].answer();
    await settle();
    calls[3].answer();
    await flushed;
    assert.deepEqual(
      calls.slice(2).map((c) => [c.op, c.content]),
      [
        ["append", "epoch 1"],
        ["replace output-1", "frame 101"],
      ],
    );
  });

  test("a refused call (the cell's execution ended) drops what waits and does not reject", async () => {
    const outputs = new LatestOutputs<string, string>({
      append: () => Promise.reject(new Error("execution ended")),
      replace: () => Promise.resolve(),
    });
    outputs.show("a", "1");
    outputs.show("b", "2");
    await outputs.flush();
  });
});

describe("display events and stored outputs", () => {
  test("the client accepts a display only with an id, text, and base64 PNG if any", () => {
    assert.ok(isDisplay({ displayId: "c", data: { "text/plain": "x" } }));
    assert.ok(isDisplay({ displayId: "c", data: { "text/plain": "x", "image/png": "iVBORw0KGgo=" } }));
    for (const event of [
      {},
      { displayId: 1, data: { "text/plain": "x" } },
      { displayId: "c", data: null },
      { displayId: "c", data: "x" },
      { displayId: "c", data: { "text/plain": 5 } },
      { displayId: "c", data: { "text/plain": "x", "image/png": "<svg onload=alert(1)>" } },
      { displayId: "c", data: { "text/plain": "x", "image/png": 7 } },
    ]) {
      assert.equal(isDisplay(event as never), false, JSON.stringify(event));
    }
  });

  test("a display is stored as Jupyter's display_data; a redrawn chart replaces its output where it was", () => {
    const outputs: JupyterOutput[] = [{ output_type: "stream", name: "stdout", text: ["epoch 1\n"] }];
    const shown = new Map<string, JupyterOutput>();
    const image = encodePng(new Raster(2, 2)).toString("base64");
    showDisplay(outputs, shown, "chart", { "text/plain": "loss 1.0000 (step 1)", "image/png": image });
    outputs.push({ output_type: "stream", name: "stdout", text: ["epoch 2\n"] });
    showDisplay(outputs, shown, "chart", { "text/plain": "loss 0.5000 (step 2)\nacc 1.0000 (step 2)", "image/png": image });
    showDisplay(outputs, shown, "value", { "text/plain": "tensor([1.])" });
    assert.deepEqual(
      outputs.map((o) => o.output_type),
      ["stream", "display_data", "stream", "display_data"],
    );
    const notebook = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [{ cell_type: "code", source: "x", metadata: {}, outputs: [], execution_count: null }],
      }),
    ) as Notebook;
    const written = JSON.parse(notebookWithOutputs(notebook, [{ outputs, executionCount: 1 }])) as { cells: { outputs: Record<string, unknown>[] }[] };
    assert.deepEqual(written.cells[0].outputs[1], {
      data: { "image/png": `${image}\n`, "text/plain": ["loss 0.5000 (step 2)\n", "acc 1.0000 (step 2)"] },
      metadata: {},
      output_type: "display_data",
    });
    assert.deepEqual(written.cells[0].outputs[3], { data: { "text/plain": ["tensor([1.])"] }, metadata: {}, output_type: "display_data" });
    const stored = written.cells[0].outputs[1].data as { "image/png": string };
    assert.equal(decodePng(Buffer.from(stored["image/png"], "base64")).width, 2);
  });
});
