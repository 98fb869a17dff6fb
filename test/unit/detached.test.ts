// Runs that outlive whoever started them (src/runs/detached.ts): a run started by another process is found live,
// followed from its files as they grow and stopped through its folder; a killed trainer, or a pid now another
// process's, is not live; hostile run folders (a FIFO where the stop file, output.log or metrics.jsonl goes) leave
// every reader total. Real processes: dist/cli.js and dist/train.js.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunEvent, RunInfo } from "../../src/common/protocol";
import { followRun, liveRuns, OutputLog, requestStop, stopFileThere, stopRun, STOP_FILE, OUTPUT_FILE } from "../../src/runs/detached";
import { isAlive, processStartTime, runIsAlive } from "../../src/runs/process-liveness";
import { readRun, readRunInfo } from "../../src/runs/run-store";
import { killCliRuns, runCli, writeLinearExperiment } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-detached-"));
const pids = new Map<number, string | undefined>(); // detached trainers and stand-ins the tests started: their start times
after(async () => {
  killCliRuns();
  for (const [pid, pidStart] of pids) {
    const process_ = { pid, pidStart };
    if (runIsAlive(process_)) process.kill(pid, "SIGKILL");
    await until(() => !runIsAlive(process_)); // gone before its folder is removed
  }
  fs.rmSync(ROOT, { recursive: true, force: true });
});
const LIMIT = { timeout: 180_000 };
const NAME = "循环 网络(1) 🧪";
const fifo = (file: string) => execFileSync("mkfifo", [file]);

/** Resolves once `ready()` holds, looking every 20 ms (the test's timeout bounds the wait). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** `unroll train --detach` on a long experiment that prints every epoch; returns its run folder once the CLI returned. */
async function startDetached(runs: string): Promise<{ id: string; dir: string; info: RunInfo; stderr: string }> {
  const file = writeLinearExperiment(path.join(ROOT, `${NAME}.ts`), { name: NAME, evaluate: '() => { console.log("epoch done 循环"); return {}; }' });
  const started = await runCli(["train", file, "--detach", "--runs", runs, "--no-check"]);
  assert.equal(started.code, 0, started.stderr);
  const id = started.stdout.trim();
  const dir = path.join(runs, id);
  const { info } = await readRunInfo(dir);
  pids.set(info.pid, info.pidStart);
  return { id, dir, info, stderr: started.stderr };
}

/** A run.json of a run "running" in process `pid` (started at `pidStart`), in a new folder under `runs`. */
function fakeRun(runs: string, id: string, pid: number, pidStart: string | undefined): string {
  const dir = path.join(runs, id);
  fs.mkdirSync(dir, { recursive: true });
  const info = {
    id,
    name: "fake",
    file: path.join(ROOT, "fake.ts"),
    status: "running",
    pid,
    ...(pidStart === undefined ? {} : { pidStart }),
    backend: "wasm",
    backendName: "wasm",
    startedAt: new Date().toISOString(),
    config: { epochs: 3, model: "Linear", parameterCount: 10, optimizer: "SGD", snapshotEvery: 50 },
  };
  fs.writeFileSync(path.join(dir, "run.json"), JSON.stringify(info));
  return dir;
}

/** A process that only waits (a stand-in for a trainer; `deaf`: one that ignores SIGTERM, as a step that never ends
 *  does not get to look), and its start time. */
function standIn(deaf = false): { pid: number; start: string | undefined; ready: Promise<unknown> } {
  const script = `${deaf ? 'process.on("SIGTERM", () => {}); ' : ""}console.log("ready"); setTimeout(() => {}, 600000)`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "ignore"] });
  const ready = new Promise((resolve) => child.stdout.once("data", resolve));
  const start = processStartTime(child.pid!);
  pids.set(child.pid!, start);
  return { pid: child.pid!, start, ready };
}

test(
  "a run started by `unroll train --detach` outlives it: found live, followed as its files grow, stopped after its step by `unroll stop` (Unicode id)",
  LIMIT,
  async () => {
    const runs = path.join(ROOT, "detach");
    const { id, dir, info, stderr } = await startDetached(runs);
    assert.match(id, /^\d{8}-\d{6}-循环-网络-1$/u, "the id keeps the Chinese letters");
    assert.match(stderr, /unroll follow .*循环/u);

    // The CLI has exited; the run trains on, in its own process, and is listed live.
    assert.ok(runIsAlive(info), "the trainer outlived the command that started it");
    assert.deepEqual(
      (await liveRuns(runs)).map((r) => r.info.id),
      [id],
    );
    const listed = await runCli(["runs", runs]);
    assert.match(listed.stdout, /● running \(pid \d+\)/);
    const json = (await runCli(["runs", runs, "--json"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { live?: boolean; pid?: number });
    assert.deepEqual([json[0].live, json[0].pid], [true, info.pid]);

    // Followed from the end of what is there: every step event that arrives was written after the follower started.
    const stepBefore = readRun(dir).steps.at(-1)?.step ?? 0;
    const events: RunEvent[] = [];
    const follower = followRun(dir, (e) => events.push(e), { fromEnd: true, pollMs: 50 });
    await until(() => events.filter((e) => e.type === "step").length >= 3 && events.some((e) => e.type === "log" && e.text.includes("epoch done 循环")));
    const steps = events.flatMap((e) => (e.type === "step" ? [e.step] : []));
    assert.ok(steps[0] > stepBefore, `step ${steps[0]} came after the ${stepBefore} already written`);
    assert.deepEqual(
      steps,
      [...steps].sort((a, b) => a - b),
      "steps arrive in order",
    );
    assert.equal(new Set(steps).size, steps.length, "no step twice");
    assert.equal(events[0].type, "start");

    // `unroll stop` with a part of the Unicode id: the run ends "stopped" after its step, everything kept.
    // A minute's grace: on a busy machine, the step, the last snapshot and the checkpoint may take longer than 5 s.
    const stopped = await runCli(["stop", "网络-1", "--runs", runs], { env: { UNROLL_STOP_GRACE: "60" } });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped after \d+\/1000000 epochs/);
    const end = await follower.done;
    assert.equal(end.status, "stopped");
    assert.deepEqual(events.at(-1), { type: "end", run: end });
    const read = readRun(dir);
    assert.equal(read.info.status, "stopped");
    assert.ok(read.info.endedAt);
    assert.equal(read.damaged, undefined, "every metrics line whole");
    assert.ok(read.steps.length >= steps.length);
    assert.ok(fs.statSync(path.join(dir, "weights.safetensors")).size > 0, "the last checkpoint written");
    assert.ok(stopFileThere(dir));
    assert.match(fs.readFileSync(path.join(dir, OUTPUT_FILE), "utf8"), /epoch done 循环/);
    await until(() => !runIsAlive(info));
    assert.deepEqual(await liveRuns(runs), []);

    // Following an ended run prints it and its end; stopping it again says it is not training.
    const followed = await runCli(["follow", id, "--runs", runs]);
    assert.equal(followed.code, 3, followed.stderr);
    assert.match(followed.stdout, /stopped after \d+\/1000000 epochs/);
    const again = await runCli(["stop", id, "--runs", runs]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not training \(stopped\)/);
  },
);

test("`unroll follow` prints a detached run's epochs as they come; Ctrl-C stops following, not the run", LIMIT, async () => {
  const runs = path.join(ROOT, "follow");
  const { id, dir, info } = await startDetached(runs);
  const followed = await runCli(["follow", "循环", "--runs", runs], { interruptAfter: /epoch 3\// });
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, /Training 循环 网络\(1\) 🧪/u);
  assert.match(followed.stdout, /epoch done 循环/u, "the run's output too");
  assert.ok(followed.stderr.includes(`stopped following ${id}`), followed.stderr);
  assert.ok(runIsAlive(info), "the run goes on");
  assert.ok("info" in (await stopRun(dir)));
});

test("a killed trainer is reported dead, not live: interrupted, its follower ends, stop says it is not training", LIMIT, async () => {
  const runs = path.join(ROOT, "killed");
  const { id, dir, info } = await startDetached(runs);
  process.kill(info.pid, "SIGKILL");
  await until(() => !runIsAlive(info)); // killed, even while its zombie waits for a parent to reap it
  assert.equal((await readRunInfo(dir)).info.status, "interrupted");
  assert.deepEqual(await liveRuns(runs), []);
  const events: RunEvent[] = [];
  const end = await followRun(dir, (e) => events.push(e), { pollMs: 20 }).done;
  assert.equal(end.status, "interrupted");
  assert.equal(events.at(-1)?.type, "end");
  assert.ok(
    events.some((e) => e.type === "step"),
    "its steps up to the kill",
  );
  assert.deepEqual(await requestStop(dir), { problem: "the run is not training (interrupted)" });
  const followed = await runCli(["follow", id, "--runs", runs]);
  assert.equal(followed.code, 70);
  assert.match(followed.stdout, /interrupted after/);
});

test("a pid now another process's is not live; the same pid with its start time is", LIMIT, async () => {
  const runs = path.join(ROOT, "reused");
  const other = standIn();
  assert.ok(other.start, "Linux tells start times");
  const reused = fakeRun(runs, "20260101-000000-reused", other.pid, String(Number(other.start) - 1));
  const same = fakeRun(runs, "20260101-000001-same", other.pid, other.start);
  assert.equal((await readRunInfo(reused)).info.status, "interrupted");
  assert.equal((await readRunInfo(same)).info.status, "running");
  assert.deepEqual(
    (await liveRuns(runs)).map((r) => r.info.id),
    ["20260101-000001-same"],
  );
  // Stopping the run whose pid was reused signals nobody: the other process lives on.
  assert.ok("problem" in (await requestStop(reused)));
  assert.ok(isAlive(other.pid));
  assert.equal(fs.existsSync(path.join(reused, STOP_FILE)), false);
});

test("hostile run folders stay total: a FIFO for the stop file, output.log and metrics.jsonl, a folder for run.json", LIMIT, async () => {
  const runs = path.join(ROOT, "hostile");
  const stand = standIn();
  // A "running" run whose files are FIFOs: followed without blocking, stopped (the FIFO counts as asked, unopened).
  const dir = fakeRun(runs, `20260101-000000-${NAME}`, stand.pid, stand.start);
  for (const name of [STOP_FILE, OUTPUT_FILE, "metrics.jsonl"]) fifo(path.join(dir, name));
  fs.writeFileSync(path.join(dir, "snapshots"), "not a folder");
  assert.ok(stopFileThere(dir));
  const events: RunEvent[] = [];
  const follower = followRun(dir, (e) => events.push(e), { pollMs: 20 });
  await until(() => events.length > 0);
  const asked = await requestStop(dir); // the stop file is there already (a FIFO): asked before, so no second signal
  assert.ok("info" in asked);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(runIsAlive({ pid: stand.pid, pidStart: stand.start }), "not signalled again (a second signal ends a run at once)");
  process.kill(stand.pid, "SIGKILL");
  const end = await follower.done; // the stand-in died without a word: interrupted
  assert.equal(end.status, "interrupted");
  assert.deepEqual(
    events.map((e) => e.type),
    ["start", "end"],
  );
  assert.equal(fs.statSync(path.join(dir, STOP_FILE)).isFIFO(), true, "not replaced, not opened");

  // run.json a folder, and no folder at all: a follower ends at once, a stop says why.
  const broken = path.join(runs, "20260101-000001-broken");
  fs.mkdirSync(path.join(broken, "run.json"), { recursive: true });
  for (const folder of [broken, path.join(runs, "missing")]) {
    const seen: RunEvent[] = [];
    assert.equal((await followRun(folder, (e) => seen.push(e)).done).status, "interrupted");
    assert.deepEqual(
      seen.map((e) => e.type),
      ["start", "end"],
    );
    assert.ok("problem" in (await requestStop(folder)));
  }

  // The trainer's output.log where a FIFO is already: refused ("ax"), nothing blocks, the output is dropped.
  const output = new OutputLog();
  output.write("held before the folder exists\n");
  output.open(dir);
  output.write("more\n");
  output.close();
  assert.equal(fs.statSync(path.join(dir, OUTPUT_FILE)).isFIFO(), true);

  // `unroll follow` and `unroll stop` of names that are no run say where they looked.
  for (const command of ["follow", "stop"]) {
    const run = await runCli([command, "没有这个", "--runs", runs]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no run 没有这个 in .*hostile/u);
  }
});

test("a run whose step never ends is ended with its process after the grace: stopped, `halted` says after how long", LIMIT, async () => {
  const runs = path.join(ROOT, "deaf");
  const stand = standIn(true);
  await stand.ready; // its handler in place
  const dir = fakeRun(runs, "20260101-000000-deaf", stand.pid, stand.start);
  const stopped = await stopRun(dir, 200);
  assert.ok("info" in stopped, JSON.stringify(stopped));
  assert.equal(stopped.info.status, "stopped");
  assert.ok(stopped.info.halted && stopped.info.halted.afterMs >= 200);
  assert.equal(runIsAlive({ pid: stand.pid, pidStart: stand.start }), false);
  assert.equal(readRun(dir).info.status, "stopped", "run.json says so");
});

test("`unroll train --detach` of a model that fails before its run starts: exit 1 at the user's line, no process left", LIMIT, async () => {
  const runs = path.join(ROOT, "fails");
  const file = path.join(ROOT, "fails.ts");
  fs.writeFileSync(file, 'import { defineExperiment } from "unroll";\nthrow new Error("broken 循环");\nexport default defineExperiment({} as never);\n');
  const run = await runCli(["train", file, "--detach", "--runs", runs, "--no-check"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /fails\.ts:2:\d+: .*broken 循环/u);
  assert.equal(run.stdout, "", "no run id");
  assert.deepEqual(await liveRuns(runs), []);
});

test("output.log keeps what was printed before the run folder existed, then appends, up to its cap", () => {
  const dir = fs.mkdtempSync(path.join(ROOT, "output-"));
  const output = new OutputLog();
  output.write("before 循环\n");
  output.open(dir);
  output.write("after\n");
  output.close();
  assert.equal(fs.readFileSync(path.join(dir, OUTPUT_FILE), "utf8"), "before 循环\nafter\n");
});
