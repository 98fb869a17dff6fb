// The one check of a safetensors header, shared by the library's reader (safetensors.ts, which throws its result)
// and the checkpoint viewer's (runs/safetensors-file.ts, which shows it): a file's bytes are hostile input, so
// every length, offset, dtype and shape is checked against the file before a byte of data is read. Total: a
// damaged header gives `{ error }`, never a throw. Imports nothing but the dtype facts, so the extension host may
// use it without loading the library.
import { BYTES, MAX_HEADER } from "./safetensors-dtypes";

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** The number of values. */
  size: number;
  /** Byte offsets relative to the start of the data. */
  begin: number;
  end: number;
}

export interface Header {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Where the data begins in the file. */
  base: number;
}

type Checked<T> = T | { error: string };

/** A header nests three deep ({ name: { shape: [2, 3] } }); JSON.parse takes 100,000 levels, but every recursive
 *  reader after it (JSON.stringify in a message, a viewer) overflows its stack, so deeper headers are refused. */
export const MAX_DEPTH = 16;
/** Large checkpoints list thousands of tensors; a 100 MB header could list a million (seconds and a gigabyte to
 *  parse and check), so more than this is refused before JSON.parse. */
export const MAX_TENSORS = 100_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** A value as a message shows it: its JSON, cut short (a hostile header may be megabytes). */
function json(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** The header's length from the file's first 8 bytes, checked against the file's size; else why not. */
export function headerLength(first8: Uint8Array, fileSize: number): Checked<number> {
  if (fileSize < 8 || first8.byteLength < 8) return { error: `file too short for its header: ${fileSize} bytes` };
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) return { error: `header length ${length} exceeds the file (${fileSize} bytes)` };
  if (length > BigInt(MAX_HEADER)) return { error: `header length ${length} is over the limit of ${MAX_HEADER} bytes` };
  return Number(length);
}

/** The header's JSON bytes (the `length` bytes after the first 8) checked against a file of `fileSize` bytes:
 *  every tensor's dtype, shape and offsets, no overlaps, string metadata. */
export function parseHeader(text: Uint8Array, fileSize: number): Checked<Header> {
  const base = 8 + text.byteLength;
  const shape = jsonShape(text);
  if (shape.depth > MAX_DEPTH) return { error: `the header nests deeper than ${MAX_DEPTH} levels: a header is { name: { dtype, shape, data_offsets } }` };
  if (shape.members > MAX_TENSORS + 1) return tooMany(shape.members); // + 1: the metadata, if any

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(text));
  } catch (e) {
    return { error: `the header is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(header)) return { error: `the header must be a JSON object, got ${json(header)}` };
  const tensors = Object.keys(header).length - (Object.hasOwn(header, "__metadata__") ? 1 : 0);
  if (tensors > MAX_TENSORS) return tooMany(tensors);
  const dataLength = fileSize - base;
  const entries: HeaderEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const checked = checkEntry(name, entry, dataLength);
    if ("error" in checked) return checked;
    entries.push(checked);
  }
  // Sorted by where they start, each tensor must end before the next begins.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (b.begin < a.end) return { error: `tensors ${quote(a.name)} [${a.begin}, ${a.end}) and ${quote(b.name)} [${b.begin}, ${b.end}) overlap` };
  }
  const metadata = checkMetadata(header.__metadata__);
  return typeof metadata === "string" ? { error: metadata } : { entries, metadata, base };
}

const tooMany = (entries: number) => ({ error: `the header lists ${entries} entries, more than the limit of ${MAX_TENSORS} tensors` });

/** How deep `json` nests and how many members its outermost object has at most (its commas + 1), read byte by byte
 *  without recursion, strings skipped. Malformed JSON gives some answer: JSON.parse refuses it after. */
function jsonShape(json: Uint8Array): { depth: number; members: number } {
  const [QUOTE, BACKSLASH, COMMA, OPEN_OBJECT, OPEN_ARRAY, CLOSE_OBJECT, CLOSE_ARRAY] = [0x22, 0x5c, 0x2c, 0x7b, 0x5b, 0x7d, 0x5d];
  let depth = 0;
  let deepest = 0;
  let commas = 0;
  let inString = false;
  for (let i = 0; i < json.length && deepest <= MAX_DEPTH; i++) {
    const c = json[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) deepest = Math.max(deepest, ++depth);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    else if (c === COMMA && depth === 1) commas++;
  }
  return { depth: deepest, members: commas + 1 };
}

/** A tensor's name in a message, cut short: a hostile name may be megabytes. */
const quote = (name: string) => `'${name.length > 100 ? `${name.slice(0, 100)}…` : name}'`;

/** One tensor's entry, checked against its dtype, its shape and the data's length. */
function checkEntry(name: string, entry: unknown, dataLength: number): Checked<HeaderEntry> {
  const what = `tensor ${quote(name)}`;
  if (!isObject(entry)) return { error: `${what}: expected { dtype, shape, data_offsets }, got ${json(entry)}` };
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== "string" || !Object.hasOwn(BYTES, dtype))
    return { error: `${what} has unsupported dtype ${typeof dtype === "string" ? json(dtype).slice(1, -1) : json(dtype)}` };
  if (!Array.isArray(shape) || !shape.every(isCount)) return { error: `${what}: shape must be a list of integers ≥ 0, got ${json(shape)}` };
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
    return { error: `${what}: data_offsets must be [begin, end], integers ≥ 0, got ${json(offsets)}` };
  const [begin, end] = offsets as number[];
  const dims = shape as number[];
  const size = dims.reduce((a, b) => a * b, 1);
  const expected = size * BYTES[dtype];
  if (begin > end) return { error: `${what}: data_offsets [${begin}, ${end}] end before they begin` };
  if (end - begin !== expected) return { error: `${what} (${dtype} [${dims.join(", ")}]) has ${end - begin} bytes, expected ${expected}` };
  if (end > dataLength) return { error: `the file ends early: ${what} needs data bytes up to ${end}, the file has ${dataLength}` };
  return { name, dtype, shape: dims, size, begin, end };
}

/** The metadata, else why not (a string: the metadata's own keys may be anything, "error" included). */
function checkMetadata(metadata: unknown): Record<string, string> | string {
  if (metadata === undefined) return {};
  if (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === "string"))
    return `__metadata__ must map strings to strings, got ${json(metadata)}`;
  return Object.fromEntries(Object.entries(metadata as Record<string, string>));
}
