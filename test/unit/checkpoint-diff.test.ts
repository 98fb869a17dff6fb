// Two checkpoints compared (the checkpoint viewer's "Compare with…"): tensors paired by name and shape, the rest
// listed with why; B − A per gate for a hand-made LSTM whose gates moved by known amounts, downsampled with the
// gate blocks kept apart; the PyTorch-written F32 checkpoint against its F16 copy; reads bounded for a tensor too
// large to read whole; and a damaged or hostile second (or first) file reported, never thrown.
import { test } from "node:test";
import { safetensorsBytes } from "./safetensors-bytes";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { HeaderEntry } from "../../src/common/safetensors-header";
import { compareCheckpoints, differenceValues, pairTensors } from "../../src/runs/checkpoint-diff";
import { MAX_TENSOR_READ, readCheckpoint, summarizeValues, tensorValues, valuePlan } from "../../src/runs/safetensors-file";
import { largestChange, uncomparedReason } from "../../webview/checkpoint-logic";

const FIXTURES = path.join(__dirname, "../../../test/fixtures/checkpoint");

const entry = (name: string, shape: number[], dtype = "F32"): HeaderEntry => {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, dtype, shape, size, begin: 0, end: size * 4 };
};

/** A safetensors file of F32 tensors, written by hand. */
function write(file: string, tensors: { name: string; shape: number[]; values: (i: number) => number }[]): void {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => t.values(i));
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
    chunks.push(Buffer.from(values.buffer));
  }
  fs.writeFileSync(file, safetensorsBytes(JSON.stringify(header), Buffer.concat(chunks)));
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-diff-"));
    try {
      await run(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test("pairing: same name and shape compared; a name in one file only, a different shape and past the limit listed with why", () => {
  const a = [entry("w", [4, 2]), entry("fc.weight", [3, 4]), entry("old", [2]), entry("b", [4]), entry("c", [1])];
  const b = [entry("extra", [5]), entry("c", [1]), entry("fc.weight", [2, 4]), entry("b", [4], "F16"), entry("w", [4, 2])];
  const { pairs, uncompared } = pairTensors(a, b, 2);
  assert.deepEqual(
    pairs.map((p) => [p.name, p.a.dtype, p.b.dtype]),
    [
      ["w", "F32", "F32"],
      ["b", "F32", "F16"],
    ],
  );
  assert.deepEqual(uncompared, [
    { name: "fc.weight", reason: "shape", shapeA: [3, 4], shapeB: [2, 4] },
    { name: "old", reason: "onlyA", shapeA: [2] },
    { name: "c", reason: "limit", shapeA: [1] },
    { name: "extra", reason: "onlyB", shapeB: [5] },
  ]);
  assert.deepEqual(
    uncompared.map((u) => uncomparedReason(u)),
    ["shape [3, 4] in A, [2, 4] in B", "only in A", "past the viewer's limit of tensors", "only in B"],
  );
});

test(
  "an LSTM whose gates moved by 0, 1, 2, 3: B − A per gate, the heatmap downsampled with the gate blocks apart",
  withDir(async (dir) => {
    const hidden = 32; // weight_hh [128, 32]: 128 rows become 64 in the heatmap, 16 per gate
    const base = (i: number) => Math.sin(i) * 0.5;
    const gate = (i: number, cols: number) => Math.floor(Math.floor(i / cols) / hidden);
    write(path.join(dir, "a.safetensors"), [
      { name: "lstm.weight_hh_l0", shape: [4 * hidden, hidden], values: base },
      { name: "lstm.bias_hh_l0", shape: [4 * hidden], values: base },
      { name: "head.weight", shape: [3, hidden], values: base },
      { name: "gone", shape: [2], values: base },
    ]);
    write(path.join(dir, "b.safetensors"), [
      { name: "lstm.weight_hh_l0", shape: [4 * hidden, hidden], values: (i) => base(i) + gate(i, hidden) },
      { name: "lstm.bias_hh_l0", shape: [4 * hidden], values: (i) => base(i) - 0.25 * gate(i, 1) },
      { name: "head.weight", shape: [5, hidden], values: base },
    ]);
    const c = await compareCheckpoints(path.join(dir, "a.safetensors"), path.join(dir, "b.safetensors"));
    assert.equal(c.error, undefined);
    assert.deepEqual(
      c.differences.map((d) => d.name),
      ["lstm.weight_hh_l0", "lstm.bias_hh_l0"],
    );
    assert.deepEqual(c.uncompared, [
      { name: "head.weight", reason: "shape", shapeA: [3, hidden], shapeB: [5, hidden] },
      { name: "gone", reason: "onlyA", shapeA: [2] },
    ]);
    const [w, bias] = c.differences;
    assert.deepEqual(
      [w.dtype, w.shape, w.gates, w.recurrent?.kind, w.recurrent?.hiddenSize],
      ["F32", [4 * hidden, hidden], ["i", "f", "g", "o"], "LSTM", hidden],
    );
    const near = (x: number, y: number, what: string) => assert.ok(Math.abs(x - y) < 1e-6, `${what}: ${x} vs ${y}`);
    w.gateStats!.forEach((s, g) => {
      near(s.mean, g, `gate ${g} mean`);
      near(s.std, 0, `gate ${g} std`);
      near(s.min, g, `gate ${g} min`);
      near(s.max, g, `gate ${g} max`);
      near(s.norm, g * hidden, `gate ${g} norm`); // √(32·32 values of g²)
    });
    near(w.mean, 1.5, "mean");
    assert.deepEqual([w.heatmap!.rows, w.heatmap!.cols, w.heatmap!.downsampledFrom], [64, 32, [4 * hidden, hidden]]);
    for (let row = 0; row < 64; row++) {
      const g = Math.floor(row / 16);
      assert.ok(
        w.heatmap!.values.slice(row * 32, (row + 1) * 32).every((v) => Math.abs(v - g) < 1e-3),
        `heatmap row ${row} is gate ${g}`,
      );
    }
    assert.equal(
      w.histogram!.counts.reduce((s, n) => s + n, 0),
      4 * hidden * hidden,
    );
    // A bias: its gate blocks run along its one row.
    bias.gateStats!.forEach((s, g) => near(s.mean, -0.25 * g, `bias gate ${g}`));
    assert.deepEqual([bias.heatmap!.rows, bias.heatmap!.cols], [1, 64]);
    assert.deepEqual(largestChange(c.differences), { name: "lstm.weight_hh_l0", maxAbs: w.max });
  }),
);

test("the PyTorch LSTM against its F16 copy: every tensor compared, each difference within F16's rounding", async () => {
  const c = await compareCheckpoints(path.join(FIXTURES, "lstm.safetensors"), path.join(FIXTURES, "lstm_f16.safetensors"));
  assert.equal(c.error, undefined);
  assert.deepEqual(c.uncompared, []);
  assert.equal(c.differences.length, 18);
  const view = await readCheckpoint(path.join(FIXTURES, "lstm.safetensors"));
  for (const d of c.differences) {
    const original = view.tensors.find((t) => t.name === d.name)!;
    const scale = Math.max(Math.abs(original.min), Math.abs(original.max));
    assert.equal(d.dtype, "F32 → F16");
    assert.ok(Math.max(Math.abs(d.min), Math.abs(d.max)) <= scale * 2 ** -11, `${d.name}: |B − A| up to ${d.max} for values up to ${scale}`);
    if (d.name.startsWith("rnn.")) assert.deepEqual([d.gates, d.gateStats?.length], [["i", "f", "g", "o"], 4]);
  }
  assert.ok(
    c.differences.some((d) => d.norm > 0),
    "F16 rounds some values",
  );
});

test("a tensor too large to read whole: both files read on the same bounded sample, whatever their dtypes", async () => {
  const rows = 8192;
  const cols = 16384; // 128M values: 512 MiB as F32, 256 MiB as F16
  const a: HeaderEntry = { name: "big", dtype: "F32", shape: [rows, cols], size: rows * cols, begin: 0, end: rows * cols * 4 };
  const b: HeaderEntry = { ...a, dtype: "F16", end: rows * cols * 2 };
  const read = { a: 0, b: 0 };
  const readA = async (position: number, length: number) => {
    read.a += length;
    return new Uint8Array(new Float32Array(length / 4).fill(1).buffer);
  };
  const readB = async (position: number, length: number) => {
    read.b += length;
    return new Uint8Array(new Uint16Array(length / 2).fill(0x4200).buffer); // 3.0 in F16
  };
  const { ranges, sampled } = valuePlan(a.size, 4);
  assert.equal(sampled, true);
  const d = await summarizeValues({ ...a, dtype: "F32 → F16" }, differenceValues(tensorValues(a, readA, ranges), tensorValues(b, readB, ranges)), {
    heatmap: true,
    sampled,
  });
  assert.ok(read.a <= 2 * MAX_TENSOR_READ && read.b <= 2 * MAX_TENSOR_READ, `read ${read.a} and ${read.b} bytes`);
  assert.ok(d.sampled && d.sampled < rows * cols);
  assert.deepEqual([d.mean, d.min, d.max, d.heatmap!.downsampledFrom], [2, 2, 2, [rows, cols]]);
});

test(
  "a damaged or hostile file on either side: the comparison says which file and why, never a throw",
  withDir(async (dir) => {
    const good = path.join(FIXTURES, "lstm.safetensors");
    const bytes = fs.readFileSync(good);
    const header = safetensorsBytes;
    const cases: [string, Buffer, RegExp][] = [
      ["empty", Buffer.alloc(0), /too short/],
      ["truncated", bytes.subarray(0, bytes.length - 100), /ends early/],
      ["huge header length", Buffer.from([255, 255, 255, 255, 255, 255, 255, 127, 0]), /exceeds the file/],
      ["not JSON", header("{nope"), /not JSON/],
      ["overlap", header('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8), /overlap/],
      ["deep", header(`{"a":{"dtype":"F32","shape":[${Array(17).fill(1).join(",")}],"data_offsets":[0,4]}}`, 4), /dimensions/],
    ];
    for (const [what, content, message] of cases) {
      const file = path.join(dir, `${what}.safetensors`);
      fs.writeFileSync(file, content);
      for (const [a, b] of [
        [good, file],
        [file, good],
      ]) {
        const c = await compareCheckpoints(a, b);
        assert.match(c.error ?? "", message, what);
        assert.ok(c.error!.startsWith(`${file}: `), `${what}: the error names the file: ${c.error}`);
        assert.deepEqual([c.differences, c.uncompared], [[], []], what);
      }
    }
    const missing = await compareCheckpoints(good, path.join(dir, "missing.safetensors"));
    assert.match(missing.error ?? "", /missing\.safetensors: the file could not be read/);
  }),
);
