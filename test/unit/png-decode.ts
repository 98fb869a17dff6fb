// A strict reader of the PNGs the notebook kernel writes (8-bit RGB, no interlace), for the tests: it checks the
// signature, the chunk order and every chunk's CRC (with zlib's own crc32, not the encoder's), inflates the data
// and undoes each row's filter, so a test compares pixels, not compressed bytes.
import assert from "node:assert/strict";
import * as zlib from "node:zlib";

export interface DecodedPng {
  width: number;
  height: number;
  pixels: Uint8Array;
  chunks: string[];
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function decodePng(file: Buffer): DecodedPng {
  assert.deepEqual([...file.subarray(0, 8)], PNG_SIGNATURE, "PNG signature");
  const chunks: string[] = [];
  const data: Buffer[] = [];
  let header: Buffer | undefined;
  for (let at = 8; at < file.length;) {
    const length = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    assert.equal(file.readUInt32BE(at + 8 + length), zlib.crc32(file.subarray(at + 4, at + 8 + length)), `${type} CRC`);
    chunks.push(type);
    if (type === "IHDR") header = body;
    if (type === "IDAT") data.push(body);
    at += 12 + length;
  }
  assert.equal(chunks[0], "IHDR");
  assert.equal(chunks.at(-1), "IEND");
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  assert.deepEqual([...header!.subarray(8)], [8, 2, 0, 0, 0], "8-bit RGB, deflate, no interlace");
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = width * 3;
  assert.equal(raw.length, (stride + 1) * height, "one filter byte and a row of pixels per row");
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const value = raw[y * (stride + 1) + 1 + i];
      const left = i >= 3 ? pixels[y * stride + i - 3] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const predicted = [0, left, up][filter];
      assert.ok(predicted !== undefined, `filter ${filter} is one the encoder writes`);
      pixels[y * stride + i] = (value + predicted) & 0xff;
    }
  }
  return { width, height, pixels, chunks };
}
