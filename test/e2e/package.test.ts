// The .vsix itself (`npm run package`): lean, holding what the installed extension needs and nothing of the
// sources, and working from its own files: unpacked into an empty folder, its CLI traces and trains a model
// file with the esbuild and the wasm binaries it ships (no node_modules of the repository within reach).
// Two packages: the untargeted one without native kernels, and this machine's (linux-x64) with its prebuilt
// variants of them, whose CLI then trains on them, and with Dawn, whose CLI then trains on WebGPU when asked.
import { test, before, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HAS_PREBUILDS, packagedVsix, REPO, TARGET, vsixFiles, vsixPath } from "./vscode";

const MAX_BYTES = 15 * 1024 * 1024;
// The targeted .vsix carries Dawn for WebGPU: dawn.node is 21.5 MB for linux-x64 (webgpu 0.6.2), about 7.5 MB
// compressed, so it may be that much bigger. The untargeted one, without it, stays lean.
const MAX_BYTES_WITH_DAWN = MAX_BYTES + 10 * 1024 * 1024;
/** Dawn's binary for this platform in the package (src/nn/webgpu.ts: loadDawn). */
const DAWN = `node_modules/webgpu/dist/${TARGET}/dawn.node`;
const DAWN_FILES = ["node_modules/webgpu/package.json", "node_modules/webgpu/LICENSE.md", DAWN];
let root: string;
let ext: string;
let files: string[];

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-vsix-"));
  execFileSync("unzip", ["-q", vsixPath(), "-d", root]);
  ext = path.join(root, "extension");
  files = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(ext, p).split(path.sep).join("/"));
    }
  };
  walk(ext);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test("the vsix is lean", (t) => {
  const size = fs.statSync(vsixPath()).size;
  const withDawn = files.includes(DAWN);
  t.diagnostic(`${path.basename(vsixPath())}: ${(size / 1024 / 1024).toFixed(2)} MB, ${files.length} files${withDawn ? ", with Dawn" : ""}`);
  assert.ok(size < (withDawn ? MAX_BYTES_WITH_DAWN : MAX_BYTES), `${size} bytes`);
});

test("the vsix holds the bundles, the wasm binaries, esbuild, the TS plugin, media, examples and translations", () => {
  const need = [
    "package.json",
    "dist/extension.js",
    "dist/cli.js",
    "dist/train.js",
    "dist/trace-server.js",
    "dist/notebook-kernel.js",
    "examples/notebooks/01_rnncell_by_hand.ipynb",
    "dist/nn/index.js",
    "dist/nn/wasm/tfjs-backend-wasm-simd.wasm",
    "dist/nn/wasm/tfjs-backend-wasm.wasm",
    "dist/types/index.d.ts",
    "node_modules/esbuild/package.json",
    "node_modules/esbuild/lib/main.js",
    "node_modules/unroll-types/package.json",
    "node_modules/unroll-types/index.js",
    "examples/02_rnn.ts",
    "examples/05b_hello_rnn.ts",
    // The strings in each language, and the walkthrough's media.
    "package.nls.json",
    "package.nls.zh-cn.json",
    "l10n/bundle.l10n.zh-cn.json",
    "media/walkthrough/1-rnnCell.md",
    "media/walkthrough/1-rnnCell.nls.zh-cn.md",
    "media/walkthrough/lstm-gates.svg",
  ];
  for (const f of need) assert.ok(files.includes(f), `missing ${f}`);
  assert.ok(
    files.some((f) => /^node_modules\/@esbuild\/[^/]+\/bin\/esbuild(\.exe)?$/.test(f)),
    "esbuild's platform binary",
  );
  assert.ok(
    files.some((f) => f.startsWith("dist/webview/")),
    "the webview bundles",
  );
  assert.ok(
    files.some((f) => f.startsWith("media/")),
    "media/",
  );
  const manifest = JSON.parse(fs.readFileSync(path.join(ext, "package.json"), "utf8"));
  assert.ok(files.includes(manifest.main.replace(/^\.\//, "")), `main ${manifest.main}`);
  if (manifest.icon) assert.ok(files.includes(manifest.icon), `icon ${manifest.icon}`);
});

test("the vsix leaves out sources, tests, benchmarks and other node_modules", () => {
  const stray = files.filter(
    (f) =>
      /^(src|test|bench|out|scripts|\.ci|\.git|media\/readme)\//.test(f) ||
      /^(tsconfig.*\.json|esbuild\.mjs|package-lock\.json)$/.test(f) ||
      /\.vsix$/.test(f) ||
      (f.startsWith("node_modules/") && !/^node_modules\/(esbuild|@esbuild\/[^/]+|unroll-types)\//.test(f) && !DAWN_FILES.includes(f)),
  );
  assert.deepEqual(stray, []);
  // The esbuild binary ships once (esbuild/bin/esbuild would be a second copy).
  assert.ok(!files.includes("node_modules/esbuild/bin/esbuild"));
});

test("the unpacked extension's CLI traces and trains with only its own files", (t) => {
  const work = fs.mkdtempSync(path.join(root, "work-"));
  fs.copyFileSync(path.join(REPO, "examples", "02_rnn.ts"), path.join(work, "02_rnn.ts"));
  fs.copyFileSync(path.join(REPO, "examples", "05b_hello_rnn.ts"), path.join(work, "05b_hello_rnn.ts"));
  // Nothing of the repository on the way: a clean environment, the unpacked extension outside the repository.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, TMPDIR: work };
  const cli = path.join(ext, "dist", "cli.js");
  const started = Date.now();
  const trace = execFileSync(process.execPath, [cli, "trace", "02_rnn.ts", "--json"], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  assert.match(trace, /\[\s*10,\s*3,\s*40\s*\]/, "the trace has the bidirectional output");
  const trained = execFileSync(process.execPath, [cli, "train", "05b_hello_rnn.ts"], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  t.diagnostic(`trace + train from the unpacked vsix: ${Date.now() - started} ms; ${trained.trim().split("\n").at(-2)}`);
  t.diagnostic(trained.split("\n").find((l) => /backend:/.test(l)) ?? "no backend line");
  assert.match(trained, /ohlol/);
  assert.match(trained, /wasm/i, "the wasm backend loaded from dist/nn/wasm");
  if (files.some((f) => f.startsWith("prebuilds/"))) {
    assert.match(trained, /\+ native kernels \(Eigen 3\.4\.\d+, (AVX512|AVX2|SSE2), \d+ threads?\)/, "the native kernels loaded from prebuilds/");
  }
  if (files.includes(DAWN)) assert.doesNotMatch(trained, /webgpu: not installed/, "auto finds Dawn in the vsix (and says why it skips WebGPU)");
  // In Chinese: the CLI finds the bundle beside dist/ in the unpacked extension (extension/l10n/).
  const zh = execFileSync(process.execPath, [cli, "train", "05b_hello_rnn.ts", "--epochs", "1"], {
    cwd: work,
    env: { ...env, LANG: "zh_CN.UTF-8" },
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.match(zh, /^训练 hello → ohlol \(RNN\)（05b_hello_rnn\.ts）：1 轮，Adam\n/);
  assert.match(zh, /\n轮次 1\/1 {2}损失 /);
});

// Forced onto WebGPU (on Mesa's llvmpipe where there is no GPU, as the unit tests' parity suite runs), the unpacked
// extension's CLI loads Dawn from the vsix and reports the adapter.
test("the unpacked extension's CLI trains on WebGPU with the Dawn it ships", { skip: !fs.existsSync(path.join(REPO, DAWN)) && `no ${DAWN}` }, (t) => {
  if (!files.includes(DAWN)) return t.skip(`${path.basename(vsixPath())} carries no Dawn (the untargeted one)`);
  const work = fs.mkdtempSync(path.join(root, "webgpu-"));
  fs.copyFileSync(path.join(REPO, "examples", "05b_hello_rnn.ts"), path.join(work, "05b_hello_rnn.ts"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, TMPDIR: work };
  const cli = path.join(ext, "dist", "cli.js");
  let trained: string;
  try {
    trained = execFileSync(process.execPath, [cli, "train", "05b_hello_rnn.ts", "--epochs", "1", "--backend", "webgpu"], {
      cwd: work,
      env,
      encoding: "utf8",
      timeout: 120_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const said = `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`;
    // Dawn loaded but found no adapter (no GPU, no Mesa EGL): not this test's matter, unless CI requires WebGPU.
    if (/no WebGPU adapter/.test(said) && process.env.UNROLL_WEBGPU !== "1") return t.skip(said.trim().split("\n").pop()!);
    throw new Error(said, { cause: error });
  }
  const backend = trained.split("\n").find((l) => /backend:/.test(l)) ?? "no backend line";
  t.diagnostic(backend);
  assert.match(backend, /backend: webgpu \([^)]+\)/, "the report names the adapter");
  assert.match(trained, /epoch 1\/1 {2}loss \d/);
});

const NATIVE = /^extension\/prebuilds\/.*\.node$/;

test("the untargeted vsix carries no native kernels and no Dawn, and is lean", (t) => {
  const untargeted = packagedVsix();
  assert.ok(fs.existsSync(untargeted), `no ${untargeted}: run npm run package`);
  const size = fs.statSync(untargeted).size;
  t.diagnostic(`${path.basename(untargeted)}: ${(size / 1024 / 1024).toFixed(2)} MB`);
  assert.ok(size < MAX_BYTES, `${size} bytes`);
  assert.deepEqual(
    vsixFiles(untargeted).filter((f) => /prebuilds|\.node$|node_modules\/webgpu/.test(f)),
    [],
    "no native kernels, no Dawn",
  );
  assert.doesNotMatch(execFileSync("unzip", ["-p", untargeted, "extension.vsixmanifest"], { encoding: "utf8" }), /TargetPlatform="/, "no target platform");
});

// Built on linux-x64 but meant for every other platform, the untargeted .vsix cannot carry this machine's esbuild
// binary: it compiles model files with esbuild-wasm (src/runner/compiler.ts), in the process, needing no `node`.
const ESBUILD_WASM = ["package.json", "LICENSE.md", "lib/browser.js", "esbuild.wasm"].map((f) => `node_modules/esbuild-wasm/${f}`);

test("the untargeted vsix compiles model files with esbuild-wasm: its unpacked CLI traces and trains with no node on PATH", (t) => {
  const untargeted = packagedVsix();
  const inside = vsixFiles(untargeted);
  assert.deepEqual(
    inside.filter((f) => /^extension\/node_modules\/(esbuild|@esbuild)\//.test(f)),
    [],
    "no esbuild binary of the machine that built it",
  );
  for (const f of ESBUILD_WASM) assert.ok(inside.includes(`extension/${f}`), `missing ${f}`);
  if (vsixPath() !== untargeted) {
    assert.deepEqual(
      files.filter((f) => f.startsWith("node_modules/esbuild-wasm/")),
      [],
      "the targeted one compiles natively",
    );
  }
  const dir = fs.mkdtempSync(path.join(root, "untargeted-"));
  execFileSync("unzip", ["-q", untargeted, "-d", dir]);
  const work = fs.mkdtempSync(path.join(root, "work-"));
  fs.copyFileSync(path.join(REPO, "examples", "02_rnn.ts"), path.join(work, "02_rnn.ts"));
  fs.copyFileSync(path.join(REPO, "examples", "05b_hello_rnn.ts"), path.join(work, "05b_hello_rnn.ts"));
  const env = { PATH: path.join(work, "no-node-here"), HOME: work, TMPDIR: work };
  const cli = path.join(dir, "extension", "dist", "cli.js");
  const trace = execFileSync(process.execPath, [cli, "trace", "02_rnn.ts", "--json"], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  assert.match(trace, /\[\s*10,\s*3,\s*40\s*\]/, "the trace has the bidirectional output");
  const trained = execFileSync(process.execPath, [cli, "train", "05b_hello_rnn.ts", "--epochs", "3"], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
  t.diagnostic(trained.trim().split("\n").at(-2) ?? "");
  assert.match(trained, /epoch 3\/3 {2}loss \d/);
});

// For the other platforms whose Dawn the webgpu package ships, a .vsix each (built here, so without native kernels):
// Dawn for that platform (on Windows with its shader compilers' DLLs) and esbuild-wasm as the compiler.
const OTHER_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"].filter((t) => t !== TARGET);

test("a .vsix for each other platform with Dawn: its Dawn, esbuild-wasm, its target, no native kernels", (t) => {
  for (const target of OTHER_TARGETS) {
    const folder = `node_modules/webgpu/dist/${target.startsWith("darwin-") ? "darwin-universal" : target}`;
    if (!fs.existsSync(path.join(REPO, folder, "dawn.node"))) {
      t.diagnostic(`${target}: no Dawn in the webgpu package, no .vsix`);
      continue;
    }
    const vsix = packagedVsix(target);
    assert.ok(fs.existsSync(vsix), `no ${vsix}: run npm run package`);
    t.diagnostic(`${path.basename(vsix)}: ${(fs.statSync(vsix).size / 1024 / 1024).toFixed(2)} MB`);
    assert.ok(fs.statSync(vsix).size < MAX_BYTES_WITH_DAWN, `${target}: lean`);
    const inside = vsixFiles(vsix);
    const dawn = fs.readdirSync(path.join(REPO, folder)).map((f) => `extension/${folder}/${f}`);
    assert.deepEqual(
      inside.filter((f) => f.startsWith("extension/node_modules/webgpu/")).sort(),
      ["extension/node_modules/webgpu/LICENSE.md", "extension/node_modules/webgpu/package.json", ...dawn].sort(),
      `${target}: its Dawn`,
    );
    for (const f of ESBUILD_WASM) assert.ok(inside.includes(`extension/${f}`), `${target}: missing ${f}`);
    assert.deepEqual(
      inside.filter((f) => /^extension\/(prebuilds\/|node_modules\/(esbuild|@esbuild)\/)/.test(f)),
      [],
      `${target}: no native kernels, no esbuild binary of this machine`,
    );
    const manifest = execFileSync("unzip", ["-p", vsix, "extension.vsixmanifest"], { encoding: "utf8" });
    assert.match(manifest, new RegExp(`TargetPlatform="${target}"`));
  }
});

test(
  `the ${TARGET} vsix carries the native kernels' variants and says its target`,
  { skip: !HAS_PREBUILDS && `no prebuilds/${TARGET} (npm run build:native)` },
  (t) => {
    const targeted = packagedVsix(TARGET);
    assert.ok(fs.existsSync(targeted), `no ${targeted}: run npm run package`);
    const inside = vsixFiles(targeted);
    const native = inside.filter((f) => /prebuilds/.test(f) || (/\.node$/.test(f) && f !== `extension/${DAWN}`));
    const built = fs.readdirSync(path.join(REPO, "prebuilds", TARGET)).filter((f) => f.endsWith(".node"));
    t.diagnostic(`${path.basename(targeted)}: ${(fs.statSync(targeted).size / 1024 / 1024).toFixed(2)} MB; ${native.join(", ")}`);
    assert.deepEqual(native.sort(), built.map((f) => `extension/prebuilds/${TARGET}/${f}`).sort());
    if (process.arch === "x64") assert.deepEqual(built.sort(), ["unroll_native_avx2.node", "unroll_native_avx512.node", "unroll_native_baseline.node"]);
    assert.ok(native.every((f) => NATIVE.test(f)));
    if (fs.existsSync(path.join(REPO, DAWN))) {
      assert.deepEqual(
        inside.filter((f) => f.startsWith("extension/node_modules/webgpu/")).sort(),
        DAWN_FILES.map((f) => `extension/${f}`).sort(),
        "Dawn, with its licence",
      );
    }
    assert.ok(fs.statSync(targeted).size < (inside.includes(`extension/${DAWN}`) ? MAX_BYTES_WITH_DAWN : MAX_BYTES), "lean too");
    const manifest = execFileSync("unzip", ["-p", targeted, "extension.vsixmanifest"], { encoding: "utf8" });
    assert.match(manifest, new RegExp(`TargetPlatform="${TARGET}"`));
  },
);

/** Compares dotted versions: negative when a is older than b. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The newest version of each symbol family (GLIBC, GLIBCXX, CXXABI) that a module needs, from its dynamic symbols. */
function symbolVersions(file: string): Record<string, string> {
  const newest: Record<string, string> = {};
  for (const [, family, version] of execFileSync("objdump", ["-T", file], { encoding: "utf8" }).matchAll(/\((GLIBC|GLIBCXX|CXXABI)_([\d.]+)\)/g)) {
    if (!newest[family] || compareVersions(newest[family], version) < 0) newest[family] = version;
  }
  return newest;
}

/** Asserts that `file` needs no newer glibc and libstdc++ than `glibc` and `glibcxx`; skips the test without objdump. */
function assertNeedsAtMost(t: TestContext, file: string, glibc: string, glibcxx: string): void {
  let versions: Record<string, string>;
  try {
    versions = symbolVersions(file);
  } catch {
    t.skip("no objdump (binutils)");
    return;
  }
  t.diagnostic(`${path.basename(file)}: ${JSON.stringify(versions)}`);
  for (const [family, most] of [
    ["GLIBC", glibc],
    ["GLIBCXX", glibcxx],
  ]) {
    assert.ok(compareVersions(versions[family] ?? "0", most) <= 0, `${path.basename(file)} needs ${family}_${versions[family]}, newer than ${most}`);
  }
}

// VS Code 1.100 itself needs glibc 2.28 and libstdc++ 3.4.25 on Linux: a prebuilt that needs more would fail to load
// (and fall back to wasm) on machines that run VS Code. README states what it needs.
test(
  `the ${TARGET} prebuilt needs no newer glibc or libstdc++ than VS Code does`,
  { skip: (!HAS_PREBUILDS || process.platform !== "linux") && "no Linux prebuilds" },
  (t) => {
    const dir = path.join(REPO, "prebuilds", TARGET);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".node"))) assertNeedsAtMost(t, path.join(dir, file), "2.28", "3.4.25");
  },
);

// Dawn's prebuilt binary (the webgpu package's, not built here) needs more than VS Code does: glibc 2.34 and
// libstdc++ 3.4.30 (GCC 12; Ubuntu 22.04, Debian 12, RHEL 9 and newer). On an older system it fails to load and
// the backend report says so ("dawn.node failed to load: … GLIBC_2.34 not found"); README states it. This keeps a
// webgpu upgrade that needs more from passing unnoticed.
test(
  `Dawn's ${TARGET} binary needs no newer glibc or libstdc++ than README states`,
  { skip: (process.platform !== "linux" || !fs.existsSync(path.join(REPO, DAWN))) && `no ${DAWN}` },
  (t) => assertNeedsAtMost(t, path.join(REPO, DAWN), "2.34", "3.4.30"),
);
