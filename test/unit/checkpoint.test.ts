// The checkpoint viewer's host side: recurrent weights recognised from PyTorch names and shapes, a PyTorch-written
// LSTM checkpoint (F32, F16, BF16) summarised as torch computes it, hostile files refused without a throw, and a
// tensor too large to read whole sampled in bounded reads.
import { test } from "node:test";
import { safetensorsBytes } from "./safetensors-bytes";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { recurrentRoles } from "../../src/runs/recurrent-weights";
import { MAX_TENSOR_READ, readCheckpoint, readPlan, summarizeTensor } from "../../src/runs/safetensors-file";
import { checkpointModules, tensorNote } from "../../webview/checkpoint-logic";

const FIXTURES = path.join(__dirname, "../../../test/fixtures/checkpoint");

const lstmNames = (prefix: string, input: number, hidden: number, layers: number, reverse: boolean, gates = 4, proj = 0) =>
  Array.from({ length: layers }, (_, l) =>
    (reverse ? ["", "_reverse"] : [""]).flatMap((d) => [
      { name: `${prefix}weight_ih_l${l}${d}`, shape: [gates * hidden, l === 0 ? input : (proj || hidden) * (reverse ? 2 : 1)] },
      { name: `${prefix}weight_hh_l${l}${d}`, shape: [gates * hidden, proj || hidden] },
      { name: `${prefix}bias_ih_l${l}${d}`, shape: [gates * hidden] },
      { name: `${prefix}bias_hh_l${l}${d}`, shape: [gates * hidden] },
      ...(proj ? [{ name: `${prefix}weight_hr_l${l}${d}`, shape: [proj, hidden] }] : []),
    ]),
  ).flat();

test("LSTM, GRU and RNN told apart by the gate count of weight_hh, bidirectional and prefixed names included", () => {
  const roles = recurrentRoles([
    ...lstmNames("rnn.", 5, 8, 2, true),
    ...lstmNames("encoder.gru.", 4, 6, 1, false, 3),
    ...lstmNames("", 3, 7, 1, false, 1),
    { name: "fc.weight", shape: [3, 16] },
  ]);
  assert.deepEqual(roles.get("rnn.weight_hh_l1_reverse"), {
    module: "rnn",
    kind: "LSTM",
    role: "weight_hh",
    layer: 1,
    direction: "reverse",
    hiddenSize: 8,
    gates: ["i", "f", "g", "o"],
  });
  assert.deepEqual(roles.get("rnn.bias_ih_l0")?.gates, ["i", "f", "g", "o"]);
  assert.deepEqual(roles.get("encoder.gru.weight_ih_l0"), {
    module: "encoder.gru",
    kind: "GRU",
    role: "weight_ih",
    layer: 0,
    direction: "forward",
    hiddenSize: 6,
    gates: ["r", "z", "n"],
  });
  assert.deepEqual(roles.get("weight_hh_l0"), { module: "", kind: "RNN", role: "weight_hh", layer: 0, direction: "forward", hiddenSize: 7 });
  assert.equal(roles.has("fc.weight"), false);
  assert.equal(roles.size, 16 + 4 + 4);
});

test("a projected LSTM: weight_hr gives the hidden size, and has no gates itself", () => {
  const roles = recurrentRoles(lstmNames("lm.lstm.", 10, 8, 2, false, 4, 3));
  assert.deepEqual(roles.get("lm.lstm.weight_hh_l0"), {
    module: "lm.lstm",
    kind: "LSTM",
    role: "weight_hh",
    layer: 0,
    direction: "forward",
    hiddenSize: 8,
    gates: ["i", "f", "g", "o"],
  });
  assert.deepEqual(roles.get("lm.lstm.weight_hr_l1"), { module: "lm.lstm", kind: "LSTM", role: "weight_hr", layer: 1, direction: "forward", hiddenSize: 8 });
});

test("cells (no _l suffix): LSTMCell, GRUCell, RNNCell", () => {
  const cell = (prefix: string, gates: number, h: number) => [
    { name: `${prefix}weight_ih`, shape: [gates * h, 3] },
    { name: `${prefix}weight_hh`, shape: [gates * h, h] },
    { name: `${prefix}bias_hh`, shape: [gates * h] },
  ];
  const roles = recurrentRoles([...cell("a.", 4, 5), ...cell("b.", 3, 5), ...cell("c.", 1, 5)]);
  assert.deepEqual(roles.get("a.bias_hh"), { module: "a", kind: "LSTMCell", role: "bias_hh", hiddenSize: 5, gates: ["i", "f", "g", "o"] });
  assert.deepEqual([roles.get("b.weight_ih")?.kind, roles.get("c.weight_hh")?.kind], ["GRUCell", "RNNCell"]);
});

test("shapes that do not agree get no roles: no gate labels rather than wrong ones", () => {
  assert.equal(recurrentRoles([{ name: "x.weight_hh_l0", shape: [10, 5] }]).size, 0); // 2 gates: no such module
  assert.equal(recurrentRoles([{ name: "x.weight_ih_l0", shape: [20, 5] }]).size, 0); // no weight_hh to size it
  assert.equal(
    recurrentRoles([
      { name: "x.weight_hh_l0", shape: [15, 5] },
      { name: "x.weight_hr_l0", shape: [5, 5] },
    ]).size,
    0,
  ); // a GRU with a projection
  assert.equal(
    recurrentRoles([
      { name: "x.weight_hh_l0", shape: [20, 5] },
      { name: "x.bias_hh_l0", shape: [16] },
    ]).size,
    0,
  );
  assert.equal(recurrentRoles([{ name: "x.weight_hh_l0", shape: [0, 0] }]).size, 0);
});

const close = (a: number, b: number, what: string, rel = 1e-5) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

for (const file of ["lstm.safetensors", "lstm_f16.safetensors", "lstm_bf16.safetensors"]) {
  test(`${file} (PyTorch): every tensor's dtype, shape and statistics as torch computes them, gates and per-gate statistics`, async () => {
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, "expected.json"), "utf8"))[file];
    const view = await readCheckpoint(path.join(FIXTURES, file));
    assert.equal(view.error, undefined);
    assert.deepEqual(view.metadata, { format: "pt" });
    assert.deepEqual(
      view.tensors.map((t) => t.name),
      Object.keys(expected),
    );
    for (const t of view.tensors) {
      const e = expected[t.name];
      assert.deepEqual([t.dtype, t.shape], [e.dtype, e.shape], t.name);
      for (const key of ["mean", "std", "min", "max", "norm"] as const) close(t[key], e[key], `${t.name} ${key}`);
      assert.ok(t.heatmap && t.histogram, t.name);
      assert.equal(
        t.histogram.counts.reduce((a, b) => a + b, 0),
        t.shape.reduce((a, b) => a * b, 1),
      );
      if (t.name.startsWith("rnn.")) {
        assert.deepEqual(t.gates, ["i", "f", "g", "o"], t.name);
        assert.equal(t.recurrent?.kind, "LSTM");
        assert.equal(t.recurrent?.hiddenSize, 8);
        t.gateStats!.forEach((g, i) =>
          (["mean", "std", "min", "max", "norm"] as const).forEach((key) => close(g[key], e.gates[i][key], `${t.name} gate ${i} ${key}`)),
        );
      } else assert.equal(t.recurrent, undefined);
    }
    const reverse = view.tensors.find((t) => t.name === "rnn.weight_hh_l1_reverse")!;
    assert.deepEqual([reverse.recurrent?.layer, reverse.recurrent?.direction, reverse.heatmap?.rows, reverse.heatmap?.cols], [1, "reverse", 32, 8]);
  });
}

test("damaged and hostile files: an error in the view, never a throw", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-checkpoint-"));
  try {
    const good = fs.readFileSync(path.join(FIXTURES, "lstm.safetensors"));
    const header = safetensorsBytes;
    const cases: [string, Buffer, RegExp][] = [
      ["empty", Buffer.alloc(0), /too short/],
      ["truncated", good.subarray(0, good.length - 100), /ends early/],
      ["huge header length", Buffer.from([255, 255, 255, 255, 255, 255, 255, 127, 0]), /exceeds the file/],
      ["not JSON", header("{nope"), /not JSON/],
      ["an array", header("[1,2]"), /JSON object/],
      ["bad dtype", header('{"a":{"dtype":"Q8","shape":[1],"data_offsets":[0,1]}}', 1), /unsupported dtype/],
      ["wrong length", header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 8), /expected 8/],
      ["overlap", header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /overlap/],
      ["huge shape", header('{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', 4), /too large|expected/],
      ["bad metadata", header('{"__metadata__":{"a":1}}'), /__metadata__/],
    ];
    for (const [what, bytes, message] of cases) {
      const file = path.join(dir, `${what}.safetensors`);
      fs.writeFileSync(file, bytes);
      const view = await readCheckpoint(file);
      assert.match(view.error ?? "", message, what);
      assert.deepEqual(view.tensors, [], what);
    }
    assert.match((await readCheckpoint(path.join(dir, "missing.safetensors"))).error ?? "", /could not be read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a tensor too large to read whole is sampled in evenly spaced chunks: reads stay bounded, the heatmap downsampled", async () => {
  const rows = 8192;
  const cols = 16384; // 128M F32 values: 512 MiB
  const bytes = rows * cols * 4;
  assert.ok(bytes > MAX_TENSOR_READ);
  const plan = readPlan(bytes, 4);
  assert.equal(plan.sampled, true);
  let read = 0;
  const readAt = async (position: number, length: number) => {
    read += length;
    const out = new Float32Array(length / 4);
    for (let k = 0; k < out.length; k++) out[k] = Math.floor((position / 4 + k) / cols) < rows / 2 ? 1 : -1; // top half 1, bottom half -1
    return new Uint8Array(out.buffer);
  };
  const t = await summarizeTensor({ name: "big", dtype: "F32", shape: [rows, cols], size: rows * cols, begin: 0, end: bytes }, readAt, { heatmap: true });
  assert.ok(read <= 2 * MAX_TENSOR_READ, `read ${read} bytes of ${bytes}`);
  assert.ok(t.sampled && t.sampled < rows * cols);
  assert.deepEqual([t.min, t.max, t.heatmap!.rows, t.heatmap!.cols, t.heatmap!.downsampledFrom], [-1, 1, 64, 64, [rows, cols]]);
  assert.equal(
    t.histogram!.counts.reduce((a, b) => a + b, 0),
    t.sampled,
  );
  const values = t.heatmap!.values;
  assert.ok(values.slice(0, 64 * 32).every((v) => v === 1 || Number.isNaN(v)) && values.slice(64 * 32).every((v) => v === -1 || Number.isNaN(v)));
});

test("the viewer's words: one line per recurrent module, a note per tensor", async () => {
  const view = await readCheckpoint(path.join(FIXTURES, "lstm.safetensors"));
  assert.deepEqual(checkpointModules(view.tensors), ["rnn: LSTM, hidden 8, 2 layers, bidirectional"]);
  assert.equal(tensorNote(view.tensors.find((t) => t.name === "rnn.weight_hh_l1_reverse")!), "LSTM rnn · layer 1, reverse · gates i f g o");
  assert.equal(tensorNote(view.tensors.find((t) => t.name === "fc.weight")!), "");
});
