// The type check's limits (src/runner/typecheck-client.ts, typecheck-process.ts): type bombs — ten-line types that
// make TypeScript allocate gigabytes — stop the check at its memory or time limit, say so, and `unroll check`,
// `run`, `trace` and `train` go on. The limits are set small through their environment variables; no test reads a
// clock: each waits for the command (or the process) to end.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkFiles, MEMORY_ENV, TIME_ENV, type CheckOutcome } from "../../src/runner/typecheck-client";
import { PARENT_ENV } from "../../src/runner/typecheck-protocol";
import { runCli } from "./helpers";

const ROOT = path.join(__dirname, "../../..");
const ENTRY = path.join(ROOT, "dist/typecheck.js");
const LONG = { timeout: 600_000 }; // a bomb runs until its limit: seconds here, minutes on a loaded machine

/** Each of these makes TypeScript 5.9 use gigabytes over a minute or more (measured: 4 GB in 60 s for the first). */
const BOMBS: Record<string, string[]> = {
  "template-literal union": [
    'type D = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";',
    "type N = `${D}${D}${D}${D}`; // 10,000 members",
    "type Pairs = { [K in N]: { [J in N]: `${K}-${J}` } }[N];",
    'const bomb = "x" as Pairs;',
  ],
  "recursive conditional": [
    'type Perm<U extends string, R extends string = U> = [U] extends [never] ? "" : U extends U ? `${U}${Perm<Exclude<R, U>>}` : never;',
    'type Orders = Perm<"a" | "b" | "c" | "d" | "e" | "f" | "g" | "h">; // 40,320 members',
    "type Pairs = { [K in Orders]: { [J in Orders]: [K, J] } }[Orders];",
    'const bomb = "x" as Pairs;',
  ],
  "huge tuple": [
    'type Count<N extends number, R extends number[] = []> = R["length"] extends N ? R : Count<N, [...R, R["length"]]>;',
    "type Keys = `${Count<999>[number]}${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}`; // a 999-tuple's members ×10",
    "type Pairs = { [K in Keys]: { [J in Keys]: [K, J] } }[Keys];",
    'const bomb = "x" as Pairs;',
  ],
};

const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), "unroll-check-limits-"));

/** A scratchpad that prints `ran torch.Size([2, 3])` after the bomb `kind`. */
function bombFile(dir: string, kind: string, name = "循环 网络(1) 🧪.ts"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['import { torch } from "unroll";', ...BOMBS[kind], 'console.log("ran", torch.zeros([2, 3]).shape, typeof bomb);'].join("\n"));
  return file;
}

const MEMORY = { [MEMORY_ENV]: "200", [TIME_ENV]: "0" }; // a clean file takes under 150 MB
const TIME = { [MEMORY_ENV]: "0", [TIME_ENV]: "2" };

describe("the type check's limits", () => {
  test("checkFiles: each bomb stops at the memory limit; the files after it are checked by a fresh process", LONG, async () => {
    const dir = folder();
    const clean = path.join(dir, "clean.ts");
    fs.writeFileSync(clean, 'import { torch } from "unroll";\nconst n: number = "one";\nconsole.log(n, torch.zeros([1]).shape);\n');
    const bombs = Object.keys(BOMBS).map((kind, i) => bombFile(dir, kind, `bomb ${i}.ts`));
    const files = [bombs[0], clean, bombs[1], bombs[2], path.join(dir, "missing.ts")];
    const outcomes: [string, CheckOutcome][] = [];
    await checkFiles(files, (file, outcome) => outcomes.push([file, outcome]), { memoryMb: 200, seconds: 0 }, ENTRY);
    assert.deepEqual(
      outcomes.map(([file]) => file),
      files,
    );
    for (const i of [0, 2, 3])
      assert.deepEqual(outcomes[i][1], { stopped: "more than 200 MB of memory", hint: `$${MEMORY_ENV} raises the limit; 0: none` }, files[i]);
    const checked = outcomes[1][1];
    assert.ok("diagnostics" in checked, JSON.stringify(checked));
    assert.deepEqual(
      checked.diagnostics.map((d) => [d.line, d.code]),
      [[2, 2322]],
    );
    assert.deepEqual(outcomes[4][1], { error: "no such file" });
  });

  test("checkFiles: a bomb stops at the time limit", LONG, async () => {
    const file = bombFile(folder(), "huge tuple");
    const outcomes: CheckOutcome[] = [];
    await checkFiles([file], (_, outcome) => outcomes.push(outcome), { memoryMb: 0, seconds: 1.5 }, ENTRY);
    assert.deepEqual(outcomes, [{ stopped: "more than 1.5 s", hint: `$${TIME_ENV} raises the limit; 0: none` }]);
  });

  test("unroll check: says which file stopped and why, prints the others' errors, exits with 3", LONG, async () => {
    const dir = folder();
    bombFile(dir, "template-literal union");
    fs.writeFileSync(path.join(dir, "typo.ts"), "const n: number = 'one';\n");
    const { code, stdout, stderr } = await runCli(["check", "typo.ts", "循环 网络(1) 🧪.ts"], { cwd: dir, env: MEMORY });
    assert.equal(code, 3, stderr);
    assert.equal(stderr, `unroll: type check of 循环 网络(1) 🧪.ts stopped: more than 200 MB of memory ($${MEMORY_ENV} raises the limit; 0: none)\n`);
    assert.match(stdout, /^typo\.ts:1:7: error TS2322/m);
  });

  test("unroll check: a check past its time limit says so and exits with 3", LONG, async () => {
    const dir = folder();
    bombFile(dir, "huge tuple");
    const { code, stdout, stderr } = await runCli(["check", "循环 网络(1) 🧪.ts"], { cwd: dir, env: TIME });
    assert.equal(code, 3, stderr);
    assert.equal(stdout, "");
    assert.equal(stderr, `unroll: type check of 循环 网络(1) 🧪.ts stopped: more than 2 s ($${TIME_ENV} raises the limit; 0: none)\n`);
  });

  test("unroll run: the check stops at its time limit, the program runs and its exit code is its own", LONG, async () => {
    const dir = folder();
    bombFile(dir, "recursive conditional");
    const { code, stdout, stderr } = await runCli(["run", "循环 网络(1) 🧪.ts"], { cwd: dir, env: TIME });
    assert.equal(code, 0, stderr);
    assert.equal(stdout, "ran torch.Size([2, 3]) string\n");
    assert.match(
      stderr,
      new RegExp(`^unroll: type check stopped: more than 2 s; the program runs without it \\(\\$${TIME_ENV} raises the limit; 0: none\\)$`, "m"),
    );
  });

  test("unroll trace --json: the check stops at its time limit, stdout is still the trace", LONG, async () => {
    const dir = folder();
    bombFile(dir, "template-literal union");
    const { code, stdout, stderr } = await runCli(["trace", "--json", "循环 网络(1) 🧪.ts"], { cwd: dir, env: TIME });
    assert.equal(code, 0, stderr);
    const trace = JSON.parse(stdout) as { entries: { name: string }[] };
    assert.deepEqual(
      trace.entries.map((e) => e.name),
      ["zeros"],
    );
    assert.match(stderr, /^unroll: type check stopped: more than 2 s; the program runs without it/m);
  });

  test("unroll train: the check stops, the training runs to its end", LONG, async () => {
    const dir = folder();
    const source = [
      'import { defineExperiment, nn, optim, torch } from "unroll";',
      ...BOMBS["huge tuple"],
      "export default defineExperiment({",
      "  epochs: 2,",
      "  model: () => new nn.Linear(3, 2),",
      "  data: () => ({ train: [[torch.randn([4, 3]), torch.tensor([0, 1, 0, 1])]] }),",
      "  loss: () => new nn.CrossEntropyLoss(),",
      "  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),",
      "});",
    ];
    fs.writeFileSync(path.join(dir, "bomb 实验.ts"), source.join("\n"));
    const { code, stdout, stderr } = await runCli(["train", "bomb 实验.ts", "--runs", path.join(dir, "runs")], { cwd: dir, env: TIME });
    assert.equal(code, 0, stdout + stderr);
    assert.match(stderr, /^unroll: type check stopped: more than 2 s; the program runs without it/m);
    assert.match(stdout, /^epoch 2\/2 /m);
    assert.match(stdout, /^run stored in /m);
  });

  test("the check's process ends when the process that started it is killed", LONG, async () => {
    const file = bombFile(folder(), "template-literal union");
    // A parent that forks the check as typecheck-client.ts does and prints its pid; killed, it cannot end its child.
    const env = `{ ...process.env, ${PARENT_ENV}: String(process.pid) }`;
    const script = `const c = require("node:child_process").fork(${JSON.stringify(ENTRY)}, [${JSON.stringify(file)}], { stdio: "ignore", env: ${env} }); console.log(c.pid);`;
    const parent = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
    assert.ok(alive(pid), "the check runs");
    parent.kill("SIGKILL");
    while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 200));
  });
});

/** Whether `pid` runs (a zombie, ended but not yet reaped by whoever adopted it, does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
