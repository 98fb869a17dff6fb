// The Runs view's small loss curves: a curve's points fitted into a box.
import type { Point } from "../src/common/protocol";

/**
 * A curve's points in a width × height box (canvas coordinates: y down), `pad` pixels in. `log` plots
 * log10(y), skipping what is not positive. Non-finite points are skipped; a flat curve sits mid-height.
 */
export function sparkline(points: readonly Point[], width: number, height: number, pad = 1, log = false): Point[] {
  const pts = points.map(([x, y]): Point => [x, log ? (y > 0 ? Math.log10(y) : NaN) : y]).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) return [];
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  const w = width - 2 * pad;
  const h = height - 2 * pad;
  return pts.map(([x, y]): Point => [pad + (x1 > x0 ? ((x - x0) / (x1 - x0)) * w : w / 2), pad + (y1 > y0 ? (1 - (y - y0) / (y1 - y0)) * h : h / 2)]);
}
