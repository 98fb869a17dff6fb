// The run store's readers against files a hostile repository can ship (git carries symbolic links; a FIFO, a socket
// or a device can be made in place): only regular files inside the run folder are opened, each kind capped in size,
// and the run is listed as damaged with the reason. metrics.jsonl is streamed in chunks (a line across a chunk
// boundary, a UTF-8 character cut in two), and one reducer folds a run's events live and from the store alike.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { GradientWarning, ParameterSnapshot, RunDetail, RunEvent, RunInfo } from "../../src/common/protocol";
import { applyRunEvent, emptyRunDetail, MAX_EPOCHS_SHOWN, MAX_GRADIENT_WARNINGS, MAX_METRIC_TEXT, MAX_STEPS_SHOWN } from "../../src/common/run-reducer";
import { FILE_CAPS, LineSplitter, MAX_LINE_BYTES, within } from "../../src/runs/read-file";
import { readCheckpoint } from "../../src/runs/safetensors-file";
import { processStartTime } from "../../src/runs/process-liveness";
import { endInterruptedRun, listRuns, readRun, readRunDetail, readRunSummary, readSnapshot, RunWriter, type MetricLine } from "../../src/runs/run-store";
import { HOSTILE_NAME, hostileRunInfo } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-readers-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const info = (id: string, patch: Partial<RunInfo> = {}): RunInfo => hostileRunInfo(ROOT, id, patch);

const stepLine = (n: number, loss = 1 / n, gradNorms = {}) =>
  JSON.stringify({ type: "step", epoch: 1, step: n, loss, lr: 0.01, time: n / 10, gradNorms }) + "\n";

/** A run folder with a good run.json and three metrics lines; `make` then puts something in place of one file. */
function run(id: string, make: (dir: string) => void): string {
  const dir = path.join(ROOT, "runs", id);
  fs.mkdirSync(path.join(dir, "snapshots"), { recursive: true });
  fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify(info(id)));
  fs.writeFileSync(path.join(dir, "metrics.jsonl"), stepLine(1) + stepLine(2) + stepLine(3));
  make(dir);
  return dir;
}

const replace = (dir: string, name: string, make: (file: string) => void) => {
  const file = path.join(dir, name);
  fs.rmSync(file, { recursive: true, force: true });
  make(file);
};
const fifo = (file: string) => execFileSync("mkfifo", [file]);
const outsideFile = path.join(ROOT, "outside.json");
fs.writeFileSync(outsideFile, JSON.stringify(info("outside", { name: "a file outside the run folder" })));

/** Every reader over one run folder: the listing, the detail, the synchronous readRun; none may throw or block. */
async function readAll(dir: string) {
  const listed = await readRunSummary(dir);
  const detail = await readRunDetail(dir);
  const stored = readRun(dir);
  return { listed: listed!, detail, stored };
}

describe("readers open regular files only", () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ["run.json → /dev/zero", (d) => replace(d, "run.json", (f) => fs.symlinkSync("/dev/zero", f)), /run\.json is a link to outside the run folder/],
    ["a FIFO run.json", (d) => replace(d, "run.json", fifo), /run\.json is a FIFO, not a file/],
    ["a folder named run.json", (d) => replace(d, "run.json", (f) => fs.mkdirSync(f)), /run\.json is a folder, not a file/],
    ["a run.json link loop", (d) => replace(d, "run.json", (f) => fs.symlinkSync("run.json", f)), /run\.json is a symbolic link loop/],
    [
      "a two-link run.json loop",
      (d) => {
        fs.symlinkSync("b", path.join(d, "a"));
        fs.symlinkSync("a", path.join(d, "b"));
        replace(d, "run.json", (f) => fs.symlinkSync("a", f));
      },
      /run\.json is a symbolic link loop/,
    ],
    ["run.json → a file outside", (d) => replace(d, "run.json", (f) => fs.symlinkSync(outsideFile, f)), /run\.json is a link to outside the run folder/],
    ["run.json → ../outside.json", (d) => replace(d, "run.json", (f) => fs.symlinkSync("../../outside.json", f)), /run\.json is a link to outside/],
    ["an oversized (sparse) run.json", (d) => fs.truncateSync(path.join(d, "run.json"), FILE_CAPS["run.json"] + 1), /run\.json is larger than 4 MiB/],
    ["metrics.jsonl → /dev/zero", (d) => replace(d, "metrics.jsonl", (f) => fs.symlinkSync("/dev/zero", f)), /metrics\.jsonl is a link to outside/],
    ["a FIFO metrics.jsonl", (d) => replace(d, "metrics.jsonl", fifo), /metrics\.jsonl is a FIFO, not a file/],
    ["a folder named metrics.jsonl", (d) => replace(d, "metrics.jsonl", (f) => fs.mkdirSync(f)), /metrics\.jsonl is a folder, not a file/],
    ["a FIFO summary.json", (d) => replace(d, "summary.json", fifo), /summary\.json is a FIFO, not a file/],
  ];
  for (const [name, make, reason] of cases) {
    test(`${name}: listed as damaged with the reason, never opened`, async () => {
      const dir = run(`20260101-000000-${name.replace(/\W+/g, "-")}`, make);
      const { listed, detail, stored } = await readAll(dir);
      for (const [reader, damaged] of [
        ["listing", listed.damaged],
        ["detail", detail.summary.damaged],
        ["readRun", stored.damaged],
      ]) {
        if (name.includes("summary") && reader !== "listing") continue; // only the listing reads summary.json
        assert.match(damaged ?? "", reason, `${reader}: ${damaged}`);
      }
      if (name.includes("run.json")) {
        assert.equal(listed.info.id, path.basename(dir), "the folder names the run");
        assert.equal(listed.info.status, "interrupted");
      } else {
        assert.equal(listed.info.name, HOSTILE_NAME, "run.json still read");
      }
      if (name.includes("metrics")) assert.deepEqual([listed.lossCurve, detail.steps], [[], []]);
    });
  }

  test("a link to a regular file inside the run folder is followed", async () => {
    const dir = run("20260101-000000-inside-link", (d) => {
      fs.mkdirSync(path.join(d, "kept"));
      fs.renameSync(path.join(d, "run.json"), path.join(d, "kept", "run.json"));
      fs.symlinkSync(path.join("kept", "run.json"), path.join(d, "run.json"));
    });
    const { listed, detail, stored } = await readAll(dir);
    for (const r of [listed.info, detail.summary.info, stored.info]) assert.equal(r.name, HOSTILE_NAME);
    assert.equal(listed.damaged, undefined);
    assert.deepEqual(
      detail.steps.map((s) => s.step),
      [1, 2, 3],
    );
  });

  test("snapshots: a FIFO, a link outside, a snapshots folder linked outside, an oversized one", async () => {
    const dir = run("20260101-000000-snapshots", (d) => {
      fs.writeFileSync(path.join(d, "snapshots", "10.json"), JSON.stringify({ epoch: 1, step: 10, parameters: [], dynamics: [] }));
      fifo(path.join(d, "snapshots", "20.json"));
      fs.symlinkSync(outsideFile, path.join(d, "snapshots", "30.json"));
      fs.writeFileSync(path.join(d, "snapshots", "40.json"), "");
      fs.truncateSync(path.join(d, "snapshots", "40.json"), FILE_CAPS.snapshot + 1);
    });
    const detail = await readRunDetail(dir);
    assert.equal(detail.snapshot?.step, 10, "the latest snapshot that reads");
    for (const reason of [/snapshots\/20\.json is a FIFO/, /snapshots\/30\.json is a link to outside/, /snapshots\/40\.json is larger than 8 MiB/]) {
      assert.match(detail.summary.damaged ?? "", reason);
    }
    assert.throws(() => readSnapshot(dir, 20), /snapshots\/20\.json is a FIFO, not a file/);
    assert.throws(() => readSnapshot(dir, 30), /snapshots\/30\.json is a link to outside the run folder/);
    assert.throws(() => readSnapshot(dir, 40), /snapshots\/40\.json is larger than 8 MiB/);

    const elsewhere = path.join(ROOT, "elsewhere");
    fs.mkdirSync(elsewhere);
    fs.writeFileSync(path.join(elsewhere, "50.json"), JSON.stringify({ epoch: 1, step: 50, parameters: [], dynamics: [] }));
    const linked = run("20260101-000000-linked-snapshots", (d) => replace(d, "snapshots", (f) => fs.symlinkSync(elsewhere, f)));
    const linkedDetail = await readRunDetail(linked);
    assert.equal(linkedDetail.snapshot, undefined);
    assert.match(linkedDetail.summary.damaged ?? "", /snapshots\/50\.json is a link to outside the run folder/);
    assert.throws(() => readSnapshot(linked, 50), /outside the run folder/);
  });

  test("the checkpoint viewer opens a regular file only (a link to one anywhere is the user's choice)", async () => {
    const folder = path.join(ROOT, "checkpoints");
    fs.mkdirSync(path.join(folder, "a folder.safetensors"), { recursive: true });
    fifo(path.join(folder, "fifo.safetensors"));
    fs.symlinkSync("/dev/zero", path.join(folder, "zero.safetensors"));
    fs.writeFileSync(path.join(folder, "empty.safetensors"), "");
    fs.symlinkSync(path.join(folder, "empty.safetensors"), path.join(folder, `${HOSTILE_NAME}.safetensors`));
    for (const [name, reason] of [
      ["a folder.safetensors", /a folder\.safetensors is a folder, not a file/],
      ["fifo.safetensors", /fifo\.safetensors is a FIFO, not a file/],
      ["zero.safetensors", /zero\.safetensors is a device, not a file/],
      [`${HOSTILE_NAME}.safetensors`, /header/], // opened: an empty file has no header
    ] as const) {
      const view = await readCheckpoint(path.join(folder, name));
      assert.match(view.error ?? "", reason, name);
      assert.deepEqual(view.tensors, []);
    }
  });

  test("a read that never answers gives up with a sentence that names the file", async () => {
    await assert.rejects(within(new Promise(() => {}), 5, "run.json"), { message: "run.json did not answer within 0.005 s", code: "ETIMEDOUT" });
    assert.equal(await within(Promise.resolve(7), 5, "run.json"), 7);
  });

  test("a file whose name starts with two dots is inside its folder", async () => {
    const dir = run("20260101-000000-dots", (d) => {
      fs.writeFileSync(path.join(d, "..kept.json"), JSON.stringify(info("x", { name: "dots" })));
      replace(d, "run.json", (f) => fs.symlinkSync("..kept.json", f));
    });
    assert.equal((await readRunSummary(dir))!.info.name, "dots");
  });

  test("endInterruptedRun leaves a run.json that is not a file alone", () => {
    const dir = run("20260101-000000-end-fifo", (d) => replace(d, "run.json", fifo));
    assert.equal(endInterruptedRun(dir, "stopped").status, "interrupted");
    assert.ok(fs.lstatSync(path.join(dir, "run.json")).isFIFO(), "not replaced");
  });

  test("ten runs whose run.json is /dev/zero, and a FIFO: the whole folder lists", async () => {
    const folder = path.join(ROOT, "many");
    for (let i = 0; i < 10; i++) {
      const dir = path.join(folder, `20260101-00000${i}-zero`);
      fs.mkdirSync(dir, { recursive: true });
      fs.symlinkSync("/dev/zero", path.join(dir, "run.json"));
    }
    fs.mkdirSync(path.join(folder, "20260102-000000-fifo"));
    fifo(path.join(folder, "20260102-000000-fifo", "run.json"));
    const runs = await listRuns(folder);
    assert.equal(runs.length, 11);
    assert.ok(runs.every((r) => /run\.json is (a link to outside the run folder|a FIFO, not a file)/.test(r.damaged ?? "")));
  });
});

describe("metrics.jsonl is streamed", () => {
  const lines = ['{"a":"循环"}', '{"b":"网络 🧪"}', "", "x".repeat(50), '{"c":1}'];
  const bytes = Buffer.from(lines.join("\n") + "\n" + '{"cut');

  test("the same lines whatever the chunks: cut mid-line and mid-character", () => {
    const expected = lines.filter(Boolean);
    for (let size = 1; size <= bytes.length; size++) {
      const got: (string | null)[] = [];
      const splitter = new LineSplitter((line) => got.push(line));
      for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size));
      assert.deepEqual(got, expected, `chunks of ${size} bytes`);
      assert.equal(splitter.end, bytes.length - '{"cut'.length, "a last line without its newline is left");
    }
  });

  test("a line longer than the limit is passed as null and not kept; the next line reads", () => {
    for (const size of [3, 7, 100]) {
      const got: (string | null)[] = [];
      const splitter = new LineSplitter((line) => got.push(line), 10);
      const input = Buffer.from("short\n" + "y".repeat(25) + "\nnext\n" + "z".repeat(11));
      for (let at = 0; at < input.length; at += size) splitter.push(input.subarray(at, at + size));
      assert.deepEqual(got, ["short", null, "next"], `chunks of ${size}`);
      assert.equal(splitter.end, input.length - 11);
    }
  });

  test("a run across the 1 MiB read chunk, mid-line and mid-character, an over-long line, a cut last line", async () => {
    const dir = path.join(ROOT, "runs", `20260101-000000-${HOSTILE_NAME}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify(info(path.basename(dir))));
    const chunks: Buffer[] = [];
    let size = 0;
    let n = 0;
    const add = (text: string) => {
      chunks.push(Buffer.from(text));
      size += Buffer.byteLength(text);
    };
    // Lines of an epoch metric with 4-byte characters, so that the 1 MiB and 2 MiB boundaries fall inside some.
    const norms = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`lstm.weight_hh_l${i}`, 0.125]));
    while (size < 2.5 * 1024 * 1024) {
      n++;
      add(stepLine(n, 1, norms));
      add(JSON.stringify({ type: "epoch", epoch: n, loss: 1, metrics: { predicted: "🧪循环".repeat((n % 7) + 1) }, time: n }) + "\n");
    }
    add(JSON.stringify({ type: "epoch", epoch: n + 1, loss: 1, metrics: { long: "w".repeat(MAX_LINE_BYTES) }, time: 0 }) + "\n");
    add(stepLine(n + 1, 1));
    add('{"type":"step","epoch":1,"st'); // cut by a kill
    fs.writeFileSync(path.join(dir, "metrics.jsonl"), Buffer.concat(chunks));
    const detail = await readRunDetail(dir);
    assert.equal(detail.summary.damaged, "metrics.jsonl has 1 unreadable line (skipped)");
    assert.equal(detail.fold!.stepsSeen, n + 1);
    assert.equal(detail.steps.at(-1)!.step, n + 1);
    assert.equal(detail.epochs.length, n);
    for (const e of detail.epochs) assert.equal(e.metrics.predicted, "🧪循环".repeat((e.epoch % 7) + 1), `epoch ${e.epoch}`);
    const stored = readRun(dir);
    assert.equal(stored.steps.length, n + 1);
    assert.equal(stored.epochs.length, n);
    assert.equal(stored.damaged, detail.summary.damaged);
    const [listed] = await listRuns(path.dirname(dir)).then((runs) => runs.filter((r) => r.dir === dir));
    assert.equal(listed.damaged, detail.summary.damaged);
    assert.deepEqual(listed.lossCurve, detail.summary.lossCurve, "the listing's sparkline is the detail's");
  });

  test("a completed run without summary.json lists as completed with its curve; past the listing's budget, without a curve until opened", async () => {
    const folder = path.join(ROOT, "budget");
    const w = RunWriter.create(folder, "budget");
    for (let i = 1; i <= 5000; i++) w.appendMetric({ type: "step", epoch: 1, step: i, loss: 2 / i, lr: 0.01, time: i });
    w.end(info(w.id));
    const summary = path.join(w.dir, "summary.json");
    const expected = (await readRunSummary(w.dir))!.lossCurve;
    assert.ok(expected.length > 100);
    fs.rmSync(summary);
    const size = fs.statSync(path.join(w.dir, "metrics.jsonl")).size;
    const limited = (await readRunSummary(w.dir, { metricsBudget: size - 1 }))!;
    assert.deepEqual([limited.info.status, limited.lossCurve, limited.damaged], ["completed", [], undefined]);
    assert.ok(!fs.existsSync(summary), "nothing written from a listing that read nothing");
    assert.deepEqual((await readRunSummary(w.dir, { writeBack: false }))!.lossCurve, expected, "no budget: rebuilt");
    assert.ok(!fs.existsSync(summary), "writeBack: false writes nothing");
    const detail = await readRunDetail(w.dir);
    assert.deepEqual(detail.summary.lossCurve, expected);
    assert.ok(fs.existsSync(summary), "opening the run wrote summary.json back");
    assert.deepEqual((await readRunSummary(w.dir, { metricsBudget: 0 }))!.lossCurve, expected, "then the listing reads only it");
  });
});

describe("one reducer: live events and the stored run show the same", () => {
  const parameter: ParameterSnapshot = {
    name: "rnn.weight_ih_l0",
    shape: [2, 2],
    mean: 0,
    std: 1,
    min: -1,
    max: 1,
    norm: 2,
    gradNorm: 0.5,
    histogram: { min: -1, max: 1, counts: [1, 2, 1] },
    heatmap: { rows: 2, cols: 2, values: [1, -1, 0.5, 0] },
  };
  const warning = (i: number): GradientWarning => ({ parameter: "rnn.weight_hh_l0", kind: "vanishing", step: i, epoch: 1, norm: 1e-9, median: 0.1 });

  /** A run's events: steps (one with a NaN loss, some with GPU memory), epochs (one reported twice, one with a long
   *  text), gradient warnings, a snapshot with its dynamics. */
  function events(from: number, to: number): RunEvent[] {
    const out: RunEvent[] = [];
    for (let i = from; i <= to; i++) {
      const epoch = Math.ceil(i / 50);
      const loss = i === 77 ? NaN : 1 + Math.sin(i) / 2;
      const gpuMemory = i % 3 === 0 ? { gpuMemory: { inUse: i * 1000, allocated: i * 2000 } } : {};
      out.push({
        type: "step",
        epoch,
        step: i,
        loss,
        lr: 0.01 / epoch,
        time: i / 7,
        gradNorms: { "rnn.weight_ih_l0": 0.1 * (1 + (i % 5)), "rnn.bias": i % 11 ? 0.01 : 0 },
        ...gpuMemory,
      });
      if (i % 4 === 0) out.push({ type: "gradientWarning", warning: warning(i) });
      if (i % 50 === 0) {
        const metrics = { accuracy: i / 1000, predicted: i % 100 ? "ohlol" : "🧪".repeat(MAX_METRIC_TEXT) };
        out.push({ type: "epoch", epoch, loss: loss / 2, metrics: { ...metrics, accuracy: 0 }, time: i / 7 });
        out.push({ type: "epoch", epoch, loss, metrics, time: i / 7 });
      }
      if (i % 100 === 0) {
        out.push({ type: "snapshot", epoch, step: i, parameters: [parameter] });
        out.push({ type: "dynamics", epoch, step: i, layers: [] });
      }
    }
    return out;
  }

  /** What the training process writes of those events (metrics lines, snapshots, run.json with the info as the
   *  live run has it: the writer keeps the first MAX_GRADIENT_WARNINGS warnings and counts them all). */
  function write(w: RunWriter, list: RunEvent[], runInfo: RunInfo): void {
    for (const e of list) {
      if (e.type === "step" || e.type === "epoch") w.appendMetric(e as MetricLine);
      if (e.type === "snapshot") w.writeSnapshot({ epoch: e.epoch, step: e.step, parameters: e.parameters, dynamics: [] });
    }
    w.writeInfo(runInfo);
  }

  const live = (detail: RunDetail, list: RunEvent[]) => list.forEach((e) => applyRunEvent(detail, e));

  test("a run folded live equals it read back, mid-run (then continued live) and after its end", async () => {
    const maxSteps = 64; // thinned several times over 1,000 steps
    const w = RunWriter.create(path.join(ROOT, "reducer"), HOSTILE_NAME);
    const start = info(w.id, { status: "running", pid: process.pid, pidStart: processStartTime(process.pid) });
    const first = events(1, 437);
    const rest = events(438, 1000);

    const liveDetail = emptyRunDetail(start, w.dir, maxSteps);
    applyRunEvent(liveDetail, { type: "start", run: structuredClone(start) });
    live(liveDetail, first);
    write(w, first, structuredClone(liveDetail.summary.info));
    const reloaded = await readRunDetail(w.dir, { maxSteps });
    assert.equal(reloaded.summary.damaged, undefined);
    assert.deepEqual(reloaded, liveDetail, "mid-run: the store gives what the live view has");

    live(liveDetail, rest);
    live(reloaded, rest);
    assert.deepEqual(reloaded, liveDetail, "a reloaded view, followed live, stays the same");
    assert.equal(liveDetail.summary.info.gradientWarnings!.length, MAX_GRADIENT_WARNINGS);
    assert.equal(liveDetail.summary.info.gradientWarningCount, 250);
    assert.ok(liveDetail.steps.length <= maxSteps && liveDetail.steps.length > maxSteps / 2);
    assert.equal(liveDetail.stepsOnDisk, 1000);
    assert.ok(
      liveDetail.steps.some((s) => Number.isNaN(s.loss)),
      "a NaN loss stays NaN in its bucket",
    );
    assert.equal(liveDetail.epochs.length, 20);
    assert.equal(liveDetail.epochs[1].metrics.predicted, "🧪".repeat(MAX_METRIC_TEXT / 2) + "…", "a long text cut at MAX_METRIC_TEXT");

    const end = { ...structuredClone(liveDetail.summary.info), status: "completed" as const, endedAt: "2026-01-01T01:00:00.000Z" };
    write(w, rest, end);
    applyRunEvent(liveDetail, { type: "end", run: end });
    assert.deepEqual(await readRunDetail(w.dir, { maxSteps }), liveDetail, "after the end");
  });

  test("past MAX_STEPS_SHOWN steps the buckets double; the last point is the bucket being filled", () => {
    const d = emptyRunDetail(info("r"));
    const n = 2 * MAX_STEPS_SHOWN + 3;
    let thinned = 0;
    for (let i = 1; i <= n; i++) if (applyRunEvent(d, { type: "step", epoch: 1, step: i, loss: i, lr: 0, time: 0 }) === "steps") thinned++;
    assert.equal(d.fold!.stepBucket, 4);
    assert.equal(d.steps.length, MAX_STEPS_SHOWN / 2 + 1);
    assert.deepEqual(d.steps[0], { epoch: 1, step: 4, loss: 2.5, lr: 0, time: 0 }, "the mean of steps 1–4");
    assert.deepEqual(d.steps.at(-1), { epoch: 1, step: n, loss: (n - 2 + n - 1 + n) / 3, lr: 0, time: 0 }, "the last three steps");
    assert.equal(thinned, n - MAX_STEPS_SHOWN + 1, "every step past the first thinning redraws");
  });

  test("past MAX_EPOCHS_SHOWN epochs every other is dropped, the latest always kept", () => {
    const d = emptyRunDetail(info("r"));
    const n = 2 * MAX_EPOCHS_SHOWN + 123;
    for (let e = 1; e <= n; e++) applyRunEvent(d, { type: "epoch", epoch: e, loss: e, metrics: {}, time: 0 });
    assert.ok(d.epochs.length <= MAX_EPOCHS_SHOWN && d.epochs.length > MAX_EPOCHS_SHOWN / 2, String(d.epochs.length));
    assert.equal(d.epochs.at(-1)!.epoch, n);
    const stride = d.fold!.epochStride;
    assert.equal(stride, 4);
    assert.ok(d.epochs.slice(0, -1).every((e, i) => e.epoch === (i + 1) * stride));
    applyRunEvent(d, { type: "epoch", epoch: n, loss: -1, metrics: {}, time: 0 });
    assert.equal(d.epochs.at(-1)!.loss, -1, "the latest, reported again, is replaced");
  });
});
