// dist/typecheck.js: the type checker (typecheck.ts, TypeScript bundled in) and, run as a process, the type check
// with limits. TypeScript has none of its own: a ten-line type (a mapped type over a 10,000-member template-literal
// union) makes it allocate until the heap aborts, so the CLI forks this file with --max-old-space-size and a time
// bound (typecheck-client.ts), and a check that passes them ends this process, not the command.
//
// As a process: checks the files named on its command line with one Checker, and sends each result over IPC as
// it is known ({ file, result }), then { done: true }. Required as a module (bench/check.ts), it only exports.
import { Worker } from "node:worker_threads";
import { Checker } from "./typecheck";
import { PARENT_ENV, type CheckMessage } from "./typecheck-protocol";

export * from "./typecheck";

/** A thread that ends this process when its parent is gone: the check is synchronous, so the main thread would
 *  not notice before it ends (or its heap does). */
function endWithParent(): void {
  const watch = `const { workerData } = require("node:worker_threads");
setInterval(() => { if (process.ppid !== workerData.parent) process.kill(process.pid, "SIGKILL"); }, 500);`;
  new Worker(watch, { eval: true, workerData: { parent: Number(process.env[PARENT_ENV]) || process.ppid } }).unref();
}

function serve(files: string[]): void {
  endWithParent();
  const checker = new Checker();
  for (const file of files) process.send!({ file, result: checker.check(file) } satisfies CheckMessage);
  process.send!({ done: true } satisfies CheckMessage, () => process.disconnect());
}

if (require.main === module && process.send) serve(process.argv.slice(2));
