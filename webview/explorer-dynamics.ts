// The Dynamics tab: one recurrent layer's behaviour on one training sample: the hidden (and cell) state
// as a units × time heatmap, each gate's activations over time, and the norm of the gradient reaching
// h_t through time on a log axis, which is where vanishing and exploding gradients show.
import type { LayerDynamics, RunDetail } from "../src/common/protocol";
import { fill, h, heatmap } from "./common";
import { dynamicsLabel, gateTitle } from "./parameter-labels";
import { formatNumber } from "./numbers";
import { gateGrid, gridFrom, type Grid } from "./grids";
import { gradientTrend } from "./gradient-logic";
import { t } from "./l10n";
import { LinePlot } from "./plot";
import { timeLabels, type TimeLabel } from "./time-axis";

type Dynamics = NonNullable<RunDetail["dynamics"]>;

export class DynamicsTab {
  readonly el = h("div", { class: "tab-body dynamics" });
  private gradPlot: LinePlot | null = null;
  private dynamics: Dynamics | null = null;

  constructor(
    private chosen: string | undefined,
    private readonly saveChoice: (label: string) => void,
  ) {
    this.show(undefined);
  }

  show(dynamics: Dynamics | undefined): void {
    this.dynamics = dynamics ?? null;
    this.gradPlot?.destroy();
    this.gradPlot = null;
    if (!dynamics || dynamics.layers.length === 0) {
      return fill(
        this.el,
        h("p", { class: "empty" }, t("Dynamics appear with the first snapshot of a training run whose model has an RNN, LSTM or GRU layer.")),
      );
    }
    const labels = dynamics.layers.map((d) => dynamicsLabel(d, t));
    const index = Math.max(0, labels.indexOf(this.chosen ?? ""));
    const select = h("vscode-single-select", { "aria-label": t("Layer and direction") });
    labels.forEach((l, i) => select.append(h("vscode-option", { value: String(i), selected: i === index }, l)));
    select.addEventListener("change", () => {
      this.chosen = labels[Number(select.value)];
      this.saveChoice(this.chosen);
      this.show(this.dynamics ?? undefined);
    });
    const layer = dynamics.layers[index];
    const steps = layer.hidden.length;
    fill(
      this.el,
      h("div", { class: "toolbar" }, h("label", {}, t("Layer"), " "), select),
      h(
        "p",
        { class: "meta" },
        t("One training sample, at epoch {0}, step {1}: {2} time steps, {3} units.", dynamics.epoch, dynamics.step, steps, layer.hidden[0]?.length ?? 0),
        layer.timeStride
          ? ` ${t("Subsampled to fit the snapshot file's size cap: every {0}th of {1} time steps (t = 0, {0}, {2}, …).", layer.timeStride, layer.timeSteps ?? "?", 2 * layer.timeStride)}`
          : "",
      ),
      ...this.sections(layer, timeLabels(dynamics.tokens, layer.hidden.length, layer.timeStride)),
    );
  }

  private sections(d: LayerDynamics, tokens: TimeLabel[] | null): HTMLElement[] {
    const steps = d.hidden.length;
    const axis: [string, string, string] = ["t = 1", t("time →"), `t = ${steps}`];
    const token = (step: number) => (tokens?.[step] ? (tokens[step].padding ? ` (${t("padding")})` : ` “${tokens[step].text}”`) : "");
    const map = (grid: Grid, label: string, name: string) => {
      const figure = heatmap(grid, {
        label,
        xAxis: axis,
        height: Math.min(220, Math.max(56, grid.rows * 6)),
        describe: (unit, step, v) => `${t("{0}: t = {1}, unit {2}: {3}", name, step + 1, unit, formatNumber(v))}${token(step)}`,
      });
      if (tokens) figure.insertBefore(tokenRow(tokens), figure.querySelector(".x-axis"));
      return figure;
    };
    const out: HTMLElement[] = [h("h3", {}, t("Hidden state hₜ")), map(gridFrom(d.hidden, true), t("Hidden state over time"), "h")];
    if (d.cell) out.push(h("h3", {}, t("Cell state cₜ")), map(gridFrom(d.cell, true), t("Cell state over time"), "c"));
    if (d.gates) {
      out.push(
        h("h3", {}, t("Gates")),
        h(
          "div",
          { class: "gates" },
          ...d.gates.names.map((g, i) =>
            h("div", { class: "gate" }, h("h4", {}, gateTitle(g, t)), map(gateGrid(d.gates!.values, i), t("Gate {0} over time", g), g)),
          ),
        ),
      );
    }
    if (d.gradNorms?.length) out.push(...this.gradients(d.gradNorms));
    return out;
  }

  /** ‖∂L/∂hₜ‖ against t on a log axis, with a sentence on what its slope means. */
  private gradients(norms: number[]): HTMLElement[] {
    const trend = gradientTrend(norms);
    const box = h("div");
    this.gradPlot = new LinePlot(box, {
      series: [{ label: "‖∂L/∂hₜ‖", color: (t) => t.orange, width: 2, points: norms.length <= 60 }],
      xLabel: "t",
      yLabel: t("gradient norm"),
      log: true,
      height: 200,
    });
    this.gradPlot.setData([norms.map((_, i) => i + 1), norms]);
    const words = trend
      ? {
          vanishing: t(
            "The gradient reaching t = 1 is {0} of the one at the last step: it vanishes on the way back, so early steps barely learn.",
            formatNumber(trend.ratio),
          ),
          exploding: t(
            "The gradient reaching t = 1 is {0}× the one at the last step: it explodes on the way back (gradient clipping helps).",
            formatNumber(trend.ratio),
          ),
          steady: t(
            "The gradient reaching t = 1 is {0}× the one at the last step: it flows back through time without vanishing or exploding.",
            formatNumber(trend.ratio),
          ),
        }[trend.verdict]
      : "";
    return [h("h3", {}, t("Gradient norm through time ‖∂L/∂hₜ‖")), box, h("p", { class: `hint ${trend?.verdict ?? ""}` }, words)];
  }
}

/** The sample's tokens under a heatmap, one cell per time step, aligned with its columns; padding hatched. */
function tokenRow(labels: TimeLabel[]): HTMLElement {
  const row = h(
    "div",
    { class: "tokens", "aria-label": t("Input tokens") },
    ...labels.map((l, i) =>
      h(
        "span",
        { class: l.padding ? "token pad" : "token", title: l.padding ? t("t = {0}: padding", i + 1) : `t = ${i + 1}: ${l.text}` },
        l.padding ? "" : l.text,
      ),
    ),
  );
  return row;
}
