// The Runs table's sweeps as pure logic: the parallel-coordinates layout (axes, log scale for rates, categories,
// lines in pixels, the best run, runs missing a value) and the sweep groups (a sweep's runs together under its row).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { axisFraction, axisValue, bestOn, pcAxes, pcAxis, pcLayout, pcTicks, type PcRun } from "../../webview/parallel-coordinates";
import { groupBySweep } from "../../webview/sweep-groups";
import type { SweepMark } from "../../src/common/protocol";

const runs: PcRun[] = [
  { dir: "a", values: { lr: 0.001, hidden: 16, cell: "GRU", loss: 0.9 } },
  { dir: "b", values: { lr: 0.01, hidden: 32, cell: "LSTM", loss: 0.3 } },
  { dir: "c", values: { lr: 0.1, hidden: 16, cell: "GRU", loss: 0.5 } },
  { dir: "d", values: { lr: 0.1, hidden: 32, cell: "LSTM" } }, // still running: no loss yet
];
const size = { width: 400, height: 200, pad: { left: 0, right: 0, top: 0, bottom: 0 } };

describe("parallel coordinates", () => {
  test("axes: log for rates (both ends > 0, ratio ≥ 100), linear otherwise, categories for texts; the metric last with its goal", () => {
    const axes = pcAxes(runs, ["lr", "hidden", "cell"], "loss", "min");
    assert.deepEqual(
      axes.map((a) => [a.key, a.scale, a.goal]),
      [
        ["lr", "log", undefined],
        ["hidden", "linear", undefined],
        ["cell", "category", undefined],
        ["loss", "linear", "min"],
      ],
    );
    assert.deepEqual([axes[1].min, axes[1].max], [16, 32]);
    assert.deepEqual(axes[2].categories, ["GRU", "LSTM"]);
    assert.equal(
      pcAxis(
        [
          { dir: "x", values: { lr: 0.01 } },
          { dir: "y", values: { lr: 0.5 } },
        ],
        "lr",
      ).scale,
      "linear",
    ); // ratio 50
    const same = pcAxis([{ dir: "x", values: { h: 8 } }], "h"); // one value: widened, in the middle
    assert.equal(axisFraction(same, 8), 0.5);
    const numbered = pcAxis(
      [
        { dir: "x", values: { k: "10" } },
        { dir: "y", values: { k: "9" } },
        { dir: "z", values: { k: true } },
      ],
      "k",
    );
    assert.deepEqual(numbered.categories, ["9", "10", "true"]); // numbers in order, not as text
  });

  test("positions: a log axis puts each decade an equal step apart; categories evenly; the ends at 0 and 1", () => {
    const lr = pcAxis(runs, "lr");
    assert.deepEqual(
      [0.001, 0.01, 0.1].map((v) => Number(axisFraction(lr, v)!.toFixed(6))),
      [0, 0.5, 1],
    );
    assert.equal(Number(axisValue(lr, 0.5).toPrecision(6)), 0.01);
    assert.equal(axisFraction(lr, -1), undefined);
    assert.equal(axisFraction(lr, "x"), undefined);
    const cell = pcAxis(runs, "cell");
    assert.deepEqual([axisFraction(cell, "GRU"), axisFraction(cell, "LSTM"), axisFraction(cell, "RNN")], [0, 1, undefined]);
  });

  test("lines: one per run with every value, through the axes' x and each value's height; the best on top", () => {
    const axes = pcAxes(runs, ["lr", "hidden"], "loss", "min");
    const layout = pcLayout(runs, axes, size);
    assert.deepEqual(layout.xs, [0, 200, 400]);
    assert.equal(layout.missing, 1); // d has no loss
    assert.equal(layout.best, "b");
    assert.deepEqual(
      layout.lines.map((l) => l.dir),
      ["a", "c", "b"],
    );
    const b = layout.lines.find((l) => l.dir === "b")!;
    assert.equal(b.best, true);
    // b: lr 0.01 (the middle of the log axis), hidden 32 (top), loss 0.3 (the lowest: bottom).
    assert.deepEqual(
      b.points.map(([x, y]) => [x, Math.round(y)]),
      [
        [0, 100],
        [200, 0],
        [400, 200],
      ],
    );
  });

  test("the best follows the goal; NaN and missing values never win", () => {
    const acc = pcAxis(runs, "loss", "max");
    assert.equal(bestOn(runs, acc), "a");
    assert.equal(
      bestOn(
        [
          { dir: "x", values: { loss: NaN } },
          { dir: "y", values: {} },
        ],
        pcAxis(runs, "loss", "min"),
      ),
      undefined,
    );
    assert.equal(bestOn([{ dir: "x", values: { toString: 1 } as never }], pcAxis([], "toString", "min")), "x");
    assert.equal(pcLayout([], [], size).lines.length, 0);
  });
});

describe("parallel coordinates' ticks", () => {
  const axisOf = (key: string, values: number[]) =>
    pcAxis(
      values.map((v, i) => ({ dir: String(i), values: { [key]: v } })),
      key,
    );

  test("a linear axis: its ends, and round values between them, never an unrounded middle (issue 25: 0.0173)", () => {
    const loss = axisOf("loss", [0.0011, 0.0335, 0.02]);
    const ticks = pcTicks(loss);
    assert.deepEqual(ticks[0], [0, "0.0011"]);
    assert.deepEqual(ticks.at(-1), [1, "0.0335"]);
    const inner = ticks.slice(1, -1);
    assert.deepEqual(
      inner.map(([, label]) => label),
      ["0.02"],
    );
    assert.ok(Math.abs(inner[0][0] - axisFraction(loss, 0.02)!) < 1e-12, "drawn where 0.02 is");
  });

  test("a log axis: powers of ten between its ends; a category axis: its values", () => {
    const lr = axisOf("lr", [0.001, 0.01, 0.1, 0.3]);
    assert.equal(lr.scale, "log");
    assert.deepEqual(
      pcTicks(lr).map(([, label]) => label),
      ["0.001", "0.01", "0.1", "0.3"],
    );
    const cell = pcAxis(
      [
        { dir: "a", values: { cell: "GRU" } },
        { dir: "b", values: { cell: "LSTM" } },
      ],
      "cell",
    );
    assert.deepEqual(pcTicks(cell), [
      [0, "GRU"],
      [1, "LSTM"],
    ]);
  });
});

describe("sweep groups in the Runs table", () => {
  const mark = (id: string, index: number): SweepMark => ({ id, index, size: 3, names: ["lr"] });
  const marks: Record<string, SweepMark | undefined> = { s2: mark("S", 2), x: undefined, s0: mark("S", 0), t0: mark("T", 0), s1: mark("S", 1) };

  test("a sweep's runs follow its row at its first run's place, in point order; other runs keep theirs", () => {
    const items = groupBySweep(["s2", "x", "s0", "t0", "s1"], (row) => marks[row]);
    assert.deepEqual(
      items.map((i) => (i.kind === "sweep" ? `sweep ${i.id}: ${i.rows.join(",")}` : `${i.row}${i.sweep ? ` in ${i.sweep}` : ""}`)),
      ["sweep S: s0,s1,s2", "s0 in S", "s1 in S", "s2 in S", "x", "sweep T: t0", "t0 in T"],
    );
    assert.deepEqual(
      groupBySweep(["x"], () => undefined),
      [{ kind: "run", row: "x" }],
    );
  });
});
