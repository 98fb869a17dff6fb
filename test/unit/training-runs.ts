// Training processes started by the tests (train.test.ts, train-faults.test.ts): each run's events as they come,
// a promise per awaited event, and every process still alive killed at the end of the file's tests.
import * as path from "node:path";
import type { ChildProcess } from "node:child_process";
import type { RunEvent } from "../../src/common/protocol";
import { startTraining, type Training } from "../../src/runs/train-client";
import type { TrainOptions } from "../../src/runs/train-contract";

const ENTRY = path.join(__dirname, "../../../dist/train.js");
const children = new Set<ChildProcess>();

export interface Run {
  events: RunEvent[];
  training: Training;
  /** Resolves with the first event that matches, already received or still to come. */
  waitFor(match: (e: RunEvent) => boolean): Promise<RunEvent>;
}

export function startRun(options: TrainOptions): Run {
  const events: RunEvent[] = [];
  const waiters: { match: (e: RunEvent) => boolean; resolve: (e: RunEvent) => void }[] = [];
  const training = startTraining(
    options,
    (event) => {
      events.push(event);
      for (const w of waiters.filter((w) => w.match(event))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    },
    ENTRY,
  );
  children.add(training.child);
  return {
    events,
    training,
    waitFor: (match) => new Promise((resolve) => (events.find(match) ? resolve(events.find(match)!) : waiters.push({ match, resolve }))),
  };
}

/** Ends the runs a failed test left running (call in `after`). */
export function killRuns(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
