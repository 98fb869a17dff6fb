// The type check's cache (src/runner/typecheck-cache.ts) and the check beside the program (src/cli/check.ts):
// a hit gives the stored result only while every file the check read holds the same text; a corrupt or foreign
// entry is a miss; `unroll run`, `trace` and `train` print the errors at their file:line:col whether the check
// came from the cache or from its process, and exit with 1 after them. No test reads a clock: a hit is told from
// a miss by a check limit that no process could meet ($UNROLL_CHECK_TIMEOUT of a millisecond).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheFolder, CheckCache, textHash, type Source } from "../../src/runner/typecheck-cache";
import { checkFiles, TIME_ENV, type CheckOutcome } from "../../src/runner/typecheck-client";
import { runCli } from "./helpers";

const ROOT = path.join(__dirname, "../../..");
const ENTRY = path.join(ROOT, "dist/typecheck.js");
const DECLARATIONS = path.join(ROOT, "dist/types/index.d.ts");
const LONG = { timeout: 300_000 };

const folder = (prefix = "unroll-cache-test-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
/** A check limit no process meets: what a run prints with it came from the cache. */
const NO_PROCESS = { [TIME_ENV]: "0.001" };
/** No time limit: a check on a machine loaded beyond its 60 s must still give its errors. */
const UNLIMITED = { [TIME_ENV]: "0" };

const SCRATCHPAD = ['import { torch } from "unroll";', 'const label: number = "shape";', "console.log(label, torch.zeros([2, 3]).shape);"];
const TS2322 = /^循环 网络\(1\) 🧪\.ts:2:7: error TS2322: Type 'string' is not assignable to type 'number'\.$/m;

function write(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join("\n"));
  return file;
}

/** A stored check of `file` as the checker would give it: one diagnostic, the file itself as the only source. */
function storeOne(cache: CheckCache, file: string, since = 0): void {
  const sources: Source[] = [[file, textHash(fs.readFileSync(file, "utf8"))]];
  cache.store(file, { diagnostics: [{ file, line: 2, column: 7, code: 2322, message: "m" }], sources }, since);
}

describe("CheckCache", () => {
  test("the folder: $UNROLL_CACHE_DIR, else $XDG_CACHE_HOME/unroll, else ~/.cache/unroll; 0 turns it off", () => {
    assert.equal(cacheFolder({ UNROLL_CACHE_DIR: "/tmp/x y" }), "/tmp/x y");
    assert.equal(cacheFolder({ XDG_CACHE_HOME: "/tmp/xdg" }), "/tmp/xdg/unroll");
    assert.equal(cacheFolder({}), path.join(os.homedir(), ".cache/unroll"));
    assert.equal(cacheFolder({ UNROLL_CACHE_DIR: "0", XDG_CACHE_HOME: "/tmp/xdg" }), null);
    assert.equal(CheckCache.fromEnv(ENTRY, DECLARATIONS, { UNROLL_CACHE_DIR: "0" }), null);
  });

  test("a hit while the text is the same (a touch is not a change); a miss once it changes", () => {
    const cacheDir = folder();
    const cache = new CheckCache(cacheDir, ENTRY, DECLARATIONS);
    const file = write(folder(), "循环 网络(1) 🧪.ts", SCRATCHPAD);
    assert.equal(cache.lookup(file), null);
    storeOne(cache, file);
    assert.deepEqual(cache.lookup(file), { diagnostics: [{ file, line: 2, column: 7, code: 2322, message: "m" }] });
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.ok(cache.lookup(file), "same text, new time: still a hit");
    const [entry] = fs.readdirSync(cacheDir);
    const stored = JSON.parse(fs.readFileSync(path.join(cacheDir, entry), "utf8")) as { sources: [string, string, number, number][] };
    assert.equal(stored.sources[0][3], fs.statSync(file).mtimeMs, "the new time is kept: the next lookup hashes nothing");
    write(path.dirname(file), "循环 网络(1) 🧪.ts", [...SCRATCHPAD, "// edited"]);
    assert.equal(cache.lookup(file), null);
    fs.rmSync(file);
    assert.equal(cache.lookup(file), null, "a file gone is a miss, not an error");
  });

  test("another checker (a rebuilt dist/typecheck.js) does not see the entries of the last", () => {
    const dir = folder();
    const checker = write(dir, "typecheck.js", ["// one"]);
    const file = write(dir, "model.ts", SCRATCHPAD);
    storeOne(new CheckCache(path.join(dir, "cache"), checker, DECLARATIONS), file);
    assert.ok(new CheckCache(path.join(dir, "cache"), checker, DECLARATIONS).lookup(file));
    write(dir, "typecheck.js", ["// two, longer"]);
    assert.equal(new CheckCache(path.join(dir, "cache"), checker, DECLARATIONS).lookup(file), null);
  });

  test("not kept: a file saved during the check, an unresolved import (a file made later may resolve it), an error", () => {
    const dir = folder();
    const cache = new CheckCache(path.join(dir, "cache"), ENTRY, DECLARATIONS);
    const file = write(dir, "model.ts", SCRATCHPAD);
    const checkedText: Source[] = [[file, textHash("the text before the save")]];
    cache.store(file, { diagnostics: [], sources: checkedText }, Date.now());
    assert.equal(cache.lookup(file), null);
    const sources: Source[] = [[file, textHash(fs.readFileSync(file, "utf8"))]];
    cache.store(file, { diagnostics: [{ file, line: 1, column: 1, code: 2307, message: "Cannot find module './helper'" }], sources }, 0);
    assert.equal(cache.lookup(file), null);
    cache.store(file, { error: "no such file" }, 0);
    assert.equal(cache.lookup(file), null);
    assert.equal(fs.existsSync(path.join(dir, "cache")), false, "nothing written");
  });

  test("corrupt, truncated, foreign or oversized entries are misses, and never throw", () => {
    const cacheDir = folder();
    const cache = new CheckCache(cacheDir, ENTRY, DECLARATIONS);
    const file = write(folder(), "model.ts", SCRATCHPAD);
    storeOne(cache, file);
    const [entry] = fs.readdirSync(cacheDir).map((f) => path.join(cacheDir, f));
    const good = fs.readFileSync(entry, "utf8");
    const parsed = JSON.parse(good) as Record<string, unknown>;
    const bad = [
      "",
      good.slice(0, good.length / 2),
      "\u0000\uFFFD garbage 循环",
      "null",
      "[]",
      JSON.stringify({ ...parsed, format: 99 }),
      JSON.stringify({ ...parsed, key: "another file" }),
      JSON.stringify({ ...parsed, diagnostics: [{ file, line: "2" }] }),
      JSON.stringify({ ...parsed, diagnostics: "none" }),
      JSON.stringify({ ...parsed, sources: [] }),
      JSON.stringify({ ...parsed, sources: [[file, 5, 1, 1]] }),
      JSON.stringify({ ...parsed, sources: [["/etc/passwd", "x", 1, 1]] }),
    ];
    for (const text of bad) {
      fs.writeFileSync(entry, text);
      assert.equal(cache.lookup(file), null, text.slice(0, 80));
    }
    fs.writeFileSync(entry, good + " ".repeat(9 << 20)); // past the size an entry can have: not read
    assert.equal(cache.lookup(file), null);
    fs.rmSync(entry);
    fs.mkdirSync(entry); // a folder where the entry goes: a miss, and storing over it fails quietly
    assert.equal(cache.lookup(file), null);
    storeOne(cache, file);
    fs.writeFileSync(path.join(cacheDir, "x"), "");
    const blocked = new CheckCache(path.join(cacheDir, "x", "under a file"), ENTRY, DECLARATIONS);
    storeOne(blocked, file); // cannot make its folder: nothing thrown
    assert.equal(blocked.lookup(file), null);
  });
});

describe("checkFiles with the cache", () => {
  test("a cached outcome is given at once, before checkFiles returns; the others in order, from the process", LONG, async () => {
    const dir = folder();
    const cache = new CheckCache(path.join(dir, "cache"), ENTRY, DECLARATIONS);
    const typo = write(dir, "typo.ts", ["const n: number = 'one';"]);
    const clean = write(dir, "clean.ts", ["export const n = 1;"]);
    const first: [string, CheckOutcome][] = [];
    await checkFiles([typo, clean], (file, outcome) => first.push([file, outcome]), { memoryMb: 0, seconds: 0 }, ENTRY, cache);
    assert.deepEqual(
      first.map(([file, o]) => [file, "diagnostics" in o && o.diagnostics.map((d) => `${d.line}:${d.column} TS${d.code}`)]),
      [
        [typo, ["1:7 TS2322"]],
        [clean, []],
      ],
    );
    write(dir, "clean.ts", ["export const n: string = 1;"]);
    const second: [string, CheckOutcome][] = [];
    const done = checkFiles([typo, clean], (file, outcome) => second.push([file, outcome]), { memoryMb: 0, seconds: 0 }, ENTRY, cache);
    assert.deepEqual(second, [first[0]], "the unchanged file's outcome, synchronously");
    await done;
    assert.equal(second.length, 2);
    const changed = second[1][1];
    assert.ok("diagnostics" in changed);
    assert.deepEqual(
      changed.diagnostics.map((d) => [d.line, d.column, d.code]),
      [[1, 14, 2322]],
    );
  });
});

describe("the check beside the program", () => {
  test("unroll run: type errors printed at file:line:col from the process, then from the cache; exit 1 after the output", LONG, async () => {
    const dir = folder();
    write(dir, "循环 网络(1) 🧪.ts", SCRATCHPAD);
    const env = { UNROLL_CACHE_DIR: path.join(dir, "cache"), ...UNLIMITED };
    const miss = await runCli(["run", "循环 网络(1) 🧪.ts"], { cwd: dir, env });
    assert.equal(miss.code, 1, miss.stderr);
    assert.equal(miss.stdout, "shape torch.Size([2, 3])\n");
    assert.match(miss.stderr, TS2322);
    assert.match(miss.stderr, /^unroll: 1 type error; the program runs anyway, and the command exits with 1/m);
    assert.equal(fs.readdirSync(path.join(dir, "cache", "check")).length, 1, "the check was kept");

    const hit = await runCli(["run", "循环 网络(1) 🧪.ts"], { cwd: dir, env: { ...env, ...NO_PROCESS } });
    assert.deepEqual(hit, miss, "the same errors and exit code, with no check process (it could not have met the limit)");

    const [entry] = fs.readdirSync(path.join(dir, "cache", "check"));
    fs.writeFileSync(path.join(dir, "cache", "check", entry), "{ corrupt");
    const corrupt = await runCli(["run", "循环 网络(1) 🧪.ts"], { cwd: dir, env });
    assert.deepEqual(corrupt, miss, "a corrupt entry: checked again");
  });

  test("a program that fails keeps its own exit code and message; the type errors are printed too", LONG, async () => {
    const dir = folder();
    write(dir, "循环 网络(1) 🧪.ts", [...SCRATCHPAD, 'throw new Error("boom");']);
    const { code, stdout, stderr } = await runCli(["run", "循环 网络(1) 🧪.ts"], { cwd: dir, env: UNLIMITED });
    assert.equal(code, 1);
    assert.equal(stdout, "shape torch.Size([2, 3])\n");
    assert.match(stderr, TS2322);
    assert.match(stderr, /^循环 网络\(1\) 🧪\.ts:4:\d+: boom$/m);
  });

  test("unroll train: the errors are printed during training, the run is stored, and the command exits with 1", LONG, async () => {
    const dir = folder();
    const source = [
      'import { defineExperiment, nn, optim, torch } from "unroll";',
      'const label: number = "shape";',
      "console.log(label);",
      "export default defineExperiment({",
      "  epochs: 1,",
      "  model: () => new nn.Linear(3, 2),",
      "  data: () => ({ train: [[torch.randn([4, 3]), torch.tensor([0, 1, 0, 1])]] }),",
      "  loss: () => new nn.CrossEntropyLoss(),",
      "  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),",
      "});",
    ];
    write(dir, "循环 网络(1) 🧪.ts", source);
    const { code, stdout, stderr } = await runCli(["train", "循环 网络(1) 🧪.ts", "--runs", path.join(dir, "runs")], { cwd: dir, env: UNLIMITED });
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, TS2322);
    assert.match(stdout, /^epoch 1\/1 /m);
    assert.match(stdout, /^run stored in /m);
  });
});
