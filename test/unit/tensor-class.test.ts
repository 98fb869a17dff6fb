// The Tensor class against PyTorch 1.13 (test/fixtures/tensor/cases.json, from make_tensor.py): the printed text
// of a set of tensors, and every method's values and gradients (of sum(out * weight), through loss.backward()).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { inspect } from "node:util";
import { tf, torch } from "unroll";
import { Tensor } from "../../src/nn/tensor-class";
import * as T from "../../src/nn/tensor-factories";
import { fixed, scientific } from "../../src/nn/tensor-format";
import { setupBackend } from "./helpers";

before(setupBackend);

interface Encoded {
  shape: number[];
  dtype: "float32" | "int64" | "bool";
  values: (number | string | boolean)[];
}
type Arg = number | string | boolean | null | { tensor: Encoded } | { dtype: Encoded["dtype"] } | Arg[];
interface PrintCase {
  name: string;
  tensor?: Encoded;
  requiresGrad?: boolean;
  op?: string;
  input?: Encoded;
  text: string;
}
interface OpCase {
  name: string;
  method: string;
  self: Encoded;
  args: Arg[];
  out: Encoded | Encoded[] | number | boolean | unknown[];
  weights?: Encoded[];
  grads?: (Encoded | null)[];
}

const FIXTURE = path.join(__dirname, "../../../test/fixtures/tensor/cases.json");
interface RefusalCase {
  name: string;
  method: string;
  self: Encoded;
  args: Arg[];
  message: string;
}
interface CreationCase {
  name: string;
  fn: keyof typeof T;
  args: Arg[];
  out: Encoded;
  text: string;
}
const fixture = JSON.parse(fs.readFileSync(FIXTURE, "utf8")) as { printing: PrintCase[]; ops: OpCase[]; refusals: RefusalCase[]; creation: CreationCase[] };

const number = (v: number | string | boolean): number | boolean => (typeof v !== "string" ? v : v === "nan" ? NaN : v === "inf" ? Infinity : -Infinity);
const DTYPES = { float32: torch.float32, int64: torch.int64, bool: torch.bool };

function decode(e: Encoded): Tensor {
  return T.tensor(e.values.map(number) as number[], { dtype: DTYPES[e.dtype] }).view(e.shape);
}
const isTensorArg = (a: Arg): a is { tensor: Encoded } => typeof a === "object" && a !== null && "tensor" in a;
function decodeArg(a: Arg, made: Tensor[]): unknown {
  if (Array.isArray(a)) return a.map((x) => decodeArg(x, made));
  if (typeof a === "object" && a !== null && "dtype" in a) return { dtype: DTYPES[a.dtype] }; // options
  if (isTensorArg(a)) {
    const t = decode(a.tensor);
    made.push(t);
    return t;
  }
  return a;
}

function assertClose(actual: Tensor, expected: Encoded, tolerance: number, what: string): void {
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const got = Array.from(actual.tf.dataSync() as ArrayLike<number>);
  expected.values.map(number).forEach((want, i) => {
    const value = expected.dtype === "bool" ? got[i] !== 0 : got[i];
    if (typeof want === "boolean" || tolerance === 0 || !Number.isFinite(want)) assert.deepEqual(value, want, `${what}[${i}]`);
    else assert.ok(Math.abs((value as number) - want) <= tolerance * Math.max(1, Math.abs(want)), `${what}[${i}]: ${value} vs ${want}`);
  });
}

/** Ops whose results are computed, not moved: a float32 rounding's difference is allowed. */
const COMPUTED = /exp|log|sqrt|tanh|sigmoid|softmax|Softmax|pow|div|matmul|std|var|mean|sum/;

const GRAD_FN_OPS: Record<string, (x: Tensor) => Tensor> = {
  tanh: (x) => x.tanh(),
  add: (x) => x.add(1),
  sum: (x) => x.sum(),
  mean: (x) => x.mean(),
  view: (x) => x.view(-1),
  unsqueeze: (x) => x.unsqueeze(0),
};

describe("printing as PyTorch prints", () => {
  for (const c of fixture.printing) {
    test(c.name, () => {
      let t: Tensor;
      if (c.op) t = GRAD_FN_OPS[c.op](decode(c.input!).requiresGrad_());
      else {
        t = decode(c.tensor!);
        if (c.requiresGrad) t.requiresGrad_();
      }
      assert.equal(String(t), c.text);
      assert.equal(`${t}`, c.text);
      assert.equal(inspect(t), c.text);
    });
  }

  test("numbers are rounded as Python rounds them, ties to even", () => {
    assert.equal(fixed(0.03125, 4), "0.0312");
    assert.equal(fixed(-0.15625, 4), "-0.1562");
    assert.equal(fixed(2.5, 0), "2");
    assert.equal(fixed(-0, 4), "-0.0000");
    assert.equal(scientific(1.03125, 4), "1.0312e+00");
    assert.equal(scientific(9.99995e-7, 4), "1.0000e-06");
    assert.equal(scientific(123456, 4), "1.2346e+05");
  });

  test("sizes and dtypes print as PyTorch's", () => {
    const x = T.zeros(5, 1, 4);
    assert.equal(String(x.shape), "torch.Size([5, 1, 4])");
    assert.equal(inspect(x.size()), "torch.Size([5, 1, 4])");
    assert.equal(x.size(-1), 4);
    const [a, b, c] = x.shape;
    assert.deepEqual([a, b, c], [5, 1, 4]);
    assert.equal(String(T.tensor(3).dtype), "torch.int64");
    assert.equal(inspect(torch.float32), "torch.float32");
  });
});

describe("methods against PyTorch", () => {
  for (const c of fixture.ops) {
    test(c.name, () => {
      const self = decode(c.self);
      const made: Tensor[] = [];
      const args = c.args.map((a) => decodeArg(a, made));
      const inputs = [self, ...made];
      if (c.grads) inputs.forEach((t) => t.dtype === torch.float32 && t.requiresGrad_());
      const out = call(self, c.method, args);
      const tolerance = COMPUTED.test(c.method) ? 2e-6 : 0;
      if (PLAIN_VALUES.has(c.method)) {
        assert.deepEqual(Array.isArray(out) ? [...(out as number[])] : out, c.out); // a torch.Size as its list
        return;
      }
      const outs = Array.isArray(out) ? (out as Tensor[]) : [out as Tensor];
      const expected = Array.isArray(c.out) ? (c.out as Encoded[]) : [c.out as Encoded];
      assert.equal(outs.length, expected.length, "number of results");
      outs.forEach((o, i) => assertClose(o, expected[i], tolerance, `result ${i}`));
      if (!c.grads) return;
      const differentiated = c.method === "max" || c.method === "min" ? [outs[0]] : outs;
      const weights = c.weights!.map(decode);
      let loss = differentiated[0].mul(weights[0]).sum();
      for (let i = 1; i < weights.length; i++) loss = loss.add(differentiated[i].mul(weights[i]).sum());
      loss.backward();
      c.grads.forEach((g, i) => {
        if (g) assertClose(inputs[i].grad!, g, Math.max(tolerance, 1e-6), `grad of input ${i}`);
        else assert.equal(inputs[i].grad, null, `input ${i} has no grad`);
      });
    });
  }
});

/** Methods that give numbers or lists, not tensors. */
const PLAIN_VALUES = new Set(["item", "tolist", "size", "dim", "numel"]);

describe("calls PyTorch refuses are refused with PyTorch's message", () => {
  for (const c of fixture.refusals) {
    test(c.name, () => {
      const self = decode(c.self);
      const args = c.args.map((a) => decodeArg(a, []));
      assert.throws(
        () => call(self, c.method, args),
        (e: Error) => {
          assert.equal(e.message, c.message);
          return true;
        },
      );
    });
  }
});

/** `x.method(...args)`, and the torch functions of the fixture (cat, stack, list(x)); `to` takes a dtype's name. */
function call(x: Tensor, method: string, args: unknown[]): unknown {
  if (method === "iter") return [...x];
  if (method === "to") return x.to(DTYPES[args[0] as keyof typeof DTYPES]);
  if (method === "cat") return T.cat([x, ...(args[0] as Tensor[])], args[1] as number);
  if (method === "stack") return T.stack([x, ...(args[0] as Tensor[])], args[1] as number);
  const fn = (x as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
  assert.equal(typeof fn, "function", `Tensor has ${method}`);
  return fn.apply(x, args);
}

describe("creation and dtypes", () => {
  for (const c of fixture.creation) {
    test(`${c.name}: PyTorch's values, dtype and printing`, () => {
      const make = T[c.fn] as (...a: unknown[]) => Tensor;
      const out = make(...c.args.map((a) => (a === null ? undefined : decodeArg(a, [])))); // None: the default
      assertClose(out, c.out, 0, c.fn);
      assert.equal(String(out), c.text);
    });
  }

  test("integers give a long, any fraction a float, booleans a bool; long + float is float", () => {
    assert.equal(T.tensor([1, 2, 3]).dtype, torch.int64);
    assert.equal(T.tensor([1, 2.5]).dtype, torch.float32);
    assert.equal(T.tensor([true, false]).dtype, torch.bool);
    assert.equal(T.tensor(0).dtype, torch.int64);
    let loss = T.tensor(0);
    loss = loss.add(T.tensor([0.25, 0.5]).sum());
    assert.equal(String(loss), "tensor(0.7500)");
    assert.equal(T.arange(3).dtype, torch.int64);
    assert.equal(T.arange(0, 1, 0.5).dtype, torch.float32);
    assert.equal(T.full([2], 7).dtype, torch.int64);
    assert.equal(T.randint(0, 10, [4]).dtype, torch.int64);
    assert.equal(String(T.eye(2)), "tensor([[1., 0.],\n        [0., 1.]])");
    assert.equal(T.zerosLike(T.tensor([1, 2])).dtype, torch.int64);
    assert.equal(String(T.zeros(2, { dtype: torch.long })), "tensor([0, 0])");
  });

  test("malformed data is refused as PyTorch refuses it", () => {
    assert.throws(() => T.tensor([[1, 2], [3]]), /expected sequence of length 2 at dim 1 \(got 1\)/);
    assert.throws(() => T.tensor(["a"] as never), /Could not infer dtype of string/);
    assert.throws(() => T.tensor([1, 2], { requiresGrad: true }), /only Tensors of floating point dtype can require gradients/);
    assert.throws(() => T.tensor([1, 2, 3, 4, 5, 6]).view(4, -1), /shape '\[4, -1\]' is invalid for input of size 6/);
    assert.throws(() => T.tensor([1, 2]).view(-1, -1), /only one dimension can be inferred/);
    assert.throws(() => T.zeros(3, 4).at(3), /index 3 is out of bounds for dimension 0 with size 3/);
    assert.throws(() => T.zeros(3).at(0, 0), /too many indices for tensor of dimension 1/);
    assert.throws(() => T.zeros(3).at("1:x"), /is not an index/);
    assert.throws(() => T.zeros(2, 3).item(), /^RangeError: only one element tensors can be converted to Python scalars$/);
    assert.throws(() => T.tensor([1, 2]).mean(), /Got: Long/);
    assert.throws(() => [...T.tensor(1)], /iteration over a 0-d tensor/);
    assert.throws(() => T.zeros(2, 3).matmul(T.zeros(2, 3)), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
  });

  test("one call each way between Tensor and TensorFlow.js", () => {
    const x = tf.tensor([1.5, 2]);
    const t = torch.fromTf(x);
    assert.ok(t instanceof torch.Tensor);
    assert.equal(t.tf, x);
    assert.equal(t.toTf(), x);
    assert.equal(String(new torch.Tensor([1, 2])), "tensor([1., 2.])");
    assert.equal(String(T.tensor([[1, 2, 3]]).at(0, torch.slice(1))), "tensor([2, 3])");
  });
});

describe("autograd as PyTorch", () => {
  test("gradients accumulate until cleared, and a freed graph refuses a second backward", () => {
    const w = T.tensor([1.0, 2.0, 3.0], { dtype: torch.float32, requiresGrad: true });
    const loss = w.mul(w).sum();
    assert.equal(loss.gradFn?.name, "SumBackward0");
    loss.backward();
    assert.deepEqual(w.grad!.tolist(), [2, 4, 6]);
    assert.throws(() => loss.backward(), /Trying to backward through the graph a second time/);
    w.mul(3).sum().backward();
    assert.deepEqual(w.grad!.tolist(), [5, 7, 9]);
    w.grad = null;
    assert.equal(w.grad, null);
  });

  test("retainGraph, a gradient for a non-scalar, detach and noGrad", () => {
    const x = T.tensor([1.0, -2.0], { dtype: torch.float32, requiresGrad: true });
    const y = x.mul(2);
    y.backward(T.tensor([1.0, 0.5]), { retainGraph: true });
    y.backward(T.tensor([1.0, 0.5]));
    assert.deepEqual(x.grad!.tolist(), [4, 2]);
    assert.throws(() => y.backward(), /grad can be implicitly created only for scalar outputs/);
    assert.equal(x.detach().requiresGrad, false);
    assert.throws(() => T.tensor([1.0, 2.5]).sum().backward(), /does not require grad and does not have a grad_fn/);
    assert.equal(x.mul(2).requiresGrad, true);
    const inside = torch.noGrad(() => x.mul(2));
    assert.equal(inside.requiresGrad, false);
    assert.deepEqual(inside.tolist(), [2, -4]);
    assert.equal(x.argmax().requiresGrad, false);
  });

  test("the tfjs closure form still works beside the graph", () => {
    const x = T.tensor([1.0, 2.0], { dtype: torch.float32, requiresGrad: true });
    const { value, grads } = tf.engine().gradients(() => x.tf.square().sum() as tf.Scalar, [x.tf]);
    assert.equal(value.dataSync()[0], 5);
    assert.deepEqual(Array.from(grads[0].dataSync()), [2, 4]);
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.tolist(), [2, 4]);
  });
});
