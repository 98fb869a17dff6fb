// Backend selection: explicit names, "auto" (which skips the optional packages absent here), unknown names
// and the UNROLL_BACKEND variable. Every test leaves the process on the unit tests' backend.
import { afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, useBackend, backendReport, BACKENDS, BACKEND_ENV } from "unroll";
import { setupBackend } from "./helpers";

const savedEnv = process.env[BACKEND_ENV];

before(setupBackend);
afterEach(async () => {
  if (savedEnv === undefined) delete process.env[BACKEND_ENV];
  else process.env[BACKEND_ENV] = savedEnv;
  await setupBackend();
});

/** A small computation on the active backend, to show it works. */
const sumOfSquares = () => tf.tidy(() => tf.tensor1d([1, 2, 3]).square().sum().dataSync()[0]);

describe("useBackend", () => {
  test("wasm", async () => {
    const report = await useBackend("wasm");
    assert.equal(report.requested, "wasm");
    assert.equal(report.name, "wasm");
    assert.match(report.summary, /WebAssembly/);
    assert.deepEqual(
      report.attempts.map((a) => [a.name, a.ok]),
      [["wasm", true]],
    );
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(backendReport(), report);
    assert.equal(sumOfSquares(), 14);
  });

  test("auto skips the optional packages that are not installed, WebGPU without a hardware adapter, and picks wasm", async () => {
    const report = await useBackend("auto");
    assert.equal(report.requested, "auto");
    assert.equal(report.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(
      report.attempts.map((a) => [a.name, a.ok]),
      [
        ["tfjs-node-gpu", false],
        ["tfjs-node", false],
        ["webgpu", false],
        ["wasm", true],
      ],
    );
    for (const attempt of report.attempts.slice(0, 2)) assert.match(attempt.detail, /not installed/, `${attempt.name}: ${attempt.detail}`);
    // WebGPU installs with Unroll (an optional dependency); without a GPU it finds no hardware adapter.
    assert.match(report.attempts[2].detail, /not installed|no hardware adapter|no WebGPU adapter/, `webgpu: ${report.attempts[2].detail}`);
    assert.match(report.attempts[0].detail, /npm install @tensorflow\/tfjs-node-gpu/);
    assert.match(report.summary, /^wasm \(WebAssembly.*\) — skipped tfjs-node-gpu: not installed/);
    assert.equal(sumOfSquares(), 14);
  });

  test("cpu", async () => {
    const report = await useBackend("cpu");
    assert.equal(report.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal(sumOfSquares(), 14);
  });

  test("an unknown name is refused with the valid names", async () => {
    const inUse = tf.getBackend();
    await assert.rejects(useBackend("bogus"), (e: Error) => {
      assert.match(e.message, /'bogus'/);
      for (const name of ["auto", ...BACKENDS]) assert.ok(e.message.includes(name), `message lists ${name}: ${e.message}`);
      return true;
    });
    assert.equal(tf.getBackend(), inUse, "the backend in use is unchanged");
  });

  test("UNROLL_BACKEND selects the backend when no option is given", async () => {
    process.env[BACKEND_ENV] = "cpu";
    const report = await useBackend();
    assert.equal(report.requested, "cpu");
    assert.equal(report.name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    // An explicit choice wins over the variable.
    assert.equal((await useBackend("wasm")).name, "wasm");
    process.env[BACKEND_ENV] = "bogus";
    await assert.rejects(useBackend(), /Unknown backend 'bogus'/);
  });

  test("the native kernels: in use when they load, off with { native: false } or UNROLL_NATIVE=0, required with true", async () => {
    const savedNative = process.env.UNROLL_NATIVE;
    try {
      const off = await useBackend("wasm", { native: false });
      assert.deepEqual(off.native, { ok: false, detail: "turned off" });
      assert.match(off.summary, /^wasm \(WebAssembly.*\) — no native kernels: turned off$/);
      process.env.UNROLL_NATIVE = "0";
      assert.match((await useBackend("wasm")).summary, /no native kernels: turned off \(UNROLL_NATIVE=0\)$/);
      delete process.env.UNROLL_NATIVE;
      const auto = await useBackend("wasm");
      if (auto.native.ok) {
        assert.match(auto.summary, /^wasm \(WebAssembly.*\) \+ native kernels \(Eigen 3\.4\.\d+, \w+, \d+ threads?\)$/);
        assert.ok((await useBackend("cpu", { native: true })).native.ok, "they serve the cpu backend too");
      } else {
        assert.match(auto.summary, /— no native kernels: .+/);
        await assert.rejects(useBackend("wasm", { native: true }), /Native kernels required but not usable/);
      }
    } finally {
      if (savedNative === undefined) delete process.env.UNROLL_NATIVE;
      else process.env.UNROLL_NATIVE = savedNative;
    }
  });
});
