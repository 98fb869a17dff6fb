// Builds the optional native kernels (native/recurrent.cc → native/build/Release/unroll_native.node) with
// node-gyp, Eigen and node-addon-api. Run by `npm install` (the package's install script): where a C++
// compiler or Eigen's headers (Debian: g++ libeigen3-dev) are missing it says why and exits 0, and Unroll
// runs on the wasm path. `--strict` (npm run build:native, CI) fails instead. Skips an up-to-date build
// unless `--force`; UNROLL_NATIVE=0 skips it altogether.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const dir = path.join(root, "native");
const binary = path.join(dir, "build/Release/unroll_native.node");
const strict = process.argv.includes("--strict");
const require = createRequire(import.meta.url);

function skip(why) {
  const message = `unroll: native kernels not built (${why}); Unroll runs on the wasm path.`;
  if (strict) {
    console.error(message);
    process.exit(1);
  }
  console.log(`${message} To build them: apt-get install g++ libeigen3-dev, then npm run build:native.`);
  process.exit(0);
}

if (process.env.UNROLL_NATIVE === "0") skip("UNROLL_NATIVE=0");
const sources = ["recurrent.cc", "optimizer.cc", "arrays.h", "optimizer.h", "binding.gyp"].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
if (!process.argv.includes("--force") && fs.existsSync(binary) && fs.statSync(binary).mtimeMs > Math.max(...sources)) {
  console.log("unroll: native kernels up to date");
  process.exit(0);
}
try {
  require.resolve("node-addon-api");
} catch {
  skip("node-addon-api is not installed (a devDependency)");
}
if (!fs.existsSync("/usr/include/eigen3/Eigen/Core")) skip("no Eigen headers in /usr/include/eigen3");
try {
  execFileSync("c++", ["--version"], { stdio: "ignore" });
} catch {
  skip("no C++ compiler (c++)");
}

// npm's own node-gyp; Node's headers from the installation when it ships them, else node-gyp fetches them.
const nodeGyp = process.env.npm_config_node_gyp || path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js");
const nodedir = path.resolve(path.dirname(process.execPath), "..");
const headers = fs.existsSync(path.join(nodedir, "include/node/node_api.h")) ? [`--nodedir=${nodedir}`] : [];
try {
  execFileSync(process.execPath, [nodeGyp, "rebuild", "--directory", dir, ...headers], { stdio: strict ? "inherit" : "pipe" });
} catch (error) {
  const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim().split("\n");
  skip(`node-gyp failed: ${output.filter((l) => /error/i.test(l))[0] ?? error.message}`);
}
console.log(`unroll: native kernels built (${path.relative(root, binary)})`);
