// Where a training step's time goes, by kernel: `node esbuild.mjs --bench && node out/bench/profile.js LSTM 20,256,100,100 [layers] [bi]`.
import { tf, nn, backward, useBackend } from "unroll";
import * as tfTorch from "../src/nn/tf-torch"; // the tfjs-level factories: the closure-form cases run on tfjs tensors

async function main() {
  await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
  const kind = (process.argv[2] ?? "LSTM") as "LSTM" | "GRU" | "RNN";
  const [T, B, I, H] = (process.argv[3] ?? "100,64,128,512").split(",").map(Number);
  const m = new nn[kind](I, H, { numLayers: Number(process.argv[4] ?? 1), bidirectional: process.argv[5] === "bi" });
  const x = tfTorch.randn([T, B, I]);
  const run = () => backward(() => ((m as nn.GRU).forward(x)[0] as tf.Tensor).sum());
  run();
  const t0 = performance.now();
  run();
  console.log(`${String(m)} on [${T}, ${B}, ${I}]: forward + backward ${(performance.now() - t0).toFixed(0)} ms`);
  const profile = await tf.profile(run);
  const byKernel: Record<string, [number, number]> = {};
  for (const k of profile.kernels) {
    const entry = (byKernel[k.name] ??= [0, 0]);
    entry[0] += k.kernelTimeMs as number;
    entry[1]++;
  }
  const rows = Object.entries(byKernel).sort((a, b) => b[1][0] - a[1][0]);
  console.log(rows.map(([name, [ms, n]]) => `${name} ${ms.toFixed(1)} ms/${n}`).join(", "));
}

main();
