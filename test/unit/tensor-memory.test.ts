// Memory as PyTorch: a training loop written as PyTorch's lessons write it (new tensors every step, no dispose,
// no tidy) keeps the live tensors flat. The loop runs in a child process, a plain node with no flags (as `unroll
// run` and the runner's children are): src/nn/memory.ts frees unreachable tensors in the middle of the loop.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { tf, nn, optim, torch } from "unroll";
import * as tfTorch from "./tf-torch";
import * as T from "../../src/nn/tensor-factories";
import { setupBackend } from "./helpers";

const CHILD = "UNROLL_TENSOR_MEMORY_CHILD";

/** `steps` steps of a PyTorch-style loop; the live tensor count after each. */
function pytorchStyleLoop(steps: number): number[] {
  tfTorch.manualSeed(0);
  const fc = new nn.Linear(4, 1);
  const [weight, bias] = [fc.weight, fc.bias!]; // the parameters are Tensors
  const optimizer = new optim.SGD(fc.parameters(), { lr: 0.01 });
  const target = T.randn(8, 1);
  const counts: number[] = [];
  for (let step = 0; step < steps; step++) {
    optimizer.zeroGrad();
    const x = T.randn(8, 4);
    const out = x.matmul(weight.t()).add(bias).tanh();
    const loss = out.sub(target).pow(2).mean();
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

  describe("tensors a program no longer reaches are freed", () => {
    test("10,000 PyTorch-style steps, no dispose, no tidy: live tensors stay flat", { timeout: 600_000 }, async () => {
      const counts = await inChild(10_000, []); // a plain node: no --expose-gc or other flag needed
      assert.equal(counts.length, 10_000);
      const first = max(counts.slice(0, 1000));
      const last = max(counts.slice(-1000));
      // Bounded: the last thousand steps hold no more live tensors than the first thousand did (collections come
      // every few thousand tensors made, so the peaks differ by a few).
      assert.ok(last <= first * 1.05, `live tensors grew: at most ${first} in steps 1-1000, ${last} in steps 9001-10000`);
      assert.ok(first < 10_000, `live tensors were not freed during the loop (${first})`);
    });
  });
}
