// The WebGPU backend (src/nn/webgpu.ts): telling hardware from software adapters, `auto` skipping a software
// adapter with the reason, and `webgpu` asked for by name running on one (Mesa's llvmpipe here). Where WebGPU
// cannot start at all (no dawn.node for the platform, no Mesa EGL), the tests that need it are skipped, saying why.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tf, useBackend, webgpuAdapter } from "unroll";
import { describeAdapter, adapterSummary } from "../../src/nn/webgpu";
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

describe("useBackend with WebGPU", () => {
  test("auto does not pick a software adapter and says why", async (t) => {
    const report = await useBackend("auto");
    const webgpu = report.attempts.find((a) => a.name === "webgpu")!;
    if (webgpu.ok) return t.skip(`this machine has a hardware adapter: ${webgpu.detail}`);
    assert.match(webgpu.detail, /not installed|no hardware adapter \(\S+ is software, slower than wasm|no WebGPU adapter/);
    assert.match(report.summary, /webgpu: /);
  });

  test("webgpu asked for by name runs on the software adapter and the report names it", async (t) => {
    const why = await webgpuUnavailable();
    if (why) return t.skip(why);
    const report = await useBackend("webgpu");
    assert.equal(report.name, "webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    const adapter = webgpuAdapter()!;
    assert.ok(adapter, "the adapter in use is known");
    assert.ok(report.summary.startsWith(`webgpu (${adapterSummary(adapter)})`), report.summary);
    if (adapter.software) assert.match(report.summary, /; software adapter/);
    const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync());
    assert.deepEqual(Array.from(product), [19, 22, 43, 50]);
  });
});
