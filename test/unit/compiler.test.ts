// The model-file compiler (src/runner/compiler.ts): esbuild-wasm, where esbuild's native binary is missing (the
// untargeted .vsix on other platforms), compiles what the native one compiles, with the same positions in errors
// and stack traces, without a `node` on PATH. $UNROLL_COMPILER=wasm stands in for the missing binary.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveImport } from "../../src/runner/compiler";
import { killCliRuns, runCli } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-compiler-"));
const DIR = path.join(ROOT, "循环 网络(1) 🧪");
fs.mkdirSync(path.join(DIR, "lib"), { recursive: true });
after(() => {
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(DIR, name), text);
  return path.join(DIR, name);
};

write("lib/index.ts", `export const HIDDEN: number = 5;\n`);
write("sizes.json", `{ "input": 3 }\n`);
write(
  "helpers.ts",
  `import { nn } from "unroll";
import { HIDDEN } from "./lib";
import sizes from "./sizes.json";
export function makeRnn(): nn.RNN {
  return new nn.RNN(sizes.input, HIDDEN);
}
export function fail(): never {
  throw new Error("failed in helpers");
}
`,
);
const MODEL = write(
  "模型 (a).ts",
  `import { torch } from "unroll";
import { fail, makeRnn } from "./helpers.js";
const [out, h] = makeRnn().forward(torch.randn([4, 2, 3]));
console.log(\`out \${out.shape} h \${h.shape}\`);
if (process.env.FAIL) fail();
`,
);
const BROKEN = write("broken.ts", `const a = 1;\nconst b: number = ;\n`);

const WASM = { UNROLL_COMPILER: "wasm", PATH: path.join(ROOT, "no-node-here") };

describe("compiling model files without esbuild's native binary (esbuild-wasm)", () => {
  test("resolveImport finds what esbuild finds: extensions, ./a.js naming a.ts, folders' index, nothing", () => {
    assert.equal(resolveImport("./helpers", DIR), path.join(DIR, "helpers.ts"));
    assert.equal(resolveImport("./helpers.js", DIR), path.join(DIR, "helpers.ts"));
    assert.equal(resolveImport("./lib", DIR), path.join(DIR, "lib/index.ts"));
    assert.equal(resolveImport("./sizes.json", DIR), path.join(DIR, "sizes.json"));
    assert.equal(resolveImport(MODEL, "/"), MODEL);
    assert.equal(resolveImport("./missing", DIR), undefined);
    assert.equal(resolveImport("./lib/", DIR), path.join(DIR, "lib/index.ts"));
    assert.equal(resolveImport("./helpers.ts/index", DIR), undefined, "a path through a file");
    assert.equal(resolveImport("./\0", DIR), undefined, "a name no file system has");
  });

  test("a model file importing .ts, a folder and JSON runs as with the native compiler, with no node on PATH", { timeout: 120_000 }, async () => {
    const [native, wasm] = await Promise.all([runCli(["run", "--no-check", MODEL]), runCli(["run", "--no-check", MODEL], { env: WASM })]);
    assert.equal(native.code, 0, native.stderr);
    assert.equal(wasm.code, 0, wasm.stderr);
    assert.equal(native.stdout, "out torch.Size([4, 2, 5]) h torch.Size([1, 2, 5])\n");
    assert.equal(wasm.stdout, native.stdout);
  });

  test("a syntax error: the same file:line:col and message", { timeout: 120_000 }, async () => {
    const [native, wasm] = await Promise.all([runCli(["run", "--no-check", BROKEN]), runCli(["run", "--no-check", BROKEN], { env: WASM })]);
    assert.notEqual(native.code, 0);
    assert.match(native.stderr, /broken\.ts:2:19: Unexpected ";"/);
    assert.equal(wasm.code, native.code);
    assert.equal(wasm.stderr, native.stderr);
  });

  test("an error thrown in an imported file: the same .ts positions on both", { timeout: 120_000 }, async () => {
    const env = { FAIL: "1" };
    const [native, wasm] = await Promise.all([
      runCli(["run", "--no-check", MODEL], { env }),
      runCli(["run", "--no-check", MODEL], { env: { ...env, ...WASM } }),
    ]);
    assert.equal(native.code, 1);
    assert.match(native.stderr, /模型 \(a\)\.ts:5:23: failed in helpers/); // the call in the model file
    assert.equal(wasm.code, 1);
    assert.equal(wasm.stderr, native.stderr);
  });
});
