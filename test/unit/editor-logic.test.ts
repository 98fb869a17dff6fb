// The extension host's editor logic, without VS Code: trace → hovers, inlay hints and diagnostics;
// positions following edits; model file detection; webview message validation.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Trace, TraceEntry } from "../../src/common/protocol";
import { checkpointChannel, explorerChannel, runsTableChannel, runsViewChannel } from "../../src/common/protocol";
import { shownText } from "./markdown-shown";
import { english } from "../../src/common/format";
import {
  LineTracker,
  STALE_SIGN,
  codeLensLine,
  diagnosticsFor,
  entriesByLine,
  hoverMarkdown,
  inlayText,
  isModelFileText,
  outputsLine,
  staleNote,
  dimensionNames,
  EARLIER_SIGN,
  earlierNote,
  lineNotes,
  shownLines,
} from "../../src/extension/shapes";

const file = "/w/model.ts";
const call: TraceEntry = {
  kind: "call",
  location: { file, line: 4, column: 21 },
  name: "RNN",
  config: "RNN(100, 20, num_layers=4, bidirectional=True)",
  inputs: [{ name: "input", shape: [10, 3, 100] }],
  outputs: [
    { name: "out", shape: [10, 3, 40] },
    { name: "h_n", shape: [8, 3, 20] },
  ],
  count: 1,
};
const construction: TraceEntry = {
  kind: "module",
  location: { file, line: 3, column: 13 },
  name: "RNN",
  config: "RNN(100, 20, num_layers=4, bidirectional=True)",
  parameters: [
    { name: "weight_ih_l0", shape: [20, 100], count: 2000 },
    { name: "weight_hh_l0", shape: [20, 20], count: 400 },
  ],
  parameterCount: 2400,
  count: 1,
};
const trace: Trace = { file, entries: [construction, call], durationMs: 12, backend: "wasm" };

describe("hovers and inlay hints from a trace", () => {
  test("a call's hover leads with its output shapes, then the call", () => {
    const md = hoverMarkdown(call);
    assert.ok(md.startsWith("`out [10, 3, 40] · h_n [8, 3, 20]`"), md);
    assert.match(md, /RNN\(100, 20, num_layers=4, bidirectional=True\)\.forward\(input \[10, 3, 100\]\)/);
  });

  test("a construction's hover has the parameter table with counts and the total", () => {
    const md = hoverMarkdown(construction);
    assert.match(md, /\| `weight_ih_l0` \| \[20, 100\] \| 2,000 \|/);
    assert.match(md, /\*\*total\*\* \| \| \*\*2,400\*\*/);
  });

  test("a site that ran in a loop with other shapes says so", () => {
    assert.match(hoverMarkdown({ ...call, count: 6, varying: true }), /ran 6 times, with varying shapes/);
  });

  test("a failed call's hover shows the error first", () => {
    // The error is escaped markdown (ui-text.ts): what shows is its text, in bold after "Shape error".
    const md = hoverMarkdown({ ...call, outputs: [], error: "LSTM got input [10, 3, 50]: …" });
    assert.ok(md.startsWith("**Shape error**: "), md);
    assert.equal(shownText(md.split("\n")[0]), "Shape error: LSTM got input [10, 3, 50]: …");
  });

  test("inlay hints show the outputs of the calls on a line, and nothing for failed calls", () => {
    assert.equal(inlayText([call]), "→ [10, 3, 40], [8, 3, 20]");
    assert.equal(inlayText([{ ...call, outputs: [{ name: "h", shape: [5, 200] }] }]), "→ [5, 200]");
    assert.equal(inlayText([{ ...call, error: "boom" }]), null);
    assert.equal(outputsLine(call.outputs), "out [10, 3, 40] · h_n [8, 3, 20]");
  });

  test("entries are grouped by line, only for the file asked", () => {
    const byLine = entriesByLine({ ...trace, entries: [...trace.entries, { ...call, location: { file: "/other.ts", line: 4, column: 1 } }] }, file);
    assert.deepEqual([...byLine.keys()], [3, 4]);
    assert.equal(byLine.get(4)!.length, 1);
  });

  test("the trace's error becomes a diagnostic at its line and column in that file only", () => {
    const failed: Trace = {
      ...trace,
      error: { kind: "shape", message: "LSTM(input_size=100, hidden_size=20) got input [10, 3, 50]: …", location: { file, line: 5, column: 20 } },
    };
    assert.deepEqual(diagnosticsFor(failed.error, file), [{ line: 5, column: 20, message: failed.error!.message, kind: "shape" }]);
    assert.deepEqual(diagnosticsFor(trace.error, file), []);
    // An error inside an experiment's forward also marks the experiment that led there.
    const viaExperiment = { ...failed.error!, via: { file, line: 30, column: 1 } };
    assert.deepEqual(diagnosticsFor(viaExperiment, file), [
      { line: 5, column: 20, message: failed.error!.message, kind: "shape" },
      { line: 30, column: 1, message: `this experiment's training step failed at line 5: ${failed.error!.message}`, kind: "shape" },
    ]);
  });
});

test("an error raised outside the file is still a diagnostic in it: at its own stack frame, the experiment, or line 1", () => {
  const file = "/w/循环 网络(1) 🧪.ts";
  const helper = "/w/helpers.ts";
  const raised = { kind: "runtime" as const, message: "Size(20) must match the product of shape 1,6,4", location: { file: helper, line: 3, column: 9 } };
  const stack = `Error: boom\n    at f (${helper}:3:9)\n    at Object.data (${file}:36:66)`;
  assert.deepEqual(diagnosticsFor({ ...raised, stack }, file), [
    { line: 36, column: 66, message: `${raised.message} (raised at ${helper}:3)`, kind: "runtime" },
  ]);
  assert.deepEqual(diagnosticsFor({ ...raised, via: { file, line: 27, column: 1 } }, file), [
    { line: 27, column: 1, message: `${raised.message} (raised at ${helper}:3)`, kind: "runtime" },
  ]);
  // Unlocated (a timeout while waiting, an error with no stack): line 1, so that the Problems panel has it.
  assert.deepEqual(diagnosticsFor({ kind: "timeout", message: "trace timed out after 10 s" }, file), [
    { line: 1, column: 1, message: "trace timed out after 10 s", kind: "timeout" },
  ]);
  // Unroll's own failures are not the file's: only at a line of it.
  assert.deepEqual(diagnosticsFor({ kind: "internal", message: "bug" }, file), []);
  assert.deepEqual(diagnosticsFor({ kind: "store", message: "disk full", location: { file, line: 4, column: 2 } }, file), [
    { line: 4, column: 2, message: "disk full", kind: "store" },
  ]);
});

describe("trace positions follow edits", () => {
  test("lines below an edit move by the lines it added or removed; touched lines stay, marked stale", () => {
    const t = new LineTracker([2, 5, 9]);
    t.apply({ startLine: 0, endLine: 0, newLineCount: 2 }); // two lines inserted at the top
    assert.deepEqual([t.lineNow(2), t.lineNow(5), t.lineNow(9)], [4, 7, 11]);
    assert.ok(![2, 5, 9].some((l) => t.isStale(l)), "moving a line does not make its shapes stale");
    t.apply({ startLine: 7, endLine: 7, newLineCount: 0 }); // typing on the traced line 5 (now 7)
    assert.equal(t.lineNow(5), 7, "an edited line keeps its hint where it is…");
    assert.ok(t.isStale(5), "…marked stale: its shapes may be wrong until the next trace");
    assert.ok(!t.isStale(2) && !t.isStale(9));
    t.apply({ startLine: 8, endLine: 10, newLineCount: 0 }); // three lines joined into one above line 9
    assert.equal(t.lineNow(9), 9);
    assert.equal(t.tracedAt(9), 9);
    assert.equal(t.tracedAt(4), 2);
    assert.equal(t.tracedAt(7), 5);
    assert.ok(t.edited);
  });

  test("a touched line inside a replaced block goes to the same offset, or to the block's last new line", () => {
    const t = new LineTracker([10, 12, 20]);
    t.apply({ startLine: 10, endLine: 12, newLineCount: 1 }); // three lines (10–12) replaced by two
    assert.deepEqual([t.lineNow(10), t.lineNow(12), t.lineNow(20)], [10, 11, 19]);
    assert.ok(t.isStale(10) && t.isStale(12) && !t.isStale(20));
  });

  test("a stale hint carries the sign; a fresh one none", () => {
    const entry = {
      kind: "call",
      name: "rnn",
      location: { file: "m.ts", line: 3, column: 1 },
      count: 1,
      outputs: [{ name: "out", shape: [10, 3, 40] }],
    } as TraceEntry;
    assert.equal(inlayText([entry]), "→ [10, 3, 40]");
    assert.equal(inlayText([entry], true), `${STALE_SIGN} → [10, 3, 40]`);
    assert.match(
      staleNote((m, ...a) => m.replace("{0}", String(a[0]))),
      /^✎ Edited since the last trace/,
    );
  });

  test("an edit that does not move anything leaves the tracker unedited", () => {
    const t = new LineTracker([3]);
    t.apply({ startLine: 10, endLine: 10, newLineCount: 0 });
    assert.equal(t.lineNow(3), 3);
    assert.equal(t.edited, false);
  });
});

describe("a trace stopped at its time budget (issue 23's scratchpad rule)", () => {
  const at = (line: number, name = "RNN"): TraceEntry => ({ ...call, name, location: { file, line, column: 1 } });
  const traceOf = (lines: number[], error?: Trace["error"]): Trace => ({
    file,
    entries: lines.map((l) => at(l)),
    durationMs: 1,
    backend: "wasm",
    ...(error && { error }),
  });
  const budget = (line?: number): Trace["error"] => ({
    kind: "timeout",
    message: "trace timed out after 10 s",
    ...(line && { location: { file, line, column: 3 } }),
  });
  const full = shownLines(traceOf([2, 5, 8, 12]), file);

  test("a full trace shows its own lines, none earlier, whatever came before", () => {
    const next = shownLines(traceOf([2, 5]), file, full);
    assert.deepEqual([...next.byLine.keys()], [2, 5]);
    assert.deepEqual([...next.earlier], []);
  });

  test("a partial one keeps what it recorded and carries the last full trace's lines after where it stopped", () => {
    const partial = traceOf([2, 5, 6], budget(6));
    const shown = shownLines(partial, file, full);
    assert.deepEqual(
      [...shown.byLine.keys()].sort((a, b) => a - b),
      [2, 5, 6, 8, 12],
    );
    assert.deepEqual(
      [...shown.earlier].sort((a, b) => a - b),
      [8, 12],
    );
    assert.equal(shown.byLine.get(5)![0], partial.entries[1], "a line it reached shows this trace's entries");
    assert.equal(shown.byLine.get(8), full.byLine.get(8));
    // Another partial save: what was carried stays carried (and marked), from the same full trace.
    const again = shownLines(traceOf([2], budget(4)), file, shown);
    assert.deepEqual(
      [...again.earlier].sort((a, b) => a - b),
      [5, 6, 8, 12],
    );
  });

  test("a line before the stop that this trace did not record is not brought back (its code may be gone)", () => {
    const shown = shownLines(traceOf([2], budget(9)), file, full);
    assert.deepEqual(
      [...shown.byLine.keys()].sort((a, b) => a - b),
      [2, 12],
    );
  });

  test("stopped while waiting (no line), or with nothing before: all lines it lacks are carried, or only its own", () => {
    assert.deepEqual(
      [...shownLines(traceOf([2], budget()), file, full).earlier].sort((a, b) => a - b),
      [5, 8, 12],
    );
    const alone = shownLines(traceOf([2], budget(3)), file);
    assert.deepEqual([...alone.byLine.keys()], [2]);
    assert.deepEqual([...alone.earlier], []);
  });

  test("an earlier line's hint and hover carry the mark and say how to trace to the end", () => {
    assert.equal(inlayText([call], false, true), `${EARLIER_SIGN} → [10, 3, 40], [8, 3, 20]`);
    assert.equal(inlayText([call], true, true), `${STALE_SIGN} ${EARLIER_SIGN} → [10, 3, 40], [8, 3, 20]`);
    assert.deepEqual(lineNotes(english, false, false), []);
    assert.deepEqual(lineNotes(english, true, true), [staleNote(english), earlierNote(english)]);
    assert.match(earlierNote(english), /^⏱ From the last full trace: .*time budget.*“Unroll: Trace Shapes to the End”/);
  });
});

describe("model files and CodeLens", () => {
  test("a model file is TypeScript importing unroll", () => {
    assert.ok(isModelFileText('import { nn } from "unroll";'));
    assert.ok(isModelFileText("import { torch, nn } from 'unroll'"));
    assert.ok(!isModelFileText('import { nn } from "unrolled";'));
    assert.ok(!isModelFileText("const x = 1;"));
  });

  test("every lesson is a model file, so Train works on it: 09b and 09c too, whose experiment comes from 09", () => {
    const examples = path.join(__dirname, "../../../examples");
    const lessons = fs.readdirSync(examples).filter((f) => /^\d\d\w?_.*\.ts$/.test(f));
    assert.ok(lessons.includes("09b_vanishing_rnn.ts") && lessons.includes("09c_vanishing_lstm.ts"));
    for (const f of lessons) assert.ok(isModelFileText(fs.readFileSync(path.join(examples, f), "utf8")), f);
  });

  test("the CodeLens goes above the experiment, else after the imports", () => {
    const experiment = 'import { nn } from "unroll";\n\nconst x = 1;\nexport default defineExperiment({\n  epochs: 1,\n});';
    assert.deepEqual(codeLensLine(experiment), { line: 3, experiment: true });
    const scratchpad = 'import { nn } from "unroll";\nimport { x } from "./x";\n\n// build\nconst rnn = 1;';
    assert.deepEqual(codeLensLine(scratchpad), { line: 3, experiment: false });
  });
});

describe("messages from webviews are validated, each view against its own union", () => {
  test("well-formed messages pass", () => {
    for (const m of [{ type: "ready" }, { type: "reveal", line: 3, column: 1 }, { type: "train" }, { type: "stop" }])
      assert.ok(explorerChannel.isFrom(m), JSON.stringify(m));
    for (const m of [
      { type: "ready" },
      { type: "openRun", dir: "/w/.unroll/runs/20261122-193000-hello" },
      { type: "openWeights", dir: "/w/.unroll/runs/20261122-193000-hello" },
      { type: "deleteRun", dir: "/w/r" },
      { type: "select", dirs: ["/w/a", "/w/b-1"] },
    ]) {
      assert.ok(runsViewChannel.isFrom(m), JSON.stringify(m));
    }
    for (const m of [{ type: "ready" }, { type: "compare" }, { type: "closeComparison" }]) assert.ok(checkpointChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "ready" }, { type: "openRun", dir: "/w/r" }, { type: "select", dirs: ["/w/a"] }, { type: "exportTable", csv: "name,lr\na,0.1\n" }])
      assert.ok(runsTableChannel.isFrom(m), JSON.stringify(m));
  });

  test("both run lists may ask to rename, tag or annotate a run; nothing else of meta.json, nothing more", () => {
    for (const field of ["label", "tags", "note"]) {
      const m = { type: "editRun", dir: "/w/.unroll/runs/循环 网络(1) 🧪", field };
      assert.ok(runsViewChannel.isFrom(m) && runsTableChannel.isFrom(m), field);
      assert.ok(!explorerChannel.isFrom(m), field);
    }
    for (const m of [
      { type: "editRun", dir: "/w/r", field: "__proto__" },
      { type: "editRun", dir: "/w/r", field: "label", value: "<img src=x onerror=alert(1)>" },
      { type: "editRun", dir: 3, field: "label" },
      { type: "editRun", dir: "/w/r" },
    ])
      assert.ok(!runsViewChannel.isFrom(m) && !runsTableChannel.isFrom(m), JSON.stringify(m));
  });

  test("a message of the other view is rejected", () => {
    for (const m of [
      { type: "openRun", dir: "/w/r" },
      { type: "deleteRun", dir: "/w/r" },
      { type: "select", dirs: [] },
    ])
      assert.ok(!explorerChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "reveal", line: 3, column: 1 }, { type: "train" }, { type: "stop" }, { type: "exportCsv", runId: "a", dir: "/w/r", csv: "" }])
      assert.ok(!runsViewChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "deleteRun", dir: "/w/r" }, { type: "exportCsv", runId: "a", dir: "/w/r", csv: "" }, { type: "train" }])
      assert.ok(!runsTableChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "exportTable", csv: "" }]) assert.ok(!explorerChannel.isFrom(m) && !runsViewChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "openWeights", dir: "/w/r" }, { type: "compare" }])
      assert.ok(!runsTableChannel.isFrom(m) && !explorerChannel.isFrom(m), JSON.stringify(m));
    for (const m of [{ type: "openRun", dir: "/w/r" }, { type: "openWeights", dir: "/w/r" }, { type: "train" }])
      assert.ok(!checkpointChannel.isFrom(m), JSON.stringify(m));
  });

  test("anything else is rejected", () => {
    const bad: unknown[] = [
      null,
      "ready",
      7,
      [],
      { type: "eval", code: "x" },
      { type: "ready", extra: 1 },
      { type: "reveal", line: 0, column: 1 },
      { type: "reveal", line: 1.5, column: 1 },
      { type: "reveal", line: 2, column: 1, extra: true },
      { type: "openRun", runId: "../../etc/passwd" },
      { type: "openRun", dir: "a\0b" },
      { type: "deleteRun", runId: "" },
      { type: "select", runIds: "a" },
      { type: "select", dirs: "a" },
      { type: "select", dirs: [1] },
      { type: "toString" },
      { type: "__proto__" },
      { type: "constructor" },
    ];
    bad.push({ type: "exportTable", csv: 7 }, { type: "exportTable", csv: "", dir: "/w" });
    bad.push(
      { type: "openWeights", dir: "" },
      { type: "openWeights", dir: "a\0b" },
      { type: "compare", file: "/etc/passwd" },
      { type: "closeComparison", x: 1 },
    );
    for (const m of bad)
      assert.ok(!explorerChannel.isFrom(m) && !runsViewChannel.isFrom(m) && !runsTableChannel.isFrom(m) && !checkpointChannel.isFrom(m), JSON.stringify(m));
  });
});

describe("hover text that follows batchFirst", () => {
  const recurrent = (batchFirst: boolean, bidirectional = false) => ({ inputSize: 5, hiddenSize: 8, numLayers: 2, bidirectional, batchFirst });
  const gru = (batchFirst: boolean): TraceEntry => ({
    kind: "call",
    location: { file, line: 7, column: 5 },
    name: "GRU",
    config: `GRU(5, 8, num_layers=2${batchFirst ? ", batch_first=True" : ""})`,
    recurrent: recurrent(batchFirst),
    inputs: [{ name: "input", shape: batchFirst ? [3, 10, 5] : [10, 3, 5] }],
    outputs: [
      { name: "out", shape: batchFirst ? [3, 10, 8] : [10, 3, 8] },
      { name: "h_n", shape: [2, 3, 8] },
    ],
    count: 1,
  });

  test("batch_first: [batch, seq, …] for input and output; the state keeps [num_layers, batch, …]", () => {
    assert.equal(dimensionNames(gru(true)), "input [batch, seq, input_size] · out [batch, seq, hidden_size] · h_n [num_layers, batch, hidden_size]");
    assert.match(hoverMarkdown(gru(true)), /dimensions\\?: `input \[batch, seq, input_size\] · out \[batch, seq, hidden_size\]/);
  });

  test("without it, [seq, batch, …]; bidirectional doubles the output's features and the state's layers", () => {
    assert.equal(dimensionNames(gru(false)), "input [seq, batch, input_size] · out [seq, batch, hidden_size] · h_n [num_layers, batch, hidden_size]");
    const bi = { ...gru(false), recurrent: recurrent(false, true) };
    assert.equal(dimensionNames(bi), "input [seq, batch, input_size] · out [seq, batch, 2·hidden_size] · h_n [2·num_layers, batch, hidden_size]");
    assert.doesNotMatch(hoverMarkdown(gru(false)), /\[batch, seq/);
  });

  test("no names for a cell, a packed input, an unbatched call's odd ranks, or a call of no recurrent module", () => {
    assert.equal(dimensionNames({ ...gru(true), name: "GRUCell" }), null);
    assert.equal(dimensionNames({ ...gru(true), inputs: [{ name: "input", shape: [30, 5], packed: { batchSizes: [3, 3] } }] }), null);
    assert.equal(dimensionNames(call), null); // the fixture's RNN call carries no recurrent config
    const unbatched = { ...gru(true), inputs: [{ name: "input", shape: [10, 5] }], outputs: [{ name: "out", shape: [10, 8] }] };
    assert.equal(dimensionNames(unbatched), "input [seq, input_size] · out [seq, hidden_size]");
  });
});
