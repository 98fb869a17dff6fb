// Unroll's settings as typed values, and the one place their defaults live: package.json's "configuration"
// says the same (test/unit/settings.test.ts compares them), and the runner's own defaults are these.
import { DEFAULT_TIMEOUT_MS } from "../runs/trace-client";
import { DEFAULT_DATA_TIMEOUT_S, DEFAULT_EXPLODING_RATIO, DEFAULT_SNAPSHOT_EVERY, DEFAULT_VANISHING_RATIO } from "../runs/train-contract";

export interface Settings {
  backend: string;
  /** false: the recurrent layers never run on the native kernels (UNROLL_NATIVE=0 in the processes). */
  nativeKernels: boolean;
  traceOnSave: boolean;
  traceTimeoutMs: number;
  inlayHints: boolean;
  snapshotEvery: number;
  dataTimeout: number;
  /** Gradient health: flag a gradient norm below this × its running median (0: off)… */
  vanishingRatio: number;
  /** …or above this × its running median (0: off). */
  explodingRatio: number;
  /** Relative to a workspace folder, without a leading "./" or a trailing "/". */
  runsFolder: string;
  /** Closing (or reloading) VS Code stops the runs training; false: they go on and the next start re-attaches. */
  stopOnClose: boolean;
}

export const DEFAULTS: Settings = {
  backend: "auto",
  nativeKernels: true,
  traceOnSave: true,
  traceTimeoutMs: DEFAULT_TIMEOUT_MS,
  inlayHints: true,
  snapshotEvery: DEFAULT_SNAPSHOT_EVERY,
  dataTimeout: DEFAULT_DATA_TIMEOUT_S,
  vanishingRatio: DEFAULT_VANISHING_RATIO,
  explodingRatio: DEFAULT_EXPLODING_RATIO,
  runsFolder: ".unroll/runs",
  stopOnClose: false,
};

/** Each setting's key under "unroll." in package.json. */
export const KEYS: Record<keyof Settings, string> = {
  backend: "backend",
  nativeKernels: "nativeKernels",
  traceOnSave: "trace.onSave",
  traceTimeoutMs: "trace.timeoutMs",
  inlayHints: "inlayHints.enabled",
  snapshotEvery: "snapshotEvery",
  dataTimeout: "dataTimeout",
  vanishingRatio: "gradients.vanishingRatio",
  explodingRatio: "gradients.explodingRatio",
  runsFolder: "runsFolder",
  stopOnClose: "training.stopOnClose",
};

/** The choices of "Unroll: Select Backend", in `auto`'s order (package.json's enum lists the same). */
export const BACKEND_CHOICES = ["auto", "tfjs-node-gpu", "tfjs-node", "webgpu", "wasm", "cpu"] as const;

/** The settings as the configuration ("unroll" section) has them, defaults for what it lacks. */
export function readSettings(config: { get<T>(key: string, defaultValue: T): T }): Settings {
  const read = <K extends keyof Settings>(key: K): Settings[K] => config.get(KEYS[key], DEFAULTS[key]);
  return {
    backend: read("backend"),
    nativeKernels: read("nativeKernels"),
    traceOnSave: read("traceOnSave"),
    traceTimeoutMs: read("traceTimeoutMs"),
    inlayHints: read("inlayHints"),
    snapshotEvery: read("snapshotEvery"),
    dataTimeout: read("dataTimeout"),
    vanishingRatio: read("vanishingRatio"),
    explodingRatio: read("explodingRatio"),
    runsFolder: read("runsFolder").replace(/^\.\/|\/$/g, ""),
    stopOnClose: read("stopOnClose"),
  };
}
