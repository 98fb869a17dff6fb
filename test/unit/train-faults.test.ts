// A model file that misbehaves while it trains or runs: a step that never ends (Stop, Ctrl-C), a data() or a
// scratchpad that never settles, process.exit, a WebAssembly heap exhausted. Each is reported as the model's doing,
// at its line, and a run keeps every line it wrote. Real processes (dist/train.js, dist/cli.js, built by `npm test`).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TrainOptions } from "../../src/runs/train-contract";
import { readRun } from "../../src/runs/run-store";
import { isAlive } from "../../src/runs/process-liveness";
import { killCliRuns, runCli } from "./helpers";
import { killRuns, startRun, type Run } from "./training-runs";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-faults-"));
const RUNS = path.join(ROOT, "runs");
after(() => {
  killRuns();
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** An LSTM(4, 8) + Linear experiment; `forward` runs first in forward (line 7), `data` replaces the data. */
function modelFile(name: string, parts: { forward?: string; data?: string } = {}): string {
  const source = `import { defineExperiment, nn, optim, torch, tf } from "unroll";
let calls = 0;
class Net extends nn.Module {
  rnn = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  forward(x: torch.Tensor): torch.Tensor {
    ${parts.forward ?? ""}
    const [out] = this.rnn.forward(x);
    return this.fc.forward(out.at(-1));
  }
}
const batches = () => [0, 1, 2].map((i) => [torch.randn([5, 2, 4]), torch.tensor([i % 3, (i + 1) % 3])] as [torch.Tensor, torch.Tensor]);
export default defineExperiment({
  name: "${name}",
  epochs: 1000,
  model: () => new Net(),
  data: ${parts.data ?? "() => ({ train: batches() })"},
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.01 }),
});
`;
  const file = path.join(ROOT, `${name}.ts`);
  fs.writeFileSync(file, source);
  return file;
}

/** Forward's line 7 loops forever from its third call (the third step), saying so first. */
const STUCK = `if (++calls === 3) { console.log("looping"); while (true) {} }`;

const start = (file: string, options: Partial<TrainOptions> = {}): Run => startRun({ file, runsFolder: RUNS, backend: "wasm", ...options });

const cli = runCli;

const LIMIT = { timeout: 90_000 };

describe("a step that never ends", () => {
  test("Stop ends it where it is: 'stopped' at forward's line, the metrics kept, the process gone", LIMIT, async () => {
    const file = modelFile("stuck", { forward: STUCK });
    const run = start(file);
    await run.waitFor((e) => e.type === "log" && e.text.includes("looping"));
    run.training.stop();
    const result = await run.training.done;
    assert.equal(result.signal, "SIGKILL");
    assert.equal(isAlive(run.training.child.pid!), false);
    assert.equal(result.run?.status, "stopped");
    assert.deepEqual(result.run?.halted?.location && [result.run.halted.location.file, result.run.halted.location.line], [file, 7]);
    const end = run.events[run.events.length - 1];
    assert.ok(end.type === "end" && end.run.status === "stopped", "an end event for the host");
    const stored = readRun(path.join(RUNS, result.run!.id));
    assert.equal(stored.info.status, "stopped");
    assert.ok(stored.info.endedAt);
    assert.ok(!fs.existsSync(path.join(RUNS, result.run!.id, ".reserve")), "the killed writer's disk reserve is freed");
    assert.deepEqual(
      stored.steps.map((s) => s.step),
      [1, 2],
      "every line written so far",
    );
  });

  test("Ctrl-C on `unroll train` ends it too: exit code 3, the line it was stuck at", LIMIT, async () => {
    const file = modelFile("stuck-cli", { forward: STUCK });
    const out = await cli(["train", file, "--runs", RUNS, "--backend", "wasm"], { interruptAfter: /looping/ });
    assert.equal(out.code, 3, out.stderr);
    assert.match(out.stdout, /stopped at line 7 of stuck-cli\.ts: its step had not ended [\d.]+ s after the stop\nstopped after 0\/1000 epochs/);
    const id = /run stored in .*?(\d{8}-\d{6}-stuck-cli(-\d+)?)\n/.exec(out.stdout)![1];
    const stored = readRun(path.join(RUNS, id));
    assert.equal(stored.info.status, "stopped");
    assert.equal(stored.steps.length, 2);
  });
});

describe("data() and a scratchpad's main past their time limit", () => {
  test("a data() that never settles fails the run (kind 'timeout') after the configured time", LIMIT, async () => {
    const file = modelFile("data-never", { data: "() => new Promise<never>(() => {})" });
    const run = start(file, { dataTimeout: 1 });
    const result = await run.training.done;
    assert.equal(result.code, 1);
    assert.equal(result.error?.kind, "timeout");
    assert.match(result.error!.message, /^data\(\) did not settle within 1 s: it awaits something that never comes \(--data-timeout/);
    assert.equal(result.error?.location?.line, 13, "the experiment's export");
  });

  test("a data() that loops is stopped at its line; $UNROLL_DATA_TIMEOUT sets the limit", LIMIT, async () => {
    const file = modelFile("data-loop", { data: "() => { let n = 0; while (true) n++; }" });
    const out = await cli(["train", file, "--runs", RUNS, "--backend", "wasm"], { env: { UNROLL_DATA_TIMEOUT: "1" } });
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stderr, /data-loop\.ts:17:\d+: data\(\) did not return within 1 s: it was still running line 17 /);
  });

  test("`unroll run --timeout`: a main that loops, one that never settles", LIMIT, async () => {
    const loops = path.join(ROOT, "loops.ts");
    fs.writeFileSync(loops, `console.log("start");\nexport default function main() {\n  let i = 0;\n  while (true) i++;\n}\n`);
    const looped = await cli(["run", loops, "--timeout", "1"]);
    assert.equal(looped.code, 1);
    assert.equal(looped.stdout, "start\n");
    assert.match(looped.stderr, /loops\.ts:4:\d+: loops\.ts did not return within 1 s: it was still running line 4 \(--timeout/);
    const waits = path.join(ROOT, "waits.ts");
    fs.writeFileSync(waits, `export default async function main() {\n  await new Promise(() => {});\n}\n`);
    const waited = await cli(["run", waits], { env: { UNROLL_RUN_TIMEOUT: "1" } });
    assert.equal(waited.code, 1);
    assert.match(waited.stderr, /waits\.ts did not settle within 1 s/);
  });
});

describe("process.exit and exhausted memory are the model's doing", () => {
  test("process.exit in forward fails the run (exit 1) at the call, not as an internal error", LIMIT, async () => {
    const file = modelFile("exits", { forward: "if (++calls === 2) process.exit(3);" });
    const out = await cli(["train", file, "--runs", RUNS, "--backend", "wasm"]);
    assert.equal(out.code, 1, out.stderr);
    assert.ok(out.stderr.includes("exits.ts:7:"), out.stderr);
    assert.match(out.stderr, /process\.exit\(3\) cannot end a training run/);
    assert.match(out.stdout, /failed after 0\/1000 epochs/);
    const scratchpad = path.join(ROOT, "exits-run.ts");
    fs.writeFileSync(scratchpad, `console.log("before");\nprocess.exit(0);\n`);
    const ran = await cli(["run", scratchpad]);
    assert.equal(ran.code, 1);
    assert.match(ran.stderr, /exits-run\.ts:2:\d+: process\.exit\(0\) cannot end `unroll run`/);
  });

  test("a WebAssembly heap exhausted during a step: the step, the epoch and what to make smaller", LIMIT, async () => {
    // The wasm heap holds 4 GiB at most: 31000² floats (3.6 GiB), then 12000² more, cannot fit.
    const file = modelFile("oom", { forward: "if (++calls === 2) { tf.fill([31000, 31000], 1); tf.fill([12000, 12000], 2); }" });
    const run = start(file);
    const result = await run.training.done;
    assert.equal(result.code, 1, JSON.stringify(result.error));
    assert.match(result.error!.message, /^out of memory at step 2 \(epoch 1\): .*batch size or shorter sequences/s);
    assert.equal(result.run?.status, "failed");
    assert.equal(readRun(path.join(RUNS, result.run!.id)).steps.length, 1);
  });
});
