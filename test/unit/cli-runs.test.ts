// `unroll runs`: the hyperparameters that differ between runs as columns (those alike in one line), the final loss and
// metrics, the best value of each with its epoch (the header says which way is better), cut to the terminal's width,
// and `--json` with all of it, one run per line.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunInfo } from "../../src/common/protocol";
import { RunWriter } from "../../src/runs/run-store";
import { columnWidths, runsCommand, splitHparams, table, truncate } from "../../src/cli/runs";
import { displayWidth } from "../../src/common/format";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-cli-runs-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A finished run of three epochs with learning rate `lr`, its best loss at epoch 2. */
function makeRun(folder: string, name: string, lr: number, date: Date, hiddenSize = 8): void {
  const w = RunWriter.create(folder, name, date);
  const info: RunInfo = {
    id: w.id,
    name,
    file: path.join(ROOT, "hello.ts"),
    status: "completed",
    pid: 0,
    backend: "wasm",
    backendName: "wasm",
    startedAt: date.toISOString(),
    endedAt: date.toISOString(),
    config: { epochs: 3, model: "RNN(4, 8)", parameterCount: 112, optimizer: "Adam", snapshotEvery: 50 },
    hparams: { epochs: 3, optimizer: "Adam", lr, hiddenSize, batchFirst: true },
    epoch: 3,
    finalLoss: lr * 3,
    finalMetrics: { accuracy: 0.8, predicted: "ohlol" },
    best: { loss: { value: lr * 2, epoch: 2, goal: "min" }, accuracy: { value: 0.9, epoch: 2, goal: "max" } },
  };
  w.writeInfo(info);
  w.appendMetric({ type: "step", epoch: 1, step: 1, loss: 1, lr, time: 0.1 });
  w.close();
}

/** What `unroll runs` prints and its exit code. */
async function runs(positional: string[], options: Record<string, string | boolean> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = console.error = (text: string) => lines.push(text);
  try {
    const code = await runsCommand.run({ positional, options });
    return { code, out: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const folder = path.join(ROOT, "three");
makeRun(folder, "hello", 0.1, new Date(2026, 0, 1, 10));
makeRun(folder, "hello", 0.01, new Date(2026, 0, 1, 11));
makeRun(folder, "hello", 0.05, new Date(2026, 0, 1, 12));

test("the table: lr as a column, what all runs share in one line, best values with their epoch", async () => {
  const { code, out } = await runs([folder]);
  assert.equal(code, 0);
  const [header, ...rest] = out.split("\n");
  assert.match(header, /^ID\s+STATUS\s+EPOCHS\s+lr\s+LOSS\s+METRICS\s+BEST \(loss ↓ {2}accuracy ↑\)\s+FILE$/);
  assert.match(
    rest[0],
    /^20260101-120000-hello\s+completed\s+3\/3\s+0\.05\s+0\.1500\s+accuracy 0\.8\s+predicted "ohlol"\s+loss 0\.1@2\s+accuracy 0\.9@2\s+\S*hello\.ts$/,
  );
  assert.match(rest[1], /^20260101-110000-hello\s+completed\s+3\/3\s+0\.01\s+0\.0300\s/);
  assert.match(rest[2], /^20260101-100000-hello\s+completed\s+3\/3\s+0\.1\s+0\.3000\s/);
  assert.equal(rest[3], "same in all: epochs=3  optimizer=Adam  hiddenSize=8  batchFirst=true");
});

test("--json: JSON Lines, one run per line, every hyperparameter, the final and the best metrics", async () => {
  const { code, out } = await runs([folder], { json: true });
  assert.equal(code, 0);
  const list = out.split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(list.length, 3);
  assert.deepEqual(list[0].hparams, { epochs: 3, optimizer: "Adam", lr: 0.05, hiddenSize: 8, batchFirst: true });
  assert.deepEqual(list[0].final, { loss: 0.15000000000000002, accuracy: 0.8, predicted: "ohlol" });
  assert.deepEqual(list[0].best, { loss: { value: 0.1, epoch: 2, goal: "min" }, accuracy: { value: 0.9, epoch: 2, goal: "max" } });
  assert.equal(list[0].status, "completed");
  assert.equal(list[0].epochs, 3);
  assert.equal(path.basename(list[0].dir as string), "20260101-120000-hello");
  assert.equal((await runs([path.join(ROOT, "nowhere")], { json: true })).out, "");
});

test("a hyperparameter missing from a run is a column; one run alone has no hyperparameter column; unknown options are refused", async () => {
  const mixed = path.join(ROOT, "mixed");
  makeRun(mixed, "a", 0.1, new Date(2026, 0, 2, 10), 8);
  makeRun(mixed, "b", 0.1, new Date(2026, 0, 2, 11), 16);
  const { out } = await runs([mixed]);
  assert.match(out.split("\n")[0], /^ID\s+STATUS\s+EPOCHS\s+hiddenSize\s+LOSS/);
  assert.match(out, /same in all: epochs=3 {2}optimizer=Adam {2}lr=0\.1 {2}batchFirst=true/);
  const one = path.join(ROOT, "one");
  makeRun(one, "solo", 0.2, new Date(2026, 0, 3, 10));
  const summary = JSON.parse((await runs([one], { json: true })).out) as { hparams: Record<string, unknown> };
  assert.equal(Object.keys(summary.hparams).length, 5);
  const [header, , alike] = (await runs([one])).out.split("\n");
  assert.match(header, /^ID\s+STATUS\s+EPOCHS\s+LOSS\s+METRICS\s+BEST/);
  assert.equal(alike, "hyperparameters: epochs=3  optimizer=Adam  lr=0.2  hiddenSize=8  batchFirst=true");
  assert.deepEqual(splitHparams([]), { varying: [], same: [] });
  const refused = await runs([one], { csv: true });
  assert.equal(refused.code, 2);
  assert.match(refused.out, /^Usage: unroll runs/);
});

test("a hyperparameter value from run.json reaches the terminal escaped", async () => {
  const hostile = path.join(ROOT, "hostile");
  const w = RunWriter.create(hostile, "x", new Date(2026, 0, 4, 10));
  w.writeInfo({
    id: w.id,
    name: "x",
    file: path.join(ROOT, "x.ts"),
    status: "completed",
    pid: 0,
    backend: "wasm",
    backendName: "wasm",
    startedAt: new Date().toISOString(),
    config: { epochs: 1, model: "m", parameterCount: 1, optimizer: "SGD", snapshotEvery: 50 },
    hparams: { "name\u001b[31m": "red\u001b[0m" },
  });
  w.close();
  const { out } = await runs([hostile]);
  assert.ok(!out.includes("\u001b"), out);
  assert.match(out, /name\\x1b\[31m/);
});

/** `unroll runs` as on a terminal `columns` wide (process.stdout.columns is undefined when piped, as under test). */
async function runsOnTerminal(columns: number | undefined, positional: string[]): Promise<string> {
  const stdout = process.stdout as { columns?: number };
  const before = stdout.columns;
  stdout.columns = columns;
  try {
    return (await runs(positional)).out;
  } finally {
    stdout.columns = before;
  }
}

test("the table fits the terminal's width, cells cut with …; piped (no width), nothing is cut", async () => {
  const wide = await runsOnTerminal(undefined, [folder]);
  const tableLines = (out: string) => out.split("\n").slice(0, 4);
  assert.ok(Math.max(...tableLines(wide).map(displayWidth)) > 100);
  assert.doesNotMatch(wide, /…/);
  for (const columns of [100, 80, 60]) {
    const out = await runsOnTerminal(columns, [folder]);
    for (const line of tableLines(out)) assert.ok(displayWidth(line) <= columns, `${columns}: ${line}`);
    assert.match(out, /…/);
    assert.match(out.split("\n")[1], /^2026\S* +comp\S* +3\/3 +0\.05 +0\.1500 /); // narrow columns stay whole
  }
  assert.equal(truncate("唐诗生成唐诗生成", 7), "唐诗生…");
  assert.equal(truncate("hello", 5), "hello");
  assert.equal(truncate("循环 网络(1) 🧪.ts", 9), "循环 网…"); // a wide character that would pass the width is left out
  // Too narrow for every column's least: each keeps a few characters (the terminal wraps), none vanishes.
  assert.deepEqual(columnWidths([["a".repeat(20), "b".repeat(20)]], 4), [6, 6]);
  assert.equal(
    table(
      [
        ["ID", "LOSS"],
        ["20260101-120000-唐诗生成", "0.25"],
      ],
      20,
    ),
    "ID              LOSS\n20260101-1200…  0.25",
  );
});

test("no runs: the message names the folder it looked in, absolute, and where runs are stored", async () => {
  const empty = path.join(ROOT, "循环 网络(1) 🧪");
  fs.mkdirSync(empty);
  const { code, out } = await runs([path.relative(process.cwd(), empty)]);
  assert.equal(code, 0);
  assert.equal(
    out,
    `No runs in ${empty}. unroll train stores runs in .unroll/runs beside the model file (or in --runs DIR): list them with unroll runs <folder>.`,
  );
});
