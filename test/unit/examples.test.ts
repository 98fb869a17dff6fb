// The seed lessons in examples/: every scratchpad runs with `unroll run` and prints the shapes its lesson
// teaches; every experiment learns: through `unroll train --json` (the RunEvent lines), and in this process
// through the runner's own training loop (src/runner/training.ts), its "unroll" being this test's copy of
// the library.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import * as unroll from "unroll";
import type { RunEvent } from "../../src/common/protocol";
import { readRun } from "../../src/runs/run-store";
import { train } from "../../src/runner/training";
import { setupBackend, runCli } from "./helpers";
import { gradientNorms, STEPS } from "../../examples/09_vanishing_gradients";

before(setupBackend);

const ROOT = path.join(__dirname, "../../..");
const example = (name: string) => path.join(ROOT, "examples", name);
const SURNAMES = example("data/surnames.csv.gz");
/** Each training test may take long on a busy machine, but never forever. */
const LIMIT = { timeout: 300_000 };

const cli = (args: string[]) => runCli(args);

/** `label   torch.Size([a, b])` lines of a scratchpad's output, as [label, shape] pairs in order. */
function shapes(stdout: string): [string, string][] {
  return [...stdout.matchAll(/^\s*(\S+)\s+torch\.Size\((\[[\d, ]*\])\)$/gm)].map((m) => [m[1], m[2]]);
}

/** Runs a scratchpad with `unroll run`: exit 0, then its printed shapes. */
async function runScratchpad(name: string): Promise<{ stdout: string; shapes: [string, string][] }> {
  const { code, stdout, stderr } = await cli(["run", example(name)]);
  assert.equal(code, 0, `unroll run ${name} exited with ${code}:\n${stderr}`);
  return { stdout, shapes: shapes(stdout) };
}

/** Asserts that `expected` pairs appear in `actual` in this order (other lines may come between). */
function assertInOrder(actual: [string, string][], expected: [string, string][], what: string): void {
  let i = 0;
  for (const pair of actual) if (i < expected.length && pair[0] === expected[i][0] && pair[1] === expected[i][1]) i++;
  assert.equal(
    i,
    expected.length,
    `${what}: expected ${JSON.stringify(expected[i])} after ${JSON.stringify(expected.slice(0, i))}; printed ${JSON.stringify(actual)}`,
  );
}

describe("scratchpads (unroll run)", () => {
  test("01_rnncell_by_hand: six h_t of [5, 200]", async () => {
    const { stdout, shapes } = await runScratchpad("01_rnncell_by_hand.ts");
    assert.deepEqual(
      shapes.filter(([label]) => /^h_\d$/.test(label)),
      [0, 1, 2, 3, 4, 5].map((t) => [`h_${t}`, "[5, 200]"]),
    );
    assert.match(stdout, /^6 outputs$/m);
    assertInOrder(
      shapes,
      [
        ["weight_ih", "[200, 100]"],
        ["weight_hh", "[200, 200]"],
        ["stacked", "[6, 5, 200]"],
      ],
      "01",
    );
  });

  test("02_rnn: default and explicit h0, RNN(100, 10, 3)'s parameters, 4 layers, bidirectional", async () => {
    const { stdout, shapes } = await runScratchpad("02_rnn.ts");
    const deep = ["l0", "l1", "l2"].flatMap((l, k) => [
      [`weight_ih_${l}`, k === 0 ? "[10, 100]" : "[10, 10]"],
      [`weight_hh_${l}`, "[10, 10]"],
      [`bias_ih_${l}`, "[10]"],
      [`bias_hh_${l}`, "[10]"],
    ]) as [string, string][];
    assertInOrder(
      shapes,
      [
        ["output", "[6, 5, 200]"],
        ["h_n", "[1, 5, 200]"],
        ["output", "[6, 5, 200]"],
        ["h_n", "[1, 5, 200]"],
        ...deep,
        ["output", "[10, 3, 20]"],
        ["h_n", "[4, 3, 20]"],
        ["output", "[10, 3, 40]"],
        ["h_n", "[8, 3, 20]"],
      ],
      "02",
    );
    assert.match(stdout, /RNN\(100, 10, num_layers=3\)/);
    assert.match(stdout, /RNN\(100, 20, num_layers=4, bidirectional=True\)/);
  });

  test("03_lstm: LSTM(50, 100, 2 layers) with and without [h0, c0], stacked LSTMCells, bidirectional", async () => {
    const { shapes } = await runScratchpad("03_lstm.ts");
    const state: [string, string][] = [
      ["output", "[10, 3, 100]"],
      ["h_n", "[2, 3, 100]"],
      ["c_n", "[2, 3, 100]"],
    ];
    assertInOrder(
      shapes,
      [
        ["weight_ih_l0", "[400, 50]"],
        ["weight_hh_l0", "[400, 100]"],
        ...state,
        ...state,
        ["weight_ih", "[80, 10]"],
        ["h_t", "[3, 20]"],
        ["stacked", "[6, 3, 20]"],
        ["output", "[10, 3, 200]"],
        ["h_n", "[8, 3, 100]"],
        ["c_n", "[8, 3, 100]"],
      ],
      "03",
    );
  });

  test("04_gru: GRU(10, 20)", async () => {
    const { shapes } = await runScratchpad("04_gru.ts");
    assertInOrder(
      shapes,
      [
        ["weight_hh_l0", "[60, 20]"],
        ["output", "[3, 32, 20]"],
        ["h_n", "[1, 32, 20]"],
      ],
      "04",
    );
  });

  test("09_vanishing_gradients prints the three models' gradient norms", async () => {
    const { stdout } = await runScratchpad("09_vanishing_gradients.ts");
    for (const name of ["RNN", "LSTM (PyTorch's init)", "LSTM (forget bias 3)"]) assert.ok(stdout.includes(name), stdout);
  });
});

// ---------------------------------------------------------------------------------------------------
// Experiments through `unroll train --json` (the RunEvent contract)

/** Trains an example with `unroll train --json --epochs N` into a temporary runs folder; returns its epoch events. */
async function trainCli(name: string, epochs: number): Promise<Extract<RunEvent, { type: "epoch" }>[]> {
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-examples-"));
  try {
    const { code, stdout, stderr } = await cli(["train", example(name), "--json", "--epochs", String(epochs), "--runs", runs, "--snapshot-every", "1000000"]);
    const events = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as RunEvent);
    const error = events.find((e) => e.type === "error");
    assert.equal(code, 0, `unroll train ${name} exited with ${code}: ${error ? JSON.stringify(error) : stderr}`);
    const end = events.find((e) => e.type === "end");
    assert.ok(end && end.type === "end" && end.run.status === "completed", `${name}: no completed end event`);
    const epochLines = events.filter((e): e is Extract<RunEvent, { type: "epoch" }> => e.type === "epoch");
    assert.equal(epochLines.length, epochs);
    return epochLines;
  } finally {
    fs.rmSync(runs, { recursive: true, force: true });
  }
}

describe("experiments (unroll train --json)", () => {
  for (const file of ["05a_hello_rnncell.ts", "05b_hello_rnn.ts", "05c_hello_embedding.ts"]) {
    test(`${file} says "ohlol"`, LIMIT, async () => {
      const epochs = await trainCli(file, 10);
      assert.equal(epochs.at(-1)!.metrics.predicted, "ohlol");
      assert.ok(epochs.at(-1)!.loss < epochs[0].loss);
    });
  }

  test("06_names_classifier beats the majority class after one epoch", LIMIT, async () => {
    const [first] = await trainCli("06_names_classifier.ts", 1);
    const { accuracy, baseline } = first.metrics as { accuracy: number; baseline: number };
    assert.ok(accuracy >= 1.5 * baseline, `accuracy ${accuracy} vs baseline ${baseline}`);
  });

  test("07_forecast beats the naive forecast", LIMIT, async () => {
    const epochs = await trainCli("07_forecast.ts", 4);
    const { rmse, naiveRmse } = epochs.at(-1)!.metrics as { rmse: number; naiveRmse: number };
    assert.ok(rmse < naiveRmse, `rmse ${rmse} vs naive ${naiveRmse}`);
  });

  test("08_seq2seq_reverse: accuracy increases", LIMIT, async () => {
    const epochs = await trainCli("08_seq2seq_reverse.ts", 3);
    const accuracy = epochs.map((e) => e.metrics.accuracy as number);
    assert.ok(accuracy[2] > accuracy[0] && accuracy[2] > 0.05, `accuracy by epoch: ${accuracy.join(", ")}`);
  });
});

// ---------------------------------------------------------------------------------------------------
// Experiments in this process, through the runner's training loop (what the training process runs)

type Metrics = Record<string, number | string>;

/** Trains a model file with `train` from src/runner/training.ts into a temporary runs folder, "unroll" being
 *  this test's library; checks that the run completed, emitted and stored every epoch; returns each epoch's
 *  loss and metrics. `source` (a model file's text) is written to a temporary folder, else `file` is trained. */
async function trainHere(what: { file: string } | { source: string }, epochs?: number, seen: RunEvent[] = []): Promise<{ loss: number; metrics: Metrics }[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-examples-here-"));
  const file = "file" in what ? what.file : path.join(dir, "experiment.ts");
  if ("source" in what) fs.writeFileSync(file, what.source);
  const internals = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
  const load = internals._load;
  internals._load = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === "unroll" ? unroll : load.call(this, request, ...rest);
  };
  try {
    const events: RunEvent[] = [];
    const runs = path.join(dir, "runs");
    const options = { file, epochs, runsFolder: runs, backend: process.env.UNROLL_BACKEND ?? "wasm", snapshotEvery: 1_000_000 };
    const status = await train(
      options,
      (event) => (events.push(event), seen.push(event)),
      () => false,
    );
    const error = events.find((e) => e.type === "error");
    assert.equal(status, "completed", `${path.basename(file)}: ${error ? JSON.stringify(error) : status}`);
    const start = events.find((e): e is Extract<RunEvent, { type: "start" }> => e.type === "start")!;
    const epochLines = events.filter((e): e is Extract<RunEvent, { type: "epoch" }> => e.type === "epoch");
    const expected = epochs ?? start.run.config.epochs;
    assert.deepEqual(
      epochLines.map((e) => e.epoch),
      Array.from({ length: expected }, (_, i) => i + 1),
    );
    const steps = events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step");
    assert.ok(steps.length >= expected && steps.every((s) => Number.isFinite(s.loss)), `${steps.length} steps with finite losses`);
    const end = events.at(-1)!;
    assert.ok(end.type === "end" && end.run.status === "completed" && end.run.epoch === expected, `the last event: ${JSON.stringify(end).slice(0, 200)}`);
    // The run store holds what the events said.
    const stored = readRun(path.join(runs, start.run.id));
    assert.equal(stored.info.status, "completed");
    assert.deepEqual([stored.steps.length, stored.epochs.length], [steps.length, expected]);
    assert.deepEqual(stored.info.finalMetrics, epochLines.at(-1)!.metrics);
    return epochLines.map((e) => ({ loss: e.loss, metrics: e.metrics }));
  } finally {
    internals._load = load;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A model file that trains `call` (an example's experiment factory, called with options) of `name`. */
const experimentOf = (name: string, call: string) => ({
  source: `import { ${call.slice(0, call.indexOf("("))} } from ${JSON.stringify(example(name).replace(/\.ts$/, ""))};\nexport default ${call};\n`,
});

describe("experiments (in process)", () => {
  for (const file of ["05a_hello_rnncell", "05b_hello_rnn", "05c_hello_embedding"]) {
    test(`${file} reaches "ohlol"`, LIMIT, async () => {
      const history = await trainHere({ file: example(`${file}.ts`) });
      const first = history.findIndex((h) => h.metrics.predicted === "ohlol");
      assert.ok(first >= 0, `predicted: ${history.map((h) => h.metrics.predicted).join(", ")}`);
      assert.equal(history.at(-1)!.metrics.predicted, "ohlol");
    });
  }

  test("06_names_classifier: 2,000 training names, 2 epochs, well above the majority-class baseline", LIMIT, async () => {
    const history = await trainHere(
      experimentOf("06_names_classifier.ts", `namesExperiment({ file: ${JSON.stringify(SURNAMES)}, maxTrain: 2000, hiddenSize: 32 })`),
      2,
    );
    const { accuracy, baseline } = history.at(-1)!.metrics as { accuracy: number; baseline: number };
    assert.ok(baseline > 0.1 && baseline < 0.5, `baseline ${baseline}`);
    assert.ok(accuracy >= 1.5 * baseline, `accuracy ${accuracy} vs baseline ${baseline}`);
  });

  test("07_forecast: the LSTM beats next month = this month", LIMIT, async () => {
    const history = await trainHere({ file: example("07_forecast.ts") }, 3);
    const { rmse, naiveRmse } = history.at(-1)!.metrics as { rmse: number; naiveRmse: number };
    assert.ok(rmse < naiveRmse, `rmse ${rmse} vs naive ${naiveRmse}`);
  });

  test("08_seq2seq_reverse: accuracy increases", LIMIT, async () => {
    const history = await trainHere(experimentOf("08_seq2seq_reverse.ts", "reverseExperiment({ batchesPerEpoch: 12 })"), 4);
    const accuracy = history.map((h) => h.metrics.accuracy as number);
    assert.ok(accuracy[3] > accuracy[0] && accuracy[3] > 0.05, `accuracy by epoch: ${accuracy.join(", ")}`);
    assert.match(String(history.at(-1)!.metrics.example), /^\d{5} → \d*$/);
  });

  test("09_vanishing_gradients: the RNN's gradient vanishes over 50 steps, the LSTM's (forget gate open) does not", () => {
    const ratio = (norms: number[]) => norms[0] / norms[STEPS - 1];
    const rnn = ratio(gradientNorms("rnn"));
    const lstm = ratio(gradientNorms("lstm", { forgetBias: 3 }));
    assert.ok(rnn < 1e-6, `RNN: ‖∂L/∂h_0‖ / ‖∂L/∂h_49‖ = ${rnn}`);
    assert.ok(lstm > 1e-2, `LSTM: ‖∂L/∂h_0‖ / ‖∂L/∂h_49‖ = ${lstm}`);
    assert.ok(lstm / rnn > 1e6);
  });

  // The lesson's task vanishes by construction (see the comments in 09): from the first step of epoch 2 (step 17) the
  // token is 50 steps back and the RNN's gradient can come from nowhere else, on every backend path.
  test(
    "09b/09c: training the RNN raises vanishing-gradient warnings at the first step of epoch 2, the LSTM none; every step records every parameter's norm",
    LIMIT,
    async () => {
      const train = async (kind: string, parameters: string[]) => {
        const events: RunEvent[] = [];
        const history = await trainHere(experimentOf("09_vanishing_gradients.ts", `firstTokenExperiment({ kind: "${kind}" })`), 4, events);
        const steps = events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step");
        assert.equal(steps.length, 4 * 16);
        assert.ok(
          steps.every((s) => JSON.stringify(Object.keys(s.gradNorms ?? {}).sort()) === JSON.stringify(parameters)),
          `${kind}: the norms of ${parameters.join(", ")} at every step`,
        );
        const warnings = events.flatMap((e) => (e.type === "gradientWarning" ? [e.warning] : []));
        const end = events.at(-1)!;
        assert.ok(end.type === "end");
        assert.deepEqual(end.run.gradientWarnings ?? [], warnings, "run.json keeps the warnings");
        return { warnings, losses: history.map((h) => h.loss) };
      };
      const rnn = await train("rnn", ["fc.weight", "rnn.weight_hh_l0", "rnn.weight_ih_l0"]);
      // Each of the RNN's parameters, at step 17, far below 1/100 of its median (1e-6 or less where measured); one
      // warning each: what is left of a vanished gradient is not judged against itself.
      assert.deepEqual(
        rnn.warnings.map((w) => [w.parameter, w.kind, w.step, w.epoch]).sort(),
        [
          ["fc.weight", "vanishing", 17, 2],
          ["rnn.weight_hh_l0", "vanishing", 17, 2],
          ["rnn.weight_ih_l0", "vanishing", 17, 2],
        ],
        JSON.stringify(rnn.warnings),
      );
      assert.ok(
        rnn.warnings.every((w) => w.norm < 1e-4 * w.median),
        JSON.stringify(rnn.warnings),
      );
      // It guesses from then on: a loss of ln 4.
      for (const loss of rnn.losses.slice(1)) assert.ok(Math.abs(loss - Math.log(4)) < 1e-3, `RNN losses by epoch: ${rnn.losses.join(", ")}`);
      const lstm = await train("lstm", ["fc.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l0"]);
      assert.deepEqual(lstm.warnings, []);
      assert.ok(lstm.losses[3] < lstm.losses[1], `the LSTM learns: losses by epoch ${lstm.losses.join(", ")}`);
    },
  );
});
