// The native kernels give the same bits wherever their arrays lie: on the wasm heap a tensor's address depends
// on everything allocated before it, so a result that depended on alignment made the same seed train
// differently after other work in the process (a lesson's warning came and went with the order of the tests).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { nativeKernels, type NativeAddon } from "../../src/nn/native";
import { requireNativeKernels } from "./helpers";

/** Deterministic values in [-0.5, 0.5). */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

/** A copy of `v` (or n zeros) starting `offset` floats into its buffer: another alignment, the same values. */
function at(offset: number, v: Float32Array | number): Float32Array {
  const n = typeof v === "number" ? v : v.length;
  const a = new Float32Array(n + 16).subarray(offset, offset + n);
  if (typeof v !== "number") a.set(v);
  return a;
}

/** Runs `kernel` with its arrays at offsets 1–5 and checks every output equals offset 0's, bit for bit. */
function sameAtEveryOffset(kernel: (offset: number) => Record<string, Float32Array | null>): void {
  const first = kernel(0);
  for (let offset = 1; offset <= 5; offset++) {
    const other = kernel(offset);
    for (const [name, out] of Object.entries(first)) {
      if (!out) continue;
      const differ = out.filter((v, i) => !Object.is(v, other[name]![i])).length;
      assert.equal(differ, 0, `${name}: ${differ} of ${out.length} values differ at offset ${offset}`);
    }
  }
}

describe("the native kernels do not depend on their arrays' alignment", () => {
  const unavailable = requireNativeKernels();
  const addon = () => nativeKernels() as NativeAddon;

  test("the fused Adam step (its square roots: vectorised and scalar alike)", (t) => {
    if (unavailable()) return t.skip(unavailable()!);
    const [p, g] = [values(1000, 7), values(1000, 8)];
    sameAtEveryOffset((offset) => {
      const [out, m, v] = [at(offset, 1000), at(offset, 1000), at(offset, 1000)];
      const hyper = { kind: 1, lr: 0.2, step: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
      addon().optimizerStep({ ...hyper, params: [at(offset, p)], grads: [at(offset, g)], out: [out], states: [[m, v]], fresh: [true] });
      return { out, m, v };
    });
  });

  for (const [name, mode, gates] of [
    ["LSTM", "LSTM", 4],
    ["GRU", "GRU", 3],
    ["RNN", "RNN_TANH", 1],
  ] as const) {
    test(`${name}: forward and backward, bias gradients included`, (t) => {
      if (unavailable()) return t.skip(unavailable()!);
      const [T, B, In, H] = [50, 64, 8, 32];
      const G = gates * H;
      const lstm = mode === "LSTM";
      const saved = T * B * (H + G + (lstm ? 2 * H : mode === "GRU" ? H : 0));
      const layer = { mode, gates, steps: T, batch: B, input: In, hidden: H, proj: H, reverse: false, threads: 0 };
      const [x, h0, c0, wIh, wHh, bIh, bHh, dOut, dhN, dcN] = [T * B * In, B * H, B * H, G * In, G * H, G, G, T * B * H, B * H, B * H].map((n, k) =>
        values(n, 11 + k),
      );
      sameAtEveryOffset((o) => {
        const w = [wIh, wHh].map((v) => at(o, v));
        const kept = { x: at(o, x), saved: at(o, saved) };
        const out = { out: at(o, T * B * H), hN: at(o, B * H), cN: lstm ? at(o, B * H) : null };
        const [weightIh, weightHh, biasIh, biasHh] = [w[0], w[1], at(o, bIh), at(o, bHh)];
        addon().forward({
          ...layer,
          x: kept.x,
          h0: at(o, h0),
          c0: lstm ? at(o, c0) : null,
          weightIh,
          weightHh,
          biasIh,
          biasHh,
          weightHr: null,
          mask: null,
          ...out,
          saved: kept.saved,
        });
        const grads = {
          dx: at(o, x.length),
          dh0: at(o, B * H),
          dc0: lstm ? at(o, B * H) : null,
          dWeightIh: at(o, G * In),
          dWeightHh: at(o, G * H),
          dBiasIh: at(o, G),
          dBiasHh: at(o, G),
        };
        const dcN_ = lstm ? at(o, dcN) : null;
        addon().backward({
          ...layer,
          x: kept.x,
          weightIh,
          weightHh,
          weightHr: null,
          mask: null,
          saved: kept.saved,
          dOut: at(o, dOut),
          dhN: at(o, dhN),
          dcN: dcN_,
          ...grads,
          dWeightHr: null,
          dhNorms: null,
        });
        return { ...out, ...grads };
      });
    });
  }
});
