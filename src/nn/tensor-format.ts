// PyTorch's printing of tensors (torch/_tensor_str.py with the default print options: precision 4, threshold
// 1000, edgeitems 3, linewidth 80), reproduced to the character: checked against PyTorch's own text in
// test/fixtures/printing/. Numbers are rounded as Python rounds them (exactly, ties to even), not as
// JavaScript's toFixed does (ties away from zero).

/** The three kinds of values Unroll's tensors hold, as PyTorch names their dtypes. */
export type ValueKind = "float32" | "int64" | "bool";
type Value = number | boolean;

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A finite double as an exact decimal: |v| = digits × 10^-scale (digits a BigInt). */
function exactDecimal(v: number): { digits: bigint; scale: number } {
  let a = Math.abs(v);
  let k = 0;
  while (!Number.isInteger(a)) {
    a *= 2; // exact: a power of two only moves the exponent
    k++;
  }
  return { digits: BigInt(a) * 5n ** BigInt(k), scale: k };
}

/** `n / 10^drop` rounded to the nearest integer, ties to even (Python's rounding of the exact value). */
function roundDrop(n: bigint, drop: number): bigint {
  if (drop <= 0) return n * 10n ** BigInt(-drop);
  const unit = 10n ** BigInt(drop);
  const q = n / unit;
  const twice = (n % unit) * 2n;
  return twice > unit || (twice === unit && q % 2n === 1n) ? q + 1n : q;
}

const nonFinite = (v: number) => (Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
const sign = (v: number) => (v < 0 || Object.is(v, -0) ? "-" : "");

/** Python's `f"{v:.{decimals}f}"`. */
export function fixed(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  const { digits, scale } = exactDecimal(v);
  const text = roundDrop(digits, scale - decimals)
    .toString()
    .padStart(decimals + 1, "0");
  const whole = text.slice(0, text.length - decimals);
  return sign(v) + (decimals ? `${whole}.${text.slice(whole.length)}` : whole);
}

/** Python's `f"{v:.{decimals}e}"`: `1.2346e-05`. */
export function scientific(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  if (v === 0) return `${sign(v)}${(0).toFixed(decimals)}e+00`;
  const { digits, scale } = exactDecimal(v);
  const length = digits.toString().length;
  let exponent = length - 1 - scale;
  let mantissa = roundDrop(digits, length - (decimals + 1)).toString();
  if (mantissa.length > decimals + 1) {
    mantissa = mantissa.slice(0, decimals + 1); // 9.99995 rounded up to 10.0000
    exponent++;
  }
  const e = `${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  return `${sign(v)}${mantissa[0]}${decimals ? "." + mantissa.slice(1) : ""}e${e}`;
}

/** PyTorch's _Formatter: one width and one style (integers, fixed or scientific) for every value printed. */
function formatter(kind: ValueKind, values: readonly Value[]): { width: number; format: (v: Value) => string } {
  const style = (write: (v: Value) => string, widthOf: readonly Value[]) => {
    const width = widthOf.reduce<number>((w, v) => Math.max(w, write(v).length), 1);
    return { width, format: (v: Value) => write(v).padStart(width) };
  };
  if (kind !== "float32") return style(pythonStr, values);
  const shown = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
  if (!shown.length) return style(intStyle, []);
  const abs = shown.map(Math.abs);
  const [min, max] = [Math.min(...abs), Math.max(...abs)];
  const intMode = shown.every(Number.isInteger);
  if (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4)) return style((v) => scientific(v as number, PRECISION), shown);
  if (intMode) return style(intStyle, shown);
  return style((v) => fixed(v as number, PRECISION), shown);
}

/** A float that holds an integer: `3.`, `-0.`, `nan`. */
const intStyle = (v: Value) => (Number.isFinite(v) ? `${fixed(v as number, 0)}.` : nonFinite(v as number));

/** Python's str() of an int or a bool. */
const pythonStr = (v: Value) => (typeof v === "boolean" ? (v ? "True" : "False") : String(v));

/** The flat indices of the values a summarised print shows: the first and last EDGE along every dim. */
function shownIndices(shape: readonly number[], summarise: boolean): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number) => {
    if (dim === shape.length) return void out.push(offset);
    const stride = count(shape.slice(dim + 1));
    for (const i of printed(shape[dim], summarise)) if (i >= 0) walk(dim + 1, offset + i * stride);
  };
  walk(0, 0);
  return out;
}

/** The indices along a dim of size `n` that are printed; -1 stands for the "..." between the two ends. */
function printed(n: number, summarise: boolean): number[] {
  if (!summarise || n <= 2 * EDGE) return [...Array(n).keys()];
  const last = Array.from({ length: EDGE }, (_, i) => n - EDGE + i);
  return [...Array(EDGE).keys(), -1, ...last];
}

/** The bracketed values of a non-empty tensor, as PyTorch's _tensor_str writes them after `tensor(`. */
function body(values: readonly Value[], shape: readonly number[], kind: ValueKind, indent: number): string {
  const summarise = values.length > THRESHOLD;
  const { width, format } = formatter(
    kind,
    shownIndices(shape, summarise).map((i) => values[i]),
  );
  if (!shape.length) return format(values[0]);
  const strides = shape.map((_, i) => count(shape.slice(i + 1)));
  const ends = (n: number) => printed(n, summarise);

  const vector = (offset: number, indent: number): string => {
    const n = shape[shape.length - 1];
    const data = ends(n).map((i) => (i < 0 ? " ..." : format(values[offset + i])));
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
    return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
  };
  const block = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length - 1) return vector(offset, indent);
    const parts = ends(shape[dim]).map((i) => (i < 0 ? "..." : block(dim + 1, offset + i * strides[dim], indent + 1)));
    return "[" + parts.join("," + "\n".repeat(shape.length - dim - 1) + " ".repeat(indent + 1)) + "]";
  };
  return block(0, 0, indent);
}

/** What PyTorch prints for a tensor: `tensor([[ 0.5000, -1.2500]], grad_fn=<TanhBackward0>)`. `gradFn` names the
 *  node that made it; `requiresGrad` marks a leaf that requires grad (printed only without `gradFn`). */
export function tensorText(values: readonly Value[], shape: readonly number[], kind: ValueKind, gradFn?: string, requiresGrad = false): string {
  const prefix = "tensor(";
  const suffixes: string[] = [];
  let text: string;
  if (values.length === 0) {
    if (shape.length !== 1) suffixes.push(`size=${pythonTuple(shape)}`);
    if (kind !== "float32") suffixes.push(`dtype=torch.${kind}`);
    text = "[]";
  } else {
    text = body(values, shape, kind, prefix.length);
  }
  if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + text, suffixes, prefix.length);
}

/** PyTorch's _add_suffixes: each suffix on the last line while it fits in the line width, else on a new line. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number): string {
  let lastLine = text.length - text.lastIndexOf("\n") + 1;
  let out = text;
  for (const suffix of suffixes) {
    if (lastLine + suffix.length + 2 > LINEWIDTH) {
      out += ",\n" + " ".repeat(indent) + suffix;
      lastLine = indent + suffix.length;
    } else {
      out += ", " + suffix;
      lastLine += suffix.length + 2;
    }
  }
  return out + ")";
}

/** Python's str() of a tuple of ints: `(0, 3)`, `(5,)`. */
const pythonTuple = (shape: readonly number[]) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`);
