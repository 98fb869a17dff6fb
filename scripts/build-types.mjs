// Declarations for editors, shipped with the extension (see src/ts-plugin/index.ts):
//   dist/types/index.d.ts                              the library ("unroll"): nn/*.d.ts and common/*.d.ts, from tsc
//   dist/types/node_modules/@tensorflow/tfjs-core/…    tfjs-core's declarations, found by ordinary resolution
//   dist/types/node_modules/@types/node/…              Node's, for a bare folder (undici-types beside them)
//   node_modules/unroll-types/                         the TS server plugin package the manifest names
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // a path, not a URL: a clone in "my 循环" works
const out = path.join(root, "dist", "types");
fs.rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", path.join(root, "tsconfig.types.json")], { stdio: "inherit" });
fs.writeFileSync(path.join(out, "index.d.ts"), 'export * from "./nn/index";\n');

// Editors need the types, not the kernels: drop the side-effect imports of backends and gradients.
const tfTypes = path.join(out, "nn", "tf.d.ts");
fs.writeFileSync(tfTypes, fs.readFileSync(tfTypes, "utf8").replace(/^import "@tensorflow\/tfjs-(backend-cpu|core\/dist\/register_all_gradients)";\n/gm, ""));

const copyDeclarations = (from, to) => {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyDeclarations(source, path.join(to, entry.name));
    else if (entry.name.endsWith(".d.ts") && !entry.name.endsWith("_test.d.ts") && !entry.name.includes("test_util")) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, path.join(to, entry.name));
    }
  }
};
/** A package's declarations and the package.json fields that resolution reads, copied under dist/types. */
const shipDeclarations = (pkg, from = "dist") => {
  const source = path.join(root, "node_modules", pkg);
  copyDeclarations(path.join(source, from), path.join(out, "node_modules", pkg, from));
  const { name, version, types, typesVersions } = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8"));
  fs.writeFileSync(path.join(out, "node_modules", pkg, "package.json"), JSON.stringify({ name, version, types, typesVersions }, null, 2));
};
shipDeclarations("@tensorflow/tfjs-core");
// Node's own types, for model files in a bare folder that read their data with node:fs (examples 06 and 07).
shipDeclarations("@types/node", ".");
shipDeclarations("undici-types", ".");

const plugin = path.join(root, "node_modules/unroll-types");
fs.mkdirSync(plugin, { recursive: true });
fs.writeFileSync(path.join(plugin, "package.json"), JSON.stringify({ name: "unroll-types", version: "1.0.0", main: "index.js" }, null, 2));
await esbuild.build({ entryPoints: [path.join(root, "src/ts-plugin/index.ts")], bundle: true, platform: "node", format: "cjs", outfile: path.join(plugin, "index.js"), logLevel: "warning" });
console.log(`types: ${out}, plugin: ${plugin}`);
