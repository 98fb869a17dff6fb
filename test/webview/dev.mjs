// Dev pages for the webviews: each loads dist/webview/<page>.js under the same strict CSP as in VS Code,
// with a stub acquireVsCodeApi that answers `ready` with fixture messages (test/webview/fixtures.mjs), in
// dark, light and high-contrast themes. Not part of the package or of `npm test`.
//
//   node esbuild.mjs && node test/webview/dev.mjs [outDir] [--shots [--only=training]] [--perf]
//
// --shots also screenshots every page (or those whose name contains --only's text) with headless Chromium
// (apt-get install -y chromium) into outDir; --perf times 100,000 live step events.
// CSP violations and script errors are written into the page itself, so they show on the screenshot.
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import * as fx from "./fixtures.mjs";

const args = process.argv.slice(2);
const out = resolve(args.find((a) => !a.startsWith("--")) ?? "/tmp/unroll-webview-dev");
const root = resolve(import.meta.dirname, "../..");
const url = (p) => pathToFileURL(p).href;
mkdirSync(out, { recursive: true });
if (!existsSync(join(root, "dist/webview/explorer.js"))) throw new Error("run `node esbuild.mjs` first");

// A few of each theme's variables, as VS Code sets them on <html> (Dark Modern, Light Modern, Dark High Contrast).
const THEMES = {
  dark: {
    class: "vscode-dark",
    vars: {
      foreground: "#cccccc", "editor-background": "#1f1f1f", descriptionForeground: "#9d9d9d", focusBorder: "#0078d4",
      "charts-blue": "#3794ff", "charts-red": "#f14c4c", "charts-green": "#89d185", "charts-orange": "#d18616", "charts-purple": "#b180d7", "charts-yellow": "#cca700",
      "editorWidget-background": "#202020", "editorWidget-border": "#454545", "editorGroup-border": "#ffffff17", "panel-border": "#2b2b2b",
      "list-hoverBackground": "#2a2d2e", "list-inactiveSelectionBackground": "#37373d", "badge-background": "#616161", "badge-foreground": "#f8f8f8",
      errorForeground: "#f85149", "inputValidation-errorBackground": "#5a1d1d", "inputValidation-errorBorder": "#be1100",
      "inputValidation-warningBackground": "#352a05", "inputValidation-warningBorder": "#b89500", "inputValidation-infoBackground": "#063b49", "inputValidation-infoBorder": "#1a85ff",
      "textLink-foreground": "#4daafc", "sideBar-background": "#181818", "sideBar-foreground": "#cccccc", "editorLineNumber-foreground": "#6e7681",
      "button-background": "#0078d4", "button-foreground": "#ffffff", "button-hoverBackground": "#026ec1", "button-secondaryBackground": "#313131", "button-secondaryForeground": "#cccccc", "button-border": "#ffffff12",
      "settings-checkboxBackground": "#313131", "settings-checkboxBorder": "#3c3c3c", "settings-checkboxForeground": "#cccccc", "checkbox-background": "#313131", "checkbox-border": "#3c3c3c",
      "panelTitle-activeBorder": "#0078d4", "panelTitle-activeForeground": "#cccccc", "panelTitle-inactiveForeground": "#9d9d9d", "panel-background": "#181818", "settings-headerBorder": "#2b2b2b",
      "dropdown-background": "#313131", "dropdown-border": "#3c3c3c", "dropdown-foreground": "#cccccc", "editor-selectionBackground": "#264f78", "toolbar-hoverBackground": "#5a5d5e50",
      "symbolIcon-classForeground": "#ee9d28", "settings-dropdownBackground": "#313131", "settings-dropdownBorder": "#3c3c3c", "settings-dropdownForeground": "#cccccc",
      "list-activeSelectionBackground": "#04395e", "list-activeSelectionForeground": "#ffffff",
    },
  },
  light: {
    class: "vscode-light",
    vars: {
      foreground: "#3b3b3b", "editor-background": "#ffffff", descriptionForeground: "#717171", focusBorder: "#005fb8",
      "charts-blue": "#1a85ff", "charts-red": "#e51400", "charts-green": "#388a34", "charts-orange": "#d18616", "charts-purple": "#652d90", "charts-yellow": "#bf8803",
      "editorWidget-background": "#f8f8f8", "editorWidget-border": "#c8c8c8", "editorGroup-border": "#e5e5e5", "panel-border": "#e5e5e5",
      "list-hoverBackground": "#f2f2f2", "list-inactiveSelectionBackground": "#e4e6f1", "badge-background": "#cccccc", "badge-foreground": "#3b3b3b",
      errorForeground: "#f85149", "inputValidation-errorBackground": "#f2dede", "inputValidation-errorBorder": "#be1100",
      "inputValidation-warningBackground": "#f6f5d2", "inputValidation-warningBorder": "#b89500", "inputValidation-infoBackground": "#d6ecf2", "inputValidation-infoBorder": "#007acc",
      "textLink-foreground": "#005fb8", "sideBar-background": "#f8f8f8", "sideBar-foreground": "#3b3b3b", "editorLineNumber-foreground": "#6e7681",
      "button-background": "#005fb8", "button-foreground": "#ffffff", "button-hoverBackground": "#0258a8", "button-secondaryBackground": "#e5e5e5", "button-secondaryForeground": "#3b3b3b", "button-border": "#0000001a",
      "settings-checkboxBackground": "#f8f8f8", "settings-checkboxBorder": "#cecece", "settings-checkboxForeground": "#3b3b3b", "checkbox-background": "#f8f8f8", "checkbox-border": "#cecece",
      "panelTitle-activeBorder": "#005fb8", "panelTitle-activeForeground": "#3b3b3b", "panelTitle-inactiveForeground": "#3b3b3b", "panel-background": "#f8f8f8", "settings-headerBorder": "#e5e5e5",
      "dropdown-background": "#ffffff", "dropdown-border": "#cecece", "dropdown-foreground": "#3b3b3b", "editor-selectionBackground": "#add6ff", "toolbar-hoverBackground": "#b8b8b850",
      "symbolIcon-classForeground": "#d67e00", "settings-dropdownBackground": "#ffffff", "settings-dropdownBorder": "#cecece", "settings-dropdownForeground": "#3b3b3b",
      "list-activeSelectionBackground": "#e8e8e8", "list-activeSelectionForeground": "#000000",
    },
  },
  hc: {
    class: "vscode-high-contrast",
    vars: {
      foreground: "#ffffff", "editor-background": "#000000", descriptionForeground: "#ffffffb3", focusBorder: "#f38518",
      "charts-blue": "#3794ff", "charts-red": "#f14c4c", "charts-green": "#89d185", "charts-orange": "#d18616", "charts-purple": "#b180d7", "charts-yellow": "#cca700",
      "editorWidget-background": "#0c141f", "editorWidget-border": "#6fc3df", "editorGroup-border": "#6fc3df", "panel-border": "#6fc3df",
      "list-hoverBackground": "#00000000", "list-focusOutline": "#f38518", "list-inactiveSelectionBackground": "#00000000", "badge-background": "#000000", "badge-foreground": "#ffffff",
      errorForeground: "#f48771", "inputValidation-errorBackground": "#000000", "inputValidation-errorBorder": "#f48771",
      "inputValidation-warningBackground": "#000000", "inputValidation-warningBorder": "#ffbc00", "inputValidation-infoBackground": "#000000", "inputValidation-infoBorder": "#6fc3df",
      "textLink-foreground": "#21a6ff", "sideBar-background": "#000000", "sideBar-foreground": "#ffffff",
      "button-background": "#000000", "button-foreground": "#ffffff", "button-border": "#6fc3df", "button-secondaryBackground": "#000000", "button-secondaryForeground": "#ffffff",
      "settings-checkboxBackground": "#000000", "settings-checkboxBorder": "#6fc3df", "panelTitle-activeBorder": "#6fc3df", "panelTitle-activeForeground": "#ffffff", "panel-background": "#000000",
      "dropdown-background": "#000000", "dropdown-border": "#6fc3df", "editor-selectionBackground": "#ffffff", "contrastBorder": "#6fc3df",
      "settings-dropdownBackground": "#000000", "settings-dropdownBorder": "#6fc3df", "settings-dropdownForeground": "#ffffff", "list-activeSelectionForeground": "#ffffff",
    },
  },
};
const FONTS = { "font-family": "system-ui, 'Segoe UI', 'Ubuntu', sans-serif", "font-size": "13px", "font-weight": "normal", "editor-font-family": "'DejaVu Sans Mono', monospace", "editor-font-size": "13px" };

for (const [name, theme] of Object.entries(THEMES)) {
  const vars = { ...FONTS, ...theme.vars };
  writeFileSync(join(out, `theme-${name}.css`), `html { ${Object.entries(vars).map(([k, v]) => `--vscode-${k}: ${v};`).join(" ")} }\n`);
}

// The stub of VS Code's API: records what the page posts, answers `ready` with the scenario's messages,
// then plays its live events; shows CSP violations and errors in the page.
writeFileSync(
  join(out, "stub.js"),
  `(() => {
  const problems = [];
  const show = (text) => {
    problems.push(text);
    let el = document.getElementById("dev-problems");
    if (!el) { el = document.createElement("pre"); el.id = "dev-problems"; document.body.prepend(el); }
    el.textContent = "DEV PAGE PROBLEMS:\\n" + problems.join("\\n");
  };
  document.addEventListener("securitypolicyviolation", (e) => show("CSP: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber));
  window.addEventListener("error", (e) => show("error: " + e.message + " " + e.filename + ":" + e.lineno));
  window.posted = [];
  let state = window.scenario.state;
  const send = (data) => window.dispatchEvent(new MessageEvent("message", { data }));
  window.acquireVsCodeApi = () => ({
    getState: () => state,
    setState: (s) => { state = s; },
    postMessage: (m) => {
      window.posted.push(m);
      if (m.type !== "ready") return;
      setTimeout(() => {
        const t0 = performance.now();
        for (const message of window.scenario.messages) send(message);
        // A theme switch as VS Code does it: the body's classes and the variables on <html>.
        const next = window.scenario.switchTheme;
        if (next) setTimeout(() => {
          for (const [k, v] of Object.entries(next.vars)) document.documentElement.style.setProperty("--vscode-" + k, v);
          document.documentElement.className = next.class;
          document.body.className = next.class;
        }, 300);
        const live = window.scenario.live;
        if (!live) return;
        // Live events: in batches per timer tick, as a training process would stream them.
        let i = 0;
        const tick = () => {
          for (let k = 0; k < live.perTick && i < live.events.length; k++, i++) send(live.events[i]);
          if (i < live.events.length) setTimeout(tick, live.interval);
          else requestAnimationFrame(() => requestAnimationFrame(() => {
            document.body.dataset.liveMs = String(Math.round(performance.now() - t0));
            document.body.dataset.points = String(document.querySelectorAll(".uplot").length);
          }));
        };
        tick();
      }, 0);
    },
  });
})();
`,
);

/** One dev page: the production page's shape (see src/extension/webview-html.ts) with file: as cspSource. */
function page(name, script, themeName, scenario) {
  const nonce = "devnonce" + Math.random().toString(36).slice(2);
  const csp = `default-src 'none'; img-src file: data:; style-src file:; font-src file:; script-src 'nonce-${nonce}'`;
  const dist = (f) => url(join(root, "dist/webview", f));
  const media = (f) => url(join(root, "media", f));
  const scenarioFile = `${name}.scenario.js`;
  writeFileSync(join(out, scenarioFile), `window.scenario = ${JSON.stringify(scenario)};\n`);
  const html = `<!DOCTYPE html>
<html lang="en" class="${THEMES[themeName].class}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${url(join(out, `theme-${themeName}.css`))}">
<link rel="stylesheet" href="${dist("codicon.css")}" id="vscode-codicon-stylesheet">
${script === "explorer" ? `<link rel="stylesheet" href="${dist("uPlot.min.css")}">` : ""}
<link rel="stylesheet" href="${media("common.css")}">
<link rel="stylesheet" href="${media(script + ".css")}">
<title>${name}</title>
</head>
<body class="${THEMES[themeName].class}" data-vscode-theme-kind="${THEMES[themeName].class}" data-file="/work/project/examples/03_lstm.ts">
<script nonce="${nonce}" src="${url(join(out, scenarioFile))}"></script>
<script nonce="${nonce}" src="${url(join(out, "stub.js"))}"></script>
<script nonce="${nonce}" src="${dist(script + ".js")}"></script>
</body>
</html>`;
  const file = join(out, `${name}.html`);
  writeFileSync(file, html);
  return file;
}

const detail = fx.runDetail(1200);
const traceMessage = { type: "trace", trace: fx.trace(), stale: true, trusted: true };
const backend = { type: "backend", summary: "wasm (WebAssembly, SIMD, 8 threads) — skipped tfjs-node-gpu: not installed; tfjs-node: not installed; webgpu: no adapter" };
const runId = detail.summary.info.id;
// Live: 1,800 more steps and their epochs arrive after the page has drawn the first 1,200.
const more = fx.steps(3000).slice(1200);
const liveEvents = more.flatMap((s) => {
  const events = [{ type: "event", runId, event: { type: "step", time: 0, ...s } }];
  if (s.step % 100 === 0) events.push({ type: "event", runId, event: { type: "epoch", epoch: s.epoch, loss: s.loss, metrics: { accuracy: Math.min(0.98, 0.15 + 0.8 * (1 - Math.exp(-s.epoch / 6))), predicted: "the king's" }, time: 0 } });
  return events;
});

const scenarios = {
  shapes: { tab: 0, messages: [backend, traceMessage, { type: "run", detail }] },
  "shapes-bidi": { tab: 0, state: { shapesSelection: "16:30:call:RNN" }, messages: [traceMessage] },
  "shapes-cell": { tab: 0, state: { shapesSelection: "26:14:call:LSTMCell" }, messages: [{ ...traceMessage, stale: false }] },
  untrusted: { tab: 0, messages: [{ type: "trace", trace: null, stale: false, trusted: false }] },
  training: { tab: 1, messages: [backend, traceMessage, { type: "run", detail }, { type: "compare", runs: fx.compareRuns() }], live: { events: liveEvents, perTick: 60, interval: 16 } },
  "training-empty": { tab: 1, messages: [backend] },
  // Epochs on a log x axis, the y range clipped to the 1st–99th percentile (the spikes marked at the top edge).
  "training-robust": { tab: 1, state: { xAxis: "epoch", logX: true, robustY: true }, messages: [backend, { type: "run", detail }, { type: "compare", runs: fx.compareRuns() }] },
  "training-wall": { tab: 1, state: { xAxis: "wall" }, messages: [backend, { type: "run", detail }] },
  parameters: { tab: 2, messages: [{ type: "run", detail }] },
  dynamics: { tab: 3, messages: [{ type: "run", detail }] },
};

const shots = [];
for (const [name, s] of Object.entries(scenarios)) {
  for (const theme of name === "shapes" || name === "training" || name === "parameters" || name === "dynamics" ? ["dark", "light", "hc"] : ["dark", "light"]) {
    const file = page(`explorer-${name}-${theme}`, "explorer", theme, { state: { tab: s.tab, smoothing: 0.8, logY: name === "training" && theme === "light", ...(s.state ?? {}) }, messages: s.messages, live: s.live });
    shots.push({ file, height: name === "parameters" ? 2600 : name === "dynamics" ? 1500 : name.startsWith("training") ? 1300 : 900, width: 1200 });
  }
}
for (const theme of ["dark", "light", "hc"]) {
  const file = page(`runs-${theme}`, "runs", theme, { state: {}, messages: [{ type: "runs", runs: fx.runSummaries(), selected: ["/work/project/.unroll/runs/20261122-181500-hello"] }] });
  shots.push({ file, height: 640, width: 340 });
}
page("runs-empty-dark", "runs", "dark", { state: {}, messages: [{ type: "runs", runs: [], selected: [] }] });
// The Runs table: 1,000 runs of a sweep, three ticked (the scatter then shows those three).
// A second experiment beside it: grouped apart; the scatter shows one experiment (lr on a log axis by default).
const tableRuns = [...fx.otherExperimentRuns(), ...fx.tableRuns(1000)];
for (const theme of ["dark", "light"]) {
  const ticked = theme === "dark" ? [] : tableRuns.slice(4, 7).map((r) => r.dir);
  const file = page(`runs-table-${theme}`, "runs-table", theme, { state: { sortKey: "final.loss", descending: false, filter: "", x: "lr", y: "final.loss" }, messages: [{ type: "table", runs: tableRuns, selected: ticked }] });
  shots.push({ file, height: 1000, width: 1200 });
}
// Narrow (400 px), the hello experiment folded open and the sweep folded, a filter naming no column (loss<0.5).
for (const theme of ["dark", "light"]) {
  const file = page(`runs-table-narrow-${theme}`, "runs-table", theme, {
    state: { sortKey: "final.loss", descending: false, filter: "loss<0.5", x: "lr", y: "final.loss", collapsed: [], experiment: "/work/project/examples/05b_hello_rnn.ts" },
    messages: [{ type: "table", runs: tableRuns, selected: [] }],
  });
  shots.push({ file, height: 900, width: 400 });
}
{
  const file = page("runs-table-groups-dark", "runs-table", "dark", {
    state: { sortKey: "final.loss", descending: false, filter: "", x: "lr", y: "final.loss", collapsed: ["/work/project/examples/05b_hello_rnn.ts"], experiment: "/work/project/examples/06_char_lstm.ts" },
    messages: [{ type: "table", runs: tableRuns, selected: [] }],
  });
  shots.push({ file, height: 1000, width: 1200 });
}
// Starts dark and switches to light after drawing: every canvas and chart must follow.
for (const [tab, name] of [[1, "training"], [2, "parameters"]]) {
  const file = page(`explorer-switch-${name}`, "explorer", "dark", { state: { tab, smoothing: 0.6, logY: false }, messages: [{ type: "run", detail }], switchTheme: { class: "vscode-light", vars: THEMES.light.vars } });
  shots.push({ file, height: 900, width: 1200 });
}

// 100,000 steps, one `event` message each: how long until the chart has drawn them all.
const big = fx.steps(100_000, { decay: 20000, stepsPerEpoch: 1000 });
const perf = page("explorer-perf-dark", "explorer", "dark", {
  state: { tab: 1, smoothing: 0.9, logY: true },
  messages: [{ type: "run", detail: { ...detail, steps: [], epochs: [], snapshot: undefined, dynamics: undefined } }],
  live: { events: big.map((s) => ({ type: "event", runId, event: { type: "step", time: 0, ...s } })), perTick: 5000, interval: 0 },
});

// --real=DIR: pages fed with real output of the CLI: DIR/*.jsonl from `unroll train <file> --json` and
// DIR/trace-*.json from `unroll trace <file> --json`.
const realDir = args.find((a) => a.startsWith("--real="))?.slice(7);
if (realDir) {
  const { readdirSync, readFileSync } = await import("node:fs");
  for (const f of readdirSync(realDir).filter((f) => f.startsWith("trace-") && f.endsWith(".json"))) {
    const trace = JSON.parse(readFileSync(join(realDir, f), "utf8"));
    for (const theme of ["dark", "light"]) {
      const file = page(`real-${f.replace(/\.json$/, "")}-${theme}`, "explorer", theme, { state: { tab: 0, smoothing: 0.8, logY: false }, messages: [{ type: "trace", trace, stale: false, trusted: true }] });
      shots.push({ file, height: 1100, width: 1200 });
    }
  }
  for (const f of readdirSync(realDir).filter((f) => f.endsWith(".jsonl"))) {
    const events = readFileSync(join(realDir, f), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const start = events.find((e) => e.type === "start");
    if (!start) continue;
    const messages = events.map((event) => ({ type: "event", runId: start.run.id, event }));
    for (const [tab, name] of [[1, "training"], [2, "parameters"], [3, "dynamics"]]) {
      for (const theme of ["dark", "light"]) {
        const file = page(`real-${f.replace(/\.jsonl$/, "")}-${name}-${theme}`, "explorer", theme, { state: { tab, smoothing: 0.8, logY: false }, messages: [], live: { events: messages, perTick: 1000, interval: 0 } });
        shots.push({ file, height: name === "training" ? 1100 : 1600, width: 1200 });
      }
    }
  }
}

// --checkpoint=FILE.json: the checkpoint viewer fed with a CheckpointView (what the host's readCheckpoint gives
// for a .safetensors file), e.g. written by `node -e` from a bundle of src/runs/safetensors-file.ts.
const checkpointJson = args.find((a) => a.startsWith("--checkpoint="))?.slice(13);
if (checkpointJson) {
  const { readFileSync } = await import("node:fs");
  const view = JSON.parse(readFileSync(checkpointJson, "utf8"));
  for (const theme of ["dark", "light"]) {
    const file = page(`checkpoint-${theme}`, "checkpoint", theme, { state: {}, messages: [{ type: "checkpoint", view }] });
    shots.push({ file, height: 2400, width: 1200 });
  }
}

console.log(`pages in ${out}`);
const chromium = () => {
  const found = ["chromium", "chromium-browser", "google-chrome"].find((c) => {
    try {
      execFileSync("which", [c], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw new Error("no chromium: apt-get install -y chromium");
  return found;
};
const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files", "--virtual-time-budget=8000"];
if (args.includes("--shots")) {
  const only = args.find((a) => a.startsWith("--only="))?.slice(7);
  for (const s of shots.filter((s) => !only || s.file.includes(only))) {
    const png = s.file.replace(/\.html$/, ".png");
    execFileSync(chromium(), [...flags, `--screenshot=${png}`, `--window-size=${s.width},${s.height}`, url(s.file)], { stdio: "ignore" });
    console.log(png);
  }
}
if (args.includes("--perf")) {
  // Real time, not virtual time: Chromium driven over the DevTools protocol on a pipe (fds 3 and 4).
  const { spawn } = await import("node:child_process");
  const browser = spawn(chromium(), ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--remote-debugging-pipe", "--window-size=1200,900", "about:blank"], { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] });
  let id = 0;
  let buffer = "";
  const waiting = new Map();
  browser.stdio[4].on("data", (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf("\0")) >= 0) {
      const message = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      waiting.get(message.id)?.(message);
    }
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((done) => {
      waiting.set(++id, done);
      browser.stdio[3].write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
    });
  const { result: target } = await send("Target.createTarget", { url: url(perf) });
  const { result: session } = await send("Target.attachToTarget", { targetId: target.targetId, flatten: true });
  const evaluate = async (expression) => (await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }, session.sessionId)).result?.result?.value;
  let ms;
  for (let i = 0; i < 120 && !ms; i++) {
    await new Promise((r) => setTimeout(r, 500));
    ms = await evaluate("document.body.dataset.liveMs");
  }
  const problems = await evaluate("document.getElementById('dev-problems')?.textContent ?? ''");
  const frame = await evaluate(`(() => { const t0 = performance.now(); window.dispatchEvent(new MessageEvent("message", { data: { type: "event", runId: ${JSON.stringify(runId)}, event: { type: "step", epoch: 101, step: 100001, loss: 0.5, lr: 0.001, time: 0 } } })); return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - t0)))); })()`);
  console.log(`perf: 100,000 step events, one message each, received and drawn in ${ms ?? "?"} ms; one more step drawn in ${Math.round(frame ?? NaN)} ms${problems ? `\n${problems}` : ""}`);
  browser.kill();
}
