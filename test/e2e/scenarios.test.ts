// The nine scenarios of issue 5, in a real VS Code (code-server 4.100.3 + Chromium, see vscode.ts):
// each starts a fresh workbench with the packaged extension installed, does what a person would do, and
// fails when what that person would see breaks. Screenshots go to test/e2e/screenshots/.
//
//   npm run test:e2e                                  (installs, builds, packages, runs all)
//   node --test --test-name-pattern="3\)" test/e2e/out/   (one scenario, once built)
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import type { Frame } from "playwright-core";
import { VSCode, REPO, positionOf, until, vsixFiles, vsixPath, withVSCode, workspace } from "./vscode";

const TIMEOUT = 240_000;
/** How soon after "Stop Training" the run must have ended: the target is a few seconds (timings.json's stopMs
 *  reports it), but another busy process stretched that past 6 s; a stop that ends the run at all is already
 *  long before its 1,000,000 epochs (hours), so the test's bound is wide and the figure is printed. */
const STOP_LIMIT_MS = 30_000;
after(() => workspace.cleanup());

/** What the report wants measured, written to test/e2e/out/timings.json as scenarios finish. */
const timings: Record<string, unknown> = {};
function record(key: string, value: unknown): void {
  timings[key] = value;
  fs.mkdirSync(path.join(__dirname), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "timings.json"), JSON.stringify(timings, null, 2));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const example = (name: string) => fs.readFileSync(path.join(REPO, "examples", name), "utf8");

// ---------------------------------------------------------------------------------------------------
// The explorer panel and the Runs view, read from their webviews

/** The explorer panel's webview (its tabs: Shapes, Training, Parameters, Dynamics), of the given file when named. */
const explorer = (vs: VSCode, timeoutMs = 30_000, file?: string) =>
  vs.webview(
    async (f) =>
      f.evaluate((name) => !!document.querySelector("vscode-tabs") && (!name || (document.querySelector("header")?.textContent ?? "").includes(name)), file),
    timeoutMs,
  );
/** The Runs view's webview. */
const runsView = (vs: VSCode, timeoutMs = 30_000) =>
  vs.webview(async (f) => f.evaluate(() => !!document.querySelector('[aria-label="Runs"]') || /No runs yet/.test(document.body.innerText)), timeoutMs);

/** Picks a colour theme from the palette and waits for the workbench to wear it. */
async function colorTheme(vs: VSCode, theme: string): Promise<void> {
  await vs.runCommand("Preferences: Color Theme");
  await sleep(500);
  await vs.page.keyboard.type(theme.replace(/^Default /, "")); // the picker's label: "Light Modern"
  await sleep(500);
  await vs.page.keyboard.press("Enter");
  const light = /Light/.test(theme);
  await until(
    `the ${theme} theme`,
    async () => (await vs.page.evaluate(() => [...(document.querySelector(".monaco-workbench")?.classList ?? [])])).includes(light ? "vs" : "vs-dark"),
    20_000,
  );
  await sleep(1000);
}

async function selectTab(frame: Frame, label: string): Promise<void> {
  await frame.locator("vscode-tab-header", { hasText: label }).first().click();
  await sleep(300);
}

/** The explorer's Epochs table: [epoch, loss, other cells…] per row, newest first as shown. */
async function epochRows(frame: Frame): Promise<{ epoch: number; loss: number; cells: string[] }[]> {
  return frame.evaluate(() => {
    for (const table of document.querySelectorAll("table")) {
      const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim().toLowerCase());
      const e = heads.indexOf("epoch");
      const l = heads.indexOf("loss");
      if (e < 0 || l < 0) continue;
      return [...table.querySelectorAll("tbody tr")].map((tr) => {
        const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? "");
        return { epoch: Number(cells[e]), loss: Number(cells[l].replace("−", "-")), cells };
      });
    }
    return [];
  });
}

/** Collects every status bar item's text, polled every 100 ms, until stop(). */
function watchStatusBar(vs: VSCode): { seen: Set<string>; stop: () => Promise<void> } {
  const seen = new Set<string>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const s of await vs.statusBar().catch(() => [])) seen.add(s);
      await sleep(100);
    }
  })();
  return { seen, stop: () => ((watching = false), watcher) };
}

/** The run header's text in the Training tab ("hello → ohlol (RNN) completed · epoch 30 / 30 …"). */
const runHeader = (frame: Frame) => frame.evaluate(() => (document.querySelector(".run-header") as HTMLElement | null)?.innerText ?? "");

/** Runs folders (newest last) under the workspace's .unroll/runs. */
function runsOnDisk(folder: string): {
  dir: string;
  info: { status: string; finalLoss?: number; name: string; backend: string; backendName: string; error?: { message: string } };
}[] {
  const root = path.join(folder, ".unroll", "runs");
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .sort()
    .filter((d) => fs.existsSync(path.join(root, d, "run.json")))
    .map((d) => ({ dir: path.join(root, d), info: JSON.parse(fs.readFileSync(path.join(root, d, "run.json"), "utf8")) }));
}

/**
 * Starts "Unroll: Train Model" on the active editor (the file `file`) and returns the explorer once it shows
 * the run, and whether the explorer showed the Training tab by itself (else it clicks the tab).
 */
async function train(vs: VSCode, file: string): Promise<{ frame: Frame; trainingShown: boolean }> {
  await vs.runCommand("Unroll: Train Model");
  const frame = await explorer(vs, 60_000, file);
  // 30 s: the explorer renders in a webview that a loaded machine (load 20+) slowed past 10 s twice.
  const trainingShown = await until("the Training tab", async () => /Loss per step/.test(await VSCode.text(frame)), 30_000).then(
    () => true,
    () => false,
  );
  if (!trainingShown) await selectTab(frame, "Training");
  await until("the Training tab to show a run", async () => (await runHeader(frame)).length > 0, 60_000);
  return { frame, trainingShown };
}

/**
 * Reads the loss chart the way a person would: moves the cursor to its left and right edges and reads uPlot's
 * legend there (the step and the loss under the cursor).
 */
async function lossChartEnds(frame: Frame): Promise<{ first: { step: number; loss: number }; last: { step: number; loss: number } }> {
  const over = frame.locator(".chart .u-over").first();
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  assert.ok(box && box.width > 50, "the loss chart has a plotting area");
  const read = async (x: number) => {
    await over.hover({ position: { x, y: box!.height / 2 } });
    await sleep(150);
    const values = await frame.evaluate(() => {
      const out: Record<string, string> = {};
      const legend = document.querySelector(".chart .u-legend");
      for (const row of legend?.querySelectorAll(".u-series") ?? []) {
        out[row.querySelector(".u-label")?.textContent?.trim() ?? ""] = row.querySelector(".u-value")?.textContent?.trim() ?? "";
      }
      return out;
    });
    const num = (v: string | undefined) => Number((v ?? "").replace(/,/g, "").replace("−", "-"));
    return { step: num(values.step), loss: num(values.loss) };
  };
  const result = { first: await read(1), last: await read(box!.width - 1) };
  await frame
    .locator("body")
    .hover({ position: { x: 2, y: 2 } })
    .catch(() => {});
  return result;
}

/** Editor groups, left to right: their x and their tabs' labels (on one line: VS Code 1.139 puts a file's extension on a
 *  line of its own in the tab's text, "05b_hello_rnn\n.ts"). */
async function editorGroups(vs: VSCode): Promise<{ x: number; tabs: string[] }[]> {
  const groups = await vs.page.locator(".editor-group-container").evaluateAll((els) =>
    els.map((e) => ({
      x: e.getBoundingClientRect().x,
      tabs: [...e.querySelectorAll(".tab")].map((t) => (t as HTMLElement).innerText.trim().replace(/\s*\n\s*/g, "")),
    })),
  );
  return groups.sort((a, b) => a.x - b.x);
}

/** The number of canvases in a frame with something drawn on them, and the largest share of ink. */
async function drawn(frame: Frame, minInk = 0.002): Promise<number> {
  return (await VSCode.canvasInk(frame)).filter((c) => c.ink >= minInk).length;
}

// ---------------------------------------------------------------------------------------------------
// 1) Shapes in the editor

test("1) hover and inlay hints show the bidirectional RNN's shapes (examples/02_rnn.ts)", { timeout: TIMEOUT }, async (t) => {
  await withVSCode({ name: "s1-shapes", folder: workspace.copyExamples() }, async (vs) => {
    t.diagnostic(`session start ${JSON.stringify(vs.timings)}`);
    record("session", vs.timings);
    await vs.openFile("02_rnn.ts");
    const { line } = positionOf(vs.file("02_rnn.ts"), "bi.forward(");
    const tHover = Date.now();
    const hover = await vs.hover("forward", { line, expect: /\[10, 3, 40\][\s\S]*\[8, 3, 20\]|\[8, 3, 20\][\s\S]*\[10, 3, 40\]/, timeoutMs: 60_000 });
    record("firstShapeHoverMs", Date.now() - tHover);
    await vs.screenshot("hover-bi-forward");
    assert.match(hover, /\[10, 3, 40\]/, "the hover shows output [10, 3, 40]");
    assert.match(hover, /\[8, 3, 20\]/, "the hover shows h_n [8, 3, 20]");
    await vs.page.mouse.move(5, 5);
    const hints = await until(`inlay hints on line ${line}`, async () => {
      const h = (await vs.inlayHints(line)).join(" ");
      return h.includes("[10, 3, 40]") && h.includes("[8, 3, 20]") ? h : undefined;
    });
    t.diagnostic(`line ${line}: ${await vs.lineText(line)}`);
    await vs.screenshot("inlay-hints");
    assert.match(hints, /\[10, 3, 40\].*\[8, 3, 20\]/);
    const activationMs = await vs.activationMs();
    record("activationMs", activationMs);
    t.diagnostic(`Unroll activated in ${activationMs} ms`);
    assert.ok(activationMs < 1000, `activation took ${activationMs} ms`);
  });
});

// ---------------------------------------------------------------------------------------------------
// 2) A shape mismatch is a diagnostic at its line, gone once fixed

const MISMATCH = `import { nn, torch } from "unroll";

const lstm = new nn.LSTM(100, 20);
const x = torch.randn([10, 3, 50]);
const [out, [hN, cN]] = lstm.forward(x);
console.log(out.shape, hN.shape, cN.shape);
`;

test("2) a shape mismatch shows as a diagnostic at its line and disappears once fixed", { timeout: TIMEOUT }, async () => {
  const folder = workspace.bare({ "mismatch.ts": MISMATCH });
  await withVSCode({ name: "s2-diagnostic", folder }, async (vs) => {
    await vs.openFile("mismatch.ts");
    const unrollErrors = async () => (await vs.problems()).filter((p) => p.severity === "error" && /LSTM/.test(p.label));
    const [problem] = await until(
      "the shape error in the Problems view",
      async () => {
        const found = await unrollErrors();
        return found.length ? found : undefined;
      },
      60_000,
    );
    await vs.screenshot("diagnostic");
    assert.match(problem.label, /\[10, 3, 50\]/, "the message names the input's shape");
    assert.match(problem.label, /100/, "the message names the expected size");
    assert.match(problem.label, /\b(line|Ln) 5\b/, `at line 5: ${problem.label}`);
    assert.ok((await vs.squiggles()).errors > 0, "the editor underlines the error");
    // Fix the input ([10, 3, 50] → [10, 3, 100]) and save.
    const at = positionOf(vs.file("mismatch.ts"), "50]");
    await vs.goTo(at.line, at.column);
    await vs.page.keyboard.press("Shift+ArrowRight");
    await vs.page.keyboard.press("Shift+ArrowRight");
    await vs.type("100");
    await vs.save();
    await until("the shape error to disappear", async () => (await unrollErrors()).length === 0 && (await vs.squiggles()).errors === 0, 60_000);
    await vs.screenshot("fixed");
    assert.match(fs.readFileSync(vs.file("mismatch.ts"), "utf8"), /randn\(\[10, 3, 100\]\)/);
  });
});

// ---------------------------------------------------------------------------------------------------
// 3) Train Model: the explorer beside the editor, a falling loss curve, "ohlol", the status bar

test('3) "Unroll: Train Model" on examples/05b_hello_rnn.ts: explorer beside, falling loss, "ohlol", status bar', { timeout: TIMEOUT }, async (t) => {
  const folder = workspace.copyExamples();
  // The .vsix for this machine carries the native kernels (prebuilds/linux-x64/): then the run must use them.
  const native = vsixFiles(vsixPath()).some((f) => /^extension\/prebuilds\/[^/]+\/unroll_native_\w+\.node$/.test(f));
  await withVSCode({ name: "s3-train", folder }, async (vs) => {
    await vs.openFile("05b_hello_rnn.ts");
    const status = watchStatusBar(vs);
    const statusSeen = status.seen;
    const tTrain = Date.now();
    let frame: Frame;
    let trainingShown: boolean;
    try {
      ({ frame, trainingShown } = await train(vs, "05b_hello_rnn.ts"));
      await vs.screenshot("training-started");
      await until("the run to complete", async () => /completed/i.test(await runHeader(frame)), 120_000);
    } finally {
      await sleep(500);
      await status.stop();
    }
    record("train05bMs", Date.now() - tTrain);
    await sleep(500);
    await vs.screenshot("training-completed");
    const statuses = [...statusSeen].filter((s) => /unroll|epoch|loss|wasm|webassembly|train/i.test(s));
    t.diagnostic(`status bar items seen: ${JSON.stringify(statuses)}`);
    // Beside the editor: the explorer's tab in an editor group to the right of the model file's.
    const groups = await editorGroups(vs);
    t.diagnostic(`editor groups: ${JSON.stringify(groups)}`);
    const editorGroup = groups.findIndex((g) => g.tabs.some((tab) => /^05b_hello_rnn\.ts/.test(tab)));
    const panelGroup = groups.findIndex((g) => g.tabs.some((tab) => /Unroll.*05b_hello_rnn/.test(tab)));
    assert.ok(editorGroup >= 0 && panelGroup > editorGroup, "the explorer opens in an editor group beside (right of) the model file");
    // The epochs: the loss falls, the prediction reaches "ohlol".
    const rows = await epochRows(frame);
    assert.ok(rows.length >= 10, `epochs listed: ${rows.length}`);
    const byEpoch = [...rows].sort((a, b) => a.epoch - b.epoch);
    t.diagnostic(`epochs: ${byEpoch[0].epoch} loss ${byEpoch[0].loss} → ${byEpoch.at(-1)!.epoch} loss ${byEpoch.at(-1)!.loss}`);
    assert.ok(byEpoch.at(-1)!.loss < byEpoch[0].loss / 2, "the epochs' loss falls by more than half");
    assert.match(await VSCode.text(frame), /ohlol/, "the predicted string reaches ohlol");
    // The loss curve: drawn, over every step (30: one batch per epoch), and falling.
    assert.ok((await drawn(frame)) >= 1, "the loss chart is drawn");
    const ends = await lossChartEnds(frame);
    t.diagnostic(`loss chart: step ${ends.first.step} loss ${ends.first.loss} → step ${ends.last.step} loss ${ends.last.loss}`);
    assert.ok(ends.last.step >= 30, `the loss curve reaches the last step (it ends at step ${ends.last.step} of 30)`);
    assert.ok(ends.last.loss < ends.first.loss / 2, `the loss curve falls (${ends.first.loss} → ${ends.last.loss})`);
    // The status bar told the backend and the progress.
    assert.ok(
      statuses.some((s) => /wasm|webassembly|cpu|tfjs-node|webgpu|cuda/i.test(s)),
      "the status bar shows the backend",
    );
    assert.ok(
      statuses.some((s) => /epoch|\d+\s*\/\s*30|\d+%/i.test(s)),
      "the status bar shows the progress",
    );
    assert.ok(trainingShown, "Train Model shows the Training tab (the loss curve) by itself");
    // With the .vsix's native kernels: the status bar names them, and the run recorded what ran.
    const [run] = runsOnDisk(folder);
    t.diagnostic(`${path.basename(vsixPath())}: ${native ? "with" : "without"} native kernels; run's backend: ${run.info.backend}`);
    if (native) {
      assert.ok(
        statuses.some((s) => /Unroll wasm \+ native/.test(s)),
        "the status bar shows the native kernels",
      );
      assert.equal(run.info.backendName, "wasm + native");
      assert.match(run.info.backend, /\+ native kernels \(Eigen 3\.4\.\d+, (AVX512|AVX2|SSE2), \d+ threads?\)/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// 4) The Runs view lists the run with its final loss, and keeps it (and its curve) across a reload

test("4) the Runs view lists the run with its final loss, still there after Developer: Reload Window", { timeout: TIMEOUT }, async (t) => {
  const folder = workspace.copyExamples();
  await withVSCode({ name: "s4-runs", folder }, async (vs) => {
    await vs.openFile("05b_hello_rnn.ts");
    const { frame } = await train(vs, "05b_hello_rnn.ts");
    await until("the run to complete", async () => /completed/i.test(await runHeader(frame)), 120_000);
    const [run] = runsOnDisk(folder);
    assert.ok(run, "the run is stored under .unroll/runs");
    assert.equal(run.info.status, "completed");
    const finalLoss = run.info.finalLoss!;
    assert.equal(typeof finalLoss, "number", "run.json has the final loss");
    const showsRun = async (view: Frame) => {
      const text = await VSCode.text(view);
      const numbers = [...text.matchAll(/loss\s+([\d.e+−-]+)/g)].map((m) => Number(m[1].replace("−", "-")));
      return text.includes(run.info.name) && numbers.some((n) => Math.abs(n - finalLoss) <= Math.max(5e-4, Math.abs(finalLoss) * 0.01));
    };
    await vs.activity("Unroll");
    let view = await runsView(vs);
    await until(`the Runs view to list "${run.info.name}" with loss ${finalLoss}`, () => showsRun(view));
    await vs.screenshot("runs-view");
    t.diagnostic(`Runs view: ${(await VSCode.text(view)).replace(/\s+/g, " ").slice(0, 300)}`);
    assert.ok((await drawn(view)) >= 1, "the run's loss sparkline is drawn");

    await vs.reload();
    await vs.activity("Unroll").catch(() => {});
    view = await runsView(vs, 30_000).catch(async () => {
      // code-server serves every webview from one origin, and now and then (about 1 reload in 6 here) leaves
      // a webview view blank after a reload. A hidden view is disposed and re-resolved when shown again, which
      // is what a person does: switch to the Explorer and back. The assertions below stay as they are.
      t.diagnostic("the Runs view was blank after the reload: showing it again once (code-server webview quirk)");
      await vs.screenshot("blank-after-reload");
      await vs.activity("Explorer");
      await vs.activity("Unroll");
      return runsView(vs, 30_000);
    });
    await until("the Runs view to list the run again after the reload", () => showsRun(view), 60_000);
    assert.ok((await drawn(view)) >= 1, "the sparkline is drawn after the reload");
    // Its curve: the explorer (restored, or opened from the Runs view) draws the stored run.
    let panel = await explorer(vs, 5_000).catch(() => null);
    if (!panel) {
      // The name titles the run's experiment (a group that folds); the row below it opens the run.
      await view.locator("li.run .run-name").first().click();
      panel = await explorer(vs, 30_000);
    }
    await selectTab(panel, "Training");
    await until("the stored run's epochs in the explorer", async () => (await epochRows(panel!)).length >= 10, 30_000);
    await until("the stored run's loss curve", async () => (await drawn(panel!)) >= 1, 30_000);
    await vs.screenshot("after-reload");
    const ends = await lossChartEnds(panel);
    assert.ok(
      ends.last.step >= 30 && ends.last.loss < ends.first.loss / 2,
      `the stored curve: step ${ends.first.step} loss ${ends.first.loss} → step ${ends.last.step} loss ${ends.last.loss}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// 5) Stop Training ends a long run as stopped, quickly, keeping its curve

test('5) "Unroll: Stop Training" ends a long run as stopped long before it would have finished, its curve kept', { timeout: TIMEOUT }, async (t) => {
  const long = example("05b_hello_rnn.ts")
    .replace(/epochs:\s*30\b/, "epochs: 1000000")
    .replace(/name:\s*"[^"]*"/, 'name: "a long run"');
  assert.match(long, /epochs: 1000000/);
  const folder = workspace.bare({ "long_run.ts": long });
  await withVSCode({ name: "s5-stop", folder }, async (vs) => {
    await vs.openFile("long_run.ts");
    const { frame } = await train(vs, "long_run.ts");
    await until("some epochs to be plotted", async () => (await epochRows(frame)).length >= 20, 60_000);
    await vs.screenshot("running");
    const tStop = Date.now();
    await vs.runCommand("Unroll: Stop Training");
    let onDiskMs: number | undefined;
    try {
      await until(
        "the run to end as stopped",
        async () => {
          if (onDiskMs === undefined && runsOnDisk(folder)[0]?.info.status === "stopped") onDiskMs = Date.now() - tStop;
          return /stopped/i.test(await runHeader(frame));
        },
        STOP_LIMIT_MS,
        100,
      );
    } catch (error) {
      const [run] = runsOnDisk(folder);
      const header = (await runHeader(frame)).replace(/\s+/g, " ").slice(0, 120);
      throw new Error(
        `${(error as Error).message}: ${STOP_LIMIT_MS / 1000} s after Stop the explorer says "${header}"; run.json says ${run?.info.status}` +
          `${onDiskMs !== undefined ? ` (since ${onDiskMs} ms after Stop)` : ""} at epoch ${(run?.info as { epoch?: number })?.epoch}`,
        { cause: error },
      );
    }
    const stopMs = Date.now() - tStop;
    t.diagnostic(`run.json said stopped ${onDiskMs ?? "?"} ms after the command`);
    record("stopMs", stopMs);
    t.diagnostic(`stopped ${stopMs} ms after the command (target: a few seconds on an idle machine)`);
    const stored = runsOnDisk(folder)[0]?.info as { epoch?: number; startedAt?: string; endedAt?: string } | undefined;
    if (stored?.epoch && stored.startedAt && stored.endedAt) {
      const perEpochMs = (Date.parse(stored.endedAt) - Date.parse(stored.startedAt)) / stored.epoch;
      t.diagnostic(`${stored.epoch} epochs ran; all 1,000,000 would have taken about ${((perEpochMs * 1_000_000) / 3_600_000).toFixed(1)} h`);
    }
    assert.ok(stopMs < STOP_LIMIT_MS, `stopped within ${STOP_LIMIT_MS / 1000} s of the command (${stopMs} ms)`);
    await sleep(1500);
    await vs.screenshot("stopped");
    const rows = await epochRows(frame);
    assert.ok(rows.length >= 20, "the epochs so far stay");
    assert.ok((await drawn(frame)) >= 1, "the curve so far stays");
    const lastEpoch = Math.max(...rows.map((r) => r.epoch));
    const ends = await lossChartEnds(frame);
    t.diagnostic(`stopped at epoch ${lastEpoch}; the curve: step ${ends.first.step} → ${ends.last.step}`);
    assert.ok(ends.last.step >= lastEpoch, `the curve so far is drawn up to the last epoch (${lastEpoch}; it ends at step ${ends.last.step})`);
    const [run] = runsOnDisk(folder);
    assert.equal(run?.info.status, "stopped", "run.json says stopped");
  });
});

// ---------------------------------------------------------------------------------------------------
// 6) Parameters and Dynamics: the LSTM's weight_hh_l0 [400, 100] heatmap with gates, the hidden state

// Lesson 3's LSTM (nn.LSTM(50, 100, num_layers=2): weight_hh_l0 [400, 100]) as an experiment, so that a
// run records parameter snapshots and dynamics. (No example trains an LSTM of that size.)
const LSTM_EXPERIMENT = `import { defineExperiment, nn, optim, torch } from "unroll";

export default defineExperiment({
  name: "LSTM(50, 100, num_layers=2)",
  epochs: 4,
  model: () => {
    torch.manualSeed(0);
    return new nn.LSTM(50, 100, { numLayers: 2 });
  },
  data: () => ({ train: [[torch.randn([10, 3, 50]), torch.randn([10, 3, 100])]] }),
  loss: () => new nn.MSELoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.01 }),
  // nn.LSTM returns [output, [h_n, c_n]]: the loss is on the output.
  step: ({ model, batch: [x, y], loss }) => loss(model(x)[0], y),
});
`;

test("6) Parameters and Dynamics show weight_hh_l0 [400, 100] with its gates and a hidden-state heatmap", { timeout: TIMEOUT }, async () => {
  const folder = workspace.bare({ "lstm.ts": LSTM_EXPERIMENT });
  await withVSCode({ name: "s6-parameters", folder, settings: { "unroll.snapshotEvery": 1 } }, async (vs) => {
    await vs.openFile("lstm.ts");
    const { frame } = await train(vs, "lstm.ts");
    await until("the run to complete", async () => /completed/i.test(await runHeader(frame)), 120_000);

    await selectTab(frame, "Parameters");
    const card = frame.locator('[data-param="weight_hh_l0"], [data-param$=".weight_hh_l0"]').first();
    await until("weight_hh_l0 in the Parameters tab", async () => /weight_hh_l0/.test(await VSCode.text(frame)), 30_000);
    const text = await VSCode.text(frame);
    assert.match(text, /weight_hh_l0\s*\[400, 100\]/, "weight_hh_l0 is listed as [400, 100]");
    await card.scrollIntoViewIfNeeded();
    await sleep(300);
    await vs.screenshot("parameters");
    const cardText = await card.innerText();
    assert.match(cardText, /gates i f g o/, `the card names the gates: ${cardText}`);
    // The heatmap is drawn, and each quarter of its rows is one gate (its tooltip names it).
    const heatmap = card.locator("canvas.heatmap").first();
    const box = await heatmap.boundingBox();
    assert.ok(box && box.width > 50 && box.height > 50, "the heatmap has a size");
    const gates: string[] = [];
    for (const quarter of [0.125, 0.375, 0.625, 0.875]) {
      await heatmap.hover({ position: { x: box!.width * 0.6, y: box!.height * quarter } });
      gates.push((await heatmap.getAttribute("title")) ?? "");
    }
    assert.match(gates[0], /input gate/, gates[0]);
    assert.match(gates[1], /forget gate/, gates[1]);
    assert.match(gates[2], /cell/, gates[2]);
    assert.match(gates[3], /output gate/, gates[3]);
    const colorsOf = (c: HTMLCanvasElement) => {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      const colors = new Set<number>();
      for (let i = 0; i < d.length; i += 16) colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return colors.size;
    };
    const ink = await until(
      "the heatmap to be drawn",
      async () => {
        const n = await heatmap.evaluate(colorsOf);
        return n > 20 ? n : undefined;
      },
      10_000,
    ).catch(() => 0);
    assert.ok(ink > 20, `the heatmap shows values (${ink} colours)`);

    await selectTab(frame, "Dynamics");
    await until("the hidden-state heatmap", async () => /Hidden state/i.test(await VSCode.text(frame)), 30_000);
    await sleep(300);
    await vs.screenshot("dynamics");
    const hidden = frame.locator('canvas.heatmap[aria-label^="Hidden state"]').first();
    await hidden.waitFor({ state: "visible", timeout: 10_000 });
    const hiddenColors = await until(
      "the hidden-state heatmap to be drawn",
      async () => {
        const n = await hidden.evaluate(colorsOf);
        return n > 20 ? n : undefined;
      },
      10_000,
    ).catch(() => 0);
    assert.ok(hiddenColors > 20, `the hidden-state heatmap shows values (${hiddenColors} colours)`);
  });
});

// ---------------------------------------------------------------------------------------------------
// 7) A bare folder: types and completions for "unroll" without node_modules or tsconfig.json

const BARE = `import { nn, torch } from "unroll";

const lstm = new nn.LSTM(10, 20);
const [out, [hN, cN]] = lstm.forward(torch.randn([5, 3, 10]));
console.log(out.shape, hN.shape, cN.shape);
`;

test("7) a bare folder (no node_modules, no tsconfig): no type errors, and completion offers LSTM after nn.", { timeout: TIMEOUT }, async () => {
  const folder = workspace.bare({ "model.ts": BARE });
  assert.ok(!fs.existsSync(path.join(folder, "node_modules")) && !fs.existsSync(path.join(folder, "tsconfig.json")));
  await withVSCode({ name: "s7-bare-folder", folder }, async (vs) => {
    await vs.openFile("model.ts");
    // TypeScript knows LSTM (an unresolved "unroll" would make it `any`).
    const hover = await vs.hover("LSTM", { line: 3, expect: /(class|constructor)[^\n]*LSTM|LSTM\(inputSize/, timeoutMs: 90_000 });
    assert.doesNotMatch(hover, /\bany\b/);
    await vs.page.mouse.move(5, 5);
    // Let TypeScript finish its diagnostics, then read the Problems view.
    await until("TypeScript to finish", async () => !(await vs.statusBar()).some((s) => /Analyzing|Initializing JS\/TS|Loading IntelliSense/.test(s)), 60_000);
    await sleep(3000);
    const problems = await vs.problems();
    await vs.screenshot("problems");
    assert.deepEqual(
      problems.filter((p) => p.severity === "error").map((p) => p.label),
      [],
      "no errors in the Problems view",
    );
    assert.equal((await vs.squiggles()).errors, 0, "no error squiggles");
    // Completion after `nn.`.
    await vs.goTo(6, 1);
    await vs.type("nn.");
    let labels = await vs.completions(false).catch(() => [] as string[]);
    if (!labels.includes("LSTM")) {
      await vs.type("LS");
      labels = await vs.completions(true);
    }
    await vs.screenshot("completion");
    assert.ok(labels.includes("LSTM"), `completion offers LSTM (offered: ${labels.join(", ")})`);
  });
});

// ---------------------------------------------------------------------------------------------------
// 8) An untrusted workspace: nothing runs, and the user is told why

test("8) an untrusted workspace: nothing runs, and the hover says why", { timeout: TIMEOUT }, async () => {
  const folder = workspace.copyExamples();
  await withVSCode({ name: "s8-untrusted", folder, trusted: false }, async (vs) => {
    // The Restricted Mode indicator appears a moment after the workbench: wait for it rather than read once.
    let status = "";
    await until(
      "the Restricted Mode indicator in the status bar",
      async () => /Restricted Mode/i.test((status = (await vs.statusBar()).join(" | "))),
      20_000,
    ).catch(() => {});
    assert.match(status, /Restricted Mode/i, `the window is in Restricted Mode: ${status}`);
    await vs.openFile("02_rnn.ts");
    const { line } = positionOf(vs.file("02_rnn.ts"), "bi.forward(");
    const hover = await vs.hover("forward", { line, expect: /trust/i, timeoutMs: 60_000 });
    await vs.screenshot("hover-untrusted");
    assert.match(hover, /trusted workspace/i, "the hover says model files run only in trusted workspaces");
    assert.doesNotMatch(hover, /\[10, 3, 40\]/, "no traced shapes");
    await vs.page.mouse.move(5, 5);
    // Training is refused, with a reason.
    await vs.runCommand("Unroll: Train Model");
    const note = await until("a notification about trust", async () => (await vs.notifications()).find((n) => /trust/i.test(n)), 20_000);
    await vs.screenshot("train-refused");
    assert.match(note, /trusted/i);
    await sleep(3000);
    assert.deepEqual(await vs.inlayHints(line), [], "no inlay hints: nothing was traced");
    assert.ok(!fs.existsSync(path.join(folder, ".unroll")), "no run was started");
  });
});

// ---------------------------------------------------------------------------------------------------
// 9) A model file that throws: the error at the user's line; the extension keeps working

const THROWS = `import { defineExperiment, nn, optim, type Tensor } from "unroll";

function loadData(): [Tensor, Tensor][] {
  const rows: number[] = [];
  if (rows.length === 0) throw new Error("no training data: the data file is empty");
  return [];
}

export default defineExperiment({
  name: "throws",
  epochs: 3,
  model: () => new nn.RNN(4, 4),
  data: () => ({ train: loadData() }),
  loss: () => new nn.MSELoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),
});
`;

test("9) a model file that throws: the error shows at the user's line; a good file then trains", { timeout: TIMEOUT }, async (t) => {
  const folder = workspace.bare({ "throws.ts": THROWS, "hello.ts": example("05b_hello_rnn.ts") });
  const throwLine = positionOf(path.join(folder, "throws.ts"), "throw new Error").line;
  const atLine = new RegExp(`\\b(line|Ln) ${throwLine}\\b|throws\\.ts:${throwLine}\\b`);
  await withVSCode({ name: "s9-error", folder }, async (vs) => {
    await vs.openFile("throws.ts");
    await vs.runCommand("Unroll: Train Model");
    // The error is told with the user's line: in the Problems view, or in a notification naming throws.ts:<line>.
    const shown = await until(
      `the error, with line ${throwLine}`,
      async () => {
        const problem = (await vs.problems()).find((p) => p.severity === "error" && /no training data/.test(p.label));
        if (problem) return { where: "problems", text: problem.label };
        const note = (await vs.notifications()).find((n) => /no training data/.test(n));
        if (note) return { where: "notification", text: note };
        return undefined;
      },
      60_000,
    );
    t.diagnostic(`error shown in the ${shown.where}: ${shown.text.replace(/\s+/g, " ")}`);
    await vs.screenshot("error");
    assert.match(shown.text, atLine, `the error names line ${throwLine}: ${shown.text}`);
    // Going to the error puts the cursor on the throw.
    if (shown.where === "notification") {
      const action = vs.page.locator(".notification-toast .monaco-button", { hasText: /Show|Go to|Open/ }).first();
      if (await action.isVisible().catch(() => false)) {
        await action.click();
        await until(`the cursor at line ${throwLine}`, async () => (await vs.statusBar()).some((s) => new RegExp(`Ln ${throwLine},`).test(s)), 10_000);
        await vs.screenshot("error-line");
      }
    }
    // A good file trains afterwards.
    await vs.openFile("hello.ts");
    const { frame } = await train(vs, "hello.ts");
    await until("the good run to complete", async () => /completed/i.test(await runHeader(frame)) && /ohlol/.test(await VSCode.text(frame)), 120_000);
    await vs.screenshot("good-run");
    const runs = runsOnDisk(folder);
    assert.ok(
      runs.some((r) => r.info.status === "completed"),
      "the good run completed",
    );
    for (const r of runs.filter((r) => r.info.name === "throws")) assert.equal(r.info.status, "failed");
  });
});

// ---------------------------------------------------------------------------------------------------
// 10) Experiment files: shapes inside the model's forward, and a shape error there as a squiggle

const BROKEN_EXPERIMENT = `import { defineExperiment, nn, optim, torch, type Tensor } from "unroll";

class Model extends nn.Module {
  lstm = new nn.LSTM(4, 8);
  fc = new nn.Linear(8, 3);
  override forward(x: Tensor): Tensor {
    const [out] = this.lstm.forward(x);
    return this.fc.forward(out.mean(0));
  }
}

export default defineExperiment({
  epochs: 1,
  model: () => new Model(),
  data: () => ({ train: [[torch.randn([5, 2, 6]), torch.tensor([0, 2])]] }),
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),
});
`;

test("10) experiments: hovers and inlay hints inside forward (05b, 06), a squiggle inside forward for a broken one", { timeout: TIMEOUT }, async (t) => {
  const folder = workspace.copyExamples();
  fs.writeFileSync(path.join(folder, "broken_experiment.ts"), BROKEN_EXPERIMENT);
  await withVSCode({ name: "s10-experiments", folder }, async (vs) => {
    await vs.openFile("05b_hello_rnn.ts");
    const rnnLine = positionOf(vs.file("05b_hello_rnn.ts"), "this.rnn.forward(x, h0)").line;
    const hover = await vs.hover("forward", { line: rnnLine, expect: /out \[1, 5, 4\]/, timeoutMs: 60_000 });
    await vs.screenshot("experiment-hover-05b");
    assert.match(hover, /h_n \[1, 1, 4\]/, "the hover shows every output of the call inside forward");
    await vs.page.mouse.move(5, 5);
    const hints = await until(`inlay hints on line ${rnnLine}`, async () => {
      const h = (await vs.inlayHints(rnnLine)).join(" ");
      return h.includes("[1, 5, 4]") ? h : undefined;
    });
    t.diagnostic(`05b line ${rnnLine} hints: ${hints}`);
    // The explorer's Shapes tab: the calls inside forward, and the RNN unrolled over the example batch's 5 steps.
    await vs.runCommand("Unroll: Open Explorer");
    const frame = await explorer(vs, 60_000, "05b_hello_rnn.ts");
    await selectTab(frame, "Shapes");
    const shapesTab = await until(
      "the Shapes tab with the experiment's calls",
      async () => {
        const text = await VSCode.text(frame);
        return /one training step on the example batch/.test(text) && /unrolled/.test(text) ? text : undefined;
      },
      30_000,
    );
    await vs.screenshot("experiment-shapes-tab");
    assert.match(shapesTab, /input \[1, 5, 4\]/, "the example batch's shape");
    assert.match(shapesTab, /RNN\(4, 4, batch_first=True\) unrolled/, "the unrolled diagram of the RNN inside forward");

    await vs.openFile("06_names_classifier.ts");
    const gruLine = positionOf(vs.file("06_names_classifier.ts"), "this.rnn(packed)").line;
    const gruHover = await vs.hover("rnn", { line: gruLine, expect: /h_n \[4, 8, 64\]/, timeoutMs: 60_000 });
    await vs.screenshot("experiment-hover-06");
    assert.match(gruHover, /PackedSequence/, "the hover says the GRU took a packed sequence");
    await vs.page.mouse.move(5, 5);
    await until(`inlay hints on line ${gruLine}`, async () => ((await vs.inlayHints(gruLine)).join(" ").includes("[4, 8, 64]") ? true : undefined));

    await vs.openFile("broken_experiment.ts");
    const forwardLine = positionOf(vs.file("broken_experiment.ts"), "this.lstm.forward(x)").line;
    const exportLine = positionOf(vs.file("broken_experiment.ts"), "export default").line;
    const problems = await until(
      "the shape error inside forward in the Problems view",
      async () => {
        const found = (await vs.problems()).filter((p) => p.severity === "error" && /\[5, 2, 6\]/.test(p.label));
        return found.some((p) => new RegExp(`\\b(line|Ln) ${forwardLine}\\b`).test(p.label)) ? found : undefined;
      },
      60_000,
    );
    await vs.screenshot("experiment-squiggle");
    t.diagnostic(problems.map((p) => p.label).join("\n"));
    assert.ok(
      problems.some((p) => /last dimension must be 4/.test(p.label)),
      "the message says which dimension is wrong and why",
    );
    assert.ok(
      problems.some((p) => new RegExp(`\\b(line|Ln) ${exportLine}\\b`).test(p.label)),
      "the experiment that led there is marked too",
    );
    assert.ok((await vs.squiggles()).errors > 0, "the editor underlines the error");
  });
});

// ---------------------------------------------------------------------------------------------------
// 11) Unroll in Chinese: the palette, the walkthrough (in a folder without the lessons), a hover with a shape error
// explained in Chinese under PyTorch's English, and the explorer panel. The workbench's own strings stay English:
// its language packs come from the Marketplace, out of reach here (see StartOptions.locale).

test("11) in Chinese (--locale zh-cn): palette, walkthrough, hover and explorer speak it", { timeout: TIMEOUT }, async () => {
  const folder = workspace.bare({ "mismatch.ts": MISMATCH });
  await withVSCode({ name: "s11-zh-cn", folder, locale: "zh-cn" }, async (vs) => {
    await vs.openFile("mismatch.ts");
    // The palette: a command title from package.nls.zh-cn.json opens the walkthrough.
    await vs.runCommand("Unroll: Unroll 入门");
    const walkthrough = vs.page.locator(".gettingStartedContainer");
    await until("the walkthrough in Chinese", async () => /Unroll 入门[\s\S]*打开第一课/.test(await walkthrough.innerText().catch(() => "")), 30_000);
    // Its media pane: the step's Chinese markdown (1-rnnCell.nls.zh-cn.md, which VS Code reads for zh-cn).
    await vs.webview("RNNCell：一次一个时间步", 30_000);
    await vs.screenshot("walkthrough");
    // Its first step's button copies lesson 1 into this folder (it has none) and opens it.
    await vs.page.getByRole("button", { name: "打开第 1 课" }).click();
    await until("lesson 1 copied into the workspace", async () => fs.existsSync(vs.file("01_rnncell_by_hand.ts")), 30_000);
    const { line } = positionOf(vs.file("01_rnncell_by_hand.ts"), "cell.forward(");
    await vs.hover("forward", { line, expect: "[5, 200]", timeoutMs: 60_000 });
    assert.match(fs.readFileSync(vs.file("01_rnncell_by_hand.ts"), "utf8"), /第 1 课/, "the lesson's opening comment is in Chinese too");

    // The shape error: PyTorch's English, then one line in Chinese.
    // (Its tab, not Quick Open: the hover the step's button showed keeps Control+P from reaching the workbench.)
    await vs.page.locator(".tabs-container .tab", { hasText: "mismatch.ts" }).click();
    await vs.page.mouse.move(5, 5);
    const at = positionOf(vs.file("mismatch.ts"), "lstm.forward(");
    const hover = await vs.hover("forward", { line: at.line, expect: "输入的最后一维", timeoutMs: 60_000 });
    await vs.screenshot("hover-shape-error");
    assert.match(hover, /the last dimension must be 100 \(input_size\), not 50/);
    assert.match(hover, /形状错误[\s\S]*输入的最后一维应为 100（input_size），实际为 50/);

    // The explorer panel: its tabs and the error banner.
    await vs.runCommand("Unroll: 打开浏览器面板");
    const frame = await vs.webview(async (f) => f.evaluate(() => !!document.querySelector("vscode-tabs")), 30_000);
    const text = await until(
      "the explorer in Chinese",
      async () => {
        const t = await VSCode.text(frame);
        return /形状错误/.test(t) ? t : undefined;
      },
      30_000,
    );
    await vs.screenshot("explorer");
    for (const tab of ["形状", "训练", "参数", "动态"]) assert.ok(text.includes(tab), `the ${tab} tab`);
    assert.match(text, /模块 \/ 调用|输入 → 输出/);

    // Step 3 of the walkthrough trains "hello" (copied into this folder): Training, Parameters, Dynamics in Chinese.
    await vs.runCommand("Unroll: Unroll 入门");
    await walkthroughStep(vs, "trainHello").click();
    await vs.page.getByRole("button", { name: "训练第 5b 课" }).click();
    const hello = await explorer(vs, 60_000, "05b_hello_rnn.ts");
    await until("the run to complete", async () => /已完成/.test(await runHeader(hello)), 120_000);
    await selectTab(hello, "训练");
    await until("the Training tab's epochs", async () => /ohlol/.test(await VSCode.text(hello)), 30_000);
    await vs.screenshot("training");
    const training = await VSCode.text(hello);
    assert.match(training, /每步的损失/);
    await selectTab(hello, "参数");
    await until("weight_hh_l0 in the Parameters tab", async () => /weight_hh_l0/.test(await VSCode.text(hello)), 30_000);
    await vs.screenshot("parameters");
    await selectTab(hello, "动态");
    await until("the Dynamics tab", async () => /隐藏状态/.test(await VSCode.text(hello)), 30_000);
    await vs.screenshot("dynamics");
    console.log(`# s11 untranslated words left in the explorer: ${JSON.stringify(englishWords([training, await VSCode.text(hello)].join("\n")))}`);

    // Steps 1 and 3 completed themselves when their buttons ran (completionEvents: onCommand:unroll.tour.…).
    await vs.runCommand("Unroll: Unroll 入门");
    await until("steps 1 and 3 checked", async () => (await stepDone(vs, "rnnCell")) && (await stepDone(vs, "trainHello")), 30_000);
    assert.equal(await stepDone(vs, "lstmWeights"), false, "step 2 was not done");
    await vs.screenshot("walkthrough-steps-done");
  });
});

/** A step of Unroll's walkthrough in the Welcome page's list (its id ends the one VS Code gives it). */
const walkthroughStep = (vs: VSCode, id: string) => vs.page.locator(`button.getting-started-step[data-step-id$="${id}"]`).first();
/** Whether VS Code shows the step as done (its check mark). */
const stepDone = async (vs: VSCode, id: string) =>
  (await walkthroughStep(vs, id)
    .getAttribute("aria-checked")
    .catch(() => null)) === "true";
/** Words of English in a text that should be Chinese, beyond the code names (weight_hh_l0, RNN, ohlol…) it keeps. */
const englishWords = (text: string) =>
  [...new Set(text.match(/\b[a-z]{4,}\b/g) ?? [])].filter((w) => !/^(ohlol|hello|predicted|weight|bias|wasm|embedded|simd|native|kernels|threads)$/.test(w));

// ---------------------------------------------------------------------------------------------------
// 12) The Runs table: three runs of 05b with different learning rates, compared

test("12) the Runs table shows the lr of three runs of 05b and marks the best final loss", { timeout: TIMEOUT }, async (t) => {
  const folder = workspace.copyExamples();
  // The lesson trained three times with another learning rate each (one experiment), by the CLI before VS Code opens.
  const file = path.join(folder, "05b_hello_rnn.ts");
  for (const lr of ["0.01", "0.03", "0.3"]) {
    execFileSync(process.execPath, [path.join(REPO, "dist", "cli.js"), "train", file, "--no-check", "--set", `lr=${lr}`], {
      cwd: folder,
      encoding: "utf8",
      timeout: 120_000,
    });
  }
  const runs = runsOnDisk(folder).filter((r) => /05b_hello_rnn/.test((r.info as { file?: string }).file ?? ""));
  assert.equal(runs.length, 3, "three runs stored");
  const lrOf = (r: (typeof runs)[number]) => (r.info as { hparams?: { lr?: number } }).hparams?.lr;
  assert.deepEqual(runs.map(lrOf).sort(), [0.01, 0.03, 0.3], "each run.json records its lr");
  const best = runs.reduce((a, b) => (b.info.finalLoss! < a.info.finalLoss! ? b : a));

  await withVSCode({ name: "s12-runs-table", folder }, async (vs) => {
    await vs.activity("Unroll");
    const view = await runsView(vs);
    await until("the Runs view to list the three runs", async () => (await view.locator("li.run").count()) >= 3, 60_000);
    await vs.runCommand("Unroll: Compare Runs");
    const table = await vs.webview(async (f) => f.evaluate(() => !!document.querySelector('[aria-label="Runs table"] tbody td.num')), 30_000);
    const read = () =>
      table.evaluate(() => {
        const heads = [...document.querySelectorAll("thead tr:last-child th")].map((th) => th.textContent?.replace(/[▲▼]/g, "").trim() ?? "");
        const rows = [...document.querySelectorAll("tbody tr.run-row")].map((tr) =>
          [...tr.querySelectorAll("td")].map((td) => ({ text: td.textContent?.trim() ?? "", best: td.classList.contains("best") })),
        );
        const same = document.querySelector(".same")?.textContent ?? "";
        return { heads, rows, same };
      });
    await until("the table to list the three runs", async () => (await read()).rows.length === 3, 30_000);
    const { heads, rows, same } = await read();
    t.diagnostic(`columns: ${heads.join(" | ")}; ${same}`);
    const lr = heads.indexOf("lr");
    const loss = heads.indexOf("loss"); // the first "loss" is the Final group's
    assert.ok(lr > 0, `an lr column (columns: ${heads.join(", ")})`);
    assert.ok(loss > lr, "a final loss column after the hyperparameters");
    assert.deepEqual(rows.map((r) => Number(r[lr].text)).sort(), [0.01, 0.03, 0.3], "the lr of each run");
    assert.match(same, /Same in all:.*optimizer Adam/, "the columns the runs share are folded into a note");
    const marked = rows.filter((r) => r[loss].best);
    assert.equal(marked.length, 1, "one final loss is marked best");
    assert.equal(Number(marked[0][lr].text), lrOf(best), `the best final loss is the lr ${lrOf(best)} run's (${best.info.finalLoss})`);
    assert.match(marked[0][loss].text, /★/);
    await vs.screenshot("runs-table");
    await vs.screenshot("readme-runs-table", { clip: vs.page.locator(".part.editor") });

    // Sorting by lr puts the rows in lr order; the scatter draws lr against the final loss.
    await table.locator("button.sort", { hasText: /^lr/ }).click();
    await until("the rows sorted by lr", async () => (await read()).rows.map((r) => Number(r[lr].text)).join() === "0.01,0.03,0.3", 10_000);
    const ink = await VSCode.canvasInk(table);
    assert.ok(
      ink.some((c) => c.ink > 0.001),
      "the scatter is drawn",
    );
    await vs.screenshot("runs-table-sorted");

    // Issue 25: runs told apart and grouped. One experiment (05b), titled by its name and file; each run labelled by
    // what differs (lr) and its start time, in the table and in the Runs view's checkbox names.
    const labels = await table.evaluate(() => [...document.querySelectorAll("tbody tr.run-row td.name")].map((td) => td.textContent?.trim() ?? ""));
    t.diagnostic(`labels: ${labels.join(" | ")}`);
    assert.deepEqual(labels.map((l) => l.replace(/ · \d\d:\d\d(:\d\d)?$/, "")).sort(), ["lr 0.01", "lr 0.03", "lr 0.3"], "each run labelled by its lr");
    const groups = await table.evaluate(() => [...document.querySelectorAll("tbody tr.experiment-row")].map((tr) => tr.textContent ?? ""));
    assert.equal(groups.length, 1, "one experiment");
    assert.match(groups[0], /hello → ohlol \(RNN\) \(05b_hello_rnn\.ts\) · 3 runs/);
    const boxes = await view.evaluate(() => [...document.querySelectorAll("li.run vscode-checkbox")].map((b) => b.getAttribute("aria-label") ?? ""));
    assert.equal(new Set(boxes).size, boxes.length, `every checkbox has its own name: ${boxes.join(" | ")}`);
    assert.ok(
      boxes.every((b) => /^Compare lr 0\.\d+ · /.test(b)),
      `checkboxes named by the run's label: ${boxes.join(" | ")}`,
    );
    // lr is a rate: its axis is logarithmic until the user says otherwise; the trend is named only when monotonic.
    assert.equal(await table.locator('input[aria-label="Logarithmic x axis"]').isChecked(), true, "log x by default for lr");
    const hint = await table.evaluate(() => document.querySelector(".scatter .hint")?.textContent ?? "");
    t.diagnostic(`scatter: ${hint}`);
    assert.match(hint, /3 runs of \u2068?hello → ohlol/);
    // Arrow keys move between rows (the experiment's title row, then its runs).
    await table.locator("tbody tr.run-row").first().focus();
    const indexBefore = await table.evaluate(() => Number((document.activeElement as HTMLElement).dataset.index));
    await vs.page.keyboard.press("ArrowDown");
    const indexAfter = await table.evaluate(() => Number((document.activeElement as HTMLElement).dataset.index));
    assert.equal(indexAfter, indexBefore + 1, "ArrowDown focuses the next row");
    // A filter key no column has is answered with the ones it may mean.
    await table.locator("input.filter").fill("loss<0.5");
    await until(
      "the filter's note",
      async () =>
        /did you mean final\.loss or best\.loss/.test(
          (await table.evaluate(() => document.querySelector(".filter-note")?.textContent ?? "")).replace(/[\u2068\u2069]/g, ""),
        ),
      10_000,
    );
    await vs.screenshot("issue25-runs-table-filter-note");
    await table.locator("input.filter").fill("");
    await vs.page.setViewportSize({ width: 400 + 360, height: 900 }); // about 400 px for the editor beside the side bar
    await sleep(500);
    await vs.screenshot("issue25-runs-table-narrow");
  });
});

// ---------------------------------------------------------------------------------------------------
// 13) Gradient health: the RNN of lesson 9 (09b) trains, its gradients vanish, and Unroll says so

// 09b's task vanishes by construction (see examples/09_vanishing_gradients.ts): at step 17, the first of epoch 2, the
// token to remember moves 50 steps back and every gradient norm of the RNN falls below 1e-4 of its median, on every
// backend path: the scenario trains on whatever this machine has, native kernels included.
test("13) training 09b's RNN warns of vanishing gradients in the Training tab and the status bar", { timeout: 480_000 }, async (t) => {
  const folder = workspace.copyExamples();
  await withVSCode({ name: "s13-gradient-warning", folder }, async (vs) => {
    await vs.openFile("09b_vanishing_rnn.ts");
    const { frame } = await train(vs, "09b_vanishing_rnn.ts");
    // While it trains, the status bar names the parameter and the step; once it ends, it counts the warnings.
    let runningNote = "";
    await until(
      "a gradient warning in the Training tab",
      async () => {
        const bar = (await vs.statusBar()).find((s) => /vanishing gradient in \S+ at step \d+/.test(s));
        if (bar) runningNote = bar;
        return /gradient warnings? \(vanishing/.test(await VSCode.text(frame));
      },
      360_000,
    );
    const banner = await frame.evaluate(
      () => [...document.querySelectorAll<HTMLElement>(".banner.warning")].map((b) => b.innerText).find((s) => /gradient warning/.test(s)) ?? "",
    );
    t.diagnostic(`Training tab: ${banner.split("\n").slice(0, 3).join(" | ")}`);
    assert.match(banner, /gradient warnings? \(vanishing\), the first at step 17\b/);
    assert.match(banner, /rnn\.weight_(hh|ih)_l0/, "the warning names the RNN's parameter");
    // The banner is drawn again with each warning: found and scrolled to in one step.
    const showWarning = async () => {
      await frame.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>(".banner.warning")].find((b) => /gradient warning/.test(b.innerText))?.scrollIntoView({ block: "center" }),
      );
      await sleep(300);
    };
    await showWarning();
    await vs.screenshot("training-tab-warning");
    await until("the run to end", async () => runsOnDisk(folder).some((r) => r.info.status !== "running"), 360_000);
    await until("the status bar to count the warnings", async () => (await vs.statusBar()).some((s) => /gradient warning\(s\)/.test(s)), 30_000);
    const bar = (await vs.statusBar()).find((s) => /gradient warning\(s\)/.test(s))!;
    t.diagnostic(`status bar while training: ${runningNote || "(not seen between polls)"}; after: ${bar}`);
    assert.match(bar, /\d+ gradient warning\(s\)/);
    const [run] = runsOnDisk(folder);
    const warnings = (run.info as { gradientWarnings?: { kind: string; parameter: string; step: number }[] }).gradientWarnings ?? [];
    assert.deepEqual(
      warnings.map((w) => [w.parameter, w.kind, w.step]).sort(),
      [
        ["fc.weight", "vanishing", 17],
        ["rnn.weight_hh_l0", "vanishing", 17],
        ["rnn.weight_ih_l0", "vanishing", 17],
      ],
      "run.json records a vanishing-gradient warning for each of the RNN's parameters at step 17",
    );
    assert.match(bar, /\b3 gradient warning\(s\)/);
    await frame.evaluate(() => window.scrollTo(0, 0));
    await sleep(300);
    const explorerGroup = vs.page.locator(".editor-group-container", { has: vs.page.locator(".tab", { hasText: "Unroll: 09b_vanishing_rnn.ts" }) });
    await vs.screenshot("readme-training", { clip: explorerGroup });
    await showWarning();
    await vs.screenshot("gradient-warning");
    await vs.screenshot("readme-gradient-warning", { clip: explorerGroup });
  });
});

// ---------------------------------------------------------------------------------------------------
// 14) The checkpoint viewer on the LSTM PyTorch wrote (test/fixtures/checkpoint/lstm.safetensors)

/** The checkpoint viewer's webview. */
const checkpointViewer = (vs: VSCode, timeoutMs = 30_000) =>
  vs.webview(async (f) => f.evaluate(() => !!document.querySelector('table[aria-label="Tensors"] tbody tr')), timeoutMs);

/** A tensor's card in the viewer: its heading, its note, and its per-gate statistics as [gate, mean, std, min, max, norm]. */
async function tensorCard(frame: Frame, name: string, within = "main"): Promise<{ text: string; note: string; gates: string[][] }> {
  return frame.evaluate(
    ([name, within]) => {
      const card = document.querySelector(`${within} [data-tensor="${CSS.escape(name)}"]`) as HTMLElement | null;
      if (!card) return { text: "", note: "", gates: [] };
      const gates = [...card.querySelectorAll("table.gate-stats tbody tr")].map((tr) =>
        [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim() ?? ""),
      );
      return { text: card.innerText, note: (card.querySelector(".meta") as HTMLElement | null)?.innerText ?? "", gates };
    },
    [name, within] as const,
  );
}

test("14) the checkpoint viewer on PyTorch's LSTM shows weight_ih_l0 with its gates i f g o and per-gate statistics", { timeout: TIMEOUT }, async (t) => {
  const fixtures = path.join(REPO, "test", "fixtures", "checkpoint");
  const folder = workspace.bare({ "README.md": "An LSTM PyTorch wrote.\n" });
  fs.copyFileSync(path.join(fixtures, "lstm.safetensors"), path.join(folder, "lstm.safetensors"));
  const expected = JSON.parse(fs.readFileSync(path.join(fixtures, "expected.json"), "utf8"))["lstm.safetensors"];
  await withVSCode({ name: "s14-checkpoint", folder }, async (vs) => {
    await vs.openFile("lstm.safetensors", { custom: true });
    const frame = await checkpointViewer(vs, 60_000);
    const text = await VSCode.text(frame);
    assert.match(text, /18 tensors/);
    assert.match(text, /rnn: LSTM, hidden 8, 2 layers, bidirectional/);
    const row = await frame.evaluate(() =>
      [...document.querySelectorAll('table[aria-label="Tensors"] tbody tr')].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent?.trim())),
    );
    assert.deepEqual(row.find((r) => r[0] === "rnn.weight_ih_l0")?.slice(0, 3), ["rnn.weight_ih_l0", "F32", "[32, 5]"]);
    const card = await tensorCard(frame, "rnn.weight_ih_l0");
    t.diagnostic(`card: ${card.note}; gates ${card.gates.map((g) => g.join(" ")).join(" | ")}`);
    assert.match(card.note, /LSTM rnn · layer 0, forward · gates i f g o/);
    assert.deepEqual(
      card.gates.map((g) => g[0]),
      ["i", "f", "g", "o"],
    );
    card.gates.forEach((g, i) => {
      const mean = Number(g[1]);
      const want = expected["rnn.weight_ih_l0"].gates[i].mean;
      assert.ok(Math.abs(mean - want) <= 1e-3 * Math.max(1, Math.abs(want)) + 5e-4, `gate ${g[0]} mean ${g[1]} vs torch ${want}`);
    });
    const ink = await VSCode.canvasInk(frame);
    assert.ok(ink.filter((c) => c.ink > 0.01).length >= 18, "histograms and heatmaps are drawn");
    await frame.locator('[data-tensor="rnn.weight_ih_l0"]').scrollIntoViewIfNeeded();
    await vs.screenshot("checkpoint-viewer");
    await vs.screenshot("readme-checkpoint", { clip: vs.page.locator(".part.editor") });
  });
});

// ---------------------------------------------------------------------------------------------------
// 15) A run's weights opened from the Runs view, and two runs' weights compared

test("15) Open Weights from the Runs view, then Compare Weights of two runs: B − A per tensor", { timeout: 420_000 }, async (t) => {
  const folder = workspace.copyExamples();
  const source = fs.readFileSync(path.join(folder, "05b_hello_rnn.ts"), "utf8");
  for (const lr of ["0.1", "0.3"]) {
    const file = path.join(folder, `hello_lr_${lr}.ts`);
    fs.writeFileSync(file, source.replace("lr: 0.1 }", `lr: ${lr} }`));
    execFileSync(process.execPath, [path.join(REPO, "dist", "cli.js"), "train", file, "--no-check"], { cwd: folder, encoding: "utf8", timeout: 120_000 });
  }
  const runs = runsOnDisk(folder);
  assert.equal(runs.length, 2);
  assert.ok(
    runs.every((r) => fs.existsSync(path.join(r.dir, "weights.safetensors"))),
    "each run wrote its weights",
  );
  await withVSCode({ name: "s15-weights", folder }, async (vs) => {
    await vs.activity("Unroll");
    const view = await runsView(vs);
    await until("the Runs view to list both runs", async () => (await view.locator("li.run").count()) >= 2, 60_000);
    // The newest run is listed first: open its weights with the row's button.
    await view.locator("li.run").first().hover();
    await view.locator('li.run button[aria-label^="Open the weights of"]').first().click();
    const frame = await checkpointViewer(vs, 60_000);
    const text = await VSCode.text(frame);
    assert.match(text, /weights\.safetensors/);
    assert.match(text, /rnn\.weight_ih_l0/);
    assert.match(text, /rnn: RNN, hidden \d+/);

    // Tick both runs, then compare their weights: the older run is A.
    for (const box of await view.locator("li.run vscode-checkbox").all()) await box.click();
    await sleep(500);
    await vs.runCommand("Unroll: Compare Weights of Two Runs");
    const compared = await vs.webview(
      async (f) => f.evaluate(() => !!document.querySelector('.comparison table[aria-label="Differences B − A"] tbody tr')),
      60_000,
    );
    const summary = await compared.evaluate(() => (document.querySelector(".comparison") as HTMLElement).innerText);
    t.diagnostic(summary.split("\n").slice(0, 4).join(" | "));
    assert.match(summary, /Compared with weights\.safetensors: B − A/);
    assert.match(summary, new RegExp(`A: ${runs[0].dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), "A is the older run");
    const counts = /(\d+) tensors compared \(same name and shape\) · (\d+) not compared/.exec(summary);
    assert.ok(counts && Number(counts[1]) >= 4 && counts[2] === "0", `every tensor compared: ${counts?.[0]}`);
    assert.match(summary, /largest change: \S+ \(max \|B − A\| [\d.e-]+\)/, "the two runs' weights differ");
    const card = await tensorCard(compared, "rnn.weight_hh_l0", ".comparison");
    assert.match(card.text, /B − A: rnn\.weight_hh_l0/);
    // The heatmaps draw when their canvases get a size (a ResizeObserver), which can come after the table's text.
    await until("the differences' heatmaps to be drawn", async () => (await VSCode.canvasInk(compared)).filter((c) => c.ink > 0.01).length >= 4, 30_000);
    // Ticking the runs opened the explorer beside (to overlay their curves): one column gives the viewer the width.
    await vs.runCommand("View: Single Column Editor Layout");
    await vs.page.mouse.move(900, 600);
    await sleep(500);
    await compared.evaluate(() => window.scrollTo(0, 0));
    await vs.screenshot("weights-compared");
    await vs.screenshot("readme-compare", { clip: vs.page.locator(".part.editor") });
  });
});

// ---------------------------------------------------------------------------------------------------
// 16) The walkthrough in English: each step's media pane shows its markdown (the gate diagram of step 2 drawn), and
// a step's button marks it done.

test("16) the walkthrough shows each step's media, and a step's button marks it done", { timeout: TIMEOUT }, async () => {
  // A model file of the user's (it activates Unroll), and no lesson: the step's button copies the one it needs.
  const folder = workspace.bare({ "model.ts": BARE });
  await withVSCode({ name: "s16-walkthrough", folder }, async (vs) => {
    await vs.openFile("model.ts"); // the palette lists Unroll's commands once the extension host has read them
    await vs.runCommand("Unroll: Get Started with Unroll");
    await until(
      "the walkthrough",
      async () =>
        /Open the first lesson/.test(
          await vs.page
            .locator(".gettingStartedContainer")
            .innerText()
            .catch(() => ""),
        ),
      30_000,
    );
    await vs.webview("An RNNCell, one step at a time", 30_000);
    await vs.screenshot("walkthrough-step-1");
    await walkthroughStep(vs, "lstmWeights").click();
    const media = await vs.webview("weight_hh_l0 [400, 100]", 30_000);
    const diagram = await until(
      "the gate diagram drawn",
      async () => media.evaluate(() => [...document.images].map((i) => ({ src: i.src, width: i.naturalWidth })).find((i) => i.width > 0)),
      30_000,
    );
    assert.match(diagram.src, /lstm-gates\.svg/);
    await vs.screenshot("walkthrough-step-2");
    assert.equal(await stepDone(vs, "lstmWeights"), false);
    await vs.page.getByRole("button", { name: "Open lesson 3" }).click();
    await until("lesson 3 copied into the workspace", async () => fs.existsSync(vs.file("03_lstm.ts")), 30_000);
    await vs.runCommand("Unroll: Get Started with Unroll");
    await until("step 2 checked", async () => stepDone(vs, "lstmWeights"), 30_000);
    await vs.screenshot("walkthrough-step-2-done");
  });
});

// ---------------------------------------------------------------------------------------------------
// 23) Lesson 1 as a notebook (issue 23), its stored outputs cleared: the Unroll kernel runs every cell, and the
//     outputs come back as PyTorch prints them.

test("23) lesson 1 as a notebook: pick the Unroll kernel, Run All, PyTorch-style outputs in the cells", { timeout: TIMEOUT }, async () => {
  const lesson = JSON.parse(fs.readFileSync(path.join(REPO, "examples/notebooks/01_rnncell_by_hand.ipynb"), "utf8")) as {
    cells: { outputs?: unknown[]; execution_count?: unknown }[];
  };
  for (const cell of lesson.cells) if (cell.outputs) [cell.outputs, cell.execution_count] = [[], null];
  const folder = workspace.bare({ "lesson 1.ipynb": JSON.stringify(lesson, null, 1) });
  await withVSCode({ name: "s18-notebook", folder }, async (vs) => {
    await vs.openFile("lesson 1.ipynb", { custom: true });
    // The lesson's kernelspec makes Unroll's kernel the preferred one; VS Code asks only when it did not pick it.
    await vs.page.getByRole("button", { name: "Run All" }).first().click(); // the notebook's toolbar
    const unroll = vs.page.locator(".quick-input-widget .monaco-list-row", { hasText: "Unroll (TypeScript)" }).first();
    if (
      await unroll.waitFor({ state: "visible", timeout: 10_000 }).then(
        () => true,
        () => false,
      )
    )
      await unroll.click();
    // The outputs the window shows (the notebook renders those below the fold only when scrolled to).
    const outputs = await vs.webview("weight_ih torch.Size([200, 100])", 120_000);
    const text = await VSCode.text(outputs);
    assert.match(text, /RNNCell\(100, 200\)/);
    assert.match(text, /bias_hh torch\.Size\(\[200\]\)/);
    await vs.screenshot("notebook-run-all");
  });
});

// ---------------------------------------------------------------------------------------------------
// 23.1) Training in a cell (issue 23): lesson 05a's code cells, its training loop reporting its loss for 1500 epochs,
//     then three cells of the scenario's own: one to change and re-run, one that fails, one that never ends. Run All:
//     the outputs, PyTorch's printing and the live chart (one image, redrawn in place) appear and Run All stops at
//     the failing cell, which shows its line; the changed cell runs alone with the earlier state (its execution
//     count alone goes up, in the saved file); Interrupt stops the endless loop; Restart clears the state; the
//     saved .ipynb is nbformat 4 with the chart stored as display_data (image/png and text/plain).

test("23.1) training in a notebook cell: live chart, re-run one cell, error line, Interrupt, Restart, saved outputs", { timeout: 2 * TIMEOUT }, async () => {
  const lesson = JSON.parse(fs.readFileSync(path.join(REPO, "examples/notebooks/05a_hello_rnncell.ipynb"), "utf8")) as {
    cells: { cell_type: string; source: string | string[]; outputs?: unknown[]; execution_count?: unknown }[];
  };
  const text = (source: string | string[]) => (Array.isArray(source) ? source.join("") : source);
  const code = lesson.cells.filter((c) => c.cell_type === "code").map((c) => text(c.source));
  const loop = code.findIndex((c) => c.includes("optimizer.step();"));
  assert.ok(loop > 0, "lesson 05a has a training loop");
  // Long enough (seconds) for the chart to be seen redrawn; printing every 300 epochs.
  code[loop] = code[loop]
    .replace("epoch <= 20", "epoch <= 1500")
    .replace("epoch % 5 === 0", "epoch % 300 === 0")
    // Paced (≥ 4 ms an epoch, ≥ 6 s in all): on a fast machine the loop would end before a redraw could be seen.
    .replace("optimizer.step();", "optimizer.step();\n  report({ loss });\n  await new Promise((r) => setTimeout(r, 4));");
  const SCALE = "const scale = 2;\nscale * chars.length";
  code.push(SCALE, "// this cell fails on its second line\nconst broken = notDefinedAnywhere + 1;", "let spins = 0;\nwhile (true) spins++;");
  const cell = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
  const notebook = { ...lesson, cells: code.map(cell) };
  const folder = workspace.bare({ "training.ipynb": JSON.stringify(notebook, null, 1) });
  const file = path.join(folder, "training.ipynb");
  type Saved = {
    nbformat: number;
    cells: { source: string | string[]; execution_count: number | null; outputs: { output_type: string; data?: Record<string, unknown> }[] }[];
  };
  const saved = () => JSON.parse(fs.readFileSync(file, "utf8")) as Saved;
  await withVSCode({ name: "s23-notebook-chart", folder }, async (vs) => {
    await vs.openFile("training.ipynb", { custom: true });
    await vs.page.getByRole("button", { name: "Run All" }).first().click();
    const unroll = vs.page.locator(".quick-input-widget .monaco-list-row", { hasText: "Unroll (TypeScript)" }).first();
    if (
      await unroll.waitFor({ state: "visible", timeout: 10_000 }).then(
        () => true,
        () => false,
      )
    )
      await unroll.click();
    // The live chart: while the loop trains ("Go To" keeps the running cell in view, so its outputs are drawn), the
    // output webview holds one chart image whose picture changes; Run All's button comes back when the run ends.
    const outputs = await vs.webview("torch.Size([5, 1, 4])", 120_000);
    const charts = () => outputs.evaluate(() => [...document.querySelectorAll("img")].map((img) => img.getAttribute("src") ?? ""));
    const runAll = vs.page.getByRole("button", { name: "Run All" }).first();
    const goTo = vs.page.getByRole("button", { name: "Go To" }).first();
    const seen = new Set<string>();
    let most = 0;
    const sample = async () => {
      const images = await charts();
      most = Math.max(most, images.length);
      images.forEach((src) => seen.add(src));
      return images.length > 0;
    };
    await until("the training cell's chart", async () => (await goTo.click({ timeout: 1000 }).catch(() => {}), sample()), 150_000, 200);
    await until("Run All to end", async () => (await sample()) && (await runAll.isVisible()), 150_000, 100);
    assert.equal(most, 1, "one chart, replaced in place, never a second");
    assert.ok(seen.size >= 2, `the chart was redrawn while the cell ran (${seen.size} pictures seen)`);
    const shown = await VSCode.text(outputs);
    assert.match(shown, /RNNCell\(4, 4\)/, "a module as PyTorch prints it");
    assert.match(shown, /epoch 1500: loss \d\.\d{4}/);
    await vs.runCommand("Notebook: Focus First Cell");
    for (let i = 0; i < loop; i++) await vs.page.keyboard.press("ArrowDown"); // the training cell, in view
    await sleep(500);
    await vs.screenshot("notebook-training-chart");
    // Run All stopped at the failing cell (the one before the last), which shows its line.
    await vs.page.keyboard.press("Escape");
    await vs.runCommand("Notebook: Focus Last Cell");
    await vs.page.keyboard.press("ArrowUp");
    const failed = await vs.webview(/notDefinedAnywhere/, 60_000);
    assert.match(await VSCode.text(failed), /Cell \d+:2:\d+/, "the failing cell's error at its line");
    await vs.screenshot("notebook-error-line");

    // Change the number in the scale cell and run it alone: it reads `chars` from the first cell.
    await vs.page.keyboard.press("ArrowUp");
    await vs.page.keyboard.press("Enter"); // into the cell's editor
    await vs.page.keyboard.press("Control+A");
    await vs.type("const scale = 3;\nscale * chars.length");
    await vs.runCommand("Notebook: Execute Cell"); // Ctrl+Enter in a cell's editor inserts a line in code-server
    await vs.webview(/^12$/m, 60_000);
    // Its count is saved once its execution ends (the status bar's spinner gone).
    const spinning = vs.page.locator(".cell-statusbar-container .codicon-modifier-spin");
    await until("the cell's execution to end", async () => (await spinning.count()) === 0, 30_000);
    await vs.screenshot("notebook-rerun");
    // The cells in view show their counts: the re-run cell's alone went up (after the failing cell's 7).
    const labels = await vs.page.locator(".execution-count-label").allInnerTexts();
    assert.deepEqual(labels.filter((l) => /\[\d+\]/.test(l)).slice(-3), ["[5]", `[${code.length}]`, `[${code.length - 1}]`], JSON.stringify(labels));
    await vs.page.keyboard.press("Escape");
    await vs.save();
    const afterRerun = saved();
    assert.equal(afterRerun.nbformat, 4);
    const counts = afterRerun.cells.map((c) => c.execution_count);
    const scaleAt = code.length - 3;
    assert.deepEqual(
      counts.slice(0, scaleAt),
      code.slice(0, scaleAt).map((_, i) => i + 1),
      "the lesson's cells keep their counts",
    );
    // VS Code's ipynb writer clears the stored count of a cell edited since it ran (its own rule), so the re-run
    // cell's count is read in the window above; the failing cell keeps its count and the endless one has none.
    assert.equal(counts[scaleAt + 1], code.length - 1);
    assert.equal(counts[scaleAt + 2], null, "the endless cell has not run");
    const chart = afterRerun.cells[loop].outputs.find((o) => o.output_type === "display_data");
    assert.ok(chart?.data, JSON.stringify(afterRerun.cells[loop].outputs.map((o) => o.output_type)));
    assert.match(String(chart.data["image/png"]), /^[A-Za-z0-9+/=\s]+$/);
    assert.match(text(chart.data["text/plain"] as string | string[]), /^loss \d\.\d{4} \(step 1500, min /);

    // The endless loop: Interrupt stops it, and the kernel lives on.
    await vs.runCommand("Notebook: Focus Last Cell");
    await vs.runCommand("Notebook: Execute Cell");
    const interrupt = vs.page.getByRole("button", { name: /Interrupt/ }).first();
    await interrupt.waitFor({ state: "visible", timeout: 30_000 });
    await sleep(1000);
    await interrupt.click();
    await vs.webview(/Interrupted/, 30_000);
    await vs.screenshot("notebook-interrupted");

    // Restart: the state is gone, so the scale cell no longer finds `chars`.
    await vs.runCommand("Unroll: Restart Notebook Kernel");
    await vs.runCommand("Notebook: Focus Last Cell");
    await vs.page.keyboard.press("ArrowUp");
    await vs.page.keyboard.press("ArrowUp");
    await vs.runCommand("Notebook: Execute Cell");
    await vs.webview(/chars is not defined/, 60_000);
    await vs.screenshot("notebook-restarted");
  });
});

// ---------------------------------------------------------------------------------------------------
// 23.2) Types and shapes across notebook cells (issue 23): after Run All, a call in a cell hovers with its shapes, a
//       name from an earlier cell is no error, and a deliberate type error shows on its cell's line.

test("23.2) notebook cells: shapes on hover after Run All, names from earlier cells known, a type error on its line", { timeout: TIMEOUT }, async (t) => {
  const code = (source: string) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) });
  const notebook = {
    cells: [
      code('import { nn, torch } from "unroll";\nconst rnn = new nn.RNN(10, 20);\nconst x = torch.randn([5, 3, 10]);'),
      code("const [out, h] = rnn(x);\nout.shape"),
      code("const n: number = out.numel() + h.numel();\nconst wrong: string = n;"),
    ],
    metadata: { kernelspec: { name: "unroll", display_name: "Unroll (TypeScript)", language: "typescript" }, language_info: { name: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const folder = workspace.bare({ "循环 网络(1) 🧪.ipynb": JSON.stringify(notebook, null, 1) });
  await withVSCode({ name: "s23-1-notebook-types", folder }, async (vs) => {
    await vs.openFile("循环 网络(1) 🧪.ipynb", { custom: true });
    await vs.page.getByRole("button", { name: "Run All" }).first().click();
    const unroll = vs.page.locator(".quick-input-widget .monaco-list-row", { hasText: "Unroll (TypeScript)" }).first();
    if (
      await unroll.waitFor({ state: "visible", timeout: 10_000 }).then(
        () => true,
        () => false,
      )
    )
      await unroll.click();
    await vs.webview("torch.Size([5, 3, 20])", 120_000);

    // TypeScript: one error, in cell 3, nothing unknown from the cells above.
    const problems = await until(
      "the type error in the Problems view",
      async () => {
        const rows = await vs.problems();
        return rows.some((p) => /not assignable to type 'string'/.test(p.label)) ? rows : null;
      },
      90_000,
    );
    t.diagnostic(`problems: ${JSON.stringify(problems.map((p) => p.label))}`);
    assert.equal(problems.filter((p) => /Cannot find name/.test(p.label)).length, 0, "no name of an earlier cell is unknown");
    assert.deepEqual(
      problems.filter((p) => p.severity === "error").map((p) => p.label.replace(/^Error:?\s*/i, "").split(/\s+at line|,/)[0]),
      ["Type 'number' is not assignable to type 'string'."],
    );
    const cellEditors = vs.page.locator(".notebook-editor .cell-editor-container .monaco-editor");
    const third = cellEditors.nth(2);
    const squiggle = third.locator(".squiggly-error").first();
    await squiggle.waitFor({ state: "attached", timeout: 30_000 });
    const lineTops = await third.locator(".view-line").evaluateAll((lines) => lines.map((l) => l.getBoundingClientRect().top).sort((a, b) => a - b));
    const squiggleTop = await squiggle.evaluate((s) => s.getBoundingClientRect().top);
    assert.equal(lineTops.filter((top) => top <= squiggleTop + 1).length, 2, "the squiggle is on cell 3's second line");
    assert.equal(await cellEditors.nth(1).locator(".squiggly-error").count(), 0, "cell 2 uses cell 1's names without a squiggle");
    await vs.screenshot("notebook-types-error");

    // Shapes: the call in cell 2, recorded as it ran.
    const call = cellEditors.nth(1).locator(".view-line span", { hasText: /^rnn$/ }).first();
    const box = (await call.boundingBox())!;
    const hover = await until(
      "a shape hover over rnn(x) in cell 2",
      async () => {
        await vs.page.mouse.move(box.x + 2, box.y + box.height / 2);
        await vs.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await sleep(1500);
        const text = await vs.hoverText();
        return /\[5, 3, 20\]/.test(text) ? text : null;
      },
      60_000,
    );
    assert.match(hover, /RNN\(10, 20\)\.forward\(input \[5, 3, 10\]/);
    await vs.screenshot("notebook-shapes-hover");
  });
});

// ---------------------------------------------------------------------------------------------------
// 17) WebGPU from the .vsix's Dawn (Mesa's llvmpipe where there is no GPU): the status bar names it, the Training
//     tab shows the adapter and the GPU memory in use

test("17) on WebGPU (unroll.backend webgpu): the status bar says webgpu, the Training tab the adapter and GPU memory", { timeout: TIMEOUT }, async (t) => {
  if (!vsixFiles(vsixPath()).some((f) => /^extension\/node_modules\/webgpu\/dist\/[^/]+\/dawn\.node$/.test(f))) {
    return t.skip(`${path.basename(vsixPath())} carries no Dawn`);
  }
  const folder = workspace.copyExamples();
  await withVSCode({ name: "s17-webgpu", folder, settings: { "unroll.backend": "webgpu", "unroll.nativeKernels": false } }, async (vs) => {
    await vs.openFile("05b_hello_rnn.ts");
    const status = watchStatusBar(vs);
    let frame: Frame;
    try {
      ({ frame } = await train(vs, "05b_hello_rnn.ts"));
      await until("the run to end", async () => runsOnDisk(folder).some((r) => r.info.status !== "running"), 240_000);
    } finally {
      await status.stop();
    }
    const [run] = runsOnDisk(folder);
    // Dawn loaded but no adapter (no GPU, no Mesa EGL): not this scenario's matter, unless CI requires WebGPU.
    if (run.info.error && /no WebGPU adapter/.test(run.info.error.message) && process.env.UNROLL_WEBGPU !== "1") return t.skip(run.info.error.message);
    t.diagnostic(`run's backend: ${run.info.backend}`);
    assert.equal(run.info.status, "completed", JSON.stringify(run.info.error));
    assert.match(run.info.backend, /^webgpu \([^)]+\)/, "the run records the adapter");
    // It trains as on wasm (scenario 3): a cast tfjs got wrong on WebGPU once gave zeros and a diverging loss.
    assert.ok(run.info.finalLoss! < 0.5, `final loss ${run.info.finalLoss}`);
    assert.match(await VSCode.text(frame), /ohlol/, "the predicted string reaches ohlol");
    const header = await until(
      "the GPU memory in the Training tab",
      async () => {
        const text = await runHeader(frame);
        return /GPU memory: \d+(\.\d)? (bytes|KiB|MiB|GiB)/.test(text) ? text : null;
      },
      30_000,
    );
    t.diagnostic(
      `Training tab: ${header
        .split("\n")
        .filter((l) => /Run on|GPU memory/.test(l))
        .join(" | ")}`,
    );
    assert.match(header, /Run on: GPU · WebGPU/, "the backend on one line (the adapter is in the details and the run's record)");
    const statuses = [...status.seen].filter((s) => /unroll/i.test(s));
    t.diagnostic(`status bar items seen: ${JSON.stringify(statuses)}`);
    assert.ok(
      statuses.some((s) => /Unroll webgpu/.test(s)),
      "the status bar names the backend",
    );
    await frame.evaluate(() => document.querySelector(".gpu-memory")?.scrollIntoView({ block: "center" }));
    await sleep(300);
    await vs.screenshot("webgpu-training");
  });
});

// ---------------------------------------------------------------------------------------------------
// 25.8) Issue 25: the walkthrough opens on the first activation in a workspace with model files, over VS Code's own
// Welcome page (the default startup editor), and not in a workspace without one.

// On a first day VS Code's startup opens the Welcome editor inside its first featured walkthrough ("Setup VS Code Web"
// in code-server), where openWalkthrough does nothing: the extension goes back to the index first (walkthrough.ts).
test("25.8) the walkthrough opens on the first activation in a workspace with model files, not elsewhere", { timeout: TIMEOUT }, async () => {
  const welcome = { "workbench.startupEditor": "welcomePage" };
  const withModel = workspace.bare({ "model.ts": 'import { nn } from "unroll";\n\nexport const rnn = new nn.RNN(4, 4);\n' });
  await withVSCode({ name: "s25-walkthrough", folder: withModel, settings: welcome }, async (vs) => {
    const page = vs.page.locator(".gettingStartedContainer");
    await until("Unroll's walkthrough to be shown", async () => /Get started with Unroll/.test(await page.innerText().catch(() => "")), 90_000);
    await vs.screenshot("issue25-walkthrough-first-activation");
    // Recorded as shown: with every editor closed, a reload (no startup editor on a reload) does not bring it back.
    await sleep(3000); // the record is written once the tabs have been still for a second
    await vs.runCommand("View: Close All Editors");
    await vs.reload();
    await sleep(8000); // nothing to wait for: the walkthrough must not come again
    const again = await page.innerText().catch(() => "");
    assert.doesNotMatch(again, /Get started with Unroll/, "the walkthrough opens only once");
  });
  const withoutModel = workspace.bare({ "notes.ts": "export const x = 1;\n" });
  await withVSCode({ name: "s25-no-walkthrough", folder: withoutModel, settings: welcome }, async (vs) => {
    await vs.openFile("notes.ts"); // activates Unroll (onLanguage:typescript)
    await sleep(5000); // nothing to wait for: the walkthrough must not come
    const text = await vs.page
      .locator(".gettingStartedContainer")
      .innerText()
      .catch(() => "");
    assert.doesNotMatch(text, /Get started with Unroll/, "no walkthrough in a workspace without model files");
    await vs.screenshot("issue25-no-walkthrough");
  });
});
// 22) A sweep from VS Code: "Unroll: Sweep…" asks for lr's values, runs 4 points, and the Runs table groups them
//     under one sweep row with a parallel-coordinates chart (issue 22)

test("22) Unroll: Sweep… of 05b's lr (4 points): 4 runs grouped under a sweep row, and the parallel-coordinates chart", { timeout: 420_000 }, async (t) => {
  const folder = workspace.copyExamples();
  await withVSCode({ name: "s18-sweep", folder }, async (vs) => {
    await vs.openFile("05b_hello_rnn.ts");
    await vs.runCommand("Unroll: Sweep…");
    // One input per declared hparam: 05b declares only lr. A wrong value is refused as typed, with --set's words.
    const input = vs.page.locator(".quick-input-widget input");
    await input.waitFor({ state: "visible", timeout: 120_000 }); // after the file's trace
    await input.fill("0.01,abc");
    await until("the bad value to be refused", async () => /'lr' is a number/.test(await vs.page.locator(".quick-input-widget").innerText()), 10_000);
    await input.fill("0.001,0.01,0.1,0.3"); // from 0.001 to 0.3: a log axis (ratio ≥ 100)
    await vs.page.keyboard.press("Enter");
    const ended = await until("the sweep to end", async () => (await vs.notifications()).find((n) => /sweep ended, 4\/4 runs completed/.test(n)), 300_000);
    t.diagnostic(ended);
    const runs = runsOnDisk(folder).filter((r) => (r.info as { sweep?: unknown }).sweep);
    assert.equal(runs.length, 4, "four runs marked with the sweep");
    await vs.runCommand("Unroll: Compare Runs");
    const table = await vs.webview(async (f) => f.evaluate(() => !!document.querySelector("tr.sweep-row")), 30_000);
    const read = () =>
      table.evaluate(() => ({
        sweepRows: [...document.querySelectorAll("tr.sweep-row")].map((tr) => tr.textContent ?? ""),
        members: document.querySelectorAll("tr.in-sweep").length,
        summary: document.querySelector(".parallel-summary")?.textContent ?? "",
      }));
    await until("4 runs under the sweep row", async () => (await read()).members === 4, 30_000);
    const { sweepRows, summary } = await read();
    t.diagnostic(`${sweepRows.join(" / ")} — ${summary}`);
    assert.equal(sweepRows.length, 1, "one sweep row");
    assert.match(sweepRows[0], /4 of 4 runs · varies lr · best: lr 0\.\d+ \(loss /);
    assert.match(summary, /4 runs of sweep .*, one line each, on axes lr \(log\), loss\. Best: lr 0\.\d+, loss /);
    const ink = await table.evaluate(() => {
      const c = document.querySelector("canvas.parallel-canvas") as HTMLCanvasElement | null;
      if (!c) return -1;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked++;
      return inked / (data.length / 4);
    });
    assert.ok(ink > 0.002, `the parallel-coordinates chart is drawn (ink ${ink})`);
    await table.locator("canvas.parallel-canvas").scrollIntoViewIfNeeded();
    await vs.screenshot("sweep-runs-table");
  });
});

// ---------------------------------------------------------------------------------------------------
// 25) The explorer panel as people expect it (issue 25): nothing clipped at 400 px, one loss, scores on their axis,
// the backend on one line, a grouped legend, older snapshots on a slider; in a dark and a light theme, narrow and wide.

const EXPLORER_DEMO = `import { defineExperiment, nn, optim, torch, noGrad, type Tensor } from "unroll";

// A classifier whose repr is long (a row of the Shapes table) and which has 27 parameters (the gradient legend).
class ExplorerDemoClassifierWithAVeryLongName extends nn.Module {
  embedding = new nn.Embedding(12, 6);
  lstm = new nn.LSTM(6, 8, { numLayers: 3, bidirectional: true, batchFirst: true });
  head = new nn.Linear(16, 3);

  override forward(x: Tensor): Tensor {
    const [out] = this.lstm(this.embedding(x));
    return this.head(out.select(1, -1)); // the last of 5 steps: [8, 16]
  }
}

const tokens = Array.from({ length: 16 }, (_, i) => Array.from({ length: 5 }, (_, t) => (i * 7 + t * 3) % 12));
const labels = tokens.map((row) => row[0] % 3);
const majority = [0, 1, 2].map((k) => labels.filter((l) => l === k).length).reduce((a, b) => Math.max(a, b), 0);

export default defineExperiment({
  name: "explorer demo",
  epochs: 10,
  model: () => {
    torch.manualSeed(0);
    return new ExplorerDemoClassifierWithAVeryLongName();
  },
  data: () => ({
    train: [0, 8].map((i) => [torch.tensor(tokens.slice(i, i + 8)), torch.tensor(labels.slice(i, i + 8))] as [Tensor, Tensor]),
  }),
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.Adam(parameters, { lr: 0.05 }),
  sampleTokens: () => ["t0", "t1", "t2", null, null], // the last two as padding, for the Dynamics tab's marks
  evaluate: (model) =>
    noGrad(() => {
      const predicted = model(torch.tensor(tokens)).argmax(1).tolist() as number[];
      const correct = labels.filter((l, i) => predicted[i] === l).length;
      return { accuracy: correct / labels.length, baseline: majority / labels.length };
    }),
});
`;

/** What the explorer shows of issue 25's items, read in its webview. */
const explorerFacts = (frame: Frame) =>
  frame.evaluate(() => {
    const visible = (el: Element | null) => !!el && (el as HTMLElement).offsetParent !== null;
    const table = document.querySelector("table.trace");
    const scroller = table?.closest(".table-scroll") as HTMLElement | null;
    const heads = [...(table?.querySelectorAll("thead th") ?? [])].map((th) => th.getBoundingClientRect());
    const paramCells = [...(table?.querySelectorAll("tbody tr td:last-child") ?? [])] as HTMLElement[];
    return {
      width: document.body.clientWidth,
      shapes: {
        // Every header cell inside the scroll container's box, or the container scrolls to it.
        // Every header cell within the panel: no column hidden or scrolled away.
        columnsReachable: !!scroller && heads.length === 4 && heads.every((r) => r.width > 0 && r.right <= scroller.getBoundingClientRect().right + 1),
        clippedCounts: paramCells.filter((td) => td.scrollWidth > td.clientWidth + 1).length,
        shortened: [...(table?.querySelectorAll("td.what .mono") ?? [])].map((s) => ({ text: s.textContent ?? "", title: s.getAttribute("title") ?? "" })),
        wrappedShapes: [...(table?.querySelectorAll("td.io .shape") ?? [])].filter((s) => s.getClientRects().length > 1).length,
      },
      backend: (document.querySelector("details.backend summary") as HTMLElement | null)?.innerText ?? "",
      backendLines: (() => {
        const s = document.querySelector("details.backend summary") as HTMLElement | null;
        return s && visible(s) ? Math.round(s.getBoundingClientRect().height / parseFloat(getComputedStyle(s).lineHeight || "18")) : 0;
      })(),
      header: (document.querySelector(".run-header") as HTMLElement | null)?.innerText ?? "",
      legendGroups: [...document.querySelectorAll(".grouped-legend details summary")].map((s) => (s as HTMLElement).innerText),
      // Without the bidi isolates the names are wrapped in.
      epochLegend: [...document.querySelectorAll(".chart .u-legend .u-label")].map((l) => (l.textContent ?? "").replace(/[\u2066-\u2069]/g, "")),
      parameters: (document.querySelector(".parameters .meta") as HTMLElement | null)?.innerText ?? "",
      snapshotSlider: (() => {
        const s = document.querySelector("input.snapshot-slider") as HTMLInputElement | null;
        return s ? { max: Number(s.max), value: Number(s.value) } : null;
      })(),
    };
  });

test("25) the explorer as people expect it: nothing clipped at 400 px, one loss, scores on their axis, light and dark", { timeout: 480_000 }, async (t) => {
  const folder = workspace.bare({ "explorer_demo.ts": EXPLORER_DEMO });
  await withVSCode(
    {
      name: "s25-explorer",
      folder,
      viewport: { width: 1100, height: 1000 },
      settings: { "unroll.snapshotEvery": 4, "workbench.colorTheme": "Default Dark Modern" },
    },
    async (vs) => {
      await vs.openFile("explorer_demo.ts");
      const { frame } = await train(vs, "explorer_demo.ts");
      await until("the run to complete", async () => /completed/i.test(await runHeader(frame)), 240_000);
      const statusAfter = (await vs.statusBar()).join(" | ");
      await selectTab(frame, "Training");
      let facts = await explorerFacts(frame);
      t.diagnostic(`panel ${facts.width} px; header: ${facts.header.replace(/\s+/g, " ")}; status bar: ${statusAfter}`);
      // Item 4: one loss, labelled the same in the panel and the status bar.
      const panelLoss = /epoch loss (\d+\.\d{4})/.exec(facts.header)?.[1];
      const barLoss = /epoch loss (\d+\.\d{4})/.exec(statusAfter)?.[1];
      assert.ok(panelLoss, `the panel says "epoch loss": ${facts.header}`);
      assert.equal(barLoss, panelLoss, `the status bar's loss is the panel's: ${statusAfter}`);
      assert.match(facts.header, /epoch 10 \/ 10/);
      assert.match(facts.header, /ExplorerDemoClassifierWithAVeryLongName\(…\)/, "the model's repr shortened in the header");
      // Item 7: the backend on one line, the report behind the disclosure.
      assert.match(facts.backend, /^\s*Run on: (CPU|GPU) · /);
      assert.equal(facts.backendLines, 1, `one line: ${facts.backend}`);
      // Item 7: 27 parameters grouped by module in the gradient legend.
      assert.deepEqual(
        facts.legendGroups.map((g) => g.replace(/\s+/g, " ").trim()),
        ["embedding (1)", "lstm (24)", "head (2)"],
      );
      // Item 5: the baseline is read on the accuracy's axis, not the loss's.
      assert.ok(
        facts.epochLegend.some((l) => /^baseline \(right axis\)/.test(l)),
        `legend: ${facts.epochLegend.join(", ")}`,
      );
      assert.ok(facts.epochLegend.some((l) => /^accuracy \(right axis\)/.test(l)));
      await frame.locator("h3", { hasText: "Metrics per epoch" }).scrollIntoViewIfNeeded();
      await vs.screenshot("narrow-dark-training");
      await frame.locator("h3", { hasText: "Gradient norm per step" }).scrollIntoViewIfNeeded();
      await vs.screenshot("narrow-dark-gradients");

      // Item 4: parameters compared with an earlier, distinct snapshot; a slider through them.
      await selectTab(frame, "Parameters");
      facts = await explorerFacts(frame);
      const steps = /step (\d+) \(changes since step (\d+)\)/.exec(facts.parameters);
      assert.ok(steps && Number(steps[2]) < Number(steps[1]), `compared with an earlier snapshot: ${facts.parameters}`);
      assert.ok(facts.snapshotSlider && facts.snapshotSlider.max >= 1 && facts.snapshotSlider.value === facts.snapshotSlider.max);
      await frame.locator("input.snapshot-slider").focus();
      await frame.locator("input.snapshot-slider").press("ArrowLeft");
      await until("an older snapshot", async () => /step (\d+)/.exec((await explorerFacts(frame)).parameters)?.[1] !== steps![1], 10_000);
      await vs.screenshot("narrow-dark-parameters");

      // Item 1: the Shapes tab at this width: every column reachable, counts whole, the model's repr shortened.
      await selectTab(frame, "Shapes");
      facts = await explorerFacts(frame);
      t.diagnostic(`shapes at ${facts.width} px: ${JSON.stringify(facts.shapes)}`);
      assert.ok(facts.width <= 480, `a narrow panel: ${facts.width} px`);
      assert.ok(facts.shapes.columnsReachable);
      assert.equal(facts.shapes.clippedCounts, 0);
      assert.equal(facts.shapes.wrappedShapes, 0, "no shape breaks over two lines");
      const model = facts.shapes.shortened.find((s) => /^ExplorerDemoClassifierWithAVeryLongName/.test(s.title));
      assert.ok(model && model.text.length < model.title.length && /…/.test(model.text), `shortened: ${JSON.stringify(model)}`);
      await vs.screenshot("narrow-dark-shapes");

      // The same in a light theme, then wide.
      const setTheme = (theme: string) => colorTheme(vs, theme);
      await setTheme("Default Light Modern");
      await vs.screenshot("narrow-light-shapes");
      await selectTab(frame, "Training");
      await frame.locator("h3", { hasText: "Metrics per epoch" }).scrollIntoViewIfNeeded();
      await vs.screenshot("narrow-light-training");
      await vs.page.setViewportSize({ width: 2000, height: 1100 });
      await sleep(1500);
      facts = await explorerFacts(frame);
      t.diagnostic(`wide panel: ${facts.width} px`);
      await vs.screenshot("wide-light-training");
      await selectTab(frame, "Shapes");
      facts = await explorerFacts(frame);
      assert.ok(facts.shapes.columnsReachable && facts.shapes.clippedCounts === 0);
      await vs.screenshot("wide-light-shapes");
      await setTheme("Default Dark Modern");
      await selectTab(frame, "Parameters");
      await vs.screenshot("wide-dark-parameters");
      // Item 7: Dynamics' time axis in the sample's tokens, padding marked.
      await selectTab(frame, "Dynamics");
      const tokens = await until(
        "the token row",
        async () => {
          const row = await frame.evaluate(() =>
            [...(document.querySelector(".tokens")?.querySelectorAll(".token") ?? [])].map((e) => (e.classList.contains("pad") ? null : e.textContent)),
          );
          return row.length ? row : undefined;
        },
        20_000,
      );
      assert.deepEqual(tokens, ["t0", "t1", "t2", null, null]);
      await vs.screenshot("wide-dark-dynamics");
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// 22.1) A run outlives a reload of the window (issue 22): the curve goes on after it, and Stop still ends it

test("22.1) training 06 goes on through Developer: Reload Window: re-attached, its curve grows, Stop ends it as stopped", { timeout: 480_000 }, async (t) => {
  const folder = workspace.copyExamples();
  const file = path.join(folder, "06_names_classifier.ts");
  const long = fs.readFileSync(file, "utf8").replace(/epochs:\s*8\b/, "epochs: 1000");
  assert.match(long, /epochs: 1000/);
  fs.writeFileSync(file, long);
  await withVSCode({ name: "s18-reload", folder }, async (vs) => {
    await vs.openFile("06_names_classifier.ts");
    const { frame } = await train(vs, "06_names_classifier.ts");
    await until("a first epoch", async () => (await epochRows(frame)).length >= 1, 180_000);
    const [before] = runsOnDisk(folder);
    const pid = (before.info as { pid?: number }).pid!;
    t.diagnostic(`training in process ${pid}; reloading the window`);

    await vs.reload();
    // The process lives on, and the new window says so and re-attaches.
    assert.ok(running(pid), "the training process outlived the reload");
    await until("the re-attach notification", async () => (await vs.notifications()).some((n) => /1 run still training/.test(n)), 60_000);
    await until("the status bar to show the run again", async () => (await vs.statusBar()).some((s) => /Unroll .*epoch \d+\/1000/.test(s)), 60_000);
    let panel = await explorer(vs, 10_000, "06_names_classifier.ts").catch(() => null);
    if (!panel) {
      await vs.runCommand("Unroll: Open Explorer");
      panel = await explorer(vs, 60_000, "06_names_classifier.ts");
    }
    await selectTab(panel, "Training");
    const seen = Math.max(0, ...(await epochRows(panel)).map((r) => r.epoch));
    await until(
      `an epoch after ${seen} in the re-attached explorer`,
      async () => Math.max(0, ...(await epochRows(panel!)).map((r) => r.epoch)) > seen,
      120_000,
    );
    await vs.screenshot("reattached-curve");
    assert.ok((await drawn(panel)) >= 1, "the curve is drawn after the reload");

    await vs.runCommand("Unroll: Stop Training");
    await until("the run to end as stopped", async () => runsOnDisk(folder)[0]?.info.status === "stopped", 60_000);
    await until("the explorer to say stopped", async () => /stopped/i.test(await runHeader(panel!)), 30_000);
    await vs.screenshot("reattached-stopped");
    await until("the training process to end", async () => !running(pid));
  });
});

/** Whether process `pid` runs (a zombie, ended but not reaped by whatever adopted it, does not). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// 25.6) Issue 25 items 6, 3 and 7 in a Chinese UI: an error thrown inside data() is a squiggle and a Problems entry at
//       its line, and the explorer names the line (in Chinese); the Runs table speaks Chinese, and F2 renames a run
//       (the name stored in its meta.json and shown in the table). VS Code's own words stay English here (its
//       language packs come from the Marketplace), Unroll's are Chinese.

const DATA_ERROR = `import { defineExperiment, nn, optim, torch, type Tensor } from "unroll";

export default defineExperiment({
  name: "data error",
  epochs: 1,
  model: () => new nn.Linear(3, 2),
  data: () => {
    const x = torch.zeros([6]).reshape([4, 2]); // 6 values cannot be 4 × 2
    return { train: [[x, torch.zeros([4])] as [Tensor, Tensor]] };
  },
  loss: () => new nn.CrossEntropyLoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.1 }),
});
`;

/** A completed run of `file` (absolute) with `lr`, as a run folder's run.json. */
function storedRunJson(file: string, index: number, lr: number): string {
  return JSON.stringify({
    id: `2026120${index}-190000-data-error`,
    name: "data error",
    file,
    status: "completed",
    pid: 0,
    backend: "wasm (WebAssembly with SIMD, embedded)",
    backendName: "wasm",
    startedAt: `2026-12-07T19:0${index}:00.000Z`,
    endedAt: `2026-12-07T19:0${index}:30.000Z`,
    config: { epochs: 1, model: "Linear(3, 2)", parameterCount: 8, optimizer: "SGD", snapshotEvery: 0 },
    hparams: { lr },
    epoch: 1,
    finalLoss: 0.5 + index / 10,
    finalMetrics: { accuracy: 0.5 },
  });
}

test(
  "25.6) in Chinese: an error in data() at its line in Problems and the explorer; the Runs table in Chinese, F2 renames",
  { timeout: TIMEOUT },
  async (t) => {
    const folder = workspace.bare({ "data_error.ts": DATA_ERROR });
    const model = path.join(folder, "data_error.ts");
    const runDirs = [1, 2].map((i) => path.join(folder, ".unroll/runs", `2026120${i}-190000-data-error`));
    runDirs.forEach((dir, i) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "run.json"), storedRunJson(model, i + 1, [0.1, 0.3][i]));
    });
    await withVSCode(
      {
        name: "s25-data-error-zh",
        folder,
        locale: "zh-cn",
        viewport: { width: 1100, height: 900 },
        settings: { "workbench.colorTheme": "Default Dark Modern" },
      },
      async (vs) => {
        await vs.openFile("data_error.ts");
        const line = positionOf(model, "reshape(").line;
        const problems = await until(
          "the error inside data() in the Problems view, at its line",
          async () => {
            const found = (await vs.problems()).filter((p) => p.severity === "error" && new RegExp(`\\b(line|Ln) ${line}\\b`).test(p.label));
            return found.length ? found : undefined;
          },
          90_000,
        );
        t.diagnostic(problems.map((p) => p.label).join("\n"));
        assert.ok((await vs.squiggles()).errors > 0, "the editor underlines it");
        await vs.screenshot("problems");

        await vs.runCommand("Unroll: 打开浏览器面板");
        const frame = await vs.webview(async (f) => f.evaluate(() => !!document.querySelector("vscode-tabs")), 30_000);
        const banner = await until(
          "the explorer to name the line",
          async () => {
            const text = await VSCode.text(frame);
            return text.includes(`（第 ${line} 行）`) ? text : undefined;
          },
          30_000,
        );
        for (const tab of ["形状", "训练", "参数", "动态"]) assert.ok(banner.includes(tab), `the ${tab} tab`);
        assert.match(banner, new RegExp(`data_error\\.ts:${line}:\\d+`), "a link to the line");
        await vs.screenshot("explorer-narrow-dark");

        await vs.runCommand("Unroll: 比较运行");
        const table = await vs.webview(async (f) => f.evaluate(() => !!document.querySelector('[aria-label="运行表"] tbody tr.run-row')), 30_000);
        const text = await until(
          "both runs in the table",
          async () => ((await table.locator("tbody tr.run-row").count()) === 2 ? VSCode.text(table) : undefined),
          30_000,
        );
        for (const word of ["超参数", "最终", "2 / 2 个运行"]) assert.ok(text.includes(word), `"${word}" in: ${text.slice(0, 400)}`);
        assert.match(text, /lr 0\.3 · \d\d:\d\d/, "a run's automatic label: what differs from the other run");
        assert.ok((await table.locator('button[aria-label^="重命名 "]').count()) >= 2, "each row's rename button, named after its run");
        await vs.screenshot("runs-table-narrow-dark");

        // F2 on the first row asks for a name (the prompt in Chinese) and stores it.
        await table.locator("tbody tr.run-row").first().focus();
        await table.locator("tbody tr.run-row").first().press("F2");
        const input = vs.page.locator(".quick-input-widget input");
        await input.waitFor({ state: "visible", timeout: 15_000 });
        assert.match(await vs.page.locator(".quick-input-widget").innerText(), /此运行的名称/);
        await input.fill("基线 🧪 <b>x</b>");
        await vs.page.keyboard.press("Enter");
        const renamed = await until(
          "the new name in the table",
          async () => ((await VSCode.text(table)).includes("基线 🧪 <b>x</b>") ? true : undefined),
          20_000,
        );
        assert.ok(renamed);
        assert.equal(await table.locator("tbody b").count(), 0, "the name is text, not markup");
        const metas = runDirs
          .filter((d) => fs.existsSync(path.join(d, "meta.json")))
          .map((d) => JSON.parse(fs.readFileSync(path.join(d, "meta.json"), "utf8")));
        assert.deepEqual(metas, [{ label: "基线 🧪 <b>x</b>" }], "stored in the run's meta.json");
        await vs.page.setViewportSize({ width: 2000, height: 1000 });
        await sleep(1500);
        await vs.screenshot("runs-table-wide-dark");
        await colorTheme(vs, "Default Light Modern");
        await vs.screenshot("runs-table-wide-light");
        await vs.page.setViewportSize({ width: 1100, height: 900 });
        await sleep(1500);
        await vs.screenshot("runs-table-narrow-light");
      },
    );
  },
);
