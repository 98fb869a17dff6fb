// A safetensors file summarised for the checkpoint viewer, read by the extension host without the library: the
// header checked totally (a .safetensors file is hostile input: every length, offset and shape is checked
// against the file before a byte of data is read), then each tensor's values read in bounded chunks for its
// statistics, histogram, downsampled heatmap and, for a recurrent weight, per-gate statistics. A tensor
// larger than MAX_TENSOR_READ is sampled in evenly spaced chunks; nothing is ever read whole.
import * as fsp from "node:fs/promises";
import type { CheckpointTensor, CheckpointView, Heatmap, TensorStats } from "../protocol";
import { bfloat16ToFloat, BYTES, halfToFloat, MAX_HEADER } from "../nn/safetensors-dtypes";
import { recurrentRoles } from "./recurrent-weights";

const FLOATS = new Set(["F64", "F32", "F16", "BF16"]);
/** The most tensors listed, and the most with a histogram and heatmap (each a few tens of kilobytes). */
export const MAX_TENSORS = 5000;
export const MAX_HEATMAPS = 300;
export const HEATMAP_CELLS = 64;
export const HISTOGRAM_BINS = 30;
/** Bytes of one tensor read at most; past it, SAMPLE_CHUNKS evenly spaced chunks of CHUNK bytes. */
export const MAX_TENSOR_READ = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const SAMPLE_CHUNKS = 32;

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  size: number;
  begin: number;
  end: number;
}

export interface Header {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Where the data begins in the file. */
  base: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const short = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** The header's length from the file's first 8 bytes, checked against the file's size; else why not. */
export function headerLength(first8: Uint8Array, fileSize: number): number | { error: string } {
  if (fileSize < 8 || first8.byteLength < 8) return { error: `the file is too short for a safetensors header (${fileSize} bytes)` };
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) return { error: `the header length ${length} exceeds the file (${fileSize} bytes)` };
  if (length > BigInt(MAX_HEADER)) return { error: `the header length ${length} is over the limit of ${MAX_HEADER} bytes` };
  return Number(length);
}

/** The header's JSON bytes checked against a file of `fileSize` bytes: every tensor's dtype, shape and offsets, no
 *  overlaps. Total: a damaged or hostile header gives `{ error }`, never a throw. */
export function parseHeader(json: Uint8Array, fileSize: number): Header | { error: string } {
  const base = 8 + json.byteLength;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (e) {
    return { error: `the header is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(header)) return { error: `the header must be a JSON object, got ${short(header)}` };
  const dataLength = fileSize - base;
  const entries: HeaderEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const what = `tensor '${name.length > 100 ? name.slice(0, 100) + "…" : name}'`;
    if (!isObject(entry)) return { error: `${what}: expected { dtype, shape, data_offsets }, got ${short(entry)}` };
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== "string" || !Object.hasOwn(BYTES, dtype)) return { error: `${what} has unsupported dtype ${short(dtype)}` };
    if (!Array.isArray(shape) || shape.length > 16 || !shape.every(isCount))
      return { error: `${what}: shape must be a list of integers ≥ 0, got ${short(shape)}` };
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
      return { error: `${what}: data_offsets must be [begin, end], got ${short(offsets)}` };
    const [begin, end] = offsets as number[];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(size * BYTES[dtype])) return { error: `${what}: shape ${short(shape)} is too large` };
    if (begin > end || end - begin !== size * BYTES[dtype])
      return { error: `${what} (${dtype} ${short(shape)}) has ${end - begin} bytes, expected ${size * BYTES[dtype]}` };
    if (end > dataLength) return { error: `the file ends early: ${what} needs data bytes up to ${end}, the file has ${dataLength}` };
    entries.push({ name, dtype, shape: shape as number[], size, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) return { error: `tensors '${sorted[i - 1].name}' and '${sorted[i].name}' overlap` };
  }
  const m = header.__metadata__;
  if (m !== undefined && !(isObject(m) && Object.values(m).every((v) => typeof v === "string")))
    return { error: `__metadata__ must map strings to strings, got ${short(m)}` };
  return { entries, metadata: Object.fromEntries(Object.entries((m ?? {}) as Record<string, string>)), base };
}

/** The reader of one value of `dtype` at byte `i` of a DataView. */
function reader(dtype: string): (data: DataView, at: number) => number {
  switch (dtype) {
    case "F32":
      return (d, at) => d.getFloat32(at, true);
    case "F64":
      return (d, at) => d.getFloat64(at, true);
    case "F16":
      return (d, at) => halfToFloat(d.getUint16(at, true));
    case "BF16":
      return (d, at) => bfloat16ToFloat(d.getUint16(at, true));
    case "I64":
      return (d, at) => Number(d.getBigInt64(at, true));
    case "I32":
      return (d, at) => d.getInt32(at, true);
    case "I16":
      return (d, at) => d.getInt16(at, true);
    case "I8":
      return (d, at) => d.getInt8(at);
    default:
      return (d, at) => d.getUint8(at); // U8, BOOL
  }
}

/** Running statistics (Welford's mean and variance, so a long tensor loses no precision). */
class Running {
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  squares = 0;
  add(v: number): void {
    this.n++;
    const d = v - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.squares += v * v;
  }
  stats(): TensorStats {
    const finite = this.n > 0;
    return {
      mean: finite ? this.mean : 0,
      std: this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0,
      min: finite ? this.min : 0,
      max: finite ? this.max : 0,
      norm: Math.sqrt(this.squares),
    };
  }
}

/** Bin boundaries over `n` indices: at most `max` bins, none straddling a boundary between `groups` equal parts
 *  (gate blocks), as the Parameters tab's heatmaps do. */
export function binEdges(n: number, max: number, groups = 1): number[] {
  if (n <= max) return Array.from({ length: n + 1 }, (_, i) => i);
  const g = n % groups === 0 && groups <= max ? groups : 1;
  const size = n / g;
  const block = Math.ceil(size / Math.floor(max / g));
  const edges: number[] = [];
  for (let part = 0; part < g; part++) for (let start = part * size; start < (part + 1) * size; start += block) edges.push(start);
  edges.push(n);
  return edges;
}

/** The byte ranges of a tensor's data to read: all of it in CHUNK pieces, or SAMPLE_CHUNKS evenly spaced ones. */
export function readPlan(bytes: number, elementBytes: number, maxRead = MAX_TENSOR_READ): { ranges: [number, number][]; sampled: boolean } {
  const chunk = Math.max(elementBytes, CHUNK - (CHUNK % elementBytes));
  const ranges: [number, number][] = [];
  if (bytes <= maxRead) {
    for (let at = 0; at < bytes; at += chunk) ranges.push([at, Math.min(bytes, at + chunk)]);
    return { ranges, sampled: false };
  }
  const elements = bytes / elementBytes;
  const per = chunk / elementBytes;
  for (let k = 0; k < SAMPLE_CHUNKS; k++) {
    const start = Math.floor(((elements - per) * k) / (SAMPLE_CHUNKS - 1)) * elementBytes;
    ranges.push([start, start + chunk]);
  }
  return { ranges, sampled: true };
}

type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

/** One tensor's summary from its data (read through `readAt`, relative to the data's start). */
export async function summarizeTensor(e: HeaderEntry, readAt: ReadAt, options: { heatmap: boolean; gates?: string[] }): Promise<CheckpointTensor> {
  const width = BYTES[e.dtype];
  const get = reader(e.dtype);
  const { ranges, sampled } = readPlan(e.end - e.begin, width);
  const rows = e.shape.length >= 2 ? e.shape[0] : 1;
  const cols = rows ? e.size / rows : 0;
  const gates = options.gates && options.gates.length > 1 ? options.gates.length : 1;
  // Gate blocks run along the first dimension: a matrix's rows, a bias's single row of columns.
  const unitsAlong = e.shape.length >= 2 ? rows : e.size;
  const gateOf = (i: number) => Math.min(gates - 1, Math.floor(((e.shape.length >= 2 ? Math.floor(i / cols) : i) * gates) / Math.max(1, unitsAlong)));
  const all = new Running();
  const perGate = Array.from({ length: gates }, () => new Running());
  let nonFinite = 0;
  let seen = 0;
  const rowEdges = binEdges(rows, HEATMAP_CELLS, e.shape.length >= 2 ? gates : 1);
  const colEdges = binEdges(cols, HEATMAP_CELLS, e.shape.length === 1 ? gates : 1);
  const R = rowEdges.length - 1;
  const C = colEdges.length - 1;
  const rowBin = new Int32Array(rows);
  for (let b = 0; b < R; b++) rowBin.fill(b, rowEdges[b], rowEdges[b + 1]);
  const colBin = new Int32Array(cols);
  for (let b = 0; b < C; b++) colBin.fill(b, colEdges[b], colEdges[b + 1]);
  const sums = new Float64Array(R * C);
  const counts = new Uint32Array(R * C);
  const heat = options.heatmap && e.size > 0;
  const chunks: { data: DataView; first: number }[] = [];
  for (const [from, to] of ranges) {
    const bytes = await readAt(e.begin + from, to - from);
    const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = from / width;
    const n = Math.floor(bytes.byteLength / width);
    for (let k = 0; k < n; k++) {
      const v = get(data, k * width);
      const i = first + k;
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      seen++;
      all.add(v);
      if (gates > 1) perGate[gateOf(i)].add(v);
      if (heat) {
        const cell = rowBin[Math.floor(i / cols)] * C + colBin[i % cols];
        sums[cell] += v;
        counts[cell]++;
      }
    }
    // Kept for the histogram's second pass only when the whole tensor is small enough to hold.
    if (heat && e.end - e.begin <= MAX_TENSOR_READ / 4) chunks.push({ data, first });
  }
  const stats = all.stats();
  const out: CheckpointTensor = { name: e.name, dtype: e.dtype, shape: e.shape, ...stats, nonFinite, ...(sampled ? { sampled: seen + nonFinite } : {}) };
  if (gates > 1) Object.assign(out, { gates: options.gates, gateStats: perGate.map((g) => g.stats()) });
  if (!heat) return out;
  const values: number[] = new Array(R * C);
  for (let k = 0; k < R * C; k++) values[k] = counts[k] ? Number((sums[k] / counts[k]).toPrecision(4)) : NaN;
  const heatmap: Heatmap = { rows: R, cols: C, values, ...(R !== rows || C !== cols || sampled ? { downsampledFrom: [...e.shape] } : {}) };
  const histogram = { min: stats.min, max: stats.max, counts: new Array<number>(HISTOGRAM_BINS).fill(0) };
  const scale = stats.max > stats.min ? HISTOGRAM_BINS / (stats.max - stats.min) : 0;
  const bin = (v: number) => {
    if (v >= stats.min && v <= stats.max) histogram.counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - stats.min) * scale))]++;
  };
  if (chunks.length) {
    for (const { data } of chunks) for (let k = 0; k + width <= data.byteLength; k += width) bin(get(data, k));
  } else {
    for (const [from, to] of ranges) {
      const bytes = await readAt(e.begin + from, to - from);
      const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let k = 0; k + width <= data.byteLength; k += width) bin(get(data, k));
    }
  }
  return { ...out, heatmap, histogram };
}

/** The checkpoint viewer's view of a safetensors file. Never throws: an unreadable or malformed file gives a
 *  view with `error` and no tensors. */
export async function readCheckpoint(file: string): Promise<CheckpointView> {
  const empty = (bytes: number, error: string): CheckpointView => ({ file, bytes, metadata: {}, tensors: [], tensorCount: 0, error });
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, "r");
    const size = (await handle.stat()).size;
    const fh = handle;
    const readAt = async (position: number, length: number) => {
      const buffer = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buffer, got, length - got, position + got);
        if (!bytesRead) throw new Error(`the file changed while it was read: ${length - got} bytes missing at ${position + got}`);
        got += bytesRead;
      }
      return buffer;
    };
    const length = headerLength(await readAt(0, Math.min(8, size)), size);
    if (typeof length !== "number") return empty(size, length.error);
    const header = parseHeader(await readAt(8, length), size);
    if ("error" in header) return empty(size, header.error);
    const roles = recurrentRoles(header.entries);
    const listed = header.entries.slice(0, MAX_TENSORS);
    const tensors: CheckpointTensor[] = [];
    for (const [i, e] of listed.entries()) {
      const role = roles.get(e.name);
      const summary = await summarizeTensor(e, (position, n) => readAt(header.base + position, n), {
        heatmap: i < MAX_HEATMAPS && FLOATS.has(e.dtype),
        gates: role?.gates,
      });
      tensors.push(
        role
          ? {
              ...summary,
              recurrent: {
                module: role.module,
                kind: role.kind,
                role: role.role,
                ...(role.layer !== undefined ? { layer: role.layer, direction: role.direction } : {}),
                hiddenSize: role.hiddenSize,
              },
            }
          : summary,
      );
    }
    return { file, bytes: size, metadata: header.metadata, tensors, tensorCount: header.entries.length };
  } catch (e) {
    return empty(0, `the file could not be read: ${(e as Error).message}`);
  } finally {
    await handle?.close().catch(() => {});
  }
}
