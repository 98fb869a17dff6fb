// The heatmaps' grids: matrices and gates as row-major grids, downsampled to the canvas, and the gate bands along a
// parameter's rows.
import type { ParameterSnapshot } from "../src/common/protocol";

/** A row-major matrix. */
export interface Grid {
  rows: number;
  cols: number;
  values: ArrayLike<number>;
}

/** [row][col] → Grid; `transpose` puts the first index along the columns (time along x in the Dynamics tab). */
export function gridFrom(matrix: readonly (readonly number[])[], transpose = false): Grid {
  const a = matrix.length;
  const b = a ? matrix[0].length : 0;
  const values = new Float32Array(a * b);
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) values[transpose ? j * a + i : i * b + j] = matrix[i][j] ?? NaN;
  }
  return transpose ? { rows: b, cols: a, values } : { rows: a, cols: b, values };
}

/** Gate `g` of [time][gate][unit] as a units × time grid. */
export function gateGrid(values: readonly (readonly (readonly number[])[])[], g: number): Grid {
  return gridFrom(
    values.map((step) => step[g] ?? []),
    true,
  );
}

/**
 * Averages blocks so that the grid is at most maxRows × maxCols (one value per canvas pixel is enough;
 * drawing more only costs). Non-finite values are left out of their block's average.
 */
export function downsampleGrid(grid: Grid, maxRows: number, maxCols: number): Grid {
  const rows = Math.max(1, Math.min(grid.rows, Math.floor(maxRows)));
  const cols = Math.max(1, Math.min(grid.cols, Math.floor(maxCols)));
  if (rows === grid.rows && cols === grid.cols) return grid;
  const sums = new Float64Array(rows * cols);
  const counts = new Uint32Array(rows * cols);
  for (let r = 0; r < grid.rows; r++) {
    const br = Math.floor((r * rows) / grid.rows);
    for (let c = 0; c < grid.cols; c++) {
      const v = grid.values[r * grid.cols + c];
      if (!Number.isFinite(v)) continue;
      const k = br * cols + Math.floor((c * cols) / grid.cols);
      sums[k] += v;
      counts[k]++;
    }
  }
  const values = new Float32Array(rows * cols);
  for (let k = 0; k < values.length; k++) values[k] = counts[k] ? sums[k] / counts[k] : NaN;
  return { rows, cols, values };
}

/** The grid a parameter's heatmap shows: a bias (1-D) stands as one column, so its gate blocks run down it like a matrix's rows. */
export function parameterGrid(p: ParameterSnapshot): Grid {
  const { rows, cols, values } = p.heatmap;
  return p.shape.length <= 1 ? { rows: rows * cols, cols: 1, values } : { rows, cols, values };
}

/** A labelled band of rows, in (possibly fractional) grid rows: [start, end). */
export interface RowBlock {
  label: string;
  start: number;
  end: number;
}

/**
 * The gate blocks of a parameter along its heatmap's rows: PyTorch stacks the gates along the first
 * dimension (weight_ih_l0 of an LSTM is [4·hidden, input], gates i f g o), so each gate is an equal band,
 * even when the heatmap was downsampled.
 */
export function gateBlocks(p: ParameterSnapshot): RowBlock[] {
  const gates = p.gates ?? [];
  if (gates.length < 2) return [];
  const rows = parameterGrid(p).rows;
  return gates.map((label, i) => ({ label, start: (i * rows) / gates.length, end: ((i + 1) * rows) / gates.length }));
}
