// A run as CSV, the same table whether the explorer builds it from what it shows (a live run) or the host builds
// it from the run's folder (every step on disk, not the explorer's thinned curve). Plain code: webview and host.
import { ownValue, type RunDetail } from "./protocol";

/** The names of the metrics a run reports, in first-seen order, split into numeric (plottable) and others. */
export function metricNames(epochs: RunDetail["epochs"]): { numeric: string[]; other: string[] } {
  const kinds = new Map<string, boolean>();
  for (const e of epochs) {
    for (const [k, v] of Object.entries(e.metrics)) kinds.set(k, (kinds.get(k) ?? true) && typeof v === "number");
  }
  const numeric: string[] = [];
  const other: string[] = [];
  for (const [k, isNumeric] of kinds) (isNumeric ? numeric : other).push(k);
  return { numeric, other };
}

/** One CSV field (RFC 4180). Strings that a spreadsheet would run as a formula get a leading quote. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A run as one CSV table: a row per training step (epoch, step, loss, lr, seconds since the start), and on the last step of each
 * epoch that epoch's loss and metrics (an epoch without steps gets a row of its own).
 */
export function runCsv(detail: Pick<RunDetail, "steps" | "epochs">): string {
  const { numeric, other } = metricNames(detail.epochs);
  const metrics = [...numeric, ...other];
  const header = ["epoch", "step", "loss", "lr", "time", "epoch_loss", ...metrics];
  const lastStepOf = new Map<number, number>();
  detail.steps.forEach((s, i) => lastStepOf.set(s.epoch, i));
  // Every row as wide as the header (RFC 4180): a step that ends no epoch has empty epoch cells.
  const epochCells = (e: RunDetail["epochs"][number] | undefined) =>
    e ? [e.loss, ...metrics.map((m) => ownValue(e.metrics, m))] : new Array(1 + metrics.length).fill(null);
  const byEpoch = new Map(detail.epochs.map((e) => [e.epoch, e]));
  const rows: unknown[][] = [];
  const written = new Set<number>();
  detail.steps.forEach((s, i) => {
    const isLast = lastStepOf.get(s.epoch) === i;
    const e = isLast ? byEpoch.get(s.epoch) : undefined;
    if (e) written.add(e.epoch);
    rows.push([s.epoch, s.step, s.loss, s.lr, s.time, ...epochCells(e)]);
  });
  for (const e of detail.epochs) if (!written.has(e.epoch)) rows.push([e.epoch, null, null, null, null, ...epochCells(e)]);
  rows.sort((a, b) => (a[0] as number) - (b[0] as number) || ((a[1] as number) ?? Infinity) - ((b[1] as number) ?? Infinity));
  return [header, ...rows].map((r) => r.map(csvField).join(",")).join("\n") + "\n";
}
