// Shapes in notebook cells: the kernel (dist/notebook-kernel.js, built by `npm test`) records each cell's module
// calls, constructions and tensor factories as the cell runs (no re-run), located at the cell's lines, and sends
// them with the cell's result; what the editor makes of them (hover, inlay hint, diagnostic) is shapes.ts's, as for
// files.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotebookClient, type CellResult } from "../../src/runs/notebook-client";
import type { TraceEntry } from "../../src/common/protocol";
import { cellTrace, diagnosticsFor, entriesByLine, hoverMarkdown, inlayText } from "../../src/extension/shapes";

const DIST = path.join(__dirname, "../../../dist");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-nb-shapes-"));
const client = new NotebookClient({
  kernelPath: path.join(DIST, "notebook-kernel.js"),
  cwd: ROOT,
  backend: process.env.UNROLL_BACKEND ?? "wasm",
  language: "en",
});
after(() => {
  client.dispose();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

const at = (shapes: TraceEntry[] | undefined, kind: TraceEntry["kind"], line: number) => shapes?.find((e) => e.kind === kind && e.location.line === line);

test("each cell's calls come with its result, at the cell's lines, and only that cell's", async () => {
  const one: CellResult = await client.execute(
    'import { nn, torch } from "unroll";\nconst rnn = new nn.RNN(10, 20, { numLayers: 2 });\nconst x = torch.randn([5, 3, 10]);\nfunction step(input: typeof x) {\n  return rnn(input);\n}',
    "Cell 1",
  );
  assert.equal(one.status, "ok", JSON.stringify(one));
  const built = at(one.shapes, "module", 2);
  assert.equal(built?.name, "RNN");
  assert.deepEqual(built?.location, { file: "Cell 1", line: 2, column: 13 });
  assert.deepEqual(built?.parameters?.map((p) => [p.name, p.shape]).slice(0, 2), [
    ["weight_ih_l0", [20, 10]],
    ["weight_hh_l0", [20, 20]],
  ]);
  assert.deepEqual(at(one.shapes, "tensor", 3)?.outputs, [{ name: "out", shape: [5, 3, 10] }]);

  const two = await client.execute(
    "// the state of cell 1 is here\nconst [out, h] = rnn(x);\nfor (let i = 0; i < 3; i++) rnn(x);\nstep(x);\nout.shape",
    "Cell 2",
  );
  assert.equal(two.status, "ok", JSON.stringify(two));
  const call = at(two.shapes, "call", 2)!;
  assert.deepEqual(call.location, { file: "Cell 2", line: 2, column: 18 });
  assert.deepEqual(
    call.outputs?.map((o) => [o.name, o.shape]),
    [
      ["out", [5, 3, 20]],
      ["h_n", [2, 3, 20]],
    ],
  );
  assert.equal(inlayText([call]), "→ [5, 3, 20], [2, 3, 20]");
  assert.match(hoverMarkdown(call), /RNN\(10, 20, num_layers=2\)\.forward\(input \[5, 3, 10\]/);
  assert.equal(at(two.shapes, "call", 3)?.count, 3, "a loop's call counted, as in a file's trace");
  assert.equal(at(two.shapes, "call", 4), undefined, "step's call is cell 1's code: not placed in cell 2");
  assert.ok(
    two.shapes?.every((e) => e.location.file === "Cell 2"),
    "nothing of cell 1 again",
  );
  assert.deepEqual([...entriesByLine({ file: "Cell 2", entries: two.shapes!, durationMs: 0, backend: "" }, "Cell 2").keys()], [2, 3]);
});

test("a shape error is recorded on its call and placed at the cell's line", async () => {
  await client.execute('import { nn, torch } from "unroll";\nconst lstm = new nn.LSTM(100, 20);', "Cell 1");
  const bad = await client.execute("const fine = 1;\n\nconst [y] = lstm(torch.randn([10, 3, 50]));", "Cell 3");
  assert.equal(bad.status, "error");
  const call = at(bad.shapes, "call", 3)!;
  assert.match(call.error ?? "", /LSTM\(input_size=100, hidden_size=20\) got input \[10, 3, 50\]: the last dimension must be 100/);
  assert.deepEqual(call.inputs, [{ name: "input", shape: [10, 3, 50] }], "what it got, though it failed");
  const trace = cellTrace("Cell 3", bad, 5);
  assert.deepEqual(
    diagnosticsFor(trace.error, trace.file).map((d) => [d.line, d.column, d.kind]),
    [[3, 13, "shape"]],
    "the squiggle on the cell's third line, at the call",
  );
  assert.deepEqual([...entriesByLine(trace, trace.file).keys()], [3]);

  const typo = await client.execute("const = 1", "Cell 4");
  assert.equal(typo.status, "error");
  assert.equal(cellTrace("Cell 4", typo, 1).error, undefined, "a syntax error is TypeScript's to show, not a second squiggle");
});
