// Shape traces: scratchpads written to a temporary folder, traced by the real tracing process (dist/trace-server.js,
// built by `npm test`) through TraceClient, as the CLI and the editor do; plus the CLI's `unroll trace` and one
// in-process trace that checks no tensor outlives a trace.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Module from "node:module";
import * as unroll from "unroll";
import { nn, tf } from "unroll";
import type { Trace, TraceEntry } from "../../src/common/protocol";
import { TraceCancelled, TraceClient } from "../../src/runs/trace-client";
import { traceModelFile } from "../../src/runner/trace";
import { setupBackend, TIMEOUT_BUDGET_MS, TIMEOUT_BUDGET_S } from "./helpers";
import { EARLIER_SIGN, inlayText, isPartial, shownLines } from "../../src/extension/shapes";

const DIST = path.join(__dirname, "../../../dist");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-trace-"));
const backend = process.env.UNROLL_BACKEND ?? "wasm";
/** The budget of a trace meant to finish: one that a busy machine does not reach. */
const FINISHES_MS = 60_000;
let client: TraceClient;
/** Called with what the tracing process prints (a model file's console output): lets a test wait for it. */
const outputListeners = new Set<(text: string) => void>();
const printed = (text: string) =>
  new Promise<void>((resolve) => {
    let seen = "";
    const listener = (chunk: string) => {
      seen += chunk;
      if (seen.includes(text)) {
        outputListeners.delete(listener);
        resolve();
      }
    };
    outputListeners.add(listener);
  });

before(async () => {
  client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend, onOutput: (_, text) => outputListeners.forEach((l) => l(text)) });
  client.start(); // starts loading while the in-process test runs
  await setupBackend();
});
after(() => {
  client.dispose();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** Writes a model file; returns its path and a finder of 1-based positions in its text. */
function modelFile(name: string, source: string) {
  const file = path.join(ROOT, `${name}.ts`);
  fs.writeFileSync(file, source);
  const lines = source.split("\n");
  /** Line and column of the first `text` on the line containing `marker` (itself by default). */
  const at = (marker: string, text = marker) => {
    const i = lines.findIndex((l) => l.includes(marker));
    assert.ok(i >= 0, `no line with ${marker}`);
    return { line: i + 1, column: lines[i].indexOf(text) + 1 };
  };
  return { file, at };
}

const find = (trace: Trace, kind: TraceEntry["kind"], name: string, line?: number) => {
  const entry = trace.entries.find((e) => e.kind === kind && e.name === name && (line === undefined || e.location.line === line));
  assert.ok(
    entry,
    `no ${kind} entry ${name}${line ? ` at line ${line}` : ""} in ${JSON.stringify(trace.entries.map((e) => [e.kind, e.name, e.location.line]))}`,
  );
  return entry;
};
const shapes = (entry: TraceEntry, side: "inputs" | "outputs") => entry[side]?.map((s) => [s.name, s.shape]);

const SCRATCHPAD = `import { nn, torch } from "unroll";

const rnn = new nn.RNN(100, 20, { numLayers: 4, bidirectional: true });
const [out, hN] = rnn.forward(torch.randn([10, 3, 100]));
console.log(out.shape, hN.shape);
`;

describe("traces through the tracing process", () => {
  test("a 4-layer bidirectional RNN: construction, tensor and call entries at their lines", async () => {
    const { file, at } = modelFile("birnn", SCRATCHPAD);
    const trace = await client.trace(file, { timeoutMs: FINISHES_MS });
    assert.equal(trace.error, undefined, JSON.stringify(trace.error));
    assert.equal(trace.file, file);
    assert.equal(trace.backend, backend);

    const module = find(trace, "module", "RNN");
    assert.deepEqual(module.location, { file, ...at("new nn.RNN") });
    assert.equal(module.config, "RNN(100, 20, num_layers=4, bidirectional=True)");
    assert.equal(module.count, 1);
    assert.equal(module.parameters!.length, 4 * 2 * 4);
    assert.deepEqual(module.parameters!.slice(0, 4), [
      { name: "weight_ih_l0", shape: [20, 100], count: 2000 },
      { name: "weight_hh_l0", shape: [20, 20], count: 400 },
      { name: "bias_ih_l0", shape: [20], count: 20 },
      { name: "bias_hh_l0", shape: [20], count: 20 },
    ]);
    assert.deepEqual(module.parameters![4], { name: "weight_ih_l0_reverse", shape: [20, 100], count: 2000 });
    assert.deepEqual(module.parameters![8], { name: "weight_ih_l1", shape: [20, 40], count: 800 });
    assert.equal(module.parameterCount, 2 * (2440 + 3 * 1240));

    // Columns are V8's: a call at its method name, a construction at `new`.
    const call = find(trace, "call", "RNN");
    assert.deepEqual(call.location, { file, ...at("rnn.forward", "forward") });
    assert.deepEqual(shapes(call, "inputs"), [["input", [10, 3, 100]]]);
    assert.deepEqual(shapes(call, "outputs"), [
      ["out", [10, 3, 40]],
      ["h_n", [8, 3, 20]],
    ]);
    assert.equal(call.count, 1);
    assert.equal(call.varying, undefined);
    assert.deepEqual(call.recurrent, { inputSize: 100, hiddenSize: 20, numLayers: 4, bidirectional: true, batchFirst: false });

    const randn = find(trace, "tensor", "randn");
    assert.deepEqual(randn.location, { file, ...at("torch.randn", "randn") });
    assert.deepEqual(shapes(randn, "outputs"), [["out", [10, 3, 100]]]);
    assert.deepEqual(
      trace.entries.map((e) => e.kind),
      ["module", "tensor", "call"],
    );
  });

  test("an LSTM shape mismatch: a located shape error, the entries before it kept", async () => {
    const { file, at } = modelFile(
      "mismatch",
      `import { nn, torch } from "unroll";
const lstm = new nn.LSTM(100, 20);
const x = torch.randn([10, 3, 50]);
const [out] = lstm.forward(x);
const never = torch.zeros([1]);
`,
    );
    const trace = await client.trace(file, { timeoutMs: FINISHES_MS });
    const message = "LSTM(input_size=100, hidden_size=20) got input [10, 3, 50]: the last dimension must be 100 (input_size), not 50";
    assert.equal(trace.error?.kind, "shape");
    assert.equal(trace.error?.message, message);
    assert.deepEqual(trace.error?.location, { file, ...at("lstm.forward", "forward") });
    assert.deepEqual(
      trace.entries.map((e) => [e.kind, e.name, e.location.line]),
      [
        ["module", "LSTM", 2],
        ["tensor", "randn", 3],
        ["call", "LSTM", 4],
      ],
    );
    const call = find(trace, "call", "LSTM");
    assert.equal(call.error, message);
    assert.deepEqual(shapes(call, "inputs"), [["input", [10, 3, 50]]]);
    assert.equal(call.outputs, undefined);
  });

  test("a syntax error: kind compile, with its line and column", async () => {
    const { file } = modelFile("syntax", `import { nn } from "unroll";\nconst x = ;\n`);
    const trace = await client.trace(file, { timeoutMs: FINISHES_MS });
    assert.equal(trace.error?.kind, "compile");
    assert.deepEqual(trace.error?.location, { file, line: 2, column: 11 });
    assert.deepEqual(trace.entries, []);
  });

  test("a class with submodules: nested calls at their own lines, loops counted, packed inputs", async () => {
    const { file, at } = modelFile(
      "net",
      `import { nn, torch, tf } from "unroll";

class Net extends nn.Module {
  lstm = new nn.LSTM(8, 16);
  fc = new nn.Linear(16, 4);
  override forward(x: tf.Tensor): tf.Tensor {
    const [out, [hN, cN]] = this.lstm.forward(x);
    return this.fc.forward(out);
  }
}
const net = new Net();
for (let t = 1; t <= 3; t++) net.forward(torch.randn([t, 2, 8]));
const gru = new nn.GRU(8, 5);
const packed = nn.utils.rnn.packPaddedSequence(torch.zeros([3, 2, 8]), [3, 1]);
const [packedOut, h] = gru.forward(packed);
const cell = new nn.LSTMCell(8, 6);
const [h1, c1] = cell.forward(torch.ones([2, 8]));
`,
    );
    const trace = await client.trace(file, { timeoutMs: FINISHES_MS });
    assert.equal(trace.error, undefined, JSON.stringify(trace.error));

    const net = find(trace, "module", "Net");
    assert.deepEqual(net.location, { file, ...at("new Net()", "new") });
    assert.equal(net.submodule, undefined);
    assert.equal(net.parameterCount, 4 * 16 * (8 + 16 + 2) + 16 * 4 + 4);
    assert.deepEqual(net.parameters!.map((p) => p.name).slice(0, 2), ["lstm.weight_ih_l0", "lstm.weight_hh_l0"]);
    assert.equal(find(trace, "module", "LSTM").submodule, true);
    assert.deepEqual(find(trace, "module", "Linear").location, { file, ...at("new nn.Linear", "new") });

    const outer = find(trace, "call", "Net");
    assert.equal(outer.count, 3);
    assert.equal(outer.varying, true);
    assert.deepEqual(shapes(outer, "outputs"), [["out", [1, 2, 4]]]);
    const lstm = find(trace, "call", "LSTM");
    assert.deepEqual(lstm.location, { file, ...at("this.lstm.forward", "forward") });
    assert.deepEqual(shapes(lstm, "outputs"), [
      ["out", [1, 2, 16]],
      ["h_n", [1, 2, 16]],
      ["c_n", [1, 2, 16]],
    ]);
    assert.equal(find(trace, "call", "Linear").location.line, at("this.fc.forward").line);
    // Depth first, in the order they ran: the outer call before the calls it makes.
    const order = trace.entries.filter((e) => e.kind === "call").map((e) => e.name);
    assert.deepEqual(order, ["Net", "LSTM", "Linear", "GRU", "LSTMCell"]);

    const gru = find(trace, "call", "GRU");
    assert.deepEqual(gru.inputs, [{ name: "input", shape: [4, 8], packed: { batchSizes: [2, 1, 1] } }]);
    assert.deepEqual(gru.outputs, [
      { name: "out", shape: [4, 5], packed: { batchSizes: [2, 1, 1] } },
      { name: "h_n", shape: [1, 2, 5] },
    ]);
    const cell = find(trace, "call", "LSTMCell");
    assert.deepEqual(shapes(cell, "outputs"), [
      ["h", [2, 6]],
      ["c", [2, 6]],
    ]);
  });

  // How soon after the budget it answers: `npm run bench:timings` (a duration, so a benchmark, not a test).
  test("an endless loop stops at the budget, located; the next trace works", async () => {
    const { file } = modelFile("endless", `import { nn } from "unroll";\nconst rnn = new nn.RNN(4, 4);\nwhile (true) {}\n`);
    const trace = await client.trace(file, { timeoutMs: TIMEOUT_BUDGET_MS });
    assert.equal(trace.error?.kind, "timeout");
    assert.equal(trace.error?.message, `trace timed out after ${TIMEOUT_BUDGET_S} s at line 3`);
    assert.equal(trace.error?.location?.line, 3);
    assert.deepEqual(
      trace.entries.map((e) => [e.kind, e.name]),
      [["module", "RNN"]],
    );

    const next = await client.trace(modelFile("after-timeout", SCRATCHPAD).file, { timeoutMs: FINISHES_MS });
    assert.equal(next.error, undefined);
    assert.deepEqual(shapes(find(next, "call", "RNN"), "outputs"), [
      ["out", [10, 3, 40]],
      ["h_n", [8, 3, 20]],
    ]);
  });

  // Issue 23: a scratchpad that trains for long costs a save its budget, not the training; the lines after the loop
  // show the last full trace's shapes, marked (the editor's rule: shownLines, used by the trace service).
  test("a scratchpad training past the budget: partial shapes and the mark, the lines after the loop from the last full trace", async () => {
    const scratchpad = (epochs: string) => `import { nn, optim, torch } from "unroll";
const lstm = new nn.LSTM(8, 16);
const head = new nn.Linear(16, 3);
const optimizer = new optim.Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.01 });
const x = torch.randn([5, 2, 8]);
const y = torch.tensor([0, 2]);
for (let epoch = 0; epoch < ${epochs}; epoch++) {
  optimizer.zeroGrad();
  const [out] = lstm.forward(x);
  const loss = new nn.CrossEntropyLoss().forward(head.forward(out.select(0, -1)), y);
  loss.backward();
  optimizer.step();
}
const summary = head.forward(lstm.forward(x)[0].select(0, -1));
`;
    const { file, at } = modelFile("training scratchpad 循环 🧪", scratchpad("2"));
    const full = await client.trace(file, { timeoutMs: 30_000 });
    assert.equal(full.error, undefined, JSON.stringify(full.error));
    const fullShown = shownLines(full, file);
    const afterLoop = at("const summary").line;
    assert.deepEqual(
      fullShown.byLine.get(afterLoop)?.map((e) => [e.name, e.outputs?.[0].shape]),
      [
        ["LSTM", [5, 2, 16]],
        ["Linear", [2, 3]],
      ],
    );

    // Now it trains "forever": the save's trace ends at its budget (the test would time out waiting for the loop).
    fs.writeFileSync(file, scratchpad("1e12"));
    const partial = await client.trace(file, { timeoutMs: 1500 });
    assert.equal(partial.error?.kind, "timeout");
    assert.ok(isPartial(partial));
    const stop = partial.error!.location!.line;
    assert.ok(stop >= at("for (let epoch").line && stop < afterLoop, `stopped at line ${stop}`);
    const inLoop = find(partial, "call", "LSTM");
    assert.equal(inLoop.location.line, at("lstm.forward(x);").line);
    assert.deepEqual(shapes(inLoop, "outputs")?.[0], ["out", [5, 2, 16]]);
    assert.equal(
      partial.entries.some((e) => e.location.line === afterLoop),
      false,
      "the line after the loop was not reached",
    );

    const shown = shownLines(partial, file, fullShown);
    assert.deepEqual([...shown.earlier], [afterLoop]);
    assert.equal(shown.byLine.get(afterLoop), fullShown.byLine.get(afterLoop));
    assert.equal(inlayText(shown.byLine.get(afterLoop)!, false, shown.earlier.has(afterLoop)), `${EARLIER_SIGN} → [5, 2, 16], [1, 2, 16], [1, 2, 16] | [2, 3]`);
    assert.equal(shown.byLine.get(at("lstm.forward(x);").line)?.[0], inLoop, "a line reached shows this trace's shapes");
    assert.equal(
      inlayText(shown.byLine.get(at("lstm.forward(x);").line)!, false, shown.earlier.has(at("lstm.forward(x);").line)),
      "→ [5, 2, 16], [1, 2, 16], [1, 2, 16]",
    );
  });

  test("cancel() stops a running trace and drops the queued ones; the next trace works", async () => {
    const { file } = modelFile("cancelled", `import { writeSync } from "node:fs";\nwriteSync(1, "looping\\n");\nwhile (true) {}\n`);
    const looping = printed("looping");
    const running = client.trace(file, { timeoutMs: 60_000 });
    const queued = client.trace(file, { timeoutMs: 60_000 });
    await looping; // the first trace is running the loop
    client.cancel();
    await assert.rejects(running, TraceCancelled);
    await assert.rejects(queued, TraceCancelled);
    const next = await client.trace(modelFile("after-cancel", SCRATCHPAD).file);
    assert.equal(next.error, undefined);
  });

  // Warm against cold, in time: `npm run bench:trace` and `npm run bench:timings` (durations: benchmarks, not tests).
  test("a warm re-trace of the same file by the same server gives the same trace", async () => {
    const fresh = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend });
    try {
      const { file } = modelFile("warm", SCRATCHPAD);
      const cold = await fresh.trace(file);
      const trace = await fresh.trace(file);
      assert.equal(cold.error, undefined);
      assert.equal(trace.error, undefined);
      assert.deepEqual(shapes(find(trace, "call", "RNN"), "outputs"), [
        ["out", [10, 3, 40]],
        ["h_n", [8, 3, 20]],
      ]);
      assert.deepEqual(trace.entries, cold.entries);
    } finally {
      fresh.dispose();
    }
  });
});

describe("unroll trace", () => {
  const cli = (args: string[]) => {
    try {
      return {
        code: 0,
        stdout: execFileSync(process.execPath, [path.join(DIST, "cli.js"), "trace", ...args], {
          encoding: "utf8",
          stdio: "pipe",
          env: { ...process.env, UNROLL_BACKEND: backend },
        }),
      };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { code: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test("prints the table, then the error as file:line:col: message, exit code 1", () => {
    const { file } = modelFile("cli-error", `${SCRATCHPAD}new nn.LSTM(100, 20).forward(torch.randn([10, 3, 50]));\n`);
    const result = cli([file]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /RNN\(100, 20, num_layers=4, bidirectional=True\) +12,320/);
    assert.match(result.stdout, /input \[10, 3, 100\] → out \[10, 3, 40\], h_n \[8, 3, 20\]/);
    assert.match(result.stdout, /Total parameters: 22,080/); // with the LSTM's 9,760
    assert.match(result.stderr ?? "", /cli-error\.ts:6:22: LSTM\(input_size=100, hidden_size=20\) got input \[10, 3, 50\]/);
  });

  test("--json prints the Trace", () => {
    const { file } = modelFile("cli", SCRATCHPAD);
    const json = cli([file, "--json"]);
    assert.equal(json.code, 0);
    const trace = JSON.parse(json.stdout) as Trace;
    assert.equal(trace.file, file);
    assert.deepEqual(find(trace, "call", "RNN").outputs?.[0], { name: "out", shape: [10, 3, 40] });
  });
});

describe("traceModelFile in-process", () => {
  test("frees every tensor it made and leaves no observer behind", async () => {
    // The model file's "unroll" is this test's own copy of the library (the one the runner code here uses).
    const internals = Module as unknown as { _load(request: string, ...rest: unknown[]): unknown };
    const load = internals._load;
    internals._load = function (request, ...rest) {
      return request === "unroll" ? unroll : load.call(this, request, ...rest);
    };
    process.setSourceMapsEnabled(true);
    try {
      const { file } = modelFile(
        "memory",
        `import { nn, optim, torch, backward } from "unroll";
const lstm = new nn.LSTM(4, 8);
const fc = new nn.Linear(8, 2);
const optimizer = new optim.Adam([...lstm.parameters(), ...fc.parameters()]);
for (let i = 0; i < 3; i++) {
  backward(() => fc.forward(lstm.forward(torch.randn([5, 2, 4]))[0]).pow(2).mean());
  optimizer.step();
}
lstm.forward(torch.randn([5, 2, 3]));
`,
      );
      const before = tf.memory().numTensors;
      const first = await traceModelFile(file, { timeoutMs: FINISHES_MS });
      assert.equal(first.error?.kind, "shape");
      assert.equal(find(first, "call", "LSTM", 6).count, 3);
      assert.equal(find(first, "call", "LSTM", 9).error?.includes("not 3"), true);
      assert.equal(tf.memory().numTensors, before, "after one trace");
      await traceModelFile(file);
      assert.equal(tf.memory().numTensors, before, "after two traces");
      const rnn = new nn.RNN(2, 2);
      assert.equal(Object.getOwnPropertyDescriptor(rnn, "forward"), undefined, "no observer after the trace");
      rnn.dispose();
    } finally {
      internals._load = load;
    }
  });
});
