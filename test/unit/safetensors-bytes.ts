// Hand-made .safetensors files for the readers' tests (no library: the host's reader is tested without it).

/** A .safetensors file's bytes: the 8-byte little-endian header length, the header `json`, then `data` zero bytes. */
export function safetensorsBytes(json: string, data: Uint8Array | number = 0): Buffer {
  const text = Buffer.from(json);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([length, text, typeof data === "number" ? Buffer.alloc(data) : data]);
}
