// Whether a run's process still runs, from its pid and, on Linux, its start time (/proc/<pid>/stat): the run store
// reads a "running" run whose process is gone as interrupted, the training process records its own start time.
import * as fs from "node:fs";
import type { RunInfo } from "../common/protocol";

/** A pid a process can have: a run.json is read from disk, so its pid may be anything. (0 and negative pids signal
 *  process groups.) */
const isPid = (pid: number) => Number.isInteger(pid) && pid > 0;

/** Whether a process runs with this id (one we may not signal counts: it exists). */
export function isAlive(pid: number): boolean {
  if (!isPid(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** /proc/<pid>/stat's fields from the third (state, ppid, …), after "pid (comm) " (comm may hold spaces and parentheses);
 *  undefined elsewhere or for no such process. */
function statFields(pid: number): string[] | undefined {
  if (!isPid(pid)) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** When the process started, as Linux says (/proc/<pid>/stat's 22nd field, in clock ticks since boot); undefined
 *  elsewhere or for no such process. With the pid, it names one process: pids are reused, start times are not. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Whether the run's process still runs: its pid is alive and, where the OS tells start times, started when
 *  the run's did (else the pid now belongs to another process). A zombie (killed, not yet reaped: a detached run's
 *  parent may be an init that never reaps) runs no more. */
export function runIsAlive(info: Pick<RunInfo, "pid" | "pidStart">): boolean {
  if (!isAlive(info.pid)) return false;
  const fields = info.pidStart === undefined ? undefined : statFields(info.pid);
  if (fields === undefined) return true;
  return fields[0] !== "Z" && fields[19] === info.pidStart;
}
