// Unroll's own wasm kernels (src/nn/wasm-kernels.ts) against the backend's, on what they replace.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, useBackend } from "unroll";
type Tensor = tf.Tensor;
import { setupBackend } from "./helpers";

before(setupBackend);

test("GatherV2 of whole rows: the rows asked for, in any order and repeated, of any rank and dtype", () => {
  const x = tf.tensor3d(
    Array.from({ length: 24 }, (_, i) => i),
    [4, 3, 2],
  );
  assert.deepEqual(tf.gather(x, [3, 0, 3]).arraySync(), [x.arraySync()[3], x.arraySync()[0], x.arraySync()[3]]);
  assert.deepEqual(tf.gather(x, tf.tensor2d([2, 1, 0, 2], [2, 2], "int32")).shape, [2, 2, 3, 2]);
  assert.deepEqual(tf.gather(tf.tensor1d([5, 6, 7], "int32"), [2, 2]).arraySync(), [7, 7]);
  assert.deepEqual(tf.gather(x, tf.tensor1d([], "int32")).shape, [0, 3, 2]);
  // Along another axis, the backend's kernel: the same answer as on the cpu backend.
  assert.deepEqual(
    tf.gather(x, [1, 0], 1).arraySync(),
    tf.tidy(() => tf.transpose(tf.gather(tf.transpose(x, [1, 0, 2]), [1, 0]), [1, 0, 2]).arraySync()),
  );
  assert.throws(() => tf.gather(x, [4]), /GatherV2: the index value 4 is not in \[0, 3\]/);
  assert.throws(() => tf.gather(x, [-1]), /GatherV2: the index value -1 is not in \[0, 3\]/);
});

test("CrossEntropyLoss on the wasm heap agrees with its tfjs ops (the cpu backend): every reduction, ignored targets", async () => {
  const logits = [
    [2, -1, 0.5],
    [0.1, 0.2, 0.3],
    [-3, 4, 1],
    [1, 1, 1],
  ];
  const targets = [2, -100, 1, 0];
  const run = () =>
    (["mean", "sum", "none"] as const).map((reduction) => {
      const criterion = new nn.CrossEntropyLoss({ reduction, ignoreIndex: -100 });
      const x = tf.tensor2d(logits);
      const [loss, [grad]] = [
        criterion.forward(x, tf.tensor1d(targets)),
        tf.grads((z: Tensor) => criterion.forward(z, tf.tensor1d(targets)).mul(tf.scalar(1.5)).sum())([x]),
      ];
      return [Array.from(loss.dataSync()), Array.from(grad.dataSync())];
    });
  const onHeap = run();
  await useBackend("cpu", { native: false });
  try {
    const inOps = run();
    onHeap.flat(2).forEach((v, i) => assert.ok(Math.abs(v - inOps.flat(2)[i]) <= 1e-5, `value ${i}: ${v} vs ${inOps.flat(2)[i]}`));
    assert.equal(onHeap[2][0][1], 0, "an ignored row's loss is 0");
  } finally {
    await setupBackend();
  }
});
