// The size cap of a snapshot file. A recorded sample's states grow with time steps × units × (hidden, cell and
// four gates): a 2-layer LSTM(256) on a 500-step sample is 12 MB of JSON per snapshot. Above the cap, the
// dynamics keep every k-th time step (k doubling until the file fits), then the heatmaps are averaged in 2×2
// blocks; the file (`reduced`), each layer (`timeStride`) and each heatmap (`downsampledFrom`) say so.
// Plain data only: the run store's writer applies it, and may not import "unroll".
import type { Heatmap, LayerDynamics, ParameterSnapshot } from "../common/protocol";
import type { SnapshotFile } from "./run-file";

export const SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024;

/** The snapshot, reduced to at most `maxBytes` of JSON where time steps and heatmaps allow; and its JSON. */
export function capSnapshot(snapshot: SnapshotFile, maxBytes = SNAPSHOT_MAX_BYTES): { snapshot: SnapshotFile; json: string } {
  let json = JSON.stringify(snapshot);
  if (json.length <= maxBytes) return { snapshot, json };
  const longest = Math.max(1, ...snapshot.dynamics.map((l) => l.hidden.length));
  let capped = snapshot;
  // Bytes scale with time steps: the first try jumps to the stride that should fit, later ones double it.
  const room = maxBytes - (json.length - JSON.stringify(snapshot.dynamics).length);
  const guess = room > 0 ? (json.length - maxBytes + room) / room : longest;
  let timeStride = 1;
  while (json.length > maxBytes && timeStride < longest) {
    timeStride = Math.max(timeStride * 2, 2 ** Math.ceil(Math.log2(guess)));
    capped = { ...snapshot, dynamics: snapshot.dynamics.map((l) => subsampleTime(l, timeStride)), reduced: { maxBytes, timeStride } };
    json = JSON.stringify(capped);
  }
  let parameters = capped.parameters;
  let heatmapMax = Math.max(1, ...parameters.map((p) => Math.max(p.heatmap.rows, p.heatmap.cols)));
  while (json.length > maxBytes && heatmapMax > 1) {
    heatmapMax = Math.ceil(heatmapMax / 2);
    parameters = parameters.map((p) => halveHeatmap(p, heatmapMax));
    capped = { ...capped, parameters, reduced: { maxBytes, timeStride, heatmapMax } };
    json = JSON.stringify(capped);
  }
  return { snapshot: capped, json };
}

/** Every `stride`-th time step (t = 0, stride, 2·stride, …) of states and gates; the gradient norms (one number
 *  per step) stay whole. */
function subsampleTime(layer: LayerDynamics, stride: number): LayerDynamics {
  const keep = <T>(rows: T[]) => rows.filter((_, t) => t % stride === 0);
  return {
    ...layer,
    hidden: keep(layer.hidden),
    ...(layer.cell ? { cell: keep(layer.cell) } : {}),
    ...(layer.gates ? { gates: { names: layer.gates.names, values: keep(layer.gates.values) } } : {}),
    timeStride: stride,
    timeSteps: layer.hidden.length,
  };
}

/** The heatmap averaged in 2×2 blocks (pairs of rows and of columns) until neither side exceeds `max`. */
function halveHeatmap(p: ParameterSnapshot, max: number): ParameterSnapshot {
  let m: Heatmap = p.heatmap;
  while (m.rows > max || m.cols > max) {
    const rows = m.rows > max ? Math.ceil(m.rows / 2) : m.rows;
    const cols = m.cols > max ? Math.ceil(m.cols / 2) : m.cols;
    const sums = new Array<number>(rows * cols).fill(0);
    const counts = new Array<number>(rows * cols).fill(0);
    for (let r = 0; r < m.rows; r++) {
      for (let c = 0; c < m.cols; c++) {
        const i = Math.floor((r * rows) / m.rows) * cols + Math.floor((c * cols) / m.cols);
        sums[i] += m.values[r * m.cols + c];
        counts[i]++;
      }
    }
    m = { rows, cols, values: sums.map((s, i) => Number((s / counts[i]).toPrecision(4))), downsampledFrom: m.downsampledFrom ?? [...p.shape] };
  }
  return { ...p, heatmap: m };
}
