// Lesson 5c: "hello" → "ohlol" with an Embedding, a 2-layer RNN and a Linear layer
// (PyTorchZeroToAll lecture 12, part 3).
//
// 第 5c 课：同样的任务，用 Embedding 学习字符向量，2 层 RNN，再用 Linear 把隐藏状态映射成字符得分。
//
// Instead of one-hot vectors, characters go in as indices and nn.Embedding learns a vector for each.
// The RNN's hidden state is no longer tied to the number of classes: a Linear layer maps it to the scores
// of the 4 characters. This is the shape of most real sequence models (see 06_names_classifier.ts).
//
//   npx unroll train examples/05c_hello_embedding.ts
import { defineExperiment, nn, optim, torch, noGrad, type Tensor } from "unroll";

const chars = ["h", "e", "l", "o"];
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const decode = (scores: Tensor) => (scores.argmax(-1).tolist() as number[]).map((i) => chars[i]).join("");

class Model extends nn.Module {
  embedding = new nn.Embedding(chars.length, 10); // 4 characters → 10-dimensional vectors
  rnn = new nn.RNN(10, 8, { numLayers: 2, batchFirst: true });
  fc = new nn.Linear(8, chars.length);

  override forward(tokens: Tensor): Tensor {
    const emb = this.embedding.forward(tokens); // [batch 1, seq 5] → [1, 5, 10]
    const [out] = this.rnn.forward(emb); // [1, 5, 8]: the top layer's h_t at every step
    return this.fc.forward(out).view(-1, chars.length); // [5, 4]
  }
}

export default defineExperiment({
  name: "hello → ohlol (Embedding + RNN + Linear)",
  epochs: 30,
  model: () => {
    torch.manualSeed(0);
    return new Model();
  },
  data: () => {
    const x = torch.tensor([encode("hello")]); // [batch 1, seq 5]: indices
    const y = torch.tensor(encode("ohlol")); // [5]
    return { train: [[x, y]] };
  },
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.1 }),
  evaluate: (model, data) => noGrad(() => ({ predicted: decode(model.forward((data.train as [Tensor, Tensor][])[0][0])) })),
});
