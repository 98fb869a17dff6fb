// WebGPU through Dawn (the `webgpu` package, a prebuilt native addon) and TensorFlow.js's WebGPU backend:
// finding an adapter, telling hardware from software adapters, and starting the backend on it.
//
// Dawn finds hardware adapters through Vulkan, Metal or Direct3D 12. Without a GPU it can still run on Mesa's
// llvmpipe through OpenGL ES (EGL without a display: EGL_PLATFORM=surfaceless), in WebGPU's compatibility
// mode — a correctness check, several times slower than wasm, so `auto` never picks it; `webgpu` asked for by
// name does (that is how the tests run WebGPU on machines without a GPU).
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "./tf";
import { registerWebGPUCast } from "./webgpu-cast";
import { installSyncReads } from "./webgpu-sync";

/** What the report says of an adapter, from its `GPUAdapterInfo`. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader, a fallback adapter): correct, not fast. */
  software: boolean;
  /** Through OpenGL ES in WebGPU's compatibility mode (only for software adapters here). */
  compatibility: boolean;
}

interface GPUAdapterLike {
  isFallbackAdapter?: boolean;
  info?: Partial<Omit<AdapterInfo, "software" | "compatibility">> & { isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<unknown>;
}

interface GPULike {
  requestAdapter(options?: object): Promise<GPUAdapterLike | null>;
}

export interface Dawn {
  create(flags: string[]): GPULike;
  globals: object;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

let adapterInUse: AdapterInfo | null = null;

/** The adapter the webgpu backend runs on, or null before it was started. */
export function webgpuAdapter(): AdapterInfo | null {
  return adapterInUse;
}

/** Describes an adapter from what it reports; software when Dawn says it is a fallback or its names say so. */
export function describeAdapter(adapter: Pick<GPUAdapterLike, "info" | "isFallbackAdapter">, compatibility = false): AdapterInfo {
  const info = adapter.info ?? {};
  const [vendor, architecture, device, description] = [info.vendor, info.architecture, info.device, info.description].map((s) =>
    String(s ?? "").replace(/^[-\s]+|[-\s]+$/g, ""),
  ); // Dawn ends llvmpipe's device name with "-"
  const fallback = Boolean(adapter.isFallbackAdapter || info.isFallbackAdapter);
  const software = fallback || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, software, compatibility };
}

/** "llvmpipe-llvm-15-0-6-256-bits, OpenGL ES 3.2 Mesa 22.3.6; software adapter, compatibility mode". */
export function adapterSummary(a: AdapterInfo): string {
  const names = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(", ") || "unnamed adapter";
  const notes = [a.software ? "software adapter" : "", a.compatibility ? "compatibility mode" : ""].filter(Boolean);
  return notes.length ? `${names}; ${notes.join(", ")}` : names;
}

/** The short name of a software adapter for messages: "llvmpipe", else its description. */
const shortName = (a: AdapterInfo) => SOFTWARE.exec(`${a.device} ${a.description} ${a.vendor}`)?.[0] ?? (a.description || a.device || "a CPU adapter");

/** Finds an adapter and starts tfjs's webgpu backend on it. `explicit` (webgpu asked for by name) accepts a
 *  software adapter; otherwise only hardware ones. Returns what runs, for the backend report. */
export async function activateWebGPU(explicit: boolean, packageFolder: (id: string) => string): Promise<string> {
  const dawn = loadDawn(packageFolder("webgpu"));
  // Without a Vulkan loader Linux has no hardware adapter for Dawn: `auto` does not start it (it would print
  // Dawn's warnings into the runner's stderr and spend a fraction of a second to learn the same).
  if (!explicit && !adapterFound && process.platform === "linux" && !hasVulkanLoader()) {
    throw new Error("no hardware adapter (no Vulkan loader: apt-get install libvulkan1 and the GPU's driver; --backend webgpu runs on llvmpipe)");
  }
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode…: the backend uses them as globals
  // One adapter per process: a new one would mean a new device, and every pipeline compiled again.
  const found = (adapterFound ??= await findAdapter(dawn, explicit));
  if (found.info.software && !explicit) {
    throw new Error(`no hardware adapter (${shortName(found.info)} is software, slower than wasm; --backend webgpu uses it anyway)`);
  }
  await startBackend(found);
  return adapterSummary(found.info);
}

/** The folder of this platform's Dawn binary in the `webgpu` package ("darwin-universal", "linux-x64"…). */
export const dawnPlatform = (platform: string = process.platform, arch: string = process.arch) =>
  platform === "darwin" ? "darwin-universal" : `${platform}-${arch}`;

/** Dawn, from the `webgpu` package in `folder`: its dawn.node for this platform, required directly. The package's
 *  index.js only finds that file and patches GPUDevice.destroy() (which tfjs never calls), and it is an ES module,
 *  which require() loads only in recent Node versions (20.19, 22.12), not in every Electron VS Code runs on. The
 *  linux-x64 .vsix carries node_modules/webgpu/package.json and dist/linux-x64/dawn.node for this. */
export function loadDawn(folder: string): Dawn {
  const file = path.join(folder, "dist", dawnPlatform(), "dawn.node");
  if (!fs.existsSync(file)) throw new Error(`no Dawn binary for ${dawnPlatform()} (no ${file})`);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon, found by path at run time
    return require(file) as Dawn;
  } catch (error) {
    // A glibc older than 2.34 says so here: "version `GLIBC_2.34' not found".
    throw new Error(`dawn.node failed to load: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`, { cause: error });
  }
}

/** Whether libvulkan.so.1 is where the dynamic linker looks (the usual folders and LD_LIBRARY_PATH). */
function hasVulkanLoader(): boolean {
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  const folders = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    `/usr/lib/${arch}-linux-gnu`,
    `/lib/${arch}-linux-gnu`,
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
    "/usr/local/lib",
  ];
  return folders.some((dir) => fs.existsSync(path.join(dir, "libvulkan.so.1")));
}

/** A hardware adapter when there is one; else, when asked by name, llvmpipe through OpenGL ES. Throws when
 *  there is none. */
async function findAdapter(dawn: Dawn, explicit: boolean): Promise<Found> {
  const gpu = dawn.create([]);
  const hardware = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (hardware && (!describeAdapter(hardware).software || !explicit)) return { gpu, adapter: hardware, info: describeAdapter(hardware) };
  // `auto` stops here: llvmpipe would only be skipped, and Mesa's GL driver writes warnings to stderr.
  if (!explicit) throw new Error("no hardware adapter (Dawn found no GPU through Vulkan, Metal or Direct3D 12; --backend webgpu runs on llvmpipe)");
  // EGL without a display: only Dawn's OpenGL ES backend reads it, and only when nothing chose a platform.
  if (!process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) process.env.EGL_PLATFORM = "surfaceless";
  const glesGpu = dawn.create(["backend=opengles"]);
  const gles = await glesGpu.requestAdapter({ featureLevel: "compatibility" });
  if (gles) return { gpu: glesGpu, adapter: gles, info: describeAdapter(gles, true) };
  if (hardware) return { gpu, adapter: hardware, info: describeAdapter(hardware) };
  throw new Error(
    "no WebGPU adapter (no GPU driver through Vulkan, Metal or Direct3D 12; for llvmpipe without a GPU: apt-get install libegl1 libegl-dev libegl-mesa0 libgl1-mesa-dri)",
  );
}

interface Found {
  gpu: GPULike;
  adapter: GPUAdapterLike;
  info: AdapterInfo;
}

let adapterFound: Found | null = null;
let registeredFor: GPUAdapterLike | null = null;
let syncReads = false;

/** Registers tfjs's webgpu backend on this adapter's device (once per adapter) and makes it current. */
async function startBackend({ gpu, adapter, info }: Found): Promise<void> {
  // The backend checks for `navigator.gpu` (Node has no navigator before 21, and none with a gpu).
  const g = globalThis as { navigator?: { gpu?: GPULike } };
  if (!g.navigator) Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  else if (g.navigator.gpu !== gpu) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true, writable: true });
  let WebGPUBackend: typeof import("@tensorflow/tfjs-backend-webgpu").WebGPUBackend;
  try {
    ({ WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu"));
  } catch (error) {
    throw new Error(`@tensorflow/tfjs-backend-webgpu not installed (npm install @tensorflow/tfjs-backend-webgpu): ${String(error).split("\n")[0]}`, {
      cause: error,
    });
  }
  if (!syncReads) {
    installSyncReads(WebGPUBackend.prototype);
    syncReads = true;
  }
  registerWebGPUCast(); // its kernels registered with the import
  if (registeredFor !== adapter) {
    if (tf.findBackend("webgpu") || tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    tf.registerBackend("webgpu", async () => {
      // The adapter's own limits, not WebGPU's defaults: large tensors and the recurrent kernels' bindings need them.
      const names = [
        "maxStorageBufferBindingSize",
        "maxBufferSize",
        "maxStorageBuffersPerShaderStage",
        "maxComputeWorkgroupStorageSize",
        "maxComputeWorkgroupsPerDimension",
        "maxComputeInvocationsPerWorkgroup",
        "maxComputeWorkgroupSizeX",
        "maxComputeWorkgroupSizeY",
        "maxComputeWorkgroupSizeZ",
      ];
      const requiredLimits = Object.fromEntries(names.filter((n) => adapter.limits[n] !== undefined).map((n) => [n, adapter.limits[n]]));
      const device = await adapter.requestDevice({ requiredLimits });
      return new WebGPUBackend(device as GPUDevice, adapter.info as GPUAdapterInfo);
    });
    registeredFor = adapter;
  }
  if (!(await tf.setBackend("webgpu"))) throw new Error("tf.setBackend('webgpu') failed: the device could not be created");
  adapterInUse = info;
}
