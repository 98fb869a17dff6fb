// The gate layout (src/common/gate-layout.ts): PyTorch's facts, and the parts that follow it agreeing with each
// other: the library's weights, the checkpoint viewer's reader of names and shapes, and the training snapshots.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { nn } from "unroll";
import { GATE_NAMES, GATES, kindOfGateCount } from "../../src/common/gate-layout";
import { stepMask } from "../../src/nn/recurrence";
import { recurrentRoles } from "../../src/runs/recurrent-weights";
import { snapshotParameters } from "../../src/runner/snapshot";
import { setupBackend } from "./helpers";

before(setupBackend);

test("the layout is PyTorch's: LSTM i f g o, GRU r z n, a plain RNN one unnamed block", () => {
  assert.deepEqual(GATES, { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 });
  assert.deepEqual(GATE_NAMES, { RNN: [], LSTM: ["i", "f", "g", "o"], GRU: ["r", "z", "n"] });
  assert.deepEqual([1, 3, 4].map(kindOfGateCount), ["RNN", "GRU", "LSTM"]);
  for (const count of [0, 2, 5, 1.5, NaN, -4]) assert.equal(kindOfGateCount(count), undefined, String(count));
});

test("the library's weights, the checkpoint reader and the snapshots agree on every kind's gates", () => {
  const cases: [nn.Module, "RNN" | "LSTM" | "GRU", number][] = [
    [new nn.RNN(3, 5, { numLayers: 2 }), "RNN", 1],
    [new nn.LSTM(3, 5, { bidirectional: true }), "LSTM", 4],
    [new nn.GRU(3, 5), "GRU", 3],
    [new nn.LSTMCell(3, 5), "LSTM", 4],
  ];
  for (const [model, kind, count] of cases) {
    const named = model.namedParameters();
    const roles = recurrentRoles(named.map(([name, p]) => ({ name, shape: p.shape })));
    const snapshots = new Map(snapshotParameters(model).map((s) => [s.name, s]));
    for (const [name, p] of named) {
      assert.equal(p.shape[0], count * 5, `${kind} ${name}: rows`);
      const role = roles.get(name);
      assert.ok(role, `${kind} ${name}: a recurrent role`);
      assert.equal(role.kind.replace(/Cell$/, ""), kind, name);
      const expected = { RNN: undefined, LSTM: ["i", "f", "g", "o"], GRU: ["r", "z", "n"] }[kind];
      assert.deepEqual(role.gates, expected, `${kind} ${name}: the reader's gates`);
      assert.deepEqual(snapshots.get(name)?.gates, expected, `${kind} ${name}: the snapshot's gates`);
    }
  }
});

test("a packed batch's step mask is 1 within each sample's length, 0 after", () => {
  const mask = stepMask([3, 1, 2], 3);
  assert.deepEqual(mask.shape, [3, 3, 1]);
  assert.deepEqual(Array.from(mask.dataSync()), [1, 1, 1, 1, 0, 1, 1, 0, 0]);
  assert.deepEqual(stepMask([], 4).shape, [4, 0, 1]);
});
