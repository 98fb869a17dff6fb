// What the native kernels refuse, and alike the tfjs path: parameters replaced by mis-shaped ones, hand-built
// packed sequences whose fields do not fit; the thread count of UNROLL_NATIVE_THREADS clamped to the machine;
// two worker_threads using the kernels at once (each calling thread has its own scratch memory).
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { tf, nn } from "unroll";
type Tensor = tf.Tensor;
import { checkNativeCall, nativeShapes, nativeThreads, type NativeAddon, type NativeLayer } from "../../src/nn/native";
import { loadNativeAddon } from "../../src/nn/native-load";
import { setupBackend, setupBackendWithNative } from "./helpers";

const { PackedSequence, packPaddedSequence } = nn.utils.rnn;

/** Deterministic values in [-0.5, 0.5). */
function values(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

/** A layer's forward and backward calls on fresh arrays (seeded inputs), run on `addon`; returns every output. */
function runLayer(addon: NativeAddon, layer: NativeLayer, seed: number): Record<string, Float32Array> {
  const shapes = nativeShapes(layer);
  const lstm = layer.mode === "LSTM";
  let k = seed;
  const input = (name: keyof typeof shapes) => values(tf.util.sizeFromShape(shapes[name]), k++);
  const output = (name: keyof typeof shapes) => new Float32Array(tf.util.sizeFromShape(shapes[name]));
  const weights = { weightIh: input("weightIh"), weightHh: input("weightHh"), weightHr: null };
  const fwd = { out: output("out"), hN: output("hN"), cN: lstm ? output("cN") : null, saved: output("saved") };
  const x = input("x");
  addon.forward({
    ...layer,
    x,
    h0: input("h0"),
    c0: lstm ? input("c0") : null,
    ...weights,
    biasIh: input("biasIh"),
    biasHh: input("biasHh"),
    mask: null,
    ...fwd,
  });
  const bwd = {
    ...{ dx: output("dx"), dh0: output("dh0"), dc0: lstm ? output("dc0") : null, dWeightIh: output("dWeightIh"), dWeightHh: output("dWeightHh") },
    ...{ dBiasIh: output("dBiasIh"), dBiasHh: output("dBiasHh"), dWeightHr: null, dhNorms: output("dhNorms") },
  };
  const dIn = { dOut: input("dOut"), dhN: input("dhN"), dcN: lstm ? input("dcN") : null };
  addon.backward({ ...layer, x, ...weights, mask: null, saved: fwd.saved, ...dIn, ...bwd });
  return Object.fromEntries(Object.entries({ ...fwd, ...bwd }).filter((e) => e[1] !== null)) as Record<string, Float32Array>;
}

/** Layers of several sizes, so that a shared scratch pool would be resized under the other thread's feet. */
const CONCURRENT_LAYERS: NativeLayer[] = [
  { mode: "LSTM", gates: 4, steps: 30, batch: 24, input: 16, hidden: 48, proj: 48, reverse: false, threads: 2 },
  { mode: "GRU", gates: 3, steps: 7, batch: 5, input: 3, hidden: 9, proj: 9, reverse: true, threads: 2 },
  { mode: "GRU", gates: 3, steps: 40, batch: 32, input: 8, hidden: 64, proj: 64, reverse: false, threads: 1 },
  { mode: "RNN_TANH", gates: 1, steps: 12, batch: 3, input: 5, hidden: 7, proj: 7, reverse: false, threads: 2 },
];

const differing = (a: Float32Array, b: Float32Array) => a.filter((v, i) => !Object.is(v, b[i])).length;

// A worker: runs the layers `rounds` times over, in its own order, and reports how many outputs ever differed
// from its first round's, and the first round's outputs.
if (!isMainThread) {
  const { file, rounds, shift } = workerData as { file: string; rounds: number; shift: number };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon's file, found by the main thread
  const addon = require(file) as NativeAddon;
  const first: Record<string, Float32Array>[] = [];
  let mismatches = 0;
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < CONCURRENT_LAYERS.length; j++) {
      const k = (j + shift) % CONCURRENT_LAYERS.length;
      const outputs = runLayer(addon, CONCURRENT_LAYERS[k], 100 + k);
      if (round === 0) first[k] = outputs;
      else for (const [name, v] of Object.entries(outputs)) mismatches += differing(v, first[k][name]);
    }
  }
  parentPort!.postMessage({ mismatches, first });
} else {
  describe("the native kernels: safety", () => {
    let addon: NativeAddon | null = null;
    let file = "";
    let why = "";
    try {
      ({ addon, file } = loadNativeAddon());
    } catch (error) {
      if (process.env.UNROLL_NATIVE === "1") throw error;
      why = (error as Error).message;
    }
    after(setupBackend);

    /** Runs `body` with the native kernels off, then on (where they load). */
    async function onEveryPath(body: (path: string) => void): Promise<void> {
      for (const native of addon ? [false, true] : [false]) {
        await setupBackendWithNative(native);
        body(native ? "native" : "tfjs");
      }
    }

    const replace = (module: nn.Module, name: string, value: unknown) => ((module as unknown as Record<string, unknown>)[name] = value);

    test("a parameter replaced by one of another shape, type or none is refused on every path, naming it", async () => {
      await onEveryPath((path) => {
        const x = tf.randomNormal([5, 2, 10]);
        const gru = new nn.GRU(10, 20);
        replace(gru, "weight_hh_l0", nn.parameter(tf.randomNormal([2, 2])));
        assert.throws(
          () => gru.forward(x),
          {
            name: "ShapeError",
            message: "GRU(input_size=10, hidden_size=20) got weight_hh_l0 [2, 2]: expected [3*hidden_size, hidden_size] = [60, 20]",
          },
          path,
        );
        const lstm = new nn.LSTM(10, 8, { numLayers: 2, bidirectional: true, projSize: 3 });
        replace(lstm, "weight_ih_l1_reverse", nn.parameter(tf.randomNormal([32, 7])));
        assert.throws(() => lstm.forward(x), /got weight_ih_l1_reverse \[32, 7\]: expected \[4\*hidden_size, 2\*proj_size\] = \[32, 6\]/, path);
        const projected = new nn.LSTM(10, 8, { projSize: 3 });
        replace(projected, "weight_hr_l0", nn.parameter(tf.randomNormal([8, 3])));
        assert.throws(() => projected.forward(x), /got weight_hr_l0 \[8, 3\]: expected \[proj_size, hidden_size\] = \[3, 8\]/, path);
        const rnn = new nn.RNN(10, 4);
        replace(rnn, "bias_hh_l0", undefined);
        assert.throws(() => rnn.forward(x), /RNN\(input_size=10, hidden_size=4\): the parameter bias_hh_l0 is missing/, path);
        replace(rnn, "bias_hh_l0", tf.zeros([4], "int32"));
        assert.throws(() => rnn.forward(x), /bias_hh_l0 must be float32, got int32/, path);
        const cell = new nn.GRUCell(10, 6);
        replace(cell, "weight_hh", nn.parameter(tf.randomNormal([18, 5])));
        assert.throws(
          () => cell.forward(tf.randomNormal([2, 10])),
          /GRUCell\(input_size=10, hidden_size=6\) got weight_hh \[18, 5\]: expected \[3\*hidden_size, hidden_size\] = \[18, 6\]/,
          path,
        );
        // The same modules with their own parameters run.
        assert.deepEqual(new nn.GRU(10, 20).forward(x)[0].shape, [5, 2, 20]);
      });
    });

    test("a hand-built PackedSequence whose fields do not fit is refused, with what is wrong", () => {
      const data = (rows: number) => tf.zeros([rows, 3]);
      const cases: [() => unknown, RegExp][] = [
        [() => new PackedSequence(data(3), [2, -1], [0, 1], [0, 1]), /batch_sizes must be whole numbers from 1, got \[2, -1\]/],
        [() => new PackedSequence(data(3), [2, NaN], [0, 1], [0, 1]), /batch_sizes must be whole numbers from 1, got \[2, NaN\]/],
        [() => new PackedSequence(data(3), [1.5, 1.5], [0, 1], [0, 1]), /whole numbers from 1/],
        [() => new PackedSequence(data(3), [1, 2], [0], [0]), /batch_sizes must not increase \(longest sequences first\), got \[1, 2\]/],
        [() => new PackedSequence(data(5), [2, 1], [0, 1], [0, 1]), /data has 5 rows, but batch_sizes \[2, 1\] sum to 3/],
        [() => new PackedSequence(data(0), [], [], []), /batch_sizes is empty/],
        [
          () => new PackedSequence(data(3), [2, 1], [0, 2], [0, 1]),
          /sorted_indices must be a permutation of 0 … 1 \(batch_sizes\[0\] = 2 sequences\), got \[0, 2\]/,
        ],
        [() => new PackedSequence(data(3), [2, 1], [1, 1], [0, 1]), /sorted_indices must be a permutation/],
        [() => new PackedSequence(data(3), [2, 1], [0, 1, 2], [0, 1]), /sorted_indices must be a permutation/],
        [() => new PackedSequence(data(3), [2, 1], [0, 1], [-1, 0]), /unsorted_indices must be a permutation/],
        [() => new PackedSequence(data(3), [2, 1], [1, 0], [0, 1]), /unsorted_indices \[0, 1\] must be the inverse of sorted_indices \[1, 0\]/],
        [() => new PackedSequence(data(3), "2,1" as unknown as number[], [1, 0], [1, 0]), /batch_sizes must be an array/],
        [() => new PackedSequence(tf.scalar(1), [1], [0], [0]), /data must be a tensor of at least one dimension, got a scalar/],
      ];
      for (const [make, message] of cases) assert.throws(make, { name: "UsageError", message }, String(message));
      assert.equal(String(new PackedSequence(data(3), [2, 1], [1, 0], [1, 0])), "PackedSequence(data=[3, 3], batch_sizes=[2, 1])");
    });

    test("a PackedSequence changed after it was made is refused by the recurrent modules on every path", async () => {
      await onEveryPath((path) => {
        const gru = new nn.GRU(3, 4);
        const changes: [(p: InstanceType<typeof PackedSequence>) => void, RegExp][] = [
          [(p) => (p.batchSizes[1] = 9), /padPackedSequence: batch_sizes must not increase/],
          [(p) => (p.batchSizes[2] = -2), /padPackedSequence: batch_sizes must be whole numbers from 1/],
          [(p) => (p.sortedIndices[0] = 7), /padPackedSequence: sorted_indices must be a permutation of 0 … 2/],
          [(p) => p.batchSizes.push(1), /padPackedSequence: data has 6 rows, but batch_sizes \[3, 2, 1, 1\] sum to 7/],
        ];
        for (const [change, message] of changes) {
          const packed = packPaddedSequence(tf.randomNormal([3, 3, 3]), [3, 1, 2], { enforceSorted: false });
          change(packed);
          assert.throws(() => gru.forward(packed), { name: "UsageError", message }, `${path}: ${String(message)}`);
        }
      });
    });

    test("the TypeScript side checks a native call's arrays against its sizes before the addon sees it", () => {
      const layer: NativeLayer = { mode: "GRU", gates: 3, steps: 2, batch: 3, input: 4, hidden: 5, proj: 5, reverse: false, threads: 0 };
      const arrays = Object.fromEntries(Object.entries(nativeShapes(layer)).map(([k, s]) => [k, new Float32Array(tf.util.sizeFromShape(s))]));
      const call = { ...layer, ...arrays, c0: null, cN: null, weightHr: null } as unknown as Parameters<typeof checkNativeCall>[0];
      const forward = Object.fromEntries(Object.entries(call).filter(([k]) => !k.startsWith("d")));
      assert.doesNotThrow(() => checkNativeCall(forward as typeof call));
      assert.throws(
        () => checkNativeCall({ ...forward, weightHh: new Float32Array(4) } as typeof call),
        /native GRU layer: weightHh has 4 floats, expected \[15, 5\] = 75/,
      );
      assert.throws(() => checkNativeCall({ ...forward, hidden: 2 / 3 } as typeof call), /native GRU layer: hidden must be a whole number from 1, got 0.666/);
      assert.throws(() => checkNativeCall({ ...forward, c0: new Float32Array(15) } as typeof call), /native GRU layer: c0 given, but this layer has none/);
      assert.throws(() => checkNativeCall({ ...forward, x: null } as typeof call), /native GRU layer: x missing/);
      assert.throws(() => checkNativeCall({ ...forward, biasIH: forward.biasIh } as unknown as typeof call), /native GRU layer: unknown field 'biasIH'/);
    });

    test("UNROLL_NATIVE_THREADS: clamped to the machine's cores; 0, negative or garbage give the default, with a warning", () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.message);
      process.on("warning", onWarning);
      try {
        assert.equal(nativeThreads("100000", 8), 8);
        assert.equal(nativeThreads("3", 8), 3);
        assert.equal(nativeThreads(undefined, 8), 0);
        assert.equal(nativeThreads("", 8), 0);
        for (const bad of ["0", "-4", "lots", "2.5", "NaN"]) assert.equal(nativeThreads(bad, 8), 0, bad);
      } finally {
        setImmediate(() => process.off("warning", onWarning));
      }
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          assert.deepEqual(warnings.filter((w) => w.startsWith("UNROLL_NATIVE_THREADS=")).length, 5, warnings.join("\n"));
          assert.match(
            warnings.find((w) => w.includes('"lots"'))!,
            /UNROLL_NATIVE_THREADS="lots" is not a whole number of threads from 1: the default is used/,
          );
          resolve();
        }),
      );
    });

    test("100000 threads asked of the addon: the machine's cores are used, and the results are a single thread's", (t) => {
      if (!addon) return t.skip(why);
      assert.equal(addon.info().cores, Math.max(1, os.availableParallelism()));
      for (const base of CONCURRENT_LAYERS) {
        const one = runLayer(addon, { ...base, threads: 1 }, 5);
        const many = runLayer(addon, { ...base, threads: 100000 }, 5);
        for (const [name, v] of Object.entries(one)) {
          const worst = v.reduce((m, x, i) => Math.max(m, Math.abs(x - many[name][i])), 0);
          assert.ok(worst <= 1e-5, `${base.mode} ${name}: differs by ${worst}`);
        }
      }
    });

    test("UNROLL_NATIVE_THREADS=100000 through the library: an LSTM trains as with the default", async (t) => {
      if (!addon) return t.skip(why);
      await setupBackendWithNative(true);
      const lstm = new nn.LSTM(8, 64);
      const x = tf.randomUniform([40, 32, 8], -1, 1, "float32", 9);
      // The loss and its gradient w.r.t. x (the native backward pass computes every gradient in the same call).
      const run = (threads: string | undefined) => {
        if (threads === undefined) delete process.env.UNROLL_NATIVE_THREADS;
        else process.env.UNROLL_NATIVE_THREADS = threads;
        const loss = (input: Tensor) => (lstm.forward(input)[0] as Tensor).square().mean();
        return [loss(x).dataSync()[0], ...tf.grad(loss)(x).dataSync()];
      };
      const previous = process.env.UNROLL_NATIVE_THREADS;
      try {
        const reference = run(undefined);
        const clamped = run("100000");
        clamped.forEach((v, i) => assert.ok(Math.abs(v - reference[i]) <= 1e-5 * Math.max(1, Math.abs(reference[i])), `${i}: ${v} vs ${reference[i]}`));
      } finally {
        if (previous === undefined) delete process.env.UNROLL_NATIVE_THREADS;
        else process.env.UNROLL_NATIVE_THREADS = previous;
      }
    });

    test("two worker_threads using the kernels at once give a single thread's results, round after round", async (t) => {
      if (!addon) return t.skip(why);
      const reference = CONCURRENT_LAYERS.map((layer, k) => runLayer(addon!, layer, 100 + k));
      const worker = (shift: number) =>
        new Promise<{ mismatches: number; first: Record<string, Float32Array>[] }>((resolve, reject) => {
          const w = new Worker(__filename, { workerData: { file, rounds: 15, shift } });
          w.once("message", resolve);
          w.once("error", reject);
          w.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        });
      const results = await Promise.all([worker(0), worker(1)]);
      for (const [n, { mismatches, first }] of results.entries()) {
        assert.equal(mismatches, 0, `worker ${n}: outputs changed between rounds`);
        reference.forEach((outputs, k) => {
          for (const [name, v] of Object.entries(outputs))
            assert.equal(differing(v, first[k][name]), 0, `worker ${n}, layer ${k}: ${name} differs from one thread's`);
        });
      }
    });
  });
}
