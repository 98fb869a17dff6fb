// No tensor leaks in a training loop: the number of live tensors after step 10 (when every optimizer buffer
// and gradient exists) is the number after the last step.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, optim, backward, collectIfGrown, collectNow, torch } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "../../src/nn/tf-torch";
import { setupBackend } from "./helpers";

before(setupBackend);

/** Runs `steps` training steps and returns the live tensor count after step 10 and after the last, and the losses. */
function train(model: nn.Module, loss: () => Tensor, steps: number) {
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const losses: number[] = [];
  let atTen = -1;
  for (let step = 1; step <= steps; step++) {
    optimizer.zeroGrad();
    losses.push(backward(loss));
    optimizer.step();
    if (step === 10) atTen = tf.memory().numTensors;
  }
  return { atTen, atEnd: tf.memory().numTensors, losses, optimizer };
}

describe("live tensors stay flat", () => {
  test("LSTM + Linear, CrossEntropyLoss, Adam: 200 steps", () => {
    tfTorch.manualSeed(1);
    const lstm = new nn.LSTM(8, 16);
    const fc = new nn.Linear(16, 4);
    const model = new nn.Sequential(lstm, fc);
    const criterion = new nn.CrossEntropyLoss();
    const x = tfTorch.randn([5, 4, 8]);
    const y = tfTorch.randint(0, 4, [20]);
    const initial = tf.memory().numTensors;
    const { atTen, atEnd, losses, optimizer } = train(
      model,
      () => {
        const [out] = lstm.forward(x);
        return criterion.forward(fc.forward(out).reshape([20, 4]), y);
      },
      200,
    );
    assert.equal(atEnd, atTen, `live tensors: ${atTen} after step 10, ${atEnd} after step 200`);
    // What stays alive is the gradients and Adam's two averages: 3 tensors per parameter.
    assert.equal(atEnd - initial, 3 * model.parameters().length);
    assert.ok(losses[199] < losses[0] * 0.5, `the model learns: ${losses[0]} → ${losses[199]}`);
    optimizer.zeroGrad();
    optimizer.dispose();
    assert.equal(tf.memory().numTensors, initial, "zeroGrad and dispose free what training kept");
  });

  test("packed bidirectional GRU: 50 steps", () => {
    tfTorch.manualSeed(2);
    const gru = new nn.GRU(8, 16, { bidirectional: true });
    const fc = new nn.Linear(32, 3);
    const model = new nn.Sequential(gru, fc);
    const criterion = new nn.CrossEntropyLoss();
    const x = tfTorch.randn([5, 4, 8]);
    const lengths = [3, 5, 2, 4];
    const y = tfTorch.tensor([0, 2, 1, 2]);
    const { atTen, atEnd, losses } = train(
      model,
      () => {
        const packed = nn.utils.rnn.packPaddedSequence(x, lengths, { enforceSorted: false });
        const [out, hn] = gru.forward(packed);
        const [padded] = nn.utils.rnn.padPackedSequence(out);
        // Both directions' final states, plus a term through the packed output so that it is differentiated too.
        const features = tf.concat([hn.slice([0, 0, 0], [1, 4, 16]), hn.slice([1, 0, 0], [1, 4, 16])], 2).squeeze([0]);
        return criterion.forward(fc.forward(features), y).add(padded.mean().mul(0.01));
      },
      50,
    );
    assert.equal(atEnd, atTen, `live tensors: ${atTen} after step 10, ${atEnd} after step 50`);
    assert.ok(losses[49] < losses[0], `the model learns: ${losses[0]} → ${losses[49]}`);
  });
});

test("collectIfGrown: a gc only when more tensors live than after the last collection, and then they are freed", () => {
  const kept = torch.randn([4, 4]);
  assert.ok(collectNow(), "this V8 can collect");
  const after = tf.memory().numTensors;
  assert.equal(collectIfGrown(), false, "nothing new: no gc");
  for (let i = 0; i < 10; i++) kept.tanh().mul(2); // unreachable Tensors, as a PyTorch-style step leaves them
  assert.ok(tf.memory().numTensors > after);
  assert.equal(collectIfGrown(), true);
  assert.equal(tf.memory().numTensors, after, "what they held is freed");
  assert.equal(collectIfGrown(), false);
  assert.deepEqual([...kept.shape], [4, 4]); // kept stays reachable to here
});
