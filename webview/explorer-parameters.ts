// The Parameters tab: a snapshot of every parameter (the latest, or an older one picked on the slider): a table of
// statistics, then a card per parameter with its histogram and its heatmap (gate blocks labelled down the rows, layer
// and direction named). Each card also shows how far the weights moved since the snapshot before it (snapshot-history.ts).
import type { ParameterSnapshot, RunDetail } from "../src/common/protocol";
import { bdi, fill, h, heatmap, histogram, isolated } from "./common";
import { t } from "./l10n";
import { formatNumber } from "./numbers";
import { formatShape } from "../src/common/format";
import { gateBlocks, parameterGrid } from "./grids";
import { gateTitle, parameterNote } from "./parameter-labels";
import { SnapshotHistory } from "./snapshot-history";

type Snapshot = NonNullable<RunDetail["snapshot"]>;

export class ParametersTab {
  readonly el = h("div", { class: "tab-body parameters" });
  /** The run's snapshots seen in this session, for the slider and each parameter's change since the one before. */
  private readonly history = new SnapshotHistory<Snapshot>();
  /** The snapshot chosen on the slider; null: the latest, following the run as it trains. */
  private chosenStep: number | null = null;

  constructor() {
    this.show(undefined, true);
  }

  /** Shows a snapshot; `fresh` when it belongs to another run than the one before (its snapshots start again). */
  show(snapshot: Snapshot | undefined, fresh: boolean): void {
    if (fresh) {
      this.history.clear();
      this.chosenStep = null;
    }
    if (snapshot) this.history.add(snapshot);
    this.render();
  }

  private render(): void {
    const all = this.history.snapshots;
    if (!all.length) {
      return fill(this.el, h("p", { class: "empty" }, t("Parameters appear with the first snapshot of a training run (every “unroll.snapshotEvery” steps).")));
    }
    const found = this.chosenStep === null ? -1 : all.findIndex((s) => s.step === this.chosenStep);
    const index = found >= 0 ? found : all.length - 1;
    const snapshot = all[index];
    const previous = this.history.before(index);
    const before = new Map((previous?.parameters ?? []).map((p) => [p.name, p]));
    fill(
      this.el,
      all.length > 1 ? this.slider(index) : null,
      h(
        "p",
        { class: "meta" },
        previous
          ? t("Snapshot at epoch {0}, step {1} (changes since step {2})", snapshot.epoch, snapshot.step, previous.step)
          : t("Snapshot at epoch {0}, step {1}", snapshot.epoch, snapshot.step),
      ),
      table(snapshot.parameters, (name) => this.el.querySelector(`[data-param="${CSS.escape(name)}"]`)?.scrollIntoView({ behavior: "smooth", block: "start" })),
      h("div", { class: "cards" }, ...snapshot.parameters.map((p) => card(p, before.get(p.name), previous?.step))),
    );
  }

  /** A slider through the snapshots seen; at its right end it follows the latest as the run trains. */
  private slider(index: number): HTMLElement {
    const all = this.history.snapshots;
    const input = h("input", { type: "range", min: 0, max: all.length - 1, step: 1, value: index, "aria-label": t("Snapshot") });
    const label = (i: number) => t("step {0} ({1} of {2})", all[i].step, i + 1, all.length);
    const value = h("span", { class: "num slider-value" }, label(index));
    input.addEventListener("input", () => (value.textContent = label(Number(input.value))));
    input.addEventListener("change", () => {
      const i = Number(input.value);
      this.chosenStep = i === all.length - 1 ? null : all[i].step;
      this.render();
      this.el.querySelector<HTMLInputElement>("input.snapshot-slider")?.focus();
    });
    input.classList.add("snapshot-slider");
    return h("div", { class: "toolbar slider snapshot-picker" }, h("label", {}, t("Snapshot"), " "), input, value);
  }
}

function table(parameters: ParameterSnapshot[], reveal: (name: string) => void): HTMLElement {
  const num = (v: number | null) => h("td", { class: "num" }, formatNumber(v));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { class: "grid compact params" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...[t("Parameter"), t("Shape"), t("Mean"), t("Std"), t("Min"), t("Max"), t("Norm"), t("Grad norm")].map((c, i) =>
            h("th", { class: i > 1 ? "num" : "" }, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...parameters.map((p) =>
          h(
            "tr",
            {
              tabindex: 0,
              title: t("Show its histogram and heatmap"),
              onclick: () => reveal(p.name),
              onkeydown: (e) => (e as KeyboardEvent).key === "Enter" && reveal(p.name),
            },
            h("td", { class: "mono" }, p.name),
            h("td", { class: "mono shape" }, formatShape(p.shape)),
            num(p.mean),
            num(p.std),
            num(p.min),
            num(p.max),
            num(p.norm),
            num(p.gradNorm),
          ),
        ),
      ),
    ),
  );
}

/** A parameter's histogram and its heatmap in gate blocks, each cell's hover naming it and its gate: the cards of
 *  the Parameters tab and of the checkpoint viewer. */
export function parameterPictures(p: ParameterSnapshot): HTMLElement[] {
  const grid = parameterGrid(p);
  const blocks = gateBlocks(p);
  const downsampled = !!p.heatmap.downsampledFrom;
  const describe = (row: number, col: number, v: number) => {
    const gate = blocks.find((b) => row >= b.start && row < b.end);
    const where = p.shape.length <= 1 ? `[${row}]` : `[${row}, ${col}]`;
    const at = downsampled ? t("{0} block {1} (averaged)", isolated(p.name), where) : `${isolated(p.name)}${where}`;
    return `${gate ? t("{0}, gate {1}", at, gateTitle(gate.label, t)) : at}: ${formatNumber(v)}`;
  };
  return [
    histogram(p.histogram, t("Histogram of {0}", p.name)),
    heatmap(grid, {
      label: t("Heatmap of {0}", p.name),
      blocks,
      describe,
      // A bias (or a one-column matrix) is a narrow column, its gate blocks still labelled down the side.
      strip: grid.cols === 1,
      height: grid.cols === 1 ? Math.min(240, Math.max(60, grid.rows * 3)) : undefined,
    }),
  ];
}

function card(p: ParameterSnapshot, before: ParameterSnapshot | undefined, beforeStep: number | undefined): HTMLElement {
  const change = before
    ? h(
        "p",
        { class: "meta" },
        t(
          "Since step {0}: norm {1} → {2} ({3}), mean {4}",
          beforeStep ?? "?",
          formatNumber(before.norm),
          formatNumber(p.norm),
          formatDelta(p.norm - before.norm),
          formatDelta(p.mean - before.mean),
        ),
      )
    : null;
  return h(
    "section",
    { class: "card", "data-param": p.name },
    h("h4", { class: "mono" }, bdi(p.name), h("span", { class: "muted" }, ` ${formatShape(p.shape)}`)),
    h("p", { class: "meta" }, parameterNote(p, t) || "\u00a0"),
    h(
      "p",
      { class: "meta" },
      t("mean {0} · std {1} · norm {2} · grad {3}", formatNumber(p.mean), formatNumber(p.std), formatNumber(p.norm), formatNumber(p.gradNorm)),
    ),
    change,
    ...parameterPictures(p),
    p.shape.length > 1
      ? h(
          "p",
          { class: "axis-note" },
          `${gateBlocks(p).length ? t("rows: gate blocks of output units") : t("rows: output units")} · ${p.name.includes("_hh") ? t("columns: hidden units") : t("columns: inputs")}`,
        )
      : null,
  );
}

const formatDelta = (d: number) => (d >= 0 ? "+" : "−") + formatNumber(Math.abs(d));
