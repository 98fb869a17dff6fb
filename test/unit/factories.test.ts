// Tensor factories called PyTorch's two ways, `torch.randn(6, 5, 100)` and `torch.randn([6, 5, 100])`, and the
// sizes PyTorch refuses.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { torch, manualSeed, type Tensor } from "unroll";
import { setupBackend } from "./helpers";

before(setupBackend);

describe("tensor factories take a size PyTorch's two ways", () => {
  for (const name of ["randn", "rand", "zeros", "ones"] as const) {
    test(`${name}(6, 5, 100) is ${name}([6, 5, 100])`, () => {
      manualSeed(7);
      const spread = torch[name](6, 5, 100);
      manualSeed(7);
      const array = torch[name]([6, 5, 100]);
      assert.deepEqual([...spread.shape], [6, 5, 100]);
      assert.deepEqual(spread.tf.dataSync(), array.tf.dataSync());
      assert.deepEqual([...torch[name]([]).shape], [], "an empty size is a scalar, as in PyTorch");
      assert.deepEqual([...torch[name](0, 3).shape], [0, 3]);
    });
  }

  test("randint(low, high, size), randint(high, size) and full(size, value)", () => {
    manualSeed(3);
    const values = torch.randint(5, 9, [3, 4]);
    assert.deepEqual([...values.shape], [3, 4]);
    assert.equal(values.dtype, torch.long, "randint gives longs, as in PyTorch");
    assert.ok(Array.from(values.tf.dataSync()).every((v) => Number.isInteger(v) && v >= 5 && v < 9));
    manualSeed(3);
    const low = torch.randint(0, 4, [3, 4]);
    manualSeed(3);
    assert.deepEqual(torch.randint(4, [3, 4]).tf.dataSync(), low.tf.dataSync(), "randint(high, size) is randint(0, high, size)");
    assert.deepEqual(torch.full([2, 3], 7).tolist(), [
      [7, 7, 7],
      [7, 7, 7],
    ]);
  });

  test("sizes PyTorch refuses", () => {
    assert.throws(() => torch.randn(2, -1), { name: "RangeError", message: "Trying to create tensor with negative dimension -1: [2, -1]" });
    assert.throws(() => torch.zeros([-3]), { message: "Trying to create tensor with negative dimension -3: [-3]" });
    assert.throws(() => torch.ones(2, 2.5), { name: "TypeError", message: "ones(): argument 'size' must be whole numbers, but found 2.5 at pos 2" });
    assert.throws(() => torch.rand(NaN), { message: "rand(): argument 'size' must be whole numbers, but found NaN at pos 1" });
    assert.throws(() => torch.full([2, 0.5], 1), { message: "full(): argument 'size' must be whole numbers, but found 0.5 at pos 2" });
    assert.throws(() => torch.randint(0, 10, [-2]), { message: "Trying to create tensor with negative dimension -2: [-2]" });
    assert.throws(() => torch.randint(5, 5, [2]), { message: "random_ expects 'from' to be less than 'to', but got from=5 >= to=5" });
    // Not PyTorch's forms: no size, a mix of numbers and an array, a size that is not an array.
    const mix = "randn() takes its size as numbers, randn(2, 3), or as one array, randn([2, 3])";
    assert.throws(() => torch.randn(), { name: "TypeError", message: mix });
    assert.throws(() => (torch.randn as (...a: unknown[]) => Tensor)([2], 3), { message: mix });
    assert.throws(() => (torch.full as (...a: unknown[]) => Tensor)(2, 7), {
      message: "full(): argument 'size' must be an array of whole numbers, like [2, 3], not 2",
    });
  });
});
