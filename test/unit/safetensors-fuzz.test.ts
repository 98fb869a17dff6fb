// A safetensors file is bytes a user or another process controls, so parseSafetensors is total: each malformed
// file named here gets its `safetensors: …` message, and thousands of random and mutated files (seeded, the
// same on every run) each get tensors or a `safetensors: …` error, never another exception, and tensors whose
// values are decoded from the file's own bytes only (each file sits between sentinel bytes that no valid read
// can reach). Also: loadSafetensors on a path that is not a file, and the writer's refusals and round trips.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nn, tf, parseSafetensors, serializeSafetensors, loadSafetensors } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import { setupBackend } from "./helpers";

before(setupBackend);

const loose = (value: unknown) => value as never;

/** A file written by hand: `header` as JSON (or raw text), then `data`. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** parseSafetensors(bytes) throws an Error whose message is "safetensors: " followed by `message`. */
function refused(bytes: Uint8Array, message: string | RegExp): void {
  assert.throws(
    () => parseSafetensors(bytes),
    (e: unknown) => {
      assert.ok(e instanceof Error && e.message.startsWith("safetensors: "), `not a safetensors error: ${String(e)}`);
      if (typeof message === "string") assert.equal(e.message, `safetensors: ${message}`);
      else assert.match(e.message, message);
      return true;
    },
  );
}

const entry = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

describe("each malformed header gets its message", () => {
  const data = new Uint8Array(16).fill(7);

  test("header length: beyond the file, huge, over the limit", () => {
    refused(new Uint8Array(7), "file too short for its header: 7 bytes");
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    refused(huge, "header length 18446744073709551615 exceeds the file (16 bytes)");
    const over = new Uint8Array(8 + 100_000_001).fill(0x20);
    new DataView(over.buffer).setBigUint64(0, 100_000_001n, true);
    refused(over, "header length 100000001 is over the limit of 100000000 bytes");
  });

  test("not JSON, not UTF-8, not an object", () => {
    refused(file('{"w": '), /^safetensors: the header is not JSON: /);
    refused(file(""), /^safetensors: the header is not JSON: /);
    const latin1 = file('{"x":1}');
    latin1[10] = 0xff; // an invalid UTF-8 byte inside the JSON
    refused(latin1, /^safetensors: the header is not JSON: /);
    refused(file("null"), "the header must be a JSON object, got null");
    refused(file("[1, 2]"), "the header must be a JSON object, got [1,2]");
    refused(file("42"), "the header must be a JSON object, got 42");
    refused(file('"w"'), 'the header must be a JSON object, got "w"');
  });

  test("an entry that is not an object, an unknown or missing dtype", () => {
    refused(file({ w: null }), "tensor 'w': expected { dtype, shape, data_offsets }, got null");
    refused(file({ w: [0, 4] }), "tensor 'w': expected { dtype, shape, data_offsets }, got [0,4]");
    refused(file({ w: "F32" }), "tensor 'w': expected { dtype, shape, data_offsets }, got \"F32\"");
    refused(file({ w: entry("F8_E4M3", [2], [0, 2]) }, data), "tensor 'w' has unsupported dtype F8_E4M3");
    refused(file({ w: entry(undefined, [2], [0, 2]) }, data), "tensor 'w' has unsupported dtype undefined");
    refused(file({ w: entry("toString", [2], [0, 2]) }, data), "tensor 'w' has unsupported dtype toString");
  });

  test("shapes: integers ≥ 0 only", () => {
    refused(file({ w: entry("F32", [-1], [0, 4]) }, data), "tensor 'w': shape must be a list of integers ≥ 0, got [-1]");
    refused(file({ w: entry("F32", [1.5], [0, 4]) }, data), "tensor 'w': shape must be a list of integers ≥ 0, got [1.5]");
    refused(file({ w: entry("F32", ["2"], [0, 8]) }, data), "tensor 'w': shape must be a list of integers ≥ 0, got [\"2\"]");
    refused(file({ w: entry("F32", 2, [0, 8]) }, data), "tensor 'w': shape must be a list of integers ≥ 0, got 2");
    refused(file({ w: entry("F32", [1e300], [0, 4]) }, data), "tensor 'w': shape must be a list of integers ≥ 0, got [1e+300]");
    // A product past 2^53 cannot match any byte count in the file.
    refused(
      file({ w: entry("F32", [2 ** 40, 2 ** 40], [0, 4]) }, data),
      /^safetensors: tensor 'w' \(F32 \[1099511627776, 1099511627776\]\) has 4 bytes, expected /,
    );
  });

  test("offsets: integers, 0 ≤ begin ≤ end ≤ the data's length, matching dtype and shape", () => {
    // The bug this guards: a negative begin read bytes before the file, from Node's shared buffer pool.
    refused(file({ w: entry("F32", [1], [-4, 0]) }, data), "tensor 'w': data_offsets must be [begin, end], integers ≥ 0, got [-4,0]");
    refused(file({ w: entry("F32", [1], [0.5, 4.5]) }, data), "tensor 'w': data_offsets must be [begin, end], integers ≥ 0, got [0.5,4.5]");
    refused(file({ w: entry("F32", [1], [0]) }, data), "tensor 'w': data_offsets must be [begin, end], integers ≥ 0, got [0]");
    refused(file({ w: entry("F32", [1], [0, 4, 8]) }, data), "tensor 'w': data_offsets must be [begin, end], integers ≥ 0, got [0,4,8]");
    refused(file({ w: entry("F32", [1], ["0", "4"]) }, data), 'tensor \'w\': data_offsets must be [begin, end], integers ≥ 0, got ["0","4"]');
    refused(file({ w: entry("F32", [1], null) }, data), "tensor 'w': data_offsets must be [begin, end], integers ≥ 0, got null");
    refused(file({ w: entry("F32", [1], [2 ** 53, 2 ** 53 + 4]) }, data), /^safetensors: tensor 'w': data_offsets must be/);
    refused(file({ w: entry("F32", [1], [8, 4]) }, data), "tensor 'w': data_offsets [8, 4] end before they begin");
    refused(file({ w: entry("F32", [4], [0, 12]) }, data), "tensor 'w' (F32 [4]) has 12 bytes, expected 16");
    refused(file({ w: entry("F32", [2], [12, 20]) }, data), "the file ends early: tensor 'w' needs data bytes up to 20, the file has 16");
  });

  test("tensors may not overlap (touching and empty ones may)", () => {
    refused(file({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) }, data), "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
    refused(file({ b: entry("F32", [2], [8, 16]), a: entry("F32", [3], [4, 16]) }, data), "tensors 'a' [4, 16) and 'b' [8, 16) overlap");
    refused(file({ a: entry("U8", [16], [0, 16]), b: entry("U8", [1], [3, 4]) }, data), "tensors 'a' [0, 16) and 'b' [3, 4) overlap");
    const ok = parseSafetensors(file({ a: entry("F32", [2], [0, 8]), e: entry("F32", [0, 3], [8, 8]), b: entry("F32", [2], [8, 16]) }, data));
    assert.deepEqual(Object.keys(ok.tensors), ["a", "e", "b"]);
    assert.deepEqual(ok.tensors.e.shape, [0, 3]);
  });

  test("__metadata__ maps strings to strings", () => {
    refused(file({ __metadata__: null }), "__metadata__ must map strings to strings, got null");
    refused(file({ __metadata__: "pt" }), '__metadata__ must map strings to strings, got "pt"');
    refused(file({ __metadata__: ["pt"] }), '__metadata__ must map strings to strings, got ["pt"]');
    refused(file({ __metadata__: { epoch: 3 } }), '__metadata__ must map strings to strings, got {"epoch":3}');
    refused(file({ __metadata__: { a: { b: "c" } } }), '__metadata__ must map strings to strings, got {"a":{"b":"c"}}');
    refused(file({ __metadata__: { long: "x".repeat(1000), n: 1 } }), /^safetensors: __metadata__ must map strings to strings, got \{"long":"x+…$/);
    assert.deepEqual(parseSafetensors(file({ __metadata__: {} })).metadata, {});
  });

  test("'__proto__' is a name like any other, in tensors and metadata", () => {
    const bytes = file(
      JSON.parse('{"__proto__": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "__metadata__": {"__proto__": "x"}}'),
      new Uint8Array([5, 6]),
    );
    const { tensors, metadata } = parseSafetensors(bytes);
    assert.deepEqual(Object.keys(tensors), ["__proto__"]);
    assert.deepEqual(Array.from(tensors["__proto__"].dataSync()), [5, 6]);
    assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
    assert.deepEqual(Object.keys(metadata), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  });
});

// ---- fuzzing ----------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so that every run tries the same files. */
function generator(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** The sentinel around each file: the data pattern below never produces it, so a U8 value of 0xee is a read
 *  outside the file. */
const SENTINEL = 0xee;

/** The test's own decoder, for the dtypes whose bit patterns DataView reads directly. */
const READ: Record<string, (d: DataView, i: number) => number> = {
  F64: (d, i) => d.getFloat64(i * 8, true),
  F32: (d, i) => d.getFloat32(i * 4, true),
  I64: (d, i) => Number(d.getBigInt64(i * 8, true)),
  I32: (d, i) => d.getInt32(i * 4, true),
  I16: (d, i) => d.getInt16(i * 2, true),
  I8: (d, i) => d.getInt8(i),
  U8: (d, i) => d.getUint8(i),
  BOOL: (d, i) => d.getUint8(i),
};

/** A valid file of a few tensors laid out back to back; the data bytes are `(7 * i + 1) mod 233`, never 0xee. */
function validFile(rand: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (let k = Math.floor(rand() * 4); k >= 0; k--) {
    const dtype = pick(Object.keys(SIZES));
    const shape = Array.from({ length: Math.floor(rand() * 3) }, () => Math.floor(rand() * 4));
    const bytes = shape.reduce((a, b) => a * b, 1) * SIZES[dtype];
    header[`t${k}`] = entry(dtype, shape, [offset, offset + bytes]);
    offset += bytes;
  }
  if (rand() < 0.3) header.__metadata__ = { format: "pt" };
  return file(
    header,
    Uint8Array.from({ length: offset + Math.floor(rand() * 3) }, (_, i) => (7 * i + 1) % 233),
  );
}

/** Values that break headers: negatives, fractions, huge numbers, wrong types. */
const ODD: unknown[] = [
  -1,
  -8,
  -(2 ** 31),
  0,
  1,
  3,
  4,
  7,
  8,
  64,
  0.5,
  1e300,
  2 ** 32,
  2 ** 53,
  2 ** 64,
  "4",
  null,
  true,
  [],
  {},
  [1, 2],
  "F32",
  "U8",
  "__metadata__",
];

/** One random change to a valid header's JSON: an offset, a shape entry, a dtype, a whole entry or the header. */
function mutateHeader(rand: () => number, bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, Record<string, unknown[]> | unknown>;
  const data = bytes.subarray(8 + length);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const names = Object.keys(header).filter((n) => n !== "__metadata__");
  const name = names.length ? pick(names) : "t0";
  const target = (header[name] ?? {}) as Record<string, unknown>;
  const odd = () => pick(ODD);
  const start = Array.isArray(target.data_offsets) && Number.isInteger(target.data_offsets[0]) ? (target.data_offsets[0] as number) : 0;
  const near = () => start + Math.floor(rand() * 40) - 20;
  const mutations: (() => void)[] = [
    () => ((target.data_offsets as unknown[])[Math.floor(rand() * 2)] = odd()),
    () => ((target.data_offsets as unknown[])[Math.floor(rand() * 2)] = near()),
    () => (target.data_offsets = [near(), near()]),
    () => (target.data_offsets = pick([odd(), [odd()], [odd(), odd(), odd()]])),
    () => (target.shape = Array.from({ length: Math.floor(rand() * 4) }, () => (rand() < 0.5 ? odd() : Math.floor(rand() * 5)))),
    () => (target.shape = odd()),
    () => (target.dtype = rand() < 0.5 ? odd() : pick([...Object.keys(SIZES), "F8_E4M3", "f32", "C64", "constructor"])),
    () => delete target[pick(["dtype", "shape", "data_offsets"])],
    () => (header[name] = odd()),
    () => (header[`copy${Math.floor(rand() * 9)}`] = { ...target }),
    () => (header.__metadata__ = rand() < 0.5 ? odd() : { [String(odd())]: odd() }),
  ];
  if (target === header[name]) pick(mutations)();
  else mutations[8]();
  const replaced = rand() < 0.03 ? odd() : header;
  return file(replaced, data);
}

/** Byte-level damage: flipped bytes (the length field included), a cut, junk appended, a new header length. */
function mutateBytes(rand: () => number, bytes: Uint8Array): Uint8Array {
  let out = Uint8Array.from(bytes);
  const r = rand();
  if (r < 0.4) {
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  } else if (r < 0.6) {
    out = out.subarray(0, Math.floor(rand() * out.length));
  } else if (r < 0.75) {
    out = Uint8Array.from([...out, ...Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256))]);
  } else {
    const lengths = [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(Math.floor(rand() * (out.length + 8)))];
    new DataView(out.buffer, out.byteOffset).setBigUint64(0, lengths[Math.floor(rand() * lengths.length)], true);
  }
  return out;
}

/** `bytes` placed inside a larger buffer between sentinels, as a Node Buffer from the pool sits among others. */
function amongSentinels(bytes: Uint8Array): Uint8Array {
  const pool = new Uint8Array(bytes.length + 128).fill(SENTINEL);
  pool.set(bytes, 64);
  return pool.subarray(64, 64 + bytes.length);
}

/** Either a `safetensors:` error, or tensors each decoded from the bytes its (now known valid) header names. */
function check(bytes: Uint8Array, what: string): "tensors" | "error" {
  let result: ReturnType<typeof parseSafetensors>;
  try {
    result = parseSafetensors(amongSentinels(bytes));
  } catch (e) {
    assert.ok(e instanceof Error && e.message.startsWith("safetensors: "), `${what}: escaped ${String(e)}`);
    return "error";
  }
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const data = bytes.slice(8 + length); // a copy: reading past it throws here instead of reading a neighbour
  for (const [name, t] of Object.entries(result.tensors)) {
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = header[name];
    assert.ok(
      Number.isInteger(begin) && begin >= 0 && begin <= end && end <= data.length,
      `${what}: '${name}' [${begin}, ${end}) accepted outside the data (${data.length} bytes)`,
    );
    assert.deepEqual(t.shape, shape, `${what}: '${name}' shape`);
    const values = Array.from(t.dataSync());
    const read = READ[dtype];
    if (read) {
      const view = new DataView(data.buffer, begin, end - begin);
      values.forEach((v, i) => assert.ok(Object.is(v, Math.fround(read(view, i))), `${what}: '${name}'[${i}] is ${v}, the file holds ${read(view, i)}`));
    }
    if (dtype === "U8") assert.ok(!values.includes(SENTINEL), `${what}: '${name}' holds a byte from outside the file`);
  }
  for (const t of Object.values(result.tensors) as Tensor[]) t.dispose();
  return "tensors";
}

describe("fuzzing: random and mutated files get tensors or a safetensors: error", () => {
  test("3000 files, seeded", () => {
    const rand = generator(20240611);
    const counts = { tensors: 0, error: 0 };
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3000; i++) {
      const kind = i % 4;
      let bytes: Uint8Array;
      if (kind === 0) bytes = Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
      else if (kind === 1) bytes = mutateHeader(rand, validFile(rand));
      else if (kind === 2) bytes = mutateBytes(rand, validFile(rand));
      else bytes = mutateBytes(rand, mutateHeader(rand, validFile(rand)));
      counts[check(bytes, `file ${i} (kind ${kind})`)]++;
    }
    // Both outcomes happen often: the fuzzing reaches the decoder, not only the first check.
    assert.ok(counts.tensors > 100 && counts.error > 1000, `outcomes ${JSON.stringify(counts)}`);
    assert.equal(tf.memory().numTensors, before, "a refused file leaves no tensor behind");
  });

  test("valid files decode exactly", () => {
    const rand = generator(7);
    for (let i = 0; i < 300; i++) assert.equal(check(validFile(rand), `valid file ${i}`), "tensors");
  });
});

// ---- reading a path, writing ------------------------------------------------------------------------------

describe("loadSafetensors on a path that is not a file", () => {
  let tmp = "";
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-safetensors-fuzz-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("a missing file, a directory, a damaged file", () => {
    const missing = path.join(tmp, "missing.safetensors");
    assert.throws(() => loadSafetensors(missing), { message: `safetensors: cannot read '${missing}': no such file` });
    assert.throws(() => loadSafetensors(tmp), { message: `safetensors: cannot read '${tmp}': it is a directory` });
    fs.writeFileSync(path.join(tmp, "text.safetensors"), "not a safetensors file");
    assert.throws(() => loadSafetensors(path.join(tmp, "text.safetensors")), { message: /^safetensors: header length \d+ exceeds the file \(22 bytes\)$/ });
  });
});

describe("serializeSafetensors", () => {
  test("round trips: empty dict, empty and scalar tensors, int and bool tensors, odd names, metadata", () => {
    const tensors: Record<string, Tensor> = {
      "": tfTorch.tensor([1]),
      __proto__: tfTorch.tensor([2, 3]),
      'naïve.名前 "quoted"': tfTorch.tensor([[4], [5]]),
      empty: tf.zeros([0, 3]),
      scalar: tf.scalar(-0.5),
      ints: tf.tensor([1, -2, 3], [3], "int32"),
      bools: tf.tensor([1, 0], [2], "bool"),
      special: tf.tensor([Infinity, -Infinity, NaN, -0]),
    };
    const metadata = { "": "", __proto__: "p", note: 'é\n"' };
    const back = parseSafetensors(serializeSafetensors(tensors, metadata));
    assert.deepEqual(Object.keys(back.tensors), Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      assert.deepEqual(back.tensors[name].shape, t.shape, `${name} shape`);
      assert.deepEqual(Array.from(back.tensors[name].dataSync()), Array.from(t.dataSync()), `${name} values`);
    }
    assert.deepEqual(Object.entries(back.metadata), Object.entries(metadata));
    assert.deepEqual(parseSafetensors(serializeSafetensors({})), { tensors: {}, metadata: {} });
  });

  test("refuses what the format cannot hold", () => {
    const refuses = (fn: () => unknown, message: string) => assert.throws(fn, (e: unknown) => e instanceof nn.UsageError && e.message === message);
    refuses(() => serializeSafetensors(loose({ w: [1, 2] })), "safetensors: 'w' must be a numeric tensor, got [1, 2]");
    refuses(() => serializeSafetensors(loose({ s: tf.tensor(["a"]) })), "safetensors: 's' must be a numeric tensor, got a tensor of shape [1]");
    refuses(
      () => serializeSafetensors({ __metadata__: tfTorch.tensor([1]) }),
      "safetensors: no tensor may be named '__metadata__', the name the format keeps for metadata",
    );
    refuses(() => serializeSafetensors({}, loose({ epoch: 3 })), "safetensors: the metadata must map strings to strings, got an object { epoch }");
    refuses(() => serializeSafetensors(loose(null)), "safetensors: expected the tensors by name, like model.stateDict(), got null");
  });
});
