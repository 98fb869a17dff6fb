// The run store against what can go wrong: malformed files of every kind, a pid reused by another process,
// a full disk, big runs, big snapshots, paths that lead out of the runs folder, names with escape sequences.
// Every malformed store is read through both listings: `unroll runs` (the CLI) and listRuns over the
// workspace's runs folders (what the extension's Runs view posts), and opened as the explorer opens it.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LayerDynamics, ParameterSnapshot, RunEvent, RunInfo, RunSummary } from "../../src/common/protocol";
import {
  listRuns,
  MAX_STEPS_SHOWN,
  readRun,
  readRunDetail,
  readSnapshot,
  runFolderInside,
  RunWriter,
  StoreError,
  type StepLine,
} from "../../src/runs/run-store";
import { LossCurve, parseRunInfo, printable } from "../../src/runs/run-file";
import { isAlive, processStartTime } from "../../src/runs/process-liveness";
import { capSnapshot, SNAPSHOT_MAX_BYTES } from "../../src/runs/snapshot-cap";
import { findExperiment, RunFailure } from "../../src/runner/experiment";
import { startTraining } from "../../src/runs/train-client";
import { runsCommand } from "../../src/cli/runs";
import { runCsv } from "../../src/common/run-csv";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-faults-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;
const step = (n: number, loss = 1 / n): StepLine => ({ type: "step", epoch: 1, step: n, loss, lr: 0.01, time: n / 10 });

function info(id: string, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    name: "toy",
    file: path.join(ROOT, "toy.ts"),
    status: "completed",
    pid: deadPid(),
    backend: "wasm",
    backendName: "wasm",
    startedAt: "2026-01-01T00:00:00.000Z",
    config: { epochs: 3, model: "LSTM(4, 8)", parameterCount: 416, optimizer: "Adam", snapshotEvery: 50 },
    epoch: 3,
    finalLoss: 0.25,
    ...patch,
  };
}

/** A run folder written by hand: `files` maps names (snapshots/10.json too) to contents. */
function runFolder(folder: string, id: string, files: Record<string, string>): string {
  const dir = path.join(folder, id);
  fs.mkdirSync(path.join(dir, "snapshots"), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** What `unroll runs <folder>` prints (it must not throw) and its exit code. */
async function cli(folder: string): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (text: string) => lines.push(text);
  try {
    const code = await runsCommand.run({ positional: [folder], options: {} });
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

/** The same runs folder through both listings: the CLI's table and the extension's list (and each run opened). */
async function bothListings(folder: string): Promise<{ runs: RunSummary[]; out: string }> {
  const runs = await listRuns([folder]);
  const { code, out } = await cli(folder);
  assert.equal(code, 0);
  for (const run of runs) {
    const detail = await readRunDetail(run.dir);
    assert.equal(detail.summary.info.id, run.info.id);
    // The explorer reads more (every metrics line, the snapshots): it finds at least what the list found.
    if (run.damaged) assert.ok(detail.summary.damaged?.startsWith(run.damaged), `${run.info.id}: ${detail.summary.damaged} vs ${run.damaged}`);
  }
  return { runs, out };
}

const snapshot = (step: number, parameters: ParameterSnapshot[] = [], dynamics: LayerDynamics[] = []) =>
  JSON.stringify({ epoch: 1, step, parameters, dynamics });

describe("run store: malformed files", () => {
  const folder = path.join(ROOT, "malformed");
  const cases: [id: string, runJson: string | null, damaged: RegExp][] = [
    ["20260101-000001-empty", "", /run\.json is empty/],
    ["20260101-000002-braces", "{}", /run\.json lacks config; run\.json lacks name/],
    ["20260101-000003-missing", JSON.stringify({ name: "partial", status: "completed" }), /run\.json lacks file/],
    [
      "20260101-000004-types",
      JSON.stringify({ ...info("x"), status: 42, config: "big", epoch: "3", finalMetrics: [1], pid: "7" }),
      /config is the text "big"; .*finalMetrics is an array; .*status is number 42; .*pid is the text "7"/,
    ],
    ["20260101-000005-notjson", "{ not json", /run\.json is not JSON/],
    ["20260101-000006-deleted", null, /run\.json is missing/],
    ["20260101-000007-array", "[1, 2]", /run\.json is not an object/],
  ];
  for (const [id, runJson] of cases) {
    const files: Record<string, string> = { "metrics.jsonl": [step(1), step(2)].map((l) => JSON.stringify(l)).join("\n") + "\n" };
    if (runJson !== null) files["run.json"] = runJson;
    runFolder(folder, id, files);
  }
  fs.mkdirSync(path.join(folder, "an-empty-folder")); // not a run: not listed

  test("each is listed by both listings, with what can be read and why the rest cannot", async () => {
    const { runs, out } = await bothListings(folder);
    assert.deepEqual(runs.map((r) => r.info.id).sort(), cases.map(([id]) => id).sort());
    for (const [id, , damaged] of cases) {
      const run = runs.find((r) => r.info.id === id)!;
      assert.match(run.damaged ?? "", damaged, id);
      assert.deepEqual(
        run.lossCurve,
        [
          [1, 1],
          [2, 0.5],
        ],
        `${id}: the metrics still read`,
      );
      assert.notEqual(run.info.status, "running");
      assert.match(out, new RegExp(`^${id}\\s+\\w+ \\(damaged\\)`, "m"), `${id} in the table`);
      assert.match(out, new RegExp(`^${id}: damaged: `, "m"), `${id}'s reason under the table`);
    }
    const partial = runs.find((r) => r.info.id.endsWith("missing"))!;
    assert.deepEqual([partial.info.name, partial.info.status, partial.info.config.epochs], ["partial", "completed", 0]);
  });

  test("metrics lines that are null, a number, an array, half an object or cut short are skipped and counted", async () => {
    const sub = path.join(ROOT, "metrics");
    const good = [step(1, 4), step(2, 2)].map((l) => JSON.stringify(l));
    runFolder(sub, "20260101-000000-lines", {
      "run.json": JSON.stringify(info("20260101-000000-lines")),
      "metrics.jsonl": [
        good[0],
        "null",
        "42",
        "[1,2]",
        '{"type":"step"}',
        '{"type":"step","epoch":1,"st',
        good[1],
        '{"type":"epoch","epoch":1,"loss":3,"metrics":{"acc":0.5}}',
        '{"type":"epo',
      ].join("\n"),
    });
    const { runs, out } = await bothListings(sub);
    assert.deepEqual(runs[0].lossCurve, [
      [1, 4],
      [2, 2],
    ]);
    assert.equal(runs[0].damaged, "metrics.jsonl has 5 unreadable lines (skipped)", "the cut last line is not damage: a kill leaves one");
    assert.match(out, /damaged: metrics\.jsonl has 5 unreadable lines/);
    const detail = await readRunDetail(runs[0].dir);
    assert.deepEqual([detail.steps.length, detail.epochs.length, detail.epochs[0].metrics.acc], [2, 1, 0.5]);
  });

  test("a garbage snapshot hides only itself: the one before it is shown", async () => {
    const sub = path.join(ROOT, "snapshots");
    const parameter: ParameterSnapshot = {
      name: "w",
      shape: [2],
      mean: 0,
      std: 1,
      min: -1,
      max: 1,
      norm: 1.4,
      gradNorm: null,
      histogram: { min: -1, max: 1, counts: [1, 1] },
      heatmap: { rows: 1, cols: 2, values: [-1, 1] },
    };
    const dir = runFolder(sub, "20260101-000000-snap", {
      "run.json": JSON.stringify(info("20260101-000000-snap")),
      "snapshots/10.json": snapshot(10, [parameter]),
      "snapshots/20.json": snapshot(20, [{ ...parameter, heatmap: { rows: 5, cols: 5, values: [1] } }]),
      "snapshots/30.json": "\u0000\u0001garbage",
    });
    const { runs } = await bothListings(sub);
    assert.equal(runs.length, 1);
    const detail = await readRunDetail(dir);
    assert.equal(detail.snapshot?.step, 10);
    assert.deepEqual(detail.snapshot?.parameters, [parameter]);
    assert.match(detail.summary.damaged ?? "", /snapshots\/30\.json is not JSON; snapshots\/20\.json is malformed w's heatmap/);
    assert.throws(() => readSnapshot(dir, 30), /snapshots\/30\.json: not JSON/);
  });

  test("file and folder names: Chinese, spaces, parentheses, emoji", async () => {
    const sub = path.join(ROOT, "名字 (runs) 🚀");
    const id = "20260101-000000-训练 (1) 🚀";
    runFolder(sub, id, {
      "run.json": JSON.stringify(info(id, { name: "训练 🚀", file: path.join(ROOT, "模型 (v2) 🚀.ts") })),
      "metrics.jsonl": JSON.stringify(step(1)) + "\n",
    });
    const { runs, out } = await bothListings(sub);
    assert.deepEqual([runs[0].info.id, runs[0].info.name, runs[0].damaged], [id, "训练 🚀", undefined]);
    assert.match(out, /模型 \(v2\) 🚀\.ts/);
  });

  test("ids and files with escape sequences reach the terminal escaped", async () => {
    const sub = path.join(ROOT, "escapes");
    const id = "20260101-000000-\u001b[2Jboom";
    runFolder(sub, id, { "run.json": JSON.stringify(info(id, { file: "/tmp/\u001b]0;pwned\u0007x.ts\u202e", finalMetrics: { "\u001b[31mred": 1 } })) });
    const { out } = await cli(sub);
    // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
    assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/, "no raw control characters");
    assert.match(out, /20260101-000000-\\x1b\[2Jboom/);
    assert.match(out, /\\x1b\]0;pwned\\x07x\.ts\\u202e/);
    assert.equal(printable("a\tb\nc\u009b"), "a\\x09b\\x0ac\\x9b");
  });
});

describe("run store: is the run's process still running?", () => {
  const folder = path.join(ROOT, "pids");
  const linux = processStartTime(process.pid) !== undefined;

  test(
    "a dead pid, pid 0, or a live pid with another start time (reused) reads 'interrupted'; the true process 'running'",
    { skip: !linux && "no /proc here" },
    async () => {
      const own = processStartTime(process.pid)!;
      const cases: [string, Partial<RunInfo>, string][] = [
        ["20260101-000001-dead", { pid: deadPid(), pidStart: own }, "interrupted"],
        ["20260101-000002-zero", { pid: 0 }, "interrupted"],
        ["20260101-000003-reused", { pid: process.pid, pidStart: String(Number(own) + 1) }, "interrupted"],
        ["20260101-000004-alive", { pid: process.pid, pidStart: own }, "running"],
        ["20260101-000005-old", { pid: process.pid }, "running"], // written before start times were recorded
      ];
      for (const [id, patch] of cases) runFolder(folder, id, { "run.json": JSON.stringify(info(id, { status: "running", ...patch })) });
      const { runs, out } = await bothListings(folder);
      for (const [id, , status] of cases) {
        assert.equal(runs.find((r) => r.info.id === id)?.info.status, status, id);
        // `unroll runs` marks a live run with its pid: "● running (pid 4242)".
        const shown = status === "running" ? `● running \\(pid ${process.pid}\\)` : status;
        assert.match(out, new RegExp(`^${id}\\s+${shown}\\s`, "m"));
        assert.equal(readRun(path.join(folder, id)).info.status, status);
      }
    },
  );

  test("a pid no process can have (from a hostile run.json) is not alive and has no start time", () => {
    for (const pid of [0, -1, -process.pid, 1.5, NaN, Infinity, 2 ** 53, "1" as unknown as number, null as unknown as number]) {
      assert.equal(isAlive(pid), false, String(pid));
      assert.equal(processStartTime(pid), undefined, String(pid));
    }
    assert.equal(isAlive(process.pid), true);
  });

  test("a pid reused by an unrelated process", { skip: !linux && "no /proc here" }, async () => {
    const other = spawn("sleep", ["30"]); // alive, with its own start time: as if it had taken the run's pid
    try {
      const id = "20260101-000000-taken";
      runFolder(`${folder}-taken`, id, {
        "run.json": JSON.stringify(info(id, { status: "running", pid: other.pid!, pidStart: processStartTime(process.pid) })),
      });
      const [run] = await listRuns(`${folder}-taken`);
      assert.equal(run.info.status, "interrupted", "the pid lives, but it is not the run's process");
    } finally {
      other.kill("SIGKILL");
    }
  });
});

describe("run store: a full disk", () => {
  /** Makes fs.writeSync / fs.writeFileSync throw ENOSPC after `after` calls (on the module object itself: the
   *  bundle's `import * as fs` reads through to it). */
  function fillDiskAfter(after: number): () => void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require("node:fs") as typeof fs;
    const { writeSync, writeFileSync } = nodeFs;
    let calls = 0;
    const full = () => Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    (nodeFs as { writeSync: unknown }).writeSync = (...args: Parameters<typeof writeSync>) => {
      if (++calls > after) throw full();
      return writeSync(...args);
    };
    (nodeFs as { writeFileSync: unknown }).writeFileSync = (...args: Parameters<typeof writeFileSync>) => {
      if (++calls > after && String(args[0]).endsWith(".tmp")) {
        writeFileSync(args[0], "partial"); // the temporary file is created, then the disk fills
        throw full();
      }
      return writeFileSync(...args);
    };
    return () => Object.assign(nodeFs, { writeSync, writeFileSync });
  }

  test("(simulated ENOSPC) the write that fails says the disk is full and where; no temporary file; run.json says so", async () => {
    const folder = path.join(ROOT, "full-simulated");
    const w = RunWriter.create(folder, "full");
    const runInfo = info(w.id, { status: "running", pid: process.pid, pidStart: processStartTime(process.pid) });
    w.writeInfo(runInfo);
    for (let n = 1; n <= 3; n++) w.appendMetric(step(n));
    const restore = fillDiskAfter(0);
    let thrown: unknown;
    try {
      w.writeSnapshot({ epoch: 1, step: 3, parameters: [], dynamics: [] });
    } catch (error) {
      thrown = error;
    }
    try {
      assert.throws(() => w.appendMetric(step(4)), StoreError);
    } finally {
      restore();
    }
    assert.ok(thrown instanceof StoreError);
    assert.equal(thrown.error.kind, "store");
    assert.match(thrown.message, /^the disk is full: cannot write .*snapshots[\\/]3\.json \(ENOSPC\)/);
    assert.equal(w.end({ ...runInfo, status: "failed", error: thrown.error }), null, "the last run.json is written");
    assert.deepEqual(fs.readdirSync(w.dir).sort(), ["metrics.jsonl", "run.json", "snapshots", "summary.json"], "no temporary file, no reserve");
    assert.deepEqual(fs.readdirSync(path.join(w.dir, "snapshots")), []);
    const run = readRun(w.dir);
    assert.deepEqual([run.info.status, run.info.error?.kind, run.steps.length, run.damaged], ["failed", "store", 3, undefined]);
    assert.match(run.info.error!.message, /the disk is full/);
  });

  // A real full disk: a 320 KiB tmpfs as the runs folder (needs root and Linux; skipped elsewhere).
  const mount = path.join(ROOT, "tmpfs");
  fs.mkdirSync(mount);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=320k", "tmpfs", mount]).status === 0;
  after(() => mounted && spawnSync("umount", [mount]));

  test(
    "(tmpfs) training stops with a store error; run.json says the disk is full and where; what was written reads",
    { skip: !mounted && "cannot mount a tmpfs here (needs root)", timeout: 120_000 },
    async () => {
      const file = path.join(ROOT, "filler.ts");
      fs.writeFileSync(
        file,
        `import { defineExperiment, nn, optim, torch, tf } from "unroll";
export default defineExperiment({
  name: "filler",
  epochs: 1000000,
  model: () => { torch.manualSeed(0); return new nn.Linear(4, 2); },
  data: () => ({ train: [[torch.randn([8, 4]), torch.randn([8, 2])] as [tf.Tensor, tf.Tensor]] }),
  loss: () => new nn.MSELoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.01 }),
});
`,
      );
      const events: RunEvent[] = [];
      const entry = path.join(__dirname, "../../../dist/train.js"); // built by `npm test`
      const result = await startTraining({ file, backend: "cpu", runsFolder: mount, snapshotEvery: 10 }, (e) => events.push(e), entry).done;
      assert.ok(result.run, JSON.stringify({ result, events: events.slice(0, 5) }));
      assert.equal(result.run?.status, "failed");
      assert.equal(result.error?.kind, "store");
      assert.match(result.error!.message, new RegExp(`^the disk is full: cannot write ${mount.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/`));
      const [run] = await listRuns(mount);
      assert.deepEqual([run.info.status, run.info.error?.kind, run.damaged], ["failed", "store", undefined]);
      assert.match(run.info.error!.message, /the disk is full/);
      const leftovers = fs.readdirSync(run.dir).filter((n) => n.endsWith(".tmp") || n === ".reserve");
      assert.deepEqual(leftovers, [], "no temporary file, no reserve");
      assert.deepEqual(
        fs.readdirSync(path.join(run.dir, "snapshots")).filter((n) => n.endsWith(".tmp")),
        [],
      );
      const stored = readRun(run.dir);
      assert.ok(stored.steps.length > 10 && stored.epochs.length > 10, "the run's metrics up to the full disk read back");
      const detail = await readRunDetail(run.dir);
      assert.ok(detail.snapshot, "a snapshot written before reads back");
      fs.rmSync(run.dir, { recursive: true, force: true });
    },
  );
});

describe("run store: listing is quick and reads little", () => {
  test("summary.json: incremental, rebuilt when missing or stale, written back; the same curve either way", async () => {
    const folder = path.join(ROOT, "summary");
    const w = RunWriter.create(folder, "sum");
    const runInfo = info(w.id);
    const losses = Array.from({ length: 1234 }, (_, i) => Math.sin(i) + 2);
    losses.forEach((loss, i) => {
      w.appendMetric(step(i + 1, loss));
      if (i === 600) w.writeInfo(runInfo); // a summary mid-run: the lines after it are folded in by readers
    });
    w.close(); // killed: the summary is behind the metrics
    const curve = new LossCurve();
    losses.forEach((loss, i) => curve.add(i + 1, loss));
    const expected = curve.points();
    assert.ok(expected.length <= 200);
    const summaryFile = path.join(w.dir, "summary.json");
    const [incremental] = await listRuns(folder);
    assert.deepEqual(incremental.lossCurve, expected);
    fs.rmSync(summaryFile);
    const [rebuilt] = await listRuns(folder);
    assert.deepEqual(rebuilt.lossCurve, expected);
    assert.ok(fs.existsSync(summaryFile), "written back for the next listing");
    assert.equal(JSON.parse(fs.readFileSync(summaryFile, "utf8")).metricsBytes, fs.statSync(path.join(w.dir, "metrics.jsonl")).size);
    fs.writeFileSync(
      summaryFile,
      JSON.stringify({ version: 1, metricsBytes: 10 ** 9, steps: 1, skipped: 0, curve: { bucket: 1, points: [], partial: [0, 0, 0] } }),
    );
    assert.deepEqual((await listRuns(folder))[0].lossCurve, expected, "a summary past the end of the metrics is stale: rebuilt");
    fs.writeFileSync(summaryFile, "garbage");
    assert.deepEqual((await listRuns(folder))[0].lossCurve, expected, "a garbage summary: rebuilt");
  });

  test("the explorer gets a downsampled curve of a long run; metrics.jsonl is untouched", async () => {
    const folder = path.join(ROOT, "long");
    const w = RunWriter.create(folder, "long");
    w.writeInfo(info(w.id));
    const n = MAX_STEPS_SHOWN * 2 + 5;
    for (let i = 1; i <= n; i++) w.appendMetric(step(i, 1));
    w.end(info(w.id));
    const before = fs.statSync(path.join(w.dir, "metrics.jsonl")).size;
    const detail = await readRunDetail(w.dir);
    assert.ok(detail.steps.length <= MAX_STEPS_SHOWN && detail.steps.length > MAX_STEPS_SHOWN / 2, String(detail.steps.length));
    assert.equal(detail.stepsOnDisk, n);
    assert.deepEqual(detail.steps.at(-1), { epoch: 1, step: n, loss: 1, lr: 0.01, time: n / 10 });
    assert.equal(fs.statSync(path.join(w.dir, "metrics.jsonl")).size, before);
    assert.equal(readRun(w.dir).steps.length, n);
    // Export CSV of a stored run (the host) writes every step from the folder, not the explorer's thinned curve.
    const lines = runCsv(readRun(w.dir)).trimEnd().split("\n");
    assert.equal(lines.length, 1 + n, "a header and a row per step");
    assert.equal(lines[n], `1,${n},1,0.01,${n / 10},`);
  });
});

describe("run store: acting on a run folder", () => {
  const a = path.join(ROOT, "ws-a", ".unroll", "runs");
  const b = path.join(ROOT, "ws-b", ".unroll", "runs");
  const outside = path.join(ROOT, "outside");
  const id = "20260101-000000-same";
  runFolder(a, id, { "run.json": JSON.stringify(info(id, { name: "in a" })) });
  runFolder(b, id, { "run.json": JSON.stringify(info(id, { name: "in b" })) });
  runFolder(outside, "victim", { "run.json": JSON.stringify(info("victim")) });
  fs.symlinkSync(path.join(outside, "victim"), path.join(a, "link-out"));

  test("the same id in two runs folders: two rows, each naming its own folder", async () => {
    const runs = await listRuns([a, b]);
    assert.deepEqual(
      runs.map((r) => [r.info.id, r.info.name, r.dir]),
      [
        [id, "in a", path.join(a, id)],
        [id, "in b", path.join(b, id)],
      ],
    );
    assert.equal(await runFolderInside([a, b], path.join(b, id)), fs.realpathSync(path.join(b, id)));
  });

  test("only folders directly inside a runs folder: not through .., not a symbolic link out, not relative", async () => {
    const folders = [a, b];
    assert.equal(await runFolderInside(folders, path.join(a, id)), fs.realpathSync(path.join(a, id)));
    for (const dir of [
      path.join(a, "..", "..", "..", "outside", "victim"),
      path.join(a, "link-out"),
      path.join(outside, "victim"),
      a,
      `${a}/${id}/snapshots`,
      id,
      path.join(a, "nope"),
      "",
      "/",
    ]) {
      assert.equal(await runFolderInside(folders, dir), null, dir);
    }
  });
});

describe("run store: snapshot size cap", () => {
  /** A 2-layer LSTM(256)'s dynamics on a 500-step sample: about 12 MB of JSON. */
  function bigDynamics(steps = 500, units = 256): LayerDynamics[] {
    const grid = () => Array.from({ length: steps }, (_, t) => Array.from({ length: units }, (_, u) => Number(Math.sin(t * 0.37 + u).toPrecision(4))));
    return [0, 1].map((layer) => ({
      module: "rnn",
      kind: "LSTM",
      layer,
      direction: "forward" as const,
      hidden: grid(),
      cell: grid(),
      gates: {
        names: ["i", "f", "g", "o"],
        values: Array.from({ length: steps }, (_, t) =>
          [0, 1, 2, 3].map((g) => Array.from({ length: units }, (_, u) => Number(Math.cos(t + u * g).toPrecision(4)))),
        ),
      },
      gradNorms: Array.from({ length: steps }, (_, t) => t),
    }));
  }

  test("dynamics above the cap keep every k-th time step, and say so", () => {
    const dynamics = bigDynamics();
    assert.ok(JSON.stringify(dynamics).length > 4 * SNAPSHOT_MAX_BYTES);
    const { snapshot, json } = capSnapshot({ epoch: 1, step: 50, parameters: [], dynamics });
    assert.ok(json.length <= SNAPSHOT_MAX_BYTES, String(json.length));
    const k = snapshot.reduced!.timeStride;
    assert.ok(k >= 4);
    for (const layer of snapshot.dynamics) {
      assert.deepEqual(
        [layer.timeStride, layer.timeSteps, layer.hidden.length, layer.cell!.length, layer.gates!.values.length],
        [k, 500, Math.ceil(500 / k), Math.ceil(500 / k), Math.ceil(500 / k)],
      );
      assert.deepEqual(layer.hidden[1], dynamics[0].hidden[k], "t = k");
      assert.equal(layer.gradNorms!.length, 500, "gradient norms stay whole");
    }
    const small = { epoch: 1, step: 1, parameters: [], dynamics: bigDynamics(5, 4) };
    assert.equal(capSnapshot(small).snapshot, small, "under the cap: untouched");
  });

  test("the writer caps the file and the snapshot reads back; heatmaps are averaged when parameters alone are too big", () => {
    const w = RunWriter.create(path.join(ROOT, "cap"), "cap");
    const written = w.writeSnapshot({ epoch: 1, step: 50, parameters: [], dynamics: bigDynamics() });
    assert.ok(fs.statSync(path.join(w.dir, "snapshots", "50.json")).size <= SNAPSHOT_MAX_BYTES);
    assert.deepEqual(readSnapshot(w.dir, 50), written);
    w.close();
    const heat = (name: string): ParameterSnapshot => ({
      name,
      shape: [1024, 256],
      mean: 0,
      std: 1,
      min: 0,
      max: 1,
      norm: 1,
      gradNorm: 1,
      histogram: { min: 0, max: 1, counts: [1] },
      heatmap: { rows: 64, cols: 64, values: Array.from({ length: 4096 }, (_, i) => i / 4096 + 0.123456) },
      gates: ["i", "f", "g", "o"],
    });
    const parameters = Array.from({ length: 400 }, (_, i) => heat(`p${i}`));
    const { snapshot, json } = capSnapshot({ epoch: 1, step: 1, parameters, dynamics: [] }, 1024 * 1024);
    assert.ok(json.length <= 1024 * 1024);
    const max = snapshot.reduced!.heatmapMax!;
    assert.ok(max < 64);
    for (const p of snapshot.parameters) {
      assert.ok(p.heatmap.rows <= max && p.heatmap.cols <= max && p.heatmap.values.length === p.heatmap.rows * p.heatmap.cols);
      assert.deepEqual(p.heatmap.downsampledFrom, [1024, 256]);
    }
  });
});

describe("experiment export", () => {
  test("a name that is not a string is an error at the export's line", () => {
    const file = path.join(ROOT, "named.ts");
    fs.writeFileSync(file, 'import { defineExperiment } from "unroll";\n\nexport default defineExperiment({ name: 42 });\n');
    const f = () => undefined;
    assert.throws(
      () => findExperiment({ default: { name: 42, epochs: 1, model: f, data: f, loss: f, optimizer: f } }, file),
      (error: unknown) => error instanceof RunFailure && /^name must be a string .*got number$/.test(error.message) && error.error.location?.line === 3,
    );
  });
});

describe("the backend's name", () => {
  test("is a typed field; older runs without it are not damaged, a wrong type is", () => {
    const written = info("20260101-000000-a", {});
    const read = parseRunInfo(JSON.stringify(written), written.id);
    assert.equal(read.info.backendName, "wasm");
    assert.equal(read.damaged, undefined);
    const { backendName: _, ...older } = written;
    assert.deepEqual(
      [parseRunInfo(JSON.stringify(older), written.id).info.backendName, parseRunInfo(JSON.stringify(older), written.id).damaged],
      ["", undefined],
    );
    assert.match(parseRunInfo(JSON.stringify({ ...written, backendName: 7 }), written.id).damaged ?? "", /backendName is/);
  });
});
