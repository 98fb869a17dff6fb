// The Runs table's pure logic (webview/table-logic.ts): rows and columns from run.json facts, sorting, filtering,
// columns the same in every row, the best of each metric, CSV, the rows a scrolled window draws, the scatter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { RunInfo, TableRun } from "../../src/common/protocol";
import {
  bestValues,
  collapseColumns,
  compareCells,
  filterRows,
  parseFilter,
  rankCorrelation,
  scatterPoints,
  sortRows,
  tableCsv,
  tableItems,
  tableOf,
  experimentsOf,
  filterCompletions,
  isRateKey,
  trendOf,
  unknownFilterKeys,
  visibleRange,
} from "../../webview/table-logic";

function run(name: string, patch: Partial<RunInfo>): TableRun {
  return {
    dir: `/w/.unroll/runs/${name}`,
    info: {
      id: name,
      name,
      file: "/w/hello.ts",
      status: "completed",
      pid: 1,
      backend: "wasm",
      backendName: "wasm",
      startedAt: `2026-01-0${name.length}T00:00:00Z`,
      config: { epochs: 30, model: "", parameterCount: 0, optimizer: "Adam", snapshotEvery: 50 },
      ...patch,
    },
  };
}

const runs = [
  run("a", {
    hparams: { lr: 0.1, optimizer: "Adam", epochs: 30 },
    finalLoss: 0.3,
    finalMetrics: { accuracy: 0.8, predicted: "ohlol" },
    best: { loss: { value: 0.25, epoch: 20, goal: "min" }, accuracy: { value: 0.9, epoch: 25, goal: "max" } },
  }),
  run("bb", {
    hparams: { lr: 0.01, optimizer: "Adam", epochs: 30 },
    finalLoss: 0.9,
    finalMetrics: { accuracy: 0.4, predicted: "ohhhh" },
    best: { loss: { value: 0.9, epoch: 30, goal: "min" }, accuracy: { value: 0.4, epoch: 30, goal: "max" } },
  }),
  run("ccc", { hparams: { lr: 1, optimizer: "Adam", epochs: 30 }, finalLoss: NaN, status: "failed" }),
  run("old", {}), // from before hyperparameters were recorded
];

describe("Runs table logic", () => {
  test("columns: the run's, every hyperparameter, final and best metrics with their goals", () => {
    const { columns, rows } = tableOf(runs);
    assert.deepEqual(
      columns.map((c) => [c.key, c.group, c.goal ?? ""]),
      [
        ["label", "run", ""],
        ["name", "run", ""],
        ["status", "run", ""],
        ["file", "run", ""],
        ["started", "run", ""],
        ["lr", "hparam", ""],
        ["optimizer", "hparam", ""],
        ["epochs", "hparam", ""],
        ["final.loss", "final", "min"],
        ["final.accuracy", "final", "max"],
        ["final.predicted", "final", ""],
        ["best.loss", "best", "min"],
        ["best.accuracy", "best", "max"],
      ],
    );
    // A run the host gave no label is called by its id.
    assert.deepEqual(rows[3].cells, { label: "old", name: "old", status: "completed", file: "hello.ts", started: "2026-01-03T00:00:00Z" });
    // Runs of one file under different names: their group is titled by the file alone.
    assert.deepEqual([rows[3].experiment, rows[3].experimentTitle], ["/w/hello.ts", "hello.ts"]);
  });

  test("sorting: numbers by value, missing values and NaN last in either direction", () => {
    const { rows } = tableOf(runs);
    const names = (key: string, descending = false) => sortRows(rows, key, descending).map((r) => r.cells.name);
    assert.deepEqual(names("lr"), ["bb", "a", "ccc", "old"]);
    assert.deepEqual(names("lr", true), ["ccc", "a", "bb", "old"]);
    assert.deepEqual(names("final.loss"), ["a", "bb", "ccc", "old"], "NaN after numbers, missing after NaN");
    assert.deepEqual(names("final.loss", true), ["bb", "a", "ccc", "old"]);
    assert.ok(compareCells("run 2", "run 10") < 0, "text with numbers in natural order");
  });

  test("filtering: comparisons on columns, equality on text, free text anywhere; all words must hold", () => {
    const { columns, rows } = tableOf(runs);
    const names = (q: string) => filterRows(rows, columns, q).map((r) => r.cells.name);
    assert.deepEqual(parseFilter(" lr<0.5  ohlol"), [{ key: "lr", op: "<", value: "0.5" }, { value: "ohlol" }]);
    assert.deepEqual(names("lr<0.5"), ["a", "bb"]);
    assert.deepEqual(names("lr>=0.1 status=completed"), ["a"]);
    assert.deepEqual(names("status!=failed"), ["a", "bb", "old"]);
    assert.deepEqual(names("OPTIMIZER=adam final.accuracy>0.5"), ["a"]);
    assert.deepEqual(names("ohh"), ["bb"]);
    assert.deepEqual(names("nosuchcolumn=1"), []);
    assert.deepEqual(names(""), ["a", "bb", "ccc", "old"]);
  });

  test("collapse: a column with one value in every row shown becomes a note; empty columns go; name stays", () => {
    const { columns, rows } = tableOf(runs.slice(0, 3));
    const { varying, same } = collapseColumns(columns, rows);
    assert.deepEqual(
      same.map((s) => [s.column.key, s.value]),
      [
        ["file", "hello.ts"],
        ["optimizer", "Adam"],
        ["epochs", 30],
      ],
    );
    assert.ok(varying.some((c) => c.key === "lr") && varying.some((c) => c.key === "name"));
    const one = collapseColumns(columns, rows.slice(0, 1));
    assert.deepEqual(one.same, [], "one row: nothing is 'the same in all'");
    const twoNaN = tableOf([run("x", { finalLoss: NaN }), run("y", { finalLoss: NaN })]);
    assert.deepEqual(
      collapseColumns(twoNaN.columns, twoNaN.rows).same.map((s) => s.column.key),
      ["status", "file", "started", "final.loss"],
      "NaN is the same as NaN",
    );
  });

  test("best: the lowest loss, the highest accuracy, among the rows shown; NaN never", () => {
    const { columns, rows } = tableOf(runs);
    assert.deepEqual(Object.fromEntries(bestValues(columns, rows)), { "final.loss": 0.3, "final.accuracy": 0.8, "best.loss": 0.25, "best.accuracy": 0.9 });
    assert.deepEqual(Object.fromEntries(bestValues(columns, rows.slice(1))), {
      "final.loss": 0.9,
      "final.accuracy": 0.4,
      "best.loss": 0.9,
      "best.accuracy": 0.4,
    });
  });

  test("CSV: one column per key and the run's folder; formulas neutralised", () => {
    const { columns, rows } = tableOf([run("=cmd", { hparams: { lr: 0.1 }, finalLoss: 0.5 })]);
    assert.equal(
      tableCsv(columns, rows),
      "label,name,status,file,started,lr,final.loss,dir\n'=cmd,'=cmd,completed,hello.ts,2026-01-04T00:00:00Z,0.1,0.5,/w/.unroll/runs/=cmd\n",
    );
  });

  test("the rows a scrolled window draws: those in view and a few more on each side", () => {
    assert.deepEqual(visibleRange(0, 240, 24, 1000, 5), [0, 15]);
    assert.deepEqual(visibleRange(2400, 240, 24, 1000, 5), [95, 115]);
    assert.deepEqual(visibleRange(1e6, 240, 24, 1000, 5), [1000, 1000]);
    assert.deepEqual(visibleRange(-50, 240, 24, 3, 5), [0, 3]);
  });

  test("scatter: numbers as they are, text as categories; rows without both values counted", () => {
    const { rows } = tableOf(runs);
    const lr = scatterPoints(rows, "lr", "final.loss");
    assert.deepEqual(
      lr.points.map((p) => [p.x, p.y]),
      [
        [0.1, 0.3],
        [0.01, 0.9],
      ],
    );
    assert.equal(lr.missing, 2, "a NaN loss and a run without lr");
    const byOptimizer = scatterPoints(
      tableOf([run("a", { hparams: { o: "SGD" }, finalLoss: 1 }), run("b", { hparams: { o: "Adam" }, finalLoss: 2 })]).rows,
      "o",
      "final.loss",
    );
    assert.deepEqual(
      [byOptimizer.categories, byOptimizer.points.map((p) => p.x)],
      [
        ["Adam", "SGD"],
        [1, 0],
      ],
    );
  });

  test("rank correlation: +1 rising, −1 falling, ties share ranks, null when it cannot say", () => {
    const pts = (pairs: number[][]) => pairs.map(([x, y]) => ({ x, y }));
    assert.equal(
      rankCorrelation(
        pts([
          [1, 1],
          [2, 4],
          [3, 9],
          [4, 100],
        ]),
      ),
      1,
    );
    assert.equal(
      rankCorrelation(
        pts([
          [1, 3],
          [10, 2],
          [100, 1],
        ]),
      ),
      -1,
    );
    assert.ok(
      Math.abs(
        rankCorrelation(
          pts([
            [1, 1],
            [1, 2],
            [2, 3],
            [2, 4],
          ]),
        )! - 0.894,
      ) < 1e-3,
    );
    assert.equal(
      rankCorrelation(
        pts([
          [1, 1],
          [2, 1],
          [3, 1],
        ]),
      ),
      null,
    );
    assert.equal(
      rankCorrelation(
        pts([
          [1, 1],
          [2, 2],
        ]),
      ),
      null,
    );
  });

  describe("experiments as groups", () => {
    const mixed = [
      run("a", { file: "/w/hello.ts", hparams: { lr: 0.1 }, finalLoss: 0.5 }),
      run("bb", { file: "/w/names.ts", name: "names", hparams: { lr: 0.01 }, finalLoss: 2 }),
      run("ccc", { file: "/w/hello.ts", hparams: { lr: 0.3 }, finalLoss: 0.2 }),
    ];

    test("the table's lines: each experiment's title, then its rows in their order; a folded one has none", () => {
      const { rows } = tableOf(mixed);
      const lines = (collapsed: string[]) =>
        tableItems(rows, new Set(collapsed)).map((i) =>
          i.kind === "group" ? `# ${i.group.title} (${i.count})${i.collapsed ? " folded" : ""}` : `  ${i.row.cells.label}`,
        );
      assert.deepEqual(lines([]), ["# hello.ts (2)", "  a", "  ccc", "# names (names.ts) (1)", "  bb"]);
      assert.deepEqual(lines(["/w/hello.ts"]), ["# hello.ts (2) folded", "# names (names.ts) (1)", "  bb"]);
    });

    test("a sub-group level (a sweep inside an experiment) nests under its experiment", () => {
      const { rows } = tableOf(mixed);
      const levels = [
        { keyOf: (r: (typeof rows)[number]) => r.experiment, titleOf: (g: readonly (typeof rows)[number][]) => g[0].experimentTitle },
        { keyOf: (r: (typeof rows)[number]) => (r.cells.name === "ccc" ? "sweep-1" : undefined), titleOf: () => "sweep 1" },
      ];
      const items = tableItems(rows, new Set(), levels).map((i) => (i.kind === "group" ? `${i.depth}# ${i.group.title}` : `${i.depth} ${i.row.cells.label}`));
      assert.deepEqual(items, ["0# hello.ts", "1 a", "1# sweep 1", "2 ccc", "0# names (names.ts)", "1 bb"]);
    });

    test("statistics stay within one experiment: the groups the scatter picks from", () => {
      const groups = experimentsOf(tableOf(mixed).rows);
      assert.deepEqual(
        groups.map((g) => g.runs.map((r) => r.cells.label)),
        [["a", "ccc"], ["bb"]],
      );
    });
  });

  describe("direction words only for monotonic relations", () => {
    const pts = (xy: [number, number][]) => xy.map(([x, y]) => ({ x, y }));
    test("a steady fall and a steady rise are named", () => {
      assert.deepEqual(
        trendOf(
          pts([
            [0.01, 2],
            [0.1, 1],
            [0.3, 0.5],
            [1, 0.4],
          ]),
        ),
        { trend: "falls" },
      );
      assert.deepEqual(
        trendOf(
          pts([
            [1, 1],
            [2, 1],
            [3, 5],
          ]),
        ),
        { trend: "rises" },
      );
      assert.deepEqual(
        trendOf(
          pts([
            [1, 1],
            [2, 1],
            [3, 1],
          ]),
        ),
        { trend: "flat" },
      );
    });

    test("a U shape is not a direction: it turns at its lowest point inside the range", () => {
      // Spearman's rho of this U is −0.3: the old words said "final.loss falls as lr rises".
      const u = pts([
        [0.001, 2.1],
        [0.01, 0.9],
        [0.1, 0.51],
        [0.3, 0.8],
        [1, 1.5],
      ]);
      assert.deepEqual(trendOf(u), { trend: "mixed", turn: 0.1 });
      assert.deepEqual(
        trendOf(
          pts([
            [1, 0],
            [2, 3],
            [3, 1],
          ]),
        ),
        { trend: "mixed", turn: 2 },
      );
    });

    test("repeated x values are averaged; fewer than three distinct x values say nothing", () => {
      assert.deepEqual(
        trendOf(
          pts([
            [1, 3],
            [1, 1],
            [2, 1],
            [3, 0],
          ]),
        ),
        { trend: "falls" },
      );
      assert.equal(
        trendOf(
          pts([
            [1, 3],
            [1, 1],
            [2, 1],
          ]),
        ),
        null,
      );
    });
  });

  test("rates are logarithmic by default: lr, learning_rate, weight_decay, dropout rate; others not", () => {
    for (const key of ["lr", "optimizer.lr", "learning_rate", "learningRate", "weight_decay", "dropoutRate"]) assert.ok(isRateKey(key), key);
    for (const key of ["epochs", "hidden", "clr_steps", "batchSize", "lrx"]) assert.ok(!isRateKey(key), key);
  });

  describe("filter keys", () => {
    const { columns } = tableOf(runs);
    test("a key no column has is answered with the columns it may mean: loss → final.loss, best.loss", () => {
      assert.deepEqual(unknownFilterKeys("loss<0.5", columns), [{ key: "loss", suggestions: ["final.loss", "best.loss"] }]);
      assert.deepEqual(unknownFilterKeys("optimzer=Adam lr<1", columns), [{ key: "optimzer", suggestions: ["optimizer"] }]);
      assert.deepEqual(unknownFilterKeys("zzz=1 plain words final.loss<1", columns), [{ key: "zzz", suggestions: [] }]);
      // Matching ignores case, as the filter does.
      assert.deepEqual(unknownFilterKeys("FINAL.LOSS<1", columns), []);
      // Two letters swapped are one slip; a pasted page is far from every key.
      assert.deepEqual(unknownFilterKeys("rl<1", columns), [{ key: "rl", suggestions: ["lr"] }]);
      assert.deepEqual(unknownFilterKeys(`${"optimizer".repeat(50)}=1`, columns), [{ key: "optimizer".repeat(50), suggestions: [] }]);
    });

    test("completions of the last word keep the words before it", () => {
      assert.deepEqual(filterCompletions("lr<0.1 fin", columns), ["lr<0.1 final.loss", "lr<0.1 final.accuracy", "lr<0.1 final.predicted"]);
      assert.deepEqual(filterCompletions("acc", columns), ["final.accuracy", "best.accuracy"]);
      assert.deepEqual(filterCompletions("lr<0", columns), []);
      assert.equal(filterCompletions("", columns).length, columns.length);
    });
  });
});
