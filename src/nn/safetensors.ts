// Safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] } }, then the raw little-endian bytes.
// Writes F32; reads F32, F16, BF16 (and F64, integer types) as float32 — so weights saved by PyTorch under
// its parameter names load into the matching Unroll module, and the other way round.
import * as fs from "node:fs";
import { tf, type Tensor } from "./tf";
import { Tensor as TorchTensor } from "./tensor-class";
import { UsageError } from "./errors";
import { show } from "./options";

import { bfloat16ToFloat, halfToFloat } from "../common/safetensors-dtypes";
import { headerLength, parseHeader, type Header } from "../common/safetensors-header";

export { bfloat16ToFloat, halfToFloat };

function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

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

/** The header checked (safetensors-header.ts), or its error thrown as `safetensors: …`. */
function readHeader(bytes: Uint8Array): Header {
  const length = headerLength(bytes.subarray(0, 8), bytes.byteLength);
  if (typeof length !== "number") fail(length.error);
  const header = parseHeader(bytes.subarray(8, 8 + length), bytes.byteLength);
  if ("error" in header) fail(header.error);
  return header;
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
export function serializeSafetensors(tensors: Record<string, Tensor | TorchTensor>, metadata?: Record<string, string>): Uint8Array {
  if (!isObject(tensors)) throw new UsageError(`safetensors: expected the tensors by name, like model.stateDict(), got ${show(tensors)}`);
  if (metadata !== undefined && (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === "string"))) {
    throw new UsageError(`safetensors: the metadata must map strings to strings, got ${show(metadata)}`);
  }
  const entries: [string, unknown][] = metadata ? [["__metadata__", metadata]] : [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, given] of Object.entries(tensors)) {
    const t = given instanceof TorchTensor ? given.tf : given;
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

/** `torch.load(file)`: the tensors of a safetensors file by name, as Tensors (float32), ready for
 *  `model.loadStateDict(…)`. */
export function load(file: string): Record<string, TorchTensor> {
  return Object.fromEntries(Object.entries(loadSafetensors(file)).map(([name, t]) => [name, TorchTensor.wrap(t, true)]));
}

/** `torch.save(model.stateDict(), file)` in PyTorch's order; `torch.save(file, tensors)` (the order of
 *  saveSafetensors) is read the same way. */
export function save(tensors: Record<string, Tensor | TorchTensor>, file: string, metadata?: Record<string, string>): void;
export function save(file: string, tensors: Record<string, Tensor | TorchTensor>, metadata?: Record<string, string>): void;
export function save(
  a: string | Record<string, Tensor | TorchTensor>,
  b: string | Record<string, Tensor | TorchTensor>,
  metadata?: Record<string, string>,
): void {
  if (typeof a === "string") saveSafetensors(a, b as Record<string, Tensor | TorchTensor>, metadata);
  else if (typeof b === "string") saveSafetensors(b, a, metadata);
  else throw new UsageError(`torch.save(tensors, file): the file must be a path, got ${show(b)}`);
}

export function saveSafetensors(file: string, tensors: Record<string, Tensor | TorchTensor>, metadata?: Record<string, string>): void {
  fs.writeFileSync(file, serializeSafetensors(tensors, metadata));
}
