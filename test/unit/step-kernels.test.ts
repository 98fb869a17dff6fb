// What a small model's training step costs in kernels: on a model the size of the "hello" lesson, each tfjs
// kernel's fixed overhead (dispatch, tape, a saved copy) is the step's time, so the kernels that run are part of
// the behaviour (npm run bench -- --profile prints them; its timings are in bench/, not here).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, optim, torch, backward, type Tensor } from "unroll";
import { requireNativeKernels } from "./helpers";

class Hello extends nn.Module {
  rnn: nn.RNN | nn.LSTM;
  constructor(Kind: typeof nn.RNN | typeof nn.LSTM) {
    super();
    this.rnn = new Kind(4, 4);
  }
  override forward(x: Tensor): Tensor {
    const [out] = (this.rnn as nn.RNN).forward(x);
    return out.reshape([-1, 4]);
  }
}

/** The kernels of one training step (zeroGrad, forward, cross-entropy, backward, Adam), in order, and the loss. */
async function stepKernels(Kind: typeof nn.RNN | typeof nn.LSTM): Promise<{ kernels: string[]; losses: number[] }> {
  torch.manualSeed(0);
  const model = new Hello(Kind);
  const x = torch.randn([5, 1, 4]);
  const y = tf.tensor1d([1, 0, 2, 3, 3], "int32");
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.1 });
  const losses: number[] = [];
  const step = () => {
    optimizer.zeroGrad();
    losses.push(backward(() => criterion.forward(model.forward(x), y)));
    optimizer.step();
  };
  step();
  const profile = await tf.profile(step);
  step();
  return { kernels: profile.kernels.map((k) => k.name), losses };
}

describe("a hello-sized training step on the native kernels", () => {
  const unavailable = requireNativeKernels();

  test("RNN: the recurrent op and the loss op, each one kernel; around them only the model's reshape, h_n's stack and saved copies", async (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const { kernels, losses } = await stepKernels(nn.RNN);
    // Identity: copies saved for the backward pass (x and what the forward keeps; h_n's, the reshape's input);
    // the two custom ops appear under their scope's name: the recurrent op's "forward", the loss's "NllLoss" (which
    // names its node as PyTorch does, NllLossBackward0); the last Reshape is the reshape's gradient.
    assert.deepEqual(kernels, ["Identity", "Identity", "forward", "Identity", "Pack", "Identity", "Reshape", "NllLoss", "Reshape"]);
    assert.ok(losses[2] < losses[0], `the loss falls: ${losses}`);
  });

  test("LSTM: the same, with c_n stacked too", async (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const { kernels, losses } = await stepKernels(nn.LSTM);
    assert.equal(kernels.length, 11, kernels.join(" "));
    assert.equal(kernels.filter((k) => !["Identity", "forward", "Pack", "Reshape", "NllLoss"].includes(k)).length, 0, kernels.join(" "));
    assert.ok(losses[2] < losses[0], `the loss falls: ${losses}`);
  });
});
