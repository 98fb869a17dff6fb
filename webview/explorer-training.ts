// The Training tab: Train/Stop and the chart choices (explorer-training-toolbar.ts), the run's header
// (explorer-run-header.ts), the live loss chart (explorer-loss-chart.ts), the gradient norms
// (explorer-gradients.ts), and the metrics and table per epoch (explorer-epochs.ts). It holds the run shown and
// tells each part what changed.
import type { FromExplorer, RunDetail } from "../src/common/protocol";
import { fill, h } from "./common";
import { EpochsSection, type EpochsUi } from "./explorer-epochs";
import { GradientSection } from "./explorer-gradients";
import { LossChart, type LossChartUi } from "./explorer-loss-chart";
import { RunHeader } from "./explorer-run-header";
import { TrainingToolbar } from "./explorer-training-toolbar";
import { perFrame } from "./frame";

/** The Training tab's choices, kept in the page's state. */
export type TrainingUi = LossChartUi & EpochsUi;

export class TrainingTab {
  readonly el = h("div", { class: "tab-body training" });
  private readonly toolbar: TrainingToolbar;
  private readonly header = new RunHeader(() => this.showGradients());
  private readonly loss: LossChart;
  private readonly gradients = new GradientSection();
  private readonly epochs: EpochsSection;

  private run: RunDetail | null = null;
  /** Runs to overlay, as the host sent them. */
  private compare: RunDetail[] = [];
  private backend = "";
  /** Drawn once per frame, as the loss chart is: a small model sends hundreds of epochs a second, and drawing the
   *  metrics chart and table for each one fell behind the run by thousands of epochs. */
  private readonly drawEpochs = perFrame(() => {
    this.epochs.show(this.run);
    this.renderHeader();
  });
  /** What else shows the steps (the gradient norms, the header's GPU memory), again on the next frame. */
  private readonly drawStepParts = perFrame(() => {
    this.gradients.setRun(this.run);
    this.renderHeader();
  });

  constructor(post: (m: FromExplorer) => void, ui: TrainingUi, saveUi: (patch: Partial<TrainingUi>) => void) {
    this.loss = new LossChart(ui);
    this.epochs = new EpochsSection(ui, saveUi);
    this.toolbar = new TrainingToolbar(post, ui, saveUi, {
      smoothing: () => {
        this.loss.restyle();
        this.epochs.renderChart();
      },
      logY: () => this.loss.setLog(ui.logY),
      axis: () => this.loss.axisChanged(),
    });
    fill(this.el, this.toolbar.el, this.header.el, this.header.emptyEl, this.loss.el, this.gradients.el, this.epochs.chartEl, this.epochs.tableEl);
    this.toolbar.render(null);
    this.renderHeader();
  }

  setRun(detail: RunDetail | null): void {
    this.run = detail;
    this.loss.show(detail, this.compare);
    this.gradients.setRun(detail);
    this.renderHeader();
    this.toolbar.render(detail);
    this.epochs.show(detail);
  }

  /** Scrolls the gradient norms into view. */
  showGradients(): void {
    requestAnimationFrame(() => this.gradients.el.scrollIntoView({ behavior: "smooth", block: "start" }));
  }

  /** A gradient warning was folded into the run. */
  gradientWarningAdded(): void {
    this.gradients.warningsChanged();
  }

  /** Earlier runs of the same file, overlaid. */
  setCompare(runs: RunDetail[]): void {
    this.compare = runs;
    this.loss.show(this.run, runs);
  }

  setBackend(summary: string): void {
    this.backend = summary;
    this.renderHeader();
  }

  /** A step event was folded into the run: extend the curves (drawn on the next frame, however many arrive). */
  stepAdded(): void {
    this.loss.stepAdded();
    this.gradients.stepAdded();
    this.header.showGpuMemory(this.run);
  }

  /** The steps drawn changed other than by an append (the run-event reducer thinned them, or moved their last point):
   *  all again, once per frame. */
  stepsChanged(): void {
    this.loss.stepsChanged();
    this.drawStepParts();
  }

  /** An epoch event was folded into the run. */
  epochAdded(): void {
    this.drawEpochs();
  }

  infoChanged(): void {
    this.renderHeader();
    this.toolbar.render(this.run);
  }

  private renderHeader(): void {
    this.loss.el.hidden = !this.run;
    this.header.render(this.run, this.backend);
  }
}
