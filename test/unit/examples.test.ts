// The seed lessons in examples/: every scratchpad runs with `unroll run` and prints the shapes its lesson
// teaches; every experiment learns: through `unroll train --json` (the RunEvent lines), and in this process
// with a short version of the runner's loop (the test bundle aliases "unroll" to the library, so the
// examples' modules and this file share one library instance).
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, nn, backward, type Experiment, type ExperimentData, type Tensor } from "unroll";
import type { RunEvent } from "../../src/protocol";
import { setupBackend } from "./helpers";
import hello05a from "../../examples/05a_hello_rnncell";
import hello05b from "../../examples/05b_hello_rnn";
import hello05c from "../../examples/05c_hello_embedding";
import { namesExperiment } from "../../examples/06_names_classifier";
import { forecastExperiment } from "../../examples/07_forecast";
import { reverseExperiment } from "../../examples/08_seq2seq_reverse";
import { gradientNorms, STEPS } from "../../examples/09_vanishing_gradients";

before(setupBackend);

const ROOT = path.join(__dirname, "../../..");
const CLI = path.join(ROOT, "dist/cli.js");
const example = (name: string) => path.join(ROOT, "examples", name);
const SURNAMES = example("data/surnames.csv.gz");

/** Runs the CLI; resolves with the exit code and what it printed. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, UNROLL_BACKEND: process.env.UNROLL_BACKEND ?? "wasm" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

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
  assert.equal(i, expected.length, `${what}: expected ${JSON.stringify(expected[i])} after ${JSON.stringify(expected.slice(0, i))}; printed ${JSON.stringify(actual)}`);
}

describe("scratchpads (unroll run)", () => {
  test("01_rnncell_by_hand: six h_t of [5, 200]", async () => {
    const { stdout, shapes } = await runScratchpad("01_rnncell_by_hand.ts");
    assert.deepEqual(shapes.filter(([label]) => /^h_\d$/.test(label)), [0, 1, 2, 3, 4, 5].map((t) => [`h_${t}`, "[5, 200]"]));
    assert.match(stdout, /^6 outputs$/m);
    assertInOrder(shapes, [["weight_ih", "[200, 100]"], ["weight_hh", "[200, 200]"], ["stacked", "[6, 5, 200]"]], "01");
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
    const state: [string, string][] = [["output", "[10, 3, 100]"], ["h_n", "[2, 3, 100]"], ["c_n", "[2, 3, 100]"]];
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
    assertInOrder(shapes, [["weight_hh_l0", "[60, 20]"], ["output", "[3, 32, 20]"], ["h_n", "[1, 32, 20]"]], "04");
  });

  test("09_vanishing_gradients prints the three models' gradient norms", async () => {
    const { stdout } = await runScratchpad("09_vanishing_gradients.ts");
    for (const name of ["RNN", "LSTM (PyTorch's init)", "LSTM (forget bias 3)"]) assert.ok(stdout.includes(name), stdout);
  });
});

// ---------------------------------------------------------------------------------------------------
// Experiments through `unroll train --json` (the RunEvent contract)

const hasRunner = fs.existsSync(path.join(ROOT, "src/cli/train.ts"));
const noRunner = !hasRunner && "`unroll train` (src/cli/train.ts) has not landed yet";

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

describe("experiments (unroll train --json)", { skip: noRunner }, () => {
  for (const file of ["05a_hello_rnncell.ts", "05b_hello_rnn.ts", "05c_hello_embedding.ts"]) {
    test(`${file} says "ohlol"`, async () => {
      const epochs = await trainCli(file, 10);
      assert.equal(epochs.at(-1)!.metrics.predicted, "ohlol");
      assert.ok(epochs.at(-1)!.loss < epochs[0].loss);
    });
  }

  test("06_names_classifier beats the majority class after one epoch", async () => {
    const [first] = await trainCli("06_names_classifier.ts", 1);
    const { accuracy, baseline } = first.metrics as { accuracy: number; baseline: number };
    assert.ok(accuracy >= 1.5 * baseline, `accuracy ${accuracy} vs baseline ${baseline}`);
  });

  test("07_forecast beats the naive forecast", async () => {
    const epochs = await trainCli("07_forecast.ts", 4);
    const { rmse, naiveRmse } = epochs.at(-1)!.metrics as { rmse: number; naiveRmse: number };
    assert.ok(rmse < naiveRmse, `rmse ${rmse} vs naive ${naiveRmse}`);
  });

  test("08_seq2seq_reverse: accuracy increases", async () => {
    const epochs = await trainCli("08_seq2seq_reverse.ts", 3);
    const accuracy = epochs.map((e) => e.metrics.accuracy as number);
    assert.ok(accuracy[2] > accuracy[0] && accuracy[2] > 0.05, `accuracy by epoch: ${accuracy.join(", ")}`);
  });
});

// ---------------------------------------------------------------------------------------------------
// Experiments in this process: what `unroll train` does for each batch of each epoch

type Metrics = Record<string, number | string>;

/** zeroGrad, backward (the experiment's loss or its custom step), clip, step; then scheduler and evaluate. */
async function trainHere<M extends nn.Module, I>(experiment: Experiment<M, I>, epochs = experiment.epochs): Promise<{ loss: number; metrics: Metrics }[]> {
  const model = experiment.model();
  const data = await experiment.data();
  const lossObject = experiment.loss() as { forward?: (o: unknown, t: Tensor) => Tensor } | ((o: unknown, t: Tensor) => Tensor);
  const loss = (output: unknown, target: Tensor) => (typeof lossObject === "function" ? lossObject(output, target) : lossObject.forward!(output, target));
  const optimizer = experiment.optimizer(model.parameters());
  const scheduler = experiment.scheduler?.(optimizer);
  const history: { loss: number; metrics: Metrics }[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let total = 0;
    let count = 0;
    for (const batch of typeof data.train === "function" ? data.train() : data.train) {
      total += tf.tidy(() => {
        optimizer.zeroGrad();
        const value = backward(() => (experiment.step ? experiment.step({ model, batch, loss, epoch }) : loss(model.forward(batch[0]), batch[1])));
        if (experiment.clipGradNorm !== undefined) nn.utils.clipGradNorm(model.parameters(), experiment.clipGradNorm);
        optimizer.step();
        return value;
      });
      count++;
    }
    scheduler?.step();
    model.eval();
    tf.engine().startScope();
    const metrics = experiment.evaluate ? await experiment.evaluate(model, data as ExperimentData<I>) : {};
    tf.engine().endScope();
    history.push({ loss: total / count, metrics });
  }
  return history;
}

describe("experiments (in process)", () => {
  for (const [file, experiment] of [
    ["05a_hello_rnncell", hello05a],
    ["05b_hello_rnn", hello05b],
    ["05c_hello_embedding", hello05c],
  ] as const) {
    test(`${file} reaches "ohlol"`, async () => {
      const history = await trainHere(experiment as unknown as Experiment<nn.Module, unknown>);
      const first = history.findIndex((h) => h.metrics.predicted === "ohlol");
      assert.ok(first >= 0, `predicted: ${history.map((h) => h.metrics.predicted).join(", ")}`);
      assert.equal(history.at(-1)!.metrics.predicted, "ohlol");
    });
  }

  test("06_names_classifier: 2,000 training names, 2 epochs, well above the majority-class baseline", async () => {
    const history = await trainHere(namesExperiment({ file: SURNAMES, maxTrain: 2000, hiddenSize: 32 }), 2);
    const { accuracy, baseline } = history.at(-1)!.metrics as { accuracy: number; baseline: number };
    assert.ok(baseline > 0.1 && baseline < 0.5, `baseline ${baseline}`);
    assert.ok(accuracy >= 1.5 * baseline, `accuracy ${accuracy} vs baseline ${baseline}`);
  });

  test("07_forecast: the LSTM beats next month = this month", async () => {
    const history = await trainHere(forecastExperiment(), 3);
    const { rmse, naiveRmse } = history.at(-1)!.metrics as { rmse: number; naiveRmse: number };
    assert.ok(rmse < naiveRmse, `rmse ${rmse} vs naive ${naiveRmse}`);
  });

  test("08_seq2seq_reverse: accuracy increases", async () => {
    const history = await trainHere(reverseExperiment({ batchesPerEpoch: 12 }), 4);
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
});
