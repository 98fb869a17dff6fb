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
  /** The run's snapshots, seen live or read back from disk, for the slider and each parameter's change since the one
   *  before. */
  private readonly history = new SnapshotHistory<Snapshot>();
  /** The snapshot chosen on the slider; null: the latest, following the run as it trains. */
  private chosenStep: number | null = null;
  /** Stored snapshots asked for and not yet answered, and those that did not read (with why). */
  private readonly asked = new Set<number>();
  private readonly problems = new Map<number, string>();

  /** `load` asks the host for the shown run's stored snapshot at a step; its answer comes to stored(). */
  constructor(private readonly load: (step: number) => void) {
    this.show(undefined, true);
  }

  /** Shows a snapshot; `fresh` when it belongs to another run than the one before (its snapshots start again);
   *  `storedSteps`: the steps of the run's snapshots on disk, when a detail read from the store says them. */
  show(snapshot: Snapshot | undefined, fresh: boolean, storedSteps?: number[]): void {
    if (fresh) {
      this.history.clear();
      this.chosenStep = null;
      this.asked.clear();
      this.problems.clear();
    }
    if (storedSteps) this.history.setStored(storedSteps);
    if (snapshot) this.history.add(snapshot);
    this.render();
  }

  /** The host's answer to a load: the snapshot read back, or why it does not read. */
  stored(step: number, snapshot: Snapshot | undefined, problem: string | undefined): void {
    if (!this.asked.delete(step)) return; // not asked, or asked for a run no longer shown
    if (snapshot) this.history.add({ ...snapshot, step });
    else this.problems.set(step, problem ?? "?");
    this.render();
  }

  private render(): void {
    const steps = this.history.steps();
    if (!steps.length) {
      return fill(this.el, h("p", { class: "empty" }, t("Parameters appear with the first snapshot of a training run (every “unroll.snapshotEvery” steps).")));
    }
    // By default the latest snapshot held (a stored run's latest that reads), else the last step.
    const step = this.chosenStep !== null && steps.includes(this.chosenStep) ? this.chosenStep : (this.history.snapshots.at(-1)?.step ?? steps.at(-1)!);
    for (const s of this.history.missing(step)) {
      if (this.asked.has(s) || this.problems.has(s)) continue;
      this.asked.add(s);
      this.load(s);
    }
    const snapshot = this.history.at(step);
    const previousStep = this.history.stepBefore(step);
    const previous = previousStep === null ? undefined : this.history.at(previousStep);
    const slider = steps.length > 1 ? this.slider(steps, steps.indexOf(step)) : null;
    if (!snapshot) {
      const problem = this.problems.get(step);
      return fill(
        this.el,
        slider,
        h(
          "p",
          { class: problem ? "meta warning" : "meta" },
          problem ? t("The snapshot at step {0} does not read: {1}", step, isolated(problem)) : t("Reading the snapshot at step {0}…", step),
        ),
      );
    }
    const before = new Map((previous?.parameters ?? []).map((p) => [p.name, p]));
    fill(
      this.el,
      slider,
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

  /** A slider through the snapshots seen and stored; at its right end it follows the latest as the run trains. */
  private slider(steps: number[], index: number): HTMLElement {
    const input = h("input", { type: "range", min: 0, max: steps.length - 1, step: 1, value: index, "aria-label": t("Snapshot") });
    const label = (i: number) => t("step {0} ({1} of {2})", steps[i], i + 1, steps.length);
    const value = h("span", { class: "num slider-value" }, label(index));
    input.addEventListener("input", () => (value.textContent = label(Number(input.value))));
    input.addEventListener("change", () => {
      const i = Number(input.value);
      this.chosenStep = i === steps.length - 1 ? null : steps[i];
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
