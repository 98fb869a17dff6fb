// Safetensors: the round trip, saving and loading a model, decoding PyTorch's F16 and BF16 (against the
// fixture written by test/fixtures/make_dtypes.py), and the errors a damaged file raises.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, nn, torch, parseSafetensors, serializeSafetensors, saveSafetensors, loadSafetensors } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "../../src/nn/tf-torch";
// Not re-exported by "unroll": the decoders themselves.
import { halfToFloat, bfloat16ToFloat } from "../../src/nn/safetensors";
import { maxAbsDiff, setupBackend } from "./helpers";

before(setupBackend);

const DTYPES = path.join(__dirname, "../../../test/fixtures/dtypes");

let tmp = "";
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-safetensors-"));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The header as stored: its length and JSON. */
function header(bytes: Uint8Array): { length: number; json: Record<string, unknown> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { length, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) };
}

/** A file written by hand: `entries` as the header, `data` as the bytes after it. */
function handmade(entries: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(entries));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("round trip", () => {
  test("names, order, shapes, values and metadata survive", () => {
    const tensors: Record<string, Tensor> = {
      "z.last_name_first": tfTorch.tensor([
        [1.5, -2.25, 3],
        [4, 5, 1e-7],
      ]),
      "a.scalar": tfTorch.tensor(3.25, []),
      "m.cube": tfTorch.randn([2, 3, 4]),
      "b.odd": tfTorch.tensor([1, 2, 3]), // 12 bytes: the next tensor is not 8-byte aligned within the data
      "c.int": tfTorch.tensor([7, -8]).toInt(),
    };
    const metadata = { format: "pt", note: "round trip" };
    const bytes = serializeSafetensors(tensors, metadata);
    const { length, json } = header(bytes);
    assert.equal((8 + length) % 8, 0, "the data starts on an 8-byte boundary");
    assert.deepEqual(Object.keys(json), ["__metadata__", ...Object.keys(tensors)]);
    assert.deepEqual(json["b.odd"], { dtype: "F32", shape: [3], data_offsets: [6 * 4 + 4 + 24 * 4, 6 * 4 + 4 + 24 * 4 + 12] });
    assert.equal(bytes.byteLength, 8 + length + 4 * (6 + 1 + 24 + 3 + 2));

    const parsed = parseSafetensors(bytes);
    assert.deepEqual(parsed.metadata, metadata);
    assert.deepEqual(Object.keys(parsed.tensors), Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      assert.equal(parsed.tensors[name].dtype, "float32");
      assert.deepEqual(parsed.tensors[name].shape, t.shape, `${name} shape`);
      assert.deepEqual(Array.from(parsed.tensors[name].dataSync()), Array.from(t.dataSync()), `${name} values`);
    }
    assert.deepEqual(parseSafetensors(serializeSafetensors({ x: tfTorch.ones([1]) })).metadata, {});
  });

  test("a model's stateDict saved to a file loads into a fresh model", () => {
    const file = path.join(tmp, "model.safetensors");
    const a = new nn.LSTM(6, 5, { numLayers: 2, bidirectional: true });
    const b = new nn.LSTM(6, 5, { numLayers: 2, bidirectional: true });
    const x = tfTorch.randn([4, 3, 6]);
    saveSafetensors(file, a.stateDict(), { epoch: "3" });
    const loaded = loadSafetensors(file);
    assert.deepEqual(Object.keys(loaded), Object.keys(a.stateDict()));
    assert.ok(maxAbsDiff(a.forward(x)[0], b.forward(x)[0], "before") > 1e-3);
    b.loadStateDict(loaded);
    const [outA, [hA, cA]] = a.forward(x);
    const [outB, [hB, cB]] = b.forward(x);
    assert.equal(maxAbsDiff(outA, outB, "output"), 0);
    assert.equal(maxAbsDiff(hA, hB, "h_n"), 0);
    assert.equal(maxAbsDiff(cA, cB, "c_n"), 0);
    // torch.save(obj, file) in PyTorch's order (the file first is read the same way); torch.load gives Tensors.
    torch.save(b.stateDict(), path.join(tmp, "again.safetensors"));
    torch.save(path.join(tmp, "循环 网络(1) 🧪.safetensors"), b.stateDict());
    for (const name of ["again.safetensors", "循环 网络(1) 🧪.safetensors"])
      assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(tmp, name))), serializeSafetensors(a.stateDict()), name);
    const byTorch = torch.load(path.join(tmp, "again.safetensors"));
    assert.deepEqual(Object.keys(byTorch), Object.keys(loaded));
    assert.ok(byTorch.weight_ih_l0 instanceof torch.Tensor, "torch.load gives Tensors");
    assert.equal(String(byTorch.weight_ih_l0.shape), "torch.Size([20, 6])");
    assert.deepEqual(byTorch.bias_hh_l1_reverse.tolist(), a.stateDict().bias_hh_l1_reverse.tolist());
    assert.throws(() => torch.save(b.stateDict(), 3 as never), /torch\.save\(tensors, file\): the file must be a path, got 3/);
    assert.throws(() => torch.load(path.join(tmp, "none.safetensors")), /safetensors: cannot read .*: no such file/);
  });
});

describe("F16 and BF16", () => {
  const asNumber = (v: number | string) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));

  test("decode exactly what PyTorch stored", () => {
    const { tensors, metadata } = parseSafetensors(fs.readFileSync(path.join(DTYPES, "dtypes.safetensors")));
    const expected = JSON.parse(fs.readFileSync(path.join(DTYPES, "expected.json"), "utf8")) as Record<string, (number | string)[]>;
    assert.equal(metadata.generator, "test/fixtures/make_dtypes.py");
    assert.deepEqual(Object.keys(tensors), ["f32", "f16", "bf16"]);
    for (const dtype of ["f32", "f16", "bf16"]) {
      assert.deepEqual(tensors[dtype].shape, [16]);
      // Object.is: -0 stays -0, infinities stay infinite.
      assert.deepEqual(Array.from(tensors[dtype].dataSync()), expected[dtype].map(asNumber), `${dtype} values`);
    }
    // The fixture does exercise rounding: f16 overflows where bf16 does not, and both differ from f32.
    assert.equal(expected.f16[10], "inf");
    assert.notEqual(expected.bf16[10], "inf");
    assert.notDeepEqual(expected.f16, expected.f32);
    assert.notDeepEqual(expected.bf16, expected.f32);
  });

  test("known bit patterns", () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.equal(halfToFloat(0xfc00), -Infinity);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x03ff), 2 ** -14 - 2 ** -24);
    assert.equal(halfToFloat(0x0400), 2 ** -14);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x3555), 0.333251953125);
    assert.ok(Object.is(halfToFloat(0x8000), -0));
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    assert.equal(bfloat16ToFloat(0x3f80), 1);
    assert.equal(bfloat16ToFloat(0xbf80), -1);
    assert.equal(bfloat16ToFloat(0x4049), 3.140625);
    assert.equal(bfloat16ToFloat(0x7f80), Infinity);
    assert.equal(bfloat16ToFloat(0x0001), 2 ** -133);
  });
});

describe("damaged files", () => {
  const good = () => serializeSafetensors({ weight: tfTorch.ones([2, 3]), bias: tfTorch.ones([3]) });

  test("too short for the header length", () => {
    assert.throws(() => parseSafetensors(new Uint8Array(5)), /too short/);
  });

  test("header length beyond the end of the file", () => {
    const bytes = good();
    const { length } = header(bytes);
    assert.throws(() => parseSafetensors(bytes.subarray(0, 8 + length - 10)), new RegExp(`header length ${length} exceeds the file`));
  });

  test("a byte count that does not match dtype and shape", () => {
    const bytes = handmade({ w: { dtype: "F32", shape: [4], data_offsets: [0, 12] } }, new Uint8Array(16));
    assert.throws(
      () => parseSafetensors(bytes),
      (e: Error) => /'w'/.test(e.message) && /12 bytes, expected 16/.test(e.message),
    );
    const half = handmade({ h: { dtype: "F16", shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(16));
    assert.throws(() => parseSafetensors(half), /'h' \(F16 \[2, 2\]\) has 16 bytes, expected 8/);
    const unknown = handmade({ q: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2));
    assert.throws(() => parseSafetensors(unknown), /'q' has unsupported dtype F8_E4M3/);
  });

  test("data cut short: the message says the file ends early", () => {
    const bytes = good();
    const cut = bytes.subarray(0, bytes.byteLength - 4); // the last 4 bytes of "bias" are gone
    assert.throws(
      () => parseSafetensors(cut),
      (e: Error) => {
        assert.match(e.message, /'bias'/);
        assert.match(e.message, /truncated|ends|beyond|past|exceeds|short/i, `unclear message: ${e.message}`);
        return true;
      },
    );
  });
});
