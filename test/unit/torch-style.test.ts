// The library spoken as PyTorch's lessons speak it: torch.* gives Tensors, parameters are Tensors, and a loop
// written `optimizer.zeroGrad(); const loss = criterion(model(x), y); loss.backward(); optimizer.step();` trains
// exactly as the closure form `backward(() => loss)` does.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { nn, optim, torch, backward, tf, Tensor, packPaddedSequence, padPackedSequence, padSequence } from "unroll";
import * as fs from "node:fs";
import * as path from "node:path";
import { setupBackend } from "./helpers";

before(setupBackend);

interface Encoded {
  shape: number[];
  dtype: "float32" | "int64";
  values: number[];
}
interface LoopCase {
  name: "hello RNNCell" | "LSTM tagger";
  optimizer: "SGD" | "Adam";
  options: { lr: number; momentum?: number };
  steps: number;
  state: Record<string, Encoded>;
  inputs: { x: Encoded; y: Encoded };
  losses: number[];
}

/** PyTorch's losses for loops written as its lessons write them (test/fixtures/make_torch_style.py). */
const LOOPS = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../test/fixtures/torch_style/loops.json"), "utf8")) as { loops: LoopCase[] }).loops;

const decode = (e: Encoded): Tensor => torch.tensor(e.values, { dtype: e.dtype === "int64" ? torch.long : torch.float32 }).view(e.shape);

class Tagger extends nn.Module {
  lstm = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  override forward(x: Tensor): Tensor {
    const [out] = this.lstm(x);
    return this.fc(out.view(-1, 8));
  }
}

type Style = "loss.backward()" | "backward(() => loss)";

/** Five steps of `optimizer` on a small LSTM tagger, written in `style`; the losses. */
function train(style: Style, makeOptimizer: (params: nn.Parameter[]) => optim.Optimizer): number[] {
  torch.manualSeed(0);
  const model = new Tagger();
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = makeOptimizer(model.parameters());
  torch.manualSeed(1);
  const x = torch.randn(5, 2, 4);
  const y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  const losses: number[] = [];
  for (let epoch = 0; epoch < 5; epoch++) {
    optimizer.zeroGrad();
    if (style === "loss.backward()") {
      const loss = criterion.forward(model.forward(x), y);
      loss.backward();
      losses.push(loss.item() as number);
    } else {
      losses.push(backward(() => criterion.forward(model.forward(x), y)));
    }
    optimizer.step();
  }
  return losses;
}

describe("a PyTorch-style training loop", () => {
  for (const [name, make] of [
    ["SGD", (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.5, momentum: 0.9 })],
    ["Adam", (p: nn.Parameter[]) => new optim.Adam(p, { lr: 0.05 })],
  ] as const) {
    test(`${name}: loss.backward() and optimizer.step() give the closure form's losses to 1e-6`, () => {
      const torchStyle = train("loss.backward()", make);
      const closure = train("backward(() => loss)", make);
      assert.ok(torchStyle[4] < torchStyle[0] - 0.02, `it learns: ${torchStyle.join(", ")}`);
      torchStyle.forEach((l, i) => assert.ok(Math.abs(l - closure[i]) <= 1e-6, `step ${i}: ${l} vs ${closure[i]}`));
    });
  }

  /** `steps` of the lesson's loop as PyTorch writes it, from PyTorch's initial weights; the loss of each step. */
  function lessonLoop(c: LoopCase): number[] {
    const model = c.name === "hello RNNCell" ? new nn.RNNCell(4, 4) : new Tagger();
    model.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
    const [x, y] = [decode(c.inputs.x), decode(c.inputs.y)];
    const criterion = new nn.CrossEntropyLoss();
    const optimizer = c.optimizer === "SGD" ? new optim.SGD(model.parameters(), c.options) : new optim.Adam(model.parameters(), c.options);
    const losses: number[] = [];
    for (let step = 0; step < c.steps; step++) {
      optimizer.zeroGrad();
      let loss = torch.tensor(0); // PyTorch: loss = 0
      if (model instanceof nn.RNNCell) {
        let hidden = torch.zeros(1, 4);
        for (let t = 0; t < x.size(0); t++) {
          hidden = model(x.at(t), hidden); // hidden = cell(input, hidden)
          loss = loss.add(criterion(hidden, y.at(t).view(1))); // loss += criterion(hidden, label)
        }
      } else loss = criterion(model(x), y);
      loss.backward();
      optimizer.step();
      losses.push(loss.item() as number);
    }
    return losses;
  }

  for (const c of LOOPS) {
    test(`${c.name}, ${c.optimizer}: the lesson's loop gives PyTorch's loss at every step to 1e-6`, () => {
      const losses = lessonLoop(c);
      assert.equal(losses.length, c.losses.length);
      // Relative to losses above 1: the hello loss sums five cross-entropies (about 7), where float32's own step is 5e-7.
      losses.forEach((l, i) =>
        assert.ok(Math.abs(l - c.losses[i]) <= 1e-6 * Math.max(1, Math.abs(c.losses[i])), `step ${i}: ${l} vs PyTorch's ${c.losses[i]}`),
      );
    });
  }

  test("parameters are Tensors over the module's variables: requiresGrad, .grad a Tensor, zeroGrad clears it", () => {
    torch.manualSeed(0);
    const fc = new nn.Linear(3, 2);
    const [weight, bias] = fc.parameters();
    assert.ok(weight instanceof Tensor && weight === fc.weight, "parameters() gives the attributes themselves");
    assert.equal(weight.requiresGrad, true);
    assert.equal(String(weight.shape), "torch.Size([2, 3])");
    assert.equal(weight.grad, null);
    const optimizer = new optim.SGD(fc.parameters(), { lr: 1 });
    const before = weight.tolist() as number[][];
    const loss = fc.forward(torch.ones(1, 3)).sum();
    assert.equal(loss.gradFn?.name, "SumBackward0");
    loss.backward();
    const grad = weight.grad as Tensor | null;
    assert.ok(grad instanceof Tensor);
    assert.deepEqual(grad.tolist(), [
      [1, 1, 1],
      [1, 1, 1],
    ]);
    assert.deepEqual(bias.grad?.tolist(), [1, 1]);
    optimizer.step();
    const after = weight.tolist() as number[][];
    after.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (before[i][j] - 1)) < 1e-6, "w ← w − lr·grad")));
    optimizer.zeroGrad();
    assert.equal(weight.grad, null);
    assert.equal(fc.bias!.grad, null);
  });

  test("requiresGrad_(false) freezes a Parameter as in PyTorch: no grad, the optimizer leaves it, requiresGrad_() thaws it", () => {
    torch.manualSeed(0);
    const model = new Tagger();
    const lstm = model.lstm.stateDict(); // the parameters themselves, by PyTorch's names
    const frozen = lstm.weight_ih_l0;
    assert.equal(frozen.requiresGrad_(false), frozen);
    assert.equal(frozen.requiresGrad, false);
    assert.equal(model.fc.weight.requiresGrad, true);
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.5 });
    const [before, fcBefore] = [frozen.tolist(), model.fc.weight.tolist()];
    const x = torch.randn(5, 2, 4);
    const y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    const criterion = new nn.CrossEntropyLoss();
    optimizer.zeroGrad();
    criterion(model(x), y).backward();
    assert.equal(frozen.grad, null, "a frozen parameter gets no gradient");
    assert.ok(lstm.weight_hh_l0.grad && model.fc.weight.grad, "the others do");
    optimizer.step();
    assert.deepEqual(frozen.tolist(), before, "the optimizer skips it");
    assert.notDeepEqual(model.fc.weight.tolist(), fcBefore);
    backward(() => criterion(model(x), y)); // the closure form leaves it out too
    assert.equal(frozen.grad, null);
    frozen.requiresGrad_();
    assert.equal(frozen.requiresGrad, true);
    criterion(model(x), y).backward();
    assert.ok(frozen.grad, "thawed, it has a gradient again");
  });

  test("nn.init fills a Parameter in place, as PyTorch's init functions do, and returns it", () => {
    const fc = new nn.Linear(30, 20);
    assert.equal(nn.init.xavierUniform_(fc.weight), fc.weight);
    const bound = Math.sqrt(6 / 50);
    const values = (fc.weight.tolist() as number[][]).flat();
    assert.ok(values.every((v) => Math.abs(v) <= bound) && values.some((v) => Math.abs(v) > bound / 2), "U(±sqrt(6 / (fan_in + fan_out)))");
    nn.init.zeros_(fc.bias!);
    assert.deepEqual(fc.bias!.tolist(), Array(20).fill(0));
    assert.equal(nn.init.constant_(fc.weight.tf, 0.5), fc.weight.tf, "its tf.Variable too");
    assert.equal(fc.weight.at(3, 4).item(), 0.5);
    assert.equal(fc.weight.requiresGrad, true, "still a parameter");
  });

  test("gradients accumulate across two backward() calls until zeroGrad", () => {
    const fc = new nn.Linear(2, 1);
    fc.forward(torch.ones(1, 2)).sum().backward();
    fc.forward(torch.ones(1, 2)).sum().backward();
    assert.deepEqual(fc.weight.grad?.tolist(), [[2, 2]]);
  });
});

describe("the lessons' snippets", () => {
  test("a loss prints as PyTorch prints it: grad_fn=<NllLossBackward0> for CrossEntropyLoss", () => {
    const x = torch.randn([3, 4], { requiresGrad: true });
    const y = torch.tensor([0, 1, 2]);
    assert.match(String(new nn.CrossEntropyLoss()(x, y)), /^tensor\(\d+\.\d{4}, grad_fn=<NllLossBackward0>\)$/);
    assert.match(String(new nn.CrossEntropyLoss({ reduction: "none" })(x, y)), /^tensor\(\[.*\], grad_fn=<NllLossBackward0>\)$/);
  });

  test("inputs = torch.Tensor(x_one_hot).view(-1, batch_size, input_size)", () => {
    const oneHot = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ];
    const inputs = torch.tensor(oneHot).float().view(-1, 1, 4);
    assert.equal(String(inputs.shape), "torch.Size([3, 1, 4])");
    assert.equal(inputs.dtype, torch.float32);
  });

  test("loss = 0; loss += criterion(hidden, label): a long 0 plus a float loss is a float with a grad_fn", () => {
    torch.manualSeed(0);
    const cell = new nn.RNNCell(4, 4);
    const criterion = new nn.CrossEntropyLoss();
    let hidden = torch.zeros(1, 4);
    let loss = torch.tensor(0);
    assert.equal(loss.dtype, torch.long);
    for (const [xt, label] of [
      [torch.tensor([[1, 0, 0, 0]]).float(), torch.tensor([1])],
      [torch.tensor([[0, 1, 0, 0]]).float(), torch.tensor([2])],
    ] as const) {
      hidden = cell.forward(xt, hidden);
      loss = loss.add(criterion.forward(hidden, label));
      const [, idx] = hidden.max(1);
      assert.equal(typeof idx.item(), "number", "idx.item() is a number");
      assert.ok([0, 1, 2, 3].includes(idx.item() as number));
    }
    assert.equal(loss.dtype, torch.float32);
    assert.equal(loss.gradFn?.name, "AddBackward0");
    loss.backward();
    assert.ok(cell.weight_ih.grad, "the gradient reached the cell");
  });

  test("for xt in x: h1 = cell1(xt, h1); print(h1.shape) → torch.Size([3, 20])", () => {
    const cell1 = new nn.RNNCell(10, 20);
    let h1 = torch.zeros(3, 20);
    for (const xt of torch.randn(6, 3, 10)) h1 = cell1.forward(xt, h1);
    assert.equal(String(h1.shape), "torch.Size([3, 20])");
    assert.equal(`${h1.shape}`, "torch.Size([3, 20])");
  });

  test("torch.* functions take Tensors and give Tensors; tfjs tensors are still accepted", () => {
    const a = torch.tensor([
      [1, 5],
      [7, 2],
    ]);
    assert.ok(torch.cat([a, a]) instanceof Tensor);
    assert.deepEqual(torch.argmax(a, 1).tolist(), [1, 0]);
    assert.equal(torch.item(torch.max(a)), 7);
    const fromTf = torch.softmax(tf.tensor([0, 0]), 0);
    assert.ok(fromTf instanceof Tensor);
    assert.deepEqual(fromTf.tolist(), [0.5, 0.5]);
    assert.equal(torch.format(torch.tensor([0.5, -1.25])), "tensor([ 0.5000, -1.2500])");
    assert.equal(String(torch.size(a)), "torch.Size([2, 2])");
  });
});

describe("packed sequences and padding with Tensors", () => {
  test("packPaddedSequence → RNN → padPackedSequence gives Tensors, and the gradient reaches the input", () => {
    torch.manualSeed(0);
    const rnn = new nn.GRU(3, 5);
    const x = torch.randn(4, 2, 3, { requiresGrad: true });
    const packed = packPaddedSequence(x, [4, 2]);
    const [out, h] = rnn.forward(packed);
    assert.ok(h instanceof Tensor);
    const [padded, lengths] = padPackedSequence(out); // typed: a PackedSequence of Tensors gives a Tensor
    assert.ok(padded instanceof Tensor);
    assert.equal(String(padded.shape), "torch.Size([4, 2, 5])");
    assert.deepEqual(lengths, [4, 2]);
    assert.deepEqual(padded.at("2:", 1).abs().sum().item(), 0, "past the second sequence's end: padding");
    padded.sum().backward();
    const grad = x.grad!.tolist() as number[][][];
    assert.ok(
      grad[0][1].some((g) => g !== 0),
      "the second sequence's first step has a gradient",
    );
    assert.deepEqual(grad[3][1], [0, 0, 0], "its padding has none");
  });

  test("padSequence of Tensors is a Tensor", () => {
    const padded = padSequence([torch.ones(3, 2), torch.ones(1, 2)], { batchFirst: true });
    assert.ok(padded instanceof Tensor);
    assert.deepEqual(padded.tolist(), [
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [1, 1],
        [0, 0],
        [0, 0],
      ],
    ]);
  });
});
