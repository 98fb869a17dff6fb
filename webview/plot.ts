// Line charts on uPlot, themed from VS Code's colours. uPlot draws 100,000 points in a few milliseconds and
// takes new data without rebuilding, which is what a live loss curve needs. Zoom: drag to select an x
// range; double-click resets. A chart keeps its zoom while points arrive.
import uPlot from "uplot";
import { currentTheme, onThemeChange, type Theme } from "./common";
import { formatNumber, logSafe, parseColor, type Value } from "./logic";

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
}

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
    this.resize = new ResizeObserver(() =>
      requestAnimationFrame(() => {
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
    if (!this.plot) return;
    const { min, max } = this.plot.scales.x;
    const zoomed = this.drawn !== null && min != null && max != null && (min > this.drawn[0] || max < this.drawn[1]);
    this.plot.setData(this.prepared(), !zoomed);
    this.remember();
  }

  private remember(): void {
    const xs = this.data[0];
    this.drawn = xs.length > 1 ? [xs[0], xs[xs.length - 1]] : null;
  }

  /** Rebuilds with other series or another y scale (linear/log). */
  configure(patch: Partial<PlotOptions>): void {
    this.options = { ...this.options, ...patch };
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
  private prepared(): uPlot.AlignedData {
    const { series, log, y2Log } = this.options;
    const [x, ...columns] = this.data;
    return [x, ...series.map((s, i) => {
      const c = columns[i] ?? new Array<Value>(x.length).fill(null);
      return (s.scale === "y2" ? y2Log : log) ? logSafe(c) : c;
    })];
  }

  private build(): void {
    this.plot?.destroy();
    const width = this.container.clientWidth;
    if (width === 0) return;
    const t = currentTheme();
    const o = this.options;
    const font = `${Math.round(t.fontSize * 0.85)}px ${t.font}`;
    // uPlot merges options over its defaults key by key: an explicit `undefined` would erase a default, so
    // optional keys are only set when given.
    const axis = (label: string, side?: 1): uPlot.Axis => ({
      label,
      ...(side ? { side, scale: "y2" } : {}),
      stroke: t.muted,
      font,
      labelFont: font,
      labelSize: 18,
      grid: { stroke: withAlpha(t.grid, side ? 0 : 0.45), width: 1 },
      ticks: { stroke: t.grid, width: 1, size: 4 },
      values: (_u, splits) => splits.map((v) => (v == null ? "" : formatNumber(v))),
      size: 56,
    });
    const hasY2 = o.series.some((s) => s.scale === "y2");
    this.plot = new uPlot(
      {
        width,
        height: o.height,
        cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
        legend: { live: true },
        scales: {
          x: { time: false },
          y: o.log ? { distr: 3 } : { auto: true },
          y2: o.y2Log ? { distr: 3 } : { auto: true },
        },
        axes: [
          // x is a step, an epoch or a time step: whole numbers only.
          { ...axis(o.xLabel), size: 40, incrs: INTEGER_INCREMENTS },
          axis(o.yLabel),
          ...(hasY2 ? [axis(o.y2Label ?? "", 1)] : []),
        ],
        series: [
          { label: o.xLabel, value: (_u, v) => (v == null ? "—" : formatNumber(v)) },
          ...o.series.map(
            (s): uPlot.Series => ({
              label: s.label,
              scale: s.scale ?? "y",
              stroke: s.alpha !== undefined ? withAlpha(s.color(t), s.alpha) : s.color(t),
              width: s.width ?? 1.5,
              ...(s.dash ? { dash: s.dash } : {}),
              spanGaps: true, // overlaid runs leave gaps at each other's x values
              points: { show: s.points ?? false, size: 5, fill: s.color(t) },
              value: (_u, v) => (v == null ? "—" : formatNumber(v)),
            }),
          ),
        ],
      },
      this.prepared(),
      this.container,
    );
    this.remember();
  }
}
