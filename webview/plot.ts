// Line charts on uPlot, themed from VS Code's colours. uPlot draws 100,000 points in a few milliseconds and
// takes new data without rebuilding, which is what a live loss curve needs. Zoom: drag to select an x
// range; double-click resets. A chart keeps its zoom while points arrive. A long series (1,000,000 points) is drawn
// downsampled to the x range in view (see downsample.ts), again on each zoom; the caller keeps the raw data.
import uPlot from "uplot";
import { currentTheme, onThemeChange, type Theme } from "./common";
import { Downsampler, worthDownsampling } from "./downsample";
import { clippedIndexes, logSafe, quantileRange, type Value } from "./curves";
import { formatNumber } from "./numbers";
import { parseColor } from "./colors";
import { perFrame } from "./frame";
import { tickLabels } from "./ticks";

export interface SeriesSpec {
  label: string;
  color: (t: Theme) => string;
  /** "y" (left axis, the default) or "y2" (right axis). */
  scale?: "y" | "y2";
  width?: number;
  dash?: number[];
  /** 0–1: a faint line under a smoothed one. */
  alpha?: number;
  points?: boolean;
  /** false: points only, no line (raw values under a smoothed line). */
  line?: boolean;
}

export interface PlotOptions {
  series: SeriesSpec[];
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  log?: boolean;
  /** Log scale on the right axis too (the learning rate spans decades). */
  y2Log?: boolean;
  height: number;
  /** x: "integers" (steps, epochs: the default), "numbers" (fractional epochs, seconds), or "dates" (x in seconds
   *  since 1970, labelled as times of day). */
  x?: "integers" | "numbers" | "dates";
  logX?: boolean;
  /** The left axis spans the 1st to 99th percentile of the values in view; the points beyond are marked at its edges
   *  (▲ above, ▼ below), and `onClipped` is told how many there are. */
  robust?: boolean;
  onClipped?: (count: number) => void;
  /** Fixed ranges of the left and right axes (a score's [0, 1]); absent: from the data. */
  yRange?: [number, number] | null;
  y2Range?: [number, number] | null;
  /** false: no uPlot legend (the caller draws its own, and shows or hides series with `setShown`). */
  legend?: boolean;
  /** Steps to mark with a dashed vertical line in the warning colour (a gradient warning's step). */
  marks?: { x: number; title: string }[];
}

/** The quantiles the robust y range spans. */
const ROBUST: [number, number] = [0.01, 0.99];

export const withAlpha = (color: string, alpha: number) => {
  const rgb = parseColor(color);
  return rgb ? `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})` : color;
};

const INTEGER_INCREMENTS = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b);

export class LinePlot {
  private plot: uPlot | null = null;
  private data: [number[], ...Value[][]] = [[]];
  /** The x range of the data last drawn: the caller appends to its x array in place, so uPlot's own copy
   *  of it already has the new points and cannot tell a zoom from new data. */
  private drawn: [number, number] | null = null;
  private readonly resize: ResizeObserver;
  private readonly unsubscribe: () => void;

  constructor(
    readonly container: HTMLElement,
    private options: PlotOptions,
  ) {
    container.classList.add("plot");
    // A chart in a hidden tab has no width: it is built when it first gets one.
    // (On the next frame: resizing inside the observer's callback would trigger it again in the same frame.)
    this.resize = new ResizeObserver(
      perFrame(() => {
        const width = container.clientWidth;
        if (width === 0) return;
        if (!this.plot) this.build();
        else if (width !== this.plot.width) this.plot.setSize({ width, height: this.options.height });
      }),
    );
    this.resize.observe(container);
    this.unsubscribe = onThemeChange(() => this.plot && this.build());
  }

  /** New data: [x, ...one column per series]. A zoomed-in chart stays zoomed. */
  setData(data: [number[], ...Value[][]]): void {
    this.data = data;
    this.downsampler = null;
    if (!this.plot) return;
    const { min, max } = this.plot.scales.x;
    const zoomed = this.drawn !== null && min != null && max != null && (min > this.drawn[0] || max < this.drawn[1]);
    if (zoomed) this.draw(this.plot, [min!, max!]);
    else this.draw(this.plot);
    this.remember();
  }

  /** Shows the x range [min, max] (null: all the data), as a drag across the chart (or a double-click) does. */
  zoom(range: [number, number] | null): void {
    const u = this.plot;
    if (!u) return;
    if (range && !(range[1] > range[0])) return;
    if (this.long) return this.draw(u, range ?? undefined);
    if (range) u.setScale("x", { min: range[0], max: range[1] });
    else u.setData(u.data, true);
  }

  private zoomToSelection(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 2) return;
    const range: [number, number] = [u.posToVal(left, "x"), u.posToVal(left + width, "x")];
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.zoom(range);
  }

  /** A zoom (or its reset) on a chart of long data set elsewhere: the rows of the new x range, downsampled again. */
  private rezoom(u: uPlot): void {
    const { min, max } = u.scales.x;
    if (this.rezooming || min == null || max == null || !this.long) return;
    if (this.viewed && this.viewed[0] === min && this.viewed[1] === max) return; // drawn for this range already
    this.draw(u, [min, max]);
  }

  /**
   * Gives uPlot the rows to draw: of `range` (the x range kept), or of all the data (the x range reset to it). After
   * new rows with the range kept, the range is set again: uPlot finds the rows in view only when a scale is set.
   */
  private draw(u: uPlot, range?: [number, number]): void {
    this.rezooming = true;
    try {
      const data = this.prepared(range);
      const xs = data[0];
      this.viewed = range ?? (xs.length ? [xs[0], xs[xs.length - 1]] : null);
      u.setData(data, !range);
      if (range) u.setScale("x", { min: range[0], max: range[1] });
    } finally {
      this.rezooming = false;
    }
  }

  private rezooming = false;
  /** The x range the data given to uPlot was made for. */
  private viewed: [number, number] | null = null;
  /** Whether the data has too many rows to draw whole (so each zoom draws the rows of its range, downsampled). */
  private long = false;
  /** The data made ready for drawing at any zoom (built on the first draw of long data, kept until new data). */
  private downsampler: Downsampler | null = null;

  private remember(): void {
    const xs = this.data[0];
    this.drawn = xs.length > 1 ? [xs[0], xs[xs.length - 1]] : null;
  }

  /** Shows or hides the series at `index` (of the series given, 0-based), as a click on its legend entry would. */
  setShown(index: number, shown: boolean): void {
    this.hidden[index] = !shown;
    this.plot?.setSeries(index + 1, { show: shown });
  }

  /** The series hidden by setShown, kept across rebuilds. */
  private hidden: boolean[] = [];

  /** Draws each mark as a dashed vertical line in the warning colour, with a ▼ at the top. */
  private drawMarks(u: uPlot): void {
    const marks = this.options.marks ?? [];
    const { min, max } = u.scales.x;
    if (!marks.length || min == null || max == null) return;
    const ctx = u.ctx;
    const dpr = uPlot.pxRatio;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = ctx.fillStyle = currentTheme().orange;
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    for (const m of marks) {
      if (m.x < min || m.x > max) continue;
      const x = Math.round(u.valToPos(m.x, "x", true)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.beginPath();
      ctx.moveTo(x - 4 * dpr, top);
      ctx.lineTo(x + 4 * dpr, top);
      ctx.lineTo(x, top + 6 * dpr);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  /** Rebuilds with other series or another y scale (linear/log). */
  configure(patch: Partial<PlotOptions>): void {
    this.options = { ...this.options, ...patch };
    this.downsampler = null; // other series or log scales
    if (this.plot) this.build();
  }

  destroy(): void {
    this.resize.disconnect();
    this.unsubscribe();
    this.plot?.destroy();
    this.plot = null;
  }

  /**
   * The data as uPlot takes it: one column per series (a missing one is a gap: series and data may change
   * in either order), and log scales get gaps where values are not positive.
   */
  private prepared(range?: [number, number]): uPlot.AlignedData {
    const { series, log, y2Log, logX } = this.options;
    const isLog = series.map((s) => !!(s.scale === "y2" ? y2Log : log));
    // One pixel column per device pixel of the plotting area.
    const width = Math.max(1, Math.round(this.plot?.bbox.width || this.container.clientWidth * uPlot.pxRatio));
    const x0 = this.data[0];
    const full: [number[], ...Value[][]] = [x0, ...series.map((_, i) => this.data[i + 1] ?? new Array<Value>(x0.length).fill(null))];
    this.long = worthDownsampling(full, width);
    let x = full[0];
    let columns = full.slice(1) as Value[][];
    if (this.long && worthDownsampling(full, width, range?.[0], range?.[1])) {
      this.downsampler ??= new Downsampler(full, isLog);
      [x, ...columns] = this.downsampler.view({ from: range?.[0], to: range?.[1], width, logX: logX && this.options.x !== "dates" });
    }
    return [x, ...columns.map((c, i) => (isLog[i] ? logSafe(c) : c))];
  }

  /** The left axis's values in view (series[0].idxs: the rows uPlot found for the x range being set). */
  private *valuesInView(u: uPlot): Generator<Value> {
    const [i0, i1] = u.series[0].idxs ?? [0, u.data[0].length - 1];
    for (let i = 1; i < u.series.length; i++) {
      if (u.series[i].scale !== "y" || !u.series[i].show) continue;
      const column = u.data[i] as Value[];
      for (let j = i0; j <= i1; j++) yield column[j];
    }
  }

  /** The 1st–99th percentile of the values in view, with a margin (uPlot's own range when there are none). */
  private robustRange(u: uPlot, min: number, max: number): uPlot.Range.MinMax {
    const range = quantileRange(this.valuesInView(u), ...ROBUST);
    if (!range) return [min, max];
    const [lo, hi] = range;
    if (this.options.log) return [lo / 1.15, hi * 1.15];
    const margin = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo - margin, hi + margin];
  }

  /** Marks each point beyond the left axis's range at the edge it crossed, in its series' colour. */
  private markClipped(u: uPlot): void {
    const { min, max } = u.scales.y;
    if (min == null || max == null) return;
    const [i0, i1] = u.series[0].idxs ?? [0, u.data[0].length - 1];
    const ctx = u.ctx;
    const dpr = uPlot.pxRatio;
    const size = 4 * dpr;
    const top = u.bbox.top;
    const bottom = u.bbox.top + u.bbox.height;
    let count = 0;
    ctx.save();
    for (let i = 1; i < u.series.length; i++) {
      const s = u.series[i];
      if (s.scale !== "y" || !s.show) continue;
      const { above, below } = clippedIndexes(u.data[i] as Value[], min, max, i0, i1 + 1);
      count += above.length + below.length;
      ctx.fillStyle = typeof s.stroke === "function" ? String(s.stroke(u, i)) : String(s.stroke);
      for (const [indexes, y, dir] of [
        [above, top, 1],
        [below, bottom, -1],
      ] as const) {
        for (const j of indexes) {
          const x = u.valToPos(u.data[0][j], "x", true);
          ctx.beginPath();
          ctx.moveTo(x, y);
          ctx.lineTo(x - size, y + dir * size * 1.6);
          ctx.lineTo(x + size, y + dir * size * 1.6);
          ctx.closePath();
          ctx.fill();
        }
      }
    }
    ctx.restore();
    this.options.onClipped?.(count);
  }

  private build(): void {
    this.plot?.destroy();
    this.plot = null;
    const width = this.container.clientWidth;
    if (width === 0) return;
    const t = currentTheme();
    const o = this.options;
    const font = `${Math.round(t.fontSize * 0.85)}px ${t.font}`;
    // uPlot merges options over its defaults key by key: an explicit `undefined` would erase a default, so
    // optional keys are only set when given.
    // Linear axes label their ticks to the step between them (0.05, 0.10, not 0.0494); log axes each tick on its own.
    const labels = (log: boolean | undefined) => (_u: uPlot, splits: number[]) =>
      log ? splits.map((v) => (v == null ? "" : formatNumber(v))) : tickLabels(splits);
    const axis = (label: string, side?: 1, dates = false, log?: boolean): uPlot.Axis => ({
      label,
      ...(side ? { side, scale: "y2" } : {}),
      stroke: t.muted,
      font,
      labelFont: font,
      labelSize: 18,
      grid: { stroke: withAlpha(t.grid, side ? 0 : 0.45), width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
      ...(dates ? {} : { values: labels(log) }),
      size: 56,
    });
    const hasY2 = o.series.some((s) => s.scale === "y2");
    this.rezooming = true; // the first scales are no zoom
    this.plot = new uPlot(
      {
        width,
        height: o.height,
        // A drag zooms and a double-click resets through zoom(): new rows and the new range reach uPlot together, so
        // a long chart is drawn once per zoom, not first with the rows of the range before.
        cursor: {
          drag: { x: true, y: false, setScale: false },
          points: { size: 6 },
          bind: { dblclick: () => () => (this.zoom(null), null) },
        },
        legend: { live: true, show: o.legend ?? true },
        scales: {
          x: { time: o.x === "dates", ...(o.logX && o.x !== "dates" ? { distr: 3 } : {}) },
          y: {
            ...(o.log ? { distr: 3 } : { auto: true }),
            ...(o.robust ? { range: (u: uPlot, min: number, max: number) => this.robustRange(u, min, max) } : {}),
            ...(o.yRange && !o.log ? { auto: false, range: o.yRange } : {}),
          },
          y2: { ...(o.y2Log ? { distr: 3 } : { auto: true }), ...(o.y2Range && !o.y2Log ? { auto: false, range: o.y2Range } : {}) },
        },
        hooks: {
          setSelect: [(u: uPlot) => this.zoomToSelection(u)],
          // After uPlot's commit, not inside it: a scale set within its setScale hook is dropped when the commit ends.
          setScale: [(u: uPlot, key: string) => key === "x" && queueMicrotask(() => this.rezoom(u))],
          draw: [
            (u: uPlot) => {
              if (o.robust) this.markClipped(u);
              this.drawMarks(u);
            },
          ],
        },
        axes: [
          // Steps and epochs are whole numbers; dates get uPlot's own labels.
          o.x === "dates"
            ? { ...axis(o.xLabel, undefined, true), size: 40 }
            : {
                ...axis(o.xLabel, undefined, false, o.logX),
                size: 40,
                ...((o.x ?? "integers") === "integers" && !o.logX ? { incrs: INTEGER_INCREMENTS } : {}),
              },
          axis(o.yLabel, undefined, false, o.log),
          ...(hasY2 ? [axis(o.y2Label ?? "", 1, false, o.y2Log)] : []),
        ],
        series: [
          { label: o.xLabel, value: (_u, v) => (v == null ? "—" : o.x === "dates" ? new Date(v * 1000).toLocaleTimeString() : formatNumber(v)) },
          ...o.series.map((s, i): uPlot.Series => ({
            label: s.label,
            scale: s.scale ?? "y",
            show: !this.hidden[i],
            stroke: s.alpha !== undefined ? withAlpha(s.color(t), s.alpha) : s.color(t),
            width: s.width ?? 1.5,
            ...(s.dash ? { dash: s.dash } : {}),
            spanGaps: true, // overlaid runs leave gaps at each other's x values
            points: { show: s.points ?? false, size: 5, fill: s.color(t) },
            ...(s.line === false ? { paths: () => null } : {}),
            value: (_u, v) => (v == null ? "—" : formatNumber(v)),
          })),
        ],
      },
      this.prepared(),
      this.container,
    );
    this.rezooming = false;
    const xs = this.plot.data[0];
    this.viewed = xs.length ? [xs[0], xs[xs.length - 1]] : null;
    this.remember();
  }
}
