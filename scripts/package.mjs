// `npm run package`: the .vsix files, after the bundles (npm run prepare).
// - unroll-<version>.vsix, untargeted: no native kernels, no Dawn (trains on wasm), and esbuild-wasm as the compiler
//   of model files (src/runner/compiler.ts), which runs on every platform;
// - unroll-<version>-<platform>-<arch>.vsix (`vsce package --target`) for each prebuilds/<platform>-<arch>/
//   that scripts/build-native.mjs filled (here: linux-x64), carrying its modules beside dist/ (esbuild cannot
//   bundle a .node file; src/nn/native-load.ts finds them in <extension>/prebuilds/), esbuild's native binary for
//   the target, and Dawn when the `webgpu` package has its binary (node_modules/webgpu/dist/<target>/dawn.node,
//   ~21 MB for linux-x64; src/nn/webgpu.ts requires it directly, with the package.json that finds it and the
//   licence), so that the GPU path loads from an installed .vsix.
// Both take .vscodeignore plus the lines that let their own files in.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const { name, version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const vsce = path.join(root, "node_modules/@vscode/vsce/vsce");
const run = (args) => execFileSync(process.execPath, [vsce, "package", ...args], { cwd: root, stdio: "inherit" });

/** The .vscodeignore lines that let Dawn's binary for `target` in, when the webgpu package has one. */
function dawnLines(target) {
  const binary = `node_modules/webgpu/dist/${target}/dawn.node`;
  if (!fs.existsSync(path.join(root, binary))) {
    console.log(`package: no ${binary} (npm install webgpu), so no WebGPU in the ${target} .vsix`);
    return "";
  }
  return `# Dawn for WebGPU (src/nn/webgpu.ts: loadDawn).\n!node_modules/webgpu/package.json\n!node_modules/webgpu/LICENSE.md\n!${binary}\n`;
}

/** The .vscodeignore lines for esbuild's native binary of `target` (its JS API and the platform package it spawns;
 *  the copy in esbuild/bin is left out: main.js finds it through require.resolve("@esbuild/<target>/bin/esbuild")). */
function esbuildLines(target) {
  if (!fs.existsSync(path.join(root, `node_modules/@esbuild/${target}/package.json`))) throw new Error(`package: no node_modules/@esbuild/${target}`);
  const binary = target.startsWith("win32") ? "esbuild.exe" : "bin/esbuild";
  return `# esbuild, the compiler of model files.\n!node_modules/esbuild/package.json\n!node_modules/esbuild/lib/main.js\n!node_modules/@esbuild/${target}/package.json\n!node_modules/@esbuild/${target}/${binary}\n`;
}

/** `vsce package` with .vscodeignore and `lines`. */
function packageWith(lines, args) {
  const ignore = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "unroll-package-")), ".vscodeignore");
  fs.writeFileSync(ignore, `${fs.readFileSync(path.join(root, ".vscodeignore"), "utf8")}\n${lines}`);
  try {
    run([...args, "--ignoreFile", ignore]);
  } finally {
    fs.rmSync(path.dirname(ignore), { recursive: true, force: true });
  }
}

packageWith(
  "# esbuild-wasm, the compiler of model files on every platform (its browser build, run in the process).\n!node_modules/esbuild-wasm/package.json\n!node_modules/esbuild-wasm/LICENSE.md\n!node_modules/esbuild-wasm/lib/browser.js\n!node_modules/esbuild-wasm/esbuild.wasm\n",
  ["-o", `${name}-${version}.vsix`],
);

const prebuilds = path.join(root, "prebuilds");
const targets = fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter((t) => fs.readdirSync(path.join(prebuilds, t)).some((f) => f.endsWith(".node"))) : [];
if (targets.length === 0) console.log("package: no prebuilds/<platform>-<arch>/ (npm run build:native), so no targeted .vsix with native kernels");
for (const target of targets) {
  const lines = `# The native kernels of ${target}.\n!prebuilds/${target}/*.node\n${esbuildLines(target)}${dawnLines(target)}`;
  packageWith(lines, ["--target", target, "-o", `${name}-${version}-${target}.vsix`]);
}
