// Between the CLI's type check (typecheck-client.ts) and its process (typecheck-process.ts, dist/typecheck.js):
// a module of its own, so that the client's bundle does not take TypeScript in with the process's.
import type { CheckedResult } from "./typecheck";

/** The parent's pid, given by the parent: under load it may be gone before the process reads its own ppid. */
export const PARENT_ENV = "UNROLL_CHECK_PARENT";

/** What the process sends its parent: each file's result as it is known, then done. */
export type CheckMessage = { file: string; result: CheckedResult } | { done: true };
