// Metrics are keyed by whatever names a model file gives them: `__proto__`, `constructor` and `toString` keep their
// column everywhere (recorded, written, read back, the CSV, best values, the CLI's table), and a metric that is a
// 200 MB text is cut to MAX_TEXT characters where runs are recorded, and in every message to a webview.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { capStrings, MAX_TEXT, truncateText } from "../../src/common/format";
import { ownValue, type RunDetail, type RunInfo } from "../../src/common/protocol";
import { applyRunEvent, emptyRunDetail, MAX_METRIC_TEXT } from "../../src/common/run-reducer";
import { foldBest, recordHparams } from "../../src/runner/hparams";
import { parseRunInfo } from "../../src/runs/run-file";
import { listRuns, readRun, readRunDetail, RunWriter } from "../../src/runs/run-store";
import { plainMetrics } from "../../src/runner/training";
import { runCsv } from "../../src/common/run-csv";
import { runsCommand, splitHparams } from "../../src/cli/runs";
import { tableOf } from "../../webview/table-logic";
import { killCliRuns, printedBy, runCli, writeLinearExperiment } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-metric-names-"));
after(() => {
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
/** Metrics with those names, as a model file's evaluate() can return them (computed keys: own properties). */
const awkward = () => JSON.parse('{"__proto__": 0.5, "constructor": 2, "toString": "text", "hasOwnProperty": 4, "valueOf": 5}') as Record<string, unknown>;

describe("metrics named __proto__, constructor, toString", () => {
  test("are recorded, folded into the best values and the hyperparameters as keys like any other", () => {
    const recorded = plainMetrics(awkward());
    assert.deepEqual(Object.keys(recorded), NAMES);
    assert.deepEqual(
      NAMES.map((n) => ownValue(recorded, n)),
      [0.5, 2, "text", 4, 5],
    );
    assert.equal(JSON.stringify(recorded), '{"__proto__":0.5,"constructor":2,"toString":"text","hasOwnProperty":4,"valueOf":5}');
    const best = foldBest(foldBest(undefined, 1, 1, recorded), 2, 0.5, plainMetrics(JSON.parse('{"__proto__": 0.9, "constructor": 1}')));
    assert.deepEqual(Object.keys(best).sort(), ["__proto__", "constructor", "hasOwnProperty", "loss", "valueOf"].sort());
    assert.deepEqual(
      ["__proto__", "constructor", "loss"].map((n) => ownValue(best, n)),
      [
        { value: 0.9, epoch: 2, goal: "max" },
        { value: 2, epoch: 1, goal: "max" },
        { value: 0.5, epoch: 2, goal: "min" },
      ],
    );
    const hparams = recordHparams({ epochs: 1, hparams: awkward() }, { lr: 0.1 }, undefined, 1);
    assert.equal(ownValue(hparams, "__proto__"), 0.5);
    assert.equal(ownValue(hparams, "toString"), "text");
  });

  test("are written and read back (run.json, metrics.jsonl), and keep their CSV columns", async () => {
    const writer = RunWriter.create(path.join(ROOT, "runs"), "awkward");
    const metrics = plainMetrics(awkward());
    const without = plainMetrics({ accuracy: 0.1 }); // an epoch that lacks them: empty cells, never Object.prototype's
    const info: RunInfo = {
      id: writer.id,
      name: "awkward",
      file: path.join(ROOT, "awkward.ts"),
      status: "completed",
      pid: 0,
      backend: "wasm",
      backendName: "wasm",
      startedAt: "2026-01-01T00:00:00.000Z",
      config: { epochs: 2, model: "Linear(4, 2)", parameterCount: 10, optimizer: "SGD", snapshotEvery: 50 },
      finalMetrics: metrics,
      best: foldBest(undefined, 2, 0.5, metrics),
    };
    writer.appendMetric({ type: "step", epoch: 1, step: 1, loss: 1, lr: 0.1, time: 0.1 });
    writer.appendMetric({ type: "epoch", epoch: 1, loss: 1, metrics: without, time: 0.1 });
    writer.appendMetric({ type: "step", epoch: 2, step: 2, loss: 0.5, lr: 0.1, time: 0.2 });
    writer.appendMetric({ type: "epoch", epoch: 2, loss: 0.5, metrics, time: 0.2 });
    writer.end(info);

    const run = readRun(writer.dir);
    assert.deepEqual(Object.keys(run.info.finalMetrics ?? {}), NAMES);
    assert.equal(ownValue(run.info.finalMetrics, "__proto__"), 0.5);
    assert.equal(ownValue(run.info.best, "__proto__")?.value, 0.5);
    assert.equal(run.damaged, undefined);
    assert.deepEqual(Object.keys(run.epochs[1].metrics), NAMES);

    const detail = await readRunDetail(writer.dir);
    const lines = runCsv(detail).trimEnd().split("\n");
    assert.deepEqual(lines, [
      "epoch,step,loss,lr,time,epoch_loss,accuracy,__proto__,constructor,hasOwnProperty,valueOf,toString",
      "1,1,1,0.1,0.1,1,0.1,,,,,",
      "2,2,0.5,0.1,0.2,0.5,,0.5,2,4,5,text",
    ]);
    const parsed = parseRunInfo(fs.readFileSync(path.join(writer.dir, "run.json"), "utf8"), writer.id);
    assert.deepEqual(Object.keys(parsed.info.best ?? {}).sort(), [...NAMES.filter((n) => n !== "toString"), "loss"].sort());
  });

  test("`unroll runs` and the Runs table: a run without the hyperparameter `toString` shows no cell for it", async () => {
    const folder = path.join(ROOT, "table");
    const runJson = (id: string, hparams: string) =>
      `{"name": "${id}", "file": "", "status": "completed", "pid": 0, "backend": "", "startedAt": "2026-01-01T00:00:0${id.length}Z",
        "config": {"epochs": 1, "model": "", "parameterCount": 0, "optimizer": "", "snapshotEvery": 1}, "hparams": ${hparams}}`;
    for (const [id, hparams] of [
      ["a", '{"toString": 1, "__proto__": 2, "lr": 0.1}'],
      ["bb", '{"lr": 0.1}'],
    ]) {
      fs.mkdirSync(path.join(folder, id), { recursive: true });
      fs.writeFileSync(path.join(folder, id, "run.json"), runJson(id, hparams));
    }
    const runs = await listRuns(folder);
    const { varying, same } = splitHparams(runs);
    assert.deepEqual([varying, same], [["toString", "__proto__"], [["lr", 0.1]]]);
    const { value: code, out: lines } = await printedBy(() => runsCommand.run({ positional: [folder], options: {} }));
    assert.equal(code, 0);
    const [header, bb, a] = lines[0].split("\n");
    assert.match(header, /^ID\s+STATUS\s+EPOCHS\s+toString\s+__proto__\s+LOSS/);
    assert.match(a, /^a\s+completed\s+0\/1\s+1\s+2\s+-/);
    assert.match(bb, /^bb\s+completed\s+0\/1\s+-\s+-\s+-/, "no 'function toString() { [native code] }'");
    assert.match(lines[1], /same in all: lr=0\.1/);
    const { columns, rows } = tableOf(runs);
    assert.deepEqual(
      columns.filter((c) => c.group === "hparam").map((c) => c.key),
      ["lr", "toString", "__proto__"],
    );
    assert.deepEqual(
      rows.map((r) => [r.cells.name, ownValue(r.cells, "toString"), ownValue(r.cells, "__proto__")]),
      [
        ["bb", undefined, undefined],
        ["a", 1, 2],
      ],
    );
  });
});

describe("a metric that is a 200 MB text", () => {
  test("is cut where it is recorded: MAX_TEXT characters and how big it was", () => {
    const huge = "x".repeat(200_000_000);
    const { text, short } = plainMetrics({ text: huge, short: "ok" });
    assert.equal(text, `${"x".repeat(MAX_TEXT)}… (truncated, 200 MB)`);
    assert.equal(short, "ok");
    assert.equal(truncateText("y".repeat(MAX_TEXT + 1)), `${"y".repeat(MAX_TEXT)}… (truncated, 65.5 kB)`);
    const emoji = "a" + "🧪".repeat(MAX_TEXT); // a surrogate pair across the cut is not split
    assert.ok(!/[\ud800-\udbff]…/.test(truncateText(emoji)));
    assert.equal(truncateText("short"), "short");
  });

  test("the run-event reducer cuts an epoch's text metric without splitting a surrogate pair either", () => {
    const detail = emptyRunDetail(parseRunInfo("{}", "run").info);
    applyRunEvent(detail, { type: "epoch", epoch: 1, loss: 1, metrics: { predicted: "a" + "🧪".repeat(MAX_METRIC_TEXT) }, time: 0 });
    assert.equal(detail.epochs[0].metrics.predicted, "a" + "🧪".repeat(MAX_METRIC_TEXT / 2 - 1) + "…");
  });

  test("capStrings (every webview message): long strings cut at any depth, keys kept, nothing copied when nothing is long", async () => {
    const dir = path.join(ROOT, "runs", "20260101-000000-hostile");
    fs.mkdirSync(dir, { recursive: true });
    const big = "z".repeat(3_000_000);
    fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify({ name: "hostile", finalMetrics: { note: big } }));
    fs.writeFileSync(
      path.join(dir, "metrics.jsonl"),
      JSON.stringify({ type: "epoch", epoch: 1, loss: 1, metrics: JSON.parse(`{"__proto__": "${big}"}`), time: 1 }) + "\n",
    );
    const detail: RunDetail = await readRunDetail(dir);
    // A 3 MB line is past the run store reader's line limit (1 MiB): it is skipped, and the run says so. The
    // runner never writes such a line (its texts are cut first); a live message could still carry one.
    assert.equal(detail.epochs.length, 0);
    assert.match(detail.summary.damaged ?? "", /metrics\.jsonl has 1 unreadable line \(skipped\)/);
    detail.epochs.push({ epoch: 1, loss: 1, metrics: JSON.parse(`{"__proto__": "${big}"}`) as Record<string, string> });
    const message = { type: "detail", detail };
    const capped = capStrings(message);
    const cut = `${"z".repeat(MAX_TEXT)}… (truncated, 3 MB)`;
    assert.equal(ownValue(capped.detail.epochs[0].metrics, "__proto__"), cut);
    assert.equal(ownValue(capped.detail.summary.info.finalMetrics, "note"), cut);
    assert.equal(ownValue(detail.epochs[0].metrics, "__proto__"), big, "the original is left as it was");
    assert.ok(JSON.stringify(capped).length < 4 * MAX_TEXT);
    const small = { type: "steps", steps: [{ step: 1, loss: 0.5 }], values: new Float32Array(4) };
    assert.equal(capStrings(small), small, "nothing long: the same object");
    assert.deepEqual(capStrings(["a", ["b", "c".repeat(MAX_TEXT + 5)]]), ["a", ["b", `${"c".repeat(MAX_TEXT)}… (truncated, 65.5 kB)`]]);
  });

  test("through `unroll train`: the metrics keep their names and the text arrives cut, in the events and on disk", { timeout: 120_000 }, async () => {
    const file = writeLinearExperiment(path.join(ROOT, "指标 (1).ts"), {
      name: "awkward",
      epochs: 2,
      evaluate: '() => ({ ["__proto__"]: 0.25, constructor: 3, ["toString"]: "t".repeat(5_000_000) })',
    });
    const runs = path.join(ROOT, "cli-runs");
    const out = await runCli(["train", file, "--runs", runs, "--json", "--no-check"]);
    assert.equal(out.code, 0, out.stderr);
    const epochs = out.stdout
      .split("\n")
      .filter((l) => l.startsWith('{"type":"epoch"'))
      .map((l) => JSON.parse(l) as { metrics: Record<string, number | string> });
    assert.equal(epochs.length, 2);
    const cut = `${"t".repeat(MAX_TEXT)}… (truncated, 5 MB)`;
    assert.deepEqual(
      epochs.map((e) => [Object.keys(e.metrics), ownValue(e.metrics, "__proto__"), ownValue(e.metrics, "toString")]),
      [
        [["__proto__", "constructor", "toString"], 0.25, cut],
        [["__proto__", "constructor", "toString"], 0.25, cut],
      ],
    );
    const [dir] = fs.readdirSync(runs);
    const stored = readRun(path.join(runs, dir));
    assert.deepEqual(Object.keys(stored.info.finalMetrics ?? {}), ["__proto__", "constructor", "toString"]);
    assert.equal(ownValue(stored.info.best, "__proto__")?.value, 0.25);
    assert.ok(fs.statSync(path.join(runs, dir, "metrics.jsonl")).size < 4 * MAX_TEXT);
    const header = runCsv(stored).split("\n")[0];
    assert.equal(header, "epoch,step,loss,lr,time,epoch_loss,__proto__,constructor,toString");
  });
});
