// The native entry points called with random sizes and arrays, most of them mis-shaped on purpose: each call
// either computes (every output written: they start as NaN and must come back finite) or throws a JS error
// naming the call, never crashes or reads or writes outside its arrays. .ci/run runs this file again against
// a build under AddressSanitizer and UndefinedBehaviorSanitizer (UNROLL_FUZZ_MODULE=…/unroll_native_sanitize.node),
// where any out-of-bounds access or undefined behaviour ends the process.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BACKWARD_INPUTS, BACKWARD_OUTPUTS, FORWARD_INPUTS, FORWARD_OUTPUTS, nativeShapes, type NativeAddon, type NativeLayer } from "../../src/nn/native";
import { loadNativeAddon } from "../../src/nn/native-load";

/** A module file to fuzz instead of the prebuilt one (the sanitizer build); how many calls (default 600). */
export const FUZZ_MODULE_ENV = "UNROLL_FUZZ_MODULE";
const RUNS = Number(process.env.UNROLL_FUZZ_RUNS) || 600;

function addonUnderTest(): { addon: NativeAddon | null; why: string } {
  const file = process.env[FUZZ_MODULE_ENV];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a module file named at run time
  if (file) return { addon: require(file) as NativeAddon, why: "" };
  try {
    return { addon: loadNativeAddon().addon, why: "" };
  } catch (error) {
    if (process.env.UNROLL_NATIVE === "1") throw error;
    return { addon: null, why: (error as Error).message };
  }
}

/** mulberry32: the same calls on every run. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const MODES = [
  ["RNN_TANH", 1],
  ["RNN_RELU", 1],
  ["LSTM", 4],
  ["GRU", 3],
] as const;

type Kind = "forward" | "backward";
type Call = Record<string, unknown>;

/** A valid call of `kind` with small random sizes, its arrays laid out one after another in one buffer (as on
 *  the wasm heap), inputs in [-1, 1] (the mask 0/1), outputs NaN; `outputs` names the arrays it writes. */
function validCall(r: Random, kind: Kind): { call: Call; outputs: string[]; buffer: ArrayBuffer } {
  const [mode, gates] = r.pick(MODES);
  const H = 1 + r.int(6);
  const P = mode === "LSTM" && H > 1 && r.next() < 0.4 ? 1 + r.int(H - 1) : H;
  const layer: NativeLayer = {
    ...{ mode, gates, steps: 1 + r.int(5), batch: 1 + r.int(6), input: 1 + r.int(6), hidden: H, proj: P },
    ...{ reverse: r.next() < 0.5, threads: r.pick([0, 0, 1, 2, 3, 100000]) },
  };
  const shapes = nativeShapes(layer);
  const lstm = mode === "LSTM";
  const hasBias = r.next() < 0.6;
  const present: Record<string, boolean> = {
    ...{ c0: lstm, cN: lstm, dcN: lstm, dc0: lstm, weightHr: P !== H, dWeightHr: P !== H },
    ...{ biasIh: hasBias, biasHh: hasBias, dBiasIh: hasBias, dBiasHh: hasBias, mask: r.next() < 0.5, dhNorms: r.next() < 0.5 },
  };
  const [inputs, outputs] = kind === "forward" ? [FORWARD_INPUTS, FORWARD_OUTPUTS] : [BACKWARD_INPUTS, BACKWARD_OUTPUTS];
  const names = [...inputs, ...outputs].filter((name) => present[name] ?? true);
  const size = (name: string) => shapes[name as keyof typeof shapes].reduce((a, b) => a * b, 1);
  const buffer = new ArrayBuffer(4 * names.reduce((sum, name) => sum + size(name), 0));
  const call: Call = { ...layer };
  let offset = 0;
  for (const name of [...inputs, ...outputs]) {
    if (!names.includes(name)) {
      call[name] = null;
      continue;
    }
    const array = new Float32Array(buffer, offset, size(name));
    offset += array.byteLength;
    const output = (outputs as readonly string[]).includes(name);
    array.forEach((_, i) => (array[i] = output ? NaN : name === "mask" ? r.int(2) : 2 * r.next() - 1));
    call[name] = array;
  }
  return { call, outputs: outputs.filter((name) => call[name] !== null), buffer };
}

const SIZE_FIELDS = ["steps", "batch", "input", "hidden", "proj"];
const REQUIRED: Record<Kind, string[]> = {
  forward: ["x", "h0", "weightIh", "weightHh", "out", "hN", "saved"],
  backward: ["x", "weightIh", "weightHh", "saved", "dOut", "dhN", "dx", "dh0", "dWeightIh", "dWeightHh"],
};

/** One change to a valid call that the addon must refuse; says what it did. */
function misShape(r: Random, kind: Kind, call: Call, outputs: string[]): string {
  const arrays = Object.keys(call).filter((k) => call[k] instanceof Float32Array);
  const choice = r.int(9);
  if (choice === 0) {
    const key = r.pick(SIZE_FIELDS);
    const bad = r.pick<unknown>([-1, 0, NaN, 1.5, "3", undefined, null, 2 ** 31, 2 ** 53, Infinity, (call[key] as number) + 1]);
    // proj + 1 fits an LSTM whose proj was below hidden - 1 only if h0's length matches: it never does (batch ≥ 1).
    call[key] = bad;
    return `${key} = ${String(bad)}`;
  }
  if (choice === 1) {
    const lstm = call.mode === "LSTM";
    call.mode = r.pick(lstm ? ["lstm", "", 3, undefined, "GRU", "RNN_TANH"] : ["gru", "LSTM ", 0, null, "LSTM"]);
    return `mode = ${String(call.mode)}`;
  }
  if (choice === 2) {
    call.gates = r.pick([0, 2, 5, "4", (call.gates as number) + 1, undefined]);
    return `gates = ${String(call.gates)}`;
  }
  if (choice === 3) {
    const [key, bad] = r.pick<[string, unknown]>([
      ["reverse", 1],
      ["reverse", "yes"],
      ["threads", -1],
      ["threads", 1.5],
      ["threads", NaN],
      ["threads", "2"],
    ]);
    call[key] = bad;
    return `${key} = ${String(bad)}`;
  }
  if (choice === 4) {
    const key = r.pick(arrays);
    const n = (call[key] as Float32Array).length;
    call[key] = new Float32Array(r.pick([n + 1, n - 1, 0, 2 * n + 1]));
    return `${key} of the wrong length`;
  }
  if (choice === 5) {
    const key = r.pick(arrays);
    const n = (call[key] as Float32Array).length;
    call[key] = r.pick<unknown>([new Float64Array(n), Array.from({ length: n }, () => 0), n, "x", {}, new Int32Array(n)]);
    return `${key} of the wrong type`;
  }
  if (choice === 6) {
    const key = r.pick(REQUIRED[kind]);
    call[key] = r.pick([null, undefined]);
    return `${key} missing`;
  }
  if (choice === 7) {
    // An array this mode has no use for: a cell state for a GRU, W_hr for an LSTM without projection.
    const key = call.mode === "LSTM" ? (kind === "forward" ? "weightHr" : "dWeightHr") : kind === "forward" ? r.pick(["c0", "cN"]) : r.pick(["dcN", "dc0"]);
    if (call[key]) return misShape(r, kind, call, outputs);
    const n = key.endsWith("Hr") ? (call.proj as number) * (call.hidden as number) : (call.batch as number) * (call.hidden as number);
    call[key] = new Float32Array(n);
    return `${key} given`;
  }
  // An output sharing memory with another array: its view moved one float into its neighbour's.
  const key = r.pick(outputs);
  const a = call[key] as Float32Array;
  const start = a.byteOffset > 0 ? a.byteOffset - 4 : a.byteOffset + 4;
  if (start + a.byteLength > a.buffer.byteLength || arrays.length < 2) return misShape(r, kind, call, outputs);
  call[key] = new Float32Array(a.buffer, start, a.length);
  return `${key} overlapping its neighbour`;
}

function run(addon: NativeAddon, kind: Kind, call: Call): void {
  (addon[kind] as unknown as (call: Call) => void)(call);
}

describe("the native entry points under random mis-shapes", () => {
  const { addon, why } = addonUnderTest();

  for (const kind of ["forward", "backward"] as const) {
    test(`${kind}: ${RUNS} random calls, valid ones compute, mis-shaped ones are refused with an error`, (t) => {
      if (!addon) return t.skip(why);
      const r = generator(kind === "forward" ? 20 : 21);
      let refused = 0;
      for (let k = 0; k < RUNS; k++) {
        const { call, outputs } = validCall(r, kind);
        const change = r.next() < 0.75 ? misShape(r, kind, call, outputs) : null;
        if (change === null) {
          run(addon, kind, call);
          for (const name of outputs) {
            const values = call[name] as Float32Array;
            assert.ok(
              values.every(Number.isFinite),
              `call ${k}: ${name} not all written (${values.filter((v) => !Number.isFinite(v)).length} of ${values.length})`,
            );
          }
          continue;
        }
        assert.throws(
          () => run(addon, kind, call),
          (error: Error) => error instanceof Error && error.message.startsWith(`${kind}: `),
          `call ${k}: ${change} was not refused`,
        );
        refused++;
      }
      assert.ok(refused > RUNS / 2, `${refused} of ${RUNS} calls were mis-shaped`);
    });
  }

  test("anything but one argument structure is refused", (t) => {
    if (!addon) return t.skip(why);
    const r = generator(22);
    const { call } = validCall(r, "forward");
    for (const args of [[], [1], [[]], [null], [new Float32Array(3)], [call, call]]) {
      assert.throws(() => (addon.forward as (...a: unknown[]) => void)(...args), /^TypeError: forward: expected one argument structure/);
    }
    assert.throws(() => (addon.optimizerStep as (...a: unknown[]) => void)("sgd"), /optimizerStep: expected one argument structure/);
  });

  test("gemmTime (the bench's floor): a small product is timed; every mis-sized call is refused before allocating", (t) => {
    if (!addon) return t.skip(why);
    const gemmTime = (addon as unknown as { gemmTime: (call: unknown) => number }).gemmTime;
    const valid = { m: 7, n: 5, k: 3, transA: false, transB: true, threads: 2, repeats: 4 };
    for (const trans of [{}, { transA: true }, { transA: true, transB: false }, { threads: 1 }, { threads: undefined }]) {
      const seconds = gemmTime({ ...valid, ...trans });
      assert.ok(seconds > 0 && seconds < 1, `${JSON.stringify(trans)}: ${seconds}`);
    }
    const cores = addon.info().cores;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ m: 0 }, /^RangeError: gemmTime: m: expected a whole number from 1/],
      [{ n: 2.5 }, /^RangeError: gemmTime: n: expected a whole number/],
      [{ k: -1 }, /^RangeError: gemmTime: k: expected a whole number/],
      [{ k: "3" }, /^TypeError: gemmTime: k: expected a number, got a string/],
      [{ m: undefined }, /^TypeError: gemmTime: m: expected a number, got nothing/],
      [{ m: Infinity }, /^RangeError: gemmTime: m: expected a finite number/],
      [{ m: 1 << 20, k: 1 << 20 }, /^RangeError: gemmTime: a matrix of the product comes to more than 2\^28 floats/],
      [{ threads: cores + 1 }, /^RangeError: gemmTime: threads: expected a whole number from 0 to/],
      [{ repeats: 0 }, /^RangeError: gemmTime: repeats: expected a whole number from 1/],
      [{ transA: "yes" }, /^TypeError: gemmTime: transA: expected true or false, got a string/],
    ];
    for (const [change, message] of bad) assert.throws(() => gemmTime({ ...valid, ...change }), message, JSON.stringify(change));
    for (const args of [[], [null], [[]], [valid, valid]])
      assert.throws(() => (gemmTime as (...a: unknown[]) => number)(...args), /^TypeError: gemmTime: expected one argument structure/);
  });

  test("an array detached while the arguments are read (by a getter) is refused", (t) => {
    if (!addon) return t.skip(why);
    const r = generator(23);
    const { call, buffer } = validCall(r, "forward");
    const saved = new Float32Array((call.saved as Float32Array).length);
    Object.defineProperty(call, "saved", {
      enumerable: true,
      get: () => {
        structuredClone(buffer, { transfer: [buffer] }); // detaches every other array of the call
        return saved;
      },
    });
    assert.throws(() => run(addon, "forward", call), /forward: \w+: changed while the arguments were read/);
  });
});
