// Sweeps: the points of a grid and of random draws (seeded, log ranges, whole numbers), the check against the
// declared hparams (--set's, with did-you-mean), the sweep mark read back from run.json whatever it holds, the limit
// on runs at once (stand-in training processes, counted through the sweep's events), and Ctrl-C on a real
// `unroll sweep` (the finished run kept, the running one stopped, no process left).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkPoints, drawInRange, fitAxes, gridPoints, parseAxes, parseAxis, randomPoints, type Axis } from "../../src/runs/sweep-plan";
import { parseRunInfo, parseSweepMark } from "../../src/runs/run-file";
import { parseTrainArgs } from "../../src/runs/train-contract";
import { startSweep, sweepId, type SweepEvent } from "../../src/runs/sweep";
import { bestRunIndex, sweepValue } from "../../src/common/sweep";
import { planPoints, summaryTable } from "../../src/cli/sweep";
import { assertRoundTrip, killCliRuns, processesNaming, runCli } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-sweep-"));
after(() => {
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

describe("sweep points", () => {
  test("a grid: every combination, the first axis varying slowest; values kept as typed", () => {
    const points = gridPoints(parseAxes(["lr=0.01,0.03,0.1", "hidden=16,32"]));
    assert.deepEqual(points, [
      { lr: "0.01", hidden: "16" },
      { lr: "0.01", hidden: "32" },
      { lr: "0.03", hidden: "16" },
      { lr: "0.03", hidden: "32" },
      { lr: "0.1", hidden: "16" },
      { lr: "0.1", hidden: "32" },
    ]);
    assert.deepEqual(gridPoints(parseAxes(["cell=GRU, LSTM,GRU"])), [{ cell: "GRU" }, { cell: "LSTM" }]); // trimmed, once each
  });

  test("ranges: log when both ends > 0 and the ratio ≥ 100, or log:; lin: forces even; whole when both ends are", () => {
    const range = (text: string) => parseAxis(text) as Extract<Axis, { kind: "range" }>;
    assert.deepEqual(range("lr=1e-4:1e-1"), { name: "lr", kind: "range", low: 1e-4, high: 0.1, log: true, integer: false });
    assert.equal(range("dropout=0.1:0.5").log, false); // ratio 5
    assert.equal(range("x=0:1000").log, false); // a zero end
    assert.equal(range("x=log:1:5").log, true);
    assert.equal(range("lr=lin:1e-4:1e-1").log, false);
    assert.equal(range("hidden=16:128").integer, true);
    assert.equal(parseAxis("tag=a:b").kind, "list"); // not numbers: one text value
  });

  test("malformed axes are refused with the reason", () => {
    for (const [texts, message] of [
      [["lr"], /NAME=V1,V2/],
      [["=1,2"], /NAME=V1,V2/],
      [["lr="], /NAME=V1,V2/],
      [["lr=0.1,,0.2"], /a value of 'lr' is empty/],
      [["lr=0.5:0.1"], /from low to high/],
      [["lr=log:-1:1"], /above 0/],
      [["lr=1,2", "lr=3"], /'lr' is swept twice/],
      [[], /at least one axis/],
    ] as const)
      assert.throws(() => parseAxes([...texts]), message, texts.join(" "));
    assert.throws(() => gridPoints(parseAxes(["lr=1e-4:1e-1"])), /'lr' is a range: a grid takes lists.*--random/);
    const many = Array.from({ length: 200 }, (_, i) => i).join(",");
    assert.throws(() => gridPoints(parseAxes([`a=${many}`, `b=${many}`])), /40000 points, more than 10000/);
  });

  test("random points: the same seed draws the same points; log ranges spread over the decades; whole numbers stay whole", () => {
    const axes = parseAxes(["lr=1e-4:1e-1", "hidden=16:128", "cell=GRU,LSTM"]);
    const a = randomPoints(axes, 400, 7);
    assert.deepEqual(randomPoints(axes, 400, 7), a);
    assert.notDeepEqual(randomPoints(axes, 400, 8), a);
    const lrs = a.map((p) => Number(p.lr));
    assert.ok(lrs.every((x) => x >= 1e-4 && x <= 0.1));
    // Log scale: about a third of the draws in each decade [1e-4, 1e-3), [1e-3, 1e-2), [1e-2, 1e-1] (evenly: 1% in the first).
    const decade = (lo: number) => lrs.filter((x) => x >= lo && x < lo * 10).length;
    for (const lo of [1e-4, 1e-3, 1e-2]) assert.ok(decade(lo) > 90, `${decade(lo)} draws in [${lo}, ${lo * 10})`);
    const hidden = a.map((p) => Number(p.hidden));
    assert.ok(hidden.every((h) => Number.isInteger(h) && h >= 16 && h <= 128));
    assert.ok(hidden.includes(16) && Math.max(...hidden) > 120);
    assert.deepEqual(new Set(a.map((p) => p.cell)), new Set(["GRU", "LSTM"]));
    assert.throws(() => randomPoints(axes, 0, 1), /--random takes a number of points from 1/);
  });

  test("the declared hparams decide whole or real: a whole hparam draws whole numbers, a real one real numbers", () => {
    const declared = { lr: 0.1, hidden: 32, dropout: 0.2, cell: "GRU" };
    const [hidden, dropout] = fitAxes(parseAxes(["hidden=10.5:20.5", "dropout=0:1"]), declared) as Extract<Axis, { kind: "range" }>[];
    assert.deepEqual([hidden.low, hidden.high, hidden.integer], [11, 20, true]);
    assert.equal(dropout.integer, false); // "0:1" alone would read as whole
    const draws = Array.from({ length: 50 }, (_, i) => drawInRange(dropout, () => i / 50));
    assert.ok(draws.some((x) => x > 0 && x < 1));
    assert.throws(() => fitAxes(parseAxes(["cell=0:1"]), declared), /'cell' is not a number/);
    assert.throws(() => fitAxes(parseAxes(["hidden=10.2:10.8"]), declared), /whole number .* holds none/);
  });

  test("points are checked as --set is: unknown names get the nearest declared one, wrong types are refused", () => {
    const declared = { lr: 0.1, hidden: 32, bias: true };
    assert.throws(() => checkPoints(declared, gridPoints(parseAxes(["lrr=0.1,0.2"]))), /unknown hyperparameter 'lrr'; did you mean 'lr'\?/);
    assert.throws(() => checkPoints(declared, gridPoints(parseAxes(["hidden=16,32.5"]))), /'hidden' is a whole number \(declared 32\), got '32.5'/);
    assert.throws(() => checkPoints(declared, gridPoints(parseAxes(["bias=yes"]))), /'bias' is true or false/);
    assert.throws(() => checkPoints({}, [{ lr: "1" }]), /declares no hparams/);
    checkPoints(declared, gridPoints(parseAxes(["lr=0.01,0.1", "bias=true,false"]))); // valid: no throw
    // The CLI's plan: the same checks, before anything starts; --random with --seed.
    assert.throws(() => planPoints(["hiden=16,32"], {}, declared), /did you mean 'hidden'/);
    const plan = planPoints(["hidden=16:64"], { random: "5", seed: "3" }, declared);
    assert.equal(plan.points.length, 5);
    assert.equal(plan.seed, 3);
    assert.throws(() => planPoints(["lr=0.1"], { random: "2", seed: "x" }, declared), /--seed takes a whole number/);
  });
});

describe("the sweep mark", () => {
  const mark = { id: "20261207-221500-hello", index: 1, size: 4, names: ["lr", "hidden"] };
  const run = { name: "r", file: "/m.ts", status: "completed", pid: 1, backend: "", startedAt: "", config: {} };

  test("read back from run.json; absent in other runs", () => {
    assert.deepEqual(parseRunInfo(JSON.stringify({ ...run, sweep: mark }), "r").info.sweep, mark);
    assert.equal(parseRunInfo(JSON.stringify(run), "r").info.sweep, undefined);
  });

  test("hostile values: left out and named as damage, never thrown", () => {
    const hostile: unknown[] = [
      null,
      "sweep",
      [],
      { ...mark, id: "" },
      { ...mark, id: "x".repeat(201) },
      { ...mark, id: 7 },
      { ...mark, index: 4 },
      { ...mark, index: -1 },
      { ...mark, index: 0.5 },
      { ...mark, size: 0, index: 0 },
      { ...mark, size: 1e9 },
      { ...mark, names: [] },
      { ...mark, names: "lr" },
      { ...mark, names: [1] },
      { ...mark, names: Array(65).fill("a") },
      { ...mark, names: { length: 1, 0: "lr" } },
    ];
    for (const sweep of hostile) {
      const read = parseRunInfo(JSON.stringify({ ...run, sweep }), "r");
      assert.equal(read.info.sweep, undefined, JSON.stringify(sweep));
      assert.match(read.damaged ?? "", /run.json's sweep is/);
    }
    // A name like __proto__ is a name like any other.
    assert.deepEqual(parseSweepMark({ ...mark, names: ["__proto__", "循环 网络(1) 🧪"] })?.names, ["__proto__", "循环 网络(1) 🧪"]);
    assert.deepEqual(parseRunInfo('{"sweep": {"id": "a", "index": 0, "size": 1, "names": ["x"], "__proto__": {"evil": 1}}}', "r").info.sweep, {
      id: "a",
      index: 0,
      size: 1,
      names: ["x"],
    });
  });

  test("travels to the training process on its command line and back; a bad one is refused", () => {
    const options = { file: "/m.ts", overrides: { lr: "0.1" }, sweep: mark };
    assertRoundTrip(options);
    assert.throws(() => parseTrainArgs(["/m.ts", '--sweep={"id":"a"}']), /--sweep must be a sweep mark/);
    assert.throws(() => parseTrainArgs(["/m.ts", "--sweep=not json"]), /--sweep must be a sweep mark/);
  });

  test("an id from the time and the file, safe as a name", () => {
    assert.equal(sweepId("/w/循环 网络(1) 🧪.ts", new Date("2026-12-07T22:15:00Z")), "20261207-221500-循环-网络-1");
  });
});

describe("the best run", () => {
  test("by the metric's best epoch and its goal; runs without it skipped", () => {
    const runs = [
      { best: { loss: { value: 0.5, epoch: 3, goal: "min" as const }, acc: { value: 0.7, epoch: 2, goal: "max" as const } } },
      {},
      { best: { loss: { value: 0.2, epoch: 9, goal: "min" as const }, acc: { value: 0.6, epoch: 9, goal: "max" as const } } },
      { finalLoss: 0.1 }, // an older run: its last epoch's loss
    ];
    assert.equal(bestRunIndex(runs, "loss"), 3);
    assert.equal(bestRunIndex(runs, "acc"), 0);
    assert.equal(bestRunIndex(runs, "nope"), -1);
    assert.deepEqual(sweepValue(runs[2], "acc"), { value: 0.6, goal: "max" });
    assert.equal(sweepValue({ best: {} }, "toString"), undefined); // not Object.prototype's
  });

  test("the CLI's summary: a row per point, the best marked", () => {
    const outcome = (index: number, lr: string, loss?: number) => ({
      index,
      point: { lr },
      result:
        loss === undefined
          ? undefined
          : { code: 0, signal: null, run: { status: "completed", best: { loss: { value: loss, epoch: 1, goal: "min" } } } as never },
    });
    const text = summaryTable([outcome(0, "0.01", 0.9), outcome(1, "0.1", 0.3), outcome(2, "1")], ["lr"], "loss");
    const lines = text.split("\n");
    assert.match(lines[0], /#\s+lr\s+status\s+loss/);
    assert.match(lines[2], /^\*\s+2\s+0\.1\s+completed\s+0\.3$/);
    assert.match(lines[3], /3\s+1\s+not run\s+-$/);
    assert.doesNotMatch(lines[1], /^\*/);
  });
});

/** A stand-in training process: says it started, records itself in `dir` while alive, ends after a moment, or
 *  "stopped" at once when asked to stop. */
function fakeTrainer(dir: string): string {
  const file = path.join(ROOT, `fake-train-${path.basename(dir)}.js`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    file,
    `const fs = require("fs"), path = require("path");
const mark = path.join(${JSON.stringify(dir)}, String(process.pid));
fs.writeFileSync(mark, "");
fs.appendFileSync(${JSON.stringify(dir + ".argv")}, JSON.stringify(process.argv.slice(2)) + "\\n");
const run = (status) => ({ id: "run-" + process.pid, name: "x", file: "/m.ts", status, pid: process.pid, backend: "", backendName: "", startedAt: "", config: { epochs: 1, model: "", parameterCount: 0, optimizer: "", snapshotEvery: 1 } });
process.send({ type: "start", run: run("running") });
const end = (status) => { fs.rmSync(mark); process.send({ type: "end", run: run(status) }, () => process.exit(0)); };
const timer = setTimeout(() => end("completed"), process.argv.includes("--set=slow=1") ? 60000 : 30);
process.on("message", (m) => { if (m.type === "stop") { clearTimeout(timer); end("stopped"); } });
`,
  );
  return file;
}

describe("running a sweep", () => {
  test("never more than --parallel runs live: counted by the sweep's events and by the processes' own marks", async () => {
    const dir = path.join(ROOT, "live");
    const entry = fakeTrainer(dir);
    const points = Array.from({ length: 7 }, (_, i) => ({ lr: String(i) }));
    const events: SweepEvent[] = [];
    let mostMarks = 0;
    const sweep = startSweep({ base: { file: "/m.ts" }, points, names: ["lr"], parallel: 3, entry }, (e) => {
      events.push(e);
      if (e.type === "point-start") mostMarks = Math.max(mostMarks, fs.readdirSync(dir).length);
    });
    const outcomes = await sweep.done;
    const starts = events.filter((e) => e.type === "point-start");
    assert.equal(starts.length, 7);
    assert.ok(
      starts.every((e) => e.live <= 3),
      JSON.stringify(starts),
    );
    assert.equal(Math.max(...starts.map((e) => e.live)), 3);
    assert.ok(mostMarks <= 3, `${mostMarks} processes alive at once`);
    assert.deepEqual(
      outcomes.map((o) => o.result?.run?.status),
      Array(7).fill("completed"),
    );
    assert.equal(events.filter((e) => e.type === "point-end").length, 7);
    assert.deepEqual(fs.readdirSync(dir), []);
    // Each process got its point's override and its sweep mark.
    const argvs = fs
      .readFileSync(dir + ".argv", "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as string[]);
    for (let i = 0; i < 7; i++) {
      const argv = argvs.find((a) => a.includes(`--set=lr=${i}`));
      const mark = JSON.parse(argv!.find((a) => a.startsWith("--sweep="))!.slice("--sweep=".length)) as unknown;
      assert.deepEqual(mark, { id: sweep.id, index: i, size: 7, names: ["lr"] });
    }
  });

  test("stop: the live runs stop, no point starts after it, what finished is kept", async () => {
    const dir = path.join(ROOT, "stop");
    const entry = fakeTrainer(dir);
    const points = [{ slow: "0" }, { slow: "1" }, { slow: "1" }, { slow: "0" }];
    const starts: number[] = [];
    const sweep = startSweep({ base: { file: "/m.ts" }, points, names: ["slow"], parallel: 2, entry }, (e) => {
      if (e.type === "point-start") starts.push(e.index);
      // Once the quick point 0 ended and the slow ones run (1, then 2 in its place), stop.
      if (e.type === "point-start" && e.index === 2) sweep.stop();
    });
    const outcomes = await sweep.done;
    assert.deepEqual(starts, [0, 1, 2]);
    assert.deepEqual(
      outcomes.map((o) => o.result?.run?.status),
      ["completed", "stopped", "stopped", undefined],
    );
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

describe("`unroll sweep` (real processes)", () => {
  const LIMIT = { timeout: 180_000 };
  // A quick point and a slow one (each step sleeps): Ctrl-C once the quick one is done.
  const model = `import { defineExperiment, nn, optim, torch } from "unroll";
let slow = 0;
class Model extends nn.Module {
  lin = new nn.Linear(2, 1);
  override forward(x: torch.Tensor) {
    if (slow) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return this.lin.forward(x);
  }
}
export default defineExperiment({
  name: "sweep me",
  epochs: 400,
  hparams: { lr: 0.1, slow: 0 },
  model: (h) => { slow = h.slow as number; torch.manualSeed(0); return new Model(); },
  data: () => ({ train: [[torch.ones([4, 2]), torch.zeros([4, 1])]] }),
  loss: () => new nn.MSELoss(),
  optimizer: (p, h) => new optim.SGD(p, { lr: h.lr as number }),
});
`;

  test("Ctrl-C: the finished run kept, the running one stopped after its step, no process left (exit 3)", LIMIT, async () => {
    const file = path.join(ROOT, "循环 网络(1) 🧪.ts");
    fs.writeFileSync(file, model);
    const runs = path.join(ROOT, "cli-runs");
    const run = await runCli(["sweep", file, "slow=0,1", "--parallel", "2", "--runs", runs], { interruptAfter: /\[1\/2\] slow=0: completed/ });
    assert.equal(run.code, 3, run.stderr + run.stdout);
    assert.match(run.stdout, /\[2\/2\] slow=1: stopped/);
    assert.match(run.stdout, /\*\s+1\s+0\s+completed/);
    assert.deepEqual(processesNaming(runs), []);
    const infos = fs.readdirSync(runs).map((id) => parseRunInfo(fs.readFileSync(path.join(runs, id, "run.json"), "utf8"), id).info);
    const byPoint = infos.sort((a, b) => a.sweep!.index - b.sweep!.index);
    assert.deepEqual(
      byPoint.map((i) => [i.sweep!.index, i.status, i.hparams?.slow]),
      [
        [0, "completed", 0],
        [1, "stopped", 1],
      ],
    );
    assert.equal(byPoint[0].sweep!.id, byPoint[1].sweep!.id);
    assert.deepEqual(byPoint[0].sweep!.names, ["slow"]);
  });

  test("`unroll sweep … | head -1`: exit 0, quietly, every run stopped, no process left", LIMIT, async () => {
    const file = path.join(ROOT, "piped.ts");
    fs.writeFileSync(file, model);
    const runs = path.join(ROOT, "piped-runs");
    const run = await runCli(["sweep", file, "lr=0.1,0.2", "slow=1", "--parallel", "2", "--runs", runs], { closeStdoutAfter: /started/ });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /EPIPE|Error:|at /);
    assert.deepEqual(processesNaming(runs), []);
    for (const id of fs.existsSync(runs) ? fs.readdirSync(runs) : []) {
      const info = parseRunInfo(fs.readFileSync(path.join(runs, id, "run.json"), "utf8"), id).info;
      assert.notEqual(info.status, "running", id);
    }
  });

  test("an unknown name is refused before any run starts, with the nearest declared one", LIMIT, async () => {
    const file = path.join(ROOT, "refused.ts");
    fs.writeFileSync(file, model);
    const runs = path.join(ROOT, "refused-runs");
    const run = await runCli(["sweep", file, "lrr=0.1,0.2", "--runs", runs]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown hyperparameter 'lrr'; did you mean 'lr'\?/);
    assert.equal(fs.existsSync(runs), false);
  });
});
