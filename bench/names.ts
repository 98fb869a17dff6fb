// `npm run bench:names`: one training epoch of examples/06_names_classifier.ts (8,090 surnames in 32 batches of
// up to 256, Embedding → packed 2-layer bidirectional GRU(32, 64) → Linear, Adam) on the wasm backend with the
// recurrent layers on tfjs ops, on the native kernels, and in PyTorch (bench/names_torch.py: the same model,
// data, split and batch sizes) when Debian's python3-torch is installed. Prints seconds per epoch and ratios.
//   npm run bench:names [-- --epochs N]   (the best of N epochs per path, 2 by default)
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { backward, nn, useBackend, backendReport, type Tensor } from "unroll";
import { namesExperiment } from "../examples/06_names_classifier";

const at = process.argv.indexOf("--epochs");
const EPOCHS = at > 0 ? Number(process.argv[at + 1]) : 2;

/** Seconds per training epoch, each epoch timed alone, for a fresh model and optimizer. */
async function epochs(): Promise<number[]> {
  // __dirname is out/bench once bundled: the data is found from the checkout's root.
  const experiment = namesExperiment({ file: path.join(__dirname, "../../examples/data/surnames.csv.gz") });
  const hparams = experiment.hparams ?? {};
  const model = experiment.model(hparams);
  const data = await experiment.data(hparams);
  const criterion = experiment.loss() as nn.CrossEntropyLoss;
  const optimizer = experiment.optimizer(model.parameters(), hparams);
  const seconds: number[] = [];
  for (let e = 0; e < EPOCHS; e++) {
    const batches = typeof data.train === "function" ? [...data.train()] : data.train;
    const t0 = performance.now();
    for (const [input, target] of batches) {
      optimizer.zeroGrad();
      backward(() => criterion.forward(model.forward(input) as Tensor, target as Tensor));
      optimizer.step();
    }
    seconds.push((performance.now() - t0) / 1000);
  }
  return seconds;
}

function pytorch(): number[] | string {
  try {
    const out = execFileSync("/usr/bin/python3", [path.join(__dirname, "../../bench/names_torch.py"), String(EPOCHS)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out).seconds as number[];
  } catch (error) {
    return `PyTorch unavailable (apt-get install python3-torch libopenblas0-pthread): ${(error as Error).message.split("\n")[0]}`;
  }
}

async function main() {
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const loadBefore = load();
  const rows: [string, number[] | string][] = [];
  await useBackend("wasm", { native: false });
  rows.push(["wasm, tfjs ops", await epochs()]);
  try {
    await useBackend("wasm", { native: true });
    rows.push([`wasm + native kernels (${backendReport()!.native.detail})`, await epochs()]);
  } catch (error) {
    rows.push(["native kernels", (error as Error).message]);
  }
  rows.push(["PyTorch (1 thread + OpenBLAS 2 threads)", pytorch()]);
  const torchBest = typeof rows[2][1] === "string" ? undefined : Math.min(...rows[2][1]);
  console.log(`One epoch of examples/06_names_classifier.ts (best of ${EPOCHS}); load average ${loadBefore} before, ${load()} after\n`);
  for (const [what, result] of rows) {
    if (typeof result === "string") {
      console.log(`${what.padEnd(56)} ${result}`);
      continue;
    }
    const best = Math.min(...result);
    const ratio = torchBest ? `${(best / torchBest).toFixed(2)}x PyTorch` : "";
    console.log(`${what.padEnd(56)} ${best.toFixed(2)} s  ${ratio.padEnd(14)} (epochs: ${result.map((s) => s.toFixed(2)).join(", ")} s)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
