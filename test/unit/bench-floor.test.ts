// bench/floor.ts: the GEMMs of a training step, as the native kernels run them, add up to the step's FLOPs
// counted independently (docs/engine-facts.md: case b LSTM ~11.5 GFLOP, c ~47), and a floor sums each GEMM's time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { floorOf, gemmFlops, stepGemms, type FloorCase } from "../../bench/floor";

const B_LSTM: FloorCase = {
  shape: [20, 256, 100],
  rnn: {
    gates: 4,
    layers: [
      [100, 100],
      [200, 100],
    ],
    directions: 2,
  },
  head: { rows: 256, classes: 18 },
};
const C_LSTM: FloorCase = { shape: [100, 64, 128], rnn: { gates: 4, layers: [[128, 512]], directions: 1 }, head: { rows: 64, classes: 10 } };
const HELLO: FloorCase = { shape: [5, 1, 4], rnn: { gates: 4, layers: [[4, 4]], directions: 1 } };

const total = (c: FloorCase) => stepGemms(c).reduce((sum, g) => sum + gemmFlops(g), 0);

/** Forward 2·T·B·(in + hidden)·gates·hidden per layer and direction; backward twice that, less layer 0's input
 *  gradient (2·T·B·gates·hidden·in: the input needs none); the head's three products. */
function counted({ shape: [T, B], rnn, head }: FloorCase): number {
  let flops = 0;
  rnn.layers.forEach(([input, hidden], l) => {
    const forward = 2 * T * B * (input + hidden) * rnn.gates * hidden * rnn.directions;
    flops += 3 * forward - (l === 0 ? 2 * T * B * rnn.gates * hidden * input * rnn.directions : 0);
  });
  const features = rnn.layers[rnn.layers.length - 1][1] * rnn.directions;
  return flops + (head ? 3 * 2 * head.rows * head.classes * features : 0);
}

test("the step's GEMMs add up to its FLOPs counted by formula", () => {
  for (const c of [B_LSTM, C_LSTM, HELLO]) assert.equal(total(c), counted(c));
  assert.ok(Math.abs(total(B_LSTM) / 1e9 - 11.5) < 0.1, `${total(B_LSTM) / 1e9}`);
  assert.ok(Math.abs(total(C_LSTM) / 1e9 - 47) < 0.1, `${total(C_LSTM) / 1e9}`);
});

test("per-step GEMMs run once per step and direction; the input gradient only above layer 0; no head without one", () => {
  const b = stepGemms(B_LSTM);
  const recurrent = b.filter((g) => g.what.includes("h·W_hhᵀ"));
  assert.deepEqual(
    recurrent.map((g) => [g.m, g.n, g.k, g.count]),
    [
      [256, 400, 100, 40],
      [256, 400, 100, 40],
    ],
  );
  assert.deepEqual(
    b.filter((g) => g.what.includes("input gradient")).map((g) => g.what),
    ["layer 1 dG·W_ih (input gradient) ×2 directions"],
  );
  assert.equal(stepGemms(HELLO).filter((g) => g.what.startsWith("head")).length, 0);
  assert.deepEqual(
    stepGemms(C_LSTM).find((g) => g.what.includes("dW_ih")),
    { what: "layer 0 dGᵀ·x (dW_ih)", m: 2048, n: 128, k: 6400, transA: true, count: 1 },
  );
});

test("a floor is each GEMM's best time times its count, summed; the faster thread count is kept", () => {
  // A stand-in timer: 1 µs per product on 1 thread, 0.6 µs on 2 for products of m ≥ 100, else 2 µs on 2.
  const calls: { threads: number; repeats: number }[] = [];
  const time = (call: { m: number; threads: number; repeats: number }) => {
    calls.push(call);
    return call.threads === 1 ? 1e-6 : call.m >= 100 ? 0.6e-6 : 2e-6;
  };
  const floor = floorOf(C_LSTM, time, 2);
  const expected = stepGemms(C_LSTM).reduce((sum, g) => sum + g.count * (g.m >= 100 ? 0.6e-3 : 1e-3), 0);
  assert.ok(Math.abs(floor.ms - expected) < 1e-9, `${floor.ms} vs ${expected}`);
  assert.deepEqual(
    floor.gemms.map((g) => g.threads),
    stepGemms(C_LSTM).map((g) => (g.m >= 100 ? 2 : 1)),
  );
  assert.ok(Math.abs(floor.gflop - total(C_LSTM) / 1e9) < 1e-9);
  assert.ok(calls.every((c) => c.repeats >= 1));
  assert.ok(calls.filter((c) => c.repeats >= 100).length > 0, "the per-step products repeat at least once per step");
});
