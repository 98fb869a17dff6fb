// The Runs table's sweep groups, as pure logic: the runs of one sweep (run.json's `sweep` id) follow a sweep row,
// together, where the first of them falls in the table's order (its sort and filter, any grouping it has), in
// point order; other runs stay where they are. No DOM: unit-tested under Node.
import type { SweepMark } from "../src/common/protocol";

export type TableItem<R> = { kind: "sweep"; id: string; names: string[]; size: number; rows: R[] } | { kind: "run"; row: R; sweep?: string };

/** `rows` with each sweep's rows gathered after its sweep row (at its first row's place), in point order. */
export function groupBySweep<R>(rows: readonly R[], sweepOf: (row: R) => SweepMark | undefined): TableItem<R>[] {
  const groups = new Map<string, { mark: SweepMark; rows: R[] }>();
  for (const row of rows) {
    const mark = sweepOf(row);
    if (!mark) continue;
    const group = groups.get(mark.id);
    if (group) group.rows.push(row);
    else groups.set(mark.id, { mark, rows: [row] });
  }
  const items: TableItem<R>[] = [];
  const placed = new Set<string>();
  for (const row of rows) {
    const mark = sweepOf(row);
    if (!mark) {
      items.push({ kind: "run", row });
      continue;
    }
    if (placed.has(mark.id)) continue;
    placed.add(mark.id);
    const group = groups.get(mark.id)!;
    const members = [...group.rows].sort((a, b) => sweepOf(a)!.index - sweepOf(b)!.index);
    items.push({ kind: "sweep", id: mark.id, names: group.mark.names, size: group.mark.size, rows: members });
    for (const member of members) items.push({ kind: "run", row: member, sweep: mark.id });
  }
  return items;
}
