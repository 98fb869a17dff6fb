// Recorded dynamics (hidden states, gates, ‖∂L/∂h_t‖ through time) and parameter snapshots, in-process.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, recordDynamics, type DynamicsRecord } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import { nativeKernels } from "../../src/nn/native";
import { binEdges, describeParameter, heatmap, parseLayerName, snapshotParameters } from "../../src/runner/snapshot";
import { requireNativeKernels, setupBackend, setupBackendWithNative } from "./helpers";

before(setupBackend);

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** ‖∂L/∂h_t‖ for sample 0 by brute force: an LSTMCell stepped by hand with a zero tensor added to each h_t,
 *  so that the gradient w.r.t. that tensor is the total derivative through the outputs and the recurrence. */
function gradNormsByHand(lstm: nn.LSTM, x: Tensor, lossOf: (outs: Tensor[]) => Tensor): number[] {
  const cell = new nn.LSTMCell(lstm.inputSize, lstm.hiddenSize);
  const p = lstm.stateDict();
  cell.loadStateDict({ weight_ih: p.weight_ih_l0, weight_hh: p.weight_hh_l0, bias_ih: p.bias_ih_l0, bias_hh: p.bias_hh_l0 });
  const [T, B] = x.shape;
  const eps = Array.from({ length: T }, () => tf.zeros([B, lstm.hiddenSize]));
  const grads = tf.grads((...e: Tensor[]) => {
    let state: [Tensor, Tensor] = [tf.zeros([B, lstm.hiddenSize]), tf.zeros([B, lstm.hiddenSize])];
    const outs = tf.unstack(x).map((xt, t) => {
      const [h, c] = cell.forward(xt, state);
      state = [h.add(e[t]), c];
      return state[0];
    });
    return lossOf(outs);
  })(eps);
  return grads.map((g) => tf.tidy(() => g.slice([0, 0], [1, -1]).norm().dataSync()[0]));
}

describe("recordDynamics", () => {
  test("LSTM: hidden, cell, gates per step, and ‖∂L/∂h_t‖ as a hand-stepped cell gives them", () => {
    tfTorch.manualSeed(3);
    const lstm = new nn.LSTM(3, 5);
    const x = tfTorch.randn([6, 2, 3]);
    const w = tfTorch.randn([5]);
    const lossOf = (outs: Tensor[]) => tf.stack(outs).mul(w).sum().square(); // every step matters, unevenly
    const before = tf.memory().numTensors;
    const [record, ...others] = recordDynamics(lstm, () => lossOf(tf.unstack(lstm.forward(x)[0])));
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    assert.equal(others.length, 0);
    assert.deepEqual([record.module, record.kind, record.layer, record.direction], ["LSTM", "LSTM", 0, "forward"]);
    assert.deepEqual([record.hidden.length, record.hidden[0].length, record.cell!.length], [6, 5, 6]);
    assert.deepEqual(record.gates!.names, ["i", "f", "g", "o"]);
    assert.deepEqual([record.gates!.values.length, record.gates!.values[0].length, record.gates!.values[0][0].length], [6, 4, 5]);
    const [out] = lstm.forward(x);
    const expectedHidden = out.arraySync() as number[][][];
    record.hidden.forEach((row, t) => row.forEach((v, u) => near(v, expectedHidden[t][0][u], 1e-5, `h[${t}][${u}]`)));
    // h = o * tanh(c): the gates and the cell state agree with the hidden state.
    record.hidden.forEach((row, t) => row.forEach((v, u) => near(v, record.gates!.values[t][3][u] * Math.tanh(record.cell![t][u]), 1e-5, `o*tanh(c) at ${t}`)));
    const expected = gradNormsByHand(lstm, x, lossOf);
    assert.equal(record.gradNorms.length, 6);
    record.gradNorms.forEach((g, t) => near(g, expected[t], 1e-4, `‖∂L/∂h_${t}‖`));
    assert.ok(
      lstm.parameters().every((p) => p.grad === null),
      "parameters' .grad untouched",
    );
  });

  test("bidirectional 2-layer GRU in a model: every layer and direction, reverse indexed by time", () => {
    tfTorch.manualSeed(4);
    const model = new nn.Sequential(new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }));
    const gru = model.at(0) as nn.GRU;
    const x = tfTorch.randn([5, 2, 3]);
    const records = recordDynamics(model, () => gru.forward(x)[0].sum());
    assert.deepEqual(
      records.map((r) => `${r.module}:${r.layer}:${r.direction}`),
      ["0:0:forward", "0:0:reverse", "0:1:forward", "0:1:reverse"],
    );
    assert.deepEqual(records[0].gates!.names, ["r", "z", "n"]);
    assert.equal(records[0].cell, undefined);
    // The reverse direction's state at time t is in output[t][0][4:8] (the second half of the features).
    const [out] = gru.forward(x);
    const last = out.arraySync() as number[][][];
    records[3].hidden.forEach((row, t) => row.forEach((v, u) => near(v, last[t][0][4 + u], 1e-5, `reverse h[${t}]`)));
    // The reverse direction's first step is t = 4: its gradient comes only from output[4]; t = 0 gets every later one.
    assert.ok(records.every((r) => r.gradNorms.length === 5 && r.gradNorms.every((g) => g > 0)));
  });

  test("cost-free when off: nothing is recorded outside recordDynamics, and modules outside the model are skipped", () => {
    const inside = new nn.RNN(2, 3);
    const outside = new nn.RNN(3, 3);
    const x = tfTorch.randn([4, 1, 2]);
    const records = recordDynamics(inside, () => outside.forward(inside.forward(x)[0])[0].sum());
    assert.deepEqual(
      records.map((r) => r.kind),
      ["RNN"],
    );
    assert.equal(records[0].gates, undefined, "a plain RNN has no gates");
    const [out] = inside.forward(x); // no observer: plain forward
    assert.deepEqual(out.shape, [4, 1, 3]);
  });

  test("vanishing gradients: through 50 steps a tanh RNN keeps far less of ‖∂L/∂h_t‖ than an LSTM", () => {
    const T = 50;
    const decay = (rnn: nn.RNN | nn.LSTM) => {
      const x = tfTorch.randn([T, 4, 8]);
      const [record] = recordDynamics(rnn, () =>
        (rnn as nn.RNN)
          .forward(x)[0]
          .gather(T - 1)
          .sum(),
      ); // the last output only
      return record.gradNorms[0] / record.gradNorms[T - 1];
    };
    tfTorch.manualSeed(0);
    const rnn = decay(new nn.RNN(8, 32));
    tfTorch.manualSeed(0);
    const lstm = decay(new nn.LSTM(8, 32));
    tfTorch.manualSeed(0);
    const remembering = new nn.LSTM(8, 32); // forget-gate bias 1, the usual remedy: f = σ(1) ≈ 0.73 instead of 0.5
    const bias = remembering.stateDict().bias_hh_l0 as nn.Parameter;
    bias.tf.assign(tf.tidy(() => bias.tf.add(tf.concat([tf.zeros([32]), tf.ones([32]), tf.zeros([64])]))));
    const lstmBias = decay(remembering);
    // Measured on wasm: RNN 1.3e-14, LSTM 1.3e-11, LSTM with forget bias 1 1.6e-5.
    assert.ok(rnn < 1e-10, `RNN decay ${rnn}`);
    assert.ok(lstm / rnn > 100, `LSTM ${lstm} vs RNN ${rnn}`);
    assert.ok(lstmBias / rnn > 1e6, `LSTM (forget bias 1) ${lstmBias} vs RNN ${rnn}`);
  });
});

// The native kernels (native/recurrent.cc) record dynamics too: states and gates from what their forward pass
// saves, ‖∂L/∂h_t‖ from their backward loop. They must record what the tfjs ops record.
describe("recordDynamics on the native kernels and on tfjs ops", () => {
  const unavailable = requireNativeKernels();

  /** Records the dynamics of `make()`'s module on each path, with the same weights and input. */
  async function bothPaths(make: () => nn.Module, run: (m: nn.Module) => Tensor): Promise<[DynamicsRecord[], DynamicsRecord[]]> {
    tfTorch.manualSeed(7);
    const module = make();
    const native = recordDynamics(module, () => run(module));
    assert.ok(nativeKernels(), "the native kernels are in use");
    await setupBackendWithNative(false);
    const tfjs = recordDynamics(module, () => run(module));
    await setupBackendWithNative(true);
    return [native, tfjs];
  }

  function assertSame(native: DynamicsRecord[], tfjs: DynamicsRecord[]) {
    assert.deepEqual(
      native.map((r) => `${r.module}:${r.layer}:${r.direction}`),
      tfjs.map((r) => `${r.module}:${r.layer}:${r.direction}`),
    );
    native.forEach((n, k) => {
      const t = tfjs[k];
      const where = `${t.module} layer ${t.layer} ${t.direction}`;
      const same = (a: number[], b: number[], tol: number, what: string) => {
        assert.equal(a.length, b.length, `${where}: ${what} length`);
        a.forEach((v, i) => near(v, b[i], tol, `${where}: ${what}[${i}]`));
      };
      n.hidden.forEach((row, i) => same(row, t.hidden[i], 1e-5, `hidden[${i}]`));
      assert.equal(n.hidden.length, t.hidden.length);
      assert.equal(n.cell?.length, t.cell?.length);
      n.cell?.forEach((row, i) => same(row, t.cell![i], 1e-5, `cell[${i}]`));
      assert.deepEqual(n.gates?.names, t.gates?.names);
      n.gates?.values.forEach((step, i) => step.forEach((row, g) => same(row, t.gates!.values[i][g], 1e-5, `gate ${g} at ${i}`)));
      same(n.gradNorms, t.gradNorms, 1e-4, "‖∂L/∂h_t‖");
      assert.ok(
        n.gradNorms.some((g) => g > 0),
        `${where}: some gradient`,
      );
    });
  }

  const modules = {
    LSTM: () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }),
    GRU: () => new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }),
    RNN: () => new nn.RNN(3, 4, { numLayers: 2, bidirectional: true }),
  };
  for (const [kind, make] of Object.entries(modules)) {
    test(`${kind}, 2 layers, bidirectional: the same states, gates and ‖∂L/∂h_t‖`, async (t) => {
      if (unavailable()) return t.skip(unavailable()!);
      const x = tfTorch.randn([6, 3, 3]);
      const w = tfTorch.randn([6, 3, 8]);
      assertSame(...(await bothPaths(make, (m) => (m as nn.GRU).forward(x)[0].mul(w).sum().square())));
    });
  }

  test("LSTM with a projection on a packed batch of unsorted lengths: padding records no gradient", async (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const x = tfTorch.randn([5, 3, 3]);
    const make = () => new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    const run = (m: nn.Module) => {
      const packed = nn.utils.rnn.packPaddedSequence(x, [2, 5, 3], { enforceSorted: false });
      const [, [h]] = (m as nn.LSTM).forward(packed);
      return h.mul(h).sum();
    };
    const [native, tfjs] = await bothPaths(make, run);
    assertSame(native, tfjs);
    // Sample 0 has 2 steps: ‖∂L/∂h_t‖ is 0 at its padding, in every layer and direction.
    native.forEach((r) => assert.deepEqual(r.gradNorms.slice(2), [0, 0, 0]));
  });
});

describe("parameter snapshots", () => {
  test("LSTM(64, 256): gates, layer, direction; weight_hh_l0 [1024, 256] averaged to 64×64, gate blocks kept apart", () => {
    tfTorch.manualSeed(5);
    const model = new nn.Sequential(new nn.LSTM(64, 256, { bidirectional: true }), new nn.Linear(512, 3));
    const snapshots = snapshotParameters(model);
    const byName = new Map(snapshots.map((s) => [s.name, s]));
    assert.equal(snapshots[0].name, "0.weight_ih_l0");
    const whh = byName.get("0.weight_hh_l0_reverse")!;
    assert.deepEqual(whh.shape, [1024, 256]);
    assert.deepEqual(whh.gates, ["i", "f", "g", "o"]);
    assert.deepEqual([whh.layer, whh.direction], [0, "reverse"]);
    assert.deepEqual([whh.heatmap.rows, whh.heatmap.cols, whh.heatmap.values.length], [64, 64, 4096]);
    assert.deepEqual(whh.heatmap.downsampledFrom, [1024, 256]);
    assert.equal(whh.gradNorm, null);
    assert.equal(
      whh.histogram.counts.reduce((a, b) => a + b),
      1024 * 256,
    );
    const bound = 1 / Math.sqrt(256); // uniform init: mean 0, std bound/√3
    near(whh.mean, 0, 1e-3, "mean");
    near(whh.std, bound / Math.sqrt(3), 1e-3, "std");
    assert.ok(whh.min >= -bound && whh.max <= bound);
    const bias = byName.get("0.bias_ih_l0")!;
    assert.deepEqual([bias.heatmap.rows, bias.heatmap.cols, bias.heatmap.downsampledFrom], [1, 64, [1024]]);
    const fc = byName.get("1.weight")!;
    assert.deepEqual([fc.gates, fc.layer, fc.heatmap.rows, fc.heatmap.cols, fc.heatmap.downsampledFrom], [undefined, undefined, 3, 64, [3, 512]]);
  });

  test("statistics, gradient norm and block averages are exact on a small case", () => {
    const value = tfTorch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = describeParameter(
      "fc.weight",
      value,
      tfTorch.tensor([
        [3, 0, 0],
        [4, 0, 0],
      ]),
    );
    assert.deepEqual([s.mean, s.min, s.max, s.gradNorm], [3.5, 1, 6, 5]);
    near(s.std, Math.sqrt(17.5 / 5), 1e-12, "unbiased std");
    near(s.norm, Math.sqrt(91), 1e-12, "norm");
    assert.deepEqual(s.heatmap, { rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6] });
    const small = heatmap(
      Float32Array.from({ length: 12 }, (_, i) => i),
      [4, 3],
      1,
    );
    assert.deepEqual(small.values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const averaged = heatmap(
      Float32Array.from({ length: 8 }, (_, i) => i),
      [8],
      1,
    ); // fits: no averaging
    assert.equal(averaged.downsampledFrom, undefined);
    assert.deepEqual(binEdges(400, 64, 4).length - 1, 60, "100 rows per gate: 15 blocks of ≤7 rows each");
    assert.ok(binEdges(400, 64, 4).includes(100) && binEdges(400, 64, 4).includes(300), "no block straddles a gate boundary");
    assert.deepEqual(parseLayerName("encoder.rnn.weight_hh_l1_reverse"), { layer: 1, direction: "reverse" });
    assert.deepEqual(parseLayerName("fc.bias"), {});
  });

  // How fast: \`npm run bench:timings\` (a duration, so a benchmark, not a test).
  test("a 2048×512 matrix is summarised as a 64×64 heatmap", () => {
    const value = tfTorch.randn([2048, 512]);
    const grad = tfTorch.randn([2048, 512]);
    const s = describeParameter("w", value, grad, ["i", "f", "g", "o"]);
    assert.deepEqual([s.heatmap.rows, s.heatmap.cols, s.heatmap.values.length, s.heatmap.downsampledFrom], [64, 64, 64 * 64, [2048, 512]]);
    tf.dispose([value, grad]);
  });
});
