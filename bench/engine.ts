// `npm run bench`: ms per training step (forward, cross-entropy, backward, Adam step) of the cases of
// docs/engine-facts.md on Unroll's backend, with the recurrent layers on tfjs ops and on the native kernels
// (native/, when built), and on WebGPU when a hardware adapter exists (its fused kernels; case d, a GPU-sized
// LSTM, runs only there and in PyTorch), against PyTorch (bench/torch_ref.py, same cases) in the same run when
// Debian's python3-torch is installed, with 1 torch thread (+ OpenBLAS's 2) and with 2: the ratios take the faster
// of the two for each case. Case by case, the four ways (tfjs ops, native kernels, PyTorch 1 and 2 threads) are
// interleaved, in an order that alternates by round (--rounds, default 3), and each is the median of its rounds'
// medians, so that the machine's other load falls on both sides alike. Prints a table with the ratios, how much
// the rounds spread, WebGPU's TFLOP/s against the GPU's fp32 peak when known (UNROLL_GPU_PEAK_TFLOPS sets it), and
// the load average before and after.
//   npm run bench [-- --backend wasm|cpu|… --quick --rounds 5 --cases a_lstm_hello,b_gru_names --ways native,torch1,torch2 --webgpu-software]
//   npm run bench -- --profile [--no-native] --cases a_lstm_hello: the kernels of one step, in order, instead
//   npm run bench:floor (-- --cases …): the GEMM floor of each case's step (bench/floor.ts), GEMM by GEMM, instead
//   npm run bench -- --torch-style: each step written as PyTorch's lessons write it (Tensors, the model's forward
//   in Tensor methods, loss.backward()) instead of backward(() => loss) on tfjs tensors
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, nn, optim, torch, backward, useBackend, webgpuAdapter } from "unroll";
import * as tfTorch from "../src/nn/tf-torch"; // the tfjs-level factories: the closure-form cases run on tfjs tensors
type Tensor = tf.Tensor;
import * as T from "../src/nn/tensor-factories";
import { option } from "./lib/measure";
import { floorOf, floorTable, gemmTimer, type Floor } from "./floor";

const args = process.argv.slice(2);
const QUICK = args.includes("--quick") || process.env.BENCH_QUICK === "1";
const STEPS: Record<string, number> = { a: QUICK ? 50 : 200, b: QUICK ? 3 : 10, c: QUICK ? 2 : 5, d: QUICK ? 2 : 3 };
const WARMUP = 3;
const TORCH_STYLE = args.includes("--torch-style");

type TorchTensor = torch.Tensor;
/** `module.forward(...args)` with Tensors (the library's modules take them; their declared types are tfjs's). */
const call = <R = TorchTensor>(module: nn.Module, ...inputs: unknown[]): R => (module.forward as (...a: unknown[]) => R).apply(module, inputs);

class Hello extends nn.Module {
  rnn: nn.LSTM | nn.RNN;
  constructor(Cell: typeof nn.LSTM | typeof nn.RNN) {
    super();
    this.rnn = new Cell(4, 4);
  }
  override forward(x: Tensor): Tensor {
    const [out] = (this.rnn as nn.RNN).forward(x); // LSTM's output comes first too
    return out.reshape([-1, 4]);
  }
}

class Names extends nn.Module {
  rnn: nn.LSTM | nn.GRU;
  fc = new nn.Linear(200, 18);
  constructor(Cell: typeof nn.LSTM | typeof nn.GRU) {
    super();
    this.rnn = new Cell(100, 100, { numLayers: 2, bidirectional: true });
  }
  override forward(x: Tensor): Tensor {
    const h = this.rnn instanceof nn.LSTM ? this.rnn.forward(x)[1][0] : (this.rnn as nn.GRU).forward(x)[1];
    return this.fc.forward(tf.concat([h.gather(2), h.gather(3)], 1));
  }
}

class Long extends nn.Module {
  rnn = new nn.LSTM(128, 512);
  fc = new nn.Linear(512, 10);
  override forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.fc.forward(out.gather(99));
  }
}

class Big extends nn.Module {
  rnn = new nn.LSTM(1024, 1024, { numLayers: 2 });
  fc = new nn.Linear(1024, 10);
  override forward(x: Tensor): Tensor {
    const [out] = this.rnn.forward(x);
    return this.fc.forward(out.gather(199));
  }
}

/** The models of the cases written with Tensor methods, as PyTorch's lessons write them (--torch-style). */
class HelloTorch extends nn.Module {
  constructor(readonly rnn: nn.LSTM | nn.RNN) {
    super();
  }
  override forward(x: TorchTensor): TorchTensor {
    const [out] = call<TorchTensor[]>(this.rnn, x);
    return out.view(-1, 4);
  }
}

class NamesTorch extends nn.Module {
  constructor(
    readonly rnn: nn.LSTM | nn.GRU,
    readonly fc: nn.Linear,
  ) {
    super();
  }
  override forward(x: TorchTensor): TorchTensor {
    const [, state] = call<[TorchTensor, TorchTensor | TorchTensor[]]>(this.rnn, x);
    const h = Array.isArray(state) ? state[0] : state;
    return call(this.fc, T.cat([h.at(2), h.at(3)], 1));
  }
}

class LongTorch extends nn.Module {
  constructor(
    readonly rnn: nn.LSTM,
    readonly fc: nn.Linear,
  ) {
    super();
  }
  override forward(x: TorchTensor): TorchTensor {
    const [out] = call<TorchTensor[]>(this.rnn, x);
    return call(this.fc, out.at(-1));
  }
}

/** The case's model written with Tensor methods, on the same modules (so the same parameters). */
function torchStyle(model: nn.Module): nn.Module {
  if (model instanceof Hello) return new HelloTorch(model.rnn);
  if (model instanceof Names) return new NamesTorch(model.rnn, model.fc);
  if (model instanceof Long) return new LongTorch(model.rnn, model.fc);
  throw new Error("--torch-style: no Tensor version of this case's model");
}

interface Case {
  make: () => nn.Module;
  shape: number[];
  targets: number;
  classes: number;
  what: string;
  /** The recurrent stack, for its FLOPs: gates per unit, [input, hidden] per layer, directions. */
  rnn: { gates: number; layers: [number, number][]; directions: number };
  /** The Linear head from the last layer to the classes, and the rows reaching it (none: the outputs are the logits). */
  head?: { rows: number; classes: number };
  /** Too big for a CPU here: WebGPU and PyTorch only. */
  gpuOnly?: boolean;
}

const CASES: Record<string, Case> = {
  a_lstm_hello: {
    make: () => new Hello(nn.LSTM),
    shape: [5, 1, 4],
    targets: 5,
    classes: 4,
    what: 'LSTM(4, 4), seq 5, batch 1 ("hello")',
    rnn: { gates: 4, layers: [[4, 4]], directions: 1 },
  },
  a_rnn_hello: {
    make: () => new Hello(nn.RNN),
    shape: [5, 1, 4],
    targets: 5,
    classes: 4,
    what: "RNN(4, 4), seq 5, batch 1",
    rnn: { gates: 1, layers: [[4, 4]], directions: 1 },
  },
  b_lstm_names: {
    make: () => new Names(nn.LSTM),
    shape: [20, 256, 100],
    targets: 256,
    classes: 18,
    what: "2-layer bi LSTM(100, 100), seq 20, batch 256",
    head: { rows: 256, classes: 18 },
    rnn: {
      gates: 4,
      layers: [
        [100, 100],
        [200, 100],
      ],
      directions: 2,
    },
  },
  b_gru_names: {
    make: () => new Names(nn.GRU),
    shape: [20, 256, 100],
    targets: 256,
    classes: 18,
    what: "2-layer bi GRU(100, 100), seq 20, batch 256",
    head: { rows: 256, classes: 18 },
    rnn: {
      gates: 3,
      layers: [
        [100, 100],
        [200, 100],
      ],
      directions: 2,
    },
  },
  c_lstm_long: {
    make: () => new Long(),
    shape: [100, 64, 128],
    targets: 64,
    classes: 10,
    what: "LSTM(128, 512), seq 100, batch 64",
    head: { rows: 64, classes: 10 },
    rnn: { gates: 4, layers: [[128, 512]], directions: 1 },
  },
  d_lstm_big: {
    make: () => new Big(),
    shape: [200, 256, 1024],
    targets: 256,
    classes: 10,
    what: "2-layer LSTM(1024, 1024), seq 200, batch 256",
    head: { rows: 256, classes: 10 },
    rnn: {
      gates: 4,
      layers: [
        [1024, 1024],
        [1024, 1024],
      ],
      directions: 1,
    },
    gpuOnly: true,
  },
};

/** Floating-point operations of one training step's recurrent matmuls: forward 2·T·B·(in + hidden)·gates·hidden
 *  per layer and direction; backward twice that (the gradients of the inputs and of the weights). */
function stepFlops({ shape: [T, B], rnn }: Case): number {
  const forward = rnn.layers.reduce((sum, [input, hidden]) => sum + 2 * T * B * (input + hidden) * rnn.gates * hidden * rnn.directions, 0);
  return 3 * forward;
}

/** Datasheet fp32 peaks (TFLOP/s, without sparsity) of common GPUs, matched on the adapter's names; an
 *  approximation — UNROLL_GPU_PEAK_TFLOPS overrides it. */
const FP32_PEAK: [RegExp, number][] = [
  [/H200|H100.*SXM|H100 80GB HBM3/i, 67],
  [/H100/i, 51],
  [/A100/i, 19.5],
  [/L40S/i, 91.6],
  [/\bL4\b/i, 30.3],
  [/A10\b/i, 31.2],
  [/\bT4\b/i, 8.1],
  [/RTX 4090/i, 82.6],
  [/RTX 3090/i, 35.6],
  [/V100/i, 15.7],
];

function fp32Peak(): { tflops: number; source: string } | null {
  const set = Number(process.env.UNROLL_GPU_PEAK_TFLOPS);
  if (set > 0) return { tflops: set, source: "UNROLL_GPU_PEAK_TFLOPS" };
  const a = webgpuAdapter();
  const names = a ? `${a.vendor} ${a.architecture} ${a.device} ${a.description}` : "";
  const hit = FP32_PEAK.find(([re]) => re.test(names));
  return hit ? { tflops: hit[1], source: `datasheet fp32 peak for ${hit[0].source.replace(/\\b/g, "")}` } : null;
}

interface Timing {
  ms: number;
  p10: number;
  p90: number;
  steps: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];

/** One training step of case `id` (forward, cross-entropy, backward, Adam), as a function, warmed up. */
function stepOf(id: string): () => void {
  const c = CASES[id];
  torch.manualSeed(0);
  const model = c.make();
  const x = tfTorch.randn(c.shape);
  const y = tfTorch.randint(0, c.classes, [c.targets]);
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const step = TORCH_STYLE
    ? ((pytorchModel: nn.Module, xs: TorchTensor, ys: TorchTensor) => () => {
        optimizer.zeroGrad();
        const loss = call(criterion, call(pytorchModel, xs), ys);
        loss.backward();
        optimizer.step();
      })(torchStyle(model), torch.fromTf(x), torch.fromTf(y))
    : () => {
        optimizer.zeroGrad();
        backward(() => criterion.forward(model.forward(x), y));
        optimizer.step();
      };
  for (let i = 0; i < WARMUP; i++) step();
  return step;
}

function bench(id: string): Timing {
  const step = stepOf(id);
  const times: number[] = [];
  for (let i = 0; i < STEPS[id[0]]; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  process.stderr.write(`${id}: ${quantile(times, 0.5).toFixed(1)} ms\n`);
  return { ms: quantile(times, 0.5), p10: quantile(times, 0.1), p90: quantile(times, 0.9), steps: times.length };
}

/** PyTorch's timings from bench/torch_ref.py with `threads` torch threads, or the reason there are none. */
function pytorch(ids: string[], threads = 1): { cases: Record<string, Timing>; setup: string } | string {
  const python = "/usr/bin/python3";
  const script = path.join(__dirname, "../../bench/torch_ref.py");
  if (!fs.existsSync(python)) return "no /usr/bin/python3";
  try {
    const out = execFileSync(python, [script, "--threads", String(threads), ...ids], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_QUICK: QUICK ? "1" : "" },
    });
    const json = JSON.parse(out) as { torch: string; threads: number; blas: string; cases: Record<string, Timing>; refused?: string };
    if (json.refused) return json.refused; // the reference BLAS: no ratio against it (bench/blas_check.py)
    return { cases: json.cases, setup: `PyTorch ${json.torch}, ${json.threads} thread(s), ${json.blas}` };
  } catch (error) {
    return `PyTorch reference unavailable (apt-get install python3-torch libopenblas0-pthread): ${(error as Error).message.split("\n")[0]}`;
  }
}

/** The targets of issues #11 and #24 for the native kernels, as a ratio to PyTorch; and to the floor (issue #24). */
const NATIVE_TARGET: Record<string, number> = { a: 0.5, b: 0.5, c: 0.4 };
const FLOOR_TARGET = 1.3;

/** Each case's floor (bench/floor.ts) as a function timing it, or why there is none. */
function floors(): { floor: (id: string) => Floor; detail: string } | string {
  const timer = gemmTimer();
  if (typeof timer === "string") return timer;
  return { floor: (id) => floorOf(CASES[id], timer.time, timer.threads), detail: timer.detail };
}

/** The cases on WebGPU when a hardware adapter exists (`--webgpu-software`: on a software one too), or why not. */
async function webgpu(ids: string[]): Promise<{ cases: Record<string, Timing>; summary: string } | string> {
  try {
    const report = await useBackend("webgpu", { native: false });
    const adapter = webgpuAdapter()!;
    if (adapter.software && !args.includes("--webgpu-software")) {
      const name = /llvmpipe|lavapipe|swiftshader/i.exec(`${adapter.device} ${adapter.description}`)?.[0] ?? adapter.device;
      return `skipped, no hardware adapter (${name} is software)`;
    }
    return { cases: Object.fromEntries(ids.map((id) => [id, bench(id)])), summary: report.summary };
  } catch (error) {
    return `skipped, ${(error as Error).message}`;
  }
}

/** `--profile`: the kernels of one training step of each case, in the order they ran (runs of one kernel folded
 *  as `Name×n`), with their count and summed kernel time, and the step's wall time around them. */
async function profile(ids: string[]): Promise<void> {
  for (const id of ids) {
    const step = stepOf(id);
    const t0 = performance.now();
    const info = await tf.profile(step);
    const wall = performance.now() - t0;
    const names = info.kernels.map((k) => k.name);
    const folded: string[] = [];
    for (let i = 0; i < names.length;) {
      let j = i;
      while (j < names.length && names[j] === names[i]) j++;
      folded.push(j - i > 1 ? `${names[i]}×${j - i}` : names[i]);
      i = j;
    }
    const kernelMs = info.kernels.reduce((sum, k) => sum + (typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0), 0);
    const byName: Record<string, [number, number]> = {};
    for (const k of info.kernels) {
      const entry = (byName[k.name] ??= [0, 0]);
      entry[0]++;
      entry[1] += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    }
    const counts = Object.entries(byName)
      .sort((a, b) => b[1][1] - a[1][1])
      .map(([n, [count, ms]]) => `${n} ${count} (${ms.toFixed(2)} ms)`)
      .join(", ");
    console.log(`${id}: ${names.length} kernels, ${kernelMs.toFixed(2)} ms in kernels, ${wall.toFixed(2)} ms profiled step`);
    console.log(`  by kernel, count (kernel time; a custom op's includes the kernels it runs): ${counts}`);
    console.log(`  in order: ${folded.join(" ")}\n`);
  }
}

/** The ways a case is timed, interleaved: Unroll on tfjs ops and on the native kernels, PyTorch with 1 and 2 threads. */
type Way = "tfjs" | "native" | "torch1" | "torch2";
const ALL_WAYS: Way[] = ["tfjs", "native", "torch1", "torch2"];
/** --ways native,torch1,torch2: fewer ways (tfjs ops take 5–10x the native kernels' time on b and c). */
const WAYS = (option("ways")?.split(",") as Way[] | undefined) ?? ALL_WAYS;

/** Each way's median step of each round, per case, and the case's floor timed in the same round. */
type Rounds = Record<string, Partial<Record<Way | "floor", number[]>>>;

/** Times every case every way, case by case, `rounds` times: the order of the ways alternates from one round to the
 *  next, so that the machine's other load (which moves PyTorch's step by 1.5x here) falls on both sides alike. */
async function interleaved(
  backend: string,
  ids: string[],
  rounds: number,
  withNative: boolean,
  notes: string[],
  floorMs?: (id: string) => number,
): Promise<Rounds> {
  const times: Rounds = Object.fromEntries(ids.map((id) => [id, {}]));
  const add = (id: string, way: Way | "floor", ms: number | undefined) => ms !== undefined && (times[id][way] ??= []).push(ms);
  for (let round = 0; round < rounds; round++) {
    for (const id of ids) {
      const ways = round % 2 ? [...WAYS].reverse() : WAYS;
      for (const way of ways) {
        if (way === "tfjs" || way === "native") {
          if (way === "native" && !withNative) continue;
          await useBackend(backend, { native: way === "native" });
          add(id, way, bench(id).ms);
        } else {
          const reference = pytorch([id], way === "torch1" ? 1 : 2);
          if (typeof reference === "string") notes.push(reference);
          else add(id, way, reference.cases[id]?.ms);
          if (typeof reference !== "string" && round === 0 && id === ids[0]) notes.push(`${way}: ${reference.setup}`);
        }
      }
      if (floorMs) add(id, "floor", floorMs(id)); // in the same round: the load that slows the step slows its floor
    }
  }
  return times;
}

const median = (xs: number[] | undefined) =>
  xs?.length
    ? quantile(
        [...xs].sort((a, b) => a - b),
        0.5,
      )
    : undefined;
/** How far the rounds' medians spread: max / min. */
const spread = (xs: number[] | undefined) => (xs && xs.length > 1 ? `${(Math.max(...xs) / Math.min(...xs)).toFixed(2)}` : "-");

async function main() {
  const backend = option("backend") ?? "wasm";
  const ids = option("cases")?.split(",") ?? Object.keys(CASES);
  for (const way of WAYS) if (!ALL_WAYS.includes(way)) throw new Error(`unknown way ${way}; known: ${ALL_WAYS.join(", ")}`);
  for (const id of ids) if (!CASES[id]) throw new Error(`unknown case ${id}; known: ${Object.keys(CASES).join(", ")}`);
  if (args.includes("--floor")) {
    const f = floors();
    if (typeof f === "string") throw new Error(f);
    console.log(
      `GEMM floor of each training step on the native kernels' math (${f.detail}); load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}\n`,
    );
    for (const id of ids.filter((i) => !CASES[i].gpuOnly)) console.log(`${floorTable(id, f.floor(id))}\n`);
    return;
  }
  if (args.includes("--profile")) {
    const report = await useBackend(backend, { native: !args.includes("--no-native") });
    console.log(`${report.summary}\n`);
    return profile(ids.filter((id) => !CASES[id].gpuOnly));
  }
  const rounds = Number(option("rounds") ?? (QUICK ? 1 : 3));
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ");
  const loadBefore = load();
  const cpuIds = ids.filter((id) => !CASES[id].gpuOnly);
  const tfjs = await useBackend(backend, { native: false });
  let nativeDetail: string;
  let withNative = true;
  try {
    nativeDetail = (await useBackend(backend, { native: true })).native.detail;
  } catch (error) {
    nativeDetail = (error as Error).message;
    withNative = false;
  }
  const notes: string[] = [];
  const floor = withNative ? floors() : "no native kernels";
  if (typeof floor === "string") notes.push(`floor: ${floor}`);
  else notes.push(`floor: the GEMMs of each step (bench/floor.ts) on ${floor.detail}, timed in each round beside the step; npm run bench:floor lists them`);
  const times = await interleaved(backend, cpuIds, rounds, withNative, notes, typeof floor === "string" ? undefined : (id) => floor.floor(id).ms);
  const gpu = await webgpu(ids);
  const gpuReference = typeof gpu === "string" ? null : pytorch(ids.filter((id) => CASES[id].gpuOnly));
  const peak = typeof gpu === "string" ? null : fp32Peak();
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}x` : "-");
  const rows = ids.map((id) => {
    const t = times[id] ?? {};
    const [tfjsMs, nativeMs, torch1Ms, torch2Ms] = ALL_WAYS.map((way) => median(t[way]));
    const gpuTorch = gpuReference && typeof gpuReference !== "string" ? gpuReference.cases[id]?.ms : undefined;
    // PyTorch at its best thread setting for this case.
    const torchMs = [torch1Ms, torch2Ms, gpuTorch].filter((x): x is number => x !== undefined).reduce((a, b) => Math.min(a, b), Infinity);
    const best = Number.isFinite(torchMs) ? torchMs : undefined;
    const gpuMs = typeof gpu === "string" ? undefined : gpu.cases[id]?.ms;
    const tflops = gpuMs ? stepFlops(CASES[id]) / (gpuMs / 1000) / 1e12 : undefined;
    const target = NATIVE_TARGET[id[0]];
    const met = nativeMs && best ? (nativeMs / best <= target ? "yes" : "no") : "-";
    const floorMs = median(t.floor);
    const floorMet = nativeMs && floorMs ? (nativeMs / floorMs <= FLOOR_TARGET ? "yes" : "no") : "-";
    const bestThreads = torch1Ms === undefined && torch2Ms === undefined ? "-" : torch2Ms === undefined || (torch1Ms ?? Infinity) <= torch2Ms ? "1t" : "2t";
    return [
      id,
      CASES[id].what,
      tfjsMs?.toFixed(1) ?? "-",
      nativeMs?.toFixed(1) ?? "-",
      gpuMs?.toFixed(1) ?? "-",
      torch1Ms?.toFixed(1) ?? "-",
      torch2Ms?.toFixed(1) ?? "-",
      gpuTorch !== undefined && gpuTorch === best ? "1t" : bestThreads,
      ratio(tfjsMs, best),
      ratio(nativeMs, best),
      target ? `≤${target.toFixed(1)}x` : "-",
      met,
      floorMs === undefined ? "-" : floorMs < 1 ? floorMs.toFixed(3) : floorMs.toFixed(1),
      ratio(nativeMs, floorMs),
      floorMet,
      spread(t.native),
      spread(torch1Ms !== undefined && (torch2Ms === undefined || torch1Ms <= torch2Ms) ? t.torch1 : t.torch2),
      ratio(gpuMs, best),
      tflops?.toFixed(2) ?? "-",
      tflops && peak ? `${((100 * tflops) / peak.tflops).toFixed(1)}%` : "-",
    ];
  });
  const header = [
    "case",
    "model",
    `${tfjs.name} ms`,
    "native ms",
    "webgpu ms",
    "pt 1t ms",
    "pt 2t ms",
    "pt best",
    `${tfjs.name}/pt`,
    "native/pt",
    "target",
    "met",
    "floor ms",
    "native/floor",
    `≤${FLOOR_TARGET}x floor`,
    "native spread",
    "pt spread",
    "webgpu/pt",
    "TFLOP/s",
    "% fp32 peak",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join("  ");
  console.log(`Unroll: ${tfjs.summary}`);
  console.log(`native: ${nativeDetail}`);
  console.log(
    typeof gpu === "string"
      ? `webgpu: ${gpu}`
      : `webgpu: ${gpu.summary}${peak ? ` — fp32 peak ${peak.tflops} TFLOP/s (${peak.source})` : " — fp32 peak unknown"}`,
  );
  for (const note of new Set(notes)) console.log(note);
  console.log(
    `median over ${rounds} round(s) of each round's median ms per training step (Adam, cross-entropy${TORCH_STYLE ? ", written with Tensors and loss.backward()" : ""}), the cases and ways interleaved, the order alternating by round${QUICK ? ", quick run" : ""}; x/pt against PyTorch at its best thread setting per case (pt best: which); floor: the step's GEMMs alone at the rate the native kernels' math reaches for their shapes; spread: slowest / fastest round; load average ${loadBefore} before, ${load()} after\n`,
  );
  console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
