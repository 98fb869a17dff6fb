// The Runs table's sweeps: the row above each sweep's runs, and the parallel-coordinates chart of one sweep (its
// swept hparams and a metric, a line per run, the best marked, with a summary in words for screen readers). The
// layout is parallel-coordinates.ts's; this file draws it.
import type { TableRun } from "../src/common/protocol";
import { bestRunIndex, DEFAULT_SWEEP_METRIC, sweepValue } from "../src/common/sweep";
import { bdi, drawOn, fill, h, type Theme } from "./common";
import { t } from "./l10n";
import { formatNumber } from "./numbers";
import { pcAxes, pcLayout, pcTicks, type PcAxis, type PcRun } from "./parallel-coordinates";

/** A sweep's runs compared on `metric`: the best run and its value. */
function bestOf(runs: readonly TableRun[], metric: string): { run: TableRun; value: number } | undefined {
  const i = bestRunIndex(
    runs.map((r) => r.info),
    metric,
  );
  return i < 0 ? undefined : { run: runs[i], value: sweepValue(runs[i].info, metric)!.value };
}

/** `lr 0.03, hidden 32`: a run's swept values. */
const pointText = (run: TableRun, names: readonly string[]) => names.map((n) => `${n} ${String(run.info.hparams?.[n] ?? "–")}`).join(", ");

/** The row above a sweep's runs: its id, how many of its points are shown, what it varies, its best run. */
export function sweepRow(sweep: { id: string; names: string[]; size: number; runs: TableRun[] }, columns: number): HTMLElement {
  const best = bestOf(sweep.runs, DEFAULT_SWEEP_METRIC);
  const text = [
    t("Sweep {0}", sweep.id),
    t("{0} of {1} runs", sweep.runs.length, sweep.size),
    t("varies {0}", sweep.names.join(", ")),
    best ? t("best: {0} ({1} {2})", pointText(best.run, sweep.names), DEFAULT_SWEEP_METRIC, formatNumber(best.value)) : "",
  ].filter(Boolean);
  return h(
    "tr",
    { class: "group-row sweep-row" },
    h("td", { colspan: columns + 1 }, h("span", { class: "codicon codicon-symbol-array", "aria-hidden": "true" }), " ", bdi(text.join(" · "))),
  );
}

/** Which sweep and metric the chart shows (kept while the page lives). */
const choice = { sweep: "", metric: DEFAULT_SWEEP_METRIC };

/** The chart of one sweep among the runs shown (a choice when there are several), or nothing when none is shown. */
export function renderSweepChart(box: HTMLElement, sweeps: { id: string; names: string[]; runs: TableRun[] }[]): void {
  if (!sweeps.length) {
    fill(box);
    return;
  }
  const sweep = sweeps.find((s) => s.id === choice.sweep) ?? sweeps[0];
  const metrics = [...new Set(sweep.runs.flatMap((r) => Object.keys(r.info.best ?? {})))];
  const metric = metrics.includes(choice.metric) ? choice.metric : (metrics[0] ?? DEFAULT_SWEEP_METRIC);
  const goal = sweep.runs.map((r) => sweepValue(r.info, metric)?.goal).find(Boolean) ?? "min";
  const pcRuns: PcRun[] = sweep.runs.map((r) => ({ dir: r.dir, values: { ...r.info.hparams, [metric]: sweepValue(r.info, metric)?.value } }));
  const axes = pcAxes(pcRuns, sweep.names, metric, goal);
  const select = (options: string[], value: string, label: string, key: keyof typeof choice) => {
    const el = h("select", { "aria-label": label }, ...options.map((o) => h("option", { value: o, selected: o === value }, o)));
    el.addEventListener("change", () => {
      choice[key] = el.value;
      renderSweepChart(box, sweeps);
    });
    return el;
  };
  const best = bestOf(sweep.runs, metric);
  const summary = [
    t("{0} runs of sweep {1}, one line each, on axes {2}.", sweep.runs.length, sweep.id, axes.map(axisLabel).join(", ")),
    best
      ? t(
          "Best: {0}, {1} {2} ({3}).",
          pointText(best.run, sweep.names),
          metric,
          formatNumber(best.value),
          goal === "min" ? t("lower is better") : t("higher is better"),
        )
      : "",
  ].join(" ");
  const canvas = drawOn(h("canvas", { class: "parallel-canvas", role: "img", "aria-label": summary }), (ctx, w, hgt, theme) =>
    drawChart(ctx, w, hgt, theme, pcRuns, axes),
  );
  fill(
    box,
    h("h3", {}, t("Sweep: hyperparameters against a metric")),
    h(
      "div",
      { class: "toolbar" },
      sweeps.length > 1
        ? h(
            "label",
            {},
            t("sweep"),
            " ",
            select(
              sweeps.map((s) => s.id),
              sweep.id,
              t("sweep"),
              "sweep",
            ),
          )
        : null,
      metrics.length > 1 ? h("label", {}, t("metric"), " ", select(metrics, metric, t("metric"), "metric")) : null,
    ),
    canvas,
    h("p", { class: "hint parallel-summary" }, summary),
  );
}

const axisLabel = (a: PcAxis) => (a.scale === "log" ? t("{0} (log)", a.key) : a.key);

function drawChart(ctx: CanvasRenderingContext2D, width: number, height: number, theme: Theme, runs: PcRun[], axes: PcAxis[]): void {
  const pad = { left: 48, right: 56, top: 28, bottom: 16 };
  const { xs, lines } = pcLayout(runs, axes, { width, height, pad });
  ctx.font = `${Math.round(theme.fontSize * 0.85)}px ${theme.font}`;
  ctx.lineWidth = 1;
  for (const [i, axis] of axes.entries()) {
    ctx.strokeStyle = theme.grid;
    ctx.beginPath();
    ctx.moveTo(xs[i], pad.top);
    ctx.lineTo(xs[i], height - pad.bottom);
    ctx.stroke();
    ctx.fillStyle = theme.foreground;
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(axisLabel(axis), xs[i], pad.top - 8);
    ctx.fillStyle = theme.muted;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    const y = (f: number) => height - pad.bottom - f * (height - pad.top - pad.bottom);
    for (const [f, label] of pcTicks(axis)) ctx.fillText(label, xs[i] + 4, y(f));
  }
  for (const line of lines) {
    ctx.strokeStyle = line.best ? theme.orange : theme.blue;
    ctx.globalAlpha = line.best ? 1 : 0.6;
    ctx.lineWidth = line.best ? 3 : 1.5;
    ctx.beginPath();
    line.points.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
}
