// Safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets: [begin, end] } }, then the raw little-endian bytes.
// Writes F32; reads F32, F16, BF16 (and F64, integer types) as float32 — so weights saved by PyTorch under
// its parameter names load into the matching Unroll module, and the other way round.
import * as fs from "node:fs";
import { tf, type Tensor } from "./tf";

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> };

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Decodes a safetensors file's bytes into float32 tensors (and its metadata). */
export function parseSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw new Error("safetensors: file too short for its header");
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new Error(`safetensors: header length ${headerLength} exceeds the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Header;
  const base = 8 + headerLength;
  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as Header[string];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(dtype in BYTES)) throw new Error(`safetensors: tensor '${name}' has unsupported dtype ${dtype}`);
    if (end - begin !== size * BYTES[dtype]) {
      throw new Error(`safetensors: tensor '${name}' (${dtype} [${shape.join(", ")}]) has ${end - begin} bytes, expected ${size * BYTES[dtype]}`);
    }
    if (base + end > bytes.byteLength) {
      throw new Error(`safetensors: the file ends early: tensor '${name}' needs bytes up to ${base + end}, the file has ${bytes.byteLength}`);
    }
    tensors[name] = tf.tensor(decode(dtype, new DataView(bytes.buffer, bytes.byteOffset + base + begin, end - begin), size), shape, "float32");
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
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

const scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the top half of a float32. */
export function bfloat16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

/** IEEE 754 half precision, subnormals, infinities and NaN included. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Encodes tensors as F32 safetensors, in the order given, with optional string metadata. */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const values = t.dtype === "float32" ? (t.dataSync() as Float32Array) : Float32Array.from(t.dataSync() as ArrayLike<number>);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
    chunks.push(values);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
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
  return parseSafetensors(fs.readFileSync(file)).tensors;
}

export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  fs.writeFileSync(file, serializeSafetensors(tensors, metadata));
}
