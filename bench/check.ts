// `npm run bench:check`: how long the CLI's type check of a model file takes (src/runner/typecheck.ts).
//   cli:    `node dist/cli.js check examples/02_rnn.ts`, a fresh process each time, without the cache (a miss);
//   load:   requiring dist/typecheck.js (TypeScript bundled in);
//   first:  the first check of a Checker (lib, tfjs and library declarations parsed and bound);
//   warm:   a re-check of the unchanged file; edited: after a saved edit; another: a second file.
// Medians of --runs (default 5) where repeated. Needs `node esbuild.mjs && npm run build:types`.
//   npm run bench:check [-- --runs 5]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Typecheck from "../src/runner/typecheck";

const ROOT = path.join(__dirname, "../..");
const CLI = path.join(ROOT, "dist/cli.js");
const args = process.argv.slice(2);
const runs = Number(args.includes("--runs") ? args[args.indexOf("--runs") + 1] : 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = (f: () => unknown) => {
  const started = performance.now();
  f();
  return performance.now() - started;
};
const repeat = (f: () => unknown) => median(Array.from({ length: runs }, () => timed(f)));

function main(): void {
  if (!fs.existsSync(path.join(ROOT, "dist/types/index.d.ts"))) throw new Error("run `node esbuild.mjs && npm run build:types` first");
  const example = path.join(ROOT, "examples/02_rnn.ts");
  const cli = repeat(() => {
    const { status } = spawnSync(process.execPath, [CLI, "check", example], { env: { ...process.env, UNROLL_CACHE_DIR: "0" } }); // the check, not its cache
    if (status !== 0) throw new Error(`unroll check exited with ${status}`);
  });

  let module!: typeof Typecheck;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the shipped bundle, as the CLI loads it
  const load = timed(() => (module = require(path.join(ROOT, "dist/typecheck.js")) as typeof Typecheck));
  // A bare folder (no node_modules: no @types/node), as a model file opened on its own.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-check-")), "model.ts");
  fs.copyFileSync(example, file);
  const checker = new module.Checker();
  const first = timed(() => checker.check(file));
  const warm = repeat(() => checker.check(file));
  const edited = repeat(() => {
    fs.appendFileSync(file, "\n// edited");
    checker.check(file);
  });
  const another = timed(() => checker.check(path.join(ROOT, "examples/03_lstm.ts")));

  const ms = (x: number) => `${x.toFixed(0)} ms`.padStart(8);
  console.log(`type check of examples/02_rnn.ts (median of ${runs} where repeated)`);
  console.log(`  cli     ${ms(cli)}  node dist/cli.js check (a fresh process: Node, the CLI, TypeScript, the check)`);
  console.log(`  load    ${ms(load)}  require dist/typecheck.js`);
  console.log(`  first   ${ms(first)}  a Checker's first check (bare folder)`);
  console.log(`  warm    ${ms(warm)}  the same file again, unchanged`);
  console.log(`  edited  ${ms(edited)}  after a saved edit`);
  console.log(`  another ${ms(another)}  then examples/03_lstm.ts (with @types/node: options change)`);
}

main();
