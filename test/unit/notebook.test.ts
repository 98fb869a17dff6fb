// The notebook kernel (dist/notebook-kernel.js, built by `npm test`) through NotebookClient, as the CLI and the
// notebook controller use it: state across cells, redeclaration, await, printing, errors at the cell's line,
// interrupt and crash; the cell rewrite; the .ipynb reader on hostile input; every lesson notebook run headless
// against the outputs stored in it; `unroll run lesson.ipynb` itself.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotebookClient, type CellResult } from "../../src/runs/notebook-client";
import {
  appendStream,
  MAX_NOTEBOOK_BYTES,
  notebookWithOutputs,
  overwrittenLines,
  parseNotebook,
  resultOutputs,
  type JupyterOutput,
  type Notebook,
} from "../../src/runs/ipynb";
import { runNotebook } from "../../src/runs/notebook-run";
import { rewriteTopLevel } from "../../src/runner/notebook-cell";
import { killCliRuns, runCli } from "./helpers";

const DIST = path.join(__dirname, "../../../dist");
const LESSONS = path.join(__dirname, "../../../examples/notebooks");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-notebook-"));
const backend = process.env.UNROLL_BACKEND ?? "wasm";
const clients: NotebookClient[] = [];
const newClient = (cwd = ROOT) => {
  const client = new NotebookClient({ kernelPath: path.join(DIST, "notebook-kernel.js"), cwd, backend, language: "en" });
  clients.push(client);
  return client;
};
let kernel: NotebookClient;

before(() => {
  kernel = newClient();
  kernel.start().catch(() => {}); // warm while the pure tests run
});
after(() => {
  clients.forEach((c) => c.dispose());
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** Runs a cell; returns its result and everything it printed. */
async function run(client: NotebookClient, code: string, label = "Cell"): Promise<CellResult & { printed: string }> {
  let printed = "";
  const result = await client.execute(code, label, (_, text) => (printed += text));
  return { ...result, printed };
}

const ok = (r: CellResult & { printed?: string }) => {
  assert.equal(r.status, "ok", JSON.stringify(r));
  return r as Extract<CellResult, { status: "ok" }> & { printed?: string };
};

describe("the cell rewrite", () => {
  test("top-level declarations become assignments on the scope, lines kept", () => {
    const js = 'const a = 1, { b, c: [d] } = o;\nlet e;\nimport { torch as T, nn } from "unroll";\nfunction f() {}\nclass K {}\nf()\n';
    const out = rewriteTopLevel(js);
    assert.equal(out.split("\n").length, js.split("\n").length, "as many lines");
    for (const name of ["a", "b", "d", "e", "T", "nn", "f", "K"]) assert.match(out, new RegExp(`if \\(!\\("${name}" in __unroll_scope\\)\\)`), name);
    assert.match(out, /; a = 1, \(\{ b, c: \[d\] \} = o\);/);
    assert.match(out, /; e = void 0;/);
    assert.match(out, /\(\{ "torch": T, "nn": nn \} = __unroll_import\("unroll"\)\);/);
    assert.match(out, /class K \{\};__unroll_scope\.K = K;/);
    assert.match(out, /__unroll_scope\.f = f;/);
    assert.match(out, /return \(f\(\)\)\n$/);
    assert.doesNotMatch(out, /\bconst\b|\blet\b|\bimport\b/);
  });

  test("a parenthesized last expression is the cell's value, semicolon or not", () => {
    assert.match(rewriteTopLevel("const a = 1;\n({ a });\n"), /return \(\(\{ a \}\)\);\n$/);
    assert.match(rewriteTopLevel("(1, 2)"), /return \(\(1, 2\)\)$/);
  });

  test("a multi-line import keeps the lines after it in place", () => {
    const js = 'import {\n  a,\n  b\n} from "m";\nthrow x;\n';
    const out = rewriteTopLevel(js);
    assert.equal(out.split("\n").indexOf("throw x;"), 4);
  });
});

describe("the kernel", () => {
  test("state is kept across cells; the last expression is the cell's value", async () => {
    ok(await run(kernel, 'import { torch, nn } from "unroll";\nconst n: number = 20;'));
    const cell = ok(await run(kernel, "const cell1 = new nn.RNNCell(100, n)\ncell1"));
    assert.equal(cell.value, "RNNCell(100, 20)");
    assert.equal(ok(await run(kernel, "torch.size(cell1.weight_ih)")).value, "torch.Size([20, 100])");
    assert.equal(ok(await run(kernel, "function twice(x: number) { return 2 * x }\nclass Box { v = n }")).value, undefined);
    assert.equal(ok(await run(kernel, "[twice(n), new Box().v]")).value, "[ 40, 20 ]");
  });

  test("tensors print as PyTorch prints them", async () => {
    assert.equal(ok(await run(kernel, "torch.ones([2, 3])")).value, "tensor([[1., 1., 1.],\n        [1., 1., 1.]])");
  });

  test("re-running a cell may declare its consts again; functions see the new value", async () => {
    ok(await run(kernel, "const k = 1\nconst getK = () => k"));
    ok(await run(kernel, "const k = 2"));
    assert.equal(ok(await run(kernel, "getK()")).value, "2");
  });

  test("top-level await", async () => {
    const r = ok(await run(kernel, "const later = await new Promise<string>((resolve) => setTimeout(() => resolve('done'), 5))\nlater"));
    assert.equal(r.value, "'done'");
  });

  test("console.log comes in order, before the value", async () => {
    const r = ok(await run(kernel, 'console.log("one"); console.error("two"); console.log("three"); 4'));
    assert.equal(r.printed, "one\ntwo\nthree\n");
    assert.equal(r.value, "4");
  });

  test("execution counts go up with each cell run", async () => {
    const a = await run(kernel, "1");
    const b = await run(kernel, "2");
    assert.equal(b.count, a.count + 1);
  });

  test("an error is located at the cell's line, with the CLI's message", async () => {
    const r = await run(kernel, "const ok1 = 1\n\nconst bad = (null as any).foo", "Cell 7");
    assert.equal(r.status, "error");
    const { error } = r as Extract<CellResult, { status: "error" }>;
    assert.equal(error.message, "TypeError: Cannot read properties of null (reading 'foo')");
    assert.deepEqual(error.location, { file: "Cell 7", line: 3, column: 27 });
  });

  test("an error thrown by a function from an earlier cell names that cell's line", async () => {
    ok(await run(kernel, "function boom() {\n  throw new Error('boom')\n}", "Cell 8"));
    const r = await run(kernel, "boom()", "Cell 9");
    const { error } = r as Extract<CellResult, { status: "error" }>;
    assert.equal(error.message, "boom");
    assert.deepEqual(error.location, { file: "Cell 8", line: 2, column: 9 });
    assert.match(error.stack ?? "", /Cell 9:1:1/);
  });

  test("a syntax error is located too, and the kernel goes on", async () => {
    const r = await run(kernel, "const x = 1\nconst = 2", "Cell 10");
    const { error } = r as Extract<CellResult, { status: "error" }>;
    assert.equal(error.kind, "compile");
    assert.equal(error.location?.line, 2);
    assert.equal(ok(await run(kernel, "n")).value, "20");
  });

  test("Interrupt stops a cell that loops, and the kernel answers the next cell with its state", async () => {
    ok(await run(kernel, "const kept = 'still here'"));
    const looping = kernel.execute('console.log("looping"); while (true) {}', "Cell 11", (_, text) => {
      if (text.includes("looping")) kernel.interrupt();
    });
    assert.equal((await looping).status, "interrupted");
    assert.equal(ok(await run(kernel, "kept")).value, "'still here'");
  });

  test("Interrupt ends a cell that awaits what never comes", async () => {
    const waiting = kernel.execute('console.log("waiting"); await new Promise(() => {})', "Cell 12", (_, text) => {
      if (text.includes("waiting")) kernel.interrupt();
    });
    assert.equal((await waiting).status, "interrupted");
    assert.equal(ok(await run(kernel, "kept")).value, "'still here'");
  });

  test("a cell looping after an await is stopped by restarting the kernel, which it says", async () => {
    const client = newClient();
    ok(await run(client, "const gone = 1"));
    const looping = client.execute('await null; console.log("looping"); while (true) {}', "Cell", (_, text) => {
      if (text.includes("looping")) client.interrupt();
    });
    const r = await looping;
    assert.equal(r.status, "interrupted");
    assert.match((r as { message?: string }).message ?? "", /restarted: its state is lost/);
    assert.equal(ok(await run(client, "typeof gone")).value, "'undefined'");
  });

  test("process.exit in a cell is reported there, and the next cell runs in a fresh kernel", async () => {
    const client = newClient();
    ok(await run(client, "const before = 1"));
    const r = await run(client, "process.exit(3)");
    assert.equal(r.status, "error");
    assert.match(
      (r as Extract<CellResult, { status: "error" }>).error.message,
      /exited with code 3: its state is lost, and the next cell runs in a fresh kernel/,
    );
    const next = ok(await run(client, "typeof before"));
    assert.equal(next.value, "'undefined'");
    assert.equal(next.count, 1);
  });

  test("Restart clears the state", async () => {
    const client = newClient();
    ok(await run(client, "const x = 1"));
    client.restart();
    assert.equal(ok(await run(client, "typeof x")).value, "'undefined'");
  });

  test("Interrupt drops the cells queued behind the running one", async () => {
    const client = newClient();
    const first = client.execute('console.log("go"); while (true) {}', "A", (_, text) => {
      if (text.includes("go")) client.interrupt();
    });
    const second = client.execute("1", "B");
    assert.equal((await first).status, "interrupted");
    assert.deepEqual(await second, { status: "interrupted", count: 0 });
  });
});

describe("the .ipynb reader", () => {
  const notebookOf = (text: string) => parseNotebook(text);
  const refused = (text: string, why: RegExp) => {
    const result = notebookOf(text);
    assert.ok("error" in result, text.slice(0, 60));
    assert.match(result.error, why);
  };

  test("refuses what is not an nbformat 4 notebook, in words", () => {
    refused("", /not JSON/);
    refused("{", /not JSON/);
    refused("null", /not an object/);
    refused("[1, 2]", /not an object/);
    refused('{"nbformat": 3, "worksheets": []}', /not an nbformat 4 notebook \(nbformat: 3\)/);
    refused('{"nbformat": 4}', /no list of cells/);
    refused('{"nbformat": 4, "cells": {"0": {}}}', /no list of cells/);
    refused('{"nbformat": 4, "cells": [null]}', /cell 1: not an object/);
    refused('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}', /cell 1: its source is neither/);
    refused('{"nbformat": 4, "cells": [{"cell_type": "code", "source": ["a", 1]}]}', /cell 1: its source is neither/);
    refused('{"nbformat": 4, "cells": [{"cell_type": "__proto__", "source": ""}]}', /cell 1: unknown cell_type "__proto__"/);
    refused(" ".repeat(MAX_NOTEBOOK_BYTES + 1), /larger than/);
  });

  test("reads cells, a byte order mark and hostile keys, and writes them back as they were", () => {
    const json =
      '\uFEFF{"nbformat": 4, "nbformat_minor": 4, "metadata": {"__proto__": {"x": 1}}, "cells": [{"cell_type": "code", "source": ["a\\n", "b"], "metadata": {}, "outputs": [], "execution_count": null}]}';
    const notebook = parseNotebook(json) as Notebook;
    assert.deepEqual(notebook.cells, [{ type: "code", source: "a\nb" }]);
    const written = JSON.parse(notebookWithOutputs(notebook, [])) as { metadata: object; cells: { outputs: unknown[] }[] };
    assert.deepEqual(Object.keys(written.metadata), ["__proto__"]);
    assert.deepEqual(written.cells[0].outputs, []);
  });

  test("`unroll run` on a hostile notebook says why and exits 2", async () => {
    const file = path.join(ROOT, "循环 网络(1) 🧪.ipynb");
    fs.writeFileSync(file, '{"nbformat": 4, "cells": [{"cell_type": "code", "source": {"evil": true}}]}');
    const r = await runCli(["run", file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /循环 网络\(1\) 🧪\.ipynb is not a notebook Unroll can run: cell 1: its source is neither a string nor a list of strings/);
  });
});

describe("outputs as Jupyter stores them", () => {
  test("a progress line written with \\r is replaced in place; other lines stay", () => {
    assert.equal(overwrittenLines("epoch 1\rloss 0.9\rloss 0.5\ndone\n"), "loss 0.5\ndone\n");
    assert.equal(overwrittenLines("a\r\nb"), "a\nb");
    const outputs: JupyterOutput[] = [];
    appendStream(outputs, "stdout", "step 1/3\r");
    appendStream(outputs, "stdout", "step 2/3\r");
    appendStream(outputs, "stderr", "warn\n");
    appendStream(outputs, "stdout", "x\ny\n");
    assert.deepEqual(outputs, [
      { output_type: "stream", name: "stdout", text: ["step 2/3\r"] },
      { output_type: "stream", name: "stderr", text: ["warn\n"] },
      { output_type: "stream", name: "stdout", text: ["x\n", "y\n"] },
    ]);
  });

  test("values, errors and interruptions as execute_result and error outputs", () => {
    assert.deepEqual(resultOutputs({ status: "ok", count: 3, value: "a\nb" }, undefined), [
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": ["a\n", "b"] }, metadata: {} },
    ]);
    assert.deepEqual(resultOutputs({ status: "ok", count: 3 }, undefined), []);
    const error = { kind: "runtime" as const, message: "TypeError: x is not a function" };
    assert.deepEqual(resultOutputs({ status: "error", count: 4, error }, "Cell 4:1:1: TypeError: x is not a function\n    at Cell 4:1:1"), [
      {
        output_type: "error",
        ename: "TypeError",
        evalue: "x is not a function",
        traceback: ["Cell 4:1:1: TypeError: x is not a function", "    at Cell 4:1:1"],
      },
    ]);
    assert.equal((resultOutputs({ status: "interrupted", count: 0 }, undefined)[0] as { ename: string }).ename, "Interrupted");
  });
});

/** A number as printed: a float (with a point or an exponent) or a whole number. */
const NUMBER = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g;

/** Whether two printed floats agree to what training on another machine or backend may change: 1e-3 absolute
 *  (for probabilities near 0) or 1% relative. */
const closeFloats = (a: number, b: number) => Math.abs(a - b) <= 1e-3 + 1e-2 * Math.abs(b);

/** Asserts two texts equal, except that floats may differ within closeFloats; whole numbers (shapes, counts) must
 *  be equal. The message names the first line that differs. */
function assertSameUpToFloats(actual: string, expected: string): void {
  const words = (text: string) => text.split(NUMBER);
  const numbers = (text: string) => text.match(NUMBER) ?? [];
  const [a, e] = [numbers(actual), numbers(expected)];
  const same =
    words(actual).join("#") === words(expected).join("#") &&
    a.length === e.length &&
    a.every((x, i) => x === e[i] || (/[.e]/.test(x + e[i]) && closeFloats(Number(x), Number(e[i]))));
  if (same) return;
  const [al, el] = [actual.split("\n"), expected.split("\n")];
  const line = al.findIndex((l, i) => l !== el[i]);
  assert.fail(`line ${line + 1} differs beyond the tolerance:\n  actual:   ${al[line]}\n  expected: ${el[line]}`);
}

test("the tolerance: floats may differ a little, whole numbers and words not", () => {
  assertSameUpToFloats("loss 0.3831, [5, 200]", "loss 0.3832, [5, 200]");
  assertSameUpToFloats("p 1.0369e-07", "p 3.1e-07");
  assert.throws(() => assertSameUpToFloats("loss 0.4831", "loss 0.3831"), /line 1 differs/);
  assert.throws(() => assertSameUpToFloats("[5, 201]", "[5, 200]"), /line 1 differs/);
  assert.throws(() => assertSameUpToFloats("predicted ohlol\nx", "predicted ohlil\nx"), /line 1 differs/);
});

describe("the lesson notebooks, headless", () => {
  const lessons = fs.readdirSync(LESSONS).filter((f) => f.endsWith(".ipynb"));

  test("there are lesson notebooks", () => assert.ok(lessons.length >= 2, lessons.join()));

  test("every lesson of examples/ has its notebook (09b and 09c train lesson 9 as experiments: its notebook points to them)", () => {
    const trainingOf9 = ["09b_vanishing_rnn", "09c_vanishing_lstm"];
    const lessonFiles = fs
      .readdirSync(path.dirname(LESSONS))
      .filter((f) => /^\d\d[a-z]?_.+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ""))
      .filter((name) => !trainingOf9.includes(name));
    assert.ok(lessonFiles.length >= 11, lessonFiles.join());
    assert.deepEqual(
      lessonFiles.filter((name) => !lessons.includes(`${name}.ipynb`)),
      [],
    );
  });

  for (const name of lessons) {
    test(`${name}: every cell's outputs are the ones stored in it`, async () => {
      const text = fs.readFileSync(path.join(LESSONS, name), "utf8");
      const notebook = parseNotebook(text) as Notebook;
      const client = newClient(LESSONS);
      const { runs, ok: allRan } = await runNotebook(client, notebook, { label: (i) => `${name} [cell ${i}]`, describe: (e) => e.message });
      client.dispose();
      assert.ok(allRan, JSON.stringify(runs.at(-1)));
      // The whole file as `unroll run --write` writes it: the same outputs, counts and bytes, floats to a tolerance.
      assertSameUpToFloats(notebookWithOutputs(notebook, runs), text);
    });
  }

  test("`unroll run --write` stores the outputs in a copy, as Jupyter writes them", async () => {
    const lesson = lessons[0];
    const copy = path.join(ROOT, "循环 网络(1) 🧪.ipynb");
    const stored = JSON.parse(fs.readFileSync(path.join(LESSONS, lesson), "utf8")) as { cells: { outputs?: unknown[]; execution_count?: unknown }[] };
    for (const cell of stored.cells) if (cell.outputs) [cell.outputs, cell.execution_count] = [[], null];
    fs.writeFileSync(copy, JSON.stringify(stored));
    const r = await runCli(["run", copy, "--write"], { cwd: LESSONS });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /torch\.Size\(\[6, 5, 200\]\)/);
    assert.equal(fs.readFileSync(copy, "utf8"), fs.readFileSync(path.join(LESSONS, lesson), "utf8"));
  });

  test("`unroll run` stops at the failing cell, prints where, and exits 1", async () => {
    const file = path.join(ROOT, "failing.ipynb");
    const cell = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
    fs.writeFileSync(
      file,
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 4,
        metadata: {},
        cells: [cell("console.log('first')"), cell("\nthrow new Error('nope')"), cell("console.log('never')")],
      }),
    );
    const r = await runCli(["run", file, "--write"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "first\n");
    assert.match(r.stderr, /failing\.ipynb \[cell 2\]:2:7: nope/);
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as {
      cells: { outputs: { output_type: string; ename?: string; evalue?: string }[]; execution_count: number | null }[];
    };
    assert.deepEqual(
      written.cells.map((c) => c.execution_count),
      [1, 2, null],
    );
    assert.deepEqual(
      written.cells[1].outputs.map((o) => [o.output_type, o.ename, o.evalue]),
      [["error", "Error", "nope"]],
    );
  });
});
