// report(), display() and heatmap() in the notebook kernel (dist/notebook-kernel.js, built by `npm test`) through
// NotebookClient: a training loop's live chart arrives as displays of one id whose last has every point, the
// headless run stores it as display_data with a PNG, and `unroll run --write` writes it into the .ipynb.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NotebookClient, type CellResult } from "../../src/runs/notebook-client";
import { parseNotebook, type Notebook } from "../../src/runs/ipynb";
import { runNotebook } from "../../src/runs/notebook-run";
import type { DisplayData } from "../../src/common/protocol";
import { CHART_SIZE } from "../../src/common/chart-image";
import { decodePng } from "./png-decode";
import { killCliRuns, runCli } from "./helpers";

const DIST = path.join(__dirname, "../../../dist");
const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-notebook-chart-"));
const backend = process.env.UNROLL_BACKEND ?? "wasm";
const client = new NotebookClient({ kernelPath: path.join(DIST, "notebook-kernel.js"), cwd: ROOT, backend, language: "en" });

after(() => {
  client.dispose();
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});

/** Runs a cell; returns its result, what it printed and what it displayed, in order. */
async function run(code: string, label = "Cell"): Promise<CellResult & { printed: string; shown: { id: string; data: DisplayData }[] }> {
  let printed = "";
  const shown: { id: string; data: DisplayData }[] = [];
  const result = await client.execute(
    code,
    label,
    (_, text) => (printed += text),
    (id, data) => shown.push({ id, data }),
  );
  return { ...result, printed, shown };
}

const TRAINING = `import { nn, optim, torch } from "unroll";
torch.manualSeed(0);
const model = new nn.Linear(3, 1);
const criterion = new nn.MSELoss();
const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
const x = torch.randn(16, 3);
const y = x.sum(1, true);
for (let step = 1; step <= 40; step++) {
  optimizer.zeroGrad();
  const loss = criterion(model(x), y);
  loss.backward();
  optimizer.step();
  report({ loss });
}`;

describe("the live chart and the display helper in the kernel", () => {
  test("a loop that reports its loss: one chart, redrawn in place, the last drawing with every step", async () => {
    const r = await run(TRAINING);
    assert.equal(r.status, "ok", JSON.stringify(r.status === "error" && r.error));
    assert.ok(r.shown.length >= 2, "the first point, and the final chart when the cell ends");
    assert.equal(new Set(r.shown.map((s) => s.id)).size, 1);
    const last = r.shown.at(-1)!.data;
    assert.match(last["text/plain"], /^loss \d\.\d{4} \(step 40, min \d\.\d{4} at step \d+\)$/);
    const image = decodePng(Buffer.from(last["image/png"]!, "base64"));
    assert.deepEqual([image.width, image.height], [CHART_SIZE.width, CHART_SIZE.height]);
  });

  test("display() shows a tensor as PyTorch prints it and a heatmap as an image; the cell's value is still its own", async () => {
    const r = await run(
      `import { nn, torch } from "unroll";\ndisplay(torch.tensor([1.5, 2]));\nconst gru = new nn.GRU(2, 3);\ndisplay(heatmap(gru, "weight_hh_l0"));\n7`,
    );
    assert.equal(r.status, "ok");
    assert.equal(r.status === "ok" && r.value, "7");
    assert.deepEqual(
      r.shown.map((s) => s.data["text/plain"].split(":")[0]),
      ["tensor([1.5000, 2.0000])", "GRU.weight_hh_l0 [9, 3]"],
    );
    assert.match(r.shown[1].data["text/plain"], /gate blocks r z n$/);
    assert.ok(decodePng(Buffer.from(r.shown[1].data["image/png"]!, "base64")).height > 9);
  });

  test("a bad report fails the cell at its line; the chart so far stays", async () => {
    const r = await run(`report({ loss: 0.5 });\nreport({ loss: "low" });`, "Cell 4");
    assert.equal(r.status, "error");
    assert.match(r.status === "error" ? r.error.message : "", /report\(\): loss must be a number or a tensor of one element/);
    assert.deepEqual(r.status === "error" && r.error.location, { file: "Cell 4", line: 2, column: 1 });
    assert.equal(r.shown.at(-1)?.data["text/plain"], "loss 0.5000 (step 1)");
  });

  test("a cell may declare its own display; Restart brings the helpers back", async () => {
    const own = await run(`const display = (x: number) => x * 2;\ndisplay(4)`);
    assert.equal(own.status === "ok" && own.value, "8");
    assert.deepEqual(own.shown, []);
    client.restart();
    const after = await run(`display("back"); typeof report`);
    assert.equal(after.status === "ok" && after.value, "'function'");
    assert.deepEqual(
      after.shown.map((s) => s.data["text/plain"]),
      ["'back'"],
    );
  });
});

describe("the chart in the stored notebook", () => {
  const notebookText = (sources: string[]) =>
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: sources.map((source) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })),
    });

  test("run headless, the training cell's outputs are its final chart (image/png and text/plain)", async () => {
    const notebook = parseNotebook(notebookText([TRAINING, "console.log('after')"])) as Notebook;
    const { runs, ok } = await runNotebook(client, notebook, { label: (i) => `cell ${i}`, describe: (e) => e.message });
    assert.ok(ok);
    assert.deepEqual(
      runs[0].outputs.map((o) => o.output_type),
      ["display_data"],
    );
    const chart = runs[0].outputs[0];
    assert.ok(chart.output_type === "display_data");
    assert.match(chart.data["text/plain"].join(""), /\(step 40, /);
    assert.match(chart.data["image/png"] ?? "", /^[A-Za-z0-9+/]+=*\n$/);
  });

  test("`unroll run --write` stores it as Jupyter writes display_data, and prints its numbers", async () => {
    const file = path.join(ROOT, "循环 网络(1) 🧪.ipynb");
    fs.writeFileSync(file, notebookText([TRAINING]));
    const r = await runCli(["run", file, "--write", "--backend", backend], { cwd: ROOT });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^loss \d\.\d{4} \(step 40, min /m);
    const written = JSON.parse(fs.readFileSync(file, "utf8")) as { nbformat: number; cells: { outputs: Record<string, unknown>[]; execution_count: number }[] };
    assert.equal(written.nbformat, 4);
    assert.equal(written.cells[0].execution_count, 1);
    const [output] = written.cells[0].outputs;
    assert.deepEqual(Object.keys(output), ["data", "metadata", "output_type"]);
    assert.equal(output.output_type, "display_data");
    const data = output.data as Record<string, unknown>;
    assert.deepEqual(Object.keys(data), ["image/png", "text/plain"]);
    assert.equal(decodePng(Buffer.from(String(data["image/png"]), "base64")).width, CHART_SIZE.width);
  });
});
