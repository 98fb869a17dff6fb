// Realistic messages for the webview dev pages (test/webview/dev.mjs): a trace of an LSTM model file, a
// training run with live-looking curves, a parameter snapshot and an LSTM's dynamics computed by running
// an actual (small, randomly initialised) LSTM in plain JavaScript. Deterministic (seeded).

let seed = 7;
const rand = () => ((seed = (seed * 1664525 + 1013904223) % 4294967296) / 4294967296);
const randn = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const sigmoid = (x) => 1 / (1 + Math.exp(-x));

const loc = (line, column = 13) => ({ file: "/work/project/examples/03_lstm.ts", line, column });

export function trace() {
  const lstmParams = [];
  for (let l = 0; l < 2; l++) {
    const inp = l === 0 ? 50 : 100;
    lstmParams.push(
      { name: `weight_ih_l${l}`, shape: [400, inp], count: 400 * inp },
      { name: `weight_hh_l${l}`, shape: [400, 100], count: 40000 },
      { name: `bias_ih_l${l}`, shape: [400], count: 400 },
      { name: `bias_hh_l${l}`, shape: [400], count: 400 },
    );
  }
  const total = lstmParams.reduce((s, p) => s + p.count, 0);
  return {
    file: "/work/project/examples/03_lstm.ts",
    durationMs: 183.4,
    backend: "wasm (WebAssembly, SIMD, 8 threads)",
    backendName: "wasm",
    entries: [
      { kind: "tensor", location: loc(8, 15), name: "randn", outputs: [{ name: "out", shape: [10, 3, 50] }], count: 1 },
      { kind: "module", location: loc(11, 14), name: "LSTM", config: "LSTM(50, 100, num_layers=2)", parameters: lstmParams, parameterCount: total, count: 1 },
      {
        kind: "call",
        location: loc(12, 35),
        name: "LSTM",
        config: "LSTM(50, 100, num_layers=2)",
        inputs: [{ name: "input", shape: [10, 3, 50] }, { name: "h0", shape: [2, 3, 100] }, { name: "c0", shape: [2, 3, 100] }],
        outputs: [{ name: "out", shape: [10, 3, 100] }, { name: "h_n", shape: [2, 3, 100] }, { name: "c_n", shape: [2, 3, 100] }],
        count: 1,
      },
      {
        kind: "module",
        location: loc(15, 15),
        name: "RNN",
        config: "RNN(100, 20, num_layers=4, bidirectional=True)",
        parameterCount: 23040,
        parameters: [{ name: "weight_ih_l0", shape: [20, 100], count: 2000 }, { name: "weight_hh_l0", shape: [20, 20], count: 400 }],
        count: 1,
      },
      {
        kind: "call",
        location: loc(16, 30),
        name: "RNN",
        config: "RNN(100, 20, num_layers=4, bidirectional=True)",
        inputs: [{ name: "input", shape: [10, 3, 100] }],
        outputs: [{ name: "out", shape: [10, 3, 40] }, { name: "h_n", shape: [8, 3, 20] }],
        count: 1,
      },
      { kind: "module", location: loc(19, 14), name: "GRU", config: "GRU(10, 20, batch_first=True)", parameterCount: 1920, count: 1 },
      {
        kind: "call",
        location: loc(20, 31),
        name: "GRU",
        config: "GRU(10, 20, batch_first=True)",
        inputs: [{ name: "input", shape: [32, 1000, 10] }],
        outputs: [{ name: "out", shape: [32, 1000, 20] }, { name: "h_n", shape: [1, 32, 20] }],
        count: 1,
      },
      { kind: "module", location: loc(23, 15), name: "LSTMCell", config: "LSTMCell(100, 20)", parameterCount: 9680, count: 1 },
      {
        kind: "call",
        location: loc(26, 14),
        name: "LSTMCell",
        config: "LSTMCell(100, 20)",
        inputs: [{ name: "input", shape: [3, 100] }, { name: "hx", shape: [3, 20] }, { name: "cx", shape: [3, 20] }],
        outputs: [{ name: "h", shape: [3, 20] }, { name: "c", shape: [3, 20] }],
        count: 6,
      },
      {
        kind: "call",
        location: loc(30, 20),
        name: "LSTM",
        config: "LSTM(100, 20)",
        inputs: [{ name: "input", shape: [10, 3, 50] }],
        count: 1,
        error: "LSTM(input_size=100, hidden_size=20) got input [10, 3, 50]: the last dimension must be 100 (input_size), not 50",
      },
    ],
    error: {
      kind: "shape",
      message: "LSTM(input_size=100, hidden_size=20) got input [10, 3, 50]: the last dimension must be 100 (input_size), not 50",
      location: loc(30, 20),
    },
  };
}

export const runInfo = (patch = {}) => ({
  id: "20261122-193000-char-lstm",
  name: "char-level LSTM (tiny shakespeare)",
  file: "/work/project/examples/06_char_lstm.ts",
  status: "running",
  pid: 4242,
  backend: "wasm (WebAssembly, SIMD, 8 threads) — skipped tfjs-node-gpu: not installed",
  startedAt: new Date(Date.now() - 4 * 60_000).toISOString(),
  config: { epochs: 30, model: "CharLSTM(embed=Embedding(65, 16), lstm=LSTM(16, 32, num_layers=2), fc=Linear(32, 65))", parameterCount: 17985, optimizer: "Adam(lr=0.01)", snapshotEvery: 50 },
  ...patch,
});

/** Loss per step: a decay with noise and the odd spike; lr on a cosine schedule. */
export function steps(count, { scale = 1, decay = 600, floor = 0.45, lr = 0.01, stepsPerEpoch = 100 } = {}) {
  const out = [];
  for (let s = 1; s <= count; s++) {
    const clean = scale * 3.7 * Math.exp(-s / decay) + floor;
    const loss = clean * (1 + 0.12 * randn()) + (rand() < 0.004 ? 1.5 * rand() : 0);
    out.push({ epoch: Math.ceil(s / stepsPerEpoch), step: s, loss: Math.max(loss, 0.05), lr: lr * 0.5 * (1 + Math.cos((Math.PI * s) / 3000)), time: s * 0.04 + 0.3 });
  }
  return out;
}

const SAMPLES = ["tttttttt", "the the ", "thend th", "the kint", "the king", "the king", "the king'", "the king's"];

export function epochs(stepList, stepsPerEpoch = 100) {
  const out = [];
  for (let e = 1; e * stepsPerEpoch <= stepList.length; e++) {
    const slice = stepList.slice((e - 1) * stepsPerEpoch, e * stepsPerEpoch);
    const loss = slice.reduce((s, x) => s + x.loss, 0) / slice.length;
    out.push({ epoch: e, loss, metrics: { accuracy: Math.min(0.98, 0.15 + 0.8 * (1 - Math.exp(-e / 6))), predicted: SAMPLES[Math.min(SAMPLES.length - 1, Math.floor(e / 3))] } });
  }
  return out;
}

const minOf = (values) => values.reduce((a, b) => Math.min(a, b), Infinity);
const maxOf = (values) => values.reduce((a, b) => Math.max(a, b), -Infinity);

function histogramOf(values, bins = 30) {
  const min = minOf(values);
  const max = maxOf(values);
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - min) / (max - min || 1)) * bins))]++;
  return { min, max, counts };
}

function parameter(name, shape, { gates, layer, direction, scale = 0.18, biasShift = {}, downsampleTo } = {}) {
  const [rows, cols = 1] = shape;
  const gateRows = gates ? rows / gates.length : rows;
  const values = [];
  for (let r = 0; r < rows; r++) {
    const gate = gates?.[Math.floor(r / gateRows)];
    const rowScale = scale * (0.6 + 0.8 * Math.abs(Math.sin(r * 0.37)));
    for (let c = 0; c < cols; c++) values.push(rowScale * randn() + (biasShift[gate] ?? 0) + (c % 7 === 0 ? 0.05 : 0));
  }
  const stats = values.reduce((s, v) => ({ sum: s.sum + v, sq: s.sq + v * v }), { sum: 0, sq: 0 });
  const mean = stats.sum / values.length;
  let heatmap = { rows: shape.length === 1 ? 1 : rows, cols: shape.length === 1 ? rows : cols, values };
  if (downsampleTo) {
    const [R, C] = downsampleTo;
    const small = [];
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) {
      let s = 0;
      const br = rows / R, bc = cols / C;
      for (let i = 0; i < br; i++) for (let j = 0; j < bc; j++) s += values[(r * br + i) * cols + c * bc + j];
      small.push(s / (br * bc) * 3);
    }
    heatmap = { rows: R, cols: C, values: small, downsampledFrom: shape };
  }
  return {
    name,
    shape,
    mean,
    std: Math.sqrt(stats.sq / values.length - mean * mean),
    min: minOf(values),
    max: maxOf(values),
    norm: Math.sqrt(stats.sq),
    gradNorm: 0.02 + 0.3 * rand(),
    histogram: histogramOf(values),
    heatmap,
    ...(gates ? { gates } : {}),
    ...(layer !== undefined ? { layer, direction } : {}),
  };
}

export function snapshot() {
  const lstm = ["i", "f", "g", "o"];
  const parameters = [parameter("embed.weight", [65, 16], { scale: 1 })];
  for (let l = 0; l < 2; l++) {
    const o = { gates: lstm, layer: l, direction: "forward" };
    parameters.push(
      parameter(`lstm.weight_ih_l${l}`, [128, l === 0 ? 16 : 32], o),
      parameter(`lstm.weight_hh_l${l}`, [128, 32], o),
      parameter(`lstm.bias_ih_l${l}`, [128], { ...o, scale: 0.1, biasShift: { f: 0.9 } }),
      parameter(`lstm.bias_hh_l${l}`, [128], { ...o, scale: 0.1 }),
    );
  }
  parameters.push(parameter("decoder.weight_hh_l0", [768, 256], { gates: ["r", "z", "n"], layer: 0, direction: "reverse", scale: 0.06, downsampleTo: [192, 64] }));
  parameters.push(parameter("fc.weight", [65, 32]), parameter("fc.bias", [65], { scale: 0.05 }));
  parameters[parameters.length - 2].gradNorm = null;
  return { epoch: 12, step: 1150, parameters };
}

/** Runs a 2-layer LSTM (input 16, hidden 32) over 48 steps of a random sequence, recording h, c and gates. */
export function dynamics() {
  const T = 48, I = 16, H = 32;
  const layers = [];
  let inputs = Array.from({ length: T }, (_, t) => Array.from({ length: I }, (_, k) => Math.sin(t * 0.3 + k) + 0.5 * randn()));
  for (let l = 0; l < 2; l++) {
    const n = l === 0 ? I : H;
    const W = Array.from({ length: 4 * H }, () => Array.from({ length: n + H }, () => randn() * 0.45));
    const b = Array.from({ length: 4 * H }, (_, r) => (r >= H && r < 2 * H ? 1 : 0));
    let h = new Array(H).fill(0), c = new Array(H).fill(0);
    const hidden = [], cell = [], gates = [];
    for (let t = 0; t < T; t++) {
      const x = [...inputs[t], ...h];
      const z = W.map((row, r) => row.reduce((s, w, k) => s + w * x[k], b[r]));
      const gi = z.slice(0, H).map(sigmoid), gf = z.slice(H, 2 * H).map(sigmoid), gg = z.slice(2 * H, 3 * H).map(Math.tanh), go = z.slice(3 * H).map(sigmoid);
      c = c.map((cv, k) => gf[k] * cv + gi[k] * gg[k]);
      h = c.map((cv, k) => go[k] * Math.tanh(cv));
      hidden.push(h);
      cell.push(c);
      gates.push([gi, gf, gg, go]);
    }
    const gradNorms = Array.from({ length: T }, (_, t) => Math.exp(-(T - 1 - t) * (l === 0 ? 0.16 : 0.09)) * (0.8 + 0.4 * rand()) * 0.3);
    layers.push({ module: "lstm", kind: "LSTM", layer: l, direction: "forward", hidden, cell, gates: { names: ["i", "f", "g", "o"], values: gates }, gradNorms });
    inputs = hidden;
  }
  return { epoch: 12, step: 1150, layers };
}

export function runDetail(stepCount = 1200) {
  const s = steps(stepCount);
  const e = epochs(s);
  const last = e[e.length - 1];
  const info = runInfo({ epoch: last?.epoch, finalLoss: last?.loss, finalMetrics: last?.metrics });
  return { summary: { info, dir: "/work/project/.unroll/runs/" + info.id, lossCurve: s.filter((_, i) => i % 10 === 0).map((x) => [x.step, x.loss]) }, steps: s, epochs: e, snapshot: snapshot(), dynamics: dynamics() };
}

export function compareRuns() {
  return [0.02, 0.005].map((lr, i) => {
    const s = steps(3000, { decay: i ? 1100 : 380, floor: i ? 0.6 : 0.5, lr });
    const info = runInfo({ id: `2026112${1 + i}-10${i}000-char-lstm`, status: "completed", startedAt: "2026-11-2" + (1 + i) + "T10:00:00Z", endedAt: "2026-11-2" + (1 + i) + "T10:20:00Z" });
    return { summary: { info, dir: "", lossCurve: [] }, steps: s, epochs: epochs(s) };
  });
}

export function runSummaries() {
  const curve = (n, decay, floor) => Array.from({ length: n }, (_, i) => [i * 10, 3.5 * Math.exp(-(i * 10) / decay) + floor + 0.1 * rand()]);
  const base = {
    config: { epochs: 30, model: "RNNCell(4, 4)", parameterCount: 40, optimizer: "Adam(lr=0.1)", snapshotEvery: 50 },
    pid: 1,
  };
  const now = Date.now();
  const iso = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
  return [
    { info: runInfo({ epoch: 12, finalLoss: 0.8123, finalMetrics: { accuracy: 0.71, predicted: "the king" } }), dir: "", lossCurve: curve(120, 300, 0.7) },
    { info: { ...base, id: "20261122-181500-hello", name: "hello → ohlol (RNNCell)", file: "/work/project/examples/05a_hello_rnncell.ts", status: "completed", backend: "wasm (WebAssembly)", backendName: "wasm", startedAt: iso(75), endedAt: iso(74), epoch: 30, finalLoss: 0.0421, finalMetrics: { predicted: "ohlol" } }, dir: "", lossCurve: curve(30, 60, 0.04) },
    { info: { ...base, id: "20261122-180000-hello-rnn", name: "hello → ohlol (RNN)", file: "/work/project/examples/05b_hello_rnn.ts", status: "stopped", backend: "tfjs-node (native, CPU)", startedAt: iso(90), endedAt: iso(88), epoch: 9, finalLoss: 0.913, finalMetrics: { predicted: "ohlll" } }, dir: "", lossCurve: curve(9, 40, 0.8) },
    { info: { ...base, id: "20261122-170000-seq2seq", name: "seq2seq reverse", file: "/work/project/examples/08_seq2seq_reverse.ts", status: "failed", backend: "wasm (WebAssembly)", backendName: "wasm", startedAt: iso(150), endedAt: iso(149), epoch: 2, finalLoss: NaN, error: { kind: "nan", message: "The loss became NaN at epoch 2, step 137" } }, dir: "", lossCurve: curve(14, 20, 2).concat([[140, NaN]]) },
    { info: { ...base, id: "20261121-090000-gru", name: "GRU sentiment", file: "/work/project/examples/07_gru_sentiment.ts", status: "interrupted", backend: "webgpu (WebGPU)", startedAt: iso(60 * 26), epoch: 4, finalLoss: 0.4411, finalMetrics: { accuracy: 0.8125, f1: 0.79 } }, dir: "", lossCurve: curve(40, 200, 0.4) },
    // Two more runs of 05b: labelled by what differs (lr), one renamed and tagged by its user, with a note.
    { info: { ...base, id: "20261122-181400-hello-rnn", name: "hello → ohlol (RNN)", file: "/work/project/examples/05b_hello_rnn.ts", status: "completed", backend: "wasm", backendName: "wasm + native", startedAt: iso(95), endedAt: iso(94), epoch: 30, finalLoss: 0.0312, hparams: { lr: 0.3 } }, dir: "", lossCurve: curve(30, 30, 0.03), label: "lr 0.3 · 18:14" },
    { info: { ...base, id: "20261122-180500-hello-rnn", name: "hello → ohlol (RNN)", file: "/work/project/examples/05b_hello_rnn.ts", status: "completed", backend: "wasm", backendName: "wasm + native", startedAt: iso(100), endedAt: iso(99), epoch: 30, finalLoss: 0.2104, hparams: { lr: 0.03 } }, dir: "", lossCurve: curve(30, 90, 0.2), label: "baseline 基线", meta: { label: "baseline 基线", tags: ["slow", "🧪"], note: "lr 0.03: too slow for 30 epochs" } },
  ].map((run) => ({ label: run.info.id.slice(9, 11) + ":" + run.info.id.slice(11, 13), ...run, dir: `/work/project/.unroll/runs/${run.info.id}` })); // a run is named by its folder
}

/** `count` runs of one sweep for the Runs table: lr and hidden size vary, the rest is shared; a few failed. */
export function tableRuns(count = 1000) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const lr = [0.3, 0.1, 0.03, 0.01, 0.003][i % 5];
    const hiddenSize = [16, 32, 64, 128][Math.floor(i / 5) % 4];
    const failed = i % 97 === 13;
    const loss = failed ? NaN : 0.2 + 0.6 * Math.abs(Math.log10(lr / 0.03)) + 8 / hiddenSize + 0.05 * rand();
    const accuracy = Math.max(0, Math.min(1, 1.05 - loss + 0.03 * randn()));
    const id = `20261122-${String(100000 + i).slice(1)}-sweep-${i}`;
    const info = {
      id, name: `sweep ${i}`, file: "/work/project/examples/06_char_lstm.ts", status: failed ? "failed" : "completed", pid: 1,
      backend: "wasm (WebAssembly)", backendName: "wasm", startedAt: new Date(now - (count - i) * 60_000).toISOString(), endedAt: new Date(now - (count - i) * 60_000 + 50_000).toISOString(),
      config: { epochs: 20, model: "CharLSTM", parameterCount: 17985, optimizer: "Adam", snapshotEvery: 50 },
      hparams: { epochs: 20, optimizer: "Adam", lr, "betas[0]": 0.9, "betas[1]": 0.999, eps: 1e-8, clipGradNorm: 1, batchSize: 32, hiddenSize },
      epoch: 20, finalLoss: loss, finalMetrics: { accuracy, predicted: "the king" },
      best: failed ? { loss: { value: loss + 0.3, epoch: 3, goal: "min" } } : { loss: { value: loss * 0.97, epoch: 18, goal: "min" }, accuracy: { value: accuracy + 0.01, epoch: 19, goal: "max" } },
      ...(failed ? { error: { kind: "nan", message: "the loss became NaN at step 412 (epoch 5)" } } : {}),
    };
    return { info, dir: `/work/project/.unroll/runs/${id}`, label: `lr ${lr} · hiddenSize ${hiddenSize} · ${info.startedAt.slice(11, 16)}` };
  }).reverse();
}

/** Runs of a second experiment beside the sweep: the Runs table groups them apart, and its scatter and statistics
 *  take one experiment at a time. Loss falls steadily with lr here (the sweep's is U-shaped in lr). */
export function otherExperimentRuns() {
  return [0.01, 0.03, 0.1, 0.3].map((lr, i) => {
    const id = `20261123-0${i}0000-hello-rnn`;
    const startedAt = `2026-11-23T0${i}:00:00Z`;
    const info = {
      id, name: "hello → ohlol (RNN)", file: "/work/project/examples/05b_hello_rnn.ts", status: "completed", pid: 1, backend: "wasm", backendName: "wasm + native", startedAt,
      config: { epochs: 30, model: "Model", parameterCount: 40, optimizer: "Adam", snapshotEvery: 50 },
      hparams: { epochs: 30, optimizer: "Adam", lr }, epoch: 30, finalLoss: 0.9 / (1 + 10 * lr * (i + 1)), finalMetrics: { predicted: "ohlol" },
    };
    return { info, dir: `/work/project/.unroll/runs/${id}`, label: `lr ${lr} · 0${i}:00` };
  });
}
