// Reading the run store's files back, whatever they hold: every function here takes text (or parsed JSON) that
// a user, another process or a dying process wrote, and returns data plus what could not be read; none
// throws. Plain data only (no "fs", no "unroll"), so the CLI, the extension host and tests share it.
import { MAX_POINTS } from "../common/run-reducer";
import {
  isGpuMemory,
  setOwn,
  type BestMetric,
  type GradientWarning,
  type Hyperparameters,
  type LayerDynamics,
  type SampleTokens,
  isSampleTokens,
  type ParameterSnapshot,
  type CurveState,
  type Point,
  type RunEvent,
  type RunInfo,
  type RunStatus,
  type SweepMark,
} from "../common/protocol";

export type StepLine = Extract<RunEvent, { type: "step" }>;
export type EpochLine = Extract<RunEvent, { type: "epoch" }>;
export type MetricLine = StepLine | EpochLine;

/** What `snapshots/<step>.json` holds. */
export interface SnapshotFile {
  epoch: number;
  step: number;
  parameters: ParameterSnapshot[];
  dynamics: LayerDynamics[];
  /** The sample's tokens along the time axis, when the experiment says them (`sampleTokens`). */
  tokens?: SampleTokens;
  /** Set when the file's size cap reduced it: every `timeStride`-th time step of the dynamics, heatmaps at
   *  most `heatmapMax` cells a side. */
  reduced?: { maxBytes: number; timeStride: number; heatmapMax?: number };
}

const STATUSES: RunStatus[] = ["running", "completed", "stopped", "failed", "interrupted"];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === "string";

function parseJson(text: string): { value: unknown } | { error: string } {
  if (!text.trim()) return { error: "empty" };
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: "not JSON" };
  }
}

/** run.json's text (null: the file is missing) as a complete RunInfo: fields that are missing or of the wrong
 *  type get a neutral value (id and name: the folder's name) and are named in `damaged`. */
export function parseRunInfo(text: string | null, folderName: string): { info: RunInfo; damaged?: string } {
  const problems: string[] = [];
  let raw: Json = {};
  if (text === null) problems.push("run.json is missing");
  else {
    const parsed = parseJson(text);
    if ("error" in parsed) problems.push(`run.json is ${parsed.error}`);
    else if (!isObject(parsed.value)) problems.push("run.json is not an object");
    else raw = parsed.value;
  }
  const whole = problems.length === 0; // name the bad fields only of a file that is an object
  const bad = (key: string, v: unknown) => whole && problems.push(v === undefined ? `run.json lacks ${key}` : `run.json's ${key} is ${describe(v)}`);
  const field = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => (ok(raw[key]) ? (raw[key] as T) : (bad(key, raw[key]), fallback));
  /** An optional field: absent, or of the right type (else named as damaged and left out). */
  const optional = <T>(key: string, ok: (v: unknown) => v is T): { [k: string]: T } => {
    const v = raw[key];
    if (v === undefined) return {};
    if (ok(v)) return { [key]: v };
    bad(key, v);
    return {};
  };
  const config = isObject(raw.config) ? raw.config : (bad("config", raw.config), {} as Json);
  const configField = <T>(key: string, ok: (v: unknown) => v is T, fallback: T): T => (ok(config[key]) ? (config[key] as T) : fallback);
  const metrics = raw.finalMetrics === undefined ? undefined : parseMetrics(raw.finalMetrics);
  if (metrics === null) bad("finalMetrics", raw.finalMetrics);
  const hparams = raw.hparams === undefined ? undefined : parseHparams(raw.hparams);
  if (hparams === null) bad("hparams", raw.hparams);
  const best = raw.best === undefined ? undefined : parseBest(raw.best);
  if (best === null) bad("best", raw.best);
  const sweep = raw.sweep === undefined ? undefined : parseSweepMark(raw.sweep);
  if (sweep === null) bad("sweep", raw.sweep);
  const e = raw.error;
  if (e !== undefined && !(isObject(e) && isString(e.message))) bad("error", e);
  const info: RunInfo = {
    id: folderName, // the folder is the run: an id inside the file that says otherwise is ignored
    name: field("name", isString, folderName),
    file: field("file", isString, ""),
    status: field("status", (v): v is RunStatus => STATUSES.includes(v as RunStatus), "interrupted"),
    pid: field("pid", (v): v is number => Number.isInteger(v), 0),
    ...optional("pidStart", isString),
    backend: field("backend", isString, ""),
    backendName: raw.backendName === undefined ? "" : field("backendName", isString, ""), // absent in older runs: not damage
    startedAt: field("startedAt", isString, ""),
    ...optional("endedAt", isString),
    config: {
      epochs: configField("epochs", isNumber, 0),
      model: configField("model", isString, ""),
      parameterCount: configField("parameterCount", isNumber, 0),
      optimizer: configField("optimizer", isString, ""),
      snapshotEvery: configField("snapshotEvery", isNumber, 0),
    },
    ...(hparams ? { hparams } : {}),
    ...(sweep ? { sweep } : {}),
    ...optional("epoch", isNumber),
    ...optional("finalLoss", isNumber),
    ...(metrics ? { finalMetrics: metrics } : {}),
    ...(best ? { best } : {}),
    ...(isObject(e) && isString(e.message) ? { error: runnerError(e, e.message) } : {}),
    ...optional("gradientWarnings", (v): v is GradientWarning[] => Array.isArray(v) && v.every(isGradientWarning)),
    ...optional("gradientWarningCount", (v): v is number => Number.isInteger(v) && (v as number) >= 0),
  };
  return problems.length ? { info, damaged: problems.join("; ") } : { info };
}

const isGradientWarning = (w: unknown): w is GradientWarning =>
  isObject(w) &&
  isString(w.parameter) &&
  (w.kind === "vanishing" || w.kind === "exploding") &&
  isNumber(w.step) &&
  isNumber(w.epoch) &&
  isNumber(w.norm) &&
  isNumber(w.median);

function runnerError(e: Json, message: string): NonNullable<RunInfo["error"]> {
  const l = e.location;
  const location =
    isObject(l) && isString(l.file) && isNumber(l.line) && isNumber(l.column) ? { location: { file: l.file, line: l.line, column: l.column } } : {};
  return { kind: isString(e.kind) ? (e.kind as never) : "internal", message, ...location, ...(isString(e.stack) ? { stack: e.stack } : {}) };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the text ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "…" : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function parseMetrics(v: unknown): Record<string, number | string> | null {
  if (!isObject(v)) return null;
  const out: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(v)) {
    if (typeof value === "number" || typeof value === "string")
      setOwn(out, key, value); // `__proto__` too
    else if (value === null)
      setOwn(out, key, NaN); // JSON writes NaN as null
    else return null;
  }
  return out;
}

/** run.json's `hparams`: an object of numbers, strings and booleans; null for anything else. */
function parseHparams(v: unknown): Hyperparameters | null {
  if (!isObject(v)) return null;
  const ok = Object.values(v).every((x) => isNumber(x) || isString(x) || typeof x === "boolean");
  return ok ? (v as Hyperparameters) : null;
}

/** The most points a sweep has, and the longest sweep id and hparam name a sweep mark holds. */
export const MAX_SWEEP_POINTS = 10_000;
const MAX_SWEEP_TEXT = 200;
const MAX_SWEEP_NAMES = 64;

/** run.json's `sweep` (and the training process's --sweep): an id, an index below the size, the names swept (short
 *  texts, at least one); null for anything else. */
export function parseSweepMark(v: unknown): SweepMark | null {
  if (!isObject(v)) return null;
  const { id, index, size, names } = v;
  const text = (x: unknown): x is string => isString(x) && x.length > 0 && x.length <= MAX_SWEEP_TEXT;
  if (!text(id) || !Number.isInteger(size) || !Number.isInteger(index)) return null;
  if (!((size as number) >= 1 && (size as number) <= MAX_SWEEP_POINTS && (index as number) >= 0 && (index as number) < (size as number))) return null;
  if (!Array.isArray(names) || !names.length || names.length > MAX_SWEEP_NAMES || !names.every(text)) return null;
  return { id, index: index as number, size: size as number, names: [...names] };
}

/** run.json's `best`: per metric, its best value, epoch and goal; null for anything else. */
function parseBest(v: unknown): Record<string, BestMetric> | null {
  if (!isObject(v)) return null;
  const out: Record<string, BestMetric> = {};
  for (const [key, b] of Object.entries(v)) {
    if (!isObject(b) || !isNumber(b.value) || !isNumber(b.epoch) || (b.goal !== "min" && b.goal !== "max")) return null;
    setOwn(out, key, { value: b.value, epoch: b.epoch, goal: b.goal });
  }
  return out;
}

/** A step line's gradient norms by parameter: the entries that are numbers (JSON writes NaN and infinities as
 *  null: those stay NaN); undefined when absent (older runs) or not an object. */
export function parseGradNorms(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, number> = {};
  for (const name in v) {
    const norm = v[name];
    if (typeof norm === "number") setOwn(out, name, norm);
    else if (norm === null) setOwn(out, name, NaN);
  }
  return out;
}

/** One metrics.jsonl line, or null for anything that is not a well-formed step or epoch line. */
export function parseMetricLine(line: string): MetricLine | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(v) || !isNumber(v.epoch)) return null;
  const time = isNumber(v.time) ? v.time : 0;
  const loss = isNumber(v.loss) ? v.loss : v.loss === null ? NaN : undefined; // JSON writes a NaN loss as null
  if (loss === undefined) return null;
  if (v.type === "step" && isNumber(v.step)) {
    const gradNorms = parseGradNorms(v.gradNorms);
    const gpuMemory = isGpuMemory(v.gpuMemory) ? { gpuMemory: { inUse: v.gpuMemory.inUse, allocated: v.gpuMemory.allocated } } : {};
    return {
      type: "step",
      epoch: v.epoch,
      step: v.step,
      loss,
      lr: isNumber(v.lr) ? v.lr : NaN,
      time,
      ...(gradNorms ? { gradNorms } : {}),
      ...gpuMemory,
    };
  }
  if (v.type === "epoch") return { type: "epoch", epoch: v.epoch, loss, metrics: parseMetrics(v.metrics ?? {}) ?? {}, time };
  return null;
}

export { LossCurve, MAX_POINTS } from "../common/run-reducer";
export type { CurveState } from "../common/protocol";

/** What `summary.json` holds: the sparkline so far, and how much of metrics.jsonl it covers. A reader folds in
 *  the lines after `metricsBytes` (at most a few seconds' worth) instead of reading the whole file. */
export interface SummaryFile {
  version: 1;
  metricsBytes: number;
  steps: number;
  skipped: number;
  curve: CurveState;
}

/** A loss, where JSON wrote a NaN as null. */
const isLoss = (v: unknown): v is number | null => v === null || isNumber(v);
const lossOf = (v: number | null) => (v === null ? NaN : v);
const isPoint = (v: unknown): v is [number, number | null] => Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isLoss(v[1]);

export function parseSummary(text: string | null): SummaryFile | null {
  if (text === null) return null;
  const parsed = parseJson(text);
  if ("error" in parsed || !isObject(parsed.value)) return null;
  const v = parsed.value;
  const c = v.curve;
  const count = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
  if (v.version !== 1 || !count(v.metricsBytes) || !count(v.steps) || !count(v.skipped) || !isObject(c)) return null;
  if (!(count(c.bucket) && c.bucket >= 1) || !Array.isArray(c.points) || c.points.length > MAX_POINTS || !c.points.every(isPoint)) return null;
  const p = c.partial;
  if (!(Array.isArray(p) && p.length === 3 && isNumber(p[0]) && isLoss(p[1]) && count(p[2]))) return null;
  return {
    version: 1,
    metricsBytes: v.metricsBytes,
    steps: v.steps,
    skipped: v.skipped,
    curve: {
      bucket: c.bucket,
      points: (c.points as [number, number | null][]).map(([x, y]): Point => [x, lossOf(y)]),
      partial: [p[0], lossOf(p[1]), p[2]],
    },
  };
}

const isNumberOrNull = (v: unknown) => v === null || typeof v === "number";
const isNumberArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNumberOrNull);
const isGrid = (v: unknown): v is number[][] => Array.isArray(v) && v.every(isNumberArray);

function checkParameter(p: unknown): string | null {
  if (!isObject(p) || !isString(p.name)) return "a parameter without a name";
  const h = p.histogram;
  const m = p.heatmap;
  if (!isNumberArray(p.shape)) return `${p.name}'s shape`;
  for (const key of ["mean", "std", "min", "max", "norm"]) if (!isNumberOrNull(p[key])) return `${p.name}'s ${key}`;
  if (!isNumberOrNull(p.gradNorm ?? null)) return `${p.name}'s gradNorm`;
  if (!isObject(h) || !isNumberOrNull(h.min) || !isNumberOrNull(h.max) || !isNumberArray(h.counts)) return `${p.name}'s histogram`;
  if (
    !isObject(m) ||
    !Number.isInteger(m.rows) ||
    !Number.isInteger(m.cols) ||
    !isNumberArray(m.values) ||
    m.values.length !== (m.rows as number) * (m.cols as number)
  )
    return `${p.name}'s heatmap`;
  return null;
}

function checkLayer(l: unknown): string | null {
  if (!isObject(l) || !isString(l.module) || !isString(l.kind) || !isNumber(l.layer)) return "a layer without module, kind and layer";
  const name = `${l.module} layer ${l.layer}`;
  if (!isGrid(l.hidden)) return `${name}'s hidden states`;
  if (l.cell !== undefined && !isGrid(l.cell)) return `${name}'s cell states`;
  if (
    l.gates !== undefined &&
    !(isObject(l.gates) && Array.isArray(l.gates.names) && l.gates.names.every(isString) && Array.isArray(l.gates.values) && l.gates.values.every(isGrid))
  )
    return `${name}'s gates`;
  if (l.gradNorms !== undefined && !isNumberArray(l.gradNorms)) return `${name}'s gradient norms`;
  return null;
}

/** A snapshot file's text, checked deep enough that the explorer can draw it; else why not. */
export function parseSnapshot(text: string): SnapshotFile | { damaged: string } {
  const parsed = parseJson(text);
  if ("error" in parsed) return { damaged: parsed.error };
  const v = parsed.value;
  if (!isObject(v) || !isNumber(v.epoch) || !isNumber(v.step) || !Array.isArray(v.parameters) || !Array.isArray(v.dynamics))
    return { damaged: "not a snapshot" };
  const bad =
    v.parameters.map(checkParameter).find((x) => x) ??
    v.dynamics.map(checkLayer).find((x) => x) ??
    (v.tokens !== undefined && !isSampleTokens(v.tokens) ? "tokens" : null);
  return bad ? { damaged: `malformed ${bad}` } : (v as unknown as SnapshotFile);
}

/** A name or path for a terminal: control characters (escape sequences), and the marks that reorder text,
 *  as visible escapes. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
