// The Training tab's toolbar: Train, Stop, Export CSV, and the loss chart's choices (smoothing, log scale, x axis,
// log x, outlier clipping), which it keeps in the page's state.
import type { FromExplorer, RunDetail } from "../src/common/protocol";
import { fill, h } from "./common";
import type { XAxis } from "./curves";
import { X_AXES, type LossChartUi } from "./explorer-loss-chart";
import { perFrame } from "./frame";
import { t } from "./l10n";
import { runCsv } from "../src/common/run-csv";

/** What the toolbar's choices change. */
export interface ToolbarEvents {
  /** A new smoothing weight (at most once per frame while the slider is dragged). */
  smoothing: () => void;
  logY: () => void;
  /** Another x axis, log x or outlier clipping. */
  axis: () => void;
}

export class TrainingToolbar {
  readonly el = h("div", { class: "toolbar" });
  private run: RunDetail | null = null;
  private readonly smoothingChanged: () => void;

  constructor(
    private readonly post: (m: FromExplorer) => void,
    private readonly ui: LossChartUi,
    private readonly saveUi: (patch: Partial<LossChartUi>) => void,
    private readonly events: ToolbarEvents,
  ) {
    // Dragging the slider fires many inputs: re-smooth once per frame.
    this.smoothingChanged = perFrame(() => this.events.smoothing());
  }

  /** The buttons for `run`: Stop while it runs, Export CSV once it has steps or epochs. */
  render(run: RunDetail | null): void {
    this.run = run;
    const running = run?.summary.info.status === "running";
    const button = (label: string, codicon: string, onclick: () => void, options: { disabled?: boolean; secondary?: boolean } = {}) =>
      h("vscode-button", { icon: codicon, onclick, disabled: options.disabled, secondary: options.secondary, title: label }, label);
    const runId = run?.summary.info.id;
    fill(
      this.el,
      button(t("Train"), "play", () => this.post({ type: "train" }), { disabled: running }),
      button(t("Stop"), "debug-stop", () => this.post({ type: "stop" }), { disabled: !running, secondary: true }),
      button(t("Export CSV"), "export", () => this.exportCsv(), {
        disabled: !runId || run!.steps.length + run!.epochs.length === 0,
        secondary: true,
      }),
      ...this.chartChoices(),
    );
  }

  private exportCsv(): void {
    const run = this.run;
    if (run) this.post({ type: "exportCsv", runId: run.summary.info.id, dir: run.summary.dir, csv: runCsv(run) });
  }

  private chartChoices(): HTMLElement[] {
    const slider = h("input", {
      type: "range",
      min: 0,
      max: 0.99,
      step: 0.01,
      value: this.ui.smoothing,
      "aria-label": t("Smoothing"),
    });
    const sliderValue = h("span", { class: "num slider-value" }, this.ui.smoothing.toFixed(2));
    slider.addEventListener("input", () => {
      this.ui.smoothing = Number(slider.value);
      sliderValue.textContent = this.ui.smoothing.toFixed(2);
      this.saveUi({ smoothing: this.ui.smoothing });
      this.smoothingChanged();
    });
    const log = h("vscode-checkbox", { label: t("Log scale"), checked: this.ui.logY, title: t("Loss on a logarithmic axis") });
    log.addEventListener("change", () => {
      this.ui.logY = log.checked;
      this.saveUi({ logY: this.ui.logY });
      this.events.logY();
    });
    const xAxis = h(
      "select",
      { "aria-label": t("x axis"), title: t("What the loss chart's x axis counts") },
      ...X_AXES.map((a) => h("option", { value: a.axis, selected: a.axis === this.ui.xAxis, title: a.title() }, a.label())),
    );
    xAxis.addEventListener("change", () => this.setAxis({ xAxis: xAxis.value as XAxis }));
    const logX = h("vscode-checkbox", {
      label: t("Log x"),
      checked: this.ui.logX,
      disabled: this.ui.xAxis === "wall",
      title: t("x on a logarithmic axis (the early steps spread out)"),
    });
    logX.addEventListener("change", () => this.setAxis({ logX: logX.checked }));
    const robust = h("vscode-checkbox", {
      label: t("Clip outliers"),
      checked: this.ui.robustY,
      title: t("The loss axis spans the 1st–99th percentile of what is in view; points beyond are marked at its edges"),
    });
    robust.addEventListener("change", () => this.setAxis({ robustY: robust.checked }));
    return [h("label", { class: "slider" }, t("Smoothing"), " ", slider, sliderValue), log, h("label", { class: "x-axis" }, "x ", xAxis), logX, robust];
  }

  private setAxis(patch: Partial<Pick<LossChartUi, "xAxis" | "logX" | "robustY">>): void {
    Object.assign(this.ui, patch);
    this.saveUi(patch);
    this.events.axis();
    if (patch.xAxis) this.render(this.run); // log x is off for the wall clock
  }
}
