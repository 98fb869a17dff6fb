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
    assert.deepEqual(report.attempts.map((a) => [a.name, a.ok]), [["wasm", true]]);
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(backendReport(), report);
    assert.equal(sumOfSquares(), 14);
  });

  test("auto skips the optional packages that are not installed and picks wasm", async () => {
    const report = await useBackend("auto");
    assert.equal(report.requested, "auto");
    assert.equal(report.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(report.attempts.map((a) => [a.name, a.ok]), [
      ["tfjs-node-gpu", false],
      ["tfjs-node", false],
      ["webgpu", false],
      ["wasm", true],
    ]);
    for (const attempt of report.attempts.slice(0, 3)) assert.match(attempt.detail, /not installed/, `${attempt.name}: ${attempt.detail}`);
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
});
