// Lesson 9: vanishing gradients: why a plain RNN cannot learn long-range dependencies, and what an LSTM's
// cell state changes.
//
// 第 9 课：梯度消失：为什么普通 RNN 学不到长距离依赖，LSTM 的细胞状态改变了什么。读 50 个记号、回答第一个，
// 损失必须经反向传播一路传到 h_0；RNN 的梯度在途中几乎消失，遗忘门打开的 LSTM 能保住它。
//
// The task: read 50 tokens and answer the FIRST one (4 classes); the 49 tokens after it are noise. To learn
// it, the loss at the end must tell the first step's hidden state h_0 how to change: that message is
// ∂loss/∂h_t, passed back one step at a time. This file measures its size ‖∂loss/∂h_t‖ for every t.
//
//   - Plain RNN: each step back multiplies the gradient by W_hh and by tanh' ≤ 1. With PyTorch's
//     initialisation W_hh is small, so the gradient shrinks geometrically: at h_0 it is ~1e-12 of its size
//     at h_49. Nothing reaches the first token; the RNN cannot learn the task by gradient descent.
//   - LSTM: the cell state c_t = f_t * c_{t-1} + i_t * g_t passes the gradient back multiplied by the forget
//     gate f_t only. With the forget gate open (f ≈ 1) the gradient travels 50 steps nearly intact.
//   - But PyTorch's default initialisation starts the forget gate half closed (bias ≈ 0, f ≈ 0.5), so a
//     fresh nn.LSTM loses the gradient too, only more slowly. The usual remedy (Gers et al. 2000;
//     Jozefowicz et al. 2015) is a positive forget-gate bias; with 3 (f ≈ 0.95) the gradient at h_0 stays
//     within an order of magnitude of the last step's.
//
// To get ∂loss/∂h_t, the cells are stepped by hand (nn.RNNCell, nn.LSTMCell) and a zero tensor p_t is added
// to every h_t, a leaf that requires grad: after loss.backward(), p_t.grad is exactly ∂loss/∂h_t (PyTorch would
// use h_t.retain_grad()).
//
// The same lesson while training, `firstTokenExperiment` (at the end of this file): 09b trains the RNN, 09c the
// LSTM. Unroll records every parameter's gradient norm at every step and warns when one falls below 1/100 of its
// median over the last 50 steps. From the moment the token to remember is 50 steps back, the RNN's gradient norms
// fall to 1e-6 or less of what they were, and Unroll warns; the LSTM's stay within a factor of ~20, and it learns.
//
//   npx unroll run examples/09_vanishing_gradients.ts
//   npx unroll train examples/09b_vanishing_rnn.ts
import { defineExperiment, nn, noGrad, optim, torch, tf } from "unroll";

export const STEPS = 50;
const TOKENS = 8; // one-hot inputs; the answer is the first token, one of 0–3
const CLASSES = 4;
const HIDDEN = 32;
const BATCH = 64;

export type Kind = "rnn" | "lstm";

/** ‖∂loss/∂h_t‖ for t = 0 … 49 (norm over the batch and the hidden units), for a freshly initialised model. */
export function gradientNorms(kind: Kind, { forgetBias, seed = 0 }: { forgetBias?: number; seed?: number } = {}): number[] {
  torch.manualSeed(seed);
  const cell = kind === "rnn" ? new nn.RNNCell(TOKENS, HIDDEN) : new nn.LSTMCell(TOKENS, HIDDEN);
  const fc = new nn.Linear(HIDDEN, CLASSES);
  if (cell instanceof nn.LSTMCell && forgetBias !== undefined) fillForgetBias(cell.bias_ih!, forgetBias);

  // The data: token 0 is the answer, tokens 1–49 are noise.
  const first = torch.randint(0, CLASSES, [BATCH, 1]);
  const tokens = torch.cat([first, torch.randint(0, TOKENS, [BATCH, STEPS - 1])], 1); // [batch, 50]
  const x = oneHot(tokens, TOKENS); // [batch, 50, 8]
  const target = first.view(BATCH);

  const probes = Array.from({ length: STEPS }, () => torch.zeros([BATCH, HIDDEN], { requiresGrad: true })); // p_t
  let h = torch.zeros(BATCH, HIDDEN);
  let c = torch.zeros(BATCH, HIDDEN);
  for (let t = 0; t < STEPS; t++) {
    const xt = x.select(1, t); // PyTorch: x[:, t]
    if (cell instanceof nn.LSTMCell) [h, c] = cell(xt, [h, c]);
    else h = cell(xt, h);
    h = h.add(probes[t]); // h_t + 0: same value, and p_t.grad will be ∂loss/∂h_t
  }
  const loss = new nn.CrossEntropyLoss()(fc(h), target); // predict the first token from h_49
  loss.backward();
  return probes.map((p) => p.grad!.pow(2).sum().sqrt().item() as number); // [‖∂loss/∂h_0‖, …, ‖∂loss/∂h_49‖]
}

/** PyTorch: bias.data[H:2H].fill_(value): the forget gate's rows of an LSTM bias (the 4H rows are gates i, f, g, o).
 *  Written on the parameter's TensorFlow.js variable, outside the graph, as PyTorch's `.data`. */
function fillForgetBias(bias: nn.Parameter, value: number): void {
  const b = bias.tf;
  b.assign(tf.concat([b.slice(0, HIDDEN), tf.fill([HIDDEN], value), b.slice(2 * HIDDEN)]));
}

/** PyTorch: F.one_hot(t, n).float(): rows of the n×n identity, picked by index. */
const oneHot = (t: torch.Tensor, n: number) =>
  torch
    .eye(n)
    .indexSelect(0, t.flatten())
    .view(...t.shape, n);

export default function main(): void {
  const models: [string, number[]][] = [
    ["RNN", gradientNorms("rnn")],
    ["LSTM (PyTorch's init)", gradientNorms("lstm")],
    ["LSTM (forget bias 3)", gradientNorms("lstm", { forgetBias: 3 })],
  ];
  const shown = [0, 10, 20, 30, 40, 45, 49];
  console.log(`‖∂loss/∂h_t‖ over a ${STEPS}-step sequence whose answer is its first token\n`);
  console.log(["t".padEnd(22), ...shown.map((t) => String(t).padStart(9))].join(" "));
  for (const [name, norms] of models) console.log([name.padEnd(22), ...shown.map((t) => norms[t].toExponential(1).padStart(9))].join(" "));
  console.log("\nhow much of the gradient at the last step reaches the first, ‖∂loss/∂h_0‖ / ‖∂loss/∂h_49‖:");
  for (const [name, norms] of models) console.log(`  ${name.padEnd(22)} ${(norms[0] / norms[STEPS - 1]).toExponential(1)}`);
}

// ---------------------------------------------------------------------------------------------------
// The same lesson, trained. The gradient-health warning compares each step's gradient norm with the median of the
// last 50 steps, so it catches a fall, not a slow fade (the median follows a fade). The task is built so that the
// RNN's gradient falls at a known step, by construction, whatever the rounding of the machine (or PyTorch's):
//
//   - A token (one of 4, one-hot), then blanks (zero vectors); at the end, say which token it was. Blanks, not
//     the noise of the scratchpad above: after noise, an RNN that cannot reach the token fits the noise of the
//     last steps instead, and its gradient stays as large as ever though it learns nothing.
//   - Epoch 1 is a warm-up: the token comes 3 steps before the end, within reach of both models, whose gradients
//     are healthy. From epoch 2 on, it is the first of the 50 steps.
//   - The RNN and the output layer have no biases. So 49 blanks take the RNN's state to ~0 (h ← tanh(W_hh h)),
//     the logits to ~0 and the answer to ¼ for every token, the same for every sequence: nothing at the end tells
//     the sequences apart, and the only gradient left is the one that travels back 49 steps, multiplied at each by
//     W_hh and tanh'. At the first step of epoch 2, each of the RNN's gradient norms drops to 1e-6 of its median
//     or less (1e-12 where the rounding lets it). Adam's steps shrink with it: the RNN does not learn back, and its
//     loss stays at ln 4 = 1.386 (guessing). (With biases the RNN would guess too, but its gradient would fade over
//     many steps while it learnt to answer ¼ for every token: a fade the running median follows, no fall.)
//   - The LSTM keeps the token in its cell state: with the forget gate's bias at 5 (f ≈ 0.99), 0.99^49 ≈ 0.7 of it
//     is left after the blanks, and the gradient comes back the same way. Its norms stay within ~20x of their
//     median, and its loss falls. (With a bias of 3, 0.95^49 ≈ 0.08 is left, and the LSTM's gradient grows up to
//     30x while it learns to keep more: too near the 100x of an exploding-gradient warning.)
//   - Adam at lr 5e-4. With larger steps (from 2e-3 here), epoch 1 and Adam's momentum grow W_hh until the RNN can
//     hold the token in its state (without input, a tanh RNN settles at ±h* once W_hh's largest eigenvalue passes
//     1): its gradient comes back, as an explosion.
//
// `npm run bench:vanishing` trains both on every backend path with 5 seeds, and prints the warnings of each run.

const WARM_UP_GAP = 2; // epoch 1: blanks after the token (it is the 3rd step from the end)

class Recall extends nn.Module {
  rnn: nn.RNN | nn.LSTM;
  fc = new nn.Linear(HIDDEN, CLASSES, { bias: false });

  constructor(kind: Kind, forgetBias: number) {
    super();
    this.rnn = kind === "rnn" ? new nn.RNN(CLASSES, HIDDEN, { batchFirst: true, bias: false }) : new nn.LSTM(CLASSES, HIDDEN, { batchFirst: true });
    if (this.rnn instanceof nn.LSTM) {
      fillForgetBias(this.rnn.namedParameters().find(([name]) => name === "bias_ih_l0")![1], forgetBias); // PyTorch: lstm.bias_ih_l0
    }
  }

  override forward(x: torch.Tensor): torch.Tensor {
    const [out] = this.rnn instanceof nn.LSTM ? this.rnn(x) : this.rnn(x); // [batch, 50, hidden]
    const last = out.at(":", -1); // PyTorch: out[:, -1], h_49
    return this.fc(last); // [batch, 4]
  }
}

/** `count` batches of 50 steps: blanks, the token `gap` steps before the last one, then blanks; the token as the target. */
function recallBatches(count: number, gap: number): [torch.Tensor, torch.Tensor][] {
  return Array.from({ length: count }, () => {
    const token = torch.randint(0, CLASSES, [BATCH]);
    const at = STEPS - 1 - gap; // the token's step
    const x = torch.cat([torch.zeros(BATCH, at, CLASSES), oneHot(token, CLASSES).unsqueeze(1), torch.zeros(BATCH, gap, CLASSES)], 1);
    return [x, token];
  });
}

/** Training on the recall task: `kind` "rnn" (plain tanh RNN, no biases) or "lstm" (forget-gate bias `forgetBias`).
 *  `seed` seeds the model (with it) and the data (with it + 1). */
export function firstTokenExperiment({
  kind,
  epochs = 8,
  batchesPerEpoch = 16,
  lr = 5e-4,
  forgetBias = 5,
  seed = 0,
}: {
  kind: Kind;
  epochs?: number;
  batchesPerEpoch?: number;
  lr?: number;
  forgetBias?: number;
  seed?: number;
}) {
  return defineExperiment({
    name: `first token of ${STEPS} (${kind === "rnn" ? "RNN" : "LSTM"})`,
    epochs,
    model: () => {
      torch.manualSeed(seed);
      return new Recall(kind, forgetBias);
    },
    data: () => {
      torch.manualSeed(seed + 1);
      const warmUp = recallBatches(batchesPerEpoch, WARM_UP_GAP);
      const first = recallBatches(batchesPerEpoch, STEPS - 1); // the token is the first step
      const test = recallBatches(4, STEPS - 1);
      let epoch = 0;
      return { train: () => (epoch++ === 0 ? warmUp : first), test }; // train() is called at the start of each epoch
    },
    loss: () => new nn.CrossEntropyLoss(),
    optimizer: (parameters) => new optim.Adam(parameters, { lr }),
    evaluate: (model, data) =>
      noGrad(() => {
        // The probability the model gives the right token, on sequences whose token is the first step (¼: guessing).
        const test = data.test as [torch.Tensor, torch.Tensor][];
        let sum = 0;
        for (const [x, y] of test) sum += model(x).softmax(1).mul(oneHot(y, CLASSES)).sum().item() as number;
        return { pAnswer: sum / (test.length * BATCH) };
      }),
  });
}
