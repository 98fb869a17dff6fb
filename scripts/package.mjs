// `npm run package`: the .vsix files, after the bundles (npm run prepare).
// - unroll-<version>.vsix, untargeted: no native kernels and no Dawn (trains on wasm);
// - unroll-<version>-<platform>-<arch>.vsix (`vsce package --target`) for each prebuilds/<platform>-<arch>/
//   that scripts/build-native.mjs filled (here: linux-x64), carrying its modules beside dist/ (esbuild cannot
//   bundle a .node file; src/nn/native-load.ts finds them in <extension>/prebuilds/).
//   The targeted one carries Dawn too, when the `webgpu` package has its binary (node_modules/webgpu/dist/<target>/
//   dawn.node, ~21 MB for linux-x64; src/nn/webgpu.ts requires it directly, with the package.json that finds it
//   and the licence), so that the GPU path loads from an installed .vsix.
// Both take .vscodeignore; the targeted one adds lines that let its prebuilds/ folder and Dawn in.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const { name, version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const vsce = path.join(root, "node_modules/@vscode/vsce/vsce");
const run = (args) => execFileSync(process.execPath, [vsce, "package", ...args], { cwd: root, stdio: "inherit" });

run(["-o", `${name}-${version}.vsix`]);

/** The .vscodeignore lines that let Dawn's binary for `target` in, when the webgpu package has one. */
function dawnLines(target) {
  const binary = `node_modules/webgpu/dist/${target}/dawn.node`;
  if (!fs.existsSync(path.join(root, binary))) {
    console.log(`package: no ${binary} (npm install webgpu), so no WebGPU in the ${target} .vsix`);
    return "";
  }
  return `# Dawn for WebGPU (src/nn/webgpu.ts: loadDawn).\n!node_modules/webgpu/package.json\n!node_modules/webgpu/LICENSE.md\n!${binary}\n`;
}

const prebuilds = path.join(root, "prebuilds");
const targets = fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter((t) => fs.readdirSync(path.join(prebuilds, t)).some((f) => f.endsWith(".node"))) : [];
if (targets.length === 0) console.log("package: no prebuilds/<platform>-<arch>/ (npm run build:native), so no targeted .vsix with native kernels");
for (const target of targets) {
  const ignore = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "unroll-package-")), ".vscodeignore");
  fs.writeFileSync(ignore, `${fs.readFileSync(path.join(root, ".vscodeignore"), "utf8")}\n# The native kernels of ${target}.\n!prebuilds/${target}/*.node\n${dawnLines(target)}`);
  try {
    run(["--target", target, "--ignoreFile", ignore, "-o", `${name}-${version}-${target}.vsix`]);
  } finally {
    fs.rmSync(path.dirname(ignore), { recursive: true, force: true });
  }
}
