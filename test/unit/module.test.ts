// The Module API: parameter names and counts, printed forms, state dicts, train/eval, initialisation,
// seeding, gradient accumulation, tensor printing and the StepLR schedule.
import { before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, optim, torch, backward } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import { maxAbsDiff, setupBackend, tfOf, type AnyTensor } from "./helpers";

before(setupBackend);

class Net extends nn.Module {
  rnn = new nn.LSTM(10, 16);
  fc = new nn.Linear(16, 5);
  override forward(x: Tensor): Tensor {
    const [output] = this.rnn.forward(x);
    return this.fc.forward(output);
  }
}

/** LSTM(I, H), one layer: 4H(I + H) weights and 8H biases. Linear(I, O): O*I + O. */
const NET_PARAMETERS = 4 * 16 * (10 + 16) + 8 * 16 + (16 * 5 + 5);

const values = (t: AnyTensor) => Array.from(tfOf(t).dataSync());
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

function throwsWith(fn: () => unknown, parts: string[]): void {
  assert.throws(fn, (error: Error) => {
    for (const part of parts) assert.ok(error.message.includes(part), `message ${JSON.stringify(error.message)} should contain ${JSON.stringify(part)}`);
    return true;
  });
}

describe("parameters", () => {
  test("namedParameters of a user-defined model, in PyTorch's order", () => {
    const net = new Net();
    const named = net.namedParameters();
    assert.deepEqual(
      named.map(([n, p]) => [n, [...p.shape]]),
      [
        ["rnn.weight_ih_l0", [64, 10]],
        ["rnn.weight_hh_l0", [64, 16]],
        ["rnn.bias_ih_l0", [64]],
        ["rnn.bias_hh_l0", [64]],
        ["fc.weight", [5, 16]],
        ["fc.bias", [5]],
      ],
    );
    assert.equal(
      net.numParameters(),
      named.reduce((n, [, p]) => n + p.numel(), 0),
    );
    assert.equal(net.numParameters(), NET_PARAMETERS);
    assert.equal(net.numParameters(), 1877, "PyTorch's sum(p.numel() for p in net.parameters())");
    // Every layer and direction counts: layer 0 sees 100 inputs, layers 1-3 the 40 of both directions.
    const deep = new nn.LSTM(100, 20, { numLayers: 4, bidirectional: true });
    assert.equal(deep.numParameters(), 2 * (4 * 20 * (100 + 20) + 8 * 20) + 3 * 2 * (4 * 20 * (40 + 20) + 8 * 20));
    assert.equal(deep.numParameters(), 49280, "PyTorch's count for LSTM(100, 20, num_layers=4, bidirectional=True)");
    assert.deepEqual(
      net.namedChildren().map(([n]) => n),
      ["rnn", "fc"],
    );
  });
});

describe("printed form", () => {
  test("modules print like PyTorch", () => {
    assert.equal(String(new nn.LSTM(100, 20, { numLayers: 4, bidirectional: true })), "LSTM(100, 20, num_layers=4, bidirectional=True)");
    assert.equal(String(new nn.Linear(20, 5)), "Linear(in_features=20, out_features=5, bias=True)");
    assert.equal(String(new nn.Linear(20, 5, { bias: false })), "Linear(in_features=20, out_features=5, bias=False)");
    assert.equal(String(new nn.Embedding(10, 3, { paddingIdx: 0 })), "Embedding(10, 3, padding_idx=0)");
    assert.equal(String(new nn.GRU(10, 20, { batchFirst: true })), "GRU(10, 20, batch_first=True)");
    assert.equal(String(new nn.RNNCell(10, 20, { nonlinearity: "relu" })), "RNNCell(10, 20, nonlinearity=relu)");
    assert.equal(String(new nn.RNNCell(10, 20)), "RNNCell(10, 20)");
  });

  test("a model prints as a tree", () => {
    assert.equal(String(new Net()), "Net(\n  (rnn): LSTM(10, 16)\n  (fc): Linear(in_features=16, out_features=5, bias=True)\n)");
  });
});

describe("state dict", () => {
  test("keys, and a round trip into a second model gives identical outputs", () => {
    const a = new Net();
    const b = new Net();
    const x = tfTorch.randn([4, 2, 10]);
    assert.deepEqual(Object.keys(a.stateDict()), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"]);
    assert.ok(maxAbsDiff(a.forward(x), b.forward(x), "before loading") > 1e-3);
    const result = b.loadStateDict(a.stateDict());
    assert.deepEqual(result, { missingKeys: [], unexpectedKeys: [] });
    assert.equal(maxAbsDiff(a.forward(x), b.forward(x), "after loading"), 0);
  });

  test("strict loading reports missing, unexpected and mis-shaped keys", () => {
    const a = new Net();
    const b = new Net();
    const { ["fc.bias"]: _dropped, ...missing } = a.stateDict();
    throwsWith(() => b.loadStateDict(missing), ["Missing key(s)", "fc.bias"]);
    throwsWith(() => b.loadStateDict({ ...a.stateDict(), "fc.extra": tfTorch.zeros([2]) }), ["Unexpected key(s)", "fc.extra"]);
    throwsWith(() => b.loadStateDict({ ...a.stateDict(), "fc.weight": tfTorch.zeros([5, 17]) }), ["size mismatch for fc.weight", "[5, 17]", "[5, 16]"]);
    const result = b.loadStateDict({ ...missing, "fc.extra": tfTorch.zeros([2]) }, { strict: false });
    assert.deepEqual(result, { missingKeys: ["fc.bias"], unexpectedKeys: ["fc.extra"] });
    assert.equal(maxAbsDiff(b.fc.weight, a.fc.weight, "fc.weight loaded non-strictly"), 0);
  });
});

describe("train and eval", () => {
  test("propagate to every child", () => {
    const net = new Net();
    const modes = () => net.namedModules().map(([, m]) => m.training);
    assert.deepEqual(modes(), [true, true, true]);
    assert.equal(net.eval(), net);
    assert.deepEqual(modes(), [false, false, false]);
    net.train();
    assert.deepEqual(modes(), [true, true, true]);
    net.train(false);
    assert.deepEqual(modes(), [false, false, false]);
  });
});

describe("initialisation", () => {
  // Seeded, so that the statistical checks cannot fail by chance (a different seed would draw other values).
  beforeEach(() => tfTorch.manualSeed(0));

  test("LSTM(10, 16): U(±1/sqrt(16))", () => {
    const bound = 1 / Math.sqrt(16);
    const all = new nn.LSTM(10, 16).parameters().flatMap(values);
    assert.equal(all.length, 4 * 16 * 26 + 8 * 16);
    assert.ok(
      all.every((v) => Math.abs(v) <= bound),
      "every weight within ±1/sqrt(hidden)",
    );
    const expected = bound / Math.sqrt(3);
    assert.ok(Math.abs(std(all) - expected) / expected < 0.1, `std ${std(all)} vs ${expected}`);
  });

  test("Linear(100, 10): within ±0.1", () => {
    const fc = new nn.Linear(100, 10);
    const w = values(fc.weight);
    assert.ok(w.every((v) => Math.abs(v) <= 0.1));
    assert.ok(Math.max(...w.map(Math.abs)) > 0.08, "the whole range is used");
    assert.ok(values(fc.bias!).every((v) => Math.abs(v) <= 0.1));
  });

  test("Embedding(50, 8, paddingIdx 3): N(0, 1), a zero padding row that gets no gradient", () => {
    const emb = new nn.Embedding(50, 8, { paddingIdx: 3 });
    const rows = emb.weight.tolist() as number[][];
    assert.ok(
      rows[3].every((v) => v === 0),
      `padding row ${rows[3]} is zero`,
    );
    const others = rows.filter((_, i) => i !== 3).flat();
    assert.ok(Math.abs(mean(others)) < 0.15, `mean ${mean(others)}`);
    assert.ok(Math.abs(std(others) - 1) < 0.15, `std ${std(others)}`);

    emb.zeroGrad();
    backward(() =>
      emb
        .forward(
          tfTorch.tensor([
            [3, 1, 3],
            [2, 3, 1],
          ]),
        )
        .sum(),
    );
    const grad = emb.weight.grad!.tolist() as number[][];
    assert.ok(
      grad[3].every((v) => v === 0),
      `padding row gets no gradient: ${grad[3]}`,
    );
    assert.deepEqual(grad[1], [2, 2, 2, 2, 2, 2, 2, 2], "row 1 used twice");
    assert.deepEqual(grad[2], [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.ok(
      grad[0].every((v) => v === 0),
      "unused row 0 gets none either",
    );
  });
});

describe("seeding", () => {
  test("manualSeed makes randn and initialisation reproducible", () => {
    tfTorch.manualSeed(42);
    const a = values(tfTorch.randn([3]));
    const b = values(tfTorch.randn([3]));
    tfTorch.manualSeed(42);
    const c = values(tfTorch.randn([3]));
    assert.deepEqual(c, a);
    assert.notDeepEqual(b, a);

    tfTorch.manualSeed(7);
    const first = new Net();
    tfTorch.manualSeed(7);
    const second = new Net();
    const third = new Net();
    for (const [name, p] of first.namedParameters()) {
      assert.equal(maxAbsDiff(p, second.stateDict()[name], name), 0, `${name} equal after the same seed`);
    }
    assert.ok(maxAbsDiff(first.fc.weight, third.fc.weight, "fc.weight") > 1e-3, "without re-seeding the weights differ");
  });
});

describe("gradients", () => {
  test("backward accumulates until zeroGrad; a non-scalar loss is refused", () => {
    const fc = new nn.Linear(3, 2);
    const x = tfTorch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const loss = () => fc.forward(x).square().sum();
    const value = backward(loss);
    assert.equal(typeof value, "number");
    assert.ok(Math.abs(value - loss().dataSync()[0]) < 1e-4);
    const once = values(fc.weight.grad!);
    // d/dW sum((xW^T + b)^2) = 2 (xW^T + b)^T x
    const expected = values(fc.forward(x).transpose().matMul(x).mul(2));
    once.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-3, `grad ${g} vs ${expected[i]}`));
    backward(loss);
    values(fc.weight.grad!).forEach((g, i) => assert.ok(Math.abs(g - 2 * once[i]) < 1e-4, "doubled"));

    const optimizer = new optim.SGD(fc.parameters(), { lr: 0.1 });
    optimizer.zeroGrad();
    assert.equal(fc.weight.grad, null);
    assert.equal(fc.bias!.grad, null);

    throwsWith(() => backward(() => fc.forward(x)), ["scalar"]);
    // The library still works after the refused call.
    backward(loss);
    assert.deepEqual(values(fc.weight.grad!), once);
  });
});

describe("printing tensors and sizes", () => {
  test("tfTorch.format and tfTorch.size", () => {
    assert.equal(
      tfTorch.format(
        tfTorch.tensor([
          [1, 2],
          [3, 4],
        ]),
      ),
      "tensor([[1., 2.],\n        [3., 4.]])",
    );
    assert.equal(tfTorch.format(tfTorch.tensor([0.12345, -1])), "tensor([ 0.1235, -1.0000])");
    assert.equal(String(tfTorch.size(tfTorch.zeros([10, 3, 40]))), "torch.Size([10, 3, 40])");
    assert.deepEqual([...tfTorch.size(tfTorch.zeros([10, 3, 40]))], [10, 3, 40]);
  });
});

describe("StepLR", () => {
  test("lr 0.1, stepSize 2, gamma 0.5", () => {
    const optimizer = new optim.SGD(new nn.Linear(2, 2).parameters(), { lr: 0.1 });
    const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
    const lrs: number[] = [];
    for (let i = 0; i < 4; i++) {
      optimizer.step();
      scheduler.step();
      lrs.push(optimizer.lr);
    }
    [0.1, 0.05, 0.05, 0.025].forEach((lr, i) => assert.ok(Math.abs(lrs[i] - lr) < 1e-12, `after ${i + 1} steps: ${lrs[i]} vs ${lr}`));
    assert.deepEqual(scheduler.getLastLr(), [optimizer.lr]);
  });
});
