// The fused optimizer step of the native kernels (native/optimizer.cc): what it must never do to tensors
// around it, and how it refuses bad arguments. Its numbers are checked against PyTorch in parity.test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, optim } from "unroll";
type Tensor = tf.Tensor;
import { fusedOptimizerSteps } from "../../src/nn/optim";
import { nativeKernels } from "../../src/nn/native";
import { requireNativeKernels, tfOf, type AnyTensor } from "./helpers";

const values = (t: AnyTensor) => Array.from(tfOf(t).dataSync());

describe("the fused native optimizer step", () => {
  const unavailable = requireNativeKernels();

  test("a tensor sharing a parameter's first value keeps it; the parameter's new value reaches a cached matMul", (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const initial = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const p = nn.parameter(initial); // shares initial's data
    const x = tf.tensor2d([[1, 1]]);
    assert.deepEqual(values(tf.matMul(x, p.tf)), [4, 6]); // the wasm backend packs p's data for this matMul, by tensor id
    const sgd = new optim.SGD([p], { lr: 1 });
    const before = fusedOptimizerSteps();
    p.tf.grad = tf.ones([2, 2]);
    sgd.step();
    assert.equal(fusedOptimizerSteps(), before + 1);
    assert.deepEqual(values(p), [0, 1, 2, 3]);
    assert.deepEqual(values(initial), [1, 2, 3, 4]);
    assert.deepEqual(values(tf.matMul(x, p.tf)), [2, 4]);
  });

  test("state made inside tf.tidy survives it; a parameter without a gradient is left alone", (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const [a, b] = [nn.parameter(tf.tensor1d([1, 2])), nn.parameter(tf.tensor1d([5]))];
    const adam = new optim.Adam([a, b], { lr: 0.1 });
    for (let k = 0; k < 3; k++) {
      a.tf.grad = tf.tensor1d([1, -1]);
      tf.tidy(() => adam.step());
    }
    // Adam moves each coordinate by about lr per step against its gradient's sign.
    assert.deepEqual(
      values(a).map((v) => Number(v.toFixed(4))),
      [0.7, 2.3],
    );
    assert.deepEqual(values(b), [5]);
  });

  test("refuses arguments of the wrong kind or size, before changing anything", (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const addon = nativeKernels()!;
    const p = new Float32Array([1, 2, 3]);
    const out = new Float32Array(3);
    const sgd = { kind: 0, lr: 1 };
    assert.throws(
      () => addon.optimizerStep({ ...sgd, params: [p], grads: [new Float32Array(2)], out: [out], states: [[]], fresh: [true] }),
      /grads\[0\]: 2 floats, expected params\[0\]'s length = 3/,
    );
    assert.throws(
      () => addon.optimizerStep({ ...sgd, params: [p], grads: [[1, 2, 3] as unknown as Float32Array], out: [out], states: [[]], fresh: [true] }),
      /grads\[0\]: expected a Float32Array/,
    );
    assert.throws(
      () => addon.optimizerStep({ ...sgd, momentum: 0.9, params: [p], grads: [p], out: [out], states: [[]], fresh: [true] }),
      /states\[0\]: expected 1 state buffers/,
    );
    assert.throws(() => addon.optimizerStep({ ...sgd, params: [p, p], grads: [p], out: [out], states: [[]], fresh: [true] }), /grads: 1 elements, expected 2/);
    assert.throws(
      () => addon.optimizerStep({ kind: 7, lr: 1, params: [p], grads: [p], out: [out], states: [[]], fresh: [true] }),
      /kind: expected a whole number from 0 to 2, got 7/,
    );
    assert.throws(
      () => addon.optimizerStep({ ...sgd, params: [p, p], grads: [p, new Float32Array(1)], out: [out, out], states: [[], []], fresh: [true, true] }),
      /grads\[1\]/,
    );
    assert.deepEqual(Array.from(out), [0, 0, 0], "nothing written");
  });
});
