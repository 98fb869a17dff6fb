// The Training tab's gradient section: each parameter's gradient norm per step on a log axis (weights solid,
// biases dashed) with a legend grouped by module, and the warnings the run raised when a norm fell far below or rose
// far above its running median, their steps marked ▼ on the chart. The NaN stop's banner links here.
import type { RunDetail } from "../src/common/protocol";
import { banner, bdi, currentTheme, fill, h, onThemeChange, type Theme } from "./common";
import { gradientColumns, gradientNames, legendGroups, normOf, warningDetail, warningMarks, warningTitle } from "./gradient-logic";
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
  /** The legend, grouped by module and collapsible: 25 parameters in uPlot's one legend row were cut mid-row. */
  private readonly legendBox = h("div", { class: "grouped-legend" });
  /** The parameters unticked in the legend, by name (kept when new parameters arrive). */
  private readonly hiddenNames = new Set<string>();
  /** The modules whose legend group is folded. */
  private readonly folded = new Set<string>();
  private readonly plot: LinePlot;
  private names: string[] = [];
  private data: [number[], ...Value[][]] = [[]];
  private run: RunDetail | null = null;
  /** The columns as they are, drawn on the next frame however many steps arrive before it. */
  private readonly draw = perFrame(() => this.plot.setData(this.data));

  constructor() {
    this.plot = new LinePlot(this.chartBox, { series: [], xLabel: t("step"), yLabel: t("gradient norm"), log: true, height: 240, legend: false });
    fill(
      this.el,
      h("h3", {}, t("Gradient norm per step")),
      this.warningsBox,
      this.chartBox,
      this.legendBox,
      h(
        "p",
        { class: "hint" },
        t(
          "Each parameter's gradient norm after backward, before clipping, on a log axis. A warning is raised when a norm falls below or rises above its running median by the unroll.gradients thresholds.",
        ),
      ),
    );
    this.el.hidden = true;
    onThemeChange(() => this.renderLegend()); // the swatches take the theme's colours
  }

  setRun(run: RunDetail | null): void {
    this.run = run;
    const steps = run?.steps ?? [];
    this.names = gradientNames(steps);
    this.data = gradientColumns(steps, this.names);
    this.plot.configure({ series: this.series(), marks: warningMarks(run?.summary.info.gradientWarnings ?? [], t) });
    this.names.forEach((name, i) => this.plot.setShown(i, !this.hiddenNames.has(name)));
    this.plot.setData(this.data);
    this.renderLegend();
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
    this.plot.configure({ marks: warningMarks(this.run?.summary.info.gradientWarnings ?? [], t) });
    this.renderWarnings();
  }

  /** A group per module (its name and count, folded or open), each parameter a checkbox in its line's colour and dash. */
  private renderLegend(): void {
    const theme = currentTheme();
    const groups = legendGroups(this.names);
    const item = (g: ReturnType<typeof legendGroups>[number]["items"][number]) => {
      const box = h("input", { type: "checkbox", checked: !this.hiddenNames.has(g.name), "aria-label": g.name });
      box.addEventListener("change", () => {
        if (box.checked) this.hiddenNames.delete(g.name);
        else this.hiddenNames.add(g.name);
        this.plot.setShown(g.index, box.checked);
      });
      const swatch = h("span", { class: `swatch${/(^|\.)bias/.test(g.name) ? " dashed" : ""}` });
      swatch.style.borderColor = COLORS[g.index % COLORS.length](theme);
      return h("label", { class: "legend-item", title: g.name }, box, swatch, bdi(g.label));
    };
    fill(
      this.legendBox,
      ...groups.map((g) => {
        const details = h(
          "details",
          { open: !this.folded.has(g.module) },
          h("summary", {}, bdi(g.module || t("the model")), h("span", { class: "muted" }, ` (${g.items.length})`)),
          h("div", { class: "legend-items" }, ...g.items.map(item)),
        );
        details.addEventListener("toggle", () => (details.open ? this.folded.delete(g.module) : this.folded.add(g.module)));
        return details;
      }),
    );
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
    const kinds = new Set(warnings.map((w) => w.kind));
    const kindWords = kinds.size > 1 ? t("vanishing and exploding") : kinds.has("vanishing") ? t("vanishing") : t("exploding");
    const b = banner(
      "warning",
      "warning",
      count > 1
        ? t("{0} gradient warnings ({1}), the first at step {2} (marked ▼ on the chart)", count, kindWords, warnings[0].step)
        : t("1 gradient warning ({0}) at step {1} (marked ▼ on the chart)", kindWords, warnings[0].step),
      ...warnings.slice(0, MAX_WARNINGS_SHOWN).map((w) => `${warningTitle(w, t)}: ${warningDetail(w, t)}`),
      ...(count > MAX_WARNINGS_SHOWN ? [t("… and {0} more (run.json lists the first {1}).", count - MAX_WARNINGS_SHOWN, warnings.length)] : []),
    );
    b.dataset.gradientWarnings = String(count);
    fill(this.warningsBox, b);
  }
}
