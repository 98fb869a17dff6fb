// Finds and loads the native kernels: prebuilds/<platform>-<arch>/unroll_native_<variant>.node, beside dist/ in
// the .vsix or at the root of a checkout (scripts/build-native.mjs puts them there). Eigen picks its SIMD code
// when it is compiled, so there is one module per CPU variant; this picks the best one the CPU runs, from the
// flags of /proc/cpuinfo (a module built for a feature the CPU lacks would die of SIGILL, which no try/catch
// catches, so a variant is loaded only when every feature it was built with is listed).
import * as fs from "node:fs";
import * as path from "node:path";
import type { NativeAddon } from "./native";

export interface NativeVariant {
  /** The file's suffix: unroll_native_<name>.node. */
  name: string;
  /** What the backend report says runs ("AVX2"). */
  simd: string;
  /** The /proc/cpuinfo flags of every instruction set it was built with (native/binding.gyp's -m flags). */
  flags: string[];
}

const AVX2 = ["avx", "avx2", "fma", "f16c"];

/** Best first. On x64: all three (binding.gyp); elsewhere the build has the baseline alone. */
export const VARIANTS: NativeVariant[] = [
  { name: "avx512", simd: "AVX512", flags: [...AVX2, "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"] },
  { name: "avx2", simd: "AVX2", flags: AVX2 },
  { name: "baseline", simd: process.arch === "x64" ? "SSE2" : "", flags: [] },
];

/** `UNROLL_NATIVE_VARIANT=avx2` (or baseline, avx512) picks a variant, still only if the CPU runs it. */
export const VARIANT_ENV = "UNROLL_NATIVE_VARIANT";

export interface LoadedNative {
  addon: NativeAddon;
  variant: NativeVariant;
  /** The instruction sets in use, for the report: the variant's, else (a baseline off x64) Eigen's first. */
  simd: string;
  file: string;
}

export interface LoadOptions {
  /** Folders holding the modules (default: prebuilds/<platform>-<arch> in the bundle's folder or up to 3 above). */
  dirs?: string[];
  /** The CPU's flags (default: cpuFlags()). */
  flags?: Set<string>;
  /** A variant's name (default: $UNROLL_NATIVE_VARIANT, else the best the CPU runs). */
  variant?: string;
}

/** The flags of the first processor in /proc/cpuinfo's text: empty where there is none (other systems, or an
 *  unreadable file), so that only the baseline is chosen. */
export function cpuFlags(cpuinfo: string = readCpuinfo()): Set<string> {
  const line = /^flags\s*:([^\n]*)$/m.exec(cpuinfo);
  return new Set(line ? line[1].trim().split(/\s+/) : []);
}

function readCpuinfo(): string {
  try {
    return process.platform === "linux" ? fs.readFileSync("/proc/cpuinfo", "latin1").slice(0, 1 << 20) : "";
  } catch {
    return "";
  }
}

/** Where the modules of this platform are looked for, nearest first. */
export function prebuildDirs(from: string = __dirname): string[] {
  const dirs: string[] = [];
  for (let dir = from, k = 0; k < 4; k++, dir = path.dirname(dir)) dirs.push(path.join(dir, "prebuilds", `${process.platform}-${process.arch}`));
  return dirs;
}

const fileOf = (dir: string, variant: NativeVariant) => path.join(dir, `unroll_native_${variant.name}.node`);

/** The variant to load: the one asked for, else the best whose module exists and whose features the CPU has.
 *  Throws why there is none. */
export function chooseVariant(dir: string, flags: Set<string>, wanted?: string): NativeVariant {
  const runs = (v: NativeVariant) => v.flags.every((f) => flags.has(f));
  if (wanted) {
    const variant = VARIANTS.find((v) => v.name === wanted);
    if (!variant) throw new Error(`unknown variant '${wanted}' (${VARIANT_ENV}: ${VARIANTS.map((v) => v.name).join(", ")})`);
    if (!runs(variant)) throw new Error(`the CPU lacks ${variant.flags.filter((f) => !flags.has(f)).join(", ")} for the ${wanted} variant`);
    if (!fs.existsSync(fileOf(dir, variant))) throw new Error(`no ${wanted} variant in ${dir}`);
    return variant;
  }
  const variant = VARIANTS.find((v) => runs(v) && fs.existsSync(fileOf(dir, v)));
  if (!variant) throw new Error(`no variant in ${dir} that this CPU runs`);
  return variant;
}

/** Loads the best module for this CPU. Throws why not (not built, no variant for this CPU, failed to load). */
export function loadNativeAddon(options: LoadOptions = {}): LoadedNative {
  const dir = (options.dirs ?? prebuildDirs()).find((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => /^unroll_native_\w+\.node$/.test(f)));
  if (!dir) throw new Error(`not built for ${process.platform}-${process.arch} (apt-get install g++ libeigen3-dev, then npm run build:native)`);
  const variant = chooseVariant(dir, options.flags ?? cpuFlags(), options.variant ?? process.env[VARIANT_ENV]);
  const file = fileOf(dir, variant);
  let addon: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional addon, found by path at run time
    addon = require(file) as NativeAddon;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new Error(`${path.basename(file)} failed to load: ${why}`, { cause: error });
  }
  if (typeof addon?.info !== "function" || typeof addon.forward !== "function") throw new Error(`${path.basename(file)} is not Unroll's addon`);
  return { addon, variant, simd: variant.simd || addon.info().simd.split(", ")[0], file };
}
