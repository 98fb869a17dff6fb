// The charts' pure logic: debiased smoothing (constant and sparse series), which series goes on which y axis,
// downsampling long series for display, and the colours of any number of compared runs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { metricUnit, planAxes } from "../../webview/chart-axes";
import { downsample, worthDownsampling, type Columns } from "../../webview/downsample";
import { parseColor, runColor } from "../../webview/colors";
import type { Value } from "../../webview/curves";
import { emaSmooth, emaSmoothAt, emaState, emaStep } from "../../webview/smoothing";

describe("smoothing stays debiased", () => {
  test("a constant series smooths to exactly that constant, from its first point (tensorboard#786)", () => {
    for (const c of [0.1, 0.3, 1e-7, 123.456, 2.302585, -4.2]) {
      for (const w of [0.6, 0.9, 0.99, 0.999]) {
        const values = new Array<number>(2000).fill(c);
        assert.deepEqual(emaSmooth(values, w), values, `constant ${c}, weight ${w}`);
        const state = emaState();
        assert.ok(
          values.every((v) => emaStep(state, v, w) === c),
          `live steps, constant ${c}, weight ${w}`,
        );
      }
    }
  });

  test("a constant with gaps stays the constant", () => {
    assert.deepEqual(emaSmooth([0.3, null, NaN, 0.3, Infinity, 0.3], 0.9), [0.3, null, null, 0.3, null, 0.3]);
  });

  test("a sparse per-epoch series: the first point is itself, a constant stays constant on uneven x", () => {
    const xs = [1, 2, 5, 6, 20];
    assert.deepEqual(emaSmoothAt(xs, [0.7, 0.7, 0.7, 0.7, 0.7], 0.9), [0.7, 0.7, 0.7, 0.7, 0.7]);
    assert.deepEqual(emaSmoothAt([3], [0.25], 0.99), [0.25]); // a naive EMA gives 0.0025
    assert.deepEqual(emaSmoothAt([1, 2, 3], [0.7, null, 0.7], 0.9), [0.7, null, 0.7]);
  });

  test("on uneven x, a point after a long gap owes less to the points before it", () => {
    // Two series that step from 0 to 1: the second waits 10 typical gaps before the step.
    const even = emaSmoothAt([1, 2, 3, 4], [0, 0, 0, 1], 0.8);
    const late = emaSmoothAt([1, 2, 3, 13], [0, 0, 0, 1], 0.8);
    assert.ok(late[3]! > even[3]! + 0.3, `${late[3]} vs ${even[3]}`);
    // Weighted mean by hand: weights 0.8^(10+2), 0.8^(10+1), 0.8^10, 1.
    const weights = [0.8 ** 12, 0.8 ** 11, 0.8 ** 10, 1];
    assert.ok(Math.abs(late[3]! - 1 / weights.reduce((a, b) => a + b)) < 1e-12);
    // Evenly spaced points smooth as emaSmooth does.
    assert.deepEqual(even, emaSmooth([0, 0, 0, 1], 0.8));
  });
});

describe("several metrics on one chart", () => {
  test("a metric's unit from its name and values", () => {
    assert.equal(metricUnit("test_accuracy", [0.2, 0.71]), "fraction");
    assert.equal(metricUnit("acc", [55, 71.2]), "percent");
    assert.equal(metricUnit("exact match", [0.5, 0.95]), "fraction");
    assert.equal(metricUnit("macro_f1", [0.4]), "fraction");
    assert.equal(metricUnit("error %", [3, 12]), "percent");
    assert.equal(metricUnit("loss", [2.3, 0.4]), "value");
    assert.equal(metricUnit("rmse_ppm", [0.45]), "value");
    assert.equal(metricUnit("accuracy", [1.5, 300]), "value"); // not a score after all
  });

  test("loss on the left, accuracy on the right in [0, 1]; train and test losses share the left", () => {
    const plan = planAxes([
      { name: "epoch loss", values: [2.1, 1.2] },
      { name: "train_accuracy", values: [0.3, 0.8] },
      { name: "test_loss", values: [2.2, 1.4] },
      { name: "test_accuracy", values: [0.25, null] },
    ]);
    assert.deepEqual(plan.sides, ["y", "y2", "y", "y2"]);
    assert.deepEqual(plan.units, { y: "value", y2: "fraction" });
    assert.deepEqual(plan.ranges, { y: null, y2: [0, 1] });
    assert.deepEqual(plan.names, { y: ["epoch loss", "test_loss"], y2: ["train_accuracy", "test_accuracy"] });
  });

  test("one unit: one axis; the first series' unit takes the left", () => {
    const same = planAxes([
      { name: "loss", values: [1] },
      { name: "val_loss", values: [2] },
    ]);
    assert.deepEqual(same.sides, ["y", "y"]);
    assert.equal(same.units.y2, null);
    const scoreFirst = planAxes([
      { name: "accuracy", values: [50, 60] },
      { name: "loss", values: [1] },
    ]);
    assert.deepEqual(scoreFirst.sides, ["y", "y2"]);
    assert.deepEqual(scoreFirst.ranges, { y: [0, 100], y2: null });
    assert.deepEqual(planAxes([]).sides, []);
  });
});

/** A series of n points: y = sin plus a spike every 997 points. */
function longSeries(n: number): Columns {
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const y: Value[] = x.map((v, i) => Math.sin(v / 1000) + (i % 997 === 0 ? 5 : 0));
  return [x, y];
}

/** For every pixel column of [from, to] (even in x, or in log x), the extremes of `y` in it are among `kept`. */
function assertExtremesKept(data: Columns, out: Columns, width: number, buckets: number, from: number, to: number, logX = false) {
  const [x, y] = data;
  const kept = new Set(out[0]);
  const pos = logX ? Math.log10 : (v: number) => v;
  // Pixel columns span the x of the rows in view, gaps included; extremes are among the finite values.
  const inView = x.map((_, i) => i).filter((i) => x[i] >= from && x[i] <= to && (!logX || x[i] > 0));
  const p0 = pos(x[inView[0]]);
  const span = pos(x[inView.at(-1)!]) - p0;
  const columns = new Map<number, number[]>();
  for (const i of inView.filter((i) => y[i] !== null && Number.isFinite(y[i]))) {
    const b = Math.min(buckets - 1, Math.floor(((pos(x[i]) - p0) / span) * buckets));
    columns.set(b, [...(columns.get(b) ?? []), i]);
  }
  for (const rows of columns.values()) {
    const values = rows.map((i) => y[i]!);
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    assert.ok(
      rows.some((i) => y[i] === lo && kept.has(x[i])),
      `the lowest of a column is kept`,
    );
    assert.ok(
      rows.some((i) => y[i] === hi && kept.has(x[i])),
      `the highest of a column is kept`,
    );
  }
  assert.ok(out[0].length <= 2 * width + 2, `${out[0].length} rows for ${width} pixel columns`);
}

describe("downsampling long series for display", () => {
  test("1,000,000 points: at most 2 × width + 2 rows, every column's extremes and the first and last points kept", () => {
    const data = longSeries(1_000_000);
    const out = downsample(data, { width: 800 });
    assert.ok(out[0].length <= 2 * 800 + 2);
    assert.equal(out[0][0], 1);
    assert.equal(out[0].at(-1), 1_000_000);
    const max = (c: Value[]) => c.reduce<number>((m, v) => Math.max(m, v ?? -Infinity), -Infinity);
    assert.equal(max(out[1]), max(data[1]));
    // Each row drawn is a row of the data, unchanged.
    out[0].forEach((x, k) => assert.equal(out[1][k], data[1][x - 1]));
    assertExtremesKept(longSeries(20_000), downsample(longSeries(20_000), { width: 100 }), 100, 100, 1, 20_000);
  });

  test("zoomed in: the columns of the range in view, the nearest rows beyond it and the very ends", () => {
    const data = longSeries(50_000);
    const out = downsample(data, { from: 10_000.5, to: 20_000, width: 120 });
    assert.ok(out[0].length <= 2 * 120 + 2, `${out[0].length}`);
    for (const x of [1, 10_000, 20_001, 50_000]) assert.ok(out[0].includes(x), `row ${x} kept`);
    assertExtremesKept(data, out, 120, 118, 10_000.5, 20_000);
  });

  test("NaN and null gaps are never extremes; a column of gaps is skipped", () => {
    const [x, y] = longSeries(10_000);
    const gappy = y.map((v, i) => (i % 7 === 0 ? NaN : i >= 4000 && i < 6000 ? null : v));
    const data: Columns = [x, gappy];
    const out = downsample(data, { width: 50 });
    assert.ok(out[1].every((v) => v !== null && Number.isFinite(v)));
    assert.ok(out[0].every((v) => v < 4001 || v > 6000));
    assertExtremesKept(data, out, 50, 50, 1, 10_000);
    assert.deepEqual(
      downsample(
        [
          [1, 2, 3],
          [NaN, null, NaN],
        ],
        { width: 10 },
      ),
      [[], []],
    );
  });

  test("log x: columns even in log x, rows with x ≤ 0 left out", () => {
    const x = Array.from({ length: 30_000 }, (_, i) => i - 10);
    const y: Value[] = x.map((v) => Math.cos(v) * Math.log1p(Math.abs(v)));
    const data: Columns = [x, y];
    const out = downsample(data, { width: 60, logX: true });
    assert.ok(out[0].every((v) => v > 0));
    assert.equal(out[0][0], 1);
    assert.equal(out[0].at(-1), x.at(-1));
    assertExtremesKept(data, out, 60, 60, 1, x.at(-1)!, true);
  });

  test("several series share the rows; a log-scale series' extremes are its positive values", () => {
    const x = Array.from({ length: 5000 }, (_, i) => i);
    const a: Value[] = x.map((v) => (v === 1234 ? 100 : 1));
    const b: Value[] = x.map((v) => (v % 2 ? null : v === 4000 ? -5 : v === 4002 ? 1e-9 : 2));
    const out = downsample([x, a, b], { width: 10, logY: [false, true] });
    assert.ok(out[0].includes(1234));
    assert.ok(out[0].includes(4002), "the smallest positive value of the log series");
    assert.ok(out[0].length <= 2 * (2 * 10 + 2));
  });

  test("only long series are worth it; an empty or reversed range gives no rows", () => {
    assert.equal(worthDownsampling(longSeries(1000), 800), false);
    assert.equal(worthDownsampling(longSeries(1_000_000), 800), true);
    assert.equal(worthDownsampling(longSeries(1_000_000), 800, 10, 500), false);
    assert.deepEqual(downsample([[], []], { width: 100 }), [[], []]);
    assert.deepEqual(downsample(longSeries(100), { width: 10, from: 50, to: 40 }), [[], []]);
  });
});

describe("colours of compared runs", () => {
  test("distinct for 1,000 runs, valid CSS, lighter on a dark background", () => {
    const colors = Array.from({ length: 1000 }, (_, i) => runColor(i, true));
    assert.equal(new Set(colors).size, 1000);
    for (const c of colors) assert.match(c, /^hsl\(\d+(\.\d)?, \d+%, \d+%\)$/);
    // Neighbours differ in hue by the golden angle (about 137.5°), never by less than 30° on the circle.
    const hue = (c: string) => Number(/hsl\(([\d.]+)/.exec(c)![1]);
    for (let i = 1; i < 50; i++) {
      const d = Math.abs(hue(colors[i]) - hue(colors[i - 1]));
      assert.ok(Math.min(d, 360 - d) > 30);
    }
    const lightness = (c: string) => Number(/(\d+)%\)$/.exec(c)![1]);
    assert.ok(lightness(runColor(0, true)) > lightness(runColor(0, false)));
    assert.equal(parseColor(runColor(0, true)), null); // hsl() is drawn as is, not parsed for alpha
  });
});
