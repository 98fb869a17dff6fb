// Training runs end to end: tiny experiments written to a temporary folder, trained by the real training
// process (dist/train.js, built by `npm test`), checked through their events and the run store.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, nn, parseSafetensors } from "unroll";
type Tensor = tf.Tensor;
import * as tfTorch from "./tf-torch";
import type { RunEvent } from "../../src/common/protocol";
import type { TrainOptions } from "../../src/runs/train-contract";
import { listSnapshots, readRun, readSnapshot } from "../../src/runs/run-store";
import { setupBackend, killCliRuns, runCli } from "./helpers";
import { killRuns, startRun, type Run } from "./training-runs";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-train-"));
const RUNS = path.join(ROOT, "runs");
before(setupBackend); // for reading the weights back
after(() => {
  killRuns();
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** An LSTM(4, 8) + Linear classifier of 5-step sequences; `parts` replace pieces of the experiment. */
function modelFile(
  name: string,
  parts: { forward?: string; loss?: string; experiment?: string; epochs?: number; top?: string; batches?: number; optimizer?: string } = {},
): string {
  const source = `import { defineExperiment, nn, optim, torch, tf } from "unroll";
${parts.top ?? ""}
class Net extends nn.Module {
  rnn = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  forward(x: tf.Tensor): tf.Tensor {
${parts.forward ?? "    const [out] = this.rnn.forward(x);"}
    return this.fc.forward(out.gather(out.shape[0] - 1)); // the last step: [batch, 3]
  }
}
const labels = ["a", "b", "c"];
let calls = 0;
export default defineExperiment({
  name: "${name}",
  epochs: ${parts.epochs ?? 2},
  model: () => { tfTorch.manualSeed(0); return new Net(); },
  data: () => ({ train: [0, 1, 2].slice(0, ${parts.batches ?? 3}).map((i) => [torch.randn([5, 2, 4]), torch.tensor([i % 3, (i + 1) % 3])] as [torch.Tensor, torch.Tensor]) }),
  loss: () => ${parts.loss ?? "new nn.CrossEntropyLoss()"},
  optimizer: (parameters) => ${parts.optimizer ?? "new optim.Adam(parameters, { lr: 0.01 })"},
  evaluate: (model, data) => {
    const [x, y] = (data.train as [tf.Tensor, tf.Tensor][])[0];
    const predicted = model.forward(x).argMax(1);
    console.log("evaluated " + ++calls + ": " + tf.memory().numTensors + " tensors");
    return { accuracy: predicted.equal(y.toInt()).mean(), predicted: Array.from(predicted.dataSync(), (i) => labels[i]).join("") };
  },
  ${parts.experiment ?? ""}
});
`;
  const file = path.join(ROOT, `${name}.ts`);
  fs.writeFileSync(file, source);
  return file;
}

const withPrefix = (state: nn.StateDict, prefix: string) => Object.entries(state).map(([k, v]) => [prefix + k, v.tf] as const);

const start = (file: string, options: Partial<TrainOptions> = {}): Run => startRun({ file, runsFolder: RUNS, backend: "wasm", ...options });

const ofType = <T extends RunEvent["type"]>(events: RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

async function failure(file: string) {
  const run = start(file);
  const result = await run.training.done;
  assert.equal(result.code, 1);
  assert.ok(result.error, "an error event");
  return result.error;
}

// A run that never ends must fail its test, not hang the suite: a time-out on each test (a describe's
// time-out would cover all its tests together), generous enough for a busy machine.
const LIMIT = { timeout: 120_000 };

describe("unroll train: the training process", () => {
  test("events, snapshots, dynamics and the run store of a 2-epoch LSTM run", LIMIT, async () => {
    const file = modelFile("tiny");
    const run = start(file, { snapshotEvery: 4 });
    const result = await run.training.done;
    const { events } = run;
    assert.equal(result.code, 0, JSON.stringify(result.error));
    assert.equal(events[0].type, "start");
    const [startEvent] = ofType(events, "start");
    assert.match(startEvent.run.config.model, /^Net\(\n {2}\(rnn\): LSTM\(4, 8\)/);
    assert.deepEqual(
      { ...startEvent.run.config, model: "" },
      { epochs: 2, model: "", parameterCount: 4 * 8 * (4 + 8) + 2 * 4 * 8 + 8 * 3 + 3, optimizer: "Adam", snapshotEvery: 4 },
    );
    assert.match(startEvent.run.backend, /^wasm/);

    const steps = ofType(events, "step");
    assert.deepEqual(
      steps.map((s) => [s.epoch, s.step]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 4],
        [2, 5],
        [2, 6],
      ],
    );
    assert.ok(steps.every((s) => Number.isFinite(s.loss) && s.lr === 0.01 && s.time >= 0));
    const epochs = ofType(events, "epoch");
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [1, 2],
    );
    near(epochs[0].loss, (steps[0].loss + steps[1].loss + steps[2].loss) / 3);
    assert.equal(typeof epochs[1].metrics.accuracy, "number", "a scalar tensor metric becomes a number");
    assert.match(String(epochs[1].metrics.predicted), /^[abc]{2}$/);
    const logs = ofType(events, "log").map((e) => e.text);
    assert.deepEqual(
      logs.map((text) => text.replace(/\d+ tensors/, "")),
      ["evaluated 1: \n", "evaluated 2: \n"],
      "the user's console output",
    );
    assert.equal(
      logs[0].match(/\d+ tensors/)![0],
      logs[1].match(/\d+ tensors/)![0],
      "as many live tensors after a snapshot, dynamics and checkpoint as before",
    );

    // Snapshots every 4 steps and at the end, each with the dynamics of the sample (the first batch).
    assert.deepEqual(
      ofType(events, "snapshot").map((s) => s.step),
      [4, 6],
    );
    const snapshot = ofType(events, "snapshot")[1];
    assert.deepEqual(
      snapshot.parameters.map((p) => p.name),
      ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight", "fc.bias"],
    );
    const whh = snapshot.parameters[1];
    assert.deepEqual([whh.shape, whh.gates, whh.layer, whh.direction], [[32, 8], ["i", "f", "g", "o"], 0, "forward"]);
    assert.ok(whh.gradNorm! > 0);
    const [dynamics] = ofType(events, "dynamics").slice(-1);
    assert.equal(dynamics.step, 6);
    assert.equal(dynamics.layers.length, 1);
    const layer = dynamics.layers[0];
    assert.deepEqual([layer.module, layer.kind, layer.layer, layer.direction], ["rnn", "LSTM", 0, "forward"]);
    assert.deepEqual([layer.hidden.length, layer.hidden[0].length, layer.cell!.length], [5, 8, 5]);
    assert.deepEqual(layer.gates!.names, ["i", "f", "g", "o"]);
    assert.equal(layer.gradNorms!.length, 5);
    assert.ok(layer.gradNorms![4] > 0);
    assert.deepEqual(
      ofType(events, "checkpoint").map((c) => c.step),
      [3, 6],
      "after each epoch",
    );
    const end = events[events.length - 1];
    assert.ok(end.type === "end" && end.run.status === "completed" && end.run.epoch === 2);

    // The store: run.json, one metrics line per step and epoch, the snapshots, the weights under PyTorch's names.
    const stored = readRun(path.join(RUNS, startEvent.run.id));
    assert.equal(stored.info.status, "completed");
    assert.deepEqual(stored.info.finalMetrics, epochs[1].metrics);
    assert.equal(fs.readFileSync(path.join(stored.dir, "metrics.jsonl"), "utf8").trim().split("\n").length, 8);
    assert.deepEqual([stored.steps.length, stored.epochs.length], [6, 2]);
    assert.deepEqual(listSnapshots(stored.dir), [4, 6]);
    assert.deepEqual(readSnapshot(stored.dir, 6).dynamics[0].gradNorms, layer.gradNorms);
    const { tensors } = parseSafetensors(fs.readFileSync(path.join(stored.dir, "weights.safetensors")));
    assert.deepEqual(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape])), {
      "rnn.weight_ih_l0": [32, 4],
      "rnn.weight_hh_l0": [32, 8],
      "rnn.bias_ih_l0": [32],
      "rnn.bias_hh_l0": [32],
      "fc.weight": [3, 8],
      "fc.bias": [3],
    });
  });

  // How soon after the command it ends: \`npm run bench:timings\` (a duration, so a benchmark, not a test).
  test("run.json records the configuration (experiment, optimizer, scheduler, batch size, hparams) and the best metrics", LIMIT, async () => {
    const file = modelFile("configured", {
      epochs: 3,
      experiment: `clipGradNorm: 5,
  scheduler: (optimizer) => new optim.lrScheduler.StepLR(optimizer, { stepSize: 2, gamma: 0.5 }),
  hparams: { hiddenSize: 8, cell: "LSTM", bidirectional: false },`,
    });
    const run = start(file);
    const result = await run.training.done;
    assert.equal(result.code, 0, JSON.stringify(result.error));
    const [startEvent] = ofType(run.events, "start");
    const stored = readRun(path.join(RUNS, startEvent.run.id));
    assert.equal(stored.damaged, undefined);
    assert.deepEqual(stored.info.hparams, {
      epochs: 3,
      clipGradNorm: 5,
      optimizer: "Adam",
      lr: 0.01, // the lr it started with, not the scheduler's last
      "betas[0]": 0.9, // Adam's defaults count: read from the instance
      "betas[1]": 0.999,
      eps: 1e-8,
      weightDecay: 0,
      amsgrad: false,
      scheduler: "StepLR",
      "scheduler.stepSize": 2,
      "scheduler.gamma": 0.5,
      hiddenSize: 8,
      cell: "LSTM",
      bidirectional: false,
      batchSize: 2, // the first batch's target: [2]
    });
    const epochs = ofType(run.events, "epoch");
    const lowest = epochs.reduce((a, b) => (b.loss < a.loss ? b : a));
    assert.deepEqual(stored.info.best?.loss, { value: lowest.loss, epoch: lowest.epoch, goal: "min" });
    const accuracies = epochs.map((e) => e.metrics.accuracy as number);
    assert.equal(stored.info.best?.accuracy.value, Math.max(...accuracies));
    assert.equal(stored.info.best?.accuracy.goal, "max");
    assert.equal(stored.info.best?.predicted, undefined, "text metrics have no best");
  });

  test("hparams reach model, optimizer, data and evaluate (with the epoch); --set overrides them, checked; goals decide the best", LIMIT, async () => {
    const file = path.join(ROOT, "hparams.ts");
    fs.writeFileSync(
      file,
      `import { defineExperiment, nn, optim, torch, tf } from "unroll";
export default defineExperiment({
  name: "hparams",
  epochs: 2,
  hparams: { hidden: 8, lr: 0.01, tag: "a", shuffle: false },
  goals: { error: "max" },
  model: ({ hidden }) => new nn.RNN(4, hidden as number),
  data: ({ tag }) => ({ train: [[tfTorch.randn([5, 3, 4]), tfTorch.randn([5, 3, 1])]], test: [], tag }),
  loss: () => new nn.MSELoss(),
  step: ({ model, batch }) => (model.forward(batch[0] as tf.Tensor)[0] as tf.Tensor).square().mean(),
  optimizer: (parameters, { lr }) => new optim.SGD(parameters, { lr: lr as number }),
  evaluate: (model, data, { epoch, hparams }) => ({ epoch, error: epoch, seen: \`\${(data as { tag?: string }).tag} \${hparams.hidden} \${hparams.shuffle}\` }),
});
`,
    );
    const run = start(file, { overrides: { hidden: "16", lr: "0.03", tag: "b", shuffle: "true" } });
    const result = await run.training.done;
    assert.equal(result.code, 0, JSON.stringify(result.error));
    const [startEvent] = ofType(run.events, "start");
    assert.equal(startEvent.run.config.parameterCount, 16 * 4 + 16 * 16 + 16 + 16); // RNN(4, 16)
    const stored = readRun(path.join(RUNS, startEvent.run.id)).info;
    assert.equal(stored.hparams?.hidden, 16);
    assert.equal(stored.hparams?.lr, 0.03);
    assert.equal(stored.hparams?.tag, "b");
    assert.equal(stored.hparams?.shuffle, true);
    assert.equal(stored.hparams?.batchSize, 3, "the batch dimension of [seq 5, batch 3, 4], not the target's first");
    assert.deepEqual(
      ofType(run.events, "epoch").map((e) => [e.metrics.epoch, e.metrics.seen]),
      [
        [1, "b 16 true"],
        [2, "b 16 true"],
      ],
    );
    assert.deepEqual(stored.best?.error, { value: 2, epoch: 2, goal: "max" }, "goals: error is better higher here");

    const unknown = start(file, { overrides: { lrr: "0.1" } });
    const failed = await unknown.training.done;
    assert.equal(failed.error?.kind, "export");
    assert.equal(failed.error?.message, "unknown hyperparameter 'lrr'; did you mean 'lr'?");
    assert.equal(failed.error?.location?.line, 2, "at the experiment's export");
    const cli = await runCli(["train", file, "--set", "hidden=1.5", "--set=tag=c", "--runs", RUNS, "--no-check"]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /hparams\.ts:2:1: hyperparameter 'hidden' is a whole number \(declared 8\), got '1\.5'/);
  });

  test("clipGradNorm clips the step: one SGD step (lr 1) with gradients clipped to 0.01 moves the weights by 0.01", LIMIT, async () => {
    const file = modelFile("clipped", { epochs: 1, batches: 1, optimizer: "new optim.SGD(parameters, { lr: 1 })", experiment: "clipGradNorm: 0.01," });
    const run = start(file);
    const result = await run.training.done;
    assert.equal(result.code, 0, JSON.stringify(result.error));
    const [stepLine] = ofType(run.events, "step");
    const before = Math.hypot(...Object.values(stepLine.gradNorms ?? {}));
    assert.ok(before > 0.1, `the gradient's norm before clipping, ${before}, is well above 0.01`);
    // The same initial weights here: Net's fields in order after manualSeed(0).
    tfTorch.manualSeed(0);
    const initial = [...withPrefix(new nn.LSTM(4, 8).stateDict(), "rnn."), ...withPrefix(new nn.Linear(8, 3).stateDict(), "fc.")];
    const { tensors } = parseSafetensors(fs.readFileSync(path.join(RUNS, result.run!.id, "weights.safetensors")));
    let squares = 0;
    for (const [name, value] of initial) {
      const after = tensors[name].dataSync();
      value.dataSync().forEach((v, i) => (squares += (after[i] - v) ** 2));
    }
    assert.ok(Math.abs(Math.sqrt(squares) - 0.01) < 1e-6, `the step's norm: ${Math.sqrt(squares)}`);
  });

  test("nativeKernels: false (the extension's setting) reaches the process: the native kernels are turned off", LIMIT, async () => {
    const run = start(modelFile("no-native", { epochs: 1 }), { nativeKernels: false });
    const result = await run.training.done;
    assert.equal(result.code, 0, JSON.stringify(result.error));
    const [startEvent] = ofType(run.events, "start");
    assert.match(startEvent.run.backend, /^wasm .* — no native kernels: turned off \(UNROLL_NATIVE=0\)$/);
  });

  test("a stop command ends the run 'stopped', keeping the metrics so far", LIMIT, async () => {
    const run = start(modelFile("stopped", { epochs: 100000 }));
    await run.waitFor((e) => e.type === "step" && e.step === 3);
    run.training.stop();
    const result = await run.training.done;
    assert.equal(result.code, 0);
    assert.equal(result.run?.status, "stopped");
    const stored = readRun(path.join(RUNS, result.run!.id));
    assert.equal(stored.info.status, "stopped");
    const steps = ofType(run.events, "step");
    assert.ok(stored.steps.length >= 3 && stored.steps.length === steps.length);
    assert.deepEqual(listSnapshots(stored.dir), [steps.length], "a final snapshot");
    assert.ok(fs.existsSync(path.join(stored.dir, "weights.safetensors")), "a final checkpoint");
  });

  test("SIGKILL mid-run leaves a readable store: 'interrupted', with the metrics written so far", LIMIT, async () => {
    const run = start(modelFile("killed", { epochs: 100000 }));
    const started = (await run.waitFor((e) => e.type === "start")) as Extract<RunEvent, { type: "start" }>;
    await run.waitFor((e) => e.type === "step" && e.step === 4);
    run.training.kill();
    const result = await run.training.done;
    assert.equal(result.signal, "SIGKILL");
    const stored = readRun(path.join(RUNS, started.run.id));
    assert.equal(stored.info.status, "interrupted");
    assert.ok(stored.steps.length >= 4, `${stored.steps.length} steps kept`);
    assert.deepEqual(
      stored.steps.slice(0, 4).map((s) => s.step),
      [1, 2, 3, 4],
    );
  });

  test("a NaN loss stops the run with kind 'nan', naming the step and the first parameter with a bad gradient", LIMIT, async () => {
    const file = modelFile("nan", {
      loss: "(output: tf.Tensor, target: tf.Tensor) => { const l = new nn.CrossEntropyLoss().forward(output, target); return ++lossCalls === 3 ? l.mul(NaN) : l; }",
      top: "let lossCalls = 0;",
    });
    const run = start(file);
    const result = await run.training.done;
    assert.equal(result.code, 1);
    assert.equal(result.error?.kind, "nan");
    assert.match(result.error!.message, /NaN at step 3 \(epoch 1\).*rnn\.weight_ih_l0/);
    assert.equal(ofType(run.events, "step").length, 2);
    assert.equal(result.run?.status, "failed");
    assert.equal(readRun(path.join(RUNS, result.run!.id)).info.error?.kind, "nan");
  });

  test("a missing or incomplete export: kind 'export', saying what is missing", LIMIT, async () => {
    const missing = path.join(ROOT, "no-export.ts");
    fs.writeFileSync(missing, `import { nn } from "unroll";\nexport const model = new nn.LSTM(2, 3);\n`);
    const e1 = await failure(missing);
    assert.equal(e1.kind, "export");
    assert.match(e1.message, /exports no experiment/);
    const partial = path.join(ROOT, "partial.ts");
    fs.writeFileSync(partial, `import { nn } from "unroll";\n\nexport default { epochs: 1, model: () => new nn.LSTM(2, 3), loss: () => new nn.MSELoss() };\n`);
    const e2 = await failure(partial);
    assert.equal(e2.kind, "export");
    assert.match(e2.message, /lacks data .*optimizer/);
    assert.deepEqual(e2.location, { file: partial, line: 3, column: 1 });
  });

  test("a throw inside model.forward: kind 'runtime' at the user's line", LIMIT, async () => {
    const file = modelFile("throws", {
      forward: `    if (x.shape[0] === 5) throw new Error("no five-step sequences, please");\n    const [out] = this.rnn.forward(x);`,
    });
    const error = await failure(file);
    assert.equal(error.kind, "runtime");
    assert.equal(error.message, "no five-step sequences, please");
    assert.deepEqual(error.location && [error.location.file, error.location.line], [file, 7]);
  });

  test("a ShapeError: kind 'shape' at the line of the call", LIMIT, async () => {
    const file = modelFile("shape", { forward: `    const [out] = this.rnn.forward(x.slice([0, 0, 0], [-1, -1, 3]));` });
    const error = await failure(file);
    assert.equal(error.kind, "shape");
    assert.match(error.message, /LSTM\(input_size=4, hidden_size=8\) got input \[5, 2, 3\]/);
    assert.deepEqual(error.location && [error.location.line, error.location.column], [7, 28]);
  });
});

const cli = (args: string[], interruptAfter?: RegExp) => runCli(args, { interruptAfter });

describe("unroll train: the command", () => {
  test("plain lines without a terminal, --json streams the events", LIMIT, async () => {
    const file = modelFile("cli", { epochs: 1 });
    const plain = await cli(["train", file, "--runs", RUNS, "--backend", "wasm"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stdout,
      /^Training cli \(.*cli\.ts\): 1 epoch, Adam\nNet\(\n {2}\(rnn\): LSTM\(4, 8\)\n {2}\(fc\): Linear\(.*\)\n\)\n475 parameters, backend: wasm/,
    );
    assert.match(plain.stdout, /\nepoch 1\/1 {2}loss \d\.\d{4} {2}accuracy [\d.]+ {2}predicted "[abc]{2}"\n/);
    assert.match(
      plain.stdout,
      /\ndone after 1\/1 epochs in [\d.]+ s: loss \d\.\d{4} {2}accuracy [\d.]+ {2}predicted "[abc]{2}"\nrun stored in .*runs.\d{8}-\d{6}-cli(-\d)?\n$/,
    );
    const json = await cli(["train", "--json", file, "--runs", RUNS, "--backend", "wasm"]);
    const events = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as RunEvent);
    assert.deepEqual([events[0].type, events[events.length - 1].type], ["start", "end"]);
    assert.equal(ofType(events, "step").length, 3);
  });

  test("Ctrl-C stops the run (exit code 3); a model error exits 1 with file:line:col", LIMIT, async () => {
    const stopped = await cli(["train", modelFile("interrupted", { epochs: 100000 }), "--runs", RUNS, "--backend", "wasm"], /backend: /);
    assert.equal(stopped.code, 3, stopped.stderr);
    assert.match(stopped.stdout, /stopping after this step.*\nstopped after \d+\/100000 epochs/s);
    const file = modelFile("cli-shape", { forward: `    const [out] = this.rnn.forward(x.slice([0, 0, 0], [-1, -1, 3]));` });
    const failed = await cli(["train", file, "--runs", RUNS, "--backend", "wasm"]);
    assert.equal(failed.code, 1);
    assert.ok(failed.stderr.startsWith(`${path.relative(process.cwd(), file)}:7:28: ShapeError: LSTM(input_size=4`), failed.stderr);
  });
});

function near(a: number, b: number) {
  assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
}
