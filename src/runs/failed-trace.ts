// The trace of a file that could not be traced at all (the process died, timed out, or broke): no entries, the
// reason as its error. Imports nothing but types, so the client, the server, its watchdog and the host share it.
import type { RunnerErrorKind, Trace } from "../common/protocol";

export function failedTrace(file: string, kind: RunnerErrorKind, cause: unknown, durationMs = 0): Trace {
  const message = cause instanceof Error ? (kind === "internal" ? (cause.stack ?? cause.message) : cause.message) : String(cause);
  return { file, entries: [], error: { kind, message }, durationMs, backend: "" };
}
