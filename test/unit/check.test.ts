// Type checks of model files (src/runner/typecheck.ts) against the shipped declarations (dist/types, from
// `npm run build:types`), and `unroll check` / the check before `run` and `trace` (dist/cli.js).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Checker, type CheckResult, type TypeDiagnostic } from "../../src/runner/typecheck";
import { runCli } from "./helpers";

const ROOT = path.join(__dirname, "../../..");
const checker = new Checker(path.join(ROOT, "dist/types/index.d.ts"));

/** A fresh folder with no node_modules and no tsconfig.json anywhere above it (the system temp folder). */
const bareFolder = () => fs.mkdtempSync(path.join(os.tmpdir(), "unroll-check-"));

function write(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join("\n"));
  return file;
}

function diagnostics(result: CheckResult): TypeDiagnostic[] {
  assert.ok("diagnostics" in result, `expected diagnostics, got ${JSON.stringify(result)}`);
  return result.diagnostics;
}

/** 1-based line and column of the first `needle` on the line that contains `lineMark`. */
function position(lines: string[], lineMark: string, needle: string): { line: number; column: number } {
  const index = lines.findIndex((l) => l.includes(lineMark));
  return { line: index + 1, column: lines[index].indexOf(needle) + 1 };
}

const MODEL = [
  'import { nn, torch } from "unroll";',
  "",
  'const n: number = "x";',
  'const lstm = new nn.LSTM(50, "100");',
  "const [out] = lstm.forward(torch.randn([5, 3, 50]));",
  "console.log(n, out.shape);",
];

describe("Checker", () => {
  test("a string where a number goes: TS2322 and TS2345 at their line and column", () => {
    const file = write(bareFolder(), "model.ts", MODEL);
    const found = diagnostics(checker.check(file));
    assert.deepEqual(
      found.map(({ file, line, column, code }) => ({ file, line, column, code })),
      [
        { file, ...position(MODEL, "const n", "n:"), code: 2322 },
        { file, ...position(MODEL, "nn.LSTM", '"100"'), code: 2345 },
      ],
    );
    assert.equal(found[0].message, "Type 'string' is not assignable to type 'number'.");
    assert.match(found[1].message, /Argument of type 'string' is not assignable to parameter of type 'number'/);
  });

  test("the examples type-check cleanly", () => {
    const examples = fs.readdirSync(path.join(ROOT, "examples")).filter((f) => f.endsWith(".ts"));
    assert.ok(examples.length >= 10);
    for (const name of examples) assert.deepEqual(diagnostics(checker.check(path.join(ROOT, "examples", name))), [], name);
  });

  for (const name of ["循环神经网络 (1).ts", "my model 🚀 #2 (copy) & 'quotes'.ts"]) {
    test(`"unroll" resolves in a bare folder, and positions are right in ${name}`, () => {
      const lines = [
        'import { nn } from "unroll"; // 循环神经网络 🚀',
        'const 名字 = "🚀🚀"; const bad: string = new nn.GRU(10, 20).hiddenSize;',
        "const missing = nn.NoSuchLayer;",
      ];
      const file = write(bareFolder(), name, lines);
      const found = diagnostics(checker.check(file));
      assert.deepEqual(
        found.map(({ file, line, column, code }) => ({ file, line, column, code })),
        [
          { file, ...position(lines, "名字", "bad"), code: 2322 }, // columns in UTF-16 units, as editors count
          { file, ...position(lines, "missing", "NoSuchLayer"), code: 2339 },
        ],
      );
    });
  }

  test("errors in a file the model imports are reported there; syntax errors too", () => {
    const dir = bareFolder();
    const helper = write(dir, "helper.ts", ["export const size: number = 'ten';"]);
    const file = write(dir, "model.ts", ['import { size } from "./helper";', "const x = ;", "console.log(size, x);"]);
    const found = diagnostics(checker.check(file));
    assert.deepEqual(
      found.map(({ file, line, column, code }) => ({ file, line, column, code })),
      [
        { file, line: 2, column: 11, code: 1109 }, // the file asked for comes first
        { file: helper, line: 1, column: 14, code: 2322 },
      ],
    );
  });

  test("a saved change is seen by the next check of the same checker", () => {
    const file = write(bareFolder(), "model.ts", MODEL);
    assert.equal(diagnostics(checker.check(file)).length, 2);
    write(
      path.dirname(file),
      "model.ts",
      MODEL.map((l) => l.replace('"x"', "1").replace('"100"', "100")),
    );
    assert.deepEqual(diagnostics(checker.check(file)), []);
  });

  test("what cannot be checked says why, and never throws", () => {
    const dir = bareFolder();
    const binary = path.join(dir, "weights.ts");
    fs.writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x1a]));
    fs.mkdirSync(path.join(dir, "folder.ts"));
    const cases: [string, RegExp][] = [
      [path.join(dir, "missing.ts"), /^no such file$/],
      [path.join(dir, "folder.ts"), /^is a directory$/],
      [binary, /^is not a text file/],
      [write(dir, "model.js", ["const x = 1;"]), /^is not a TypeScript file/],
      ["/dev/null", /^is not a regular file$/],
    ];
    for (const [file, why] of cases) {
      const result = checker.check(file);
      assert.ok("error" in result, `${file}: ${JSON.stringify(result)}`);
      assert.match(result.error, why);
    }
  });
});

const cli = (args: string[], cwd = ROOT) => runCli(args, { cwd });

describe("unroll check", () => {
  test("prints file:line:col: error TSnnnn: message, relative to the working directory, and exits with 1", async () => {
    const dir = bareFolder();
    write(dir, "循环神经网络 (1).ts", MODEL);
    const { code, stdout, stderr } = await cli(["check", "循环神经网络 (1).ts"], dir);
    assert.equal(code, 1, stderr);
    assert.deepEqual(stdout.trimEnd().split("\n"), [
      "循环神经网络 (1).ts:3:7: error TS2322: Type 'string' is not assignable to type 'number'.",
      `循环神经网络 (1).ts:4:30: error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.`,
    ]);
  });

  test("clean files: no output, exit code 0", async () => {
    const { code, stdout, stderr } = await cli(["check", "examples/02_rnn.ts", "examples/06_names_classifier.ts"]);
    assert.equal(code, 0, stdout + stderr);
    assert.equal(stdout + stderr, "");
  });

  test("a model file that imports node:fs checks cleanly from any working directory (@types/node found from the file)", async () => {
    const file = path.join(ROOT, "examples/06_names_classifier.ts");
    const { code, stdout, stderr } = await cli(["check", file], bareFolder());
    assert.equal(code, 0, stdout + stderr);
  });

  test("a copy of the names classifier in a bare folder checks cleanly: node:fs, __dirname from Node's shipped types", async () => {
    const dir = bareFolder();
    fs.copyFileSync(path.join(ROOT, "examples/06_names_classifier.ts"), path.join(dir, "名字 (1).ts"));
    write(dir, "typo.ts", ['import * as fs from "node:fs";', "const size: string = fs.statSync(__filename).size;"]);
    assert.deepEqual(await cli(["check", "名字 (1).ts"], dir), { code: 0, stdout: "", stderr: "" });
    const typo = await cli(["check", "typo.ts"], dir);
    assert.match(typo.stdout, /^typo\.ts:2:7: error TS2322: Type 'number' is not assignable to type 'string'\.$/m, "Node's types are real, not any");
  });

  test("bad usage exits with 2: no file, a missing file, a directory (the other files are still checked)", async () => {
    const dir = bareFolder();
    write(dir, "bad.ts", MODEL);
    assert.equal((await cli(["check"], dir)).code, 2);
    const { code, stdout, stderr } = await cli(["check", "missing.ts", ".", "bad.ts"], dir);
    assert.equal(code, 2);
    assert.match(stderr, /^unroll: cannot check missing\.ts: no such file$/m);
    assert.match(stderr, /^unroll: cannot check \.: is a directory$/m);
    assert.match(stdout, /^bad\.ts:3:7: error TS2322/m);
  });
});

describe("the check before running", () => {
  const SCRATCHPAD = ['import { torch } from "unroll";', 'const label: number = "shape";', "console.log(label, torch.zeros([2, 3]).shape);"];

  test("unroll run prints the type errors to stderr, runs, and exits with 1; --no-check skips them", async () => {
    const dir = bareFolder();
    write(dir, "scratch pad.ts", SCRATCHPAD);
    const checked = await cli(["run", "scratch pad.ts"], dir);
    assert.equal(checked.code, 1, checked.stderr);
    assert.match(checked.stderr, /^scratch pad\.ts:2:7: error TS2322: Type 'string' is not assignable to type 'number'\.$/m);
    assert.match(checked.stderr, /1 type error; the program runs anyway, and the command exits with 1/);
    assert.equal(checked.stdout, "shape torch.Size([2, 3])\n");
    const unchecked = await cli(["run", "--no-check", "scratch pad.ts"], dir);
    assert.equal(unchecked.code, 0, unchecked.stderr);
    assert.doesNotMatch(unchecked.stderr, /TS2322/);
    assert.equal(unchecked.stdout, "shape torch.Size([2, 3])\n");
  });

  test("unroll trace --json keeps stdout one JSON document; the type errors go to stderr (exit code 1)", async () => {
    const dir = bareFolder();
    write(dir, "trace me.ts", SCRATCHPAD);
    const { code, stdout, stderr } = await cli(["trace", "--json", "trace me.ts"], dir);
    assert.equal(code, 1, stderr);
    const trace = JSON.parse(stdout) as { entries: { name: string }[] };
    assert.ok(
      trace.entries.some((e) => e.name === "zeros"),
      stdout,
    );
    assert.match(stderr, /^trace me\.ts:2:7: error TS2322/m);
  });
});
