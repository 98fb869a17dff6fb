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
// to every h_t: ∂loss/∂p_t is exactly ∂loss/∂h_t (PyTorch would use h_t.retain_grad()). tf.grads gives all
// fifty at once.
//
// The same task as a training experiment, `firstTokenExperiment`, shows it while training: 09b trains the RNN,
// 09c the LSTM (forget bias 3). Unroll records every parameter's gradient norm at every step and warns when
// one falls far below its running median. At lr 0.2 the RNN's tanh units saturate (tanh' ≈ 0): its gradients
// collapse by orders of magnitude within a few epochs and it stays at chance; the LSTM's gradients stay steady.
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
  if (cell instanceof nn.LSTMCell && forgetBias !== undefined) {
    // PyTorch: cell.bias_ih.data[H:2H].fill_(forgetBias). The 4H rows are the gates i, f, g, o.
    const b = cell.bias_ih!;
    b.assign(tf.concat([b.slice(0, HIDDEN), tf.fill([HIDDEN], forgetBias), b.slice(2 * HIDDEN)]));
  }

  return tf.tidy(() => {
    // The data: token 0 is the answer, tokens 1–49 are noise.
    const first = torch.randint(0, CLASSES, [BATCH, 1]);
    const noise = torch.randint(0, TOKENS, [BATCH, STEPS - 1]);
    const tokens = tf.concat([first, noise], 1).toInt(); // [batch, 50]
    const xs = tf.unstack(tf.oneHot(tokens, TOKENS).toFloat(), 1); // 50 × [batch, 8]
    const target = first.reshape([BATCH]);

    const probes = xs.map(() => tf.zeros([BATCH, HIDDEN])); // p_t: zeros added to each h_t
    const lossOf = (...p: tf.Tensor[]) => {
      let h = torch.zeros([BATCH, HIDDEN]);
      let c = torch.zeros([BATCH, HIDDEN]);
      for (let t = 0; t < STEPS; t++) {
        if (cell instanceof nn.LSTMCell) [h, c] = cell.forward(xs[t], [h, c]);
        else h = cell.forward(xs[t], h);
        h = h.add(p[t]); // h_t + 0: same value, and a handle on ∂loss/∂h_t
      }
      return new nn.CrossEntropyLoss().forward(fc.forward(h), target) as tf.Scalar; // predict the first token from h_49
    };
    const grads = tf.grads(lossOf)(probes); // [∂loss/∂h_0, …, ∂loss/∂h_49]
    return grads.map((g) => g.norm().dataSync()[0]);
  });
}

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
// The same task, trained: nn.RNN or nn.LSTM reads the 50 tokens, a linear layer reads the last hidden state.

class FirstToken extends nn.Module {
  rnn: nn.RNN | nn.LSTM;
  fc = new nn.Linear(HIDDEN, CLASSES);

  constructor(kind: Kind, forgetBias?: number) {
    super();
    this.rnn = kind === "rnn" ? new nn.RNN(TOKENS, HIDDEN, { batchFirst: true }) : new nn.LSTM(TOKENS, HIDDEN, { batchFirst: true });
    if (this.rnn instanceof nn.LSTM && forgetBias !== undefined) {
      // PyTorch: lstm.bias_ih_l0.data[H:2H].fill_(forgetBias). The 4H rows are the gates i, f, g, o.
      const b = this.rnn.namedParameters().find(([name]) => name === "bias_ih_l0")![1];
      b.assign(tf.concat([b.slice(0, HIDDEN), tf.fill([HIDDEN], forgetBias), b.slice(2 * HIDDEN)]));
    }
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [out] = this.rnn instanceof nn.LSTM ? this.rnn.forward(x) : this.rnn.forward(x); // [batch, 50, hidden]
    const last = out.slice([0, STEPS - 1, 0], [-1, 1, -1]).reshape([-1, HIDDEN]); // h_49
    return this.fc.forward(last); // [batch, 4]
  }
}

/** Batches of the first-token task: one-hot tokens [batch, 50, 8], the first token as the target [batch]. */
function firstTokenBatches(count: number, seed: number): [tf.Tensor, tf.Tensor][] {
  torch.manualSeed(seed);
  return Array.from({ length: count }, () =>
    tf.tidy(() => {
      const first = torch.randint(0, CLASSES, [BATCH, 1]);
      const tokens = tf.concat([first, torch.randint(0, TOKENS, [BATCH, STEPS - 1])], 1).toInt();
      return [tf.keep(tf.oneHot(tokens, TOKENS).toFloat()), tf.keep(first.reshape([BATCH]).toFloat())] as [tf.Tensor, tf.Tensor];
    }),
  );
}

/** Training on the first-token task: `kind` "rnn" (plain tanh RNN) or "lstm" (with `forgetBias`, default 3). */
export function firstTokenExperiment({
  kind,
  epochs = 8,
  batchesPerEpoch = 16,
  lr = 0.2,
  forgetBias = 3,
}: {
  kind: Kind;
  epochs?: number;
  batchesPerEpoch?: number;
  lr?: number;
  forgetBias?: number;
}) {
  return defineExperiment({
    name: `first token of ${STEPS} (${kind === "rnn" ? "RNN" : "LSTM"})`,
    epochs,
    model: () => {
      torch.manualSeed(0);
      return new FirstToken(kind, kind === "lstm" ? forgetBias : undefined);
    },
    data: () => ({ train: firstTokenBatches(batchesPerEpoch, 1), test: firstTokenBatches(4, 2) }),
    loss: () => new nn.CrossEntropyLoss(),
    optimizer: (parameters) => new optim.Adam(parameters, { lr }),
    evaluate: (model, data) =>
      noGrad(() => {
        let right = 0;
        for (const [x, y] of data.test as [tf.Tensor, tf.Tensor][]) right += model.forward(x).argMax(-1).equal(y.toInt()).sum().dataSync()[0];
        return { accuracy: right / (4 * BATCH) }; // chance: 0.25
      }),
  });
}
