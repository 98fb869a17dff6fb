// "hello" → "ohlol" with an RNNCell stepped by hand, as in the PyTorch lesson: one-hot characters in,
// one cell step per character, the hidden state (4 units, one per character) read as the prediction.
//   npx unroll run examples/hello_rnncell.ts
import { nn, optim, torch, backward, tf } from "unroll";

const chars = ["h", "e", "l", "o"];
const input = "hello";
const target = "ohlol";
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));

torch.manualSeed(0);
const x = tf.oneHot(encode(input), chars.length).toFloat().reshape([input.length, 1, chars.length]); // [seq 5, batch 1, 4]
const y = torch.tensor(encode(target)); // [5]

const cell = new nn.RNNCell(chars.length, chars.length);
const criterion = new nn.CrossEntropyLoss();
const optimizer = new optim.Adam(cell.parameters(), { lr: 0.1 });
console.log(String(cell));

for (let epoch = 1; epoch <= 100; epoch++) {
  let predicted = "";
  optimizer.zeroGrad();
  const loss = backward(() => {
    let h = torch.zeros([1, chars.length]);
    const steps: tf.Tensor[] = [];
    for (const xt of tf.unstack(x)) {
      h = cell.forward(xt, h); // h_t [1, 4]
      steps.push(h);
    }
    const logits = tf.concat(steps); // [5, 4]
    predicted = Array.from(logits.argMax(1).dataSync(), (i) => chars[i]).join("");
    return criterion.forward(logits, y);
  });
  optimizer.step();
  if (epoch % 10 === 0 || predicted === target) console.log(`epoch ${epoch}  loss ${loss.toFixed(4)}  predicted "${predicted}"`);
  if (predicted === target) break;
}
