// scripts/build-native.mjs, the package's install script: without a compiler it says why and exits 0, so that
// `npm install` never fails for want of the optional native kernels; `--strict` (npm run build:native, CI) fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const SCRIPT = path.join(__dirname, "../../../scripts/build-native.mjs");
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
