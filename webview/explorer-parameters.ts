// The Parameters tab: the latest snapshot of every parameter: a table of statistics, then a card per
// parameter with its histogram and its heatmap (gate blocks labelled down the rows, layer and direction
// named). When the run sends snapshots live, each card also shows how far the weights moved since the
// snapshot before.
import type { ParameterSnapshot, RunDetail } from "../src/protocol";
import { fill, h, heatmap, histogram } from "./common";
import { formatNumber, formatShape, gateBlocks, gateTitle, parameterGrid, parameterNote } from "./logic";

type Snapshot = NonNullable<RunDetail["snapshot"]>;

export class ParametersTab {
  readonly el = h("div", { class: "tab-body parameters" });
  /** The snapshot before the latest, in this session, to show each parameter's change (norm and mean). */
  private previous: Snapshot | null = null;
  private current: Snapshot | null = null;

  constructor() {
    this.show(undefined, true);
  }

  /** Shows a snapshot; `fresh` when it belongs to another run than the one before (no change to show). */
  show(snapshot: Snapshot | undefined, fresh: boolean): void {
    this.previous = fresh ? null : this.current;
    this.current = snapshot ?? null;
    if (!snapshot) {
      return fill(this.el, h("p", { class: "empty" }, "Parameters appear with the first snapshot of a training run (every “unroll.snapshotEvery” steps)."));
    }
    const before = new Map((this.previous?.parameters ?? []).map((p) => [p.name, p]));
    fill(
      this.el,
      h("p", { class: "meta" }, `Snapshot at epoch ${snapshot.epoch}, step ${snapshot.step}${this.previous ? ` (changes since step ${this.previous.step})` : ""}`),
      table(snapshot.parameters, (name) => this.el.querySelector(`[data-param="${CSS.escape(name)}"]`)?.scrollIntoView({ behavior: "smooth", block: "start" })),
      h("div", { class: "cards" }, ...snapshot.parameters.map((p) => card(p, before.get(p.name), this.previous?.step))),
    );
  }
}

function table(parameters: ParameterSnapshot[], reveal: (name: string) => void): HTMLElement {
  const num = (v: number | null) => h("td", { class: "num" }, formatNumber(v));
  return h(
    "table",
    { class: "grid compact params" },
    h(
      "thead",
      {},
      h("tr", {}, ...["Parameter", "Shape", "Mean", "Std", "Min", "Max", "Norm", "Grad norm"].map((c, i) => h("th", { class: i > 1 ? "num" : "" }, c))),
    ),
    h(
      "tbody",
      {},
      ...parameters.map((p) =>
        h(
          "tr",
          { tabindex: 0, title: "Show its histogram and heatmap", onclick: () => reveal(p.name), onkeydown: (e) => (e as KeyboardEvent).key === "Enter" && reveal(p.name) },
          h("td", { class: "mono" }, p.name),
          h("td", { class: "mono" }, formatShape(p.shape)),
          num(p.mean),
          num(p.std),
          num(p.min),
          num(p.max),
          num(p.norm),
          num(p.gradNorm),
        ),
      ),
    ),
  );
}

function card(p: ParameterSnapshot, before: ParameterSnapshot | undefined, beforeStep: number | undefined): HTMLElement {
  const grid = parameterGrid(p);
  const blocks = gateBlocks(p);
  const gateOfRow = (row: number) => blocks.find((b) => row >= b.start && row < b.end);
  const downsampled = !!p.heatmap.downsampledFrom;
  const describe = (row: number, col: number, v: number) => {
    const gate = gateOfRow(row);
    const where = p.shape.length <= 1 ? `[${row}]` : `[${row}, ${col}]`;
    return `${p.name}${downsampled ? ` block ${where} (averaged)` : where}${gate ? `, gate ${gateTitle(gate.label)}` : ""}: ${formatNumber(v)}`;
  };
  const change = before
    ? h(
        "p",
        { class: "meta" },
        `Since step ${beforeStep}: norm ${formatNumber(before.norm)} → ${formatNumber(p.norm)} (${formatDelta(p.norm - before.norm)}), mean ${formatDelta(p.mean - before.mean)}`,
      )
    : null;
  return h(
    "section",
    { class: "card", "data-param": p.name },
    h("h4", { class: "mono" }, p.name, h("span", { class: "muted" }, ` ${formatShape(p.shape)}`)),
    h("p", { class: "meta" }, parameterNote(p) || "\u00a0"),
    h("p", { class: "meta" }, `mean ${formatNumber(p.mean)} · std ${formatNumber(p.std)} · norm ${formatNumber(p.norm)} · grad ${formatNumber(p.gradNorm)}`),
    change,
    histogram(p.histogram, `Histogram of ${p.name}`),
    heatmap(grid, {
      label: `Heatmap of ${p.name}`,
      blocks,
      describe,
      // A bias (or a one-column matrix) is a narrow column, its gate blocks still labelled down the side.
      strip: grid.cols === 1,
      height: grid.cols === 1 ? Math.min(240, Math.max(60, grid.rows * 3)) : undefined,
    }),
    p.shape.length > 1 ? h("p", { class: "axis-note" }, `rows: ${blocks.length ? "gate blocks of " : ""}output units · columns: ${p.name.includes("_hh") ? "hidden units" : "inputs"}`) : null,
  );
}

const formatDelta = (d: number) => (d >= 0 ? "+" : "−") + formatNumber(Math.abs(d));
