// How values are written in error messages (show() in src/nn/options.ts, the runner's showValue): NaN, infinities,
// -0 and big integers as themselves, never as JSON's `null` or String's `0`; long, wide and deep values cut short,
// a 100,000-deep array included. And an experiment's `epochs` refused with its value shown that way.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { nn, optim, showValue, torch } from "unroll";
import { findExperiment, RunFailure } from "../../src/runner/experiment";
import { setupBackend } from "./helpers";

before(setupBackend);

const nested = (depth: number): unknown => {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const nestedObject = (depth: number): unknown => {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

/** Values that are no positive integer, as messages show them. */
const REFUSED: [unknown, string][] = [
  [NaN, "NaN"],
  [Infinity, "Infinity"],
  [-Infinity, "-Infinity"],
  [-0, "-0"],
  [0, "0"],
  [-1.5, "-1.5"],
  [-3, "-3"],
  [2.5, "2.5"],
  [10n, "10n"],
  [[NaN, -0, Infinity], "[NaN, -0, Infinity]"],
  [null, "null"],
  [true, "true"],
  ["10", "'10'"],
  [nested(100_000), "an array of 1: an array of 1: an array of 1: […]"],
  [{ n: 10 }, "an object { n }"],
];

describe("show", () => {
  test("numbers as JavaScript writes them, -0 and bigints included", () => {
    for (const [value, shown] of [...REFUSED, [undefined, "undefined"] as const]) assert.equal(showValue(value), shown);
  });

  test("long strings, long arrays and wide objects are cut short", () => {
    assert.equal(showValue("x".repeat(1_000_000)), `'${"x".repeat(80)}…'`);
    assert.equal(showValue(Array.from({ length: 100_000 }, (_, i) => i)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … 99990 more]");
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    assert.equal(showValue(wide), "an object { k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, … 990 more }");
  });

  test("deeply nested arrays and objects: no stack overflow, nesting past 3 levels as […]", () => {
    assert.equal(showValue(nested(100_000)), "an array of 1: an array of 1: an array of 1: […]");
    assert.equal(showValue([[[1]]]), "an array of 1: an array of 1: [1]");
    assert.equal(showValue(nestedObject(100_000)), "an object { a }");
    assert.equal(showValue([{ a: 1 }, torch.zeros([2, 3])]), "an array of 2: an object { a }, a tensor of shape [2, 3]");
  });

  test("option errors show NaN, -0 and infinities as they are", () => {
    assert.throws(() => new nn.LSTM(4, NaN), /^OptionError: LSTM: hidden_size must be a positive integer, got NaN$/);
    assert.throws(() => new nn.GRU(-0, 3), /^OptionError: GRU: input_size must be a positive integer, got -0$/);
    assert.throws(() => new nn.RNN(4, 3, { dropout: -Infinity }), /got -Infinity$/);
    const [p] = new nn.Linear(2, 2).parameters();
    assert.throws(() => new optim.Adam([p], { lr: NaN }), /Invalid learning rate: NaN$/);
  });
});

describe("an experiment's epochs", () => {
  const f = () => undefined;
  const refusal = (epochs: unknown) => {
    try {
      findExperiment({ default: { epochs, model: f, data: f, loss: f, optimizer: f } }, "/循环 网络(1) 🧪.ts");
    } catch (e) {
      assert.ok(e instanceof RunFailure, String(e));
      assert.equal(e.error.kind, "export");
      return e.error.message;
    }
    assert.fail(`epochs ${typeof epochs} was accepted`);
  };

  test("anything but a positive integer is refused with its value as written, never `null`", () => {
    for (const [epochs, shown] of REFUSED) assert.equal(refusal(epochs), `epochs must be a positive integer, got ${shown}`);
  });

  test("a positive integer is taken", () => {
    const f = () => undefined;
    assert.equal(findExperiment({ default: { epochs: 3, model: f, data: f, loss: f, optimizer: f } }, "/x.ts").epochs, 3);
  });
});
