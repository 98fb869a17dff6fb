// Node's compile cache (Node 22.1 and newer; nothing on older ones): V8's code for the library bundle (dist/nn,
// 11 MB with TensorFlow.js) and for the processes the CLI starts (the type check's 3.5 MB of TypeScript, training,
// tracing) is kept in the user's cache folder, so that a command after the first does not compile them again.
// Imported first by main.ts: it covers what is loaded after it, and the children through $NODE_COMPILE_CACHE.
import * as nodeModule from "node:module";
import * as path from "node:path";
import { cacheFolder } from "../runner/typecheck-cache";

const { enableCompileCache } = nodeModule as { enableCompileCache?: (directory: string) => unknown };
const folder = cacheFolder();
if (enableCompileCache && folder && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  process.env.NODE_COMPILE_CACHE ??= path.join(folder, "compile");
  enableCompileCache(process.env.NODE_COMPILE_CACHE);
}
