// scripts/build-native.mjs, the package's install script: without a compiler it says why and exits 0, so that
// `npm install` never fails for want of the optional native kernels; `--strict` (npm run build:native, CI) fails.
// As root on Debian or Ubuntu it first asks apt-get for what is missing (tried here with a stand-in apt-get), and
// a fresh copy's install says which kernels it built (built for real where g++ and Eigen are installed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "../../..");
const SCRIPT = path.join(ROOT, "scripts/build-native.mjs");
// No PATH: no c++ (nor anything else) to be found; --force: no "up to date" shortcut.
const build = (...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, "--force", ...args], { encoding: "utf8", env: { PATH: "/nonexistent" }, timeout: 60_000 });

test("without a compiler, the install script says why and succeeds", () => {
  const result = build();
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /native kernels not built \(.+\); Unroll runs on the wasm path\. To build them: apt-get install g\+\+ libeigen3-dev/);
});

test("without a compiler, npm run build:native (--strict) fails and says why", () => {
  const result = build("--strict");
  assert.equal(result.status, 1);
  assert.match(result.stderr, /native kernels not built \(.+\)/);
});

/** A PATH of one folder holding an apt-get that logs its arguments, updates, and fails to install (no network here). */
function fakeAptGet(): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-apt 循环 "));
  const log = path.join(bin, "calls.log");
  fs.writeFileSync(
    path.join(bin, "apt-get"),
    `#!/bin/sh\necho "$@" >> '${log}'\ncase "$1" in --version | update) exit 0 ;; esac\necho "E: Unable to locate package" >&2\nexit 100\n`,
    { mode: 0o755 },
  );
  return { env: { PATH: bin }, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []) };
}

const asRoot = process.getuid?.() === 0 ? {} : { skip: "apt-get is asked only as root (or with sudo -n)" };

test("as root with apt-get, the install script asks it for the missing packages, then says why it could not build", asRoot, () => {
  const apt = fakeAptGet();
  const result = spawnSync(process.execPath, [SCRIPT, "--force"], { encoding: "utf8", env: apt.env, timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^unroll: installing g\+\+( libeigen3-dev)? with apt-get for the native kernels \(UNROLL_NATIVE_APT=0 skips this\)$/m);
  const install = apt.calls().filter((c) => c.startsWith("install "));
  assert.equal(install.length, 2, "once, then again after apt-get update");
  assert.match(install[0], /^install -y -qq --no-install-recommends g\+\+( libeigen3-dev)?$/);
  assert.ok(apt.calls().includes("update -qq"), apt.calls().join("\n"));
  assert.match(result.stdout, /^unroll: apt-get could not install g\+\+( libeigen3-dev)? \(E: Unable to locate package\)$/m);
  assert.match(
    result.stdout,
    /native kernels not built \(.+\); Unroll runs on the wasm path\. To build them: apt-get install g\+\+ libeigen3-dev, then npm run build:native\.$/m,
  );
});

test("UNROLL_NATIVE_APT=0: apt-get is not asked", () => {
  const apt = fakeAptGet();
  const result = spawnSync(process.execPath, [SCRIPT, "--force"], { encoding: "utf8", env: { ...apt.env, UNROLL_NATIVE_APT: "0" }, timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(
    apt.calls().filter((c) => c !== "--version"),
    [],
  );
  assert.doesNotMatch(result.stdout, /installing/);
});

const canBuild = (() => {
  try {
    execFileSync("c++", ["--version"], { stdio: "ignore" });
    return fs.existsSync("/usr/include/eigen3/Eigen/Core") ? {} : { skip: "no Eigen headers (apt-get install libeigen3-dev)" };
  } catch {
    return { skip: "no C++ compiler (apt-get install g++)" };
  }
})();

test("a fresh copy's install builds the kernels and says which, each in prebuilds/", { ...canBuild, timeout: 1_800_000 }, () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-fresh 循环 "));
  fs.mkdirSync(path.join(copy, "scripts"));
  fs.copyFileSync(SCRIPT, path.join(copy, "scripts/build-native.mjs"));
  fs.mkdirSync(path.join(copy, "native"));
  for (const f of fs.readdirSync(path.join(ROOT, "native")).filter((f) => /\.(cc|h|gyp)$/.test(f)))
    fs.copyFileSync(path.join(ROOT, "native", f), path.join(copy, "native", f));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules")); // node-addon-api, as npm installed it
  const result = spawnSync(process.execPath, [path.join(copy, "scripts/build-native.mjs")], {
    cwd: copy,
    encoding: "utf8",
    env: { ...process.env, UNROLL_NATIVE_APT: "0" },
  });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const summary = result.stdout.trim().split("\n").pop()!;
  const match = /^unroll: native kernels built: (\w+(?:, \w+)*) in (prebuilds\/[\w-]+) \(/.exec(summary);
  assert.ok(match, summary);
  const [variants, folder] = [match[1].split(", "), match[2]];
  assert.ok(variants.includes("baseline"), summary);
  assert.deepEqual(fs.readdirSync(path.join(copy, folder)).sort(), variants.map((v) => `unroll_native_${v}.node`).sort());
  const again = spawnSync(process.execPath, [path.join(copy, "scripts/build-native.mjs")], { cwd: copy, encoding: "utf8" });
  assert.equal(again.stdout.trim(), "unroll: native kernels up to date");
});
