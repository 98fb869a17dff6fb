// One recurrent layer in one direction, as a single op with a hand-written backward pass (BPTT).
//
// Why: on the wasm backend every op costs a fixed overhead, and the tape's gradient of an unrolled cell is
// dozens of small ops per time step with transposed matMuls. Here the forward pass keeps what the backward
// needs, the backward runs about ten ops per step, and the weight gradients are one large matMul each
// over all time steps. The formulas are PyTorch's (gate order i, f, g, o for LSTM; r, z, n for GRU).
//
// Variable-length (packed) batches run as a padded batch with a 0/1 mask per step and sample: where the
// mask is 0 the state passes through unchanged and the output is 0, so padding never reaches h_n, and a
// reverse pass starts each sequence at its own last step — exactly PyTorch's packed semantics.
import { tf, type Tensor } from "./tf";
import type { LayerProbe } from "./dynamics-hooks";
import { nativeBackward, nativeForward, nativeKernels, nativeThreads, type NativeAddon, type NativeLayer } from "./native";
import { customOp } from "./ops";
import { webgpuForward, webgpuBackward } from "./webgpu-recurrence";
import { GATE_NAMES, GATES, type Mode } from "../common/gate-layout";

export interface LayerWeights {
  wIh: Tensor; // [G*H, In]
  wHh: Tensor; // [G*H, P]
  bIh: Tensor | null; // [G*H]
  bHh: Tensor | null; // [G*H]
  wHr: Tensor | null; // [P, H], LSTM with projSize only
}

export interface LayerResult {
  output: Tensor; // [T, B, P]
  h: Tensor; // [B, P]
  c: Tensor | null; // [B, H], LSTM only
}

export interface LayerRequest {
  mode: Mode;
  x: Tensor; // [T, B, In], time-major
  h0: Tensor; // [B, P]
  c0: Tensor | null; // [B, H], LSTM only
  weights: LayerWeights;
  reverse: boolean;
  mask: Tensor | null; // [T, B, 1] of 0/1 (stepMask), packed input only
  /** Set only while dynamics are recorded (dynamics-hooks.ts): gets sample 0's states, gates and ‖dh_t‖. */
  probe?: LayerProbe | null;
}

/** A packed batch's mask: `[T, B, 1]`, 1 where step t is within sample b's length, else 0. */
export function stepMask(lengths: readonly number[], T: number): Tensor {
  const B = lengths.length;
  return tf.tensor3d(
    Array.from({ length: T * B }, (_, i) => (lengths[i % B] > Math.floor(i / B) ? 1 : 0)),
    [T, B, 1],
  );
}

/** What one forward step gives: the new state and the tensors its backward step needs. */
interface Step {
  h: Tensor;
  c: Tensor | null;
  saved: Tensor[];
}

/** The gradients one backward step gives for the pre-activations and the previous state. */
interface StepGrads {
  dGi: Tensor; // gradient w.r.t. x_t @ W_ih^T + b_ih, [B, G*H]
  dGh: Tensor; // gradient w.r.t. h_{t-1} @ W_hh^T + b_hh, [B, G*H]
  dh: Tensor; // gradient w.r.t. h_{t-1}
  dc: Tensor | null; // gradient w.r.t. c_{t-1}
}

interface Cell {
  /** The gates whose activations begin the first saved tensor of a step (recorded as dynamics). */
  gateNames: readonly string[];
  /** Whether b_hh can be added once to the input projection of all steps (not for GRU's n gate). */
  foldsHiddenBias: boolean;
  /** A factor for each gate block, applied to the pre-activations once for all steps (LSTM's g gate: ×2). */
  gateScale?: number[];
  step(xw: Tensor, h: Tensor, c: Tensor | null, w: Transposed): Step;
  /** Turns the saved tensors (stacked over time, `[T*B, …]`) into a backward step for each time. */
  backward(
    saved: Tensor[],
    T: number,
    w: LayerWeights,
  ): {
    step(t: number, dh: Tensor, dc: Tensor | null): StepGrads;
    extraGrads(): Tensor[]; // gradients of weights beyond W_ih, W_hh, b_ih, b_hh (W_hr)
  };
}

interface Transposed {
  wHhT: Tensor;
  wHrT: Tensor | null;
  bHh: Tensor | null;
}

const perStep = (stacked: Tensor, T: number) => tf.split(stacked, T, 0);

/** tanh(x) = 2σ(2x) − 1. The wasm backend's Tanh is scalar, five times slower than its vectorised Sigmoid. */
function tanh(x: Tensor): Tensor {
  return x.size >= 1024 && tf.getBackend() === "wasm" ? tf.sigmoid(x.mul(2)).mul(2).sub(1) : tf.tanh(x);
}

/** Σ over rows as a matMul (`ones @ x`): a reduction over axis 0 is 40x slower on wasm. */
const sumRows = (x: Tensor) => tf.matMul(tf.ones([1, x.shape[0]!]), x).reshape([-1]);

/** `aᵀ @ b`, transposing the narrower operands: transposes cost more than the product on wasm. */
const transposedProduct = (a: Tensor, b: Tensor) => tf.transpose(tf.matMul(tf.transpose(b), a));

const lstm: Cell = {
  gateNames: GATE_NAMES.LSTM,
  foldsHiddenBias: true,
  // With the g block doubled, one sigmoid serves all four gates: tanh(x) = 2σ(2x) − 1.
  gateScale: [1, 1, 2, 1],
  step(xw, h, c, { wHhT, wHrT }) {
    const [i, f, sg, o] = tf.split(tf.sigmoid(xw.add(tf.matMul(h, wHhT))), GATES.LSTM, 1);
    const g = sg.mul(2).sub(1);
    const cNew = f.mul(c!).add(i.mul(g));
    const tanhC = tanh(cNew);
    const hRaw = o.mul(tanhC);
    const hNew = wHrT ? tf.matMul(hRaw, wHrT) : hRaw;
    return { h: hNew, c: cNew, saved: [tf.concat([i, f, g, o], 1), tanhC, c!, ...(wHrT ? [hRaw] : [])] };
  },
  backward([acts, tanhC, cPrev, hRaw], T, w) {
    const [I, F, G, O] = tf.split(acts, GATES.LSTM, 1);
    const sigmoidGrad = (s: Tensor) => s.mul(tf.scalar(1).sub(s));
    // Everything that does not depend on the incoming gradient, for all steps at once.
    const dI = perStep(G.mul(sigmoidGrad(I)), T);
    const dF = perStep(cPrev.mul(sigmoidGrad(F)), T);
    const dG = perStep(I.mul(tf.scalar(1).sub(G.square())), T);
    const dO = perStep(tanhC.mul(sigmoidGrad(O)), T);
    const dC = perStep(O.mul(tf.scalar(1).sub(tanhC.square())), T);
    const f = perStep(F, T);
    const dProjected: Tensor[] = new Array(T);
    return {
      step(t, dh, dc) {
        let dhRaw = dh;
        if (w.wHr) {
          dProjected[t] = dh;
          dhRaw = tf.matMul(dh, w.wHr);
        }
        const dcTotal = dc!.add(dhRaw.mul(dC[t]));
        const dGates = tf.concat([dcTotal.mul(dI[t]), dcTotal.mul(dF[t]), dcTotal.mul(dG[t]), dhRaw.mul(dO[t])], 1);
        return { dGi: dGates, dGh: dGates, dh: tf.matMul(dGates, w.wHh), dc: dcTotal.mul(f[t]) };
      },
      extraGrads: () => (w.wHr ? [transposedProduct(tf.concat(dProjected, 0), hRaw)] : []),
    };
  },
};

const gru: Cell = {
  gateNames: GATE_NAMES.GRU,
  foldsHiddenBias: false,
  step(xw, h, _c, { wHhT, bHh }) {
    let gh = tf.matMul(h, wHhT);
    if (bHh) gh = gh.add(bHh);
    const [xr, xz, xn] = tf.split(xw, GATES.GRU, 1);
    const [hr, hz, hn] = tf.split(gh, GATES.GRU, 1);
    const r = tf.sigmoid(xr.add(hr));
    const z = tf.sigmoid(xz.add(hz));
    const n = tanh(xn.add(r.mul(hn)));
    const hNew = n.add(z.mul(h.sub(n)));
    return { h: hNew, c: null, saved: [tf.concat([r, z, n, hn], 1), h] };
  },
  backward([rznh, hPrev], T, w) {
    const [R, Z, N, HN] = tf.split(rznh, 4, 1);
    const one = tf.scalar(1);
    // h' = (1 - z) * n + z * h;  n = tanh(xn + r * hn)
    const dN = perStep(one.sub(Z).mul(one.sub(N.square())), T);
    const dZ = perStep(hPrev.sub(N).mul(Z.mul(one.sub(Z))), T);
    const dR = perStep(HN.mul(R.mul(one.sub(R))), T);
    const r = perStep(R, T);
    const z = perStep(Z, T);
    return {
      step(t, dh) {
        const dn = dh.mul(dN[t]);
        const dz = dh.mul(dZ[t]);
        const dr = dn.mul(dR[t]);
        const dGh = tf.concat([dr, dz, dn.mul(r[t])], 1);
        return { dGi: tf.concat([dr, dz, dn], 1), dGh, dh: dh.mul(z[t]).add(tf.matMul(dGh, w.wHh)), dc: null };
      },
      extraGrads: () => [],
    };
  },
};

function simpleRnn(relu: boolean): Cell {
  return {
    gateNames: GATE_NAMES.RNN,
    foldsHiddenBias: true,
    step(xw, h, _c, { wHhT }) {
      const pre = xw.add(tf.matMul(h, wHhT));
      const hNew = relu ? tf.relu(pre) : tanh(pre);
      return { h: hNew, c: null, saved: [hNew] };
    },
    backward([hNew], T, w) {
      const slope = perStep(relu ? tf.step(hNew) : tf.scalar(1).sub(hNew.square()), T);
      return {
        step(t, dh) {
          const dPre = dh.mul(slope[t]);
          return { dGi: dPre, dGh: dPre, dh: tf.matMul(dPre, w.wHh), dc: null };
        },
        extraGrads: () => [],
      };
    },
  };
}

const CELLS: Record<Mode, Cell> = { LSTM: lstm, GRU: gru, RNN_TANH: simpleRnn(false), RNN_RELU: simpleRnn(true) };

/** What the forward and the backward pass of one layer share: the request, its cell, sizes and step order. */
interface LayerPlan extends LayerRequest {
  cell: Cell;
  T: number;
  B: number;
  In: number;
  /** The size of h: hiddenSize, or projSize with a projection. */
  P: number;
  H: number;
  /** The time steps in the order the layer runs them. */
  order: number[];
  hasBias: boolean;
}

/** Runs one layer in one direction over the whole sequence; differentiable w.r.t. x, h0, c0 and the weights.
 *  On the webgpu backend the fused WGSL kernels run it; else the native kernels when they are in use, else the
 *  tfjs ops below; each reports to a probe. */
export function recurrentLayer(req: LayerRequest): LayerResult {
  const plan = planOf(req);
  if (plan.B === 0) return emptyBatchLayer(plan);
  if (usesWebGPUKernels(plan)) return webgpuLayer(plan);
  const addon = nativeKernels();
  return addon && plan.T * plan.B * plan.In * plan.H > 0 ? nativeLayer(plan, addon) : tfjsLayer(plan);
}

/** A batch of 0 samples: empty outputs and zero gradients, as in PyTorch. Neither path runs it: XNNPACK
 *  refuses zero-sized matrices and leaves their gradients unwritten (garbage), and the cpu backend fails. */
function emptyBatchLayer(plan: LayerPlan): LayerResult {
  const kernel = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as Tensor[];
    return { value: tf.zeros([0]), gradFunc: () => inputs.map((input) => tf.zeros(input.shape)) };
  });
  return unflatten(kernel(...opInputs(plan)), plan);
}

// ---- WebGPU: the fused WGSL kernels of webgpu-recurrence.ts ------------------------------------------------

/** `UNROLL_WEBGPU_KERNELS=0` keeps the recurrent layers on tfjs ops on the webgpu backend (to compare). */
export const WEBGPU_KERNELS_ENV = "UNROLL_WEBGPU_KERNELS";

/** On the webgpu backend, layers run on the fused kernels (dynamics probes included). */
function usesWebGPUKernels(plan: LayerPlan): boolean {
  if (tf.getBackend() !== "webgpu" || process.env[WEBGPU_KERNELS_ENV] === "0") return false;
  return plan.T * plan.B * plan.In * plan.H > 0;
}

const webgpuLayer = (plan: LayerPlan): LayerResult => layerOp(plan, webgpuForward, webgpuBackward);

function planOf(req: LayerRequest): LayerPlan {
  const [T, B, In] = req.x.shape as [number, number, number];
  const H = req.weights.wHh.shape[0] / GATES[req.mode];
  const P = req.h0.shape[1]!;
  const order = Array.from({ length: T }, (_, k) => (req.reverse ? T - 1 - k : k));
  return { ...req, cell: CELLS[req.mode], T, B, In, P, H, order, hasBias: req.weights.bIh !== null };
}

/** The differentiable inputs of a layer's op, in the order its gradient function returns their gradients. */
function opInputs({ x, h0, c0, weights: w }: LayerPlan): Tensor[] {
  return [x, h0, ...(c0 ? [c0] : []), w.wIh, w.wHh, ...(w.bIh ? [w.bIh, w.bHh!] : []), ...(w.wHr ? [w.wHr] : [])];
}

/** Output, h_n and c_n from the op's value, which is the three flattened into one tensor. */
function unflatten(flat: Tensor, { T, B, P, H, c0 }: LayerPlan): LayerResult {
  // One split (whose gradient is one concat) rather than a slice each: every op under the tape costs kernels.
  const [output, h, c] = tf.split(flat, [T * B * P, B * P, ...(c0 ? [B * H] : [])]);
  return { output: output.reshape([T, B, P]), h: h.reshape([B, P]), c: c0 ? c.reshape([B, H]) : null };
}

/** The layer as one op under the tape: `forward` gives its flattened value and what it saves for `backward`, which
 *  returns the gradients of opInputs(plan). */
function layerOp(
  plan: LayerPlan,
  forward: (plan: LayerPlan) => { value: Tensor; saved: Tensor[] },
  backward: (plan: LayerPlan, dy: Tensor, saved: Tensor[]) => Tensor[],
): LayerResult {
  const kernel = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const { value, saved } = forward(plan);
    save(saved);
    return { value, gradFunc: (dy: Tensor, kept: Tensor[]) => backward(plan, dy, kept) };
  });
  return unflatten(kernel(...opInputs(plan)), plan);
}

/** The layer as tfjs ops: one op whose forward and backward passes are below. */
const tfjsLayer = (plan: LayerPlan): LayerResult => layerOp(plan, forwardPass, backwardPass);

/** The layer as one op of the native kernels (native/recurrent.cc), forward and backward, on the tensors'
 *  memory in place. Its outputs are the output, h_n and c_n themselves (a flat value split afterwards cost a
 *  split, reshapes and their saved copies: more than the whole layer on a small model). What the forward pass
 *  keeps for the backward pass is one tensor: per step and sample h_{t-1}, the gates' activations, and LSTM's
 *  c_{t-1} and tanh(c_t) or GRU's W_hn h + b_hn. A probe gets sample 0's states and gates from it, and
 *  ‖∂L/∂h_t‖ from the backward pass. */
function nativeLayer(plan: LayerPlan, addon: NativeAddon): LayerResult {
  const { mode, x, h0, c0, weights: w, mask, reverse, probe, T, B, In, H, P } = plan;
  const layer: NativeLayer = { mode, gates: GATES[mode], steps: T, batch: B, input: In, hidden: H, proj: P, reverse, threads: nativeThreads() };
  const extra = mode === "LSTM" ? 2 * H : mode === "GRU" ? H : 0;
  const [output, h, c] = customOp(opInputs(plan), (save) => {
    const weights = { weightIh: w.wIh, weightHh: w.wHh, weightHr: w.wHr };
    const { out, hN, cN, saved } = nativeForward(addon, layer, { x, h0, c0, ...weights, biasIh: w.bIh, biasHh: w.bHh, mask });
    save([x, ...(mask ? [mask] : []), saved!]);
    if (probe) reportNativeForward(plan, hN!, cN, saved!, extra);
    const gradFunc = ([dOut, dhN, dcN]: Tensor[], kept: Tensor[]) => {
      const [xKept, maskKept, savedKept] = mask ? kept : [kept[0], null, kept[1]];
      const inputs = { x: xKept, ...weights, mask: maskKept, saved: savedKept, dOut, dhN, dcN: dcN ?? null };
      const g = nativeBackward(addon, layer, inputs, { biases: w.bIh !== null, dhNorms: !!probe });
      if (probe) probe.backward(g.dhNorms!);
      // In the order of opInputs(plan).
      return [g.dx, g.dh0, g.dc0, g.dWeightIh, g.dWeightHh, g.dBiasIh, g.dBiasHh, g.dWeightHr].filter((t): t is Tensor => t !== null);
    };
    return { value: [out!, hN!, ...(cN ? [cN] : [])], gradFunc };
  });
  return { output, h, c: c ?? null };
}

/** Sample 0's states and gates from what the native forward pass saved (h_{t-1} and c_{t-1} of each step: the
 *  state after step t is the one before the step that runs next, or h_n and c_n after the last). */
function reportNativeForward({ mode, cell, reverse, probe, T, B, H, P }: LayerPlan, hN: Tensor, cN: Tensor | null, saved: Tensor, extra: number): void {
  const GH = GATES[mode] * H;
  const sample0 = (flat: Tensor, at: number, width: number, take = width) =>
    flat
      .slice(at, T * B * width)
      .reshape([T, B, width])
      .slice([0, 0, 0], [T, 1, take])
      .reshape([T, take]);
  const first = (state: Tensor, width: number) => state.slice([0, 0], [1, width]);
  // Rows by time: the state after step t is the state before step t + 1 (t − 1 in reverse).
  const afterEachStep = (before: Tensor, final: Tensor, width: number) =>
    reverse ? tf.concat([final, before.slice([0, 0], [T - 1, width])]) : tf.concat([before.slice([1, 0], [T - 1, width]), final]);
  const hidden = afterEachStep(sample0(saved, 0, P), first(hN, P), P);
  const cellState = mode === "LSTM" ? afterEachStep(sample0(saved, T * B * (P + GH), extra, H), first(cN!, H), H) : null;
  const gates = cell.gateNames.length ? sample0(saved, T * B * P, GH, cell.gateNames.length * H) : null;
  probe!.forward({ hidden, cell: cellState, gates, gateNames: cell.gateNames });
}

/** Runs small layers of every kind of work the native kernels do through them and through the tfjs path,
 *  forward and backward, and compares; returns the first difference found, or null. */
export function checkNativeKernels(addon: NativeAddon): string | null {
  const cases: [Mode, boolean, boolean, number][] = [
    ["LSTM", true, true, 2], // packed, reverse, projection to 2
    ["GRU", false, false, 4],
    ["RNN_RELU", true, false, 4],
  ];
  let problem = null as string | null;
  tf.tidy(() => {
    for (const [k, [mode, packed, reverse, P]] of cases.entries()) {
      const [T, B, In, H] = [4, 3, 3, 4];
      const G = GATES[mode] * H;
      const r = (shape: number[], seed: number) => tf.randomUniform(shape, -0.8, 0.8, "float32", 17 * k + seed);
      const lengths = [4, 1, 3];
      const req: LayerRequest = {
        mode,
        x: r([T, B, In], 1),
        h0: r([B, P], 2),
        c0: mode === "LSTM" ? r([B, H], 3) : null,
        weights: { wIh: r([G, In], 4), wHh: r([G, P], 5), bIh: r([G], 6), bHh: r([G], 7), wHr: P !== H ? r([P, H], 8) : null },
        reverse,
        mask: packed ? stepMask(lengths, T) : null,
      };
      const plan = planOf(req);
      const inputs = opInputs(plan);
      const loss =
        (layer: (plan: LayerPlan) => LayerResult) =>
        (...xs: Tensor[]) => {
          const [x, h0, ...rest] = xs;
          const c0 = plan.c0 ? rest.shift()! : null;
          const [wIh, wHh, bIh, bHh, wHr] = [rest[0], rest[1], rest[2], rest[3], rest[4] ?? null];
          const { output, h, c } = layer({ ...plan, x, h0, c0, weights: { wIh, wHh, bIh, bHh, wHr } });
          return output
            .mul(r(output.shape, 9))
            .sum()
            .add(h.mul(r(h.shape, 10)).sum())
            .add(c ? c.mul(r(c.shape, 11)).sum() : 0);
        };
      const ours = tf.valueAndGrads(loss((p) => nativeLayer(p, addon)))(inputs);
      const theirs = tf.valueAndGrads(loss(tfjsLayer))(inputs);
      const pairs: [string, Tensor, Tensor][] = [
        ["loss", ours.value, theirs.value],
        ...ours.grads.map((g, i): [string, Tensor, Tensor] => [`gradient ${i}`, g, theirs.grads[i]]),
      ];
      for (const [what, a, b] of pairs) {
        const diff = a.sub(b).abs().max().dataSync()[0];
        const scale = Math.max(1, b.abs().max().dataSync()[0]);
        if (!(diff <= 1e-4 * scale)) {
          problem = `${mode}: ${what} differs from the tfjs path by ${diff}`;
          return;
        }
      }
    }
  });
  return problem;
}

/** The input projection of all steps in one matmul, then the cell step by step; returns output, h_n and c_n
 *  flattened, and what the backward pass needs. */
function forwardPass(plan: LayerPlan): { value: Tensor; saved: Tensor[] } {
  const { cell, x, h0, c0, weights: w, mask, probe, T, B, In, H, order, hasBias } = plan;
  const x2d = x.reshape([T * B, In]);
  let xw = tf.matMul(x2d, tf.transpose(w.wIh));
  if (hasBias) xw = xw.add(cell.foldsHiddenBias ? w.bIh!.add(w.bHh!) : w.bIh!);
  const scale = cell.gateScale ? tf.concat(cell.gateScale.map((s) => tf.fill([H], s))) : null;
  const scaled = (t: Tensor) => (scale ? t.mul(scale) : t);
  const xs = perStep(scaled(xw), T);
  const masks = mask ? perStep(mask.reshape([T * B, 1]), T) : null;
  const transposed: Transposed = {
    wHhT: scaled(tf.transpose(w.wHh)),
    wHrT: w.wHr ? tf.transpose(w.wHr) : null,
    bHh: cell.foldsHiddenBias ? null : w.bHh,
  };

  let h = h0;
  let c = c0;
  const outputs: Tensor[] = new Array(T);
  const hPrev: Tensor[] = new Array(T);
  const savedPerStep: Tensor[][] = new Array(T);
  const states: Tensor[] = new Array(T); // the state after each step, kept only for a probe
  const cells: Tensor[] = new Array(T);
  for (const t of order) {
    hPrev[t] = h;
    const next = cell.step(xs[t], h, c, transposed);
    savedPerStep[t] = next.saved;
    if (masks) {
      const m = masks[t];
      outputs[t] = next.h.mul(m);
      h = h.add(m.mul(next.h.sub(h)));
      c = c && c.add(m.mul(next.c!.sub(c)));
    } else {
      outputs[t] = next.h;
      h = next.h;
      c = next.c;
    }
    if (probe) [states[t], cells[t]] = [h, c!];
  }
  if (probe) reportForward(probe, states, c ? cells : null, savedPerStep, cell.gateNames, H);
  const stacked = savedPerStep[0].map((_, k) =>
    tf.concat(
      savedPerStep.map((s) => s[k]),
      0,
    ),
  );
  const flat = [tf.concat(outputs, 0), h, ...(c ? [c] : [])].map((t) => t.reshape([-1]));
  return { value: tf.concat(flat, 0), saved: [x2d, tf.concat(hPrev, 0), ...(mask ? [mask] : []), ...stacked] };
}

/** Backpropagation through time from the gradient of the flattened output: per step the cell's backward, then
 *  the weight gradients over all steps in one matmul each. Returns the gradients of the op's inputs, in order. */
function backwardPass(plan: LayerPlan, dy: Tensor, saved: Tensor[]): Tensor[] {
  const { cell, c0, weights: w, mask, probe, T, B, In, P, H, order, hasBias } = plan;
  const [x2dSaved, hPrevAll] = saved;
  const masks = mask ? perStep(saved[2].reshape([T * B, 1]), T) : null;
  const cellSaved = saved.slice(mask ? 3 : 2);
  const dOut = perStep(dy.slice(0, T * B * P).reshape([T * B, P]), T);
  let dh = dy.slice(T * B * P, B * P).reshape([B, P]);
  let dc = c0 ? dy.slice(T * B * P + B * P, B * H).reshape([B, H]) : null;
  const back = cell.backward(cellSaved, T, w);
  const dGi: Tensor[] = new Array(T);
  const dGh: Tensor[] = new Array(T);
  const dhAll: Tensor[] = new Array(T); // ∂L/∂h_t, kept only for a probe
  for (let k = T - 1; k >= 0; k--) {
    const t = order[k];
    const m = masks?.[t];
    const dhNew = m ? dOut[t].add(dh).mul(m) : dOut[t].add(dh);
    if (probe) dhAll[t] = dhNew;
    const dcNew = m && dc ? dc.mul(m) : dc;
    const g = back.step(t, dhNew, dcNew);
    dGi[t] = g.dGi;
    dGh[t] = g.dGh;
    if (m) {
      const keep = tf.scalar(1).sub(m); // where the mask is 0 the state passed straight through
      dh = g.dh.add(dh.mul(keep));
      dc = dc && g.dc!.add(dc.mul(keep));
    } else {
      dh = g.dh;
      dc = g.dc;
    }
  }
  if (probe) probe.backward(sample0(dhAll).square().sum(1).sqrt());
  const DGi = tf.concat(dGi, 0);
  const DGh = cell.foldsHiddenBias ? DGi : tf.concat(dGh, 0);
  const dBih = hasBias ? sumRows(DGi) : null;
  return [
    tf.matMul(DGi, w.wIh).reshape([T, B, In]),
    dh,
    ...(c0 ? [dc!] : []),
    transposedProduct(DGi, x2dSaved),
    transposedProduct(DGh, hPrevAll),
    ...(dBih ? [dBih, cell.foldsHiddenBias ? dBih : sumRows(DGh)] : []),
    ...back.extraGrads(),
  ];
}

/** Sample 0's row of each per-step `[B, n]` tensor, stacked by time: `[T, width]` (the first `width` columns). */
function sample0(perStep: Tensor[], width = perStep[0].shape[1]!): Tensor {
  return tf.stack(perStep).slice([0, 0, 0], [perStep.length, 1, width]).reshape([perStep.length, width]);
}

/** Gives a probe sample 0's states and gate activations (the first columns of a step's first saved tensor). */
function reportForward(probe: LayerProbe, states: Tensor[], cells: Tensor[] | null, saved: Tensor[][], gateNames: readonly string[], H: number): void {
  probe.forward({
    hidden: sample0(states),
    cell: cells && sample0(cells),
    gates: gateNames.length
      ? sample0(
          saved.map((s) => s[0]),
          gateNames.length * H,
        )
      : null,
    gateNames,
  });
}
