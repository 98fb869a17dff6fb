// The run store on its own: folder names, atomic files, tolerant reading, "interrupted" runs, listing,
// and `unroll runs`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunInfo } from "../../src/common/protocol";
import { isRunId, MAX_NAME_BYTES } from "../../src/common/run-id";
import { downsampleLoss, listRuns, readRun, readRunDetail, runId, RunWriter, type StepLine } from "../../src/runs/run-store";
import { runsCommand } from "../../src/cli/runs";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-store-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A pid that certainly belongs to no process any more. */
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;

function info(writer: RunWriter, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    id: writer.id,
    name: "toy",
    file: path.join(ROOT, "toy.ts"),
    status: "running",
    pid: process.pid,
    backend: "wasm",
    backendName: "wasm",
    startedAt: new Date().toISOString(),
    config: { epochs: 3, model: "LSTM(4, 8)", parameterCount: 416, optimizer: "Adam", snapshotEvery: 50 },
    ...patch,
  };
}

const step = (n: number, loss = 1 / n): StepLine => ({ type: "step", epoch: 1, step: n, loss, lr: 0.01, time: n / 10 });

describe("run store", () => {
  test("run folder names: local time and a safe name; a taken name gets -2", () => {
    const date = new Date(2026, 10, 22, 9, 3, 7);
    assert.equal(runId("hello → ohlol (RNNCell)", date), "20261122-090307-hello-ohlol-RNNCell");
    assert.equal(runId("../..", date), "20261122-090307-run");
    const folder = path.join(ROOT, "names");
    const a = RunWriter.create(folder, "same", date);
    const b = RunWriter.create(folder, "same", date);
    assert.deepEqual([a.id, b.id], ["20261122-090307-same", "20261122-090307-same-2"]);
    a.close();
    b.close();
  });

  test("run ids keep the letters of any script; emoji, spaces, slashes, `..`, Windows' reserved names are made safe", () => {
    const date = new Date(2026, 10, 22, 9, 3, 7);
    const id = (name: string) => runId(name, date).slice("20261122-090307-".length);
    assert.equal(id("唐诗生成"), "唐诗生成");
    assert.equal(id("循环 网络(1) 🧪.ts"), "循环-网络-1-.ts");
    assert.equal(id("café"), "café");
    assert.equal(id("cafe\u0301"), "café"); // decomposed (macOS) becomes composed: one id for one name
    assert.equal(id("Привет, мир"), "Привет-мир");
    assert.equal(id('a/b\\c:d*e?f"g<h>i|j'), "a-b-c-d-e-f-g-h-i-j");
    assert.equal(id("🧪🧪"), "run");
    assert.equal(id(".."), "run");
    assert.equal(id("name."), "name"); // Windows drops a trailing dot
    assert.equal(id("CON"), "_CON");
    assert.equal(id("lpt1.txt"), "_lpt1.txt");
    assert.equal(id("console"), "console");
    assert.equal(id("a\u0000b\u001b[31m"), "a-b-31m");
    const long = id("诗".repeat(100)); // 3 bytes each
    assert.equal(long, "诗".repeat(21));
    assert.ok(Buffer.byteLength(long) <= MAX_NAME_BYTES);
    assert.equal(id("e\u0301".repeat(40)).normalize("NFC"), id("e\u0301".repeat(40))); // never cut inside a letter
    for (const name of ["唐诗生成", "循环 网络(1) 🧪.ts", "CON", "..", "诗".repeat(100)]) assert.ok(isRunId(runId(name, date)), name);
    for (const bad of ["..", ".", "a/b", "a\\b", "CON", "a b", "", "x".repeat(200)]) assert.ok(!isRunId(bad), bad);
    const w = RunWriter.create(path.join(ROOT, "唐诗"), "唐诗生成", date);
    assert.ok(fs.existsSync(path.join(ROOT, "唐诗", "20261122-090307-唐诗生成", "metrics.jsonl")));
    w.close();
  });

  test("written incrementally; read back tolerantly, a cut last line skipped", async () => {
    const w = RunWriter.create(path.join(ROOT, "incremental"), "toy");
    w.writeInfo(info(w));
    for (let n = 1; n <= 3; n++) w.appendMetric(step(n));
    w.appendMetric({ type: "epoch", epoch: 1, loss: 0.6, metrics: { accuracy: 0.5, predicted: "ohlol" }, time: 0.3 });
    w.writeSnapshot({ epoch: 1, step: 3, parameters: [], dynamics: [] });
    fs.appendFileSync(path.join(w.dir, "metrics.jsonl"), '{"type":"step","epoch":1,"st'); // a kill mid-line
    const run = readRun(w.dir);
    assert.equal(run.info.status, "running", "our own pid is alive");
    assert.deepEqual(
      run.steps.map((s) => s.step),
      [1, 2, 3],
    );
    assert.deepEqual(run.epochs[0].metrics, { accuracy: 0.5, predicted: "ohlol" });
    assert.deepEqual(fs.readdirSync(w.dir).sort(), [".reserve", "metrics.jsonl", "run.json", "snapshots", "summary.json"], "no temporary files left");
    const detail = await readRunDetail(w.dir);
    assert.deepEqual([detail.steps.length, detail.epochs.length, detail.snapshot?.step, detail.dynamics?.layers], [3, 1, 3, []]);
    w.close();
  });

  test("'running' with a dead pid reads 'interrupted'", () => {
    const w = RunWriter.create(path.join(ROOT, "dead"), "toy");
    w.writeInfo(info(w, { pid: deadPid() }));
    w.appendMetric(step(1));
    w.close();
    assert.equal(readRun(w.dir).info.status, "interrupted");
  });

  test("listRuns: newest first, with a loss curve of at most 200 points; other folders ignored", async () => {
    const folder = path.join(ROOT, "list");
    const older = RunWriter.create(folder, "older", new Date(2026, 0, 1));
    older.writeInfo(info(older, { startedAt: "2026-01-01T00:00:00.000Z", status: "completed", epoch: 3, finalLoss: 0.25, finalMetrics: { accuracy: 0.9 } }));
    for (let n = 1; n <= 1000; n++) older.appendMetric(step(n, 1));
    older.close();
    const newer = RunWriter.create(folder, "newer", new Date(2026, 0, 2));
    newer.writeInfo(info(newer, { startedAt: "2026-01-02T00:00:00.000Z", pid: deadPid() }));
    newer.appendMetric(step(1, 2.5));
    newer.close();
    fs.mkdirSync(path.join(folder, "not-a-run"));
    const runs = await listRuns(folder);
    assert.deepEqual(
      runs.map((r) => [r.info.name, r.info.status]),
      [
        ["toy", "interrupted"],
        ["toy", "completed"],
      ],
    );
    assert.ok(runs[1].lossCurve.length <= 200 && runs[1].lossCurve.length >= 100, String(runs[1].lossCurve.length));
    assert.deepEqual(runs[1].lossCurve[0], [8, 1]);
    assert.deepEqual(runs[1].lossCurve.at(-1), [1000, 1]);
    assert.deepEqual(await listRuns(path.join(ROOT, "nowhere")), []);
    assert.deepEqual(downsampleLoss([step(1, 1), step(2, 3)], 1), [[2, 2]]);
  });

  test("unroll runs prints a table, newest first", async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (text: string) => lines.push(text);
    try {
      assert.equal(await runsCommand.run({ positional: [path.join(ROOT, "list")], options: {} }), 0);
      assert.equal(await runsCommand.run({ positional: [path.join(ROOT, "nowhere")], options: {} }), 0);
    } finally {
      console.log = log;
    }
    const [header, first, second] = lines[0].split("\n");
    assert.match(header, /^ID\s+STATUS\s+EPOCHS\s+LOSS\s+METRICS\s+FILE$/);
    assert.match(first, /^20260102-000000-newer\s+interrupted\s+0\/3\s+2\.5000\s+-\s+/);
    assert.match(second, /^20260101-000000-older\s+completed\s+3\/3\s+0\.2500\s+accuracy 0\.9\s+\S*toy\.ts$/);
    assert.match(lines[1], new RegExp(`^No runs in ${path.join(ROOT, "nowhere")}\\. `));
  });
});
