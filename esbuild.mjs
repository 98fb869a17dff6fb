// One build script for every entry point. `node esbuild.mjs [--tests] [--bench] [--examples] [--watch]`.
// tfjs-core, its cpu and wasm backends are bundled (their ES modules, so that gradients and chained ops
// register on the one copy of core); the optional backends (tfjs-node, tfjs-node-gpu, webgpu) stay external
// and are loaded only when installed. The wasm backend's .wasm files are found at run time (see backend.ts).
import * as esbuild from "esbuild";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const args = new Set(process.argv.slice(2));
const external = [
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-backend-webgpu",
  "webgpu",
  "@tensorflow/tfjs-backend-wasm/package.json",
];
const node = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "inline",
  keepNames: true, // printed module names (LSTM(…)) come from class names
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
  { ...node, alias: {}, external: [...external, "unroll", "esbuild"], entryPoints: { cli: "src/cli/main.ts" }, outdir: "dist", banner: { js: "#!/usr/bin/env node" } },
];
// The runner's child processes (a training run; the long-lived tracing process), when their sources exist.
const children = { train: "src/runner/train-process.ts", "trace-server": "src/runner/trace-server.ts" };
for (const [name, entry] of Object.entries(children)) {
  if (existsSync(entry)) builds.push({ ...node, alias: {}, external: [...external, "unroll", "esbuild"], entryPoints: { [name]: entry }, outdir: "dist" });
}
if (args.has("--tests")) builds.push({ ...node, entryPoints: tsFiles("test/unit", ".test.ts"), outdir: "out/test/unit" });
if (args.has("--bench")) builds.push({ ...node, entryPoints: tsFiles("bench"), outdir: "out/bench" });
if (args.has("--examples")) builds.push({ ...node, entryPoints: tsFiles("examples"), outdir: "out/examples" });

if (args.has("--watch")) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
