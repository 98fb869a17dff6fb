// The WebGPU backend (src/nn/webgpu.ts): telling hardware from software adapters, `auto` skipping a software
// adapter with the reason, and `webgpu` asked for by name running on one (Mesa's llvmpipe here). Where WebGPU
// cannot start at all (no dawn.node for the platform, no Mesa EGL), the tests that need it are skipped, saying why.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, nn, backward, recordDynamics, useBackend, webgpuAdapter, type DynamicsRecord } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeAdapter, adapterSummary, dawnPlatform, loadDawn } from "../../src/nn/webgpu";
import { setupBackend } from "./helpers";
import { webgpuUnavailable } from "./webgpu-helpers";

before(setupBackend);
after(setupBackend);

describe("describeAdapter", () => {
  test("llvmpipe through OpenGL ES is a software adapter, named as Dawn reports it", () => {
    const a = describeAdapter(
      { info: { vendor: "", architecture: "", device: "llvmpipe-llvm-15-0-6-256-bits-", description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6" } },
      true,
    );
    assert.deepEqual(a, {
      vendor: "",
      architecture: "",
      device: "llvmpipe-llvm-15-0-6-256-bits",
      description: "OpenGL version OpenGL ES 3.2 Mesa 22.3.6",
      software: true,
      compatibility: true,
    });
    assert.equal(adapterSummary(a), "llvmpipe-llvm-15-0-6-256-bits, OpenGL version OpenGL ES 3.2 Mesa 22.3.6; software adapter, compatibility mode");
  });

  test("lavapipe, SwiftShader and Dawn's fallback adapters are software too", () => {
    assert.ok(describeAdapter({ info: { vendor: "mesa", device: "llvmpipe (LLVM 15.0.6, 256 bits)", description: "Mesa 22.3.6 (lavapipe)" } }).software);
    assert.ok(describeAdapter({ info: { vendor: "google", architecture: "swiftshader", device: "SwiftShader Device (Subzero)" } }).software);
    assert.ok(describeAdapter({ info: { vendor: "intel" }, isFallbackAdapter: true }).software);
    assert.ok(describeAdapter({ info: { vendor: "intel", isFallbackAdapter: true } }).software);
  });

  test("a GPU is hardware, named by vendor, architecture, device and driver", () => {
    const a = describeAdapter({ info: { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3", description: "NVIDIA: 550.54.15" } });
    assert.equal(a.software, false);
    assert.equal(adapterSummary(a), "nvidia, hopper, NVIDIA H100 80GB HBM3, NVIDIA: 550.54.15");
    assert.equal(adapterSummary(describeAdapter({})), "unnamed adapter");
  });
});

describe("loadDawn: the webgpu package's binary, required directly (as the linux-x64 .vsix ships it)", () => {
  test("the binary of each platform is where the package puts it", () => {
    assert.deepEqual(
      [dawnPlatform("linux", "x64"), dawnPlatform("linux", "arm64"), dawnPlatform("darwin", "arm64"), dawnPlatform("win32", "x64")],
      ["linux-x64", "linux-arm64", "darwin-universal", "win32-x64"],
    );
  });

  test("a package without this platform's binary, or with one that does not load, says which and why", () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-dawn-"));
    try {
      assert.throws(() => loadDawn(folder), { message: `no Dawn binary for ${dawnPlatform()} (no ${path.join(folder, "dist", dawnPlatform(), "dawn.node")})` });
      fs.mkdirSync(path.join(folder, "dist", dawnPlatform()), { recursive: true });
      fs.writeFileSync(path.join(folder, "dist", dawnPlatform(), "dawn.node"), "not a shared object");
      assert.throws(() => loadDawn(folder), /^Error: dawn\.node failed to load: .*(invalid ELF header|not a valid|file too short|slice is not valid mach-o)/);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  test("the installed package's binary gives Dawn's create() and its globals", (t) => {
    let folder: string;
    try {
      folder = path.dirname(require.resolve("webgpu/package.json"));
    } catch {
      return t.skip("webgpu is not installed (an optional dependency)");
    }
    if (!fs.existsSync(path.join(folder, "dist", dawnPlatform(), "dawn.node"))) return t.skip(`webgpu ships no binary for ${dawnPlatform()}`);
    const dawn = loadDawn(folder);
    assert.equal(typeof dawn.create, "function");
    assert.equal(typeof (dawn.globals as { GPUBufferUsage?: { MAP_READ?: number } }).GPUBufferUsage?.MAP_READ, "number");
  });
});

describe("useBackend with WebGPU", () => {
  test("auto does not pick a software adapter and says why", async (t) => {
    const report = await useBackend("auto");
    const webgpu = report.attempts.find((a) => a.name === "webgpu")!;
    if (webgpu.ok) return t.skip(`this machine has a hardware adapter: ${webgpu.detail}`);
    assert.match(webgpu.detail, /not installed|no hardware adapter \((no Vulkan loader|Dawn found no GPU|\S+ is software, slower than wasm)|no WebGPU adapter/);
    assert.match(report.summary, /webgpu: /);
  });

  test("webgpu asked for by name runs on the software adapter and the report names it", async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    const report = await useBackend("webgpu", { native: false });
    assert.equal(report.name, "webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    const adapter = webgpuAdapter()!;
    assert.ok(adapter, "the adapter in use is known");
    assert.ok(report.summary.startsWith(`webgpu (${adapterSummary(adapter)})`), report.summary);
    if (adapter.software) assert.match(report.summary, /; software adapter/);
    const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync());
    assert.deepEqual(Array.from(product), [19, 22, 43, 50]);
  });

  // tfjs 4.22's Cast shared the int32 buffer: the next program's shader did not compile and its batch gave zeros.
  test("int32 and bool cast to float32 are read as floats by the next program (webgpu-cast.ts)", async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    await useBackend("webgpu", { native: false });
    const [oneHot, fromBool, empty] = tf.tidy(() => [
      // 05b's input: one-hot rows as floats, then transposed (batch first) by the RNN.
      tf
        .oneHot(tf.tensor1d([0, 1, 2, 2, 3], "int32"), 4)
        .toFloat()
        .reshape([1, 5, 4])
        .transpose([1, 0, 2])
        .mul(2)
        .dataSync(),
      tf.tensor1d([true, false, true], "bool").toFloat().add(0.5).dataSync(),
      tf.zeros([0, 3], "int32").toFloat().shape,
    ]);
    assert.deepEqual(Array.from(oneHot), [2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 2]);
    assert.deepEqual(Array.from(fromBool), [1.5, 0.5, 1.5]);
    assert.deepEqual(empty, [0, 3]);
    // A larger tensor, over many workgroups: its last values too.
    const tail = tf.tidy(() => tf.range(0, 70_000, 1, "int32").toFloat().slice([69_997], [3]).dataSync());
    assert.deepEqual(Array.from(tail), [69_997, 69_998, 69_999]);
  });
});

describe("the recurrent layers on WebGPU", () => {
  /** Counts the programs of the fused kernels run while `f` runs, by kind ("forward_LSTM"…). */
  function countKernels(f: () => void): Record<string, number> {
    const backend = tf.backend() as unknown as { runWebGPUProgram: (p: { shaderKey: string }, ...rest: unknown[]) => unknown };
    const original = backend.runWebGPUProgram;
    const seen: Record<string, number> = {};
    backend.runWebGPUProgram = function (p, ...rest) {
      const [, kind, mode] = p.shaderKey.split("_");
      if (p.shaderKey.startsWith("unroll_")) seen[`${kind}_${mode}`] = (seen[`${kind}_${mode}`] ?? 0) + 1;
      return original.call(this, p, ...rest);
    };
    try {
      f();
    } finally {
      backend.runWebGPUProgram = original;
    }
    return seen;
  }

  test("run on the fused WGSL kernels (LSTM with projSize too): one pointwise kernel per step forward and one backward, per direction", async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    await useBackend("webgpu", { native: false });
    const [T, B] = [5, 2];
    const cases = [
      [new nn.LSTM(3, 4), "LSTM", 1],
      [new nn.LSTM(3, 4, { projSize: 2 }), "LSTM", 1],
      [new nn.GRU(3, 4, { bidirectional: true }), "GRU", 2],
      [new nn.RNN(3, 4, { nonlinearity: "relu" }), "RNN", 1],
    ] as const;
    for (const [module, mode, directions] of cases) {
      const x = tfTorch.randn([T, B, 3]);
      let loss = 0;
      const counts = countKernels(() => (loss = backward(() => (module as unknown as { forward(x: Tensor): [Tensor, unknown] }).forward(x)[0].sum())));
      assert.deepEqual(counts, { [`forward_${mode}`]: T * directions, [`backward_${mode}`]: T * directions }, mode);
      assert.ok(Number.isFinite(loss));
      for (const [name, p] of module.namedParameters())
        assert.ok(p.grad && tf.tidy(() => p.grad!.tf.abs().sum().dataSync()[0]) > 0, `${mode} ${name} has a gradient`);
    }
  });

  test("dynamics recorded on the kernels equal those recorded on tfjs ops (packed, bidirectional, projSize)", async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    await useBackend("webgpu", { native: false });
    tfTorch.manualSeed(3);
    const models = [new nn.LSTM(3, 4, { bidirectional: true, projSize: 2 }), new nn.GRU(3, 4, { numLayers: 2, bidirectional: true }), new nn.RNN(3, 4)];
    const x = tfTorch.randn([5, 3, 3]);
    const record = (model: nn.Module) =>
      recordDynamics(model, () => {
        const packed = nn.utils.rnn.packPaddedSequence(x, [5, 2, 4], { enforceSorted: false });
        const [out] = (model as unknown as { forward(p: unknown): [nn.utils.rnn.PackedSequence] }).forward(packed);
        return nn.utils.rnn.padPackedSequence(out)[0].square().sum();
      });
    const numbers = (r: DynamicsRecord[]) =>
      JSON.stringify(r)
        .match(/-?\d+(\.\d+)?(e-?\d+)?/g)!
        .map(Number);
    for (const model of models) {
      const kernels = record(model);
      process.env.UNROLL_WEBGPU_KERNELS = "0";
      let ops: DynamicsRecord[];
      try {
        ops = record(model);
      } finally {
        delete process.env.UNROLL_WEBGPU_KERNELS;
      }
      assert.deepEqual(
        kernels.map((r) => [r.module, r.layer, r.direction, r.hidden.length, r.cell?.length, r.gates?.names, r.gradNorms.length]),
        ops.map((r) => [r.module, r.layer, r.direction, r.hidden.length, r.cell?.length, r.gates?.names, r.gradNorms.length]),
      );
      const [a, b] = [numbers(kernels), numbers(ops)];
      assert.equal(a.length, b.length);
      const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))));
      assert.ok(worst < 1e-5, `${model.constructor.name}: dynamics differ by ${worst}`);
      assert.ok(kernels[0].gradNorms.some((g) => g > 0));
    }
  });
});
