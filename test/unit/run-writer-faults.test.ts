// The run store's writing side against what can go wrong: a runs folder that is not a folder (a file, a FIFO, a
// symbolic link to a file or to nothing, a file among its parents), writes that fail (permission denied, a read-only
// file system, a full disk, a folder put in a file's place) and cleanups that fail too. Each is refused or reported
// with the file and the reason, the run marked failed where run.json can still be written, exit code 1 (never 70),
// and what was written before kept. In this process (RunWriter) and through `unroll train` (dist/, built by npm test).
//
// Root ignores chmod, so a failing write is made by other means: a folder put in a file's place (real), or node:fs
// patched (in this process, and in the training process through a --require'd script in NODE_OPTIONS: the seam).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunInfo } from "../../src/common/protocol";
import { blockedFolder, readRun, RunWriter, StoreError, writeAtomic, type StepLine } from "../../src/runs/run-store";
import { processStartTime } from "../../src/runs/process-liveness";
import { runsCommand } from "../../src/cli/runs";
import { killCliRuns, printedBy, runCli, writeLinearExperiment } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-writes-"));
after(() => {
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

const step = (n: number): StepLine => ({ type: "step", epoch: 1, step: n, loss: 1 / n, lr: 0.01, time: n / 10 });

function info(id: string, patch: Partial<RunInfo> = {}): RunInfo {
  return {
    id,
    name: "toy",
    file: path.join(ROOT, "toy.ts"),
    status: "running",
    pid: process.pid,
    pidStart: processStartTime(process.pid),
    backend: "wasm",
    backendName: "wasm",
    startedAt: "2026-01-01T00:00:00.000Z",
    config: { epochs: 3, model: "Linear(4, 2)", parameterCount: 10, optimizer: "SGD", snapshotEvery: 50 },
    ...patch,
  };
}

/** A fresh folder under ROOT (names with spaces, Chinese and emoji, as users have them). */
let folders = 0;
const fresh = (name: string) => {
  const dir = path.join(ROOT, `${++folders} ${name} 循环 网络(1) 🧪`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
};

/** Whatever was at `at` before and after: its kind and, for a file, its content. */
const state = (at: string) => {
  const stats = fs.lstatSync(at);
  return {
    kind: stats.isSymbolicLink() ? "link" : stats.isFIFO() ? "fifo" : stats.isFile() ? "file" : "other",
    text: stats.isFile() ? fs.readFileSync(at, "utf8") : "",
  };
};

/** Each way a runs folder is not one, with the path the error must name and the words for it. */
function blockedRunsFolders(): { name: string; runs: string; blocker: string; kind: string }[] {
  const dir = fresh("blocked");
  const at = (name: string) => path.join(dir, name);
  fs.writeFileSync(at("a-file"), "not a folder\n");
  fs.symlinkSync(at("a-file"), at("link-to-file"));
  fs.symlinkSync(at("nowhere"), at("dangling"));
  fs.symlinkSync(at("loop-b"), at("loop-a"));
  fs.symlinkSync(at("loop-a"), at("loop-b"));
  spawnSync("mkfifo", [at("fifo")]);
  fs.mkdirSync(at("repo"));
  fs.writeFileSync(at("repo/.unroll"), "a file where .unroll should be\n");
  return [
    { name: "a file", runs: at("a-file"), blocker: at("a-file"), kind: "a file" },
    { name: "a folder inside a file", runs: path.join(at("a-file"), "runs"), blocker: at("a-file"), kind: "a file" },
    { name: "a symbolic link to a file", runs: at("link-to-file"), blocker: at("link-to-file"), kind: "a symbolic link to a file" },
    { name: "a dangling symbolic link", runs: at("dangling"), blocker: at("dangling"), kind: "a symbolic link to nothing" },
    { name: "a loop of symbolic links", runs: at("loop-a"), blocker: at("loop-a"), kind: "a symbolic link in a loop" },
    { name: "a FIFO", runs: at("fifo"), blocker: at("fifo"), kind: "a FIFO (named pipe)" },
    { name: "a repository's .unroll that is a file", runs: at("repo/.unroll/runs"), blocker: at("repo/.unroll"), kind: "a file" },
    { name: "/dev/null", runs: "/dev/null", blocker: "/dev/null", kind: "a device" },
  ];
}

describe("a runs folder that is not a folder", () => {
  test("RunWriter.create refuses each at once, names the path and what it is, and changes nothing", () => {
    for (const { name, runs, blocker, kind } of blockedRunsFolders()) {
      const before = state(blocker);
      assert.throws(
        () => RunWriter.create(runs, "toy"),
        (error: unknown) => error instanceof StoreError && error.message === `cannot create run folder: ${blocker} is ${kind}` && error.error.kind === "store",
        name,
      );
      assert.deepEqual(state(blocker), before, `${name}: left as it was`);
      assert.equal(blockedFolder(runs), `${blocker} is ${kind}`, name);
    }
  });

  test("a folder, a symbolic link to one and a path still to make are fine", () => {
    const dir = fresh("fine");
    fs.mkdirSync(path.join(dir, "real"));
    fs.symlinkSync(path.join(dir, "real"), path.join(dir, "link"));
    for (const runs of [path.join(dir, "real"), path.join(dir, "link"), path.join(dir, "new", ".unroll", "runs")]) {
      assert.equal(blockedFolder(runs), null, runs);
      const writer = RunWriter.create(runs, "toy");
      writer.writeInfo(info(writer.id));
      writer.end(info(writer.id, { status: "completed" }));
      assert.equal(readRun(writer.dir).info.status, "completed", runs);
    }
  });

  test("a run's name taken by something else (a file, a FIFO) moves on to the next name", () => {
    const runs = fresh("taken");
    const date = new Date(2026, 0, 2, 3, 4, 5);
    fs.writeFileSync(path.join(runs, "20260102-030405-toy"), "");
    spawnSync("mkfifo", [path.join(runs, "20260102-030405-toy-2")]);
    const writer = RunWriter.create(runs, "toy", date);
    assert.equal(writer.id, "20260102-030405-toy-3");
    writer.close();
  });

  test("`unroll runs` on a file, or on a repository whose .unroll/runs links to one: exit 1 and why", async () => {
    const dir = fresh("cli-runs");
    fs.writeFileSync(path.join(dir, "notes.txt"), "");
    fs.mkdirSync(path.join(dir, "repo", ".unroll"), { recursive: true });
    fs.symlinkSync(path.join(dir, "notes.txt"), path.join(dir, "repo", ".unroll", "runs"));
    for (const [folder, blocker, kind] of [
      [path.join(dir, "notes.txt"), path.join(dir, "notes.txt"), "a file"],
      [path.join(dir, "repo"), path.join(dir, "repo", ".unroll", "runs"), "a symbolic link to a file"],
    ]) {
      const { value: code, err } = await printedBy(() => runsCommand.run({ positional: [folder], options: {} }));
      assert.equal(code, 1);
      assert.deepEqual(err, [`unroll: cannot list runs: ${blocker} is ${kind}`]);
    }
  });
});

/** Makes node:fs fail as `code` says for the files whose path `matches` (writes, renames, opens for writing and, with
 *  `cleanups`, removals), the module object itself patched (the bundle's `import * as fs` reads through to it). */
function failWrites(code: string, matches: (file: string) => boolean, { cleanups = false } = {}): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeFs = require("node:fs") as typeof fs;
  const saved = { writeSync: nodeFs.writeSync, writeFileSync: nodeFs.writeFileSync, renameSync: nodeFs.renameSync, rmSync: nodeFs.rmSync };
  const fail = (file: unknown) => {
    if (matches(String(file))) throw Object.assign(new Error(`${code}: injected, ${String(file)}`), { code });
  };
  const fdPath = (fd: number) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return "";
    }
  };
  Object.assign(nodeFs, {
    writeSync: (fd: number, ...rest: unknown[]) => (fail(fdPath(fd)), (saved.writeSync as (...a: unknown[]) => number)(fd, ...rest)),
    writeFileSync: (file: string, ...rest: unknown[]) => (fail(file), (saved.writeFileSync as (...a: unknown[]) => void)(file, ...rest)),
    renameSync: (from: string, to: string) => (fail(to), saved.renameSync(from, to)),
    rmSync: (file: string, options?: fs.RmOptions) => (cleanups && fail(file), saved.rmSync(file, options)),
  });
  return () => Object.assign(nodeFs, saved);
}

describe("a write that fails names itself", () => {
  const cases: [code: string, words: RegExp][] = [
    ["EACCES", /: permission denied \(EACCES\)$/],
    ["EROFS", /: the file system is read-only \(EROFS\)$/],
    ["EIO", /: the disk reported an input\/output error \(EIO\)$/],
    ["EISDIR", /: a folder is in its place \(EISDIR\)$/],
    ["ENOSPC", /^the disk is full: cannot write .* \(ENOSPC\)\. The run stopped there; what it wrote before is kept\.$/],
    ["EWHATEVER", /: EWHATEVER: injected, .* \(EWHATEVER\)$/],
  ];
  for (const [code, words] of cases) {
    test(`(${code}, simulated) metrics.jsonl, then run.json: the file and the reason; the run ends failed with it`, () => {
      const writer = RunWriter.create(fresh(code), "toy");
      writer.writeInfo(info(writer.id));
      for (let n = 1; n <= 3; n++) writer.appendMetric(step(n));
      const restore = failWrites(code, (file) => file.endsWith("metrics.jsonl"));
      let thrown: unknown;
      try {
        writer.appendMetric(step(4));
      } catch (error) {
        thrown = error;
      } finally {
        restore();
      }
      assert.ok(thrown instanceof StoreError, String(thrown));
      assert.match(thrown.message, new RegExp(`cannot write ${escape(path.join(writer.dir, "metrics.jsonl"))}`));
      assert.match(thrown.message, words);
      assert.equal(writer.end(info(writer.id, { status: "failed", error: thrown.error })), null, "run.json still takes the reason");
      const run = readRun(writer.dir);
      assert.deepEqual([run.info.status, run.info.error?.message, run.steps.length], ["failed", thrown.message, 3], "the lines before are kept");
      const restoreInfo = failWrites(code, (file) => file.endsWith("run.json"));
      try {
        assert.throws(
          () => writeAtomic(path.join(writer.dir, "run.json"), "{}"),
          (e: unknown) => e instanceof StoreError && words.test(e.message),
        );
      } finally {
        restoreInfo();
      }
      assert.deepEqual(
        fs.readdirSync(writer.dir).filter((n) => n.endsWith(".tmp")),
        [],
        "no temporary file",
      );
      assert.equal(readRun(writer.dir).info.status, "failed", "the old run.json stands");
    });
  }

  test("(simulated) a read-only run folder: every write and every cleanup fails, end() still returns why, never throws", () => {
    const writer = RunWriter.create(fresh("read-only"), "toy");
    writer.writeInfo(info(writer.id));
    writer.appendMetric(step(1));
    const restore = failWrites("EROFS", (file) => file.startsWith(writer.dir), { cleanups: true });
    try {
      assert.throws(() => writer.appendMetric(step(2)), /cannot write .*metrics\.jsonl: the file system is read-only \(EROFS\)$/);
      assert.throws(() => writer.writeSnapshot({ epoch: 1, step: 2, parameters: [], dynamics: [] }), /snapshots[\\/]2\.json: the file system is read-only/);
      const failed = writer.end(info(writer.id, { status: "failed" }));
      assert.ok(failed instanceof StoreError);
      assert.match(failed.message, /^cannot write .*run\.json: the file system is read-only \(EROFS\)$/);
    } finally {
      restore();
    }
    assert.deepEqual([readRun(writer.dir).info.status, readRun(writer.dir).steps.length], ["running", 1], "what was written stays");
  });

  test("(real) metrics.jsonl replaced by a folder, or removed, mid-run: the next run.json says so", () => {
    for (const [what, replace, words] of [
      ["a folder", (file: string) => (fs.rmSync(file), fs.mkdirSync(file)), "a folder was put in its place"],
      ["another file", (file: string) => (fs.rmSync(file), fs.writeFileSync(file, "")), "another file was put in its place"],
      ["nothing", (file: string) => fs.rmSync(file), "it was removed"],
    ] as const) {
      const writer = RunWriter.create(fresh(`replaced by ${what}`), "toy");
      writer.writeInfo(info(writer.id));
      writer.appendMetric(step(1));
      replace(path.join(writer.dir, "metrics.jsonl"));
      writer.appendMetric(step(2)); // into the old file, which nobody reads any more: caught at the next summary
      assert.throws(
        () => writer.writeInfo(info(writer.id, { epoch: 1 })),
        (e: unknown) => e instanceof StoreError && e.message === `cannot write ${path.join(writer.dir, "metrics.jsonl")}: ${words} while the run wrote it`,
        what,
      );
      writer.end(info(writer.id, { status: "failed" }));
      assert.equal(readRun(writer.dir).info.status, "failed", what);
    }
  });

  test("(real) run.json replaced by a folder: 'a folder is in its place', and no temporary file left", () => {
    const writer = RunWriter.create(fresh("run.json folder"), "toy");
    writer.writeInfo(info(writer.id));
    fs.rmSync(path.join(writer.dir, "run.json"));
    fs.mkdirSync(path.join(writer.dir, "run.json"));
    assert.throws(() => writer.writeInfo(info(writer.id)), /: cannot write .*run\.json: a folder is in its place \(EISDIR\)$/);
    const failed = writer.end(info(writer.id, { status: "failed" }));
    assert.match(failed?.message ?? "", /a folder is in its place/);
    assert.deepEqual(
      fs.readdirSync(writer.dir).filter((n) => n.endsWith(".tmp")),
      [],
    );
  });

  test("a symbolic link or a FIFO where the temporary file goes is replaced, never written through", () => {
    const writer = RunWriter.create(fresh("temporary"), "toy");
    const victim = path.join(ROOT, `victim-${process.pid}.txt`);
    fs.writeFileSync(victim, "untouched");
    fs.symlinkSync(victim, path.join(writer.dir, `run.json.${process.pid}.tmp`));
    spawnSync("mkfifo", [path.join(writer.dir, `summary.json.${process.pid}.tmp`)]);
    writer.writeInfo(info(writer.id)); // run.json, then summary.json: a FIFO opened for writing would block forever
    assert.equal(fs.readFileSync(victim, "utf8"), "untouched");
    assert.equal(readRun(writer.dir).info.id, writer.id);
    writer.close();
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("`unroll train` when the store fails", () => {
  const model = (name: string) => writeLinearExperiment(path.join(ROOT, `${name}.ts`), { name, batches: 3 });
  /** Loaded by every node process of the run through NODE_OPTIONS; acts in the training process only: from the
   *  metrics line $FAULT_AFTER on, writes to metrics.jsonl fail with $FAULT_CODE, and with $FAULT_ALL every write
   *  and removal in the run's folder (a folder gone read-only). */
  const seam = path.join(ROOT, "fault.js");
  fs.writeFileSync(
    seam,
    `const fs = require("node:fs");
if ((process.argv[1] || "").endsWith("train.js")) {
  const { FAULT_CODE: code, FAULT_AFTER: after, FAULT_ALL: all } = process.env;
  const saved = { ...fs };
  let lines = 0, failing = false;
  const where = (fd) => { try { return fs.readlinkSync("/proc/self/fd/" + fd); } catch { return ""; } };
  const fail = (file) => {
    if (failing && (all ? file.includes("/.unroll-runs/") : file.endsWith("metrics.jsonl"))) throw Object.assign(new Error(code + ": injected"), { code });
  };
  fs.writeSync = (fd, ...rest) => {
    const file = where(fd);
    if (file.endsWith("metrics.jsonl") && ++lines >= Number(after)) failing = true;
    fail(file);
    return saved.writeSync(fd, ...rest);
  };
  fs.writeFileSync = (file, ...rest) => (fail(String(file)), saved.writeFileSync(file, ...rest));
  fs.renameSync = (from, to) => (fail(String(to)), saved.renameSync(from, to));
  fs.rmSync = (file, options) => (fail(String(file)), saved.rmSync(file, options));
}
`,
  );
  const RUNS = path.join(ROOT, ".unroll-runs");
  const LIMIT = { timeout: 120_000 };
  const train = (file: string, env: Record<string, string> = {}) =>
    runCli(["train", file, "--runs", RUNS, "--no-check"], { cwd: ROOT, env: { NODE_OPTIONS: `--require ${seam}`, FAULT_AFTER: "5", ...env } });
  const storedRun = (stdout: string) => readRun(path.join(RUNS, /run stored in .*?(\d{8}-\d{6}-[\w.-]+)\n/.exec(stdout)![1]));

  test("(simulated EACCES on metrics.jsonl) exit 1, the file and the reason, run.json failed with it, 4 lines kept", LIMIT, async () => {
    const out = await train(model("denied"), { FAULT_CODE: "EACCES" });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /^denied\.ts: cannot write .*[\\/]metrics\.jsonl: permission denied \(EACCES\)$/m);
    assert.doesNotMatch(out.stderr, /^\s+at /m, "no stack trace");
    assert.match(out.stdout, /failed after \d+\/1000000 epochs/);
    const run = storedRun(out.stdout);
    assert.equal(run.info.status, "failed");
    assert.match(run.info.error?.message ?? "", /metrics\.jsonl: permission denied \(EACCES\)$/);
    assert.equal(run.steps.length + run.epochs.length, 4, "every line before the failing one");
  });

  test("(simulated ENOSPC) the disk is full, said the same way", LIMIT, async () => {
    const out = await train(model("full"), { FAULT_CODE: "ENOSPC" });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /^full\.ts: the disk is full: cannot write .*metrics\.jsonl \(ENOSPC\)/m);
    const run = storedRun(out.stdout);
    assert.deepEqual([run.info.status, run.info.error?.kind], ["failed", "store"]);
    assert.ok(!fs.existsSync(path.join(run.dir, ".reserve")), "the reserve was freed for the last run.json");
  });

  test("(simulated) the run's folder read-only mid-run, cleanups failing too: exit 1 with the reason, never 70", LIMIT, async () => {
    const out = await train(model("readonly"), { FAULT_CODE: "EROFS", FAULT_ALL: "1" });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /^readonly\.ts: cannot write .*metrics\.jsonl: the file system is read-only \(EROFS\)$/m);
    assert.doesNotMatch(out.stderr, /^\s+at /m);
    const run = storedRun(out.stdout);
    assert.equal(run.info.status, "interrupted", "run.json could not be marked: it reads as a run whose process is gone");
    assert.equal(run.steps.length + run.epochs.length, 4);
  });

  test("a runs folder that is a FIFO, or a repository's .unroll/runs linking to a file: exit 1 at once, no run", LIMIT, async () => {
    const fifo = path.join(ROOT, "fifo-runs");
    spawnSync("mkfifo", [fifo]);
    const viaOption = await runCli(["train", model("fifo"), "--runs", fifo, "--no-check"], { cwd: ROOT });
    assert.equal(viaOption.code, 1, viaOption.stderr);
    assert.match(viaOption.stderr, new RegExp(`^fifo\\.ts: cannot create run folder: ${escape(fifo)} is a FIFO \\(named pipe\\)$`, "m"));
    assert.ok(fs.lstatSync(fifo).isFIFO());

    const repo = path.join(ROOT, "repo 仓库");
    fs.mkdirSync(path.join(repo, ".unroll"), { recursive: true });
    fs.writeFileSync(path.join(repo, "notes.txt"), "mine");
    fs.symlinkSync(path.join(repo, "notes.txt"), path.join(repo, ".unroll", "runs"));
    const file = path.join(repo, "模型.ts");
    fs.copyFileSync(model("repo"), file);
    const byDefault = await runCli(["train", file, "--no-check"]);
    assert.equal(byDefault.code, 1, byDefault.stderr);
    assert.match(byDefault.stderr, /cannot create run folder: .*[\\/]\.unroll[\\/]runs is a symbolic link to a file$/m);
    assert.doesNotMatch(byDefault.stdout, /run stored in/);
    assert.equal(fs.readFileSync(path.join(repo, "notes.txt"), "utf8"), "mine");
  });
});
