// The Training tab's epochs: the loss and numeric metrics per epoch on one chart (the series the user ticked,
// smoothed like the loss), and the table of every epoch's metrics (strings too, such as the predicted "ohlol").
import { ownValue, type RunDetail } from "../src/common/protocol";
import { planAxes, type MetricSeries } from "./chart-axes";
import { runColor } from "./colors";
import { fill, h, isolated, type Theme } from "./common";
import type { Value } from "./curves";
import { t } from "./l10n";
import { formatNumber } from "./numbers";
import { LinePlot, type SeriesSpec } from "./plot";
import { metricNames } from "../src/common/run-csv";
import { emaSmoothAt, smoothingStyle } from "./smoothing";

/** The per-epoch chart's choices, kept in the page's state. */
export interface EpochsUi {
  smoothing: number;
  /** The series the user unticked ("epoch loss", metric names): new metrics show by default. */
  hiddenMetrics: string[];
}

const MAX_EPOCH_ROWS = 200;

export class EpochsSection {
  /** The chart, with its picker; empty while there are fewer than two series. */
  readonly chartEl = h("div", { class: "chart" });
  readonly tableEl = h("div", { class: "epochs" });
  private readonly picker = h("div", { class: "toolbar metrics-picker" });
  private plot: LinePlot | null = null;
  private run: RunDetail | null = null;

  constructor(
    private readonly ui: EpochsUi,
    private readonly saveUi: (patch: Partial<EpochsUi>) => void,
  ) {}

  /** The run's epochs, chart and table. */
  show(run: RunDetail | null): void {
    this.run = run;
    this.renderChart();
    this.renderTable();
  }

  /** The series the per-epoch chart can show: the epoch's mean loss and each numeric metric (null where an epoch lacks it). */
  private series(): MetricSeries[] {
    const epochs = this.run?.epochs ?? [];
    const value = (v: unknown): Value => (typeof v === "number" ? v : null);
    return [
      { name: t("epoch loss"), values: epochs.map((e) => e.loss) },
      ...metricNames(epochs).numeric.map((m) => ({ name: m, values: epochs.map((e) => value(ownValue(e.metrics, m))) })),
    ];
  }

  /**
   * Loss and metrics per epoch on one chart, the ones ticked above it: a metric of another unit than the first series
   * (an accuracy beside a loss) goes on the right axis, and the legend says which axis each series is read on. With
   * smoothing, each series is a smoothed line over its raw points.
   */
  renderChart(): void {
    const epochs = this.run?.epochs ?? [];
    const all = this.series();
    if (all.length < 2) {
      this.plot?.destroy();
      this.plot = null;
      fill(this.chartEl);
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
      const label = plan.units.y2 ? `${isolated(s.name)} (${scale === "y" ? t("left axis") : t("right axis")})` : isolated(s.name);
      // A short series (a few epochs) is read point by point: its raw values stay bold, the smoothed line faint.
      const style = smoothingStyle(s.values.length, w);
      series.push({ label, color, scale, points: true, ...(style.rawBold ? { width: 2 } : { line: false, alpha: 0.5 }) });
      columns.push([...s.values]);
      if (style.smoothed) {
        series.push({ label: t("{0} smoothed", isolated(s.name)), color, scale, ...(style.rawBold ? { width: 1, alpha: 0.45, dash: [4, 3] } : { width: 2 }) });
        columns.push(emaSmoothAt(xs, s.values, w));
      }
    });
    const axes = { yLabel: plan.names.y.join(", "), y2Label: plan.names.y2.join(", "), yRange: plan.ranges.y, y2Range: plan.ranges.y2 };
    if (!this.plot) {
      const box = h("div");
      fill(this.chartEl, h("h3", {}, t("Metrics per epoch")), this.picker, box);
      this.plot = new LinePlot(box, { series, xLabel: t("epoch"), ...axes, height: 220 });
    } else this.plot.configure({ series, ...axes });
    this.renderPicker(all);
    this.plot.setData([xs, ...columns]);
  }

  /** One checkbox per series of the per-epoch chart. */
  private renderPicker(all: MetricSeries[]): void {
    const hidden = this.ui.hiddenMetrics;
    fill(
      this.picker,
      ...all.map((s) => {
        const box = h("vscode-checkbox", { label: isolated(s.name), checked: !hidden.includes(s.name), title: t("Show {0} on the chart", isolated(s.name)) });
        box.addEventListener("change", () => {
          this.ui.hiddenMetrics = box.checked ? hidden.filter((n) => n !== s.name) : [...hidden, s.name];
          this.saveUi({ hiddenMetrics: this.ui.hiddenMetrics });
          this.renderChart();
        });
        return box;
      }),
    );
  }

  private renderTable(): void {
    const epochs = this.run?.epochs ?? [];
    if (epochs.length === 0) return fill(this.tableEl);
    const { numeric, other } = metricNames(epochs);
    const metrics = [...other, ...numeric];
    // Newest first: during training the latest epoch is what one watches.
    const shown = epochs.slice(-MAX_EPOCH_ROWS).reverse();
    fill(
      this.tableEl,
      h("h3", {}, t("Epochs")),
      h(
        "div",
        { class: "table-scroll" },
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
                  const v = ownValue(e.metrics, m); // not Object.prototype's, for a metric named toString
                  return typeof v === "number"
                    ? h("td", { class: "num" }, formatNumber(v))
                    : h("td", { class: "mono" }, v === undefined ? "" : JSON.stringify(v));
                }),
              ),
            ),
          ),
        ),
      ),
      epochs.length > MAX_EPOCH_ROWS ? h("p", { class: "hint" }, t("The {0} earlier epochs are in the CSV export.", epochs.length - MAX_EPOCH_ROWS)) : null,
    );
  }
}
