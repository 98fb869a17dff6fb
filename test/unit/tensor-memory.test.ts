// Memory as PyTorch: a training loop written as PyTorch's lessons write it (new tensors every step, no dispose,
// no tidy) keeps the live tensors flat. The loop runs in a child process, a plain node with no flags (as `unroll
// run` and the runner's children are): src/nn/memory.ts frees unreachable tensors in the middle of the loop.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { tf, nn, optim } from "unroll";
import * as tfTorch from "../../src/nn/tf-torch";
import * as T from "../../src/nn/tensor-factories";
import { setupBackend } from "./helpers";

const CHILD = "UNROLL_TENSOR_MEMORY_CHILD";

/** `steps` steps of a loop as the PyTorch lessons write it (a module called, a cell stepped by hand, `loss = 0;
 *  loss += criterion(...)`, `_, idx = hidden.max(1)`, `idx.item()`, `loss.backward()`): the live tensor count after each. */
function pytorchStyleLoop(steps: number): number[] {
  tfTorch.manualSeed(0);
  const fc = new nn.Linear(4, 4);
  const cell = new nn.RNNCell(4, 4);
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.SGD([...fc.parameters(), ...cell.parameters()], { lr: 0.01 });
  const labels = T.tensor([1, 2, 3]);
  const counts: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const x = fc(T.randn(3, 1, 4)).tanh(); // new tensors every step, never disposed
    let hidden = T.zeros(1, 4);
    let loss = T.tensor(0);
    for (let t = 0; t < 3; t++) {
      hidden = cell(x.at(t), hidden);
      loss = loss.add(criterion(hidden, labels.at(t).view(1)));
      const [, idx] = hidden.max(1);
      idx.item();
    }
    loss.backward();
    optimizer.step();
    counts.push(tf.memory().numTensors);
  }
  return counts;
}

if (process.env[CHILD]) {
  void setupBackend().then(() => {
    const counts = pytorchStyleLoop(Number(process.env[CHILD]));
    process.stdout.write(JSON.stringify(counts));
  });
} else {
  before(setupBackend);

  /** The counts of the loop run in a child node with `flags`. */
  function inChild(steps: number, flags: string[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...flags, __filename], { env: { ...process.env, [CHILD]: String(steps) }, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`child exited with ${code}`))));
    });
  }

  const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
  const min = (xs: number[]) => xs.reduce((a, b) => Math.min(a, b), Infinity);

  describe("tensors a program no longer reaches are freed", () => {
    test("10,000 steps of a lesson's loop, no dispose, no tidy: live tensors stay flat", { timeout: 600_000 }, async () => {
      const counts = await inChild(10_000, []); // a plain node: no --expose-gc or other flag needed
      assert.equal(counts.length, 10_000);
      const [early, late] = [counts.slice(500, 1500), counts.slice(-1000)];
      // Bounded: the last thousand steps hold no more live tensors than steps 501-1500 did (collections come every
      // few thousand tensors made, so the peaks differ by a few), and right after a collection as few as then: a
      // leak of one tensor in fifty steps would add 160 (a module called with Tensors leaked 2 to 4 a call).
      assert.ok(max(late) <= max(early) * 1.05, `live tensors grew: at most ${max(early)} in steps 501-1500, ${max(late)} in steps 9001-10000`);
      assert.ok(min(late) <= min(early) + 100, `tensors leak: at least ${min(early)} live in steps 501-1500, ${min(late)} in steps 9001-10000`);
      assert.ok(max(early) < 10_000, `live tensors were not freed during the loop (${max(early)})`);
    });
  });
}
