// Lesson 5a: teach an RNNCell to say "ohlol" when it reads "hello" (PyTorchZeroToAll lecture 12, part 1).
//
// 第 5a 课：教 RNNCell 读到 "hello" 时回答 "ohlol"。每个字符做独热编码，单元每步读一个字符，
// 它的隐藏状态（4 个单元）直接当作下一个字符的得分；自定义的 step 在字符上循环。
//
// Each character is one-hot encoded over the vocabulary h, e, l, o. The cell reads one character per step,
// and its hidden state (4 units, one per character) is read directly as the scores of the next character,
// so h_t should light up: o, h, l, o, l. Because an RNNCell only does one time step, this experiment gives
// a custom `step` that loops over the characters, as the lecture's training loop does.
//
//   npx unroll train examples/05a_hello_rnncell.ts
//
// Each epoch reports the loss and `predicted`, the string the cell says; it reaches "ohlol" in a few epochs.
import { defineExperiment, nn, optim, torch, noGrad, type Tensor } from "unroll";

const chars = ["h", "e", "l", "o"];
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const decode = (scores: Tensor) => (scores.argmax(-1).tolist() as number[]).map((i) => chars[i]).join("");

/** Runs the cell over a [seq, batch 1, 4] sequence from h_0 = 0; returns every h_t as scores [seq, 4]. */
function unroll(cell: nn.RNNCell, x: Tensor): Tensor {
  let h = torch.zeros(1, cell.hiddenSize); // [batch 1, hidden 4]
  const steps: Tensor[] = [];
  // PyTorch: for xt in x: h = cell(xt, h)
  for (const xt of x) {
    h = cell.forward(xt, h); // xt [1, 4] → h_t [1, 4]
    steps.push(h);
  }
  return torch.cat(steps); // [5, 4]: one row of scores per character
}

export default defineExperiment({
  name: "hello → ohlol (RNNCell)",
  epochs: 30,
  model: () => {
    torch.manualSeed(0);
    return new nn.RNNCell(chars.length, chars.length); // input 4 (one-hot), hidden 4 (= the 4 classes)
  },
  data: () => {
    // PyTorch: torch.eye(4)[idx].view(-1, 1, 4): the one-hot rows of "hello"
    const x = torch
      .eye(chars.length)
      .indexSelect(0, torch.tensor(encode("hello")))
      .view(-1, 1, chars.length); // [seq 5, batch 1, 4]
    const y = torch.tensor(encode("ohlol")); // [5]: the class of each next character
    return { train: [[x, y]] }; // one batch: one step per epoch
  },
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.1 }),
  // One training step: unroll the cell over the 5 characters; CrossEntropyLoss averages over them.
  step: ({ model, batch: [x, y], loss }) => loss(unroll(model, x), y),
  evaluate: (model, data) => noGrad(() => ({ predicted: decode(unroll(model, (data.train as [Tensor, Tensor][])[0][0])) })),
});
