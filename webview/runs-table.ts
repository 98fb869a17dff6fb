// The Runs table (an editor tab): one row per run, one column per hyperparameter and metric. Click a header to
// sort, type in the filter (`lr<0.05 optimizer=Adam`, or any text); columns with one value in every row shown are
// folded into a "same in all" note; the best value of each metric is marked. Tick rows to overlay their curves in
// the explorer (the same ticks as the Runs view); Export CSV saves what is shown. Rows are drawn only where the
// table is scrolled to, so that 1,000 runs scroll smoothly. Below: one column against another for the runs ticked.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import { MAX_COMPARED, type runsTableChannel, type TableRun, type ToRunsTable } from "../src/common/protocol";
import { bdi, connect, drawOn, fill, h, isolated, statusIcon, type Theme } from "./common";
import { t } from "./l10n";
import { formatNumber } from "./numbers";
import { perFrame } from "./frame";
import { groupBySweep, type TableItem } from "./sweep-groups";
import { renderSweepChart, sweepRow } from "./runs-table-sweeps";
import {
  bestValues,
  collapseColumns,
  columnLabel,
  filterRows,
  rankCorrelation,
  scatterPoints,
  sortRows,
  tableCsv,
  tableOf,
  visibleRange,
  type Cell,
  type Column,
  type Row,
} from "./table-logic";

interface State {
  sortKey: string;
  descending: boolean;
  filter: string;
  x: string;
  y: string;
  logX: boolean;
}

const GROUP_TITLES: Record<Column["group"], () => string> = {
  run: () => t("Run"),
  hparam: () => t("Hyperparameters"),
  final: () => t("Final"),
  best: () => t("Best"),
};

const vscode = connect<typeof runsTableChannel, State>({ sortKey: "started", descending: true, filter: "", x: "", y: "", logX: false }, onRuns);
let runs: TableRun[] = [];
let runByDir = new Map<string, TableRun>();
/** The rows shown with each sweep's runs gathered under its sweep row. */
let items: TableItem<Row>[] = [];
let selected = new Set<string>();
let table: { columns: Column[]; rows: Row[] } = { columns: [], rows: [] };
/** The rows shown (filtered, sorted), the columns that vary among them, and what they all share. */
let shown: Row[] = [];
let varying: Column[] = [];
let best = new Map<string, number>();
let rowHeight = 0;

const filter = h("input", {
  type: "search",
  class: "filter",
  placeholder: t("Filter: lr<0.05 optimizer=Adam completed"),
  "aria-label": t("Filter runs"),
  value: vscode.state.filter,
});
const count = h("span", { class: "muted" });
const exportButton = h("vscode-button", { icon: "export", secondary: true, title: t("Save the rows shown as CSV") }, t("Export CSV"));
const sameNote = h("p", { class: "same hint" });
const head = h("thead");
const body = h("tbody");
const scroller = h("div", { class: "table-scroll" }, h("table", { class: "grid compact runs-table", "aria-label": "Runs table" }, head, body));
const scatterBox = h("section", { class: "scatter" });
const sweepBox = h("section", { class: "parallel" });
document.body.append(h("div", { class: "toolbar" }, filter, count, exportButton), sameNote, scroller, sweepBox, scatterBox);

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
  items = groupBySweep(shown, (row) => runByDir.get(row.dir)?.info.sweep);
  const collapsed = collapseColumns(table.columns, shown);
  varying = collapsed.varying;
  best = bestValues(varying, shown);
  count.textContent = `${shown.length} of ${runs.length} runs${selected.size ? ` · ${selected.size} ticked` : ""}`;
  fill(
    sameNote,
    ...(collapsed.same.length
      ? [
          "Same in all: ",
          ...collapsed.same.map(({ column, value }, i) =>
            h(
              "span",
              { class: "same-item" },
              bdi(column.group === "final" || column.group === "best" ? column.key : columnLabel(column)),
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

/** The sweeps among the rows shown, each with its runs shown (the chart's choice). */
function sweepsShown() {
  return items.flatMap((item) =>
    item.kind === "sweep" ? [{ id: item.id, names: item.names, size: item.size, runs: item.rows.map((r) => runByDir.get(r.dir)!) }] : [],
  );
}

const renderSweeps = () => renderSweepChart(sweepBox, sweepsShown());

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
      bdi(columnLabel(c)),
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
          runs.length ? "No run matches the filter." : "No runs yet. Train a model first (Unroll: Train Model).",
        ),
      ),
    );
    return;
  }
  if (!rowHeight) {
    // One row, measured once: every row has that height (cells do not wrap).
    fill(body, rowOf(shown[0])); // a sweep row is one line too
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
  const sweeps = new Map(sweepsShown().map((s) => [s.id, s]));
  const itemRow = (item: TableItem<Row>) =>
    item.kind === "sweep" ? sweepRow(sweeps.get(item.id)!, varying.length) : rowOf(item.row, item.sweep !== undefined);
  fill(body, spacer(start), ...items.slice(start, end).map(itemRow), spacer(items.length - end));
}

function rowOf(row: Row, inSweep = false): HTMLElement {
  const run = runByDir.get(row.dir)!;
  const check = h("input", {
    type: "checkbox",
    checked: selected.has(row.dir),
    "aria-label": t("Compare {0}", run.info.name),
    title: t("Overlay this run's curves in the explorer"),
  });
  check.addEventListener("click", (e) => e.stopPropagation());
  check.addEventListener("change", () => toggle(row.dir, check.checked));
  const cells = varying.map((c) => {
    const v = row.cells[c.key];
    const isBest = typeof v === "number" && best.get(c.key) === v;
    const text = c.key === "started" ? when(v) : format(v);
    if (c.key === "name")
      return h(
        "td",
        { class: "name", title: `${isolated(run.info.file)}\n${isolated(run.dir)}${run.damaged ? `\ndamaged: ${isolated(run.damaged)}` : ""}` },
        statusIcon(run.info),
        " ",
        h("a", { href: "#", onclick: (e) => (e.preventDefault(), vscode.post({ type: "openRun", dir: row.dir })) }, bdi(text)),
      );
    return h(
      "td",
      {
        class: `${typeof v === "number" ? "num" : ""}${isBest ? " best" : ""}`,
        title: isBest ? `The best ${c.key} of the runs shown (${c.goal === "min" ? "lowest" : "highest"})` : typeof v === "number" ? String(v) : undefined,
      },
      isBest ? "★ " : "",
      bdi(text),
    );
  });
  return h("tr", { class: `${selected.has(row.dir) ? "selected" : ""}${inSweep ? " in-sweep" : ""}`.trim() }, h("td", { class: "check" }, check), ...cells);
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

function renderScatter(): void {
  const xs = varying.filter((c) => c.group === "hparam");
  const ys = varying.filter((c) => c.goal);
  if (!xs.length || !ys.length) {
    fill(
      scatterBox,
      shown.length > 1 ? h("p", { class: "hint" }, t("The scatter needs a hyperparameter that differs between the runs shown, and a metric.")) : null,
    );
    return;
  }
  const x = xs.find((c) => c.key === vscode.state.x) ?? xs[0];
  const y = ys.find((c) => c.key === vscode.state.y) ?? ys.find((c) => c.key === "final.loss") ?? ys[0];
  const select = (options: Column[], value: Column, label: string, key: "x" | "y") => {
    const el = h("select", { "aria-label": label }, ...options.map((c) => h("option", { value: c.key, selected: c.key === value.key }, c.key)));
    el.addEventListener("change", () => {
      vscode.save({ [key]: el.value });
      renderScatter();
    });
    return el;
  };
  const ticked = shown.filter((r) => selected.has(r.dir));
  const rows = ticked.length >= 2 ? ticked : shown;
  const { points, categories, missing } = scatterPoints(rows, x.key, y.key);
  const logX = vscode.state.logX && !categories && points.every((p) => p.x > 0);
  const log = h("input", { type: "checkbox", checked: vscode.state.logX, "aria-label": "Logarithmic x axis" });
  log.addEventListener("change", () => {
    vscode.save({ logX: log.checked });
    renderScatter();
  });
  const rho = rankCorrelation(points);
  const canvas = drawOn(h("canvas", { class: "scatter-canvas", role: "img", "aria-label": `${y.key} against ${x.key}` }), (ctx, w, hgt, t) =>
    drawScatter(ctx, w, hgt, t, points, categories, logX, x.key, y.key),
  );
  fill(
    scatterBox,
    h("h3", {}, t("One hyperparameter against one metric")),
    h(
      "div",
      { class: "toolbar" },
      h("label", {}, "x ", select(xs, x, "x axis", "x")),
      h("label", {}, "y ", select(ys, y, "y axis", "y")),
      h("label", {}, log, " log x"),
    ),
    canvas,
    h(
      "p",
      { class: "hint" },
      `${points.length} ${ticked.length >= 2 ? "ticked" : "shown"} runs${missing ? ` (${missing} without both values left out)` : ""}`,
      rho === null || categories
        ? ""
        : ` · rank correlation ${rho.toFixed(2)}: ${Math.abs(rho) < 0.3 ? `no steady trend of ${y.key} with ${x.key}` : `${y.key} ${rho > 0 ? "rises" : "falls"} as ${x.key} rises`}${y.goal ? ` (${y.goal === "min" ? "lower" : "higher"} is better)` : ""}`,
    ),
  );
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
): void {
  const pad = { left: 60, right: 16, top: 10, bottom: 36 };
  ctx.font = `${Math.round(theme.fontSize * 0.85)}px ${theme.font}`;
  ctx.fillStyle = theme.muted;
  if (!points.length) {
    ctx.fillText(t("No run has both values."), pad.left, height / 2);
    return;
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
    : [0, 1, 2, 3, 4].map((i) => x0 + ((x1 - x0) * i) / 4).map((v) => [logX ? 10 ** v : v, formatNumber(Number((logX ? 10 ** v : v).toPrecision(3)))] as const);
  for (const [v, label] of xTicks)
    ctx.fillText(label, categories ? pad.left + ((v - x0) / (x1 - x0)) * (width - pad.left - pad.right) : px(v), height - pad.bottom + 4);
  ctx.fillText(xLabel, pad.left + (width - pad.left - pad.right) / 2, height - 16);
  ctx.save();
  ctx.translate(12, pad.top + (height - pad.top - pad.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, -6);
  ctx.restore();
  for (const p of points) {
    const cx = categories ? pad.left + ((p.x - x0) / (x1 - x0)) * (width - pad.left - pad.right) : px(p.x);
    ctx.beginPath();
    ctx.arc(cx, py(p.y), 4, 0, 2 * Math.PI);
    ctx.fillStyle = selected.has(p.dir) ? theme.orange : theme.blue;
    ctx.fill();
  }
}
