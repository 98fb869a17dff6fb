// Lesson 4: the GRU (PyTorch's nn.GRU docs).
//
// 第 4 课：GRU 是更轻的 LSTM：没有单独的细胞状态，三个门（重置门 r、更新门 z、新门 n），所以权重有 3 × hidden 行。
//
// A GRU is a lighter LSTM: no separate cell state, three gates (reset r, update z, new n, in that order),
// so its weights are 3 * hidden rows tall. Like nn.RNN it returns output and h_n.
//
//   npx unroll run examples/04_gru.ts
import { nn, torch, type Tensor } from "unroll";

torch.manualSeed(0);
const show = (label: string, t: Tensor) => console.log(`${label.padEnd(12)} ${t.shape}`); // PyTorch: print(t.shape)

const gru = new nn.GRU(10, 20);
console.log(String(gru)); // GRU(10, 20)
for (const [name, p] of gru.namedParameters()) console.log(`  ${name.padEnd(14)} ${p.shape}`);
// weight_ih_l0 [60, 10], weight_hh_l0 [60, 20]: the gates r, z, n, 20 rows each.

const input = torch.randn([3, 32, 10]); // (seq 3, batch 32, features 10)
const [output, hn] = gru.forward(input);
show("output", output); // [3, 32, 20]
show("h_n", hn); // [1, 32, 20]

// With an explicit h0 [layers, batch, hidden]:
const [output2, hn2] = gru.forward(input, torch.randn([1, 32, 20]));
show("output", output2); // [3, 32, 20]
show("h_n", hn2); // [1, 32, 20]

// A GRU has 3/4 of an LSTM's recurrent parameters for the same sizes:
console.log(`GRU(10, 20): ${gru.numParameters()} parameters; LSTM(10, 20): ${new nn.LSTM(10, 20).numParameters()}`);
