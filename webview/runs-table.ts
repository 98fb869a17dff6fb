// The Runs table (an editor tab): one row per run, grouped by experiment (each group foldable), one column per
// hyperparameter and metric. Click a header to sort, type in the filter (`lr<0.05 optimizer=Adam`, or any text;
// keys are completed, and a key no column has is answered with the ones it may mean); columns with one value in
// every row shown are folded into a "same in all" note; the best value of each metric is marked. Arrow keys move
// between rows, Enter opens one, Space ticks it. Tick rows to overlay their curves in the explorer (the same ticks
// as the Runs view); Export CSV saves what is shown. Rows are drawn only where the table is scrolled to, so that
// 1,000 runs scroll smoothly. Below: one column against another within one experiment (statistics never mix
// experiments), points with tooltips that open their run.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import { MAX_COMPARED, type runsTableChannel, type TableRun, type ToRunsTable } from "../src/common/protocol";
import { bdi, connect, drawOn, fill, h, icon, isolated, statusIcon, type Theme } from "./common";
import { t } from "./l10n";
import { formatNumber } from "./numbers";
import { editButtons } from "./run-edit";
import { perFrame } from "./frame";
import { groupBySweep } from "./sweep-groups";
import { renderSweepChart, sweepRow } from "./runs-table-sweeps";
import {
  bestValues,
  collapseColumns,
  columnLabel,
  experimentsOf,
  filterCompletions,
  filterRows,
  isRateKey,
  rankCorrelation,
  scatterPoints,
  sortRows,
  tableCsv,
  tableItems,
  tableOf,
  trendOf,
  unknownFilterKeys,
  visibleRange,
  type Cell,
  type Column,
  type Row,
  type TableItem,
} from "./table-logic";

interface State {
  sortKey: string;
  descending: boolean;
  filter: string;
  x: string;
  y: string;
  /** Log x per column, as the user set it (a rate's column is logarithmic until then). */
  logX: Record<string, boolean>;
  /** Groups folded (their keys) and the experiment the scatter shows. */
  collapsed: string[];
  experiment: string;
}

const GROUP_TITLES: Record<Column["group"], () => string> = {
  run: () => t("Run"),
  hparam: () => t("Hyperparameters"),
  final: () => t("Final"),
  best: () => t("Best"),
};

/** The run's own columns, named in the user's language (hyperparameters and metrics keep their names). */
const RUN_COLUMNS: Record<string, () => string> = {
  label: () => t("run"),
  name: () => t("name"),
  status: () => t("status"),
  file: () => t("file"),
  started: () => t("started"),
  tags: () => t("tags"),
};
const headerOf = (c: Column) => (c.group === "run" && Object.hasOwn(RUN_COLUMNS, c.key) ? RUN_COLUMNS[c.key]() : columnLabel(c));

const vscode = connect<typeof runsTableChannel, State>(
  { sortKey: "started", descending: true, filter: "", x: "", y: "", logX: {}, collapsed: [], experiment: "" },
  onRuns,
);
// A state saved before log x was per column held one flag.
if (typeof vscode.state.logX !== "object" || vscode.state.logX === null) vscode.save({ logX: {} });
let runs: TableRun[] = [];
let runByDir = new Map<string, TableRun>();
/** The sweeps among the rows shown, by id. */
let sweeps = new Map<string, SweepShown>();
let selected = new Set<string>();
let table: { columns: Column[]; rows: Row[] } = { columns: [], rows: [] };
/** The rows shown (filtered, sorted), the columns that vary among them, and what they all share. */
let shown: Row[] = [];
/** The lines drawn: group titles, sweep rows and the rows of groups not folded. */
let items: Line[] = [];
/** The row that has the keyboard focus (by folder), kept across redraws. */
let focused: string | undefined;
let varying: Column[] = [];
let best = new Map<string, number>();
let rowHeight = 0;

const completions = h("datalist", { id: "filter-keys" });
const filter = h("input", {
  type: "search",
  class: "filter",
  placeholder: t("Filter: lr<0.05 optimizer=Adam completed"),
  "aria-label": t("Filter runs"),
  list: "filter-keys",
  autocomplete: "off",
  value: vscode.state.filter,
});
const filterNote = h("p", { class: "hint filter-note", role: "status" });
const count = h("span", { class: "muted" });
const exportButton = h("vscode-button", { icon: "export", secondary: true, title: t("Save the rows shown as CSV") }, t("Export CSV"));
const sameNote = h("p", { class: "same hint" });
const head = h("thead");
const body = h("tbody");
const scroller = h("div", { class: "table-scroll" }, h("table", { class: "grid compact runs-table", "aria-label": t("Runs table") }, head, body));
const scatterBox = h("section", { class: "scatter" });
const sweepBox = h("section", { class: "parallel" });
document.body.append(h("div", { class: "toolbar" }, filter, completions, count, exportButton), filterNote, sameNote, scroller, sweepBox, scatterBox);
body.addEventListener("keydown", onRowKey);

filter.addEventListener("input", () => {
  vscode.save({ filter: filter.value });
  update();
});
exportButton.addEventListener("click", () => vscode.post({ type: "exportTable", csv: tableCsv(varyingOrAll(), shown) }));
scroller.addEventListener("scroll", perFrame(renderBody));
vscode.ready();

function onRuns(m: ToRunsTable): void {
  runs = m.runs;
  runByDir = new Map(runs.map((r) => [r.dir, r]));
  selected = new Set(m.selected);
  table = tableOf(runs);
  update();
}

/** The CSV has every column of the rows shown, the shared ones too (a file read later has no "same in all" note). */
const varyingOrAll = () => table.columns.filter((c) => shown.some((r) => r.cells[c.key] !== undefined));

function update(): void {
  const { sortKey, descending } = vscode.state;
  shown = sortRows(filterRows(table.rows, table.columns, filter.value), sortKey, descending);
  sweeps = sweepsOf(shown);
  items = linesOf(shown);
  const collapsed = collapseColumns(table.columns, shown, ["label"]);
  varying = collapsed.varying;
  best = bestValues(varying, shown);
  count.textContent = selected.size
    ? t("{0} of {1} runs · {2} ticked", shown.length, runs.length, selected.size)
    : t("{0} of {1} runs", shown.length, runs.length);
  renderFilterHelp();
  fill(
    sameNote,
    ...(collapsed.same.length
      ? [
          t("Same in all: "),
          ...collapsed.same.map(({ column, value }, i) =>
            h(
              "span",
              { class: "same-item" },
              bdi(column.group === "final" || column.group === "best" ? column.key : headerOf(column)),
              " ",
              bdi(format(value)),
              i < collapsed.same.length - 1 ? ", " : "",
            ),
          ),
        ]
      : []),
  );
  renderHead();
  renderBody();
  renderSweeps();
  renderScatter();
}

type SweepShown = { id: string; names: string[]; size: number; runs: TableRun[] };
/** A line of the table: an experiment's title, a row, or a sweep's row above its runs. */
type Line = TableItem | { kind: "sweep"; id: string; depth: number };
const sweepOf = (row: Row) => runByDir.get(row.dir)?.info.sweep;

/** The sweeps among `rows`, each with its runs in point order (what the sweep rows and the chart show). */
function sweepsOf(rows: readonly Row[]): Map<string, SweepShown> {
  const found = groupBySweep(rows, sweepOf).flatMap((item) =>
    item.kind === "sweep" ? [{ id: item.id, names: item.names, size: item.size, runs: item.rows.map((r) => runByDir.get(r.dir)!) }] : [],
  );
  return new Map(found.map((s) => [s.id, s]));
}

/** The table's lines: `rows` grouped by experiment (folded groups show only their title), each sweep's runs together
 *  in point order below a sweep row. */
function linesOf(rows: readonly Row[]): Line[] {
  const ordered = groupBySweep(rows, sweepOf).flatMap((item) => (item.kind === "run" ? [item.row] : []));
  const lines: Line[] = [];
  let open: string | undefined;
  for (const item of tableItems(ordered, new Set(vscode.state.collapsed))) {
    const id = item.kind === "row" ? sweepOf(item.row)?.id : undefined;
    if (id !== undefined && id !== open) lines.push({ kind: "sweep", id, depth: item.depth });
    open = id;
    lines.push(item);
  }
  return lines;
}

const renderSweeps = () => renderSweepChart(sweepBox, [...sweeps.values()]);

/** A start time as a local date and minute: 2026-11-22 19:30. */
function when(v: Cell): string {
  const t = typeof v === "string" ? new Date(v) : null;
  if (!t || Number.isNaN(t.getTime())) return format(v);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}`;
}

function format(v: Cell): string {
  if (v === undefined) return "";
  if (typeof v === "number") return formatNumber(v);
  return String(v);
}

function renderHead(): void {
  const groups: HTMLTableCellElement[] = [h("th", { class: "check" })];
  for (const c of varying) {
    const last = groups[groups.length - 1];
    if (last.dataset.group === c.group) last.colSpan++;
    else groups.push(Object.assign(h("th", { class: `group group-${c.group}`, "data-group": c.group }, GROUP_TITLES[c.group]()), { colSpan: 1 }));
  }
  const { sortKey, descending } = vscode.state;
  const labels = varying.map((c) => {
    const arrow = c.key === sortKey ? (descending ? " ▼" : " ▲") : "";
    const button = h(
      "button",
      {
        class: "sort",
        title:
          c.goal === "min"
            ? t("Sort by {0} (lower is better)", isolated(c.key))
            : c.goal === "max"
              ? t("Sort by {0} (higher is better)", isolated(c.key))
              : t("Sort by {0}", isolated(c.key)),
      },
      bdi(headerOf(c)),
      arrow,
    );
    button.addEventListener("click", () => {
      vscode.save(c.key === sortKey ? { descending: !descending } : { sortKey: c.key, descending: c.goal === "max" });
      update();
    });
    return h("th", { class: isNumeric(c) ? "num" : "", "aria-sort": c.key === sortKey ? (descending ? "descending" : "ascending") : undefined }, button);
  });
  fill(head, h("tr", { class: "groups" }, ...groups), h("tr", {}, h("th", { class: "check" }), ...labels));
}

const isNumeric = (c: Column) => table.rows.some((r) => typeof r.cells[c.key] === "number");

/** The filter's completions, and what a key no column has may have meant: `loss` is `final.loss`. */
function renderFilterHelp(): void {
  fill(completions, ...filterCompletions(filter.value, table.columns).map((value) => h("option", { value })));
  const unknown = unknownFilterKeys(filter.value, table.columns);
  fill(
    filterNote,
    ...unknown.map(({ key, suggestions }) =>
      h(
        "span",
        {},
        suggestions.length
          ? t("No column is named {0}: did you mean {1}?", isolated(key), suggestions.map(isolated).join(t(" or ")))
          : t("No column is named {0}.", isolated(key)),
        " ",
      ),
    ),
  );
}

function renderBody(): void {
  if (!shown.length) {
    fill(
      body,
      h(
        "tr",
        {},
        h(
          "td",
          { colspan: varying.length + 1, class: "empty" },
          runs.length ? t("No run matches the filter.") : t("No runs yet. Train a model first (Unroll: Train Model)."),
        ),
      ),
    );
    return;
  }
  if (!rowHeight) {
    // One row, measured once: every row has that height (cells do not wrap).
    fill(body, rowOf(shown[0], 0)); // a sweep row is one line too
    rowHeight = (body.firstElementChild as HTMLElement).getBoundingClientRect().height || 24;
  }
  const headHeight = head.getBoundingClientRect().height;
  // The window's height, not the scroller's: the scroller grows with its rows up to its maximum height.
  const [start, end] = visibleRange(scroller.scrollTop - headHeight, Math.max(scroller.clientHeight, window.innerHeight), rowHeight, items.length);
  const spacer = (rows: number) => {
    if (rows <= 0) return null;
    const cell = h("td", { colspan: varying.length + 1 });
    cell.style.height = `${rows * rowHeight}px`; // a style property, not an attribute: the CSP allows no inline style
    return h("tr", { class: "spacer", "aria-hidden": "true" }, cell);
  };
  fill(body, spacer(start), ...items.slice(start, end).map((item, i) => lineOf(item, start + i)), spacer(items.length - end));
  const again = focused && body.querySelector<HTMLElement>(`tr[data-dir="${CSS.escape(focused)}"]`);
  if (again && body.contains(document.activeElement)) again.focus();
}

function lineOf(item: Line, index: number): HTMLElement {
  if (item.kind === "row") return rowOf(item.row, index, sweepOf(item.row) !== undefined);
  if (item.kind === "group") return groupLine(item, index);
  const line = sweepRow(sweeps.get(item.id)!, varying.length);
  line.dataset.index = String(index);
  return line;
}

/** A group's title row: click (or Enter) folds or unfolds it. */
function groupLine(item: Extract<TableItem, { kind: "group" }>, index: number): HTMLElement {
  const key = item.group.key;
  const toggle = () => {
    const others = vscode.state.collapsed.filter((k) => k !== key);
    vscode.save({ collapsed: item.collapsed ? others : [...others, key] });
    update();
  };
  const button = h(
    "button",
    { class: "group-toggle", "aria-expanded": String(!item.collapsed), title: isolated(key) },
    item.collapsed ? "▸ " : "▾ ",
    bdi(item.group.title),
    h("span", { class: "muted" }, ` · ${t("{0} runs", item.count)}`),
  );
  button.addEventListener("click", toggle);
  return h("tr", { class: "group-row experiment-row", "data-index": index }, h("td", { colspan: varying.length + 1 }, button));
}

function rowOf(row: Row, index: number, inSweep = false): HTMLElement {
  const run = runByDir.get(row.dir)!;
  const label = run.label ?? run.info.id;
  const check = h("input", {
    type: "checkbox",
    checked: selected.has(row.dir),
    "aria-label": t("Compare {0}", label),
    title: t("Overlay this run's curves in the explorer"),
  });
  check.addEventListener("click", (e) => e.stopPropagation());
  check.addEventListener("change", () => toggle(row.dir, check.checked));
  const cells = varying.map((c) => {
    const v = row.cells[c.key];
    const isBest = typeof v === "number" && best.get(c.key) === v;
    const text = c.key === "started" ? when(v) : format(v);
    if (c.key === "label")
      return h(
        "td",
        {
          class: "name",
          title: [run.meta?.note, run.info.name, run.info.file, run.dir, run.damaged && t("damaged: {0}", isolated(run.damaged))]
            .filter(Boolean)
            .map(isolated)
            .join("\n"),
        },
        statusIcon(run.info),
        " ",
        h("a", { href: "#", onclick: (e) => (e.preventDefault(), vscode.post({ type: "openRun", dir: row.dir })) }, bdi(text)),
        ...(run.meta?.note ? [" ", icon("note", "muted")] : []),
        h("span", { class: "row-edit" }, ...editButtons(row.dir, label, (m) => vscode.post(m))),
      );
    return h(
      "td",
      {
        class: `${typeof v === "number" ? "num" : ""}${isBest ? " best" : ""}`,
        title: isBest
          ? c.goal === "min"
            ? t("The best {0} of the runs shown (lowest)", isolated(c.key))
            : t("The best {0} of the runs shown (highest)", isolated(c.key))
          : typeof v === "number"
            ? String(v)
            : undefined,
      },
      isBest ? "★ " : "",
      bdi(text),
    );
  });
  const tr = h(
    "tr",
    {
      class: `run-row${selected.has(row.dir) ? " selected" : ""}${inSweep ? " in-sweep" : ""}`,
      tabindex: focused === row.dir || (!focused && index <= 1) ? 0 : -1,
      "data-dir": row.dir,
      "data-index": index,
      "aria-label": label,
    },
    h("td", { class: "check" }, check),
    ...cells,
  );
  tr.addEventListener("focus", () => (focused = row.dir));
  return tr;
}

/** Arrow keys move between rows (and group titles), Home and End to the first and last, Enter opens the run, Space
 *  ticks it, F2 renames it (as in VS Code's lists). The row moved to is scrolled into view first: rows outside the view are not drawn. */
function onRowKey(e: KeyboardEvent): void {
  const line = (e.target as HTMLElement).closest<HTMLElement>("tr[data-index]");
  if (!line) return;
  const index = Number(line.dataset.index);
  const moves: Record<string, number> = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1, PageDown: index + 10, PageUp: index - 10 };
  const dir = line.dataset.dir;
  if (e.target !== line && e.key !== "ArrowDown" && e.key !== "ArrowUp") return; // the checkbox and links keep their keys
  if (e.key in moves) {
    e.preventDefault();
    focusLine(Math.max(0, Math.min(items.length - 1, moves[e.key])));
  } else if (dir && e.key === "Enter") {
    e.preventDefault();
    vscode.post({ type: "openRun", dir });
  } else if (dir && e.key === " ") {
    e.preventDefault();
    toggle(dir, !selected.has(dir));
  } else if (dir && e.key === "F2") {
    e.preventDefault();
    vscode.post({ type: "editRun", dir, field: "label" });
  }
}

function focusLine(index: number): void {
  const item = items[index];
  if (!item) return;
  const top = index * rowHeight;
  const headHeight = head.getBoundingClientRect().height;
  if (top < scroller.scrollTop) scroller.scrollTop = top;
  else if (top + rowHeight + headHeight > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = top + rowHeight + headHeight - scroller.clientHeight;
  if (item.kind === "row") focused = item.row.dir;
  renderBody();
  const target = body.querySelector<HTMLElement>(`tr[data-index="${index}"]`);
  const focusable = item.kind === "group" ? target?.querySelector<HTMLElement>("button") : target;
  focusable?.focus();
}

function toggle(dir: string, on: boolean): void {
  if (on) selected.add(dir);
  else selected.delete(dir);
  if (selected.size > MAX_COMPARED) {
    selected.delete(dir);
    count.textContent = t("At most {0} runs can be overlaid at once.", MAX_COMPARED);
    renderBody();
    return;
  }
  // In table order: the explorer overlays them in this order.
  vscode.post({ type: "select", dirs: table.rows.map((r) => r.dir).filter((d) => selected.has(d)) });
}

// -------------------------------------------------------------------------------------------------
// Scatter: one column against another

/** Where the scatter's points were drawn (CSS pixels), for its tooltips and clicks. */
let drawnPoints: { x: number; y: number; dir: string; text: string }[] = [];

/** The scatter shows one experiment: the one chosen, else the first ticked run's, else the first row's. */
function scatterExperiment(groups: ReturnType<typeof experimentsOf>): ReturnType<typeof experimentsOf>[number] | undefined {
  const tickedIn = groups.find((g) => g.runs.some((r) => selected.has(r.dir)));
  return groups.find((g) => g.key === vscode.state.experiment) ?? tickedIn ?? groups[0];
}

function renderScatter(): void {
  const groups = experimentsOf(shown);
  const group = scatterExperiment(groups);
  const inGroup = group?.runs ?? [];
  const columns = collapseColumns(table.columns, inGroup, ["label"]).varying;
  const xs = columns.filter((c) => c.group === "hparam");
  const ys = columns.filter((c) => c.goal);
  const experimentSelect =
    groups.length > 1
      ? selectOf(
          groups.map((g) => ({ value: g.key, text: g.title })),
          group?.key ?? "",
          t("Experiment"),
          "experiment",
        )
      : null;
  if (!group || !xs.length || !ys.length) {
    fill(
      scatterBox,
      experimentSelect ? h("div", { class: "toolbar" }, h("label", {}, `${t("Experiment")} `, experimentSelect)) : null,
      inGroup.length > 1 ? h("p", { class: "hint" }, t("The scatter needs a hyperparameter that differs between the runs shown, and a metric.")) : null,
    );
    return;
  }
  const x = xs.find((c) => c.key === vscode.state.x) ?? xs[0];
  const y = ys.find((c) => c.key === vscode.state.y) ?? ys.find((c) => c.key === "final.loss") ?? ys[0];
  const ticked = inGroup.filter((r) => selected.has(r.dir));
  const rows = ticked.length >= 2 ? ticked : inGroup;
  const { points, categories, missing } = scatterPoints(rows, x.key, y.key);
  const wantLog = vscode.state.logX[x.key] ?? isRateKey(x.key);
  const canLog = !categories && points.every((p) => p.x > 0);
  const logX = wantLog && canLog;
  const log = h("input", { type: "checkbox", checked: logX, disabled: !canLog, "aria-label": t("Logarithmic x axis") });
  log.addEventListener("change", () => {
    vscode.save({ logX: { ...vscode.state.logX, [x.key]: log.checked } });
    renderScatter();
  });
  const labels = new Map(rows.map((r) => [r.dir, String(r.cells.label ?? r.dir)]));
  const canvas = drawOn(h("canvas", { class: "scatter-canvas", role: "img", "aria-label": t("{0} against {1}", y.key, x.key) }), (ctx, w, hgt, theme) => {
    drawnPoints = drawScatter(ctx, w, hgt, theme, points, categories, logX, x.key, y.key).map((p) => ({
      ...p,
      text: `${labels.get(p.dir) ?? p.dir}\n${x.key} ${categories ? categories[p.px] : formatNumber(p.px)} · ${y.key} ${formatNumber(p.py)}`,
    }));
  });
  const near = (e: MouseEvent) => {
    const box = canvas.getBoundingClientRect();
    const [mx, my] = [e.clientX - box.left, e.clientY - box.top];
    let best: (typeof drawnPoints)[number] | undefined;
    let bestD = 8 ** 2; // within 8 px
    for (const p of drawnPoints) {
      const d = (p.x - mx) ** 2 + (p.y - my) ** 2;
      if (d <= bestD) [best, bestD] = [p, d];
    }
    return best;
  };
  canvas.addEventListener("mousemove", (e) => {
    const p = near(e);
    canvas.title = p ? `${p.text}\n${t("Click to open this run")}` : "";
    canvas.classList.toggle("pointing", !!p);
  });
  canvas.addEventListener("click", (e) => {
    const p = near(e);
    if (p) vscode.post({ type: "openRun", dir: p.dir });
  });
  const summary = t("{0} runs of {1}", points.length, isolated(group.title)) + (missing ? t(" ({0} without both values left out)", missing) : "");
  fill(
    scatterBox,
    h("h3", {}, t("One hyperparameter against one metric")),
    h(
      "div",
      { class: "toolbar" },
      experimentSelect ? h("label", {}, `${t("Experiment")} `, experimentSelect) : null,
      h(
        "label",
        {},
        "x ",
        selectOf(
          xs.map((c) => ({ value: c.key, text: c.key })),
          x.key,
          t("x axis"),
          "x",
        ),
      ),
      h(
        "label",
        {},
        "y ",
        selectOf(
          ys.map((c) => ({ value: c.key, text: c.key })),
          y.key,
          t("y axis"),
          "y",
        ),
      ),
      h("label", {}, log, ` ${t("log x")}`),
    ),
    canvas,
    h("p", { class: "hint" }, summary, categories ? "" : trendText(points, x.key, y)),
  );
}

function selectOf(options: { value: string; text: string }[], value: string, label: string, key: "x" | "y" | "experiment"): HTMLSelectElement {
  const el = h("select", { "aria-label": label }, ...options.map((o) => h("option", { value: o.value, selected: o.value === value }, o.text)));
  el.addEventListener("change", () => {
    vscode.save({ [key]: el.value });
    renderScatter();
  });
  return el;
}

/** The relation in words, within one experiment: a direction only when it is monotonic, the rank correlation beside. */
function trendText(points: { x: number; y: number }[], x: string, y: Column): string {
  const rho = rankCorrelation(points);
  const trend = trendOf(points);
  if (rho === null || !trend) return "";
  const better = y.goal === "min" ? t(" (lower is better)") : y.goal === "max" ? t(" (higher is better)") : "";
  const [xi, yi] = [isolated(x), isolated(y.key)];
  const words =
    trend.trend === "rises"
      ? t("{0} rises as {1} rises", yi, xi)
      : trend.trend === "falls"
        ? t("{0} falls as {1} rises", yi, xi)
        : trend.trend === "flat"
          ? t("{0} does not change with {1}", yi, xi)
          : t("{0} does not move one way with {1}: it turns near {1} = {2}", yi, xi, formatNumber(trend.turn!));
  return ` · ${t("rank correlation {0}", rho.toFixed(2))}: ${words}${better}`;
}

/** Round ticks on a log axis spanning 10^lo…10^hi: 1, 3 × each power of ten (powers alone past six ticks). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: { v: number; power: boolean }[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++)
    for (const m of [1, 3]) if (k + Math.log10(m) >= lo && k + Math.log10(m) <= hi) ticks.push({ v: Number((m * 10 ** k).toPrecision(1)), power: m === 1 });
  return (ticks.length > 6 ? ticks.filter((t) => t.power) : ticks).map((t) => t.v);
}

function drawScatter(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  theme: Theme,
  points: { x: number; y: number; dir: string }[],
  categories: string[] | undefined,
  logX: boolean,
  xLabel: string,
  yLabel: string,
): { x: number; y: number; px: number; py: number; dir: string }[] {
  const pad = { left: 60, right: 16, top: 10, bottom: 36 };
  ctx.font = `${Math.round(theme.fontSize * 0.85)}px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  if (!points.length) {
    ctx.fillText(t("No run has both values."), pad.left, height / 2);
    return [];
  }
  const fx = (v: number) => (logX ? Math.log10(v) : v);
  const range = (values: number[]) => {
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.5, hi + (Math.abs(hi) || 1) * 0.5];
    const margin = (hi - lo) * 0.06;
    return [lo - margin, hi + margin];
  };
  const [x0, x1] = categories ? [-0.5, categories.length - 0.5] : range(points.map((p) => fx(p.x)));
  const [y0, y1] = range(points.map((p) => p.y));
  const px = (v: number) => pad.left + ((fx(v) - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const py = (v: number) => height - pad.bottom - ((v - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = theme.grid;
  ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    ctx.fillText(formatNumber(Number(v.toPrecision(3))), pad.left - 6, py(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xTicks = categories
    ? categories.map((c, i) => [i, c] as const)
    : logX
      ? logTicks(x0, x1).map((v) => [v, formatNumber(v)] as const)
      : [0, 1, 2, 3, 4].map((i) => x0 + ((x1 - x0) * i) / 4).map((v) => [v, formatNumber(Number(v.toPrecision(2)))] as const);
  for (const [v, label] of xTicks)
    ctx.fillText(label, categories ? pad.left + ((v - x0) / (x1 - x0)) * (width - pad.left - pad.right) : px(v), height - pad.bottom + 4);
  ctx.fillText(xLabel + (logX ? ` (${t("log")})` : ""), pad.left + (width - pad.left - pad.right) / 2, height - 16);
  ctx.save();
  ctx.translate(12, pad.top + (height - pad.top - pad.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, -6);
  ctx.restore();
  return points.map((p) => {
    const cx = categories ? pad.left + ((p.x - x0) / (x1 - x0)) * (width - pad.left - pad.right) : px(p.x);
    const cy = py(p.y);
    ctx.beginPath();
    ctx.arc(cx, cy, 4, 0, 2 * Math.PI);
    ctx.fillStyle = selected.has(p.dir) ? theme.orange : theme.blue;
    ctx.fill();
    return { x: cx, y: cy, px: p.x, py: p.y, dir: p.dir };
  });
}
