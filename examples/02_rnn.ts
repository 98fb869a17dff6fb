// Lesson 2: nn.RNN, the whole sequence in one call (PyTorch's nn.RNN docs; PyTorchZeroToAll lecture 12).
//
// 第 2 课：nn.RNN 一次调用处理整个序列，可以堆叠多层、做双向。它返回 output（最后一层每一步的隐藏状态）
// 和 h_n（每层每个方向最后一步的隐藏状态）。
//
// nn.RNN runs the cell of lesson 1 over every time step for you, and can stack layers and run a second
// direction. It returns two tensors:
//   output  [seq, batch, directions * hidden]   h_t of the LAST layer at every step
//   h_n     [layers * directions, batch, hidden] the FINAL h of every layer and direction
//
//   npx unroll run examples/02_rnn.ts
import { nn, torch, type Tensor } from "unroll";

torch.manualSeed(0);
const show = (label: string, t: Tensor) => console.log(`${label.padEnd(10)} ${t.shape}`); // PyTorch: print(t.shape)

// --- RNN(100, 200) over a [6, 5, 100] sequence ----------------------------------------------------------
console.log("\n== nn.RNN(100, 200)");
const rnn = new nn.RNN(100, 200);
const input = torch.randn([6, 5, 100]); // (seq, batch, features): the default layout
// Without h0 the initial state is zeros, as in PyTorch.
let [output, hn] = rnn.forward(input);
show("output", output); // [6, 5, 200]
show("h_n", hn); // [1, 5, 200]
// With an explicit h0: [layers * directions, batch, hidden].
const h0 = torch.randn([1, 5, 200]);
[output, hn] = rnn.forward(input, h0);
show("output", output); // [6, 5, 200]
show("h_n", hn); // [1, 5, 200]

// --- RNN(100, 10, 3): the third positional argument is num_layers --------------------------------------
console.log("\n== nn.RNN(100, 10, 3)");
const deep = new nn.RNN(100, 10, 3);
console.log(String(deep)); // RNN(100, 10, num_layers=3)
// Layer 0 reads the 100 input features; layers 1 and 2 read the 10 hidden units of the layer below.
for (const [name, p] of deep.namedParameters()) console.log(`  ${name.padEnd(14)} ${p.shape}`);
console.log(`  ${deep.numParameters()} parameters`);

// --- 4 layers ----------------------------------------------------------------------------------------
console.log("\n== nn.RNN(100, 20, num_layers=4)");
const four = new nn.RNN(100, 20, { numLayers: 4 });
const x = torch.randn([10, 3, 100]);
const [out4, h4] = four.forward(x);
show("output", out4); // [10, 3, 20]: the last layer only
show("h_n", h4); // [4, 3, 20]: one final state per layer

// --- 4 layers, bidirectional ----------------------------------------------------------------------------
// A second RNN reads the sequence backwards; the two directions' outputs are concatenated feature-wise.
console.log("\n== nn.RNN(100, 20, num_layers=4, bidirectional=True)");
const bi = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true });
console.log(String(bi));
const [outBi, hBi] = bi.forward(x);
show("output", outBi); // [10, 3, 40]: forward and backward halves side by side
show("h_n", hBi); // [8, 3, 20]: layer 0 forward, layer 0 reverse, layer 1 forward, …
// Parameters of the reverse direction carry a _reverse suffix, as in PyTorch.
console.log(
  `  ${bi
    .namedParameters()
    .slice(0, 8)
    .map(([n]) => n)
    .join(", ")}, …`,
);
