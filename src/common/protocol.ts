// Every message between the runner (child processes), the extension host and the webview, typed, in one
// place. Plain data only, and no code it imports: the two records the library itself makes (a layer's dynamics,
// a recurrent module's sizes) are declared once, there, and imported as types (erased at build time).
import type { DynamicsRecord, RecurrentConfig } from "./dynamics-types";
import { isRunId } from "./run-id";

export type { RecurrentConfig };

/** 1-based line and column in a user's file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

// ---------------------------------------------------------------------------------------------------
// Errors

export type RunnerErrorKind =
  | "compile" // syntax or import error in the model file
  | "export" // an experiment lacks or misdeclares an export
  | "shape" // a ShapeError from the library
  | "usage" // an OptionError or UsageError from the library: an option, a state or a call PyTorch refuses too
  | "runtime" // anything the user's code threw
  | "nan" // the loss became NaN or infinite
  | "timeout" // a trace ran out of time
  | "store" // the run store could not be written (the disk is full, the folder went away)
  | "internal"; // a bug in Unroll

export interface RunnerError {
  kind: RunnerErrorKind;
  message: string;
  /** Where in the user's file, when known. */
  location?: SourceLocation;
  /** The user's frames of the stack, source-mapped. */
  stack?: string;
  /** For an error in an experiment's training step (a trace's or a run's): the experiment's export, which led to
   *  `location` (inside the model's `forward`, say). */
  via?: SourceLocation;
  /** For a ShapeError: its fields, so that tools can explain it in the user's language under PyTorch's wording. */
  shape?: ShapeProblem;
}

/** A library ShapeError as data: the module (printed with its configuration), the operand ("input", "h0",
 *  "target"), its shape, and, when the library says it as data, what was expected: the last dimension's size and
 *  name, or the whole shape. */
export interface ShapeProblem {
  module: string;
  operand: string;
  got: number[];
  expected?: { lastDim: number; name: string } | { shape: number[] };
}

// ---------------------------------------------------------------------------------------------------
// Languages

/** The webviews' strings in VS Code's language, written by the host into their HTML (`<body data-l10n="…">`, JSON)
 *  so that the first render speaks it: `language` is VS Code's ("en", "zh-cn"), `bundle` maps each English
 *  message to its translation (l10n/bundle.l10n.<language>.json; empty in English). */
export interface WebviewL10n {
  language: string;
  bundle: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Shape traces

export interface TracedShape {
  /** "input", "h0", "out", "h_n", "c_n", … */
  name: string;
  shape: number[];
  /** Set for a PackedSequence (`shape` is its data's): how many sequences run at each time step. */
  packed?: { batchSizes: number[] };
}

export interface TracedParameter {
  name: string;
  shape: number[];
  count: number;
}

export interface TraceEntry {
  /** "module": a construction (`new nn.LSTM(…)`); "call": `module.forward(…)`; "tensor": `torch.randn(…)` and friends. */
  kind: "module" | "call" | "tensor";
  location: SourceLocation;
  /** The class name: "LSTM", "Net", or the factory: "randn". */
  name: string;
  /** The printed form: "LSTM(100, 20, num_layers=2)". */
  config?: string;
  /** For a recurrent module (its construction or its call): its sizes and layout. */
  recurrent?: RecurrentConfig;
  parameters?: TracedParameter[];
  parameterCount?: number;
  /** Set on a construction whose module became a submodule of another traced module (whose parameters include
   *  its own), so that totals count only top-level modules. */
  submodule?: boolean;
  inputs?: TracedShape[];
  outputs?: TracedShape[];
  /** How many times this site ran (a call in a loop runs many times; shapes are the first run's). */
  count: number;
  /** Set when later runs of this site had other shapes than the first. */
  varying?: boolean;
  /** The error raised at this site, if it failed there. */
  error?: string;
  /** When that error is a ShapeError: its fields. */
  shapeError?: ShapeProblem;
}

export interface Trace {
  file: string;
  entries: TraceEntry[];
  /** What stopped the trace early; entries recorded before it are kept. */
  error?: RunnerError;
  durationMs: number;
  backend: string;
  /** For a file that exports an experiment: the example batch its training step was traced on. */
  experiment?: ExperimentTrace;
}

/** How an experiment was traced: `model()`, then one training step's forward and loss (or its custom `step`)
 *  on an example batch, without updating a parameter. */
export interface ExperimentTrace {
  /** Where the batch came from: the experiment's `trace.batch()`, `sample(data())`, or the first training
   *  batch of `data()`. */
  batchFrom: "trace.batch" | "sample" | "data";
  /** The batch's tensors: input (tuples flattened), then target. */
  batch: TracedShape[];
  /** True when the batch was kept from an earlier trace of the same file: `data()` did not run again. */
  cached: boolean;
  /** How long making the batch took, in milliseconds (0 when cached). */
  batchMs: number;
  /** The experiment's declared `hparams` (absent when it declares none): what "Train with…" and "Sweep…" offer. */
  hparams?: Hyperparameters;
}

// ---------------------------------------------------------------------------------------------------
// Training runs

export type RunStatus = "running" | "completed" | "stopped" | "failed" | "interrupted";

/** What `run.json` holds (and the `start` event carries). */
export interface RunInfo {
  id: string; // the run folder's name: "20261122-193000-hello"
  name: string;
  file: string;
  status: RunStatus;
  pid: number;
  /** When the process with `pid` started, as the OS says (Linux: /proc/<pid>/stat's starttime), so that a pid
   *  reused by another process after this one died is not taken for the run. */
  pidStart?: string;
  backend: string; // the backend report's summary: "wasm (WebAssembly with SIMD, embedded) — skipped …"
  backendName: string; // the backend in use: "wasm + native" (with the native kernels), "wasm", "cpu", "tfjs-node", … ("" in runs from before it was recorded)
  startedAt: string; // ISO time
  endedAt?: string;
  config: {
    epochs: number;
    model: string; // printed form
    parameterCount: number;
    optimizer: string;
    snapshotEvery: number;
  };
  /** The configuration the run was made with, as typed values, for comparing runs (absent in runs from before it
   *  was recorded; see Hyperparameters). */
  hparams?: Hyperparameters;
  /** The run's place in a sweep (`unroll sweep`, "Unroll: Sweep…"); absent for a run of its own. */
  sweep?: SweepMark;
  /** The last epoch reached and its metrics. */
  epoch?: number;
  finalLoss?: number;
  finalMetrics?: Record<string, number | string>;
  /** The best epoch value of the loss ("loss") and of each numeric metric so far (absent in older runs). */
  best?: Record<string, BestMetric>;
  error?: RunnerError;
  /** Gradient norms that fell far below or rose far above their running median while training (the first
   *  MAX_WARNINGS of them; `gradientWarningCount` counts them all). */
  gradientWarnings?: GradientWarning[];
  gradientWarningCount?: number;
  /** Set when a stop ended the process: its step had not ended `afterMs` after the stop. `location`: the line of the
   *  model file it was running, when known. */
  halted?: { afterMs: number; location?: SourceLocation };
}

/**
 * A run's configuration, flat: what defineExperiment was given that is a number, string or boolean ("epochs",
 * "clipGradNorm"), the optimizer's class ("optimizer": "Adam") and its options read from the instance ("lr",
 * "betas[0]", "eps", …), the scheduler's class and options ("scheduler": "StepLR", "scheduler.gamma"), the first
 * batch's size ("batchSize": its target's first dimension), and the experiment's own `hparams` (which win a clash).
 */
export type Hyperparameters = Record<string, number | string | boolean>;

/** A run's place in a sweep: the runs with one `id` are one sweep, point `index` of `size`, varying `names`. */
export interface SweepMark {
  id: string;
  index: number;
  size: number;
  /** The hparams the sweep varies, in the order given. */
  names: string[];
}

/** The best value a metric reached, at which epoch, and which way is better ("min" for a loss, an error…). */
export interface BestMetric {
  value: number;
  epoch: number;
  goal: "min" | "max";
}

/** A parameter's gradient norm at one step, far from its running median (over the steps before it). */
export interface GradientWarning {
  /** The parameter's PyTorch name: "rnn.weight_hh_l0". */
  parameter: string;
  kind: "vanishing" | "exploding";
  step: number;
  epoch: number;
  norm: number;
  median: number;
}

export interface Histogram {
  min: number;
  max: number;
  counts: number[];
}

/** A weight matrix's values for a heatmap, downsampled by averaging blocks when large. */
export interface Heatmap {
  rows: number;
  cols: number;
  /** Row-major, rows × cols. */
  values: number[];
  /** The original shape, when the values were downsampled. */
  downsampledFrom?: number[];
}

export interface ParameterSnapshot {
  name: string;
  shape: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  norm: number;
  gradNorm: number | null;
  histogram: Histogram;
  heatmap: Heatmap;
  /** Gate blocks along the first dimension, in order ("i f g o" for LSTM, "r z n" for GRU). */
  gates?: string[];
  layer?: number;
  direction?: "forward" | "reverse";
}

/** A recurrent layer's behaviour on one sample — states and gates over time, gradient norms through time — as the
 *  library records it (DynamicsRecord) and a snapshot stores it. */
/** The label of each time step of the recorded sample (its tokens: "h", "e", "l", …), null where it is padding: the
 *  experiment's `sampleTokens` says them. At most MAX_TOKENS, each at most MAX_TOKEN_TEXT characters. */
export type SampleTokens = (string | null)[];
export const MAX_TOKENS = 10_000;
export const MAX_TOKEN_TEXT = 32;

/** Tokens as a reader takes them from a file or a process: the array when well formed and within the caps, else null. */
export function isSampleTokens(v: unknown): v is SampleTokens {
  return Array.isArray(v) && v.length <= MAX_TOKENS && v.every((t) => t === null || (typeof t === "string" && t.length <= MAX_TOKEN_TEXT));
}

export interface LayerDynamics extends DynamicsRecord {
  /** Set when the snapshot file's size cap kept only every `timeStride`-th time step (t = 0, k, 2k, …) of
   *  `timeSteps` in hidden, cell and gates; gradNorms keep every step. */
  timeStride?: number;
  timeSteps?: number;
}

/** GPU memory in bytes as the WebGPU backend counts it after a step (tfjs's `numBytesInGPU`,
 *  `numBytesAllocatedInGPU`): `inUse` by live tensors, `allocated` with the buffers it keeps for reuse. */
export interface GpuMemory {
  inUse: number;
  allocated: number;
}

export type RunEvent =
  | { type: "start"; run: RunInfo }
  | { type: "log"; stream: "stdout" | "stderr"; text: string }
  /** `gradNorms`: each parameter's gradient norm (PyTorch names) after backward, before clipping and the optimizer
   *  step; absent in runs from before it was recorded. `gpuMemory`: only on the WebGPU backend. */
  | {
      type: "step";
      epoch: number;
      step: number;
      loss: number;
      lr: number;
      time: number;
      gradNorms?: Record<string, number>;
      gpuMemory?: GpuMemory;
    }
  | { type: "epoch"; epoch: number; loss: number; metrics: Record<string, number | string>; time: number }
  | { type: "gradientWarning"; warning: GradientWarning }
  | { type: "snapshot"; epoch: number; step: number; parameters: ParameterSnapshot[] }
  | { type: "dynamics"; epoch: number; step: number; layers: LayerDynamics[]; tokens?: SampleTokens }
  | { type: "checkpoint"; epoch: number; step: number; file: string }
  | { type: "end"; run: RunInfo }
  | { type: "error"; error: RunnerError };

/** What the host may send a training process. */
export type RunCommand = { type: "stop" };

/** What the host may send the long-lived tracing process, and what it answers. */
export type TraceRequest = { type: "trace"; id: number; file: string; timeoutMs: number };
/** `restart`: the tracing process cannot be trusted with another trace (a WebAssembly abort, memory exhausted)
 *  and exits after this answer; the client starts a fresh one for the next trace. */
export type TraceResponse = { type: "trace-result"; id: number; trace: Trace; restart?: boolean };

// ---------------------------------------------------------------------------------------------------
// Extension host ↔ webviews (the explorer panel beside a model file, the Runs view in the sidebar)

/** One point of a curve: the global step (or epoch) and the value. */
export type Point = [x: number, y: number];

/** A run as the Runs view lists it: its run.json plus a small loss curve. */
export interface RunSummary {
  info: RunInfo;
  /** The run folder, absolute. */
  dir: string;
  /** Per-step loss, downsampled to at most ~200 points, for the sparkline. */
  lossCurve: Point[];
  /** What of the run's files could not be read (a malformed run.json, metrics lines, a snapshot); the rest is shown. */
  damaged?: string;
  /** The user's label, tags and note (the run folder's meta.json; absent when it has none). */
  meta?: RunMeta;
  /** What the run is called where runs are listed: the user's label, else what differs from the other runs of its
   *  experiment and its start time (`lr 0.3 · 18:14`; run-identity.ts). Set by the host's listing. */
  label?: string;
}

/** What the user wrote about a run (its folder's meta.json, written by the host): a label that replaces the
 *  automatic one, tags, a note. Each field checked and capped when read (src/runs/run-meta.ts). */
export interface RunMeta {
  label?: string;
  tags?: string[];
  note?: string;
}

/** Everything the explorer shows of one run; rebuilt from the run store at any time. */
export interface RunDetail {
  summary: RunSummary;
  /** The per-step curve for display: every step, or means of equal runs of steps when there are more than
   *  the display needs (`stepsOnDisk` then says how many metrics.jsonl holds). `time`: seconds since the run started;
   *  `gradNorms`: each parameter's gradient norm at that step (runs from before it was recorded have none). */
  steps: { epoch: number; step: number; loss: number; lr: number; time: number; gradNorms?: Record<string, number> }[];
  stepsOnDisk?: number;
  /** The GPU memory of the last step that reported it (runs on WebGPU). */
  gpuMemory?: GpuMemory;
  epochs: { epoch: number; loss: number; metrics: Record<string, number | string> }[];
  snapshot?: { epoch: number; step: number; parameters: ParameterSnapshot[] };
  /** The steps of the run's snapshots (on disk, or seen live: run-reducer's noteSnapshotStep, at most
   *  MAX_STORED_SNAPSHOTS), for the Parameters tab's slider: it asks for each one it shows and lacks (loadSnapshot). */
  snapshotSteps?: number[];
  dynamics?: { epoch: number; step: number; layers: LayerDynamics[]; tokens?: SampleTokens };
  /** Where the run-event reducer (run-reducer.ts) stands, so that live events go on from a detail read from the
   *  store exactly as they would have from the start. Absent: nothing was thinned yet. */
  fold?: RunFold;
}

/** A loss curve kept as steps come (run-reducer.ts's LossCurve): means of `bucket` consecutive steps at the last
 *  one's step; the bucket doubles when the points are full. */
export interface CurveState {
  bucket: number;
  points: Point[];
  /** The bucket being filled: its last step, the sum and count of its losses. */
  partial: [step: number, sum: number, count: number];
}

/** The reducer's state beyond what RunDetail shows (see run-reducer.ts). */
export interface RunFold {
  /** Steps drawn: at most `maxSteps`, each the mean of `stepBucket` steps; `stepsSeen` steps so far. */
  maxSteps: number;
  stepBucket: number;
  stepsSeen: number;
  /** The bucket being filled (drawn as the last step, its mean so far): its loss sum, its count, and per parameter
   *  the sum of the logarithms of its gradient norms and how many there were. */
  partial: { lossSum: number; count: number; norms: Record<string, [logSum: number, count: number]> } | null;
  /** Epochs kept: at most `maxEpochs`, every `epochStride`-th one (and always the latest); `epochsSeen` so far. */
  maxEpochs: number;
  epochStride: number;
  epochsSeen: number;
  /** The sparkline (summary.lossCurve) as it is kept. */
  curve: CurveState;
}

/** Host → the explorer panel beside a model file. */
export type ToExplorer =
  | { type: "trace"; trace: Trace | null; stale: boolean; trusted: boolean }
  | { type: "run"; detail: RunDetail } // the run shown (replaces the previous one)
  | { type: "event"; runId: string; event: RunEvent } // live events of the run shown
  | { type: "events"; runId: string; events: RunEvent[] } // several at once: a fast run's events, one message a tick
  | { type: "compare"; runs: RunDetail[] } // earlier runs of the same file, for overlays
  | { type: "backend"; summary: string }
  /** Shows one of the tabs (the walkthrough's buttons open the Dynamics tab). */
  | { type: "tab"; tab: "shapes" | "training" | "parameters" | "dynamics" }
  | { type: "showSection"; section: "gradients" } // bring the Training tab's gradient norms into view
  /** The answer to loadSnapshot: the parameters of the run's snapshot at `step`, or why its file does not read. */
  | { type: "storedSnapshot"; dir: string; step: number; snapshot?: { epoch: number; step: number; parameters: ParameterSnapshot[] }; problem?: string };

/** Host → the Runs view in the sidebar. */
export type ToRunsView = { type: "runs"; runs: RunSummary[]; selected: string[] };

/** A run as the Runs table lists it: its run.json (configuration, final and best metrics) and its folder. */
export interface TableRun {
  info: RunInfo;
  dir: string;
  damaged?: string;
  meta?: RunMeta;
  label?: string;
}

/** Host → the Runs table (an editor tab comparing every run); `selected`: the runs ticked to compare, as in the Runs view.
 *  Its own type ("table", not the Runs view's "runs"): no host message fits two webviews' unions. */
export type ToRunsTable = { type: "table"; runs: TableRun[]; selected: string[] };

/** The explorer panel → host. */
export type FromExplorer =
  | { type: "ready" }
  | { type: "reveal"; line: number; column: number } // a Shapes row was clicked
  | { type: "train" }
  | { type: "stop" }
  /** The webview builds the CSV from what it shows (every step, every epoch's metrics); the host asks where to save it,
   *  and writes instead the CSV of every step in the run's folder `dir` when it is a stored run (run-csv.ts). */
  | { type: "exportCsv"; runId: string; dir: string; csv: string }
  | { type: "loadSnapshot"; dir: string; step: number }; // a stored snapshot picked on the Parameters tab's slider

/** How many stored snapshots' steps a RunDetail lists (snapshotSteps). */
export const MAX_STORED_SNAPSHOTS = 1000;

/** The Runs view → host. A run is named by its folder (RunSummary.dir): ids repeat across runs folders. The host
 *  acts only on a folder directly inside one of its runs folders. */
export type FromRunsView =
  | { type: "ready" }
  | { type: "openRun"; dir: string }
  | { type: "openWeights"; dir: string } // its weights.safetensors in the checkpoint viewer
  | { type: "deleteRun"; dir: string }
  | { type: "select"; dirs: string[] } // the runs ticked, to compare
  | { type: "editRun"; dir: string; field: RunMetaField }; // the host asks for the new label, tags or note

/** Which of a run's meta.json fields the user edits. */
export type RunMetaField = "label" | "tags" | "note";
export const RUN_META_FIELDS: readonly RunMetaField[] = ["label", "tags", "note"];

/** The Runs table → host: open a run, tick runs to overlay, rename, tag or annotate one (as the Runs view does), save
 *  the table it shows as CSV. */
export type FromRunsTable =
  | { type: "ready" }
  | { type: "openRun"; dir: string }
  | { type: "select"; dirs: string[] }
  | { type: "exportTable"; csv: string }
  | { type: "editRun"; dir: string; field: RunMetaField };

// ---------------------------------------------------------------------------------------------------
// The checkpoint viewer (a custom editor for .safetensors files)

export interface TensorStats {
  mean: number;
  std: number;
  min: number;
  max: number;
  norm: number;
}

/** One tensor of a safetensors file, summarised by the host (which reads the file in bounded chunks). */
export interface CheckpointTensor extends TensorStats {
  name: string;
  dtype: string;
  shape: number[];
  /** How many values are NaN or infinite (left out of the statistics). */
  nonFinite: number;
  /** Set when the tensor was too large to read whole: the statistics and the heatmap come from evenly spaced
   *  chunks holding this many of its values. */
  sampled?: number;
  /** Absent past the viewer's limit of heatmaps (MAX_HEATMAPS), and for an integer or empty tensor. */
  histogram?: Histogram;
  heatmap?: Heatmap;
  /** What its PyTorch name and shape say of a recurrent module's weight, when they do. */
  recurrent?: {
    module: string;
    kind: string;
    role: string;
    layer?: number;
    direction?: "forward" | "reverse";
    hiddenSize: number;
  };
  /** The gate blocks along the first dimension ("i f g o", "r z n"), with each block's statistics. */
  gates?: string[];
  gateStats?: TensorStats[];
}

export interface CheckpointView {
  file: string;
  bytes: number;
  metadata: Record<string, string>;
  tensors: CheckpointTensor[];
  /** How many tensors the file holds (more than `tensors` past the viewer's limit). */
  tensorCount: number;
  /** Why the file could not be read, when it could not: nothing else is shown. */
  error?: string;
}

/** A tensor of one checkpoint that was not compared with the other, and why: it is in one file only, or its shape
 *  differs, or it is past the viewer's limit of tensors. */
export interface UncomparedTensor {
  name: string;
  reason: "onlyA" | "onlyB" | "shape" | "limit";
  shapeA?: number[];
  shapeB?: number[];
}

/** Two checkpoints compared: for every tensor with the same name and shape in both, the difference B − A
 *  summarised like a tensor (statistics, per-gate statistics, a downsampled heatmap; `dtype` says "F32" or
 *  "F32 → F16"). */
export interface CheckpointComparison {
  fileA: string;
  fileB: string;
  differences: CheckpointTensor[];
  uncompared: UncomparedTensor[];
  /** Why the comparison could not be made (either file unreadable or malformed): nothing else is shown. */
  error?: string;
}

/** Host → the checkpoint viewer: the file's view, and a comparison with another file (null: none shown). */
export type ToCheckpoint = { type: "checkpoint"; view: CheckpointView } | { type: "comparison"; comparison: CheckpointComparison | null };

/** The checkpoint viewer → host: "compare" asks the user for another .safetensors to compare with; "closeComparison"
 *  drops it. */
export type FromCheckpoint = { type: "ready" } | { type: "compare" } | { type: "closeComparison" };

/** How many runs a "select" message may name: no cap a user meets (1,000 runs compare), a bound on a hostile message. */
export const MAX_COMPARED = 10_000;

type Message = Record<string, unknown>;
const isString = (v: unknown) => typeof v === "string" && v.length > 0 && v.length < 500;
const isLine = (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) < 1e7;
const isDir = (v: unknown) => typeof v === "string" && v.length > 0 && v.length < 4096 && !v.includes("\0");
const only = (m: Message, n: number) => Object.keys(m).length === n;
const isCsv = (v: unknown) => typeof v === "string" && v.length < 64 * 1024 * 1024;

/** How a message of each kind is checked: its fields, and no others. */
export type Check = (m: Message) => boolean;
const bare: Check = (m) => only(m, 1);
const naming: Check = (m) => only(m, 2) && isDir(m.dir);
const select: Check = (m) => only(m, 2) && Array.isArray(m.dirs) && m.dirs.length <= MAX_COMPARED && m.dirs.every(isDir);

/**
 * One webview's channel: what the host posts to it (`To`) and what it posts to the host (`From`). The host posts
 * through its channel only (src/extension/webview-html.ts), so one webview's messages cannot reach another, and
 * takes from the page only what `isFrom` accepts (a webview is untrusted input).
 */
export interface WebviewChannel<To extends { type: string }, From extends { type: string }> {
  /** Names the webview in the host's log. */
  readonly name: string;
  /** A message of this webview's `From` union, every field checked and no other field present. */
  isFrom(value: unknown): value is From;
  /** Never set: it ties the channel to its `To` union, so that channels of two webviews are different types. */
  readonly to?: (message: To) => To;
}

/** The host's messages to the webview of channel `C`, and the webview's messages to the host. */
export type ToWebview<C> = C extends WebviewChannel<infer To, infer _From> ? To : never;
export type FromWebview<C> = C extends WebviewChannel<infer _To, infer From> ? From : never;

/** A channel whose `checks` name every kind of `From`, and no other: a message kind added to the union without its
 *  check does not compile. */
export function webviewChannel<To extends { type: string }, From extends { type: string }>(
  name: string,
  checks: { [K in From["type"]]: Check },
): WebviewChannel<To, From> {
  return {
    name,
    isFrom: (value: unknown): value is From => {
      if (typeof value !== "object" || value === null) return false;
      const m = value as Message;
      return typeof m.type === "string" && Object.hasOwn(checks, m.type) && checks[m.type as From["type"]](m);
    },
  };
}

export const explorerChannel = webviewChannel<ToExplorer, FromExplorer>("explorer", {
  ready: bare,
  train: bare,
  stop: bare,
  reveal: (m) => only(m, 3) && isLine(m.line) && isLine(m.column),
  exportCsv: (m) => only(m, 4) && isString(m.runId) && isRunId(m.runId as string) && isDir(m.dir) && isCsv(m.csv),
  loadSnapshot: (m) => only(m, 3) && isDir(m.dir) && Number.isSafeInteger(m.step) && (m.step as number) >= 0,
});

/** An editRun message: a run's folder and one of its meta.json fields. */
const editingRun: Check = (m) => only(m, 3) && isDir(m.dir) && RUN_META_FIELDS.includes(m.field as RunMetaField);

export const runsViewChannel = webviewChannel<ToRunsView, FromRunsView>("Runs view", {
  ready: bare,
  openRun: naming,
  openWeights: naming,
  deleteRun: naming,
  select,
  editRun: editingRun,
});

export const runsTableChannel = webviewChannel<ToRunsTable, FromRunsTable>("Runs table", {
  ready: bare,
  openRun: naming,
  select,
  editRun: editingRun,
  exportTable: (m) => only(m, 2) && isCsv(m.csv),
});

export const checkpointChannel = webviewChannel<ToCheckpoint, FromCheckpoint>("checkpoint viewer", {
  ready: bare,
  compare: bare,
  closeComparison: bare,
});

/** A GpuMemory as a step carries it (from the runner, or a metrics.jsonl line): two byte counts, whole and not
 *  negative. The run store and the explorer take nothing else. */
export function isGpuMemory(value: unknown): value is GpuMemory {
  if (typeof value !== "object" || value === null) return false;
  const { inUse, allocated } = value as Message;
  return [inUse, allocated].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

/** Sets `record[name]` for a name that comes from data (a metric's, a hyperparameter's): assigning `__proto__` would
 *  set the record's prototype and the metric would vanish, so that one is defined as an own property. */
export function setOwn<T>(record: Record<string, T>, name: string, value: T): void {
  if (name === "__proto__") Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}

/** `record[name]` when the record itself has it: never Object.prototype's `toString` or `constructor`. */
export const ownValue = <T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined =>
  record && Object.hasOwn(record, name) ? record[name] : undefined;

// ==== The notebook kernel (runner/notebook-kernel.ts) and its client (runs/notebook-client.ts), over IPC ====

/** From the client: run one cell's TypeScript (in the order sent), or end the cell running when it awaits (SIGINT
 *  stops one that loops). */
export type KernelRequest = { type: "execute"; id: number; code: string; label: string } | { type: "interrupt"; id: number };

/** How a cell ended: its last expression's value as text (undefined shows nothing), or the error at its line. */
export type CellOutcome =
  | { status: "ok"; value?: string }
  | { status: "error"; error: RunnerError }
  /** `message`: why the state is lost, when the kernel had to be restarted to stop the cell. */
  | { status: "interrupted"; message?: string };

/** What a cell shows besides its printing (runner/notebook-display.ts): text, and an image as base64 PNG. */
export interface DisplayData {
  "text/plain": string;
  "image/png"?: string;
}

/** From the kernel: it is ready (its backend chosen), what a cell prints (in order), what it displays (a later
 *  display with the same displayId replaces the earlier one in place: the live chart), and each cell's outcome. */
export type KernelEvent =
  | { type: "ready"; backend: string; startMs: number }
  | { type: "output"; id: number; stream: "stdout" | "stderr"; text: string }
  | { type: "display"; id: number; displayId: string; data: DisplayData }
  | ({ type: "done"; id: number; count: number } & CellOutcome & CellShapes);

/** What a cell's run recorded as it ran (no re-run): its module calls, constructions and tensor factories, located
 *  at the cell's lines (`location.file` is the cell's label), as a file's trace has them. */
export interface CellShapes {
  shapes?: TraceEntry[];
}
