// `npm run package`: the .vsix files, after the bundles (npm run prepare).
// - unroll-<version>.vsix, untargeted: no native kernels, no Dawn (trains on wasm), and esbuild-wasm as the compiler
//   of model files (src/runner/compiler.ts), which runs on every platform;
// - unroll-<version>-<platform>-<arch>.vsix (`vsce package --target`) for each platform with prebuilt native kernels
//   (prebuilds/<platform>-<arch>/, filled by scripts/build-native.mjs: here linux-x64; esbuild cannot bundle a .node
//   file, src/nn/native-load.ts finds them in <extension>/prebuilds/) or with Dawn in the `webgpu` package
//   (node_modules/webgpu/dist/<platform>/: linux x64/arm64, darwin, win32 x64/arm64; ~21 MB for linux-x64;
//   src/nn/webgpu.ts requires dawn.node directly, with the package.json that finds it and the licence), so that
//   the GPU path loads from an installed .vsix. Each carries the compiler of its platform: esbuild's binary where
//   it is installed (the machine's own), esbuild-wasm elsewhere.
// All take .vscodeignore plus the lines that let their own files in.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // a path, not a URL: a clone in "my 循环" works
const { name, version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const vsce = path.join(root, "node_modules/@vscode/vsce/vsce");
const run = (args) => execFileSync(process.execPath, [vsce, "package", ...args], { cwd: root, stdio: "inherit" });

/** The folder of the webgpu package holding Dawn for a vsce target (src/nn/webgpu.ts: dawnPlatform). */
const dawnFolder = (target) => (target.startsWith("darwin-") ? "darwin-universal" : target);
const DAWN_TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];
const hasDawn = (target) => fs.existsSync(path.join(root, `node_modules/webgpu/dist/${dawnFolder(target)}/dawn.node`));

/** The .vscodeignore lines that let Dawn for `target` in (dawn.node, and on Windows the shader compilers' DLLs). */
function dawnLines(target) {
  if (!hasDawn(target)) return "";
  return `# Dawn for WebGPU (src/nn/webgpu.ts: loadDawn).\n!node_modules/webgpu/package.json\n!node_modules/webgpu/LICENSE.md\n!node_modules/webgpu/dist/${dawnFolder(target)}/*\n`;
}

/** The .vscodeignore lines for the compiler of model files on `target`: esbuild's native binary when its package for
 *  that platform is installed (its JS API and the binary it spawns; the copy in esbuild/bin is left out: main.js
 *  finds it through require.resolve("@esbuild/<target>/bin/esbuild")), else esbuild-wasm (src/runner/compiler.ts). */
function compilerLines(target) {
  if (!target || !fs.existsSync(path.join(root, `node_modules/@esbuild/${target}/package.json`))) {
    return "# esbuild-wasm, the compiler of model files (its browser build, run in the process).\n!node_modules/esbuild-wasm/package.json\n!node_modules/esbuild-wasm/LICENSE.md\n!node_modules/esbuild-wasm/lib/browser.js\n!node_modules/esbuild-wasm/esbuild.wasm\n";
  }
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

packageWith(compilerLines(undefined), ["-o", `${name}-${version}.vsix`]);

const prebuilds = path.join(root, "prebuilds");
const prebuilt = (target) => fs.existsSync(path.join(prebuilds, target)) && fs.readdirSync(path.join(prebuilds, target)).some((f) => f.endsWith(".node"));
const targets = [...new Set([...(fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds) : []).filter(prebuilt), ...DAWN_TARGETS.filter(hasDawn)])];
if (!targets.some(prebuilt)) console.log("package: no prebuilds/<platform>-<arch>/ (npm run build:native), so no .vsix with native kernels");
for (const target of targets) {
  const kernels = prebuilt(target) ? `# The native kernels of ${target}.\n!prebuilds/${target}/*.node\n` : "";
  packageWith(kernels + compilerLines(target) + dawnLines(target), ["--target", target, "-o", `${name}-${version}-${target}.vsix`]);
}
