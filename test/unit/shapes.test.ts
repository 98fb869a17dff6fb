// The shapes of the seed PyTorch lessons: what each recurrent module takes and gives, its parameter names
// and shapes, the errors a wrong shape raises, dropout, and the packed-sequence utilities.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import { maxAbsDiff, setupBackend } from "./helpers";

before(setupBackend);

const { packPaddedSequence, padPackedSequence, padSequence, PackedSequence } = nn.utils.rnn;

/** Parameter names and shapes, in order. */
const paramShapes = (m: nn.Module) => m.namedParameters().map(([name, p]) => [name, [...p.shape]] as const);

/** `fn` throws an error whose message contains every one of `parts`; returns the error. */
function throwsWith(fn: () => unknown, parts: string[], type: new (...args: never[]) => Error = Error): Error {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof type, `expected a ${type.name}, got ${String(caught)}`);
  for (const part of parts) assert.ok(caught.message.includes(part), `message ${JSON.stringify(caught.message)} should contain ${JSON.stringify(part)}`);
  return caught;
}

describe("RNNCell and RNN", () => {
  test("RNNCell(100, 200) stepped by hand over [6, 5, 100]", () => {
    const cell = new nn.RNNCell(100, 200);
    const x = tfTorch.randn([6, 5, 100]);
    const steps = tf.unstack(x);
    const outputs: Tensor[] = [];
    let h: Tensor | undefined;
    for (let i = 0; i < 6; i++) {
      h = i === 0 ? cell.forward(steps[i]) : cell.forward(steps[i], h);
      outputs.push(h);
    }
    assert.equal(outputs.length, 6);
    for (const out of outputs) assert.deepEqual(out.shape, [5, 200]);
    // The state is carried: feeding the same input with a different h gives a different output.
    assert.ok(maxAbsDiff(outputs[1], cell.forward(steps[1]), "h_1") > 1e-4);
  });

  test("RNN(100, 200) on [6, 5, 100], with and without h0", () => {
    const rnn = new nn.RNN(100, 200);
    const x = tfTorch.randn([6, 5, 100]);
    const [output, hn] = rnn.forward(x);
    assert.deepEqual(output.shape, [6, 5, 200]);
    assert.deepEqual(hn.shape, [1, 5, 200]);
    const [output2, hn2] = rnn.forward(x, tfTorch.randn([1, 5, 200]));
    assert.deepEqual(output2.shape, [6, 5, 200]);
    assert.deepEqual(hn2.shape, [1, 5, 200]);
    // h_n of a one-layer RNN is its last output.
    assert.ok(maxAbsDiff(hn2.squeeze([0]), output2.slice([5, 0, 0], [1, 5, 200]).squeeze([0]), "h_n") < 1e-6);
  });

  test("RNN(100, 10, 3): the third positional argument is numLayers, parameters in PyTorch's order", () => {
    const rnn = new nn.RNN(100, 10, 3);
    assert.equal(rnn.numLayers, 3);
    assert.deepEqual(paramShapes(rnn), [
      ["weight_ih_l0", [10, 100]],
      ["weight_hh_l0", [10, 10]],
      ["bias_ih_l0", [10]],
      ["bias_hh_l0", [10]],
      ["weight_ih_l1", [10, 10]],
      ["weight_hh_l1", [10, 10]],
      ["bias_ih_l1", [10]],
      ["bias_hh_l1", [10]],
      ["weight_ih_l2", [10, 10]],
      ["weight_hh_l2", [10, 10]],
      ["bias_ih_l2", [10]],
      ["bias_hh_l2", [10]],
    ]);
    const [output, hn] = rnn.forward(tfTorch.randn([4, 2, 100]));
    assert.deepEqual(output.shape, [4, 2, 10]);
    assert.deepEqual(hn.shape, [3, 2, 10]);
  });
});

describe("LSTM and GRU", () => {
  test("LSTM(50, 100, numLayers 2) on [10, 3, 50], with and without [h0, c0]", () => {
    const lstm = new nn.LSTM(50, 100, { numLayers: 2 });
    assert.deepEqual([...(lstm as unknown as Record<string, nn.Parameter>).weight_hh_l0.shape], [400, 100]);
    const x = tfTorch.randn([10, 3, 50]);
    const [output, [h, c]] = lstm.forward(x);
    assert.deepEqual(output.shape, [10, 3, 100]);
    assert.deepEqual(h.shape, [2, 3, 100]);
    assert.deepEqual(c.shape, [2, 3, 100]);
    const [output2, [h2, c2]] = lstm.forward(x, [tfTorch.randn([2, 3, 100]), tfTorch.randn([2, 3, 100])]);
    assert.deepEqual(output2.shape, [10, 3, 100]);
    assert.deepEqual(h2.shape, [2, 3, 100]);
    assert.deepEqual(c2.shape, [2, 3, 100]);
  });

  test("GRU(10, 20) on [3, 32, 10]", () => {
    const gru = new nn.GRU(10, 20);
    assert.deepEqual([...(gru as unknown as Record<string, nn.Parameter>).weight_hh_l0.shape], [60, 20]);
    const [output, hn] = gru.forward(tfTorch.randn([3, 32, 10]));
    assert.deepEqual(output.shape, [3, 32, 20]);
    assert.deepEqual(hn.shape, [1, 32, 20]);
  });

  test("bidirectional 4-layer RNN and LSTM(100, 20) on [10, 3, 100]", () => {
    const x = tfTorch.randn([10, 3, 100]);
    const rnn = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true });
    const [output, hn] = rnn.forward(x);
    assert.deepEqual(output.shape, [10, 3, 40]);
    assert.deepEqual(hn.shape, [8, 3, 20]);
    const params = Object.fromEntries(paramShapes(rnn));
    assert.deepEqual(params.weight_ih_l0, [20, 100]);
    assert.deepEqual(params.weight_ih_l0_reverse, [20, 100]);
    assert.deepEqual(params.weight_ih_l1, [20, 40], "layers after the first take both directions' outputs");
    assert.deepEqual(params.weight_ih_l3_reverse, [20, 40]);
    assert.deepEqual(
      paramShapes(rnn)
        .slice(0, 9)
        .map(([n]) => n),
      [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
        "weight_ih_l1",
      ],
    );

    const lstm = new nn.LSTM(100, 20, { numLayers: 4, bidirectional: true });
    const [lout, [h, c]] = lstm.forward(x);
    assert.deepEqual(lout.shape, [10, 3, 40]);
    assert.deepEqual(h.shape, [8, 3, 20]);
    assert.deepEqual(c.shape, [8, 3, 20]);
    assert.deepEqual(Object.fromEntries(paramShapes(lstm)).weight_ih_l1, [80, 40]);
  });

  test("batchFirst: [3, 10, 100] in, [3, 10, 40] out, h_n stays [8, 3, 20]", () => {
    const rnn = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true, batchFirst: true });
    const x = tfTorch.randn([3, 10, 100]);
    const [output, hn] = rnn.forward(x);
    assert.deepEqual(output.shape, [3, 10, 40]);
    assert.deepEqual(hn.shape, [8, 3, 20]);
    // Same weights, time-major input: the same numbers, transposed.
    const timeMajor = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true });
    timeMajor.loadStateDict(rnn.stateDict());
    const [out2, hn2] = timeMajor.forward(x.transpose([1, 0, 2]));
    assert.ok(maxAbsDiff(output, out2.transpose([1, 0, 2]), "output") < 1e-5);
    assert.ok(maxAbsDiff(hn, hn2, "h_n") < 1e-5);
  });

  test("unbatched 2-D input: LSTM(4, 6) on [5, 4]", () => {
    const lstm = new nn.LSTM(4, 6);
    const x = tfTorch.randn([5, 4]);
    const [output, [h, c]] = lstm.forward(x);
    assert.deepEqual(output.shape, [5, 6]);
    assert.deepEqual(h.shape, [1, 6]);
    assert.deepEqual(c.shape, [1, 6]);
    // The same as a batch of one.
    const [batched] = lstm.forward(x.expandDims(1));
    assert.ok(maxAbsDiff(output, batched.squeeze([1]), "output") < 1e-6);
  });

  test("projSize: LSTM(10, 20, projSize 5)", () => {
    const lstm = new nn.LSTM(10, 20, { projSize: 5 });
    assert.deepEqual(paramShapes(lstm), [
      ["weight_ih_l0", [80, 10]],
      ["weight_hh_l0", [80, 5]],
      ["bias_ih_l0", [80]],
      ["bias_hh_l0", [80]],
      ["weight_hr_l0", [5, 20]],
    ]);
    const [output, [h, c]] = lstm.forward(tfTorch.randn([7, 2, 10]));
    assert.deepEqual(output.shape, [7, 2, 5]);
    assert.deepEqual(h.shape, [1, 2, 5]);
    assert.deepEqual(c.shape, [1, 2, 20]);
  });
});

describe("cells", () => {
  test("LSTMCell(100, 20) has weight_ih [80, 100]; two stacked cells step a sequence", () => {
    const cell1 = new nn.LSTMCell(100, 20);
    const cell2 = new nn.LSTMCell(20, 20);
    assert.deepEqual(paramShapes(cell1), [
      ["weight_ih", [80, 100]],
      ["weight_hh", [80, 20]],
      ["bias_ih", [80]],
      ["bias_hh", [80]],
    ]);
    const x = tfTorch.randn([6, 3, 100]);
    let s1: [Tensor, Tensor] = [tfTorch.zeros([3, 20]), tfTorch.zeros([3, 20])];
    let s2: [Tensor, Tensor] = [tfTorch.zeros([3, 20]), tfTorch.zeros([3, 20])];
    const outputs: Tensor[] = [];
    for (const xt of tf.unstack(x)) {
      s1 = cell1.forward(xt, s1);
      s2 = cell2.forward(s1[0], s2);
      outputs.push(s2[0]);
    }
    const output = tf.stack(outputs);
    assert.deepEqual(output.shape, [6, 3, 20]);
    assert.deepEqual(s2[1].shape, [3, 20]);
    // The cells stepped by hand compute what a 2-layer LSTM with their weights computes.
    const lstm = new nn.LSTM(100, 20, 2);
    const rename = (cell: nn.LSTMCell, layer: number) => Object.fromEntries(Object.entries(cell.stateDict()).map(([k, v]) => [`${k}_l${layer}`, v]));
    lstm.loadStateDict({ ...rename(cell1, 0), ...rename(cell2, 1) });
    const [expected] = lstm.forward(x);
    assert.ok(maxAbsDiff(output, expected, "stacked cells vs LSTM") < 1e-5);
  });
});

describe("shape errors", () => {
  test("LSTM(100, 20) given [10, 3, 50]", () => {
    const lstm = new nn.LSTM(100, 20);
    const error = throwsWith(() => lstm.forward(tfTorch.randn([10, 3, 50])), ["got input [10, 3, 50]", "must be 100"], nn.ShapeError);
    assert.equal(error.name, "ShapeError");
  });

  test("a wrong h0 shape names h0 and the expected shape", () => {
    const rnn = new nn.RNN(10, 20, { numLayers: 2 });
    throwsWith(() => rnn.forward(tfTorch.randn([5, 3, 10]), tfTorch.randn([1, 3, 20])), ["h0", "[1, 3, 20]", "expected [2, 3, 20]"], nn.ShapeError);
    const lstm = new nn.LSTM(10, 20);
    throwsWith(
      () => lstm.forward(tfTorch.randn([5, 3, 10]), [tfTorch.randn([1, 3, 20]), tfTorch.randn([1, 4, 20])]),
      ["c0", "expected [1, 3, 20]"],
      nn.ShapeError,
    );
  });

  test("Linear(20, 5) on [3, 7] names in_features", () => {
    const fc = new nn.Linear(20, 5);
    throwsWith(() => fc.forward(tfTorch.randn([3, 7])), ["in_features", "[3, 7]", "20"], nn.ShapeError);
  });
});

describe("dropout between layers", () => {
  test("differs between calls in train(), not in eval(); reproducible after manualSeed", () => {
    const lstm = new nn.LSTM(8, 8, { numLayers: 2, dropout: 0.5 });
    const x = tfTorch.randn([4, 2, 8]);
    lstm.train();
    const [a] = lstm.forward(x);
    const [b] = lstm.forward(x);
    assert.ok(maxAbsDiff(a, b, "train outputs") > 1e-4, "two training-mode calls should drop different units");
    lstm.eval();
    const [c] = lstm.forward(x);
    const [d] = lstm.forward(x);
    assert.equal(maxAbsDiff(c, d, "eval outputs"), 0);
    lstm.train();
    tfTorch.manualSeed(3);
    const [e] = lstm.forward(x);
    tfTorch.manualSeed(3);
    const [f] = lstm.forward(x);
    assert.equal(maxAbsDiff(e, f, "seeded train outputs"), 0);
    assert.ok(maxAbsDiff(e, c, "train vs eval") > 1e-4);
  });
});

describe("packed sequences", () => {
  // Batch of three sequences of lengths 2, 4, 3, padded to 4 steps; value = 100 * (b + 1) + 10 * t + feature.
  const lengths = [2, 4, 3];
  const padded = () => tfTorch.tensor(Array.from({ length: 4 }, (_, t) => lengths.map((n, b) => [0, 1].map((f) => (t < n ? 100 * (b + 1) + 10 * t + f : 0)))));

  test("packPaddedSequence with unsorted lengths and padPackedSequence back", () => {
    const x = padded();
    assert.deepEqual(x.shape, [4, 3, 2]);
    const packed = packPaddedSequence(x, lengths, { enforceSorted: false });
    assert.ok(packed instanceof PackedSequence);
    assert.deepEqual(packed.batchSizes, [3, 3, 2, 1]);
    assert.deepEqual(packed.sortedIndices, [1, 2, 0]);
    assert.deepEqual(packed.unsortedIndices, [2, 0, 1]);
    assert.deepEqual(packed.data.shape, [9, 2]);
    // Step 0 of sequences 1, 2, 0; step 1 of 1, 2, 0; step 2 of 1, 2; step 3 of 1.
    assert.deepEqual(Array.from(packed.data.slice([0, 0], [9, 1]).dataSync()), [200, 300, 100, 210, 310, 110, 220, 320, 230]);
    const [back, backLengths] = padPackedSequence(packed);
    assert.deepEqual(backLengths, [2, 4, 3]);
    assert.deepEqual(back.arraySync(), x.arraySync());
    const [batchFirst] = padPackedSequence(packed, { batchFirst: true, totalLength: 6 });
    assert.deepEqual(batchFirst.shape, [3, 6, 2]);
  });

  test("enforceSorted: true with unsorted lengths throws", () => {
    throwsWith(() => packPaddedSequence(padded(), lengths, { enforceSorted: true }), ["enforceSorted"]);
    throwsWith(() => packPaddedSequence(padded(), lengths), ["enforceSorted"]);
  });

  test("padSequence of [2, 4], [4, 4], [3, 4]", () => {
    const seqs = [tfTorch.ones([2, 4]), tfTorch.full([4, 4], 2), tfTorch.full([3, 4], 3)];
    const out = padSequence(seqs);
    assert.deepEqual(out.shape, [4, 3, 4]);
    assert.deepEqual(Array.from(out.slice([0, 0, 0], [4, 3, 1]).dataSync()), [1, 2, 3, 1, 2, 3, 0, 2, 3, 0, 2, 0]);
    const bf = padSequence(seqs, { batchFirst: true });
    assert.deepEqual(bf.shape, [3, 4, 4]);
    assert.deepEqual(Array.from(bf.slice([0, 0, 0], [1, 4, 1]).dataSync()), [1, 1, 0, 0]);
  });

  test("a packed LSTM's h_n equals each sequence run alone", () => {
    const lstm = new nn.LSTM(5, 7, { numLayers: 2, bidirectional: true });
    const seqs = lengths.map((n) => tfTorch.randn([n, 5]));
    const packed = packPaddedSequence(padSequence(seqs), lengths, { enforceSorted: false });
    const [out, [h, c]] = lstm.forward(packed);
    assert.ok(out instanceof PackedSequence);
    const [paddedOut] = padPackedSequence(out);
    assert.deepEqual(paddedOut.shape, [4, 3, 14]);
    assert.deepEqual(h.shape, [4, 3, 7]);
    seqs.forEach((seq, b) => {
      const [alone, [hAlone, cAlone]] = lstm.forward(seq.expandDims(1));
      const take = (t: Tensor) => t.slice([0, b, 0], [-1, 1, -1]);
      assert.ok(maxAbsDiff(take(h), hAlone, `h_n of sequence ${b}`) < 1e-5, `h_n of sequence ${b}`);
      assert.ok(maxAbsDiff(take(c), cAlone, `c_n of sequence ${b}`) < 1e-5, `c_n of sequence ${b}`);
      const n = lengths[b];
      assert.ok(maxAbsDiff(paddedOut.slice([0, b, 0], [n, 1, 14]), alone, `output of sequence ${b}`) < 1e-5);
      if (n < 4)
        assert.equal(
          paddedOut
            .slice([n, b, 0], [4 - n, 1, 14])
            .abs()
            .max()
            .dataSync()[0],
          0,
          "padding is zero",
        );
    });
  });
});
