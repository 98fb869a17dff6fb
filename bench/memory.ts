// `npm run bench:memory`: a training loop written as PyTorch's lessons write it (new Tensors every step, no
// dispose, no tidy; Linear(16, 1) on a batch of 32, tanh, MSE by hand, loss.backward(), SGD) for 10,000 steps,
// printing live tensors and RSS every 1,000 steps, in a plain node (src/nn/memory.ts turns on what it needs to
// free unreachable tensors during the loop). Then what the runner's collectNow() before each epoch's evaluate costs
// (src/runner/training.ts): after an epoch of such steps, and again at once, when nothing new is left to free.
//   npm run bench:memory [-- --steps N]
import { spawn } from "node:child_process";
import { collectIfGrown, collectNow, tf, nn, optim, torch, useBackend } from "unroll";
import * as T from "../src/nn/tensor-factories";
import { option } from "./lib/measure";

const CHILD = "UNROLL_BENCH_MEMORY_CHILD";
const STEPS = Number(option("steps") ?? 10_000);
const EVERY = Math.max(1, Math.floor(STEPS / 10));

async function loop(): Promise<void> {
  await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
  torch.manualSeed(0);
  const fc = new nn.Linear(16, 1);
  const [weight, bias] = [fc.weight, fc.bias!]; // the parameters are Tensors
  const optimizer = new optim.SGD(fc.parameters(), { lr: 0.01 });
  const target = T.randn(32, 1);
  const start = performance.now();
  const step = () => {
    optimizer.zeroGrad();
    const loss = T.randn(32, 16).matmul(weight.t()).add(bias).tanh().sub(target).pow(2).mean();
    loss.backward();
    optimizer.step();
  };
  for (let n = 1; n <= STEPS; n++) {
    step();
    if (n % EVERY === 0) {
      const rss = process.memoryUsage().rss / 2 ** 20;
      console.log(`  step ${String(n).padStart(6)}  live tensors ${String(tf.memory().numTensors).padStart(7)}  RSS ${rss.toFixed(1).padStart(7)} MB`);
    }
  }
  console.log(`  ${(((performance.now() - start) / STEPS) * 1000).toFixed(0)} µs a step`);
  collectCost(step, EVERY);
}

/** A collection once an epoch of `epochSteps` steps, as the runner makes one before evaluate: collectNow()'s median
 *  cost against the epoch's; a second collectNow() at once (a heap with nothing new to free); collectIfGrown() then
 *  (the runner's call: it skips the gc when no more tensors live than after the last one). */
function collectCost(step: () => void, epochSteps: number, epochs = 7): void {
  const ms = (work: () => void) => {
    const t0 = performance.now();
    work();
    return performance.now() - t0;
  };
  const rows = Array.from({ length: epochs }, () => {
    const epoch = ms(() => {
      for (let i = 0; i < epochSteps; i++) step();
    });
    return { epoch, collect: ms(collectNow), again: ms(collectNow), ifGrown: ms(collectIfGrown) };
  });
  const median = (key: keyof (typeof rows)[number]) => rows.map((r) => r[key]).sort((a, b) => a - b)[epochs >> 1];
  const [epoch, collect, again, ifGrown] = [median("epoch"), median("collect"), median("again"), median("ifGrown")];
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `  collectNow after an epoch of ${epochSteps} steps (${epoch.toFixed(0)} ms): ${collect.toFixed(1)} ms (${((collect / epoch) * 100).toFixed(1)} % of the epoch); ` +
      `again at once: ${again.toFixed(1)} ms, collectIfGrown then: ${ifGrown.toFixed(2)} ms; JS heap ${heap.toFixed(0)} MB; median of ${epochs} epochs`,
  );
}

function run(flags: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, __filename, ...process.argv.slice(2)], { env: { ...process.env, [CHILD]: "1" }, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exited with ${code}`))));
  });
}

if (process.env[CHILD]) void loop();
else
  void (async () => {
    await run([]);
  })();
