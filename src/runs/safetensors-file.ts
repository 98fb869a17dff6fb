// A safetensors file summarised for the checkpoint viewer, read by the extension host without the library: the
// header checked totally (common/safetensors-header.ts, the library's own check: a .safetensors file is hostile input,
// every length, offset and shape is checked against the file before a byte of data is read), then each tensor's
// values read in bounded chunks for its statistics, histogram, downsampled heatmap and, for a recurrent weight,
// per-gate statistics (value-summary.ts). A tensor larger than MAX_TENSOR_READ is sampled in evenly spaced
// chunks; nothing is ever read whole.
import * as fsp from "node:fs/promises";
import type { CheckpointTensor, CheckpointView } from "../common/protocol";
import { bfloat16ToFloat, BYTES, halfToFloat } from "../common/safetensors-dtypes";
import { headerLength, parseHeader, type Header, type HeaderEntry } from "../common/safetensors-header";
import { openChosenFile } from "./read-file";
import { recurrentRoles, type RecurrentRole } from "./recurrent-weights";
import { HeatmapBins, HistogramBins, Running } from "./value-summary";

export type { Header, HeaderEntry };

export const FLOATS = new Set(["F64", "F32", "F16", "BF16"]);
/** The most tensors listed, and the most with a histogram and heatmap (each a few tens of kilobytes). */
export const MAX_TENSORS = 5000;
export const MAX_HEATMAPS = 300;
/** Bytes of one tensor read at most; past it, SAMPLE_CHUNKS evenly spaced chunks of CHUNK bytes. */
export const MAX_TENSOR_READ = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const SAMPLE_CHUNKS = 32;
/** The most dimensions a tensor the viewer shows may have (a hostile header could list a million). */
const MAX_DIMS = 16;
/** A tensor of at most this many values is kept decoded between the statistics and the histogram (two passes);
 *  a larger one is read again. */
const KEEP_VALUES = 4 * 1024 * 1024;

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

export type ReadAt = (position: number, length: number) => Promise<Uint8Array>;

/** Values of a tensor from flat index `first` on, decoded. */
export interface ValueChunk {
  first: number;
  values: Float64Array;
}

/** The values of one tensor, chunk by chunk; each call starts a new pass. */
export type ValueSource = () => AsyncIterable<ValueChunk>;

/** Decodes little-endian values of `dtype`. */
export function decode(dtype: string, bytes: Uint8Array): Float64Array {
  const width = BYTES[dtype];
  const get = reader(dtype);
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(Math.floor(bytes.byteLength / width));
  for (let k = 0; k < out.length; k++) out[k] = get(data, k * width);
  return out;
}

/** Element ranges [from, to) of a tensor of `size` values to read, planned as readPlan does for the widest dtype
 *  that will be read (so that every file's reads stay within MAX_TENSOR_READ bytes). */
export function valuePlan(size: number, width: number): { ranges: [number, number][]; sampled: boolean } {
  const { ranges, sampled } = readPlan(size * width, width);
  return { ranges: ranges.map(([a, b]) => [a / width, b / width]), sampled };
}

/** A tensor's values in the ranges planned, read through `readAt` (relative to the data's start). */
export function tensorValues(e: HeaderEntry, readAt: ReadAt, ranges: readonly [number, number][]): ValueSource {
  const width = BYTES[e.dtype];
  return async function* () {
    for (const [from, to] of ranges) yield { first: from, values: decode(e.dtype, await readAt(e.begin + from * width, (to - from) * width)) };
  };
}

/** One tensor's summary from its values (all of them, or the sample `source` yields when `sampled`): statistics of
 *  the finite values, and with `heatmap` a histogram and a heatmap; with `gates`, statistics per gate block. */
export async function summarizeValues(
  e: Pick<HeaderEntry, "name" | "dtype" | "shape" | "size">,
  source: ValueSource,
  options: { heatmap: boolean; gates?: string[]; sampled?: boolean },
): Promise<CheckpointTensor> {
  const gates = options.gates && options.gates.length > 1 ? options.gates.length : 1;
  const rows = e.shape.length >= 2 ? e.shape[0] : 1;
  const cols = rows ? e.size / rows : 0;
  // Gate blocks run along the first dimension: a matrix's rows, a bias's single row of columns.
  const unitsAlong = e.shape.length >= 2 ? rows : e.size;
  const gateOf = (i: number) => Math.min(gates - 1, Math.floor(((e.shape.length >= 2 ? Math.floor(i / cols) : i) * gates) / Math.max(1, unitsAlong)));
  const all = new Running();
  const perGate = Array.from({ length: gates }, () => new Running());
  const bins = options.heatmap && e.size > 0 ? new HeatmapBins(e.shape, gates) : null;
  const kept: ValueChunk[] | null = bins && e.size <= KEEP_VALUES ? [] : null;
  let nonFinite = 0;
  for await (const chunk of source()) {
    const { first, values } = chunk;
    for (let k = 0; k < values.length; k++) {
      const v = values[k];
      if (!Number.isFinite(v)) {
        nonFinite++;
        continue;
      }
      all.add(v);
      if (gates > 1) perGate[gateOf(first + k)].add(v);
      bins?.add(first + k, v);
    }
    kept?.push(chunk);
  }
  const stats = all.stats();
  const out: CheckpointTensor = {
    name: e.name,
    dtype: e.dtype,
    shape: e.shape,
    ...stats,
    nonFinite,
    ...(options.sampled ? { sampled: all.n + nonFinite } : {}),
  };
  if (gates > 1) Object.assign(out, { gates: options.gates, gateStats: perGate.map((g) => g.stats()) });
  if (!bins) return out;
  const histogram = new HistogramBins(stats.min, stats.max);
  for await (const { values } of kept ?? source()) for (let k = 0; k < values.length; k++) histogram.add(values[k]);
  return { ...out, heatmap: bins.heatmap(options.sampled), histogram: histogram.histogram() };
}

/** One tensor's summary, its data read through `readAt` (relative to the data's start). */
export function summarizeTensor(e: HeaderEntry, readAt: ReadAt, options: { heatmap: boolean; gates?: string[] }): Promise<CheckpointTensor> {
  const { ranges, sampled } = valuePlan(e.size, BYTES[e.dtype]);
  return summarizeValues(e, tensorValues(e, readAt, ranges), { ...options, sampled });
}

/** What the viewer says of a recurrent weight (its module, kind, layer and direction). */
export function withRole(summary: CheckpointTensor, role: RecurrentRole | undefined): CheckpointTensor {
  if (!role) return summary;
  const recurrent = {
    module: role.module,
    kind: role.kind,
    role: role.role,
    ...(role.layer !== undefined ? { layer: role.layer, direction: role.direction } : {}),
    hiddenSize: role.hiddenSize,
  };
  return { ...summary, recurrent };
}

/** An open safetensors file with its header checked, reading at most what is asked (relative to the data). */
export interface OpenSafetensors {
  size: number;
  header: Header;
  readData: ReadAt;
}

/** Opens `file`, checks its header and runs `use` on it, closing the file after. Never throws: a file that cannot
 *  be read, or whose header is damaged, gives `{ error, size }`; so does an error inside `use`. */
export async function withSafetensors<T>(file: string, use: (f: OpenSafetensors) => Promise<T>): Promise<{ value: T } | { error: string; size: number }> {
  let handle: fsp.FileHandle | undefined;
  let size = 0;
  try {
    handle = await openChosenFile(file); // a regular file only: a FIFO would block, /dev/zero has no end
    size = (await handle.stat()).size;
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
    if (typeof length !== "number") return { error: length.error, size };
    const header = parseHeader(await readAt(8, length), size);
    if ("error" in header) return { error: header.error, size };
    const deep = header.entries.find((e) => e.shape.length > MAX_DIMS);
    if (deep) return { error: `tensor '${deep.name.slice(0, 100)}' has ${deep.shape.length} dimensions, more than the viewer shows (${MAX_DIMS})`, size };
    return { value: await use({ size, header, readData: (position, n) => readAt(header.base + position, n) }) };
  } catch (e) {
    return { error: `the file could not be read: ${(e as Error).message}`, size };
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** The checkpoint viewer's view of a safetensors file. Never throws: an unreadable or malformed file gives a
 *  view with `error` and no tensors. */
export async function readCheckpoint(file: string): Promise<CheckpointView> {
  const view = await withSafetensors(file, async ({ size, header, readData }) => {
    const roles = recurrentRoles(header.entries);
    const tensors: CheckpointTensor[] = [];
    for (const [i, e] of header.entries.slice(0, MAX_TENSORS).entries()) {
      const role = roles.get(e.name);
      const summary = await summarizeTensor(e, readData, { heatmap: i < MAX_HEATMAPS && FLOATS.has(e.dtype), gates: role?.gates });
      tensors.push(withRole(summary, role));
    }
    return { file, bytes: size, metadata: header.metadata, tensors, tensorCount: header.entries.length };
  });
  return "error" in view ? { file, bytes: view.size, metadata: {}, tensors: [], tensorCount: 0, error: view.error } : view.value;
}
