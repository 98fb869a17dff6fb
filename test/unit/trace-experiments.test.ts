// Traces of experiment files (model(), one training step's forward and loss on an example batch), file names
// of every kind, and the isolation of the long-lived tracing process. Through the real tracing process
// (dist/trace-server.js, built by `npm test`), as the CLI and the editor use it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Trace, TraceEntry } from "../../src/common/protocol";
import { TraceClient } from "../../src/runs/trace-client";
import { locationIn } from "../../src/runner/model-file";

const REPO = path.join(__dirname, "../../..");
const DIST = path.join(REPO, "dist");
const EXAMPLES = path.join(REPO, "examples");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-trace-exp-"));
const backend = process.env.UNROLL_BACKEND ?? "wasm";
const TIMEOUT = { timeout: 120_000 }; // per test, generous: the machine may be busy
let client: TraceClient;
let stderr = "";

before(() => {
  client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend, onOutput: (stream, text) => stream === "stderr" && (stderr += text) });
  client.start();
});
after(() => {
  client.dispose();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

const trace = (file: string) => client.trace(file, { timeoutMs: 60_000 });

/** Writes a model file under ROOT; returns its path and the 1-based line and column of a marker in it. */
function modelFile(name: string, source: string, dir = ROOT) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  return { file, at: (marker: string, text = marker) => position(source, marker, text) };
}

function position(source: string, marker: string, text = marker) {
  const lines = source.split("\n");
  const i = lines.findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `no line with ${marker}`);
  return { line: i + 1, column: lines[i].indexOf(text) + 1 };
}

const find = (t: Trace, kind: TraceEntry["kind"], name: string) => {
  const entry = t.entries.find((e) => e.kind === kind && e.name === name);
  assert.ok(entry, `no ${kind} entry ${name} in ${JSON.stringify(t.entries.map((e) => [e.kind, e.name, e.location.line]))}`);
  return entry;
};
const shapes = (entry: TraceEntry, side: "inputs" | "outputs") => entry[side]?.map((s) => [s.name, s.shape]);
const example = (name: string) => {
  const file = path.join(EXAMPLES, name);
  return { file, at: (marker: string, text = marker) => position(fs.readFileSync(file, "utf8"), marker, text) };
};

const EXPERIMENT = (
  forward: string,
  data = "return { train: [[torch.randn([5, 2, 4]), torch.tensor([0, 2])]] };",
) => `import { defineExperiment, nn, optim, torch, tf } from "unroll";
import * as fs from "node:fs";

class Model extends nn.Module {
  lstm = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  override forward(x: tf.Tensor): tf.Tensor {
${forward}
  }
}

export default defineExperiment({
  epochs: 1,
  model: () => new Model(),
  data: () => {
    fs.appendFileSync(__filename + ".data-runs", "x"); // counts the runs of data()
    ${data}
  },
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),
});
`;
const FORWARD = `    const [out, [hN]] = this.lstm.forward(x);
    return this.fc.forward(hN.squeeze([0]));`;
const dataRuns = (file: string) => (fs.existsSync(`${file}.data-runs`) ? fs.readFileSync(`${file}.data-runs`, "utf8").length : 0);

describe("experiment files are traced through one training step", () => {
  test("05b_hello_rnn: the call inside forward has its shapes; the model and the example batch are shown", TIMEOUT, async () => {
    const { file, at } = example("05b_hello_rnn.ts");
    const t = await trace(file);
    assert.equal(t.error, undefined, JSON.stringify(t.error));
    const call = find(t, "call", "RNN");
    assert.deepEqual(call.location, { file, ...at("this.rnn.forward(x, h0)", "forward") });
    assert.deepEqual(shapes(call, "inputs"), [
      ["input", [1, 5, 4]],
      ["h0", [1, 1, 4]],
    ]);
    assert.deepEqual(shapes(call, "outputs"), [
      ["out", [1, 5, 4]],
      ["h_n", [1, 1, 4]],
    ]);
    const model = find(t, "module", "Model");
    assert.deepEqual(model.location, { file, ...at("return new Model()", "new") });
    assert.equal(model.parameterCount, 40);
    assert.equal(find(t, "module", "RNN").submodule, true);
    assert.deepEqual(shapes(find(t, "tensor", "zeros"), "outputs"), [["out", [1, 1, 4]]]);
    assert.equal(t.experiment?.batchFrom, "data");
    assert.deepEqual(
      t.experiment?.batch.map((s) => [s.name, s.shape]),
      [
        ["input", [1, 5, 4]],
        ["target", [5]],
      ],
    );
  });

  test("06_names_classifier: Embedding, the packed GRU and Linear inside forward", TIMEOUT, async () => {
    const { file, at } = example("06_names_classifier.ts");
    const t = await trace(file);
    assert.equal(t.error, undefined, JSON.stringify(t.error));
    assert.equal(t.experiment?.batchFrom, "sample");
    const gru = find(t, "call", "GRU");
    assert.equal(gru.location.line, at("this.rnn(packed)").line);
    assert.deepEqual(gru.inputs?.[0].packed?.batchSizes.slice(0, 1), [8], "8 names run at the first step");
    assert.deepEqual(gru.recurrent, { inputSize: 32, hiddenSize: 64, numLayers: 2, bidirectional: true, batchFirst: true });
    assert.deepEqual(gru.outputs?.[1], { name: "h_n", shape: [4, 8, 64] });
    assert.deepEqual(shapes(find(t, "call", "Linear"), "outputs"), [["out", [8, 16]]]);
    assert.deepEqual(shapes(find(t, "call", "Embedding"), "outputs")?.[0][1].slice(0, 1), [8]);
  });

  test("05a_hello_rnncell: a custom step's loop is counted (RNNCell.forward ×5)", TIMEOUT, async () => {
    const { file, at } = example("05a_hello_rnncell.ts");
    const t = await trace(file);
    assert.equal(t.error, undefined, JSON.stringify(t.error));
    const call = find(t, "call", "RNNCell");
    assert.equal(call.count, 5);
    assert.equal(call.location.line, at("cell.forward(xt, h)").line);
    assert.deepEqual(shapes(call, "outputs"), [["h", [1, 4]]]);
  });

  test("every experiment in examples/ traces without error, with calls inside its model", TIMEOUT, async () => {
    // An experiment file's default export is an experiment: defineExperiment({ … }) or a factory's (namesExperiment(), …).
    const experiments = fs
      .readdirSync(EXAMPLES)
      .filter((f) => f.endsWith(".ts") && /^export default (defineExperiment|\w+Experiment)\(/m.test(fs.readFileSync(path.join(EXAMPLES, f), "utf8")));
    assert.ok(experiments.length >= 8 && experiments.includes("09b_vanishing_rnn.ts"), `experiments found: ${experiments}`);
    for (const name of experiments) {
      const t = await trace(path.join(EXAMPLES, name));
      assert.equal(t.error, undefined, `${name}: ${JSON.stringify(t.error)}`);
      assert.ok(t.experiment, `${name} was traced as an experiment`);
      // 09b and 09c import their experiment from 09: the calls are at 09's lines, not theirs.
      const imported = /^import \{ \w+Experiment \} from "\.\/\d/m.test(fs.readFileSync(path.join(EXAMPLES, name), "utf8"));
      if (!imported)
        assert.ok(
          t.entries.some((e) => e.kind === "call" && e.outputs?.length),
          `${name} has calls with shapes`,
        );
    }
  });

  test("the example batch is kept while only the model's class changes, and made again when data changes", TIMEOUT, async () => {
    const { file } = modelFile("kept.ts", EXPERIMENT(FORWARD));
    const first = await trace(file);
    assert.equal(first.error, undefined, JSON.stringify(first.error));
    assert.deepEqual([first.experiment?.cached, dataRuns(file)], [false, 1]);

    // Edit forward: the batch is kept, the new shapes show.
    modelFile("kept.ts", EXPERIMENT(`    const [out] = this.lstm.forward(x);\n    return this.fc.forward(out.mean(0));`));
    const edited = await trace(file);
    assert.equal(edited.error, undefined, JSON.stringify(edited.error));
    assert.deepEqual([edited.experiment?.cached, dataRuns(file)], [true, 1]);
    assert.deepEqual(shapes(find(edited, "call", "Linear"), "inputs"), [["input", [2, 8]]]);

    // Edit data: the batch is made again, with its new shape.
    modelFile("kept.ts", EXPERIMENT(FORWARD, "return { train: [[torch.randn([5, 6, 4]), torch.tensor([0, 2, 1, 1, 0, 2])]] };"));
    const rebuilt = await trace(file);
    assert.deepEqual([rebuilt.experiment?.cached, dataRuns(file)], [false, 2]);
    assert.deepEqual(shapes(find(rebuilt, "call", "Linear"), "outputs"), [["out", [6, 3]]]);
  });

  test("trace.batch gives the example batch: data() does not run", TIMEOUT, async () => {
    const source = EXPERIMENT(FORWARD, 'throw new Error("data() must not run in a trace");').replace(
      "  epochs: 1,",
      "  epochs: 1,\n  trace: { batch: () => [torch.randn([7, 3, 4]), torch.tensor([0, 1, 2])] },",
    );
    const { file } = modelFile("small-batch.ts", source);
    const t = await trace(file);
    assert.equal(t.error, undefined, JSON.stringify(t.error));
    assert.deepEqual([t.experiment?.batchFrom, dataRuns(file)], ["trace.batch", 0]);
    assert.deepEqual(shapes(find(t, "call", "LSTM"), "inputs"), [["input", [7, 3, 4]]]);
  });

  test("a shape error inside forward: at the call, via the experiment's export; no run is written", TIMEOUT, async () => {
    const dir = fs.mkdtempSync(path.join(ROOT, "broken-"));
    const source = EXPERIMENT(FORWARD, "return { train: [[torch.randn([5, 2, 6]), torch.tensor([0, 2])]] };");
    const { file, at } = modelFile("broken.ts", source, dir);
    const t = await trace(file);
    assert.equal(t.error?.kind, "shape");
    assert.equal(t.error?.message, "LSTM(input_size=4, hidden_size=8) got input [5, 2, 6]: the last dimension must be 4 (input_size), not 6");
    assert.deepEqual(t.error?.location, { file, ...at("this.lstm.forward(x)", "forward") });
    assert.deepEqual(t.error?.via, { file, ...at("export default") });
    assert.equal(find(t, "call", "LSTM").error, t.error?.message);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["broken.ts", "broken.ts.data-runs"], "a trace writes no run store");
  });

  test("an incomplete experiment is an export error at its line", TIMEOUT, async () => {
    const { file, at } = modelFile(
      "incomplete.ts",
      `import { defineExperiment, nn } from "unroll";\n\nexport default { epochs: 2, model: () => new nn.GRU(2, 3) };\n`,
    );
    const t = await trace(file);
    assert.equal(t.error?.kind, "export");
    assert.match(t.error!.message, /it lacks data .*, loss .*, optimizer/);
    assert.deepEqual(t.error?.location, { file, ...at("export default") });
  });
});

describe("any file name", () => {
  const SOURCE = `import { nn, torch } from "unroll";\n\nconst rnn = new nn.RNN(10, 20);\nconst [out] = rnn.forward(torch.randn([5, 3, 10]));\nconst bad = new nn.LSTM(4, 8).forward(torch.randn([5, 3, 7]));\n`;
  for (const name of ["循环神经网络 (1).ts", "rnn 😀.ts", "modèle.ts", "a:b(2) [x] 100%.ts"]) {
    test(`${name}: entries and the error at their lines, in traces and in the CLI`, TIMEOUT, async () => {
      const dir = fs.mkdtempSync(path.join(ROOT, "名字 "));
      const { file, at } = modelFile(name, SOURCE, dir);
      const t = await trace(file);
      assert.deepEqual(find(t, "call", "RNN").location, { file, ...at("rnn.forward", "forward") });
      assert.deepEqual(t.error?.location, { file, line: 5, column: at("LSTM(4, 8).forward", "forward").column });

      const cli = spawnSync(process.execPath, [path.join(DIST, "cli.js"), "trace", name], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, UNROLL_BACKEND: backend },
      });
      assert.equal(cli.status, 1, cli.stderr);
      assert.match(cli.stdout, /RNN\.forward\s+input \[5, 3, 10\] → out \[5, 3, 20\]/);
      assert.ok(cli.stderr.startsWith(`${name}:5:${at("LSTM(4, 8).forward", "forward").column}: LSTM(input_size=4`), cli.stderr);
    });
  }

  test("locationIn finds a frame in a file whose name holds parentheses, colons and spaces", () => {
    const file = "/tmp/a:b (1)/循环 (1).ts";
    const stack = `Error: x\n    at Net.forward (${file}:12:7)\n    at Object.<anonymous> (${file}:20:1)`;
    assert.deepEqual(locationIn(stack, file), { file, line: 12, column: 7 });
    assert.deepEqual(locationIn(`Error: x\n    at ${file}:3:4`, file), { file, line: 3, column: 4 });
    assert.equal(locationIn(stack, "/tmp/other.ts"), null);
  });
});

describe("one trace cannot spoil the next", () => {
  test("timers, rejections, globals, prototypes and process.exit a file leaves behind do not reach the next file", TIMEOUT, async () => {
    stderr = "";
    const { file: messy } = modelFile(
      "messy.ts",
      `import { nn, torch } from "unroll";
Error.stackTraceLimit = 0;
(globalThis as Record<string, unknown>).leaked = 42;
Array.prototype.includes = () => true;
setTimeout(() => { throw new Error("a late timer"); }, 50);
setInterval(() => console.log("tick"), 10);
void Promise.reject(new Error("nobody catches this"));
const [out] = new nn.GRU(3, 5).forward(torch.randn([4, 2, 3]));
`,
    );
    const first = await trace(messy);
    assert.equal(first.error, undefined, JSON.stringify(first.error));
    const { file: clean } = modelFile(
      "clean.ts",
      `import { nn, torch } from "unroll";
const until = Date.now() + 300;
while (Date.now() < until); // the messy file's timers would fire by now
if ((globalThis as Record<string, unknown>).leaked !== undefined) throw new Error("a global leaked");
if ([1].includes(2)) throw new Error("a prototype leaked");
if (!new Error("here").stack?.includes("clean.ts")) throw new Error("Error.stackTraceLimit leaked");
const [out] = new nn.GRU(3, 5).forward(torch.randn([4, 2, 3]));
`,
    );
    const second = await trace(clean);
    assert.equal(second.error, undefined, JSON.stringify(second.error));
    assert.equal(find(second, "call", "GRU").count, 1);
    assert.match(stderr, /nothing handled a promise rejected by .*messy\.ts: Error: nobody catches this/);
    assert.doesNotMatch(stderr, /a late timer/, "the timer was cancelled before it fired");

    const { file: exits, at } = modelFile("exits.ts", `import { nn } from "unroll";\nconst rnn = new nn.RNN(2, 3);\nprocess.exit(3);\n`);
    const refused = await trace(exits);
    assert.match(refused.error?.message ?? "", /process\.exit\(3\) does not end a shape trace/);
    assert.deepEqual(refused.error?.location, { file: exits, ...at("process.exit", "exit") });
    assert.equal((await trace(clean)).error, undefined, "the process lives on");
  });

  test(
    "a WebAssembly heap exhausted by one file fails that file's trace; the next trace works",
    { ...TIMEOUT, skip: backend !== "wasm" && "wasm only" },
    async () => {
      const { file: greedy } = modelFile(
        "greedy.ts",
        `import { tf } from "unroll";\n// Fills the WebAssembly heap (4 GiB at most), then asks for more.\nconst big = tf.fill([31000, 31000], 1);\nconst more = tf.fill([12000, 12000], 2);\n`,
      );
      // A fresh process, so that the heap starts empty and the second fill is the one that breaks it.
      const own = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend });
      try {
        const failed = await own.trace(greedy, { timeoutMs: 60_000 });
        assert.equal(failed.file, greedy);
        assert.match(failed.error?.message ?? "", /the wasm backend stopped working while this file was traced/);
        const { file: good } = modelFile(
          "good.ts",
          `import { nn, torch } from "unroll";\nconst [out, hN] = new nn.GRU(3, 5).forward(torch.randn([4, 2, 3]));\n`,
        );
        const next = await own.trace(good, { timeoutMs: 60_000 });
        assert.equal(next.error, undefined, JSON.stringify(next.error));
        assert.deepEqual(shapes(find(next, "call", "GRU"), "outputs"), [
          ["out", [4, 2, 5]],
          ["h_n", [1, 2, 5]],
        ]);
      } finally {
        own.dispose();
      }
    },
  );
});
