// The pictures a notebook cell shows, drawn as Rasters from numbers: a line chart of the values a training loop
// reports (its loss, per step), with the latest value of each series written in the legend, and a parameter's
// heatmap with its gate blocks labelled (src/common/gate-layout.ts). The kernel draws them; PNG encoding is
// src/runs/png.ts. Also the same numbers as text, for the notebook's text/plain beside the image.
import { formatLoss } from "./format";
import { Raster, textWidth, GLYPH_HEIGHT, type Rgb } from "./raster";
import { niceStep, niceTicks, tickLabel } from "./ticks";

/** One named series: [x, y] points in the order reported (x: the step). */
export interface Series {
  name: string;
  points: [number, number][];
}

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [228, 228, 228];
const PALETTE: Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
];
export const CHART_SIZE = { width: 480, height: 270 };
const MARGIN = { left: 56, right: 14, top: 26, bottom: 26 };

/** The finite points of a series (NaN and ∞ are not drawn; the legend still says them). */
const finite = (points: [number, number][]) => points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));

/** The series' latest values as one line each: `loss 0.0421 (step 120, min 0.0400 at step 110)` (a loss's
 *  minimum too). */
export function seriesText(series: readonly Series[]): string {
  return series
    .filter((s) => s.points.length > 0)
    .map(({ name, points }) => {
      const [step, last] = points[points.length - 1];
      const best = finite(points).reduce<[number, number] | undefined>((b, p) => (!b || p[1] < b[1] ? p : b), undefined);
      const min = best && points.length > 1 && /loss/i.test(name) ? `, min ${formatLoss(best[1])} at step ${best[0]}` : "";
      return `${name} ${formatLoss(last)} (step ${step}${min})`;
    })
    .join("\n");
}

/** A line chart of the series against their steps: round ticks, a grid, and a legend with each latest value. */
export function drawLineChart(series: readonly Series[], { width, height } = CHART_SIZE): Raster {
  const picture = new Raster(width, height);
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const all = series.flatMap((s) => finite(s.points));
  legend(picture, series);
  if (all.length === 0) {
    picture.text(plot.x + 8, plot.y + plot.h / 2, "no finite values yet", INK);
    return picture;
  }
  const range = (values: number[]) => {
    let [lo, hi] = [Math.min(...values), Math.max(...values)];
    if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) / 2, hi + (Math.abs(hi) || 1) / 2];
    return [lo, hi] as const;
  };
  const [x0, x1] = range(all.map((p) => p[0]));
  const [y0, y1] = range(all.map((p) => p[1]));
  const px = (x: number) => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
  const py = (y: number) => plot.y + plot.h - ((y - y0) / (y1 - y0)) * plot.h;
  const yStep = niceStep(y0, y1, 4);
  for (const tick of niceTicks(y0, y1, 4)) {
    picture.line(plot.x, py(tick), plot.x + plot.w, py(tick), GRID);
    const label = tickLabel(tick, yStep);
    picture.text(plot.x - 6 - textWidth(label), py(tick) - 3, label, INK);
  }
  const xStep = niceStep(x0, x1, 5);
  for (const tick of niceTicks(x0, x1, 5)) {
    picture.line(px(tick), plot.y + plot.h, px(tick), plot.y + plot.h + 3, INK);
    const label = tickLabel(tick, xStep);
    picture.text(px(tick) - textWidth(label) / 2, plot.y + plot.h + 7, label, INK);
  }
  picture.line(plot.x, plot.y, plot.x, plot.y + plot.h, INK);
  picture.line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, INK);
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const points = finite(s.points);
    if (points.length === 1) picture.fill(px(points[0][0]) - 2, py(points[0][1]) - 2, 5, 5, colour);
    for (let j = 1; j < points.length; j++) picture.line(px(points[j - 1][0]), py(points[j - 1][1]), px(points[j][0]), py(points[j][1]), colour, 2);
  });
  return picture;
}

/** Each series' name and latest value above the plot, in its colour. */
function legend(picture: Raster, series: readonly Series[]): void {
  let x = MARGIN.left;
  series.forEach((s, i) => {
    const last = s.points[s.points.length - 1];
    const text = last ? `${s.name} ${formatLoss(last[1])}` : s.name;
    picture.fill(x, 8, 10, 7, PALETTE[i % PALETTE.length]);
    x += 14 + picture.text(x + 14, 8, text, INK) + 12;
  });
}

/** A matrix's values, row-major, with how to label it. */
export interface HeatmapInput {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  title: string;
  /** The gate names of the row blocks, in order (empty: no blocks). */
  gates: readonly string[];
}

/** The most cells a heatmap side draws: a larger matrix is averaged into this many bins. */
export const HEATMAP_MAX_CELLS = 256;
const HEATMAP_SIDE = 360;

/** The matrix as coloured cells (blue negative, white zero, red positive, scaled to its largest magnitude), the
 *  gate blocks separated and labelled on the left, the title and the scale on top. */
export function drawHeatmap({ values, rows, cols, title, gates }: HeatmapInput): Raster {
  const binRows = Math.min(rows, HEATMAP_MAX_CELLS);
  const binCols = Math.min(cols, HEATMAP_MAX_CELLS);
  const cell = Math.max(1, Math.min(24, Math.floor(HEATMAP_SIDE / Math.max(binRows, binCols))));
  const bins = binned(values, rows, cols, binRows, binCols);
  let scale = 0;
  for (const v of bins) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const left = 14 + 6 * Math.max(1, ...gates.map((g) => g.length));
  const top = 24;
  const header = `${title}  |max| ${formatLoss(scale)}`;
  const picture = new Raster(Math.max(left + binCols * cell + 10, textWidth(header) + 20), top + binRows * cell + 10);
  picture.text(10, 8, header, INK);
  for (let r = 0; r < binRows; r++) {
    for (let c = 0; c < binCols; c++) picture.fill(left + c * cell, top + r * cell, cell, cell, diverging(bins[r * binCols + c], scale));
  }
  const blocks = gates.length;
  if (blocks > 0 && rows % blocks === 0) {
    for (let b = 0; b < blocks; b++) {
      const y = top + Math.round((b * binRows * cell) / blocks);
      if (b > 0) picture.line(left - 4, y, left + binCols * cell - 1, y, INK);
      const h = (binRows * cell) / blocks;
      picture.text(8, y + h / 2 - GLYPH_HEIGHT / 2, gates[b], INK);
    }
  }
  return picture;
}

/** The matrix averaged into binRows × binCols bins (the matrix itself when it fits). */
function binned(values: ArrayLike<number>, rows: number, cols: number, binRows: number, binCols: number): Float64Array {
  const sums = new Float64Array(binRows * binCols);
  const counts = new Float64Array(binRows * binCols);
  for (let r = 0; r < rows; r++) {
    const br = Math.floor((r * binRows) / rows);
    for (let c = 0; c < cols; c++) {
      const at = br * binCols + Math.floor((c * binCols) / cols);
      sums[at] += values[r * cols + c];
      counts[at]++;
    }
  }
  return sums.map((s, i) => s / counts[i]);
}

/** Blue (−scale) through white (0) to red (+scale); grey for NaN or ∞. */
function diverging(value: number, scale: number): Rgb {
  if (!Number.isFinite(value)) return [150, 150, 150];
  const t = scale > 0 ? Math.max(-1, Math.min(1, value / scale)) : 0;
  const fade = (full: number) => Math.round(255 + (full - 255) * Math.abs(t));
  return t >= 0 ? [fade(200), fade(40), fade(40)] : [fade(40), fade(90), fade(200)];
}
