// The Training tab: Train/Stop, the run's status and backend, the live loss curve (raw and smoothed, the
// learning rate on the right axis, earlier runs overlaid), numeric metrics per epoch, and the table of
// every epoch's metrics (strings too, such as the predicted "ohlol").
import type { FromExplorer, RunDetail } from "../src/protocol";
import { ago, banner, fill, h, icon, statusIcon, statusText, type Theme } from "./common";
import { language, t } from "./l10n";
import { planAxes, type MetricSeries } from "./chart-axes";
import { CurveTable, nextX, stepAxis, type Value, type XAxis } from "./curves";
import { emaSmooth, emaSmoothAt, emaState, emaStep } from "./smoothing";
import { formatCount, formatNumber, gpuMemoryLine } from "./numbers";
import { metricNames, runCsv } from "../src/run-csv";
import { runColor } from "./colors";
import { GRADIENTS_ID, GradientSection } from "./explorer-gradients";
import { LinePlot, type PlotOptions, type SeriesSpec } from "./plot";

export interface TrainingUi {
  smoothing: number;
  logY: boolean;
  /** The loss chart's x axis, whether it is logarithmic, and whether its y range leaves the outliers out (marked). */
  xAxis: XAxis;
  logX: boolean;
  robustY: boolean;
  /** The series of the per-epoch chart the user unticked ("epoch loss", metric names): new metrics show by default. */
  hiddenMetrics: string[];
}

/** The x axes of the loss chart; names and titles as functions, so that they are read in the page's language. */
const X_AXES: { axis: XAxis; label: () => string; title: () => string }[] = [
  { axis: "step", label: () => t("step"), title: () => t("Training steps") },
  { axis: "epoch", label: () => t("epoch"), title: () => t("Epochs (a step is a fraction of its epoch)") },
  { axis: "time", label: () => t("seconds"), title: () => t("Seconds since the run started") },
  { axis: "wall", label: () => t("time"), title: () => t("The wall clock") },
];

const MAX_EPOCH_ROWS = 200;

/**
 * Columns of the loss chart's table: raw loss, smoothed loss, learning rate, then a raw and a smoothed
 * column per compared run (only the smoothed one is drawn; the raw one is what a new weight smooths).
 */
const RAW = 0;
const SMOOTH = 1;
const LR = 2;
const compareRaw = (i: number) => 3 + 2 * i;

export class TrainingTab {
  readonly el = h("div", { class: "tab-body training" });
  private readonly header = h("div", { class: "run-header" });
  private readonly toolbar = h("div", { class: "toolbar" });
  private readonly lossBox = h("div", { class: "chart" });
  private readonly clippedNote = h("p", { class: "hint" });
  private readonly metricsBox = h("div", { class: "chart" });
  private readonly epochsBox = h("div", { class: "epochs" });
  private readonly emptyBox = h("div");
  /** "GPU memory: …" of a run on WebGPU, updated at each step without redrawing the header. */
  private readonly gpuMemory = h("p", { class: "meta gpu-memory" });
  private readonly lossPlot: LinePlot;
  private metricsPlot: LinePlot | null = null;
  private readonly gradients = new GradientSection();

  private run: RunDetail | null = null;
  /** Runs to overlay, as the host sent them; the run shown is left out when drawing (see overlays). */
  private compare: RunDetail[] = [];
  private backend = "";
  private table = new CurveTable(3);
  /** The running average of the loss and the x of the run's last step, extended by each live step. */
  private ema = emaState();
  private lastX: number | undefined;
  private dirty = false;

  constructor(
    private readonly post: (m: FromExplorer) => void,
    private readonly ui: TrainingUi,
    private readonly saveUi: (patch: Partial<TrainingUi>) => void,
  ) {
    this.lossPlot = new LinePlot(this.lossBox, {
      series: this.lossSeries(),
      ...this.xOptions(),
      yLabel: t("loss"),
      y2Label: t("learning rate"),
      log: ui.logY,
      y2Log: true,
      height: 280,
      onClipped: (n) => this.showClipped(n),
    });
    fill(
      this.el,
      this.toolbar,
      this.header,
      this.emptyBox,
      h(
        "section",
        { class: "loss" },
        h("h3", {}, t("Loss per step")),
        this.lossBox,
        this.clippedNote,
        h("p", { class: "hint" }, t("Drag across the chart to zoom in; double-click to zoom out.")),
      ),
      this.gradients.el,
      this.metricsBox,
      this.epochsBox,
    );
    this.renderToolbar();
    this.renderHeader();
  }

  setRun(detail: RunDetail | null): void {
    this.run = detail;
    this.lossPlot.configure({ series: this.lossSeries() });
    this.rebuildCurves();
    this.gradients.setRun(detail);
    this.renderHeader();
    this.renderToolbar();
    this.renderEpochs();
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
    this.lossPlot.configure({ series: this.lossSeries() });
    this.rebuildCurves();
  }

  setBackend(summary: string): void {
    this.backend = summary;
    this.renderHeader();
  }

  /** The loss chart's x options for the axis chosen. */
  private xOptions(): Pick<PlotOptions, "xLabel" | "x" | "logX" | "robust"> {
    const { xAxis, logX, robustY } = this.ui;
    const x = xAxis === "step" ? "integers" : xAxis === "wall" ? "dates" : "numbers";
    return { xLabel: X_AXES.find((a) => a.axis === xAxis)!.label(), x, logX: logX && xAxis !== "wall", robust: robustY };
  }

  private showClipped(count: number): void {
    const text = count ? t("{0} points beyond the 1st–99th percentile range, marked ▲ ▼ at the edges.", formatCount(count)) : "";
    if (this.clippedNote.textContent !== text) this.clippedNote.textContent = text;
  }

  /** A step event was folded into the run: extend the curves (drawn on the next frame, however many arrive). */
  stepAdded(): void {
    const steps = this.run!.steps;
    const s = steps[steps.length - 1];
    const axis = this.ui.xAxis;
    if (axis === "epoch") return this.scheduleRebuild(); // a new step moves every step of its epoch
    const start = axis === "wall" ? (Date.parse(this.run!.summary.info.startedAt) || 0) / 1000 : 0;
    const x = axis === "step" ? nextX(this.lastX, s.step) : this.lastX === undefined || start + s.time > this.lastX ? start + s.time : this.lastX + 1e-4;
    this.lastX = x;
    // x only grows (nextX), so this is the run's last point even when compared runs already have rows past
    // it: the running average extends by one step, never recomputed.
    const { row } = this.table.set(RAW, x, s.loss);
    this.table.set(LR, x, s.lr);
    this.table.columns[SMOOTH][row] = emaStep(this.ema, s.loss, this.ui.smoothing);
    this.schedule();
    this.gradients.stepAdded();
    this.showGpuMemory();
  }

  /** The run's last GPU memory figures, or nothing (not on WebGPU). */
  private showGpuMemory(): void {
    const line = gpuMemoryLine(this.run?.gpuMemory, t);
    this.gpuMemory.hidden = !line;
    if (!line || this.gpuMemory.title === line.title) return;
    fill(this.gpuMemory, icon("chip"), ` ${line.text}`);
    this.gpuMemory.title = line.title;
  }

  /** Drawn once per frame, as the loss chart is: a small model sends hundreds of epochs a second, and drawing the
   *  metrics chart and table for each one fell behind the run by thousands of epochs. */
  epochAdded(): void {
    if (this.epochsPending) return;
    this.epochsPending = true;
    requestAnimationFrame(() => {
      this.epochsPending = false;
      this.renderEpochs();
      this.renderHeader();
    });
  }

  infoChanged(): void {
    this.renderHeader();
    this.renderToolbar();
  }

  private lossSeries(): SeriesSpec[] {
    return [
      { label: t("loss"), color: (theme) => theme.blue, alpha: this.ui.smoothing > 0 ? 0.3 : 1, width: 1 },
      { label: t("smoothed ({0})", this.ui.smoothing.toFixed(2)), color: (theme) => theme.blue, width: 2 },
      { label: "lr", color: (theme) => theme.muted, scale: "y2", width: 1, dash: [4, 3] },
      ...this.overlays().map((r, i): SeriesSpec => ({ label: r.summary.info.id, color: (theme) => runColor(i, theme.dark), width: 1.5, dash: [6, 3] })),
    ];
  }

  /** The whole table again: on a new run, a new comparison, or a new smoothing weight. */
  private rebuildCurves(): void {
    const overlays = this.overlays();
    this.table = new CurveTable(3 + 2 * overlays.length);
    const steps = this.run?.steps ?? [];
    const axis = this.ui.xAxis;
    const xs = stepAxis(steps, axis, this.run?.summary.info.startedAt);
    steps.forEach((s, i) => {
      this.table.set(RAW, xs[i], s.loss);
      this.table.set(LR, xs[i], s.lr);
    });
    this.lastX = xs.at(-1);
    overlays.forEach((r, c) => {
      const cxs = stepAxis(r.steps, axis, r.summary.info.startedAt);
      r.steps.forEach((s, i) => this.table.set(compareRaw(c), cxs[i], s.loss));
    });
    const w = this.ui.smoothing;
    const cols = this.table.columns;
    this.ema = emaState();
    cols[SMOOTH] = cols[RAW].map((v) => emaStep(this.ema, v, w));
    overlays.forEach((_, c) => (cols[compareRaw(c) + 1] = emaSmooth(cols[compareRaw(c)], w)));
    this.lossPlot.setData(this.plotData());
  }

  /** What the chart draws: x, loss, smoothed loss, lr, and each compared run smoothed. */
  private plotData(): [number[], ...Value[][]] {
    const cols = this.table.columns;
    return [this.table.x, cols[RAW], cols[SMOOTH], cols[LR], ...this.overlays().map((_, c) => cols[compareRaw(c) + 1])];
  }

  /** The compared runs other than the one shown. */
  private overlays(): RunDetail[] {
    return this.compare.filter((r) => r.summary.info.id !== this.run?.summary.info.id);
  }

  private rebuildPending = false;
  private epochsPending = false;

  /** The whole curves again on the next frame, however many steps arrive before it. */
  private scheduleRebuild(): void {
    if (this.rebuildPending) return;
    this.rebuildPending = true;
    requestAnimationFrame(() => {
      this.rebuildPending = false;
      this.rebuildCurves();
    });
  }

  private schedule(): void {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => {
      this.dirty = false;
      this.lossPlot.setData(this.plotData());
    });
  }

  private renderToolbar(): void {
    const running = this.run?.summary.info.status === "running";
    const button = (label: string, codicon: string, onclick: () => void, options: { disabled?: boolean; secondary?: boolean } = {}) =>
      h("vscode-button", { icon: codicon, onclick, disabled: options.disabled, secondary: options.secondary, title: label }, label);
    const slider = h("input", {
      type: "range",
      min: 0,
      max: 0.99,
      step: 0.01,
      value: this.ui.smoothing,
      "aria-label": t("Smoothing"),
    });
    const sliderValue = h("span", { class: "num slider-value" }, this.ui.smoothing.toFixed(2));
    let pending = false;
    slider.addEventListener("input", () => {
      this.ui.smoothing = Number(slider.value);
      sliderValue.textContent = this.ui.smoothing.toFixed(2);
      this.saveUi({ smoothing: this.ui.smoothing });
      // Dragging fires many inputs: re-smooth once per frame.
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        this.lossPlot.configure({ series: this.lossSeries() });
        this.rebuildCurves();
        this.renderMetricsChart();
      });
    });
    const log = h("vscode-checkbox", { label: t("Log scale"), checked: this.ui.logY, title: t("Loss on a logarithmic axis") });
    log.addEventListener("change", () => {
      this.ui.logY = log.checked;
      this.saveUi({ logY: this.ui.logY });
      this.lossPlot.configure({ log: this.ui.logY });
    });
    const xAxis = h(
      "select",
      { "aria-label": t("x axis"), title: t("What the loss chart's x axis counts") },
      ...X_AXES.map((a) => h("option", { value: a.axis, selected: a.axis === this.ui.xAxis, title: a.title() }, a.label())),
    );
    xAxis.addEventListener("change", () => this.setChart({ xAxis: xAxis.value as XAxis }));
    const logX = h("vscode-checkbox", {
      label: t("Log x"),
      checked: this.ui.logX,
      disabled: this.ui.xAxis === "wall",
      title: t("x on a logarithmic axis (the early steps spread out)"),
    });
    logX.addEventListener("change", () => this.setChart({ logX: logX.checked }));
    const robust = h("vscode-checkbox", {
      label: t("Clip outliers"),
      checked: this.ui.robustY,
      title: t("The loss axis spans the 1st–99th percentile of what is in view; points beyond are marked at its edges"),
    });
    robust.addEventListener("change", () => this.setChart({ robustY: robust.checked }));
    const runId = this.run?.summary.info.id;
    fill(
      this.toolbar,
      button(t("Train"), "play", () => this.post({ type: "train" }), { disabled: running }),
      button(t("Stop"), "debug-stop", () => this.post({ type: "stop" }), { disabled: !running, secondary: true }),
      button(t("Export CSV"), "export", () => runId && this.post({ type: "exportCsv", runId, dir: this.run!.summary.dir, csv: runCsv(this.run!) }), {
        disabled: !runId || this.run!.steps.length + this.run!.epochs.length === 0,
        secondary: true,
      }),
      h("label", { class: "slider" }, t("Smoothing"), " ", slider, sliderValue),
      log,
      h("label", { class: "x-axis" }, "x ", xAxis),
      logX,
      robust,
    );
  }

  /** Another x axis, log x or outlier clipping: the chart is rebuilt with its curves on the new axis. */
  private setChart(patch: Partial<Pick<TrainingUi, "xAxis" | "logX" | "robustY">>): void {
    Object.assign(this.ui, patch);
    this.saveUi(patch);
    if (!this.ui.robustY) this.showClipped(0);
    this.lossPlot.configure(this.xOptions());
    this.rebuildCurves();
    if (patch.xAxis) this.renderToolbar(); // log x is off for the wall clock
  }

  private renderHeader(): void {
    const backendLine = this.backend ? h("p", { class: "meta" }, icon("server-process"), ` ${t("Backend: {0}", this.backend)}`) : null;
    (this.el.querySelector("section.loss") as HTMLElement).hidden = !this.run;
    if (!this.run) {
      fill(this.header, backendLine);
      fill(
        this.emptyBox,
        h("p", { class: "empty" }, t("No run yet. Train runs the experiment this file exports (its model, data, loss and optimizer) and plots it here live.")),
      );
      return;
    }
    fill(this.emptyBox);
    this.showGpuMemory();
    const info = this.run.summary.info;
    const progress = info.epoch !== undefined ? t("epoch {0} / {1}", info.epoch, info.config.epochs) : t("{0} epochs", info.config.epochs);
    fill(
      this.header,
      h(
        "div",
        { class: "run-title" },
        statusIcon(info),
        h("strong", {}, info.name),
        h("span", { class: "muted" }, ` ${statusText(info.status)} · ${progress} · ${t("started {0}", ago(info.startedAt))}`),
      ),
      h(
        "p",
        { class: "meta" },
        h("span", { class: "mono" }, info.config.model),
        ` · ${t("{0} parameters", formatCount(info.config.parameterCount, language))} · ${info.config.optimizer}`,
        info.finalLoss !== undefined ? ` · ${t("last loss {0}", formatNumber(info.finalLoss))}` : "",
      ),
      h("p", { class: "meta" }, icon("server-process"), ` ${t("Run on: {0}", info.backend)}`),
      this.backend && this.backend !== info.backend ? backendLine : null,
      this.gpuMemory,
      info.error
        ? banner(
            "error",
            "error",
            info.status === "failed" ? t("The run failed ({0})", info.error.kind) : t("The run reported an error ({0})", info.error.kind),
            h("span", { class: "mono" }, info.error.message),
            ...(info.error.kind === "nan"
              ? [
                  h(
                    "a",
                    { href: `#${GRADIENTS_ID}`, class: "gradients-link", onclick: (e: Event) => (e.preventDefault(), this.showGradients()) },
                    t("See the gradient norm per step"),
                  ),
                ]
              : []),
          )
        : null,
      this.run!.summary.damaged
        ? banner(
            "warning",
            "warning",
            t("Some of the run's files could not be read; the rest is shown"),
            h("span", { class: "mono" }, t("damaged: {0}", this.run!.summary.damaged)),
          )
        : null,
      this.run!.stepsOnDisk
        ? h(
            "p",
            { class: "hint" },
            t(
              "The loss per step is drawn from means of equal runs of steps: {0} steps are on disk (metrics.jsonl).",
              formatCount(this.run!.stepsOnDisk, language),
            ),
          )
        : null,
    );
  }

  /** The series the per-epoch chart can show: the epoch's mean loss and each numeric metric (null where an epoch lacks it). */
  private epochSeries(): MetricSeries[] {
    const epochs = this.run?.epochs ?? [];
    const value = (v: unknown): Value => (typeof v === "number" ? v : null);
    return [
      { name: t("epoch loss"), values: epochs.map((e) => e.loss) },
      ...metricNames(epochs).numeric.map((m) => ({ name: m, values: epochs.map((e) => value(e.metrics[m])) })),
    ];
  }

  /**
   * Loss and metrics per epoch on one chart, the ones ticked above it: a metric of another unit than the first series
   * (an accuracy beside a loss) goes on the right axis, and the legend says which axis each series is read on. With
   * smoothing, each series is a smoothed line over its raw points.
   */
  private renderMetricsChart(): void {
    const epochs = this.run?.epochs ?? [];
    const all = this.epochSeries();
    if (all.length < 2) {
      this.metricsPlot?.destroy();
      this.metricsPlot = null;
      fill(this.metricsBox);
      return;
    }
    const shown = all.filter((s) => !this.ui.hiddenMetrics.includes(s.name));
    const plan = planAxes(shown);
    const w = this.ui.smoothing;
    const xs = epochs.map((e) => e.epoch);
    const series: SeriesSpec[] = [];
    const columns: Value[][] = [];
    shown.forEach((s, i) => {
      const color = (theme: Theme) => (i === 0 ? theme.blue : runColor(i - 1, theme.dark));
      const scale = plan.sides[i];
      // With two axes, the legend says which one each series is read on.
      const label = plan.units.y2 ? `${s.name} (${scale === "y" ? t("left axis") : t("right axis")})` : s.name;
      series.push({ label, color, scale, points: true, ...(w > 0 ? { line: false, alpha: 0.5 } : {}) });
      columns.push([...s.values]);
      if (w > 0) {
        series.push({ label: t("{0} smoothed", s.name), color, scale, width: 2 });
        columns.push(emaSmoothAt(xs, s.values, w));
      }
    });
    const axes = { yLabel: plan.names.y.join(", "), y2Label: plan.names.y2.join(", "), yRange: plan.ranges.y, y2Range: plan.ranges.y2 };
    if (!this.metricsPlot) {
      const box = h("div");
      fill(this.metricsBox, h("h3", {}, t("Metrics per epoch")), this.metricsPicker, box);
      this.metricsPlot = new LinePlot(box, { series, xLabel: t("epoch"), ...axes, height: 220 });
    } else this.metricsPlot.configure({ series, ...axes });
    this.renderMetricsPicker(all);
    this.metricsPlot.setData([xs, ...columns]);
  }

  private readonly metricsPicker = h("div", { class: "toolbar metrics-picker" });

  /** One checkbox per series of the per-epoch chart. */
  private renderMetricsPicker(all: MetricSeries[]): void {
    const hidden = this.ui.hiddenMetrics;
    fill(
      this.metricsPicker,
      ...all.map((s) => {
        const box = h("vscode-checkbox", { label: s.name, checked: !hidden.includes(s.name), title: t("Show {0} on the chart", s.name) });
        box.addEventListener("change", () => {
          this.ui.hiddenMetrics = box.checked ? hidden.filter((n) => n !== s.name) : [...hidden, s.name];
          this.saveUi({ hiddenMetrics: this.ui.hiddenMetrics });
          this.renderMetricsChart();
        });
        return box;
      }),
    );
  }

  private renderEpochs(): void {
    this.renderMetricsChart();
    const epochs = this.run?.epochs ?? [];
    if (epochs.length === 0) return fill(this.epochsBox);
    const { numeric, other } = metricNames(epochs);
    const metrics = [...other, ...numeric];
    // Newest first: during training the latest epoch is what one watches.
    const shown = epochs.slice(-MAX_EPOCH_ROWS).reverse();
    fill(
      this.epochsBox,
      h("h3", {}, t("Epochs")),
      h(
        "table",
        { class: "grid compact fit" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "num" }, t("Epoch")),
            h("th", { class: "num" }, t("Loss")),
            ...metrics.map((m) => h("th", { class: numeric.includes(m) ? "num" : "" }, m)),
          ),
        ),
        h(
          "tbody",
          {},
          ...shown.map((e) =>
            h(
              "tr",
              {},
              h("td", { class: "num" }, String(e.epoch)),
              h("td", { class: "num" }, formatNumber(e.loss)),
              ...metrics.map((m) => {
                const v = e.metrics[m];
                return typeof v === "number"
                  ? h("td", { class: "num" }, formatNumber(v))
                  : h("td", { class: "mono" }, v === undefined ? "" : JSON.stringify(v));
              }),
            ),
          ),
        ),
      ),
      epochs.length > MAX_EPOCH_ROWS ? h("p", { class: "hint" }, t("The {0} earlier epochs are in the CSV export.", epochs.length - MAX_EPOCH_ROWS)) : null,
    );
  }
}
