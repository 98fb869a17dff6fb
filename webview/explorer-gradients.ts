// The Training tab's gradient section: each parameter's gradient norm per step on a log axis (weights solid,
// biases dashed), and the warnings the run raised when a norm fell far below or rose far above its running
// median. The NaN stop's banner links here.
import type { RunDetail } from "../src/common/protocol";
import { banner, fill, h, type Theme } from "./common";
import { gradientColumns, gradientNames, normOf, warningDetail, warningTitle } from "./gradient-logic";
import { t } from "./l10n";
import { nextX, type Value } from "./curves";
import { perFrame } from "./frame";
import { LinePlot, type SeriesSpec } from "./plot";

const COLORS: ((t: Theme) => string)[] = [(t) => t.blue, (t) => t.orange, (t) => t.green, (t) => t.purple, (t) => t.yellow, (t) => t.red, (t) => t.muted];
const MAX_WARNINGS_SHOWN = 6;
export const GRADIENTS_ID = "gradient-norms";

export class GradientSection {
  readonly el = h("section", { class: "gradients", id: GRADIENTS_ID });
  private readonly warningsBox = h("div", { class: "gradient-warnings" });
  private readonly chartBox = h("div", { class: "chart" });
  private readonly plot: LinePlot;
  private names: string[] = [];
  private data: [number[], ...Value[][]] = [[]];
  private run: RunDetail | null = null;
  /** The columns as they are, drawn on the next frame however many steps arrive before it. */
  private readonly draw = perFrame(() => this.plot.setData(this.data));

  constructor() {
    this.plot = new LinePlot(this.chartBox, { series: [], xLabel: t("step"), yLabel: t("gradient norm"), log: true, height: 240 });
    fill(
      this.el,
      h("h3", {}, t("Gradient norm per step")),
      this.warningsBox,
      this.chartBox,
      h(
        "p",
        { class: "hint" },
        t(
          "Each parameter's gradient norm after backward, before clipping, on a log axis. A warning is raised when a norm falls below or rises above its running median by the unroll.gradients thresholds.",
        ),
      ),
    );
    this.el.hidden = true;
  }

  setRun(run: RunDetail | null): void {
    this.run = run;
    const steps = run?.steps ?? [];
    this.names = gradientNames(steps);
    this.data = gradientColumns(steps, this.names);
    this.plot.configure({ series: this.series() });
    this.plot.setData(this.data);
    this.renderWarnings();
  }

  /** The run's last step was appended: extend the columns (a new parameter name rebuilds them). */
  stepAdded(): void {
    const steps = this.run!.steps;
    const s = steps[steps.length - 1];
    if (Object.keys(s.gradNorms ?? {}).some((n) => !this.names.includes(n))) return this.setRun(this.run);
    const [xs, ...columns] = this.data;
    xs.push(nextX(xs.at(-1), s.step));
    this.names.forEach((name, i) => columns[i].push(normOf(s, name)));
    if (this.el.hidden && this.names.length) this.renderWarnings();
    this.draw();
  }

  warningsChanged(): void {
    this.renderWarnings();
  }

  private series(): SeriesSpec[] {
    return this.names.map((name, i) => ({ label: name, color: COLORS[i % COLORS.length], width: 1.25, ...(/(^|\.)bias/.test(name) ? { dash: [5, 3] } : {}) }));
  }

  private renderWarnings(): void {
    const info = this.run?.summary.info;
    const warnings = info?.gradientWarnings ?? [];
    this.el.hidden = !this.names.length && !warnings.length;
    const count = Math.max(info?.gradientWarningCount ?? 0, warnings.length);
    if (!warnings.length) return fill(this.warningsBox);
    const kinds = [...new Set(warnings.map((w) => w.kind))].join(" and ");
    const b = banner(
      "warning",
      "warning",
      `${count} gradient warning${count > 1 ? "s" : ""} (${kinds}), the first at step ${warnings[0].step}`,
      ...warnings.slice(0, MAX_WARNINGS_SHOWN).map((w) => `${warningTitle(w)}: ${warningDetail(w)}`),
      ...(count > MAX_WARNINGS_SHOWN ? [`… and ${count - MAX_WARNINGS_SHOWN} more (run.json lists the first ${warnings.length}).`] : []),
    );
    b.dataset.gradientWarnings = String(count);
    fill(this.warningsBox, b);
  }
}
