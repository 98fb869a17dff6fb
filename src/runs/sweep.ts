// Running a sweep: each point a normal training run (train-client.ts, with the point's overrides and its sweep
// mark), at most `parallel` at a time, in the order of the points. Stopping stops every live run after its current
// step and starts no more; what finished is kept. Shared by `unroll sweep` and the extension's "Sweep…".
import * as os from "node:os";
import type { RunEvent, SweepMark } from "../common/protocol";
import { safeRunName } from "../common/run-id";
import { startTraining, TRAIN_ENTRY, type Training, type TrainingResult } from "./train-client";
import type { TrainOptions } from "./train-contract";
import type { Point } from "./sweep-plan";

/** What a sweep says as it goes: a point started (with how many run now), one of its run's events, a point ended. */
export type SweepEvent =
  | { type: "point-start"; index: number; live: number }
  | { type: "point-event"; index: number; event: RunEvent }
  | { type: "point-end"; index: number; result: TrainingResult; live: number };

export interface SweepOptions {
  /** Every run's options (file, backend, runs folder…); each point adds its overrides and its mark. */
  base: TrainOptions;
  points: readonly Point[];
  /** The names swept, in the order given. */
  names: readonly string[];
  /** How many run at once (at least 1). */
  parallel: number;
  /** The sweep's id (default: the time and the file's name). */
  id?: string;
  /** The training process's entry (tests give a stand-in). */
  entry?: string;
}

export interface PointOutcome {
  index: number;
  point: Point;
  /** Absent for a point never started (the sweep was stopped first). */
  result?: TrainingResult;
}

export interface Sweep {
  id: string;
  /** Stops every live run after its current step (as train-client's stop) and starts no more. */
  stop(): void;
  /** Ends every live run's process at once and starts no more. */
  kill(): void;
  /** Settles when every started run's process has ended. */
  done: Promise<PointOutcome[]>;
}

/** As many runs at once as the machine has cores (a run's step keeps about one busy), at least 1. */
export const defaultParallel = (): number => Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

/** `20261207-221500-hello-sweep`: when and what, unique enough for a person's sweeps of one file. */
export function sweepId(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const name = file
    .split(/[\\/]/)
    .pop()!
    .replace(/\.[cm]?[jt]s$/, "");
  return `${stamp}-${safeRunName(name)}`;
}

export function startSweep(options: SweepOptions, onEvent: (event: SweepEvent) => void): Sweep {
  const { base, points, names } = options;
  const parallel = Math.max(1, Math.floor(options.parallel) || 1);
  const id = options.id ?? sweepId(base.file);
  const live = new Map<number, Training>();
  const outcomes: PointOutcome[] = points.map((point, index) => ({ index, point }));
  let next = 0;
  let ending: "stop" | "kill" | undefined;
  let finish: (outcomes: PointOutcome[]) => void;
  const done = new Promise<PointOutcome[]>((resolve) => (finish = resolve));

  const launch = (index: number) => {
    const sweep: SweepMark = { id, index, size: points.length, names: [...names] };
    const training = startTraining(
      { ...base, overrides: { ...base.overrides, ...points[index] }, sweep },
      (event) => onEvent({ type: "point-event", index, event }),
      options.entry ?? TRAIN_ENTRY,
    );
    live.set(index, training);
    onEvent({ type: "point-start", index, live: live.size });
    void training.done.then((result) => {
      live.delete(index);
      outcomes[index].result = result;
      onEvent({ type: "point-end", index, result, live: live.size });
      fill();
    });
  };
  /** Starts points until `parallel` run; settles `done` when none runs and none is left (or the sweep ends). */
  const fill = () => {
    while (!ending && live.size < parallel && next < points.length) launch(next++);
    if (live.size === 0 && (ending || next >= points.length)) finish(outcomes);
  };
  fill();
  return {
    id,
    stop() {
      ending ??= "stop";
      for (const training of live.values()) training.stop();
      fill();
    },
    kill() {
      ending = "kill";
      for (const training of live.values()) training.kill();
      fill();
    },
    done,
  };
}
