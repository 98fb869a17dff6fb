// One recurrent layer in one direction on the WebGPU backend, in cuDNN's shape of work: the input projection
// of all steps as one matmul; per step one recurrent matmul and ONE fused pointwise WGSL kernel (gates, cell,
// state, mask); backward per step one fused pointwise kernel and one matmul for dh; then the weight gradients
// as one matmul each over all steps. Nothing is read back to the CPU.
//
// The per-step kernels write in place into one buffer for the whole sequence (a tfjs program has one output,
// which it may be given): the forward buffer `Y` holds per processing step k (row 0: the initial state) and
// sample the state and what the backward pass needs; the backward buffer `D` holds per step the gates'
// gradients and the gradients carried to the step before. Rows follow the order the layer runs its steps
// (reversed for a reverse layer), so step k reads row k−1 (forward) or k+1 (backward) of its own output.
// Formulas are PyTorch's, as in recurrence.ts (gate order i, f, g, o; r, z, n with n = tanh(W_in x + b_in +
// r * (W_hn h + b_hn))). A mask (packed input) passes the state through where it is 0.
import { tf, type Tensor } from "./tf";
import { GATE_NAMES, GATES, KIND_OF_MODE, type Mode } from "../common/gate-layout";
import type { LayerProbe } from "./dynamics-hooks";

/** What a layer needs here (recurrence.ts's LayerPlan has it). */
export interface GpuLayer {
  mode: Mode;
  x: Tensor; // [T, B, In]
  h0: Tensor; // [B, P]
  c0: Tensor | null;
  weights: { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null; wHr: Tensor | null };
  reverse: boolean;
  mask: Tensor | null; // [T, B, 1]
  T: number;
  B: number;
  In: number;
  H: number;
  /** The size of h: H, or LSTM's projSize (then h = (o ⊙ tanh c) W_hrᵀ, a matmul per step between kernels). */
  P: number;
  hasBias: boolean;
  /** Set while dynamics are recorded: gets sample 0's states, gates and ‖dh_t‖ (as recurrence.ts's path gives). */
  probe?: LayerProbe | null;
}

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: "float32";
}

/** The part of tfjs's WebGPUBackend used here. */
interface WebGPUBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], dtype: "float32", uniforms?: { type: "int32"; data: number[] }[], output?: TensorInfo): TensorInfo;
}

const WORKGROUP = 64;

/** A tfjs WebGPU program: one thread per (sample, hidden unit), inputs and output as flat f32 arrays. */
class PointwiseProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  uniforms = "k : i32, t : i32,";
  variableNames: string[];
  constructor(
    private readonly body: string,
    names: string[],
    outputSize: number,
    threads: number,
    key: string,
  ) {
    this.variableNames = names;
    this.outputShape = [outputSize];
    this.dispatch = [Math.ceil(threads / WORKGROUP), 1, 1];
    this.shaderKey = key;
  }
  getUserCode(): string {
    return `
      fn sigm(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
      fn tanhf(x : f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
      fn main(index : i32) {
        ${this.body}
      }`;
  }
}

const flat = (t: Tensor): TensorInfo => {
  const info = t.reshape([-1]);
  return { dataId: info.dataId, shape: info.shape, dtype: "float32" };
};

/** Runs `program` writing into `output` in place (step k of the layer, at time t). */
function runInPlace(program: PointwiseProgram, inputs: Tensor[], output: Tensor, k: number, t: number): void {
  const backend = tf.backend() as unknown as WebGPUBackendLike;
  const uniforms = [
    { type: "int32" as const, data: [k] },
    { type: "int32" as const, data: [t] },
  ];
  backend.runWebGPUProgram(program, inputs.map(flat), "float32", uniforms, { dataId: output.dataId, shape: [output.size], dtype: "float32" });
}

/** Widths of a row of Y per sample: the state (h, and c for LSTM), then what the backward pass needs. */
function forwardRow(mode: Mode, H: number): number {
  return mode === "LSTM" ? 6 * H : mode === "GRU" ? 5 * H : H;
}

/** Widths of a row of D per sample: dh carried, dc carried (LSTM), the gradient of the input gates, and for GRU
 *  the gradient of the hidden gates (they differ in the n gate). */
function backwardLayout(mode: Mode, H: number) {
  const G = GATES[mode] * H;
  const gi = mode === "LSTM" ? 2 * H : H;
  const gh = mode === "GRU" ? gi + G : gi;
  return { G, gi, gh, dhAt: gh + G, width: gh + G + H }; // dhAt: the masked dh of the step, for a probe
}

/** The forward step's WGSL: reads step k−1's row of the output, writes row k. */
function forwardBody(mode: Mode, B: number, H: number, masked: boolean): string {
  const S = forwardRow(mode, H);
  const G = backwardLayout(mode, H).G;
  const head = `
    if (index >= ${B * H}) { return; }
    let b = index / ${H};
    let j = index % ${H};
    let prev = (uniforms.k - 1) * ${B * S} + b * ${S};
    let cur = uniforms.k * ${B * S} + b * ${S};
    let xo = uniforms.t * ${B * G} + b * ${G};
    let go = b * ${G};
    let hp = result[prev + j];
    let keep = ${masked ? `Mask[uniforms.t * ${B} + b] != 0.0` : "true"};`;
  const pre = (gate: number) => `XW[xo + ${gate * H} + j] + GH[go + ${gate * H} + j]`;
  if (mode === "LSTM") {
    return `${head}
    let i = sigm(${pre(0)});
    let f = sigm(${pre(1)});
    let g = tanhf(${pre(2)});
    let o = sigm(${pre(3)});
    let cp = result[prev + ${H} + j];
    let c = f * cp + i * g;
    let h = o * tanhf(c);
    result[cur + j] = select(hp, h, keep);
    result[cur + ${H} + j] = select(cp, c, keep);
    result[cur + ${2 * H} + j] = i;
    result[cur + ${3 * H} + j] = f;
    result[cur + ${4 * H} + j] = g;
    result[cur + ${5 * H} + j] = o;`;
  }
  if (mode === "GRU") {
    return `${head}
    let r = sigm(${pre(0)} + Bhh[j]);
    let z = sigm(${pre(1)} + Bhh[${H} + j]);
    let hn = GH[go + ${2 * H} + j] + Bhh[${2 * H} + j];
    let n = tanhf(XW[xo + ${2 * H} + j] + r * hn);
    let h = n + z * (hp - n);
    result[cur + j] = select(hp, h, keep);
    result[cur + ${H} + j] = r;
    result[cur + ${2 * H} + j] = z;
    result[cur + ${3 * H} + j] = n;
    result[cur + ${4 * H} + j] = hn;`;
  }
  const act = mode === "RNN_RELU" ? `max(${pre(0)}, 0.0)` : `tanhf(${pre(0)})`;
  return `${head}
    let h = ${act};
    result[cur + j] = select(hp, h, keep);`;
}

/** The backward step's WGSL: reads what step k+1 carried (row k+1 of the output) and M = dGh_{k+1} @ W_hh,
 *  writes step k's gate gradients and what it carries to step k−1. */
function backwardBody(mode: Mode, B: number, H: number, masked: boolean, projected = false): string {
  const S = forwardRow(mode, H);
  const { gi, gh, dhAt, width: W } = backwardLayout(mode, H);
  const m = masked ? `select(0.0, 1.0, Mask[uniforms.t * ${B} + b] != 0.0)` : "1.0";
  // With a projection the gradient of o ⊙ tanh c comes in as DH (masked, through W_hr); dh is carried outside.
  const dhIn = projected
    ? `let dhT = 0.0;
    let m = ${m};
    let dh = DH[b * ${H} + j];`
    : `let dhT = DY[uniforms.t * ${B * H} + b * ${H} + j] + result[nxt + j] + M[b * ${H} + j];
    let m = ${m};
    let dh = dhT * m;
    result[cur + ${dhAt} + j] = dh;`;
  const head = `
    if (index >= ${B * H}) { return; }
    let b = index / ${H};
    let j = index % ${H};
    let nxt = (uniforms.k + 1) * ${B * W} + b * ${W};
    let cur = uniforms.k * ${B * W} + b * ${W};
    let yc = uniforms.k * ${B * S} + b * ${S};
    let yp = (uniforms.k - 1) * ${B * S} + b * ${S};
    ${dhIn}`;
  if (mode === "LSTM") {
    return `${head}
    let dcIn = result[nxt + ${H} + j];
    let c = Y[yc + ${H} + j];
    let i = Y[yc + ${2 * H} + j];
    let f = Y[yc + ${3 * H} + j];
    let g = Y[yc + ${4 * H} + j];
    let o = Y[yc + ${5 * H} + j];
    let cp = Y[yp + ${H} + j];
    let tc = tanhf(c);
    let dc = dcIn * m + dh * o * (1.0 - tc * tc);
    result[cur + ${gi} + j] = dc * g * i * (1.0 - i);
    result[cur + ${gi + H} + j] = dc * cp * f * (1.0 - f);
    result[cur + ${gi + 2 * H} + j] = dc * i * (1.0 - g * g);
    result[cur + ${gi + 3 * H} + j] = dh * tc * o * (1.0 - o);
    result[cur + j] = (1.0 - m) * dhT;
    result[cur + ${H} + j] = dc * f + (1.0 - m) * dcIn;`;
  }
  if (mode === "GRU") {
    return `${head}
    let r = Y[yc + ${H} + j];
    let z = Y[yc + ${2 * H} + j];
    let n = Y[yc + ${3 * H} + j];
    let hn = Y[yc + ${4 * H} + j];
    let hp = Y[yp + j];
    let dn = dh * (1.0 - z) * (1.0 - n * n);
    let dz = dh * (hp - n) * z * (1.0 - z);
    let dr = dn * hn * r * (1.0 - r);
    result[cur + ${gi} + j] = dr;
    result[cur + ${gi + H} + j] = dz;
    result[cur + ${gi + 2 * H} + j] = dn;
    result[cur + ${gh} + j] = dr;
    result[cur + ${gh + H} + j] = dz;
    result[cur + ${gh + 2 * H} + j] = dn * r;
    result[cur + j] = dh * z + (1.0 - m) * dhT;`;
  }
  const slope = mode === "RNN_RELU" ? "select(0.0, 1.0, h > 0.0)" : "1.0 - h * h";
  return `${head}
    let h = Y[yc + j];
    result[cur + ${gi} + j] = dh * (${slope});
    result[cur + j] = (1.0 - m) * dhT;`;
}

const programs = new Map<string, PointwiseProgram>();

function program(kind: "forward" | "backward", mode: Mode, B: number, H: number, masked: boolean, outputSize: number, projected = false): PointwiseProgram {
  const key = `unroll_${kind}_${mode}_${B}_${H}_${masked ? "masked" : "dense"}${projected && kind === "backward" ? "_projected" : ""}`;
  // The shader key names the sizes baked into the code; tfjs compiles each key once.
  const inputs = kind === "forward" ? ["XW", "GH", ...(mode === "GRU" ? ["Bhh"] : [])] : projected ? ["Y", "DH"] : ["Y", "DY", "M"];
  const names = [...inputs, ...(masked ? ["Mask"] : [])];
  let p = programs.get(key);
  if (!p) {
    const body = kind === "forward" ? forwardBody(mode, B, H, masked) : backwardBody(mode, B, H, masked, projected);
    p = new PointwiseProgram(body, names, outputSize, B * H, key);
    programs.set(key, p);
  }
  p.outputShape = [outputSize];
  return p;
}

/** Rows [from, from+count) of a [rows, B, width] buffer, columns [col, col+n): `[count, B, n]`. */
const rows = (buffer: Tensor, B: number, width: number, from: number, count: number, col: number, n: number) =>
  buffer.reshape([-1, B, width]).slice([from, 0, col], [count, B, n]);

/** The step order: processing step k (1…T) runs time order[k−1]. */
const timeOf = (layer: GpuLayer, k: number) => (layer.reverse ? layer.T - k : k - 1);

/** Forward pass: output, h_n and c_n flattened into one tensor (as recurrence.ts's ops give them), and what the
 *  backward pass needs. */
export function webgpuForward(layer: GpuLayer): { value: Tensor; saved: Tensor[] } {
  const { mode, x, h0, c0, weights: w, mask, T, B, In, H, hasBias } = layer;
  const S = forwardRow(mode, H);
  const proj = w.wHr;
  const x2d = x.reshape([T * B, In]);
  let xw = tf.matMul(x2d, w.wIh, false, true);
  if (hasBias) xw = xw.add(mode === "GRU" ? w.bIh! : w.bIh!.add(w.bHh!));
  const bHh = mode === "GRU" ? (w.bHh ?? tf.zeros([GATES.GRU * H])) : null;
  // With a projection Y's h slot holds o ⊙ tanh c and the states h (P wide) are kept apart.
  const first = tf.concat([proj ? tf.zeros([B, H]) : h0, ...(c0 ? [c0] : []), tf.zeros([B, S - H - (c0 ? H : 0)])], 1).reshape([1, B, S]);
  const Y = tf.concat([first, tf.zeros([T, B, S])], 0); // a new tensor: the steps below write into it
  const step = program("forward", mode, B, H, mask !== null, Y.size);
  const states = [h0];
  for (let k = 1; k <= T; k++) {
    const hPrev = proj ? states[k - 1] : rows(Y, B, S, k - 1, 1, 0, H).reshape([B, H]);
    const gh = tf.matMul(hPrev, w.wHh, false, true);
    runInPlace(step, [xw, gh, ...(bHh ? [bHh] : []), ...(mask ? [mask] : [])], Y, k, timeOf(layer, k));
    if (proj) {
      const h = tf.matMul(rows(Y, B, S, k, 1, 0, H).reshape([B, H]), proj, false, true);
      const m = maskAt(layer, mask, k);
      states.push(m ? hPrev.add(m.mul(h.sub(hPrev))) : h);
    }
  }
  let output = proj ? tf.stack(states.slice(1)) : rows(Y, B, S, 1, T, 0, H);
  if (layer.reverse) output = tf.reverse(output, 0);
  if (mask) output = output.mul(mask);
  if (layer.probe) reportForward(layer, Y, proj ? tf.stack(states.slice(1)) : null);
  const hN = proj ? states[T] : rows(Y, B, S, T, 1, 0, H);
  const cN = c0 ? rows(Y, B, S, T, 1, H, H) : null;
  const value = tf.concat([output, hN, ...(cN ? [cN] : [])].map((t) => t.reshape([-1])));
  return { value, saved: [x2d, Y, ...(proj ? [tf.concat(states.slice(0, T), 0)] : []), ...(mask ? [mask] : [])] };
}

/** Sample 0 of `[T, B, n]` in time order: `[T, n]`. */
const sample0 = (layer: GpuLayer, t: Tensor) => {
  const s = t.slice([0, 0, 0], [layer.T, 1, t.shape[2]!]).reshape([layer.T, t.shape[2]!]);
  return layer.reverse ? tf.reverse(s, 0) : s;
};

/** Gives the probe sample 0's states (after the mask), cell and gate activations, read from Y. */
function reportForward(layer: GpuLayer, Y: Tensor, projected: Tensor | null): void {
  const { mode, B, H, T } = layer;
  const S = forwardRow(mode, H);
  const gateNames = GATE_NAMES[KIND_OF_MODE[mode]];
  layer.probe!.forward({
    hidden: sample0(layer, projected ?? rows(Y, B, S, 1, T, 0, H)),
    cell: mode === "LSTM" ? sample0(layer, rows(Y, B, S, 1, T, H, H)) : null,
    gates: gateNames.length ? sample0(layer, rows(Y, B, S, 1, T, mode === "LSTM" ? 2 * H : H, gateNames.length * H)) : null,
    gateNames,
  });
}

/** A mask's step k (at its time) as `[B, 1]`, or null. */
const maskAt = (layer: GpuLayer, mask: Tensor | null, k: number) => mask && mask.slice([timeOf(layer, k), 0, 0], [1, layer.B, 1]).reshape([layer.B, 1]);

/** Backward pass from the gradient of the flattened value; returns the gradients of x, h0, (c0), W_ih, W_hh,
 *  (b_ih, b_hh), in recurrence.ts's order. */
export function webgpuBackward(layer: GpuLayer, dy: Tensor, saved: Tensor[]): Tensor[] {
  const { mode, c0, weights: w, T, B, In, H, P, hasBias } = layer;
  const proj = w.wHr;
  const [x2d, Y, hs] = [saved[0], saved[1], proj ? saved[2] : null];
  const mask = saved[proj ? 3 : 2] ?? null;
  const S = forwardRow(mode, H);
  const { G, gi, gh, width: W } = backwardLayout(mode, H);
  const dOut = dy.slice(0, T * B * P).reshape([T, B, P]);
  const dhN = dy.slice(T * B * P, B * P).reshape([B, P]);
  const dcN = c0 ? dy.slice(T * B * P + B * P, B * H).reshape([B, H]) : null;
  // Row T+1 holds what the last step gets from after the sequence: dh_n (and dc_n).
  const last = tf.concat([proj ? tf.zeros([B, H]) : dhN, ...(dcN ? [dcN] : []), tf.zeros([B, W - H - (dcN ? H : 0)])], 1).reshape([1, B, W]);
  const D = tf.concat([tf.zeros([T + 1, B, W]), last], 0);
  const step = program("backward", mode, B, H, mask !== null, D.size, proj !== null);
  let M = tf.zeros([B, P]); // dGh_{k+1} @ W_hh: the gradient reaching h_k through the next step
  let carried = dhN; // with a projection: the gradient of h_k that passed masked steps (else it is in D)
  const dProjected: Tensor[] = [];
  for (let k = T; k >= 1; k--) {
    const t = timeOf(layer, k);
    if (proj) {
      const dhT = dOut.slice([t, 0, 0], [1, B, P]).reshape([B, P]).add(carried).add(M);
      const m = maskAt(layer, mask, k);
      const dh = m ? dhT.mul(m) : dhT;
      carried = m ? dhT.sub(dh) : tf.zerosLike(dhT);
      dProjected[k - 1] = dh;
      runInPlace(step, [Y, tf.matMul(dh, proj), ...(mask ? [mask] : [])], D, k, t);
    } else {
      runInPlace(step, [Y, dOut, M, ...(mask ? [mask] : [])], D, k, t);
    }
    M = tf.matMul(rows(D, B, W, k, 1, gh, G).reshape([B, G]), w.wHh);
  }
  const dh0 = (proj ? carried : rows(D, B, W, 1, 1, 0, H).reshape([B, H])).add(M);
  if (layer.probe) {
    const dh = proj ? tf.stack(dProjected) : rows(D, B, W, 1, T, backwardLayout(mode, H).dhAt, H);
    layer.probe.backward(sample0(layer, dh).square().sum(1).sqrt());
  }
  const dc0 = c0 ? rows(D, B, W, 1, 1, H, H).reshape([B, H]) : null;
  const inOrder = (t: Tensor) => (layer.reverse ? tf.reverse(t, 0) : t);
  const dGi = inOrder(rows(D, B, W, 1, T, gi, G)).reshape([T * B, G]); // time order, as x
  const dGh = rows(D, B, W, 1, T, gh, G).reshape([T * B, G]); // step order, as the h_{k−1} below
  const hPrev = hs ?? rows(Y, B, S, 0, T, 0, H).reshape([T * B, H]);
  const dbIh = hasBias ? dGi.sum(0) : null;
  return [
    tf.matMul(dGi, w.wIh).reshape([T, B, In]),
    dh0,
    ...(dc0 ? [dc0] : []),
    tf.matMul(dGi, x2d, true, false),
    tf.matMul(dGh, hPrev, true, false),
    ...(dbIh ? [dbIh, mode === "GRU" ? dGh.sum(0) : dbIh] : []),
    ...(proj ? [tf.matMul(tf.concat(dProjected, 0), rows(Y, B, S, 1, T, 0, H).reshape([T * B, H]), true, false)] : []),
  ];
}
