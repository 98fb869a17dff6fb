// Lesson 3: the LSTM (PyTorch's nn.LSTM and nn.LSTMCell docs).
//
// 第 3 课：LSTM 有两个状态：隐藏状态 h 和细胞状态 c（记忆）。四个门（输入门 i、遗忘门 f、候选 g、输出门 o）
// 在一次矩阵乘法中算出，所以权重有 4 × hidden 行：LSTM(50, 100) 的 weight_hh_l0 是 [400, 100]。
//
// An LSTM carries two states: the hidden state h (its output) and the cell state c (its memory). Four gates
// (input i, forget f, cell g, output o, in that order) are computed in one matrix product, so its weights
// are 4 * hidden rows tall. nn.LSTM takes and returns the states as a pair: output, [h_n, c_n].
//
//   npx unroll run examples/03_lstm.ts
import { nn, torch, type Tensor } from "unroll";

torch.manualSeed(0);
const show = (label: string, t: Tensor) => console.log(`${label.padEnd(12)} ${t.shape}`); // PyTorch: print(t.shape)

// --- LSTM(50, 100, num_layers=2) ---------------------------------------------------------------------
console.log("== nn.LSTM(50, 100, num_layers=2)");
const lstm = new nn.LSTM(50, 100, { numLayers: 2 });
console.log(String(lstm));
for (const [name, p] of lstm.namedParameters()) console.log(`  ${name.padEnd(14)} ${p.shape}`);
// weight_ih_l0 [400, 50], weight_hh_l0 [400, 100]: the rows are the gates i, f, g, o, 100 each.

const input = torch.randn([10, 3, 50]); // (seq 10, batch 3, features 50)
// Without [h0, c0] both start at zeros.
let [output, [hn, cn]] = lstm.forward(input);
show("output", output); // [10, 3, 100]
show("h_n", hn); // [2, 3, 100]: one per layer
show("c_n", cn); // [2, 3, 100]
// With explicit initial states, each [layers, batch, hidden].
const h0 = torch.randn([2, 3, 100]);
const c0 = torch.randn([2, 3, 100]);
[output, [hn, cn]] = lstm.forward(input, [h0, c0]);
show("output", output);
show("h_n", hn);
show("c_n", cn);

// --- Two stacked LSTMCells stepping a sequence by hand ---------------------------------------------------
// What nn.LSTM(10, 20, num_layers=2) does inside: layer 2 reads layer 1's h at every step.
console.log("\n== two stacked nn.LSTMCell(10, 20) and nn.LSTMCell(20, 20)");
const cell1 = new nn.LSTMCell(10, 20);
const cell2 = new nn.LSTMCell(20, 20);
show("weight_ih", cell1.weight_ih); // [80, 10]
const sequence = torch.randn([6, 3, 10]); // (seq 6, batch 3, features 10)
let state1 = [torch.zeros(3, 20), torch.zeros(3, 20)] as [Tensor, Tensor];
let state2 = [torch.zeros(3, 20), torch.zeros(3, 20)] as [Tensor, Tensor];
const outputs: Tensor[] = [];
// PyTorch: for x in sequence: — iterating a tensor gives its slices along dim 0.
for (const x of sequence) {
  state1 = cell1.forward(x, state1); // [h, c] of layer 1, each [3, 20]
  state2 = cell2.forward(state1[0], state2); // layer 2 reads layer 1's h
  outputs.push(state2[0]);
}
show("h_t", outputs[0]); // [3, 20]
show("stacked", torch.stack(outputs)); // [6, 3, 20]: what nn.LSTM's output would be

// --- Bidirectional, 4 layers ------------------------------------------------------------------------------
console.log("\n== nn.LSTM(50, 100, num_layers=4, bidirectional=True)");
const bi = new nn.LSTM(50, 100, { numLayers: 4, bidirectional: true });
console.log(String(bi));
const [outBi, [hBi, cBi]] = bi.forward(input);
show("output", outBi); // [10, 3, 200]: both directions concatenated
show("h_n", hBi); // [8, 3, 100]: 4 layers × 2 directions
show("c_n", cBi); // [8, 3, 100]
show("weight_ih_l1", bi.namedParameters().find(([n]) => n === "weight_ih_l1")![1]); // [400, 200]: reads both directions
