// The Runs table's pure logic: runs as rows and columns (hyperparameters, final and best metrics), sorting,
// filtering, columns that are the same in every row, the best value of each metric, CSV, the rows a scrolled
// window shows, and the scatter of one column against another. No DOM: unit-tested under Node
// (test/unit/table-logic.test.ts).
import { setOwn, type TableRun } from "../src/common/protocol";
import { csvField } from "../src/common/run-csv";
import { experimentOf, experimentTitle, groupRuns, type GroupLevel, type RunGroup } from "../src/common/run-identity";
import { editDistance } from "../src/common/edit-distance";

export type Cell = number | string | boolean | undefined;

export interface Column {
  /** What a filter names it by, and the CSV header: "name", "lr", "final.loss", "best.accuracy". */
  key: string;
  group: "run" | "hparam" | "final" | "best";
  /** For metrics: which way is better ("min" for a loss); none for text and for hyperparameters. */
  goal?: "min" | "max";
}

export interface Row {
  dir: string;
  cells: Record<string, Cell>;
  /** The experiment the run belongs to (its model file) and the group's title. */
  experiment: string;
  experimentTitle: string;
}

/** The header of a column: the hyperparameter or metric's own name (its group is a header above it). */
export const columnLabel = (c: Column) => (c.group === "final" || c.group === "best" ? c.key.slice(c.key.indexOf(".") + 1) : c.key);

/** Rows and columns of runs: name, status, file, start; every hyperparameter any run records, in first-seen order;
 *  the final loss and metrics; the best of each metric (goals from run.json's `best`). */
export function tableOf(runs: readonly TableRun[]): { columns: Column[]; rows: Row[] } {
  const columns = new Map<string, Column>();
  const add = (key: string, group: Column["group"], goal?: "min" | "max") => {
    const old = columns.get(key);
    if (!old) columns.set(key, { key, group, ...(goal ? { goal } : {}) });
    else if (goal && !old.goal) old.goal = goal;
  };
  for (const key of ["label", "name", "status", "file", "started"]) add(key, "run");
  const goals = new Map<string, "min" | "max">([["loss", "min"]]);
  for (const r of runs) for (const [k, b] of Object.entries(r.info.best ?? {})) goals.set(k, b.goal);
  const rows = runs.map((r): Row => {
    const info = r.info;
    const cells: Record<string, Cell> = {
      label: r.label ?? info.id,
      name: info.name,
      status: info.status,
      file: info.file.split(/[\\/]/).pop() ?? info.file,
      started: info.startedAt,
    };
    if (r.meta?.tags?.length) cells.tags = r.meta.tags.join(", ");
    for (const [k, v] of Object.entries(info.hparams ?? {})) {
      if (columns.get(k)?.group === "run") continue; // a hyperparameter cannot hide the run's own columns
      add(k, "hparam");
      setOwn(cells, k, v); // a hyperparameter named `__proto__` too
    }
    if (info.finalLoss !== undefined) {
      add("final.loss", "final", "min");
      cells["final.loss"] = info.finalLoss;
    }
    for (const [k, v] of Object.entries(info.finalMetrics ?? {})) {
      add(`final.${k}`, "final", typeof v === "number" ? goals.get(k) : undefined);
      cells[`final.${k}`] = v;
    }
    for (const [k, b] of Object.entries(info.best ?? {})) {
      add(`best.${k}`, "best", b.goal);
      cells[`best.${k}`] = b.value;
    }
    return { dir: r.dir, cells, experiment: experimentOf(r), experimentTitle: "" };
  });
  // Each experiment's title from all of its runs (their one name, else the file's name alone).
  const names = new Map<string, Set<string>>();
  runs.forEach((r) => names.set(experimentOf(r), (names.get(experimentOf(r)) ?? new Set()).add(r.info.name)));
  rows.forEach((row, i) => (row.experimentTitle = experimentTitle(runs[i].info.file, names.get(row.experiment)!)));
  if (rows.some((r) => r.cells.tags !== undefined)) add("tags", "run");
  const order: Column["group"][] = ["run", "hparam", "final", "best"];
  return { columns: [...columns.values()].sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group)), rows };
}

/** The levels the table groups rows by: the experiment (a sweep inside it can be another level). */
export const ROW_LEVELS: GroupLevel<Row>[] = [{ keyOf: (r) => r.experiment, titleOf: (rows) => rows[0]?.experimentTitle ?? "" }];

/** One line of the table: a group's title (foldable) or a run's row. */
export type TableItem = { kind: "group"; group: RunGroup<Row>; depth: number; count: number; collapsed: boolean } | { kind: "row"; row: Row; depth: number };

/** The table's lines: each group's title, then (unless folded, by key in `collapsed`) its rows and sub-groups.
 *  Rows keep their order inside a group; groups come in the order of their first row. */
export function tableItems(rows: readonly Row[], collapsed: ReadonlySet<string>, levels: readonly GroupLevel<Row>[] = ROW_LEVELS): TableItem[] {
  const items: TableItem[] = [];
  const walk = (groups: RunGroup<Row>[], depth: number, prefix: string) => {
    for (const group of groups) {
      const path = prefix + group.key;
      const folded = collapsed.has(path);
      items.push({ kind: "group", group, depth, count: countRows(group), collapsed: folded });
      if (folded) continue;
      items.push(...group.runs.map((row): TableItem => ({ kind: "row", row, depth: depth + 1 })));
      walk(group.groups, depth + 1, `${path}\0`);
    }
  };
  walk(groupRuns(rows, levels), 0, "");
  return items;
}

const countRows = (g: RunGroup<Row>): number => g.runs.length + g.groups.reduce((n, c) => n + countRows(c), 0);

/** The experiments among the rows, in order, with their rows: what a scatter and its statistics may span. */
export const experimentsOf = (rows: readonly Row[]): RunGroup<Row>[] => groupRuns(rows, ROW_LEVELS);

const rank = (v: Cell) => (v === undefined ? 3 : typeof v === "number" ? (Number.isNaN(v) ? 2 : 0) : 1);

/** Compares two cells: numbers by value, then text and booleans as text; missing values and NaN last either way. */
export function compareCells(a: Cell, b: Cell, descending = false): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || ra >= 2) return ra - rb;
  const order = ra === 0 ? (a as number) - (b as number) : String(a).localeCompare(String(b), undefined, { numeric: true });
  return descending ? -order : order;
}

/** The rows sorted by one column (a stable sort: ties keep their order). */
export function sortRows(rows: readonly Row[], key: string, descending = false): Row[] {
  return [...rows].sort((a, b) => compareCells(a.cells[key], b.cells[key], descending));
}

type Op = "<=" | ">=" | "!=" | "=" | "<" | ">";

interface Condition {
  key?: string;
  op?: Op;
  value: string;
}

/** A filter's words: `lr<0.05`, `optimizer=Adam`, `status!=failed`, or plain text found in any cell. */
export function parseFilter(query: string): Condition[] {
  return query
    .split(/\s+/)
    .filter(Boolean)
    .map((word): Condition => {
      const match = /^([^<>=!]+)(<=|>=|!=|=|<|>)(.*)$/.exec(word);
      return match ? { key: match[1].toLowerCase(), op: match[2] as Op, value: match[3] } : { value: word.toLowerCase() };
    });
}

function holds(cell: Cell, op: Op, text: string): boolean {
  const number = Number(text);
  if (typeof cell === "number" && text.trim() !== "" && Number.isFinite(number)) {
    return { "<=": cell <= number, ">=": cell >= number, "!=": cell !== number, "=": cell === number, "<": cell < number, ">": cell > number }[op];
  }
  const a = cell === undefined ? "" : String(cell).toLowerCase();
  const b = text.toLowerCase();
  if (op === "=") return a === b;
  if (op === "!=") return a !== b;
  return false; // an order between texts is no filter anyone means
}

/** The rows every condition holds for (a condition on a column no run has matches nothing). */
export function filterRows(rows: readonly Row[], columns: readonly Column[], query: string): Row[] {
  const conditions = parseFilter(query);
  if (!conditions.length) return [...rows];
  const keys = new Map(columns.map((c) => [c.key.toLowerCase(), c.key]));
  return rows.filter((row) =>
    conditions.every((c) => {
      if (c.key === undefined) return Object.values(row.cells).some((v) => v !== undefined && String(v).toLowerCase().includes(c.value));
      const key = keys.get(c.key);
      return key !== undefined && holds(row.cells[key], c.op!, c.value);
    }),
  );
}

const same = (a: Cell, b: Cell) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Keys of a filter that name no column, each with the columns it may mean: `loss` → `final.loss`, `best.loss`
 *  (the columns named that after their group), else the closest keys by spelling. */
export function unknownFilterKeys(query: string, columns: readonly Column[]): { key: string; suggestions: string[] }[] {
  const keys = new Set(columns.map((c) => c.key.toLowerCase()));
  const out: { key: string; suggestions: string[] }[] = [];
  for (const { key } of parseFilter(query)) {
    if (key === undefined || keys.has(key) || out.some((o) => o.key === key)) continue;
    const named = columns.filter((col) => columnLabel(col).toLowerCase() === key || col.key.toLowerCase().endsWith(`.${key}`)).map((col) => col.key);
    const near = columns
      .map((col) => ({ key: col.key, d: nearness(key, col.key.toLowerCase()) }))
      .filter(({ d }) => d <= Math.max(1, Math.floor(key.length / 3)))
      .sort((a, b) => a.d - b.d)
      .map((n) => n.key);
    out.push({ key, suggestions: [...new Set([...named, ...near])].slice(0, 3) });
  }
  return out;
}

/** The edit distance of a filter word and a column key; Infinity for long or far-apart lengths, which a few edits
 *  cannot bridge (the filter's text is the user's: no quadratic work on a pasted page). */
const nearness = (a: string, b: string): number => (Math.abs(a.length - b.length) > 8 || a.length > 64 || b.length > 64 ? Infinity : editDistance(a, b));

/** Completions of the filter's last word: the words before it, then a column key it starts (`fin` →
 *  `final.loss`), at most `max`; none once the last word names a column and an operator. */
export function filterCompletions(query: string, columns: readonly Column[], max = 50): string[] {
  const at = query.search(/\S*$/);
  const before = query.slice(0, at);
  const word = query.slice(at).toLowerCase();
  if (/[<>=!]/.test(word)) return [];
  return columns
    .filter((c) => c.key.toLowerCase().startsWith(word) || (word.length > 0 && c.key.toLowerCase().includes(`.${word}`)))
    .slice(0, max)
    .map((c) => before + c.key);
}

/** Splits the columns into those that vary between the rows and those with one value in every row (two rows or more;
 *  a column no row has a value in is left out). `keep` stay shown whatever they hold. */
export function collapseColumns(
  columns: readonly Column[],
  rows: readonly Row[],
  keep: readonly string[] = ["name"],
): { varying: Column[]; same: { column: Column; value: Cell }[] } {
  const varying: Column[] = [];
  const constant: { column: Column; value: Cell }[] = [];
  for (const column of columns) {
    const values = rows.map((r) => r.cells[column.key]);
    if (values.every((v) => v === undefined)) continue;
    if (rows.length >= 2 && !keep.includes(column.key) && values.every((v) => same(v, values[0]))) constant.push({ column, value: values[0] });
    else varying.push(column);
  }
  return { varying, same: constant };
}

/** The best value of each metric column among the rows (lowest for "min", highest for "max"; NaN never). */
export function bestValues(columns: readonly Column[], rows: readonly Row[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const c of columns) {
    if (!c.goal) continue;
    for (const r of rows) {
      const v = r.cells[c.key];
      if (typeof v !== "number" || Number.isNaN(v)) continue;
      const old = best.get(c.key);
      if (old === undefined || (c.goal === "min" ? v < old : v > old)) best.set(c.key, v);
    }
  }
  return best;
}

/** The rows as CSV (RFC 4180, spreadsheet formulas neutralised), one column per key, plus each run's folder. */
export function tableCsv(columns: readonly Column[], rows: readonly Row[]): string {
  const header = [...columns.map((c) => c.key), "dir"];
  const lines = rows.map((r) => [...columns.map((c) => r.cells[c.key]), r.dir]);
  return [header, ...lines].map((l) => l.map(csvField).join(",")).join("\n") + "\n";
}

/** The rows a scrolled window shows, with `overscan` more on each side: [start, end). */
export function visibleRange(scrollTop: number, viewHeight: number, rowHeight: number, count: number, overscan = 8): [number, number] {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const start = Math.min(count, Math.max(0, first - overscan));
  const end = Math.min(count, first + Math.ceil(Math.max(0, viewHeight) / rowHeight) + overscan);
  return [start, Math.max(start, end)];
}

export interface ScatterPoint {
  dir: string;
  x: number;
  y: number;
}

/**
 * The rows' points of column `x` against column `y`: numbers as they are; text and booleans as categories (their
 * positions 0, 1, … in sorted order, named in `categories`). Rows lacking either value are counted in `missing`.
 */
export function scatterPoints(rows: readonly Row[], x: string, y: string): { points: ScatterPoint[]; categories?: string[]; missing: number } {
  const has = (v: Cell) => v !== undefined && !(typeof v === "number" && !Number.isFinite(v));
  const usable = rows.filter((r) => has(r.cells[x]) && typeof r.cells[y] === "number" && Number.isFinite(r.cells[y]));
  const numeric = usable.every((r) => typeof r.cells[x] === "number");
  const categories = numeric ? undefined : [...new Set(usable.map((r) => String(r.cells[x])))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const points = usable.map((r) => ({ dir: r.dir, x: categories ? categories.indexOf(String(r.cells[x])) : (r.cells[x] as number), y: r.cells[y] as number }));
  return { points, ...(categories ? { categories } : {}), missing: rows.length - usable.length };
}

/** Spearman's rank correlation of the points (ties share their mean rank): +1 when y always grows with x, −1 when it
 *  always shrinks; null under three points or when either side is constant. */
export function rankCorrelation(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 3) return null;
  const ranks = (values: number[]) => {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    const out = new Array<number>(values.length);
    for (let i = 0; i < order.length;) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return out;
  };
  const rx = ranks(points.map((p) => p.x));
  const ry = ranks(points.map((p) => p.y));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Which way y goes as x rises, said only where the relation is monotonic: the mean y of each distinct x, in order of
 *  x, never turns back ("rises" or "falls"); "mixed" when it does (a U shape: lowest inside the range, at `turn`);
 *  "flat" when y does not change; null under three distinct x values. */
export function trendOf(points: readonly { x: number; y: number }[]): { trend: "rises" | "falls" | "mixed" | "flat"; turn?: number } | null {
  const byX = new Map<number, { sum: number; n: number }>();
  for (const p of points) {
    const m = byX.get(p.x) ?? { sum: 0, n: 0 };
    m.sum += p.y;
    m.n++;
    byX.set(p.x, m);
  }
  if (byX.size < 3) return null;
  const means = [...byX].sort((a, b) => a[0] - b[0]).map(([x, m]) => ({ x, y: m.sum / m.n }));
  let up = false;
  let down = false;
  for (let i = 1; i < means.length; i++) {
    if (means[i].y > means[i - 1].y) up = true;
    if (means[i].y < means[i - 1].y) down = true;
  }
  if (up && down) {
    // Where the curve turns: its extreme point inside the range (the lowest of a U, the highest of an arch).
    const inner = means.slice(1, -1);
    const lowest = inner.reduce((a, b) => (b.y < a.y ? b : a));
    const highest = inner.reduce((a, b) => (b.y > a.y ? b : a));
    const ends = Math.min(means[0].y, means[means.length - 1].y);
    return { trend: "mixed", turn: lowest.y < ends ? lowest.x : highest.x };
  }
  return { trend: up ? "rises" : down ? "falls" : "flat" };
}

/** Whether a column holds a rate, best read on a logarithmic axis: lr, learning_rate, weight decay, dropout rate… */
export const isRateKey = (key: string): boolean => /(^|[._\s-])(lr|learning_?rate|learningRate|weight_?decay|weightDecay)$|rate$/i.test(key);
