// The Training tab's loss chart: the run's loss per step, raw and smoothed, the learning rate on the right axis, and
// earlier runs of the same file overlaid (smoothed), on the x axis the user picked. Live steps extend the curves in
// place and are drawn once per frame.
import type { RunDetail } from "../src/common/protocol";
import { h, isolated } from "./common";
import { CurveTable, nextX, stepAxis, type Value, type XAxis } from "./curves";
import { runColor } from "./colors";
import { perFrame } from "./frame";
import { t } from "./l10n";
import { formatCount } from "./numbers";
import { LinePlot, type PlotOptions, type SeriesSpec } from "./plot";
import { emaSmooth, emaState, emaStep } from "./smoothing";

/** The loss chart's choices, kept in the page's state. */
export interface LossChartUi {
  smoothing: number;
  logY: boolean;
  /** The x axis, whether it is logarithmic, and whether the y range leaves the outliers out (marked). */
  xAxis: XAxis;
  logX: boolean;
  robustY: boolean;
}

/** The x axes of the loss chart; names and titles as functions, so that they are read in the page's language. */
export const X_AXES: { axis: XAxis; label: () => string; title: () => string }[] = [
  { axis: "step", label: () => t("step"), title: () => t("Training steps") },
  { axis: "epoch", label: () => t("epoch"), title: () => t("Epochs (a step is a fraction of its epoch)") },
  { axis: "time", label: () => t("seconds"), title: () => t("Seconds since the run started") },
  { axis: "wall", label: () => t("time"), title: () => t("The wall clock") },
];

/**
 * Columns of the chart's table: raw loss, smoothed loss, learning rate, then a raw and a smoothed column per
 * compared run (only the smoothed one is drawn; the raw one is what a new weight smooths).
 */
const RAW = 0;
const SMOOTH = 1;
const LR = 2;
const compareRaw = (i: number) => 3 + 2 * i;

export class LossChart {
  private readonly box = h("div", { class: "chart" });
  private readonly clippedNote = h("p", { class: "hint" });
  readonly el = h(
    "section",
    { class: "loss" },
    h("h3", {}, t("Loss per step")),
    this.box,
    this.clippedNote,
    h("p", { class: "hint" }, t("Drag across the chart to zoom in; double-click to zoom out.")),
  );
  private readonly plot: LinePlot;
  private run: RunDetail | null = null;
  /** Runs to overlay, as the host sent them; the run shown is left out when drawing (see overlays). */
  private compare: RunDetail[] = [];
  private table = new CurveTable(3);
  /** The running average of the loss and the x of the run's last step, extended by each live step. */
  private ema = emaState();
  private lastX: number | undefined;
  /** The latest columns, drawn on the next frame however many steps arrive before it. */
  private readonly draw = perFrame(() => this.plot.setData(this.plotData()));
  /** The whole curves again on the next frame (a step on the epoch axis moves every step of its epoch). */
  private readonly rebuildOnFrame = perFrame(() => this.rebuild());

  constructor(private readonly ui: LossChartUi) {
    this.plot = new LinePlot(this.box, {
      series: this.series(),
      ...this.xOptions(),
      yLabel: t("loss"),
      y2Label: t("learning rate"),
      log: ui.logY,
      y2Log: true,
      height: 280,
      onClipped: (n) => this.showClipped(n),
    });
  }

  /** The run shown and the runs to overlay: the whole chart again. */
  show(run: RunDetail | null, compare: RunDetail[]): void {
    this.run = run;
    this.compare = compare;
    this.restyle();
  }

  /** The series again (a new smoothing weight is in their labels and alpha), and the curves. */
  restyle(): void {
    this.plot.configure({ series: this.series() });
    this.rebuild();
  }

  setLog(log: boolean): void {
    this.plot.configure({ log });
  }

  /** Another x axis, log x or outlier clipping (already in the ui): the curves on the new axis. */
  axisChanged(): void {
    if (!this.ui.robustY) this.showClipped(0);
    this.plot.configure(this.xOptions());
    this.rebuild();
  }

  /** A step event was folded into the run: extend the curves (drawn on the next frame, however many arrive). */
  stepAdded(): void {
    const steps = this.run!.steps;
    const s = steps[steps.length - 1];
    const axis = this.ui.xAxis;
    if (axis === "epoch") return this.rebuildOnFrame(); // a new step moves every step of its epoch
    const start = axis === "wall" ? (Date.parse(this.run!.summary.info.startedAt) || 0) / 1000 : 0;
    const x = axis === "step" ? nextX(this.lastX, s.step) : this.lastX === undefined || start + s.time > this.lastX ? start + s.time : this.lastX + 1e-4;
    this.lastX = x;
    // x only grows (nextX), so this is the run's last point even when compared runs already have rows past
    // it: the running average extends by one step, never recomputed.
    const { row } = this.table.set(RAW, x, s.loss);
    this.table.set(LR, x, s.lr);
    this.table.columns[SMOOTH][row] = emaStep(this.ema, s.loss, this.ui.smoothing);
    this.draw();
  }

  /** The run's steps changed other than by an append (thinned, or their last point moved): the curves again, on the
   *  next frame. */
  stepsChanged(): void {
    this.rebuildOnFrame();
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

  private series(): SeriesSpec[] {
    return [
      { label: t("loss"), color: (theme) => theme.blue, alpha: this.ui.smoothing > 0 ? 0.3 : 1, width: 1 },
      { label: t("smoothed ({0})", this.ui.smoothing.toFixed(2)), color: (theme) => theme.blue, width: 2 },
      { label: "lr", color: (theme) => theme.muted, scale: "y2", width: 1, dash: [4, 3] },
      ...this.overlays().map((r, i): SeriesSpec => ({
        label: isolated(r.summary.label ?? r.summary.info.id),
        color: (theme) => runColor(i, theme.dark),
        width: 1.5,
        dash: [6, 3],
      })),
    ];
  }

  /** The whole table again: on a new run, a new comparison, or a new smoothing weight. */
  private rebuild(): void {
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
    this.plot.setData(this.plotData());
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
}
