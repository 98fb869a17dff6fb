// The compiler of model files. esbuild's native binary where its package for this platform is installed (npm
// installs it; the linux-x64 .vsix carries it); otherwise esbuild-wasm, run inside this process (the untargeted
// .vsix, for every other platform). esbuild-wasm's Node API would spawn `node` from PATH, which VS Code users need
// not have, so its browser build runs here instead: it has no file system, so a plugin reads the user's files and
// leaves bare imports ("unroll", packages) to require() at run time, where Node resolves them from the file's folder.
import type * as Esbuild from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";
import { t } from "../runs/l10n";

export type BuildOptions = Esbuild.BuildOptions & { write: false; entryPoints: string[]; absWorkingDir: string };
type Build = (options: BuildOptions) => Promise<Esbuild.BuildResult<BuildOptions>>;

/** Which compiler compiles: "native" unless its binary is missing here (or $UNROLL_COMPILER=wasm says so). */
let chosen: { name: "native" | "wasm"; build: Build } | undefined;

export async function build(options: BuildOptions): Promise<Esbuild.BuildResult<BuildOptions>> {
  let nativeFailure: unknown;
  if (!chosen && process.env.UNROLL_COMPILER !== "wasm") {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- external: its binary is found beside it
      const native = require("esbuild") as typeof Esbuild;
      const result = await native.build(options);
      chosen = { name: "native", build: native.build };
      return result;
    } catch (error) {
      if ((error as Esbuild.BuildFailure).errors) throw error; // the binary ran: the user's file has errors
      nativeFailure = error;
    }
  }
  chosen ??= { name: "wasm", build: await wasmBuild(nativeFailure) };
  return chosen.build(options);
}

/** "native" or "wasm", once a file was compiled. */
export const compilerName = () => chosen?.name;

async function wasmBuild(nativeFailure: unknown): Promise<Build> {
  (globalThis as { self?: unknown }).self ??= globalThis; // the browser build looks for its global scope there
  let wasm: typeof Esbuild;
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- external, as esbuild
    wasm = require("esbuild-wasm/lib/browser.js") as typeof Esbuild;
    bytes = new Uint8Array(fs.readFileSync(require.resolve("esbuild-wasm/esbuild.wasm")));
  } catch (error) {
    const why = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0] : String(e));
    throw new Error(t("no TypeScript compiler: esbuild: {0}; esbuild-wasm: {1}", nativeFailure ? why(nativeFailure) : "UNROLL_COMPILER=wasm", why(error)), {
      cause: error,
    });
  }
  await wasm.initialize({ wasmModule: new WebAssembly.Module(bytes), worker: false });
  return (options) => wasm.build({ ...options, plugins: [...(options.plugins ?? []), userFiles] });
}

/** The extensions esbuild tries, in its order, for an import without one (and `./a.js` naming `a.ts`, as in TypeScript). */
const EXTENSIONS = [".tsx", ".ts", ".jsx", ".js", ".json"];
const LOADERS: Record<string, Esbuild.Loader> = { ".tsx": "tsx", ".ts": "ts", ".mts": "ts", ".cts": "ts", ".jsx": "jsx", ".json": "json" };

/** The file an import names, as esbuild resolves a relative or absolute path; undefined when there is none. */
export function resolveImport(request: string, fromDir: string): string | undefined {
  const base = path.resolve(fromDir, request);
  const stem = base.replace(/\.(js|jsx|mjs|cjs)$/, "");
  const candidates = [base, ...EXTENSIONS.map((e) => base + e), ...(stem !== base ? [".ts", ".tsx"].map((e) => stem + e) : [])];
  candidates.push(...EXTENSIONS.map((e) => path.join(base, "index" + e)));
  return candidates.find(isFile);
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false; // missing, a path through a file (ENOTDIR), unreadable
  }
}

const userFiles: Esbuild.Plugin = {
  name: "unroll-user-files",
  setup(build) {
    build.onResolve({ filter: /.*/ }, ({ path: request, resolveDir, kind }) => {
      if (kind !== "entry-point" && !request.startsWith(".") && !path.isAbsolute(request)) return { path: request, external: true };
      const file = resolveImport(request, resolveDir);
      return file ? { path: file } : { errors: [{ text: `Could not resolve "${request}"` }] };
    });
    build.onLoad({ filter: /.*/ }, ({ path: file }) => ({
      contents: fs.readFileSync(file),
      loader: LOADERS[path.extname(file)] ?? "js",
      resolveDir: path.dirname(file),
    }));
  },
};
