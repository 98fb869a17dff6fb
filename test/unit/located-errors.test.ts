// Errors that reach the user at their line: a reshape to the wrong size (PyTorch's message from a Tensor; from a
// tfjs tensor TensorFlow.js raises it ten frames below the user's, past V8's default stack depth), and a trace that times out while it waits (on a promise, a timer):
// no line runs then, so it is placed at the last call traced.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TraceClient } from "../../src/runs/trace-client";
import { runCli, TIMEOUT_BUDGET_MS, TIMEOUT_BUDGET_S } from "./helpers";

const DIST = path.join(__dirname, "../../../dist");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-located-"));
let client: TraceClient;

before(() => {
  client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend: process.env.UNROLL_BACKEND ?? "wasm" });
  client.start();
});
after(() => {
  client.dispose();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** Writes `lines` as a model file named with spaces, CJK and an emoji; returns it and the line of `marker`. */
function modelFile(name: string, lines: string[]): { file: string; line: (marker: string) => number } {
  const file = path.join(ROOT, `${name} 循环 (1) 🧪.ts`);
  fs.writeFileSync(file, lines.join("\n"));
  return { file, line: (marker) => lines.findIndex((l) => l.includes(marker)) + 1 };
}

describe("a reshape to the wrong size", () => {
  const cases: [string, string[], string][] = [
    [
      "at the top level",
      ['import { torch } from "unroll";', "const x = torch.randn([5, 7]);", "const y = x.reshape([4, 9]); // here"],
      "RangeError: shape '[4, 9]' is invalid for input of size 35",
    ],
    [
      "through the tfjs tensor",
      ['import { torch } from "unroll";', "const x = torch.randn([5, 7]);", "const y = x.tf.reshape([4, 9]); // here"],
      "must match the product of shape 4,9",
    ],
    [
      "with -1 that cannot be inferred",
      ['import { torch } from "unroll";', "const x = torch.randn([5, 7]);", "const y = x.reshape([-1, 3]); // here"],
      "RangeError: shape '[-1, 3]' is invalid for input of size 35",
    ],
    [
      "inside a module's forward",
      [
        'import { nn, torch } from "unroll";',
        "class Net extends nn.Module {",
        "  fc = new nn.Linear(7, 4);",
        "  forward(x: torch.Tensor) {",
        "    return this.fc.forward(x).reshape([3, 3]); // here",
        "  }",
        "}",
        "new Net().forward(torch.randn([5, 7]));",
      ],
      "RangeError: shape '[3, 3]' is invalid for input of size 20",
    ],
    [
      "30 calls deep in the user's own functions",
      [
        'import { torch } from "unroll";',
        "const deep = (x: torch.Tensor, n: number): torch.Tensor => (n ? deep(x, n - 1) : x.reshape([6, 6])); // here",
        "deep(torch.randn([5, 7]), 30);",
      ],
      "RangeError: shape '[6, 6]' is invalid for input of size 35",
    ],
  ];

  for (const [what, lines, message] of cases) {
    test(`${what}: unroll run and unroll trace say file:line:col`, async () => {
      const { file, line } = modelFile(what, lines);
      const run = await runCli(["run", "--no-check", file], { cwd: ROOT });
      assert.equal(run.code, 1, run.stderr);
      const at = `${path.basename(file)}:${line("// here")}:`;
      assert.ok(run.stderr.startsWith(at), `${run.stderr} should start with ${at}`);
      assert.ok(run.stderr.includes(message), run.stderr);
      const trace = await client.trace(file, { timeoutMs: 30_000 });
      assert.equal(trace.error?.location?.line, line("// here"), JSON.stringify(trace.error));
      assert.ok(trace.error?.message.includes(message), trace.error?.message);
    });
  }
});

describe("a trace that times out while it waits", () => {
  test("is placed at the last call traced, and the next trace works", async () => {
    const { file, line } = modelFile("waits", [
      'import { nn, torch } from "unroll";',
      "export default async function main() {",
      "  const rnn = new nn.RNN(4, 4);",
      "  rnn.forward(torch.randn([2, 1, 4])); // last",
      "  await new Promise(() => {}); // never settles",
      "}",
    ]);
    const trace = await client.trace(file, { timeoutMs: TIMEOUT_BUDGET_MS });
    assert.equal(trace.error?.kind, "timeout");
    assert.equal(
      trace.error?.message,
      `trace timed out after ${TIMEOUT_BUDGET_S} s, waiting (for a promise, a timer or I/O); the last call traced: RNN.forward at line ${line("// last")}`,
    );
    assert.deepEqual(trace.error?.location, { file, line: line("// last"), column: 7 });
    assert.deepEqual(
      trace.entries.map((e) => [e.kind, e.name, e.count]),
      [
        ["module", "RNN", 1],
        ["tensor", "randn", 1],
        ["call", "RNN", 1],
      ],
    );
    const next = await client.trace(modelFile("next", ['import { torch } from "unroll";', "torch.zeros([2, 3]);"]).file, { timeoutMs: 30_000 });
    assert.equal(next.error, undefined);
    assert.equal(next.entries.length, 1);
  });

  test("with nothing traced yet: the file, and that it waited", async () => {
    const { file } = modelFile("waits first", [
      "export default async function main() {",
      "  await new Promise((resolve) => setTimeout(resolve, 60_000));",
      "}",
    ]);
    const trace = await client.trace(file, { timeoutMs: TIMEOUT_BUDGET_MS });
    assert.deepEqual(trace.error, { kind: "timeout", message: `trace timed out after ${TIMEOUT_BUDGET_S} s, waiting (for a promise, a timer or I/O)` });
    assert.equal(trace.file, file);
  });

  test("an experiment whose data() never returns", async () => {
    const { file } = modelFile("experiment waits", [
      'import { defineExperiment, nn, optim, torch } from "unroll";',
      "export default defineExperiment({",
      "  epochs: 1,",
      "  model: () => new nn.Linear(3, 2),",
      "  data: async () => { torch.zeros([1]); await new Promise(() => {}); return { train: [] }; }, // data",
      "  loss: () => new nn.CrossEntropyLoss(),",
      "  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),",
      "});",
    ]);
    const trace = await client.trace(file, { timeoutMs: TIMEOUT_BUDGET_MS });
    assert.equal(trace.error?.kind, "timeout");
    assert.ok(
      trace.error?.message.startsWith(`trace timed out after ${TIMEOUT_BUDGET_S} s, waiting (for a promise, a timer or I/O); the last call traced: `),
      trace.error?.message,
    );
    assert.match(trace.error?.message ?? "", /; the last call traced: .* at line \d+$/);
  });
});
