// GPU memory in the training progress (src/runner/gpu-memory.ts): each step of a run on WebGPU (forced onto
// Mesa's llvmpipe where there is no GPU, as the parity suite runs it) carries the backend's byte counts, the run
// store keeps them for the explorer, and a run on wasm carries none. Skipped, saying why, where WebGPU cannot start.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunEvent } from "../../src/common/protocol";
import { parseMetricLine } from "../../src/runs/run-file";
import { readRunDetail } from "../../src/runs/run-store";
import { startTraining } from "../../src/runs/train-client";
import type { TrainOptions } from "../../src/runs/train-contract";
import { webgpuUnavailable } from "./webgpu-helpers";

const ENTRY = path.join(__dirname, "../../../dist/train.js");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-gpu-memory-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

const MODEL = `import { defineExperiment, nn, optim, torch, tf } from "unroll";
class Net extends nn.Module {
  rnn = new nn.LSTM(4, 32);
  fc = new nn.Linear(32, 3);
  forward(x: torch.Tensor): torch.Tensor {
    const [out] = this.rnn.forward(x);
    return this.fc.forward(out.at(-1));
  }
}
export default defineExperiment({
  name: "gpu",
  epochs: 1,
  model: () => { torch.manualSeed(0); return new Net(); },
  data: () => ({ train: [0, 1, 2].map((i) => [torch.randn([5, 8, 4]), torch.tensor([0, 1, 2, 0, 1, 2, 0, i % 3])] as [torch.Tensor, torch.Tensor]) }),
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.01 }),
});
`;

/** Trains MODEL on `backend` to its end; its step events and its run folder. */
async function train(backend: TrainOptions["backend"], runs: string): Promise<{ steps: Extract<RunEvent, { type: "step" }>[]; dir: string }> {
  const file = path.join(ROOT, "gpu.ts");
  fs.writeFileSync(file, MODEL);
  const events: RunEvent[] = [];
  // The native kernels serve wasm only: off, so that UNROLL_NATIVE=1 (CI) does not fail the WebGPU run.
  const options: TrainOptions = { file, runsFolder: runs, backend, nativeKernels: false };
  const result = await startTraining(options, (e) => events.push(e), ENTRY).done;
  assert.equal(result.code, 0, JSON.stringify(result.error));
  const start = events.find((e): e is Extract<RunEvent, { type: "start" }> => e.type === "start")!;
  return { steps: events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step"), dir: path.join(runs, start.run.id) };
}

/** The losses of the run on WebGPU, for the run on wasm to compare with (empty when WebGPU cannot start). */
const onWebGPU: number[] = [];

describe("GPU memory in the training progress", () => {
  test("each step on WebGPU carries the bytes in use and allocated, kept in metrics.jsonl for the explorer", { timeout: 180_000 }, async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    const { steps, dir } = await train("webgpu", path.join(ROOT, "webgpu"));
    assert.equal(steps.length, 3);
    onWebGPU.push(...steps.map((s) => s.loss));
    // The LSTM's and the Linear's weights, Adam's two moments of each, and the batch stay on the GPU: at least that.
    const parameters = 4 * 32 * (4 + 32) + 2 * 4 * 32 + 32 * 3 + 3;
    for (const { gpuMemory } of steps) {
      assert.ok(gpuMemory, "every step says it");
      t.diagnostic(`step: ${gpuMemory.inUse} bytes in use, ${gpuMemory.allocated} allocated`);
      assert.ok(gpuMemory.inUse >= 3 * 4 * parameters, `${gpuMemory.inUse} bytes hold the parameters and Adam's moments`);
      assert.ok(gpuMemory.allocated >= gpuMemory.inUse);
      assert.ok(gpuMemory.allocated < 1 << 30, "a small model's figures, not garbage");
    }
    const lines = fs.readFileSync(path.join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map(parseMetricLine);
    assert.deepEqual(
      lines.filter((l) => l?.type === "step").map((l) => l!.type === "step" && l!.gpuMemory),
      steps.map((s) => s.gpuMemory),
    );
    assert.deepEqual((await readRunDetail(dir)).gpuMemory, steps.at(-1)!.gpuMemory, "the explorer's figures after a reload: the last step's");
  });

  test("a run on wasm carries none, and its losses are those of the run on WebGPU", { timeout: 120_000 }, async () => {
    const { steps, dir } = await train("wasm", path.join(ROOT, "wasm"));
    assert.equal(steps.length, 3);
    assert.ok(steps.every((s) => !("gpuMemory" in s)));
    assert.equal((await readRunDetail(dir)).gpuMemory, undefined);
    if (!onWebGPU.length) return;
    // The same seed, data and steps: the same losses, within float32 rounding.
    for (const [i, s] of steps.entries())
      assert.ok(Math.abs(s.loss - onWebGPU[i]) <= 1e-4 * Math.abs(s.loss), `step ${i + 1}: wasm ${s.loss}, webgpu ${onWebGPU[i]}`);
  });

  test("a metrics line's GPU memory is read only when it is two whole, non-negative byte counts", () => {
    const line = (gpuMemory: unknown) => parseMetricLine(JSON.stringify({ type: "step", epoch: 1, step: 1, loss: 1, lr: 0.1, time: 0, gpuMemory }));
    assert.deepEqual(line({ inUse: 10, allocated: 20, extra: "dropped" }), {
      type: "step",
      epoch: 1,
      step: 1,
      loss: 1,
      lr: 0.1,
      time: 0,
      gpuMemory: { inUse: 10, allocated: 20 },
    });
    for (const bad of [{ inUse: -1, allocated: 2 }, { inUse: 1e300, allocated: 2 }, { inUse: 0.5, allocated: 1 }, { inUse: 1 }, "10 MB", null, [10, 20]]) {
      const parsed = line(bad);
      assert.ok(parsed && !("gpuMemory" in parsed), JSON.stringify(bad));
    }
  });
});
