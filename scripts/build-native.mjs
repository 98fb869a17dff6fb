// Builds the optional native kernels (native/*.cc, binding.gyp) with node-gyp, Eigen and node-addon-api: one
// module per CPU variant (baseline, avx2, avx512 on x64; see binding.gyp), copied to
// prebuilds/<platform>-<arch>/unroll_native_<variant>.node, where src/nn/native.ts picks the best the CPU runs
// and `npm run package` takes them into the linux-x64 .vsix. Run by `npm install` (the package's install
// script): where a C++ compiler or Eigen's headers are missing, on Debian or Ubuntu as root (or with sudo that asks
// no password) it installs them with apt-get (g++ libeigen3-dev), as test/e2e/install.sh installs code-server's
// packages; UNROLL_NATIVE_APT=0 leaves the system alone. Where they are still missing it says why and the exact
// command that builds them, exits 0, and Unroll runs on the wasm path. `--strict` (npm run build:native, CI) fails
// instead. Skips an up-to-date build unless `--force`; UNROLL_NATIVE=0 skips it altogether. Its last line says
// which kernels it built (`unroll: native kernels built: baseline, avx2, avx512 in prebuilds/linux-x64`).
// `--sanitize` builds instead one module under AddressSanitizer and UndefinedBehaviorSanitizer (binding.gyp) to
// native/build/sanitize/unroll_native_sanitize.node, for the fuzz test (.ci/run); it always builds, and fails
// where it cannot.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // a path, not a URL: a clone in "my 循环" works
const dir = path.join(root, "native");
const built = path.join(dir, "build/Release");
const prebuilds = path.join(root, "prebuilds", `${process.platform}-${process.arch}`);
const sanitize = process.argv.includes("--sanitize");
const strict = sanitize || process.argv.includes("--strict");
const require = createRequire(import.meta.url);
const isModule = (file) => /^unroll_native_\w+\.node$/.test(file);

function skip(why) {
  const message = `unroll: native kernels not built (${why}); Unroll runs on the wasm path.`;
  if (strict) {
    console.error(message);
    process.exit(1);
  }
  console.log(`${message} To build them: apt-get install g++ libeigen3-dev, then npm run build:native.`);
  process.exit(0);
}

const EIGEN = "/usr/include/eigen3/Eigen/Core";
const hasCompiler = () => {
  try {
    execFileSync("c++", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
/** The Debian packages the build lacks. */
const missingPackages = () => [...(hasCompiler() ? [] : ["g++"]), ...(fs.existsSync(EIGEN) ? [] : ["libeigen3-dev"])];

/** As root, or through sudo that asks no password: the command that runs apt-get, else null. */
function aptGet() {
  const runs = (command, args) => {
    try {
      execFileSync(command, args, { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (!runs("apt-get", ["--version"])) return null;
  if (process.getuid?.() === 0) return ["apt-get"];
  return runs("sudo", ["-n", "true"]) ? ["sudo", "-n", "apt-get"] : null;
}

/** Installs `packages` with apt-get where it may (see the top); says why not otherwise. */
function installPackages(packages) {
  const apt = process.env.UNROLL_NATIVE_APT === "0" ? null : aptGet();
  if (!apt) return;
  console.log(`unroll: installing ${packages.join(" ")} with apt-get for the native kernels (UNROLL_NATIVE_APT=0 skips this)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => execFileSync(apt[0], [...apt.slice(1), "install", "-y", "-qq", "--no-install-recommends", ...packages], { stdio: "pipe", env });
  try {
    install();
  } catch {
    try {
      execFileSync(apt[0], [...apt.slice(1), "update", "-qq"], { stdio: "pipe", env }); // a fresh image has no lists
      install();
    } catch (error) {
      const said = `${error.stderr ?? ""}`.trim().split("\n").filter(Boolean).pop();
      console.log(`unroll: apt-get could not install ${packages.join(" ")}${said ? ` (${said})` : ""}`);
    }
  }
}

/** The modules in prebuilds/ are newer than every source (native/*.cc, *.h, binding.gyp). */
function upToDate() {
  const modules = fs.existsSync(prebuilds) ? fs.readdirSync(prebuilds).filter(isModule) : [];
  if (modules.length === 0) return false;
  const sources = fs.readdirSync(dir).filter((f) => /\.(cc|h|gyp)$/.test(f));
  const newest = Math.max(...sources.map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
  return Math.min(...modules.map((f) => fs.statSync(path.join(prebuilds, f)).mtimeMs)) > newest;
}

if (process.env.UNROLL_NATIVE === "0" && !sanitize) skip("UNROLL_NATIVE=0");
if (!process.argv.includes("--force") && !sanitize && upToDate()) {
  console.log("unroll: native kernels up to date");
  process.exit(0);
}
try {
  require.resolve("node-addon-api");
} catch {
  skip("node-addon-api is not installed (a devDependency)");
}
if (missingPackages().length) installPackages(missingPackages());
if (!fs.existsSync(EIGEN)) skip("no Eigen headers in /usr/include/eigen3");
if (!hasCompiler()) skip("no C++ compiler (c++)");

// npm's own node-gyp; Node's headers from the installation when it ships them, else node-gyp fetches them.
const nodeGyp = process.env.npm_config_node_gyp || path.join(path.dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js");
const nodedir = path.resolve(path.dirname(process.execPath), "..");
const headers = fs.existsSync(path.join(nodedir, "include/node/node_api.h")) ? [`--nodedir=${nodedir}`] : [];
const jobs = `--jobs=${Math.max(1, Math.min(4, os.availableParallelism()))}`; // the variants compile in parallel
try {
  const env = { ...process.env, UNROLL_NATIVE_SANITIZE: sanitize ? "1" : "0" };
  execFileSync(process.execPath, [nodeGyp, "rebuild", "--directory", dir, jobs, ...headers], { stdio: strict ? "inherit" : "pipe", env });
} catch (error) {
  const output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim().split("\n");
  skip(`node-gyp failed: ${output.filter((l) => /error/i.test(l))[0] ?? error.message}`);
}
if (sanitize) {
  const to = path.join(built, "..", "sanitize");
  fs.mkdirSync(to, { recursive: true });
  fs.copyFileSync(path.join(built, "unroll_native_sanitize.node"), path.join(to, "unroll_native_sanitize.node"));
  console.log(`unroll: sanitizer build: ${path.relative(root, path.join(to, "unroll_native_sanitize.node"))}`);
  process.exit(0);
}
fs.rmSync(prebuilds, { recursive: true, force: true });
fs.mkdirSync(prebuilds, { recursive: true });
const modules = fs.readdirSync(built).filter(isModule);
for (const file of modules) fs.copyFileSync(path.join(built, file), path.join(prebuilds, file));
const variants = modules.map((f) => f.replace(/^unroll_native_|\.node$/g, ""));
console.log(`unroll: native kernels built: ${variants.join(", ")} in ${path.relative(root, prebuilds)} (src/nn/native-load.ts picks the best this CPU runs)`);
