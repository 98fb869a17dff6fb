// `npm run bench:memory`: a training loop written as PyTorch's lessons write it (new Tensors every step, no
// dispose, no tidy; Linear(16, 1) on a batch of 32, tanh, MSE by hand, loss.backward(), SGD) for 10,000 steps,
// printing live tensors and RSS every 1,000 steps, in a plain node (src/nn/memory.ts turns on what it needs to
// free unreachable tensors during the loop).
//   npm run bench:memory [-- --steps N]
import { spawn } from "node:child_process";
import { tf, nn, optim, torch, useBackend } from "unroll";
import * as T from "../src/nn/tensor-factories";

const CHILD = "UNROLL_BENCH_MEMORY_CHILD";
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const STEPS = Number(arg("--steps") ?? 10_000);
const EVERY = Math.max(1, Math.floor(STEPS / 10));

async function loop(): Promise<void> {
  await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
  torch.manualSeed(0);
  const fc = new nn.Linear(16, 1);
  const [weight, bias] = [fc.weight, fc.bias!]; // the parameters are Tensors
  const optimizer = new optim.SGD(fc.parameters(), { lr: 0.01 });
  const target = T.randn(32, 1);
  const start = performance.now();
  for (let step = 1; step <= STEPS; step++) {
    optimizer.zeroGrad();
    const loss = T.randn(32, 16).matmul(weight.t()).add(bias).tanh().sub(target).pow(2).mean();
    loss.backward();
    optimizer.step();
    if (step % EVERY === 0) {
      const rss = process.memoryUsage().rss / 2 ** 20;
      console.log(`  step ${String(step).padStart(6)}  live tensors ${String(tf.memory().numTensors).padStart(7)}  RSS ${rss.toFixed(1).padStart(7)} MB`);
    }
  }
  console.log(`  ${(((performance.now() - start) / STEPS) * 1000).toFixed(0)} µs a step`);
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
