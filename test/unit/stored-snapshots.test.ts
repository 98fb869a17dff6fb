// The Parameters tab's slider through a stored run's snapshots (issue 25): the run store lists their steps and reads
// one back totally (readStoredSnapshot), the host answers only for run folders, and SnapshotHistory compares each
// with the distinct snapshot before it, whether seen live or read back.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { explorerChannel, MAX_STORED_SNAPSHOTS, type ParameterSnapshot } from "../../src/common/protocol";
import { readRunDetail, readStoredSnapshot, RunWriter } from "../../src/runs/run-store";
import { noteSnapshotStep } from "../../src/common/run-reducer";
import { SnapshotHistory } from "../../webview/snapshot-history";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-snapshots-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const parameter = (mean: number): ParameterSnapshot => ({
  name: "rnn.weight_ih_l0",
  shape: [2, 2],
  mean,
  std: 0,
  min: mean,
  max: mean,
  norm: Math.abs(mean) * 2,
  gradNorm: null,
  histogram: { min: mean, max: mean, counts: [4] },
  heatmap: { rows: 2, cols: 2, values: [mean, mean, mean, mean] },
});

/** A stored run (in a folder named as users name things) with a snapshot at each step, its weights' mean = step / 100. */
function storedRun(steps: number[]): string {
  const w = RunWriter.create(path.join(ROOT, "循环 网络(1) 🧪"), "toy");
  for (const step of steps) w.writeSnapshot({ epoch: 1, step, parameters: [parameter(step / 100)], dynamics: [] });
  w.close();
  return w.dir;
}

describe("stored snapshots, read back", () => {
  test("the detail lists every stored step; each reads back with its parameters", async () => {
    const dir = storedRun([10, 20, 30]);
    const detail = await readRunDetail(dir, { writeBack: false });
    assert.deepEqual(detail.snapshotSteps, [10, 20, 30]);
    assert.equal(detail.snapshot?.step, 30);
    const read = await readStoredSnapshot(dir, 10);
    assert.ok("snapshot" in read, JSON.stringify(read));
    assert.equal(read.snapshot.parameters[0].mean, 0.1);
  });

  test("no snapshot: no list", async () => {
    assert.equal((await readRunDetail(storedRun([]), { writeBack: false })).snapshotSteps, undefined);
    assert.deepEqual((await readRunDetail(storedRun([5]), { writeBack: false })).snapshotSteps, [5]);
  });

  test("malformed, missing, oversized and linked files give a problem naming the file, never an exception", async () => {
    const dir = storedRun([10, 20, 30]);
    const snapshots = path.join(dir, "snapshots");
    fs.writeFileSync(path.join(snapshots, "30.json"), "{");
    fs.writeFileSync(path.join(snapshots, "20.json"), JSON.stringify({ epoch: 1, step: 20, parameters: [{ name: "<b>x</b>" }], dynamics: [] }));
    fs.writeFileSync(path.join(snapshots, "40.json"), " ".repeat(40 * 1024 * 1024));
    fs.symlinkSync("/etc/passwd", path.join(snapshots, "50.json"));
    fs.mkdirSync(path.join(snapshots, "60.json"));
    for (const step of [20, 30, 40, 50, 60, 70]) {
      const read = await readStoredSnapshot(dir, step);
      assert.ok("problem" in read, `step ${step}: ${JSON.stringify(read).slice(0, 200)}`);
      assert.match(read.problem, new RegExp(`${step}\\.json`), `step ${step}: ${read.problem}`);
    }
    // The latest that reads is shown; the list keeps every file's step, so the slider can say what is wrong.
    const detail = await readRunDetail(dir, { writeBack: false });
    assert.equal(detail.snapshot?.step, 10);
    assert.deepEqual(detail.snapshotSteps, [10, 20, 30, 40, 50, 60]);
  });

  test("a long run's list is thinned as it grows, alike live and read back: the first and the latest kept", () => {
    const detail: { snapshotSteps?: number[] } = {};
    for (let i = 1; i <= 5000; i++) noteSnapshotStep(detail, i * 8);
    const steps = [...detail.snapshotSteps!];
    assert.ok(steps.length <= MAX_STORED_SNAPSHOTS && steps.length > MAX_STORED_SNAPSHOTS / 2, String(steps.length));
    assert.equal(steps[0], 8);
    assert.equal(steps.at(-1), 40000);
    assert.ok(
      steps.every((s, i) => i === 0 || s > steps[i - 1]),
      "in order, each once",
    );
    for (const step of [steps[1], -1, 2.5, NaN]) noteSnapshotStep(detail, step);
    assert.deepEqual(detail.snapshotSteps, steps, "a step held, or not a step: nothing changes");
  });

  test("the explorer may ask for a stored snapshot by a whole, non-negative step only", () => {
    assert.ok(explorerChannel.isFrom({ type: "loadSnapshot", dir: "/w/.unroll/runs/r", step: 0 }));
    for (const step of [-1, 1.5, "3", 2 ** 60, NaN, null]) assert.ok(!explorerChannel.isFrom({ type: "loadSnapshot", dir: "/w/r", step }), String(step));
    assert.ok(!explorerChannel.isFrom({ type: "loadSnapshot", dir: "/w/r", step: 3, extra: 1 }));
  });
});

describe("the slider through stored and live snapshots", () => {
  const snap = (step: number) => ({ step, epoch: 1, mean: step / 100 });

  test("stored steps join those seen; what to read back is the step shown and the one before it", () => {
    const h = new SnapshotHistory<ReturnType<typeof snap>>();
    h.setStored([30, 10, 20, 10, -1, 1.5, NaN]);
    h.add(snap(30)); // the detail's latest snapshot
    h.add(snap(40)); // then one live
    assert.deepEqual(h.steps(), [10, 20, 30, 40]);
    assert.deepEqual(h.missing(20), [20, 10]);
    assert.deepEqual(h.missing(40), [], "the latest and the one before it are held");
    h.add(snap(10));
    assert.deepEqual(h.missing(20), [20]);
    h.add(snap(20));
    assert.equal(h.stepBefore(20), 10, "compared with the snapshot before it, not itself");
    assert.equal(h.at(h.stepBefore(20)!)?.mean, 0.1);
    assert.equal(h.stepBefore(10), null, "the first: the initial weights, nothing before");
  });

  test("past the cap, a snapshot read back keeps its neighbour; the first and the latest stay", () => {
    const h = new SnapshotHistory<ReturnType<typeof snap>>(4);
    for (const step of [10, 40, 50, 60]) h.add(snap(step));
    h.setStored([10, 20, 30, 40, 50, 60]);
    h.add(snap(20));
    assert.deepEqual(
      h.steps().filter((s) => h.at(s)),
      [10, 20, 40, 60],
    );
    assert.deepEqual(h.missing(20), [], "10 is still held");
    h.add(snap(30));
    assert.ok(h.at(30) && h.at(20) && h.at(10) && h.at(60), "30, its neighbour, the first and the latest");
    h.clear();
    assert.deepEqual(h.steps(), []);
  });
});
