// Safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] } }, then the raw little-endian bytes.
// Writes F32; reads F32, F16, BF16 (and F64, integer types) as float32 — so weights saved by PyTorch under
// its parameter names load into the matching Unroll module, and the other way round.
import * as fs from "node:fs";
import { tf, type Tensor } from "./tf";
import { UsageError } from "./errors";
import { show } from "./options";

import { bfloat16ToFloat, BYTES, halfToFloat, MAX_HEADER } from "./safetensors-dtypes";

export { bfloat16ToFloat, halfToFloat };

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** A value as a message shows it: its JSON, cut short (a hostile header may be megabytes). */
function json(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** Decodes a safetensors file's bytes into float32 tensors (and its metadata). The whole header is checked
 *  before any byte of data is read, so a damaged or hostile file gets a `safetensors: …` error and nothing else:
 *  no read outside `bytes` (a Node Buffer's neighbours are other files' contents), no half-built tensors. */
export function parseSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { entries, metadata, base } = readHeader(bytes);
  // Object.fromEntries defines each name, "__proto__" included, as a plain property.
  const tensors = Object.fromEntries(
    entries.map((e) => [
      e.name,
      tf.tensor(decode(e.dtype, new DataView(bytes.buffer, bytes.byteOffset + base + e.begin, e.end - e.begin), e.size), e.shape, "float32"),
    ]),
  );
  return { tensors, metadata };
}

function readHeader(bytes: Uint8Array): { entries: Entry[]; metadata: Record<string, string>; base: number } {
  if (bytes.byteLength < 8) fail(`file too short for its header: ${bytes.byteLength} bytes`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(bytes.byteLength - 8)) fail(`header length ${length} exceeds the file (${bytes.byteLength} bytes)`);
  if (length > BigInt(MAX_HEADER)) fail(`header length ${length} is over the limit of ${MAX_HEADER} bytes`);
  const base = 8 + Number(length);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, base)));
  } catch (e) {
    fail(`the header is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(header)) fail(`the header must be a JSON object, got ${json(header)}`);
  const dataLength = bytes.byteLength - base;
  const entries = Object.entries(header as Record<string, unknown>)
    .filter(([name]) => name !== "__metadata__")
    .map(([name, entry]) => checkEntry(name, entry, dataLength));
  // Sorted by where they start, each tensor must end before the next begins.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.begin < a.end) fail(`tensors '${a.name}' [${a.begin}, ${a.end}) and '${b.name}' [${b.begin}, ${b.end}) overlap`);
  }
  return { entries, metadata: checkMetadata((header as Record<string, unknown>).__metadata__), base };
}

/** One tensor's entry, checked against its dtype, its shape and the data's length. */
function checkEntry(name: string, entry: unknown, dataLength: number): Entry {
  const what = `tensor '${name}'`;
  if (!isObject(entry)) fail(`${what}: expected { dtype, shape, data_offsets }, got ${json(entry)}`);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(BYTES, dtype))
    fail(`${what} has unsupported dtype ${typeof dtype === "string" ? json(dtype).slice(1, -1) : json(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${what}: shape must be a list of integers ≥ 0, got ${json(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`${what}: data_offsets must be [begin, end], integers ≥ 0, got ${json(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  const expected = size * BYTES[dtype as string];
  if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end - begin !== expected) fail(`${what} (${dtype} [${dims.join(", ")}]) has ${end - begin} bytes, expected ${expected}`);
  if (end > dataLength) fail(`the file ends early: ${what} needs data bytes up to ${end}, the file has ${dataLength}`);
  return { name, dtype: dtype as string, shape: dims, size, begin, end };
}

function checkMetadata(metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === "string")) {
    fail(`__metadata__ must map strings to strings, got ${json(metadata)}`);
  }
  return Object.fromEntries(Object.entries(metadata as Record<string, string>));
}

function decode(dtype: string, data: DataView, size: number): Float32Array {
  const out = new Float32Array(size);
  const read: Record<string, (i: number) => number> = {
    F32: (i) => data.getFloat32(i * 4, true),
    F64: (i) => data.getFloat64(i * 8, true),
    F16: (i) => halfToFloat(data.getUint16(i * 2, true)),
    BF16: (i) => bfloat16ToFloat(data.getUint16(i * 2, true)),
    I64: (i) => Number(data.getBigInt64(i * 8, true)),
    I32: (i) => data.getInt32(i * 4, true),
    I16: (i) => data.getInt16(i * 2, true),
    I8: (i) => data.getInt8(i),
    U8: (i) => data.getUint8(i),
    BOOL: (i) => data.getUint8(i),
  };
  const get = read[dtype];
  for (let i = 0; i < size; i++) out[i] = get(i);
  return out;
}

/** Encodes tensors as F32 safetensors, in the order given, with optional string metadata. */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  if (!isObject(tensors)) throw new UsageError(`safetensors: expected the tensors by name, like model.stateDict(), got ${show(tensors)}`);
  if (metadata !== undefined && (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === "string"))) {
    throw new UsageError(`safetensors: the metadata must map strings to strings, got ${show(metadata)}`);
  }
  const entries: [string, unknown][] = metadata ? [["__metadata__", metadata]] : [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof tf.Tensor) || t.dtype === "string") throw new UsageError(`safetensors: '${name}' must be a numeric tensor, got ${show(t)}`);
    if (name === "__metadata__") throw new UsageError("safetensors: no tensor may be named '__metadata__', the name the format keeps for metadata");
    const values = t.dtype === "float32" ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as ArrayLike<number>);
    entries.push([name, { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + values.byteLength] }]);
    offset += values.byteLength;
    chunks.push(values);
  }
  // Object.fromEntries: a tensor named "__proto__" is written as one, not taken for the object's prototype.
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(entries)));
  const headerBytes = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20); // space-padded: data 8-byte aligned
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at);
    at += c.byteLength;
  }
  return out;
}

export function loadSafetensors(file: string): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : message;
    throw new Error(`safetensors: cannot read '${file}': ${why}`, { cause: e });
  }
  return parseSafetensors(bytes).tensors;
}

export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  fs.writeFileSync(file, serializeSafetensors(tensors, metadata));
}
