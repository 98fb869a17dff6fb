// The PyTorch parity suite (parity.test.ts: every case, the same tolerances) on the WebGPU backend — on this
// project's machines Mesa's llvmpipe through OpenGL ES, a software adapter. It runs in a child process so
// that a GPU device never shares a process with the other tests. Where WebGPU cannot start (no dawn.node for
// the platform, no Mesa EGL libraries) it is skipped with the reason, never passed silently.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fixtureCases } from "./helpers";
import { webgpuUnavailable } from "./webgpu-helpers";

const SUITE = path.join(__dirname, "parity.test.js");

/** Runs the parity suite in a child on `backend`; resolves with its TAP output. */
function runSuite(env: Record<string, string>): Promise<{ code: number | null; tap: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT; // else the child's test runner thinks it is nested in ours and runs nothing
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--test", "--test-reporter=tap", SUITE], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let tap = "";
    child.stdout.on("data", (d: Buffer) => (tap += d));
    child.stderr.on("data", (d: Buffer) => (tap += d));
    child.on("close", (code) => resolve({ code, tap }));
  });
}

const count = (tap: string, what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, "m").exec(tap)?.[1] ?? NaN);

test("every PyTorch parity case passes on the WebGPU backend", { timeout: 15 * 60_000 }, async (t) => {
  const why = await webgpuUnavailable();
  if (why) return t.skip(why);
  // The recurrent cases run on the webgpu path; the suite's native-kernel runs do not apply (skipped there).
  const { code, tap } = await runSuite({ UNROLL_BACKEND: "webgpu", UNROLL_NATIVE: "0" });
  const failures = tap.split("\n").filter((line) => /^\s*not ok/.test(line) && !/# SKIP/.test(line));
  assert.equal(count(tap, "fail"), 0, `failed on WebGPU:\n${failures.join("\n")}\n${tap.slice(-4000)}`);
  assert.equal(code, 0, tap.slice(-4000));
  const recurrent = fixtureCases("sequence").length + fixtureCases("cell").length + fixtureCases("model").length;
  const all = recurrent + ["loss", "optimizer", "clip"].reduce((n, kind) => n + fixtureCases(kind as "loss").length, 0);
  assert.equal(count(tap, "pass"), all + 1, "every case ran and passed (and the fixture index check)");
  // The recurrent and the optimizer cases also run twice on the native kernels (1 and 2 threads): skipped here.
  const native = 2 * (recurrent + fixtureCases("optimizer").length);
  assert.equal(count(tap, "skipped"), native, "only the native-kernel runs were skipped");
  assert.match(tap, /Native kernels required but not usable: not used with webgpu/);
});
