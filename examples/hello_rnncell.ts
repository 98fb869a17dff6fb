// "hello" → "ohlol" with an RNNCell stepped by hand, as in the PyTorch lesson: one-hot characters in,
// one cell step per character, the hidden state (4 units, one per character) read as the prediction.
//   npx unroll run examples/hello_rnncell.ts
import { nn, optim, torch, type Tensor } from "unroll";

const chars = ["h", "e", "l", "o"];
const input = "hello";
const target = "ohlol";
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));

torch.manualSeed(0);
// PyTorch: torch.eye(4)[idx].view(-1, 1, 4): the one-hot rows of "hello"
const x = torch
  .eye(chars.length)
  .indexSelect(0, torch.tensor(encode(input)))
  .view(-1, 1, chars.length); // [seq 5, batch 1, 4]
const y = torch.tensor(encode(target)); // [5]

const cell = new nn.RNNCell(chars.length, chars.length);
const criterion = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(cell.parameters(), { lr: 0.1 });
console.log(String(cell));

for (let epoch = 1; epoch <= 100; epoch++) {
  optimizer.zeroGrad();
  let h = torch.zeros(1, chars.length);
  const steps: Tensor[] = [];
  // PyTorch: for xt in x: h = cell(xt, h)
  for (const xt of x) {
    h = cell.forward(xt, h); // h_t [1, 4]
    steps.push(h);
  }
  const logits = torch.cat(steps); // [5, 4]
  const predicted = (logits.argmax(1).tolist() as number[]).map((i) => chars[i]).join("");
  const loss = criterion.forward(logits, y);
  loss.backward();
  optimizer.step();
  if (epoch % 10 === 0 || predicted === target) console.log(`epoch ${epoch}  loss ${Number(loss.item()).toFixed(4)}  predicted "${predicted}"`);
  if (predicted === target) break;
}
