// The Runs view in the sidebar: every run of the workspace, grouped by experiment (its model file; each group
// collapsible), newest first as the host sends them, each called by its label (the user's, else what differs from
// the other runs of its experiment: `lr 0.3 · 18:14`), with its tags, note, status, backend, final loss and metrics,
// and a loss sparkline. Click a run to open it; tick runs to overlay them in the explorer; the row's buttons rename,
// tag or annotate it (the host asks), open its weights in the checkpoint viewer, or delete it (the host confirms).
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import type { runsViewChannel, RunSummary, ToRunsView } from "../src/common/protocol";
import { byExperiment, groupRuns, type RunGroup } from "../src/common/run-identity";
import { ago, basename, bdi, connect, fill, h, icon, isolated, sparklineCanvas, statusIcon } from "./common";
import { t, tNodes } from "./l10n";
import { formatNumber } from "./numbers";
import { editButtons } from "./run-edit";

/** The experiments folded by the user (by key), kept across reloads of the view. */
const vscode = connect<typeof runsViewChannel, { collapsed: string[] }>({ collapsed: [] }, onMessage);
const list = h("ul", { class: "runs", role: "list", "aria-label": t("Runs") });
const empty = h("p", { class: "empty" }, t("No runs yet. Open a model file and run “Unroll: Train Model”."));
document.body.append(list);
let selected = new Set<string>();
let runs: RunSummary[] = [];
vscode.ready();

function onMessage(m: ToRunsView): void {
  runs = m.runs;
  // The host owns the selection; what it sends replaces what was ticked here.
  selected = new Set(m.selected);
  render();
}

function render(): void {
  if (runs.length === 0) return fill(list, empty);
  fill(list, ...groupRuns(runs, [byExperiment<RunSummary>()]).map(groupItem));
}

/** An experiment: its title and run count, then its runs (and any sub-group), folded when the user folded it. */
function groupItem(group: RunGroup<RunSummary>): HTMLElement {
  const count = group.runs.length + group.groups.reduce((n, g) => n + g.runs.length, 0);
  const details = h(
    "details",
    { class: "experiment", open: !vscode.state.collapsed.includes(group.key) },
    h("summary", { title: isolated(group.key) }, h("span", { class: "experiment-title" }, bdi(group.title)), h("span", { class: "muted" }, ` (${count})`)),
    h("ul", { class: "runs", role: "list", "aria-label": group.title }, ...group.runs.map(item), ...group.groups.map(groupItem)),
  );
  details.addEventListener("toggle", () => {
    const others = vscode.state.collapsed.filter((k) => k !== group.key);
    vscode.save({ collapsed: details.open ? others : [...others, group.key] });
  });
  return h("li", { class: "group" }, details);
}

function item(run: RunSummary): HTMLElement {
  const info = run.info;
  // A run is its folder: ids repeat across the workspace's runs folders.
  const open = () => vscode.post({ type: "openRun", dir: run.dir });
  const label = run.label ?? info.id;
  const check = h("vscode-checkbox", {
    checked: selected.has(run.dir),
    title: t("Compare: overlay this run in the explorer"),
    "aria-label": t("Compare {0}", label),
  });
  check.addEventListener("change", () => {
    if (check.checked) selected.add(run.dir);
    else selected.delete(run.dir);
    vscode.post({ type: "select", dirs: runs.map((r) => r.dir).filter((dir) => selected.has(dir)) });
  });
  check.addEventListener("click", (e) => e.stopPropagation());
  const remove = h("button", { class: "icon-button", title: t("Delete run"), "aria-label": t("Delete run {0}", label) }, icon("trash"));
  remove.addEventListener("click", (e) => {
    e.stopPropagation();
    vscode.post({ type: "deleteRun", dir: run.dir });
  });
  const weights = h("button", { class: "icon-button", title: t("Open weights"), "aria-label": t("Open the weights of {0}", label) }, icon("database"));
  weights.addEventListener("click", (e) => {
    e.stopPropagation();
    vscode.post({ type: "openWeights", dir: run.dir });
  });
  // Names and values from the run's files each in a <bdi> (see bdi()): one cannot reverse the others.
  const metrics = Object.entries(info.finalMetrics ?? {})
    .slice(0, 3)
    .flatMap(([k, v]) => [" · ", bdi(k), " ", bdi(typeof v === "number" ? formatNumber(v) : JSON.stringify(v))]);
  const when = info.status === "running" && info.epoch !== undefined ? t("epoch {0}/{1}", info.epoch, info.config.epochs) : ago(info.endedAt ?? info.startedAt);
  const backend = info.backendName || "?";
  const results = run.damaged
    ? h("span", { class: "ellipsis error" }, ...tNodes("damaged: {0}", bdi(run.damaged)))
    : info.error
      ? h("span", { class: "ellipsis error" }, bdi(info.error.message))
      : h(
          "span",
          { class: "ellipsis" },
          info.finalLoss !== undefined && info.finalLoss !== null ? t("loss {0}", formatNumber(info.finalLoss)) : t("no loss yet"),
          metrics.length ? h("span", { class: "muted" }, ...metrics) : null,
        );
  return h(
    "li",
    {
      class: `run ${selected.has(run.dir) ? "selected" : ""}`,
      tabindex: 0,
      title: [
        ...[label, info.name, run.meta?.note, info.file, info.config.model, info.backend, info.error?.message].filter((line) => line).map(isolated),
        ...(run.damaged ? [t("damaged: {0}", isolated(run.damaged))] : []),
        isolated(run.dir),
      ].join("\n"),
      onclick: open,
      onkeydown: (e) => {
        const key = (e as KeyboardEvent).key;
        if (key === "Enter") open();
        if (key === "Delete") vscode.post({ type: "deleteRun", dir: run.dir });
        if (key === "F2") vscode.post({ type: "editRun", dir: run.dir, field: "label" });
      },
    },
    check,
    h(
      "div",
      { class: "run-main" },
      h(
        "div",
        { class: "run-line" },
        statusIcon(info),
        h("span", { class: "run-name" }, bdi(label)),
        ...(run.meta?.tags ?? []).map((tag) => h("span", { class: "tag" }, bdi(tag))),
      ),
      run.meta?.note ? h("div", { class: "run-line muted" }, h("span", { class: "ellipsis note" }, bdi(run.meta.note))) : null,
      h("div", { class: "run-line muted" }, h("span", { class: "ellipsis" }, bdi(basename(info.file)), " · ", bdi(backend), ` · ${when}`)),
      h("div", { class: "run-line" }, results),
    ),
    sparklineCanvas(run.lossCurve, t("Loss curve of {0}", label)),
    h("div", { class: "row-actions" }, ...editButtons(run.dir, label, (m) => vscode.post(m)), weights, remove),
  );
}
