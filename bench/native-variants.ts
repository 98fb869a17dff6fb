// `npm run bench:variants`: forward + backward of the recurrent stack of the engine cases b and c on each CPU
// variant of the native kernels (prebuilds/<platform>-<arch>/unroll_native_<variant>.node) that this CPU runs,
// plus any other module given (`-- --also native/build/Release/some.node`, e.g. a -march=native build), as ms
// and as a ratio to the first. Rounds alternate the variants, so that a change of load hits them all alike.
import * as os from "node:os";
import { nn, backward, useBackend } from "unroll";
import * as tfTorch from "../src/nn/tf-torch"; // the tfjs-level factories: the closure-form cases run on tfjs tensors
import { setNativeKernels, type NativeAddon } from "../src/nn/native";
import { cpuFlags, prebuildDirs, VARIANTS } from "../src/nn/native-load";
import * as fs from "node:fs";
import * as path from "node:path";

const args = process.argv.slice(2);
const ROUNDS = args.includes("--quick") ? 3 : 7;
const also = args.flatMap((a, i) => (args[i - 1] === "--also" ? [path.resolve(a)] : []));

const CASES: Record<string, { make: () => nn.LSTM | nn.GRU; shape: number[] }> = {
  "b LSTM 2-layer bi 100→100, seq 20, batch 256": { make: () => new nn.LSTM(100, 100, { numLayers: 2, bidirectional: true }), shape: [20, 256, 100] },
  "b GRU 2-layer bi 100→100, seq 20, batch 256": { make: () => new nn.GRU(100, 100, { numLayers: 2, bidirectional: true }), shape: [20, 256, 100] },
  "c LSTM 128→512, seq 100, batch 64": { make: () => new nn.LSTM(128, 512), shape: [100, 64, 128] },
};

function modules(): { name: string; addon: NativeAddon }[] {
  const dir = prebuildDirs(__dirname).find((d) => fs.existsSync(d));
  if (!dir) throw new Error("no prebuilds: npm run build:native");
  const flags = cpuFlags();
  const files = VARIANTS.filter((v) => v.flags.every((f) => flags.has(f)))
    .map((v) => ({ name: v.name, file: path.join(dir, `unroll_native_${v.name}.node`) }))
    .filter((m) => fs.existsSync(m.file));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- modules found by path at run time
  return [...files, ...also.map((file) => ({ name: path.basename(file), file }))].map((m) => ({ name: m.name, addon: require(m.file) as NativeAddon }));
}

async function main() {
  await useBackend("wasm", { native: false });
  const variants = modules();
  const load = () => os.loadavg()[0].toFixed(2);
  console.log(`load ${load()}; ${ROUNDS} rounds; ms per forward + backward (median)`);
  for (const [what, c] of Object.entries(CASES)) {
    tfTorch.manualSeed(0);
    const rnn = c.make();
    const x = tfTorch.randn(c.shape);
    const step = () => backward(() => (rnn as nn.GRU).forward(x)[0].square().mean()); // LSTM's output comes first too
    const times = variants.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS + 1; r++) {
      variants.forEach((v, k) => {
        setNativeKernels(v.addon);
        const t0 = performance.now();
        step();
        if (r > 0) times[k].push(performance.now() - t0); // round 0 warms up
      });
    }
    const medians = times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
    console.log(`${what}: ${variants.map((v, k) => `${v.name} ${medians[k].toFixed(1)} ms (${(medians[k] / medians[0]).toFixed(2)}x)`).join(", ")}`);
  }
  setNativeKernels(null);
  console.log(`load ${load()}`);
}

void main();
