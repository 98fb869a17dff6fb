// The explorer panel beside a model file: Shapes, Training, Parameters and Dynamics tabs. It keeps only
// what the host's messages say (re-sent after `ready` when the panel is shown again or restored) and, in
// the webview's state, the UI choices: tab, smoothing, log scale, selections.
import "@vscode-elements/elements/dist/vscode-tabs/index.js";
import "@vscode-elements/elements/dist/vscode-tab-header/index.js";
import "@vscode-elements/elements/dist/vscode-tab-panel/index.js";
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import type { explorerChannel, RunDetail, RunEvent, ToExplorer } from "../src/common/protocol";
import { applyRunEvent, emptyRunDetail } from "../src/common/run-reducer";
import { basename, bdi, connect, h, icon } from "./common";
import { DynamicsTab } from "./explorer-dynamics";
import { ParametersTab } from "./explorer-parameters";
import { ShapesTab } from "./explorer-shapes";
import { TrainingTab } from "./explorer-training";
import { t } from "./l10n";
import type { XAxis } from "./curves";

interface UiState {
  /** The model file; the host reads it back from here to restore the panel after a window reload. */
  file?: string;
  tab: number;
  smoothing: number;
  logY: boolean;
  xAxis: XAxis;
  logX: boolean;
  robustY: boolean;
  hiddenMetrics: string[];
  shapesSelection?: string;
  dynamicsLayer?: string;
}

const TABS = [
  { id: "shapes", label: t("Shapes"), codicon: "symbol-ruler" },
  { id: "training", label: t("Training"), codicon: "graph-line" },
  { id: "parameters", label: t("Parameters"), codicon: "symbol-numeric" },
  { id: "dynamics", label: t("Dynamics"), codicon: "pulse" },
] as const;

// Smoothing 0.6 is TensorBoard's default, which is what people compare curves with.
const vscode = connect<typeof explorerChannel, UiState>(
  { tab: 0, smoothing: 0.6, logY: false, xAxis: "step", logX: false, robustY: false, hiddenMetrics: [] },
  onMessage,
);
// The host writes the file into the page; keeping it in the state is what lets VS Code restore the panel.
const file = document.body.dataset.file || vscode.state.file;
if (file) vscode.save({ file });

const shapes = new ShapesTab(vscode.post, vscode.state.shapesSelection, (key) => vscode.save({ shapesSelection: key }));
const training = new TrainingTab(vscode.post, vscode.state, (patch) => vscode.save(patch));
// The Parameters tab's slider asks for the shown run's stored snapshots one at a time.
const parameters = new ParametersTab((step) => {
  if (run) vscode.post({ type: "loadSnapshot", dir: run.summary.dir, step });
});
const dynamics = new DynamicsTab(vscode.state.dynamicsLayer, (label) => vscode.save({ dynamicsLayer: label }));
let run: RunDetail | null = null;

const tabs = h("vscode-tabs", { "selected-index": vscode.state.tab });
TABS.forEach((tab, i) => tabs.append(h("vscode-tab-header", { slot: "header", id: `tab-${i}` }, icon(tab.codicon), ` ${tab.label}`)));
for (const panel of [shapes, training, parameters, dynamics]) tabs.append(h("vscode-tab-panel", {}, panel.el));
tabs.addEventListener("vsc-tabs-select", (e) => vscode.save({ tab: e.detail.selectedIndex }));

const TRAINING_TAB = TABS.findIndex((tab) => tab.id === "training");

function selectTab(index: number): void {
  (tabs as HTMLElement & { selectedIndex: number }).selectedIndex = index;
  vscode.save({ tab: index });
}

document.body.append(
  h("header", { class: "file" }, icon("file-code"), " ", file ? bdi(basename(file)) : "Unroll", file ? h("span", { class: "muted" }, " ", bdi(file)) : null),
  tabs,
);
vscode.ready();

function onMessage(m: ToExplorer): void {
  switch (m.type) {
    case "trace":
      return shapes.show(m);
    case "run":
      return showRun(m.detail);
    case "event":
      return onEvent(m.runId, m.event);
    case "events":
      return m.events.forEach((event) => onEvent(m.runId, event));
    case "compare":
      return training.setCompare(m.runs);
    case "backend":
      return training.setBackend(m.summary);
    case "tab":
      return selectTab(TABS.findIndex((tab) => tab.id === m.tab));
    case "showSection":
      selectTab(TRAINING_TAB);
      return training.showGradients();
    case "storedSnapshot":
      if (m.dir === run?.summary.dir) parameters.stored(m.step, m.snapshot, m.problem);
      return;
  }
}

function showRun(detail: RunDetail): void {
  const fresh = run?.summary.info.id !== detail.summary.info.id;
  run = detail;
  training.setRun(detail);
  parameters.show(detail.snapshot, fresh, detail.snapshotSteps);
  dynamics.show(detail.dynamics);
}

function onEvent(runId: string, event: RunEvent): void {
  // A run that starts while the panel is open may arrive as events alone: its start event begins it.
  if (event.type === "start" && run?.summary.info.id !== runId) {
    selectTab(TRAINING_TAB); // a run just started: its curve is what the user wants to watch
    return showRun(emptyRunDetail(event.run));
  }
  if (!run || run.summary.info.id !== runId) return;
  switch (applyRunEvent(run, event)) {
    case "step":
      return training.stepAdded();
    case "steps":
      return training.stepsChanged();
    case "epoch":
      return training.epochAdded();
    case "info":
      return training.infoChanged();
    case "gradientWarning":
      return training.gradientWarningAdded();
    case "snapshot":
      return parameters.show(run.snapshot, false, run.snapshotSteps);
    case "dynamics":
      return dynamics.show(run.dynamics);
  }
}
