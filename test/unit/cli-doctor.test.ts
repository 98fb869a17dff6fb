// `unroll doctor`: which kernels run the recurrent layers and, on a machine where the native kernels could not be
// built (a fresh install without g++ or Eigen), the exact command that builds them. The real CLI (dist/cli.js) on
// this machine, and the report's rule on the states a machine can be in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { buildNativeCommand, kernelsReport } from "../../src/cli/doctor";
import { CLI } from "./helpers";

const doctor = (env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [CLI, "doctor", "--backend", "wasm"], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });

test("not built: the wasm path is named, with why and the command that builds the kernels, in Unroll's folder", () => {
  const lines = kernelsReport(
    { name: "wasm", native: { ok: false, detail: "not built for linux-x64 (apt-get install g++ libeigen3-dev, then npm run build:native)" } },
    "/opt/my unroll 循环",
  );
  assert.deepEqual(lines, [
    "recurrent layers: wasm ops, several times slower than the native kernels, which are not in use: not built for linux-x64 (apt-get install g++ libeigen3-dev, then npm run build:native)",
    'to build them: sudo apt-get install -y g++ libeigen3-dev && cd "/opt/my unroll 循环" && npm run build:native',
  ]);
  assert.equal(buildNativeCommand("/u"), 'sudo apt-get install -y g++ libeigen3-dev && cd "/u" && npm run build:native');
});

test("in use, turned off, or a backend with kernels of its own: each said, no build command where none helps", () => {
  assert.deepEqual(kernelsReport({ name: "wasm", native: { ok: true, detail: "Eigen 3.4.0, AVX2, 2 threads" } }), [
    "recurrent layers: the native kernels (Eigen 3.4.0, AVX2, 2 threads)",
  ]);
  assert.deepEqual(kernelsReport({ name: "webgpu", native: { ok: false, detail: "" } }), ["recurrent layers: the webgpu backend's own kernels"]);
  const off = kernelsReport({ name: "wasm", native: { ok: false, detail: "turned off (UNROLL_NATIVE=0)" } });
  assert.equal(off[0], "recurrent layers: wasm ops; the native kernels are turned off (UNROLL_NATIVE=0)");
  assert.match(off[1], /^to use them: unset UNROLL_NATIVE/);
});

test("unroll doctor on this machine: the backend and what runs the recurrent layers; UNROLL_NATIVE=0 says how to turn them on", () => {
  const here = doctor({ UNROLL_LANGUAGE: "en" });
  assert.equal(here.status, 0, here.stderr);
  const [backend, kernels] = here.stdout.trim().split("\n");
  assert.match(backend, /^backend: wasm \(WebAssembly/);
  assert.match(kernels, /^recurrent layers: (the native kernels \(Eigen|wasm ops, several times slower .*\n?)/);
  const off = doctor({ UNROLL_LANGUAGE: "en", UNROLL_NATIVE: "0" });
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stdout, /^recurrent layers: wasm ops; the native kernels are turned off \(UNROLL_NATIVE=0\)\nto use them: unset UNROLL_NATIVE/m);
});
