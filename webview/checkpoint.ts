// The checkpoint viewer: every tensor of a .safetensors file (name, dtype, shape, statistics) as the host read it,
// and a card per tensor with its histogram and heatmap; recurrent weights (PyTorch names) are split into their
// gate blocks (i f g o, r z n) with per-gate statistics. The host sends summaries and downsampled heatmaps only.
import type { CheckpointTensor, CheckpointView, FromCheckpoint, ParameterSnapshot, ToCheckpoint } from "../src/protocol";
import { banner, basename, connect, fill, h, heatmap, histogram, icon } from "./common";
import { checkpointModules, tensorNote } from "./checkpoint-logic";
import { formatCount, formatNumber, formatShape, gateBlocks, gateTitle, parameterGrid } from "./logic";

const vscode = connect<Record<string, never>, ToCheckpoint, FromCheckpoint>({}, onMessage);
const file = document.body.dataset.file ?? "";
const main = h("main", {}, h("p", { class: "empty" }, "Reading the checkpoint…"));
document.body.append(h("header", { class: "file" }, icon("database"), ` ${basename(file)}`, h("span", { class: "muted" }, ` ${file}`)), main);
vscode.ready();

function onMessage(m: ToCheckpoint): void {
  if (m.type === "checkpoint") show(m.view);
}

function show(view: CheckpointView): void {
  if (view.error) return fill(main, banner("error", "error", "This file could not be read as safetensors", h("span", { class: "mono" }, view.error)));
  const modules = checkpointModules(view.tensors);
  const metadata = Object.entries(view.metadata);
  fill(
    main,
    h("p", { class: "meta" }, `${formatCount(view.tensorCount)} tensors · ${formatCount(view.tensors.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0))} values · ${formatBytes(view.bytes)}`, metadata.length ? ` · metadata: ${metadata.map(([k, v]) => `${k}=${v}`).join(", ")}` : ""),
    modules.length ? h("ul", { class: "modules", "aria-label": "Recurrent modules" }, ...modules.map((m) => h("li", {}, m))) : null,
    view.tensorCount > view.tensors.length ? h("p", { class: "hint" }, `The first ${formatCount(view.tensors.length)} tensors are shown.`) : null,
    table(view.tensors),
    h("div", { class: "cards" }, ...view.tensors.filter((t) => t.heatmap).map(card)),
  );
}

const formatBytes = (n: number) => (n >= 1 << 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`);

function table(tensors: CheckpointTensor[]): HTMLElement {
  const num = (v: number) => h("td", { class: "num" }, formatNumber(v));
  const reveal = (name: string) => main.querySelector(`[data-tensor="${CSS.escape(name)}"]`)?.scrollIntoView({ behavior: "smooth", block: "start" });
  return h(
    "table",
    { class: "grid compact params", "aria-label": "Tensors" },
    h("thead", {}, h("tr", {}, ...["Tensor", "Dtype", "Shape", "Mean", "Std", "Min", "Max", "Norm", "Non-finite"].map((c, i) => h("th", { class: i > 2 ? "num" : "" }, c)))),
    h(
      "tbody",
      {},
      ...tensors.map((t) =>
        h(
          "tr",
          { tabindex: 0, title: t.heatmap ? "Show its histogram and heatmap" : "", onclick: () => reveal(t.name), onkeydown: (e) => (e as KeyboardEvent).key === "Enter" && reveal(t.name) },
          h("td", { class: "mono" }, t.name),
          h("td", { class: "mono" }, t.dtype),
          h("td", { class: "mono" }, formatShape(t.shape)),
          num(t.mean),
          num(t.std),
          num(t.min),
          num(t.max),
          num(t.norm),
          h("td", { class: "num" }, t.nonFinite ? formatCount(t.nonFinite) : "0"),
        ),
      ),
    ),
  );
}

function card(t: CheckpointTensor): HTMLElement {
  // The Parameters tab's helpers read a snapshot: this tensor has the same fields, less its gradient.
  const p = { ...t, gradNorm: null, histogram: t.histogram!, heatmap: t.heatmap! } as ParameterSnapshot;
  const grid = parameterGrid(p);
  const blocks = gateBlocks(p);
  const downsampled = !!t.heatmap!.downsampledFrom;
  const describe = (row: number, col: number, v: number) => {
    const gate = blocks.find((b) => row >= b.start && row < b.end);
    const where = t.shape.length <= 1 ? `[${row}]` : `[${row}, ${col}]`;
    return `${t.name}${downsampled ? ` block ${where} (averaged)` : where}${gate ? `, gate ${gateTitle(gate.label)}` : ""}: ${formatNumber(v)}`;
  };
  return h(
    "section",
    { class: "card", "data-tensor": t.name },
    h("h4", { class: "mono" }, t.name, h("span", { class: "muted" }, ` ${t.dtype} ${formatShape(t.shape)}`)),
    h("p", { class: "meta" }, tensorNote(t) || "\u00a0"),
    h("p", { class: "meta" }, `mean ${formatNumber(t.mean)} · std ${formatNumber(t.std)} · norm ${formatNumber(t.norm)}`),
    histogram(p.histogram, `Histogram of ${t.name}`),
    heatmap(grid, { label: `Heatmap of ${t.name}`, blocks, describe, strip: grid.cols === 1, height: grid.cols === 1 ? Math.min(240, Math.max(60, grid.rows * 3)) : undefined }),
    t.gates && t.gateStats ? gateTable(t.gates, t.gateStats) : null,
  );
}

function gateTable(gates: string[], stats: NonNullable<CheckpointTensor["gateStats"]>): HTMLElement {
  return h(
    "table",
    { class: "grid compact gate-stats", "aria-label": "Statistics per gate" },
    h("thead", {}, h("tr", {}, ...["Gate", "Mean", "Std", "Min", "Max", "Norm"].map((c, i) => h("th", { class: i ? "num" : "" }, c)))),
    h("tbody", {}, ...gates.map((g, i) => h("tr", { title: gateTitle(g) }, h("td", { class: "mono" }, g), ...(["mean", "std", "min", "max", "norm"] as const).map((k) => h("td", { class: "num" }, formatNumber(stats[i]?.[k])))))),
  );
}
