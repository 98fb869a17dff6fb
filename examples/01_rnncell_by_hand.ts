// Lesson 1: an RNNCell stepped by hand (PyTorch's nn.RNNCell docs; PyTorchZeroToAll lecture 12).
//
// 第 1 课：手动逐步运行 RNNCell。循环单元一次只算一个时间步：h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)，
// 你自己在时间上循环，把每一步的隐藏状态传给下一步。这里：序列长度 6，批次 5，每步 100 个特征，隐藏状态 200 个单元，每步输出 [5, 200]。
//
// A recurrent cell computes one time step: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).
// To run it over a sequence you loop over time yourself, feeding each step's hidden state into the next.
// Here: a sequence of 6 steps, a batch of 5, 100 features per step, and a hidden state of 200 units.
//
//   npx unroll run examples/01_rnncell_by_hand.ts
//
// It prints the cell, its parameters, then h_t of shape [5, 200] for each of the six steps.
import { nn, torch, type Tensor } from "unroll";

torch.manualSeed(0);

// PyTorch: rnn = nn.RNNCell(100, 200)
const cell = new nn.RNNCell(100, 200);
console.log(String(cell)); // RNNCell(100, 200)
for (const [name, p] of cell.namedParameters()) console.log(`  ${name} ${p.shape}`);
// weight_ih [200, 100], weight_hh [200, 200], bias_ih [200], bias_hh [200]

// PyTorch: input = torch.randn(6, 5, 100); hx = torch.randn(5, 200)
const input = torch.randn([6, 5, 100]); // (time, batch, features)
let hx = torch.randn([5, 200]); // (batch, hidden)

// PyTorch: for i in range(6): hx = rnn(input[i], hx); output.append(hx)
const output: Tensor[] = [];
for (let t = 0; t < 6; t++) {
  hx = cell.forward(input.at(t), hx); // input[t]: [5, 100] → h_t: [5, 200]
  output.push(hx);
  console.log(`h_${t} ${hx.shape}`);
}

console.log(`${output.length} outputs`);
// Stacked, they are what nn.RNN(100, 200) returns as its output: [6, 5, 200].
console.log(`stacked ${torch.stack(output).shape}`);
