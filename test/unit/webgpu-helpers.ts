// Whether WebGPU can start on this machine, asked once in a child process (a failed start must not leave this
// process without a backend): null when it can, else why not — for `t.skip(reason)`, never a silent pass; with
// UNROLL_WEBGPU=1 (CI) it throws instead, failing the test.
// The native kernels do not serve WebGPU: { native: false } keeps UNROLL_NATIVE=1 (CI) from failing the start.
import { spawnSync } from "node:child_process";
import * as path from "node:path";

let answer: string | null | undefined;

export const LIBRARY = path.join(__dirname, "../../../dist/nn/index.js");

export async function webgpuUnavailable(): Promise<string | null> {
  const why = await probeWebGPU();
  // CI sets UNROLL_WEBGPU=1 (as UNROLL_NATIVE=1 for the native kernels): there a WebGPU that cannot start fails.
  if (why && process.env.UNROLL_WEBGPU === "1") throw new Error(`UNROLL_WEBGPU=1 but ${why}`);
  return why;
}

async function probeWebGPU(): Promise<string | null> {
  if (answer !== undefined) return answer;
  const probe = `require(${JSON.stringify(LIBRARY)}).useBackend("webgpu", { native: false }).then(() => process.exit(0), (e) => { console.log(e.message); process.exit(1); })`;
  const run = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8", timeout: 60_000 });
  answer = run.status === 0 ? null : `WebGPU cannot start here: ${(run.stdout || run.stderr || `exit ${run.status}`).trim().split("\n").pop()}`;
  return answer;
}
