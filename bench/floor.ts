// The machine's floor of a training step: the GEMMs of the step (forward and backward of the recurrent stack and
// of the Linear head), with the shapes of the case's model, batch and sequence length, each timed on the native
// kernels' own math (Eigen through the addon's bench entry, native/gemm.cc) at the better of 1 thread and the
// kernels' default, and summed. `npm run bench` prints each case's step as a multiple of it; `npm run bench:floor`
// (engine.ts --floor) prints the floor alone, GEMM by GEMM. What is not a GEMM (the gates' pointwise work, the
// loss, Adam, the framework) costs above the floor: a step within 1.3x of it leaves little to win.
// Layer 0's input gradient is left out: PyTorch does not compute it (the input needs no gradient), and a step
// that computes it pays that above the floor.
import { loadNativeAddon } from "../src/nn/native-load";

/** A case's shapes: [seq, batch, features]; the recurrent stack (gates per unit, [input, hidden] per layer,
 *  directions); the Linear head from the last layer's features to `classes`, and the rows reaching it (none where
 *  the recurrent outputs are the logits, as in the hello cases). */
export interface FloorCase {
  shape: number[];
  rnn: { gates: number; layers: [number, number][]; directions: number };
  head?: { rows: number; classes: number };
}

/** One GEMM of the step: C[m, n] = op(A) · op(B), `count` times, named for the table. */
export interface Gemm {
  what: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  count: number;
}

/** The GEMMs of one training step, as the native kernels compute them (native/recurrent.cc) and the head's. */
export function stepGemms({ shape: [T, B], rnn, head }: FloorCase): Gemm[] {
  const gemms: Gemm[] = [];
  const D = rnn.directions;
  rnn.layers.forEach(([input, H], l) => {
    const GH = rnn.gates * H;
    const per = D > 1 ? ` ×${D} directions` : "";
    const add = (what: string, g: Omit<Gemm, "what" | "count">, count: number) => gemms.push({ what: `layer ${l} ${what}${per}`, ...g, count: count * D });
    add("x·W_ihᵀ (all steps)", { m: T * B, n: GH, k: input, transB: true }, 1);
    add("h·W_hhᵀ (per step)", { m: B, n: GH, k: H, transB: true }, T);
    add("dG·W_hh (per step)", { m: B, n: H, k: GH }, T);
    if (l > 0) add("dG·W_ih (input gradient)", { m: T * B, n: input, k: GH }, 1);
    add("dGᵀ·x (dW_ih)", { m: GH, n: input, k: T * B, transA: true }, 1);
    add("dGᵀ·h (dW_hh)", { m: GH, n: H, k: T * B, transA: true }, 1);
  });
  if (!head) return gemms;
  const F = rnn.layers[rnn.layers.length - 1][1] * D;
  gemms.push({ what: "head x·Wᵀ", m: head.rows, n: head.classes, k: F, transB: true, count: 1 });
  gemms.push({ what: "head dYᵀ·x (dW)", m: head.classes, n: F, k: head.rows, transA: true, count: 1 });
  gemms.push({ what: "head dY·W (dx)", m: head.rows, n: F, k: head.classes, count: 1 });
  return gemms;
}

export const gemmFlops = (g: Gemm) => 2 * g.m * g.n * g.k * g.count;

interface GemmTimeCall {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  threads: number;
  repeats: number;
}
type GemmTime = (call: GemmTimeCall) => number;

/** The addon's GEMM timer and what runs it, or why there is none (not built, or built before native/gemm.cc). */
export function gemmTimer(): { time: GemmTime; threads: number; detail: string } | string {
  try {
    const { addon, variant } = loadNativeAddon();
    const time = (addon as unknown as { gemmTime?: GemmTime }).gemmTime;
    if (typeof time !== "function") return "the native addon has no gemmTime (built before it: npm run build:native)";
    const info = addon.info();
    return { time: time.bind(addon), threads: info.threads, detail: `${info.library}, ${variant.name} (${info.simd}), 1 or ${info.threads} threads` };
  } catch (error) {
    return `no native kernels: ${(error as Error).message}`;
  }
}

export interface Floor {
  ms: number;
  gflop: number;
  gemms: (Gemm & { ms: number; threads: number })[];
}

/** Seconds of one product at the better of 1 and `threads` threads: the median of 3 timings, each of enough
 *  repeats to last a few milliseconds (and at least `count`, as the kernels' threads run every step). */
function bestSeconds(time: GemmTime, g: Gemm, threads: number): { s: number; threads: number } {
  const repeats = Math.max(g.count, Math.ceil(2e7 / (2 * g.m * g.n * g.k)));
  const median = (t: number) => {
    const runs = [0, 1, 2].map(() => time({ m: g.m, n: g.n, k: g.k, transA: !!g.transA, transB: !!g.transB, threads: t, repeats }));
    return runs.sort((a, b) => a - b)[1];
  };
  const candidates = [...new Set([1, threads])].map((t) => ({ s: median(t), threads: t }));
  return candidates.reduce((a, b) => (b.s < a.s ? b : a));
}

/** The floor of one case: every GEMM of its step timed, summed. */
export function floorOf(c: FloorCase, time: GemmTime, threads: number): Floor {
  const gemms = stepGemms(c).map((g) => {
    const best = bestSeconds(time, g, threads);
    return { ...g, ms: best.s * 1e3 * g.count, threads: best.threads };
  });
  return { ms: gemms.reduce((sum, g) => sum + g.ms, 0), gflop: gemms.reduce((sum, g) => sum + gemmFlops(g), 0) / 1e9, gemms };
}

/** The floor GEMM by GEMM, for `npm run bench:floor`. */
export function floorTable(id: string, f: Floor): string {
  const rows = f.gemms.map(
    (g) =>
      `  ${g.what.padEnd(44)} ${`${g.m}×${g.k}·${g.k}×${g.n}`.padEnd(22)} ×${String(g.count).padEnd(4)} ${g.ms.toFixed(3).padStart(9)} ms  ${(gemmFlops(g) / (g.ms / 1e3) / 1e9).toFixed(1).padStart(6)} GFLOP/s  ${g.threads}t`,
  );
  return [`${id}: floor ${f.ms.toFixed(3)} ms (${f.gflop.toFixed(2)} GFLOP at ${(f.gflop / (f.ms / 1e3)).toFixed(1)} GFLOP/s)`, ...rows].join("\n");
}
