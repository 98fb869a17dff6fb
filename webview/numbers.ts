// Numbers as the webviews write them: compact values, counts, byte counts (and the GPU memory line built from them).
import { isGpuMemory } from "../src/common/protocol";
import { english, type Translate } from "../src/common/format";

/** Compact, aligned-looking numbers: 4 significant digits, exponent form outside [1e-3, 1e5). */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e"); // 1.50e-7 → 1.5e-7, 1.00e-4 → 1e-4
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/** 12,345 */
export const formatCount = (n: number, locale = "en-US") => n.toLocaleString(locale);

/** A byte count as people read it: "512 bytes", "1.5 KiB", "123.4 MiB", "2.0 GiB". */
export const formatBytes = (n: number) =>
  n >= 1 << 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 1 << 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : n >= 1024
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${n} bytes`;

/** The Training tab's line for a run on WebGPU: "GPU memory: 123.4 MiB" (in use by tensors) and, for its tooltip,
 *  what is allocated. Null without GPU memory, or with a malformed one (what the host relays is checked here). */
export function gpuMemoryLine(memory: unknown, t: Translate = english): { text: string; title: string } | null {
  if (!isGpuMemory(memory)) return null;
  return {
    text: t("GPU memory: {0}", formatBytes(memory.inUse)),
    title: t("{0} in use by tensors; {1} allocated, with the buffers kept for reuse", formatBytes(memory.inUse), formatBytes(memory.allocated)),
  };
}
