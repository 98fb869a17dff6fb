// The backend in a few words for the Training tab's one line ("CPU · WebAssembly + native kernels"), read from the
// backend report's summary ("wasm (WebAssembly with SIMD, embedded) + native kernels (…) — skipped …"); the summary
// itself goes behind a disclosure. Pure logic, tested under Node.
import { english, type Translate } from "../src/common/format";

/** The backend's name as the summary starts with it, and where it runs. */
const KNOWN: Record<string, { device: "CPU" | "GPU"; name: string }> = {
  wasm: { device: "CPU", name: "WebAssembly" },
  cpu: { device: "CPU", name: "JavaScript" },
  "tfjs-node": { device: "CPU", name: "TensorFlow" },
  "tfjs-node-gpu": { device: "GPU", name: "CUDA" },
  webgpu: { device: "GPU", name: "WebGPU" },
};

/** "CPU · WebAssembly + native kernels"; an unknown backend by its own first word; "" for an empty summary. */
export function backendLabel(summary: string, t: Translate = english): string {
  const first = /^\s*([A-Za-z0-9_-]+)/.exec(summary)?.[1] ?? "";
  if (!first) return "";
  const known = KNOWN[first];
  const base = known ? `${known.device} · ${known.name}` : first;
  // "+ native kernels (" is what the report writes when the recurrent layers' native kernels run.
  return /\+ native kernels\b/.test(summary.split(" — ")[0]) ? t("{0} + native kernels", base) : base;
}
