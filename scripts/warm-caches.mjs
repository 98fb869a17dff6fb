// Run by `npm install` (after the build, in the prepare script): type-checks the examples through the CLI, so that
// the quick start's first `npx unroll run examples/…` finds its check in the cache (~/.cache/unroll, see
// src/runner/typecheck-cache.ts) and, on Node 22.1 or newer, the library and the checker compiled in Node's
// compile cache, instead of paying both on the user's first command. Never fails the install; UNROLL_WARM=0 skips it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url))); // a path, not a URL: a clone in "my 循环" works
const cli = path.join(root, "dist", "cli.js");
const examples = path.join(root, "examples");
if (process.env.UNROLL_WARM === "0" || !fs.existsSync(cli) || !fs.existsSync(examples)) process.exit(0);
const files = fs
  .readdirSync(examples)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => path.join("examples", f));
const started = Date.now();
const result = spawnSync(process.execPath, [cli, "check", ...files], { cwd: root, encoding: "utf8", env: { ...process.env, UNROLL_LANGUAGE: "en" } });
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (result.status === 0) console.log(`unroll: caches warmed: the type checks of ${files.length} examples (${seconds} s)`);
else console.log(`unroll: caches not warmed (unroll check exited with ${result.status ?? result.signal}); the first command checks its file`);
