// Lesson 5b: "hello" → "ohlol" with nn.RNN (PyTorchZeroToAll lecture 12, part 2).
//
// 第 5b 课：同样的任务，用 nn.RNN 自己在时间上循环：整个序列作为一个张量输入（batchFirst），每一步的隐藏状态一起输出。
//
// The same task as 05a, but nn.RNN runs the loop over time itself: the whole sequence goes in as one tensor
// and every step's hidden state comes out. With batchFirst the layout is (batch, seq, features), as in the
// lecture. The hidden state (4 units) is again read as the scores of the 4 characters.
// nn.RNN is exactly 05a's loop: with the same seed, its parameters and its losses match 05a's number for number.
//
//   npx unroll train examples/05b_hello_rnn.ts
import { defineExperiment, nn, optim, torch, noGrad, type Tensor } from "unroll";

const chars = ["h", "e", "l", "o"];
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const decode = (scores: Tensor) => (scores.argmax(-1).tolist() as number[]).map((i) => chars[i]).join("");

class Model extends nn.Module {
  rnn = new nn.RNN(chars.length, chars.length, { batchFirst: true });

  override forward(x: Tensor): Tensor {
    const h0 = torch.zeros(1, x.size(0), chars.length); // [layers, batch, hidden]: zeros, as the default
    const [out] = this.rnn.forward(x, h0); // x [1, 5, 4] → out [1, 5, 4]
    return out.view(-1, chars.length); // [5, 4]: PyTorch's out.view(-1, num_classes)
  }
}

export default defineExperiment({
  name: "hello → ohlol (RNN)",
  epochs: 30,
  hparams: { lr: 0.1 }, // npx unroll train examples/05b_hello_rnn.ts --set lr=0.03
  model: () => {
    torch.manualSeed(0);
    return new Model();
  },
  data: () => {
    // PyTorch: torch.eye(4)[idx].view(1, -1, 4): the one-hot rows of "hello"
    const x = torch
      .eye(chars.length)
      .indexSelect(0, torch.tensor(encode("hello")))
      .view(1, -1, chars.length); // [batch 1, seq 5, 4]
    const y = torch.tensor(encode("ohlol")); // [5]
    return { train: [[x, y]] };
  },
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters, { lr }) => new optim.Adam(parameters, { lr }),
  evaluate: (model, data) => noGrad(() => ({ predicted: decode(model.forward((data.train as [Tensor, Tensor][])[0][0])) })),
  sampleTokens: () => [..."hello"], // the Dynamics tab writes them along its time axis
});
