// The checkpoint viewer: every tensor of a .safetensors file (name, dtype, shape, statistics) as the host read it,
// and a card per tensor with its histogram and heatmap; recurrent weights (PyTorch names) are split into their
// gate blocks (i f g o, r z n) with per-gate statistics. "Compare with…" adds, above, the difference B − A with
// another checkpoint: a card per tensor with the same name and shape (diverging heatmap centred at 0, per-gate
// statistics), and the tensors not compared with why. The host sends summaries and downsampled heatmaps only.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import type { CheckpointComparison, CheckpointTensor, CheckpointView, checkpointChannel, ParameterSnapshot, ToCheckpoint } from "../src/common/protocol";
import { banner, basename, bdi, connect, fill, h, icon } from "./common";
import { checkpointModules, largestChange, tensorNote, uncomparedReason } from "./checkpoint-logic";
import { parameterPictures } from "./explorer-parameters";
import { t, tNodes } from "./l10n";
import { formatBytes, formatCount, formatNumber } from "./numbers";
import { formatShape } from "../src/common/format";
import { gateTitle } from "./parameter-labels";

const vscode = connect<typeof checkpointChannel, Record<string, never>>({}, onMessage);
const file = document.body.dataset.file ?? "";
const main = h("main", {}, h("p", { class: "empty" }, t("Reading the checkpoint…")));
const comparisonBox = h("section", { class: "comparison", hidden: true, "aria-label": t("Comparison") });
const toolbar = h(
  "div",
  { class: "toolbar" },
  h(
    "vscode-button",
    { icon: "diff", secondary: true, title: t("Compare with another .safetensors file"), onclick: () => vscode.post({ type: "compare" }) },
    t("Compare with…"),
  ),
);
document.body.append(
  h("header", { class: "file" }, icon("database"), " ", bdi(basename(file)), h("span", { class: "muted" }, " ", bdi(file))),
  toolbar,
  comparisonBox,
  main,
);
vscode.ready();

function onMessage(m: ToCheckpoint): void {
  if (m.type === "checkpoint") show(m.view);
  else showComparison(m.comparison);
}

function showComparison(c: CheckpointComparison | null): void {
  comparisonBox.hidden = !c;
  if (!c) return fill(comparisonBox);
  const close = h("vscode-button", { icon: "close", secondary: true, onclick: () => vscode.post({ type: "closeComparison" }) }, t("Close comparison"));
  const title = h("h3", {}, icon("diff"), " ", ...tNodes("Compared with {0}: B − A", bdi(basename(c.fileB))), " ", close);
  if (c.error) return fill(comparisonBox, title, banner("error", "error", t("The comparison could not be made"), h("span", { class: "mono" }, c.error)));
  const largest = largestChange(c.differences);
  fill(
    comparisonBox,
    title,
    h(
      "p",
      { class: "meta" },
      ...tNodes("A: {0} · B: {1}", bdi(c.fileA), bdi(c.fileB)),
      h("br"),
      t("{0} tensors compared (same name and shape) · {1} not compared", formatCount(c.differences.length), formatCount(c.uncompared.length)),
      ...(largest ? [" · ", ...tNodes("largest change: {0} (max |B − A| {1})", bdi(largest.name), formatNumber(largest.maxAbs))] : []),
    ),
    c.uncompared.length
      ? h(
          "ul",
          { class: "uncompared", "aria-label": t("Tensors not compared") },
          ...c.uncompared.map((u) => h("li", {}, h("span", { class: "mono" }, bdi(u.name)), `: ${uncomparedReason(u, t)}`)),
        )
      : null,
    c.differences.length ? table(c.differences, comparisonBox, "B − A") : null,
    h("div", { class: "cards" }, ...c.differences.filter((d) => d.heatmap).map((d) => card(d, "B − A"))),
  );
}

function show(view: CheckpointView): void {
  if (view.error) return fill(main, banner("error", "error", "This file could not be read as safetensors", h("span", { class: "mono" }, view.error)));
  const modules = checkpointModules(view.tensors);
  const metadata = Object.entries(view.metadata);
  fill(
    main,
    h(
      "p",
      { class: "meta" },
      t(
        "{0} tensors · {1} values · {2}",
        formatCount(view.tensorCount),
        formatCount(view.tensors.reduce((s, x) => s + x.shape.reduce((a, b) => a * b, 1), 0)),
        formatBytes(view.bytes),
      ),
      metadata.length ? ` · metadata: ${metadata.map(([k, v]) => `${k}=${v}`).join(", ")}` : "",
    ),
    modules.length ? h("ul", { class: "modules", "aria-label": "Recurrent modules" }, ...modules.map((m) => h("li", {}, m))) : null,
    view.tensorCount > view.tensors.length ? h("p", { class: "hint" }, t("The first {0} tensors are shown.", formatCount(view.tensors.length))) : null,
    table(view.tensors, main),
    h("div", { class: "cards" }, ...view.tensors.filter((tensor) => tensor.heatmap).map((tensor) => card(tensor))),
  );
}

/** The tensors' statistics (or their differences', with `of` "B − A"), a click scrolling to the card in `within`. */
function table(tensors: CheckpointTensor[], within: HTMLElement, of = ""): HTMLElement {
  const num = (v: number) => h("td", { class: "num" }, formatNumber(v));
  const reveal = (name: string) => within.querySelector(`[data-tensor="${CSS.escape(name)}"]`)?.scrollIntoView({ behavior: "smooth", block: "start" });
  return h(
    "table",
    { class: "grid compact params", "aria-label": of ? t("Differences B − A") : t("Tensors") },
    h(
      "thead",
      {},
      h("tr", {}, ...["Tensor", "Dtype", "Shape", "Mean", "Std", "Min", "Max", "Norm", "Non-finite"].map((c, i) => h("th", { class: i > 2 ? "num" : "" }, c))),
    ),
    h(
      "tbody",
      {},
      ...tensors.map((tensor) =>
        h(
          "tr",
          {
            tabindex: 0,
            title: tensor.heatmap ? t("Show its histogram and heatmap") : "",
            onclick: () => reveal(tensor.name),
            onkeydown: (e) => (e as KeyboardEvent).key === "Enter" && reveal(tensor.name),
          },
          h("td", { class: "mono" }, tensor.name),
          h("td", { class: "mono" }, tensor.dtype),
          h("td", { class: "mono" }, formatShape(tensor.shape)),
          num(tensor.mean),
          num(tensor.std),
          num(tensor.min),
          num(tensor.max),
          num(tensor.norm),
          h("td", { class: "num" }, tensor.nonFinite ? formatCount(tensor.nonFinite) : "0"),
        ),
      ),
    ),
  );
}

/** A tensor's card (or, with `of` "B − A", a difference's): histogram, heatmap in gate blocks, per-gate statistics. */
function card(tensor: CheckpointTensor, of = ""): HTMLElement {
  // The Parameters tab's helpers read a snapshot: this tensor has the same fields, less its gradient.
  const p = { ...tensor, gradNorm: null, histogram: tensor.histogram!, heatmap: tensor.heatmap! } as ParameterSnapshot;
  return h(
    "section",
    { class: "card", "data-tensor": tensor.name },
    h("h4", { class: "mono" }, of ? `${of}: ` : "", bdi(tensor.name), h("span", { class: "muted" }, ` ${tensor.dtype} ${formatShape(tensor.shape)}`)),
    h("p", { class: "meta" }, tensorNote(tensor) || "\u00a0"),
    h("p", { class: "meta" }, t("mean {0} · std {1} · norm {2}", formatNumber(tensor.mean), formatNumber(tensor.std), formatNumber(tensor.norm))),
    ...parameterPictures(p),
    tensor.gates && tensor.gateStats ? gateTable(tensor.gates, tensor.gateStats) : null,
  );
}

function gateTable(gates: string[], stats: NonNullable<CheckpointTensor["gateStats"]>): HTMLElement {
  return h(
    "table",
    { class: "grid compact gate-stats", "aria-label": "Statistics per gate" },
    h("thead", {}, h("tr", {}, ...["Gate", "Mean", "Std", "Min", "Max", "Norm"].map((c, i) => h("th", { class: i ? "num" : "" }, c)))),
    h(
      "tbody",
      {},
      ...gates.map((g, i) =>
        h(
          "tr",
          { title: gateTitle(g) },
          h("td", { class: "mono" }, g),
          ...(["mean", "std", "min", "max", "norm"] as const).map((k) => h("td", { class: "num" }, formatNumber(stats[i]?.[k]))),
        ),
      ),
    ),
  );
}
