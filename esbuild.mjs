// One build script for every entry point. `node esbuild.mjs [--tests] [--bench] [--examples] [--watch]`.
// tfjs-core, its cpu and wasm backends are bundled (their ES modules, so that gradients and chained ops
// register on the one copy of core); so is the WebGPU backend when installed (an optional dependency, pure
// JavaScript: its kernels must register on the same core; it is evaluated only when selected, see webgpu.ts).
// The other optional backends (tfjs-node, tfjs-node-gpu) and Dawn (`webgpu`, a native addon) stay external
// and are loaded only when installed. The wasm backend's .wasm files are found at run time (see backend.ts).
import * as esbuild from "esbuild";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const args = new Set(process.argv.slice(2));
const external = [
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  ...(existsSync("node_modules/@tensorflow/tfjs-backend-webgpu/package.json") ? [] : ["@tensorflow/tfjs-backend-webgpu"]),
  "webgpu",
  "@tensorflow/tfjs-backend-wasm/package.json",
];
const node = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "inline",
  mainFields: ["module", "main"],
  external,
  alias: { unroll: "./src/nn/index.ts" },
  logLevel: "warning",
};

const tsFiles = (dir, suffix = ".ts") =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f)) : [];

const builds = [
  { ...node, entryPoints: { "nn/index": "src/nn/index.ts" }, outdir: "dist" },
  // The CLI and the runner load the library above at run time (see src/runner/model-file.ts).
  { ...node, alias: {}, external: [...external, "unroll", "esbuild", "esbuild-wasm"], entryPoints: { cli: "src/cli/main.ts" }, outdir: "dist", banner: { js: "#!/usr/bin/env node" } },
];
// The CLI's type checker, with TypeScript bundled in (a devDependency), loaded only when a check runs; TypeScript's
// lib files (lib.es2022.full.d.ts, …) beside it in dist/typescript/. No source map: TypeScript's would be 20 MB.
builds.push({ ...node, alias: {}, sourcemap: false, minify: true, entryPoints: { typecheck: "src/runner/typecheck-process.ts" }, outdir: "dist" });
{
  const fs = await import("node:fs");
  const from = "node_modules/typescript/lib";
  fs.mkdirSync("dist/typescript", { recursive: true });
  for (const file of fs.readdirSync(from)) if (/^lib\..*d\.ts$/.test(file)) fs.copyFileSync(join(from, file), join("dist/typescript", file));
}
// The VS Code extension host: never loads TensorFlow.js or the library (the runner's processes do).
if (existsSync("src/extension/extension.ts")) {
  builds.push({ ...node, alias: {}, external: ["vscode"], entryPoints: { extension: "src/extension/extension.ts" }, outdir: "dist" });
}
// The runner's child processes (a training run; the long-lived tracing process), when their sources exist.
const children = {
  train: "src/runner/train-process.ts",
  "trace-server": "src/runner/trace-server.ts",
  "notebook-kernel": "src/runner/notebook-kernel.ts", // one per open notebook (runs/notebook-client.ts)
  watchdog: "src/runner/watchdog.ts", // the watchdog thread of the runner processes and the CLI (watchdog-host.ts)
};
for (const [name, entry] of Object.entries(children)) {
  if (existsSync(entry)) builds.push({ ...node, alias: {}, external: [...external, "unroll", "esbuild", "esbuild-wasm"], entryPoints: { [name]: entry }, outdir: "dist" });
}
// esbuild stays external in the tests too: its JavaScript API cannot be bundled (trace.test.ts compiles model files).
if (args.has("--tests")) builds.push({ ...node, external: [...external, "esbuild", "esbuild-wasm", "typescript", "eslint"], entryPoints: tsFiles("test/unit", ".test.ts"), outdir: "out/test/unit" });
if (args.has("--bench")) builds.push({ ...node, entryPoints: tsFiles("bench"), outdir: "out/bench" });
// The page bench/chart.ts opens in Chromium: the webviews' chart, for the browser.
if (args.has("--bench")) builds.push({ bundle: true, platform: "browser", format: "iife", target: "es2022", logLevel: "warning", entryPoints: { "chart-page": "bench/chart-page/page.ts" }, outdir: "out/bench" });
if (args.has("--examples")) builds.push({ ...node, entryPoints: tsFiles("examples"), outdir: "out/examples" });

// ==== Packaging and end-to-end tests (owner: the e2e harness; see test/e2e/README.md) ======================
// The wasm backend's binaries beside the library bundle: backend.ts wasmDirectory() looks in dist/nn/wasm/
// first, so the packaged extension (which ships no node_modules/@tensorflow) finds them there.
{
  const fs = await import("node:fs");
  const from = "node_modules/@tensorflow/tfjs-backend-wasm/dist";
  fs.mkdirSync("dist/nn/wasm", { recursive: true });
  for (const file of ["tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm.wasm"]) fs.copyFileSync(join(from, file), join("dist/nn/wasm", file));
}
// `--e2e`: the code-server scenarios (test/e2e/*.ts → test/e2e/out/, beside test/e2e/node_modules where
// playwright-core is installed). `--desktop`: the desktop VS Code runner and its in-extension suite.
if (args.has("--e2e")) builds.push({ ...node, alias: {}, external: ["playwright-core"], entryPoints: tsFiles("test/e2e"), outdir: "test/e2e/out" });
if (args.has("--desktop")) builds.push({ ...node, alias: {}, external: ["vscode", "@vscode/test-electron"], entryPoints: tsFiles("test/desktop"), outdir: "out/test/desktop" });
// ==== end of the e2e harness's block =========================================================================

// ==== Webviews (owner: the UI; webview/, src/extension/webview-html.ts) ==================================
// The explorer panel and the Runs view, for the browser (iife, minified), into dist/webview/, with the
// stylesheets and the font they load copied there too: the webviews' CSP allows only the extension's
// dist/webview/ and media/ folders.
builds.push({
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  minify: true,
  logLevel: "warning",
  entryPoints: { explorer: "webview/explorer.ts", runs: "webview/runs.ts", "runs-table": "webview/runs-table.ts", checkpoint: "webview/checkpoint.ts" },
  outdir: "dist/webview",
});
{
  const fs = await import("node:fs");
  fs.mkdirSync("dist/webview", { recursive: true });
  for (const asset of ["@vscode/codicons/dist/codicon.css", "@vscode/codicons/dist/codicon.ttf", "uplot/dist/uPlot.min.css"]) {
    fs.copyFileSync(join("node_modules", asset), join("dist/webview", asset.split("/").pop()));
  }
}
// ==== end of the webviews' block ==========================================================================

if (args.has("--watch")) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
