// tfTorch.cat, stack, argmax, max, item, transpose, t, flatten, softmax and logSoftmax against PyTorch 1.13's results
// and refusals (test/fixtures/functional/cases.json, from make_functional.py: `npm run fixtures`).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import { setupBackend } from "./helpers";

before(setupBackend);

type Value = number | string | null | boolean | Encoded | Value[];
interface Encoded {
  shape: number[];
  dtype: "float32" | "int64";
  values: (number | string)[];
}
interface Case {
  name: string;
  fn: keyof typeof FUNCTIONS;
  args: Value[];
  out: Value;
}
interface Refusal {
  name: string;
  fn: keyof typeof FUNCTIONS;
  args: Value[];
  message: string;
}

const FIXTURE = path.join(__dirname, "../../../test/fixtures/functional/cases.json");
const { cases, refusals } = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as { cases: Case[]; refusals: Refusal[] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arguments come from JSON fixtures, checked by PyTorch
const FUNCTIONS: Record<string, (...args: any[]) => unknown> = {
  cat: tfTorch.cat,
  stack: tfTorch.stack,
  argmax: tfTorch.argmax,
  max: tfTorch.max,
  item: tfTorch.item,
  transpose: tfTorch.transpose,
  t: tfTorch.t,
  flatten: tfTorch.flatten,
  softmax: tfTorch.softmax,
  logSoftmax: tfTorch.logSoftmax,
};

/** Largest difference allowed from PyTorch: the others move or pick values, so they must match exactly. */
const TOLERANCE: Record<string, number> = { softmax: 1e-6, logSoftmax: 1e-5 };

const number = (v: number | string): number => (typeof v === "number" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);
const isEncoded = (v: Value): v is Encoded => typeof v === "object" && v !== null && !Array.isArray(v);

/** The fixture's arguments as Unroll takes them: tensors (float32, as `tfTorch.tensor` makes them), lists, numbers,
 *  and PyTorch's None as undefined. */
function decode(v: Value): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (isEncoded(v)) return tf.tensor(v.values.map(number), v.shape, "float32");
  if (v === null) return undefined;
  return typeof v === "string" ? number(v) : v;
}

const same = (a: number, e: number, tolerance: number) => (Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= tolerance);

/** `actual` against PyTorch's `expected`: shapes exactly, values within `tolerance` (NaN where PyTorch has NaN),
 *  and PyTorch's int64 indices as int32. */
function check(actual: unknown, expected: Value, tolerance: number, what: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${what}: ${expected.length} results like PyTorch`);
    expected.forEach((e, i) => check((actual as unknown[])[i], e, tolerance, `${what}[${i}]`));
  } else if (isEncoded(expected)) {
    const t = actual as Tensor;
    assert.ok(t instanceof tf.Tensor, `${what}: a tensor`);
    assert.deepEqual(t.shape, expected.shape, `${what}: shape`);
    assert.equal(t.dtype, expected.dtype === "int64" ? "int32" : "float32", `${what}: dtype`);
    const values = Array.from(t.dataSync());
    expected.values.map(number).forEach((e, i) => assert.ok(same(values[i], e, tolerance), `${what}: value ${i} is ${values[i]}, PyTorch's ${e}`));
  } else {
    assert.equal(typeof actual, "number", `${what}: a number`);
    assert.ok(same(actual as number, number(expected as number), tolerance), `${what}: ${actual}, PyTorch's ${expected}`);
  }
}

describe("torch functions match PyTorch", () => {
  for (const c of cases) {
    test(c.name, () => {
      check(FUNCTIONS[c.fn](...(c.args.map(decode) as unknown[])), c.out, TOLERANCE[c.fn] ?? 0, c.name);
    });
  }

  test("max with a dim gives PyTorch's named tuple: [values, indices] and { values, indices }", () => {
    const x = tfTorch.tensor([
      [1, 5, 5],
      [7, 2, 3],
    ]);
    const result = tfTorch.max(x, 1);
    const [values, indices] = result;
    assert.equal(result.values, values);
    assert.equal(result.indices, indices);
    assert.deepEqual(Array.from(indices.dataSync()), [1, 0]);
  });

  test("softmax and logSoftmax along a non-last dim pass gradients", () => {
    const x = tfTorch.randn(3, 4);
    const w = tfTorch.randn(3, 4);
    for (const [name, f] of [
      ["softmax", tfTorch.softmax],
      ["logSoftmax", tfTorch.logSoftmax],
    ] as const) {
      // The gradient along dim 0 is the gradient along dim 1 of the transpose: tfjs's own last-axis kernels.
      const g0 = tf.grad((a: Tensor) => f(a, 0).mul(w).sum())(x);
      const g1 = tf.grad((a: Tensor) => f(a, 1).mul(w.transpose()).sum())(x.transpose());
      check(g0, { shape: [3, 4], dtype: "float32", values: Array.from(g1.transpose().dataSync()) }, 1e-6, `${name} along dim 0`);
    }
  });
});

describe("torch functions refuse what PyTorch refuses, in its words", () => {
  for (const r of refusals) {
    test(r.name, () => {
      assert.throws(() => FUNCTIONS[r.fn](...(r.args.map(decode) as unknown[])), { message: r.message });
    });
  }

  test("item of more than one element", () => {
    // PyTorch 2's wording (1.13's Python says "only one element tensors can be converted to Python scalars").
    assert.throws(() => tfTorch.item(tfTorch.zeros(2, 3)), { message: "a Tensor with 6 elements cannot be converted to Scalar" });
    assert.throws(() => tfTorch.item(tfTorch.zeros(0)), { message: "a Tensor with 0 elements cannot be converted to Scalar" });
  });

  test("a dim that is not a whole number", () => {
    assert.throws(() => tfTorch.argmax(tfTorch.zeros(2, 3), 1.5), { name: "TypeError", message: "argmax(): argument 'dim' must be a whole number, not 1.5" });
  });

  test("argmax of an empty tensor without a dim", () => {
    assert.throws(() => tfTorch.argmax(tfTorch.zeros(0)), { message: /^argmax\(\): Expected reduction dim to be specified for input\.numel\(\) == 0\./ });
  });
});
