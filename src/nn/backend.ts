// Picks the TensorFlow.js backend: the first of CUDA (tfjs-node-gpu), native CPU (tfjs-node), WebGPU (the
// `webgpu` package; hardware adapters only unless asked for by name, see webgpu.ts), the embedded wasm backend
// and the plain JavaScript cpu backend that loads and passes a tiny self-check — and reports why each one before it was skipped, so the UI can say what runs.
import * as path from "node:path";
import * as fs from "node:fs";
import { tf } from "./tf";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerFastWasmKernels } from "./wasm-kernels";
import { nativeThreads, setNativeKernels, NATIVE_ENV } from "./native";
import { loadNativeAddon } from "./native-load";
import { checkNativeKernels } from "./recurrence";
import { activateWebGPU } from "./webgpu";

export const BACKENDS = ["tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | "auto";

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was skipped, or what runs ("wasm with SIMD"). */
  detail: string;
}

export interface BackendReport {
  requested: BackendChoice;
  /** The backend in use. */
  name: BackendName;
  /** The backend in a word or two, for a status bar: "wasm + native" when the native kernels run, else the name. */
  label: string;
  /** One line for people: "wasm (SIMD) — tfjs-node-gpu: not installed; …". */
  summary: string;
  attempts: BackendAttempt[];
  /** The native kernels of the recurrent layers (native/): in use or not, and what runs or why not. */
  native: { ok: boolean; detail: string };
}

export interface BackendOptions {
  /** Folders to look for the optional packages in (for example the user's workspace), besides Unroll's own. */
  searchPaths?: string[];
  /** The native kernels: true requires them, false turns them off; by default ($UNROLL_NATIVE unset) they are
   *  used when they load and pass their self-check. `UNROLL_NATIVE=1` / `0` say the same. */
  native?: boolean;
}

let current: BackendReport | null = null;

/** The environment variable that selects a backend when no option does. */
export const BACKEND_ENV = "UNROLL_BACKEND";

export function isBackendChoice(value: string): value is BackendChoice {
  return value === "auto" || (BACKENDS as readonly string[]).includes(value);
}

/** Selects a backend (the option, else $UNROLL_BACKEND, else auto) and returns the report. */
export async function useBackend(choice?: string, options: BackendOptions = {}): Promise<BackendReport> {
  const requested = choice || process.env[BACKEND_ENV] || "auto";
  if (!isBackendChoice(requested)) {
    throw new Error(`Unknown backend '${requested}'. Choose one of: auto, ${BACKENDS.join(", ")}`);
  }
  const candidates: readonly BackendName[] = requested === "auto" ? BACKENDS : [requested];
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    let detail: string;
    let ok = false;
    try {
      detail = await activate(name, requested === name, options);
      const problem = await selfCheck();
      ok = !problem;
      if (problem) detail = `failed its self-check: ${problem}`;
    } catch (error) {
      detail = firstLine(error);
    }
    attempts.push({ name, ok, detail });
    if (ok) {
      const native = activateNative(name, options);
      current = { requested, name, label: native.ok ? `${name} + native` : name, attempts, native, summary: summarise(name, detail, attempts, native) };
      return current;
    }
  }
  const why = attempts.map((a) => `${a.name}: ${a.detail}`).join("; ");
  throw new Error(`No usable backend for '${requested}' (${why})`);
}

/** The report of the last `useBackend`, or null before any. */
export function backendReport(): BackendReport | null {
  return current;
}

function summarise(name: BackendName, detail: string, attempts: BackendAttempt[], native: BackendReport["native"]): string {
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.detail}`);
  const withNative = native.ok ? ` + native kernels (${native.detail})` : "";
  const noNative = !native.ok && native.detail ? ` — no native kernels: ${native.detail}` : "";
  return `${name} (${detail})${withNative}${skipped.length ? ` — skipped ${skipped.join("; ")}` : ""}${noNative}`;
}

/** Puts the native kernels of the recurrent layers in use when they are wanted, load and pass their self-check
 *  on this backend (wasm or cpu: they work on the tensors' memory in place). Throws when they are required
 *  and cannot be used. */
function activateNative(name: BackendName, options: BackendOptions): BackendReport["native"] {
  setNativeKernels(null);
  const env = process.env[NATIVE_ENV];
  const wanted = options.native ?? (env === "0" ? false : env === "1" ? true : undefined);
  const state = ((): BackendReport["native"] => {
    if (wanted === false) return { ok: false, detail: `turned off${options.native === false ? "" : ` (${NATIVE_ENV}=0)`}` };
    if (name !== "wasm" && name !== "cpu") return { ok: false, detail: "" }; // the backend runs its own kernels
    try {
      const { addon, simd } = loadNativeAddon();
      const problem = checkNativeKernels(addon);
      if (problem) return { ok: false, detail: `failed their self-check: ${problem}` };
      setNativeKernels(addon);
      const { library, threads: most } = addon.info();
      const threads = nativeThreads() || most;
      return { ok: true, detail: `${library}, ${simd}, ${threads} thread${threads > 1 ? "s" : ""}` };
    } catch (error) {
      return { ok: false, detail: firstLine(error) };
    }
  })();
  if (wanted === true && !state.ok) throw new Error(`Native kernels required but not usable: ${state.detail || `not used with ${name}`}`);
  return state;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

/** Where optional packages are looked for: beside the bundle (Unroll's node_modules, or the .vsix's), the folders
 *  given (the model file's), the working directory. */
const searchPaths = (options: BackendOptions) => [__dirname, ...(options.searchPaths ?? []), process.cwd()];

/** Loads an optional package from Unroll's own node_modules or the given folders; says clearly when absent. */
function loadOptional(id: string, options: BackendOptions): unknown {
  let resolved: string;
  try {
    resolved = require.resolve(id, { paths: searchPaths(options) });
  } catch {
    throw new Error(`not installed (npm install ${id})`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional backend, found by path at run time
    return require(resolved);
  } catch (error) {
    throw new Error(`installed but failed to load: ${firstLine(error)}`, { cause: error });
  }
}

/** The folder of an optional package, found as loadOptional finds it; says clearly when absent. */
function optionalPackageFolder(id: string, options: BackendOptions): string {
  try {
    return path.dirname(require.resolve(`${id}/package.json`, { paths: searchPaths(options) }));
  } catch {
    throw new Error(`not installed (npm install ${id})`);
  }
}

async function setBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
}

async function activate(name: BackendName, explicit: boolean, options: BackendOptions): Promise<string> {
  switch (name) {
    case "tfjs-node-gpu":
    case "tfjs-node": {
      loadOptional(`@tensorflow/${name}`, options); // registers the "tensorflow" backend
      await setBackend("tensorflow");
      return name === "tfjs-node-gpu" ? "CUDA through libtensorflow" : "native libtensorflow on the CPU";
    }
    case "webgpu":
      return activateWebGPU(explicit, (id) => optionalPackageFolder(id, options));
    case "wasm": {
      setWasmPaths(wasmDirectory());
      registerFastWasmKernels();
      await setBackend("wasm");
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      return simd ? "WebAssembly with SIMD, embedded" : "WebAssembly without SIMD, embedded";
    }
    case "cpu":
      await setBackend("cpu");
      return "plain JavaScript, slowest";
  }
}

/** The folder of the wasm backend's .wasm files: beside the bundle when packaged, else in node_modules. */
function wasmDirectory(): string {
  const beside = path.join(__dirname, "wasm");
  if (fs.existsSync(path.join(beside, "tfjs-backend-wasm-simd.wasm"))) return beside + path.sep;
  return path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
}

/** A small forward and backward pass checked against the same sums done in double precision; returns a
 *  problem, or null. */
async function selfCheck(): Promise<string | null> {
  const a = [
    [0.1, 0.2],
    [0.3, 0.4],
  ];
  const b = [0.5, 0.6];
  const [product, gradient] = tf.tidy(() => {
    const bt = tf.tensor2d(b, [2, 1]);
    const grad = tf.grad((x: tf.Tensor) => tf.matMul(x, bt).tanh().sum())(tf.tensor2d(a));
    return [tf.matMul(tf.tensor2d(a), bt), grad];
  });
  const [p, g] = [await product.data(), await gradient.data()];
  product.dispose();
  gradient.dispose();
  // d/dA sum(tanh(A b)) = (1 - tanh²(A b)) b^T
  const ab = a.map((row) => row[0] * b[0] + row[1] * b[1]);
  const expectedGrad = ab.flatMap((v) => b.map((bj) => (1 - Math.tanh(v) ** 2) * bj));
  const close = (x: ArrayLike<number>, y: number[]) => y.every((v, i) => Math.abs(x[i] - v) < 1e-5);
  if (!close(p, ab)) return `matMul gave [${Array.from(p)}] instead of [${ab}]`;
  if (!close(g, expectedGrad)) return `a gradient gave [${Array.from(g)}] instead of [${expectedGrad}]`;
  return null;
}
