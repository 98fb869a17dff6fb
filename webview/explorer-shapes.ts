// The Shapes tab: the trace of the model file as a table (click a row to jump to its line), the trace's
// error, and for the selected recurrent call a diagram of the layer unrolled over its time steps.
import { formatShape, formatTracedShapes } from "../src/common/format";
import type { FromExplorer, Trace, TraceEntry, TracedShape } from "../src/common/protocol";
import { banner, basename, bdi, fill, h, icon, svg, wrappingBdi } from "./common";
import { language, t, tNodes } from "./l10n";
import { shownSteps, unrolledCall, type UnrolledCall } from "./unrolled-call";
import { formatCount as formatCountIn } from "./numbers";
import { shortLabel } from "./short-text";

const formatCount = (n: number) => formatCountIn(n, language);

export interface TraceMessage {
  trace: Trace | null;
  stale: boolean;
  trusted: boolean;
}

const KIND_ICON: Record<TraceEntry["kind"], string> = { module: "symbol-class", call: "symbol-method", tensor: "symbol-array" };

/** A row's identity across traces, so the selection survives a re-trace after an edit. */
const keyOf = (e: TraceEntry) => `${e.location.line}:${e.location.column}:${e.kind}:${e.name}`;

const shapesText = (shapes: readonly TracedShape[] | undefined) => formatTracedShapes(shapes);

export class ShapesTab {
  readonly el = h("div", { class: "tab-body shapes" });
  private message: TraceMessage | null = null;

  constructor(
    private readonly post: (m: FromExplorer) => void,
    private selected: string | undefined,
    private readonly saveSelection: (key: string) => void,
  ) {
    this.render();
  }

  show(message: TraceMessage): void {
    this.message = message;
    this.render();
  }

  private render(): void {
    const m = this.message;
    if (!m) return fill(this.el, h("p", { class: "empty" }, t("Waiting for the first trace…")));
    const { trace, stale, trusted } = m;
    const banners = [
      !trusted &&
        banner(
          "warning",
          "shield",
          t("Shapes are traced by running this file, which Unroll does only in trusted workspaces."),
          t("To trust this folder, run “Workspaces: Manage Workspace Trust” from the Command Palette and choose Trust."),
        ),
      stale && trace && banner("info", "history", t("These shapes are from the last save."), t("Save the file to trace it again.")),
      trace?.error && traceError(trace, this.post),
    ];
    if (!trace) {
      return fill(this.el, ...banners, trusted ? h("p", { class: "empty" }, t("No trace yet: save the file, or run “Unroll: Trace Shapes”.")) : null);
    }
    const entries = trace.entries;
    // The row selected before, else the first recurrent call, so the diagram shows without a click.
    const selected = entries.find((e) => keyOf(e) === this.selected) ?? entries.find((e) => unrolledCall(e));
    this.selected = selected && keyOf(selected);
    const meta = h(
      "p",
      { class: "meta" },
      bdi(basename(trace.file)),
      ` · ${entries.length === 1 ? t("1 site") : t("{0} sites", entries.length)} · `,
      ...tNodes("traced in {0} ms on {1}", Math.round(trace.durationMs), bdi(trace.backend)),
      trace.experiment &&
        ` · ${trace.experiment.cached ? t("one training step on the example batch {0} (kept from the last trace)", shapesText(trace.experiment.batch)) : t("one training step on the example batch {0}", shapesText(trace.experiment.batch))}`,
    );
    fill(
      this.el,
      ...banners,
      meta,
      entries.length ? this.table(entries) : h("p", { class: "empty" }, t("The trace recorded no modules, calls or tensors.")),
      selected ? details(selected) : null,
    );
  }

  private table(entries: TraceEntry[]): HTMLElement {
    const body = h("tbody");
    for (const e of entries) {
      const key = keyOf(e);
      const choose = () => {
        this.selected = key;
        this.saveSelection(key);
        this.post({ type: "reveal", line: e.location.line, column: e.location.column });
        this.render();
      };
      const row = h(
        "tr",
        {
          class: `${e.error ? "error" : ""} ${key === this.selected ? "selected" : ""}`,
          tabindex: 0,
          title: t("Go to line {0}", e.location.line),
          onclick: choose,
          onkeydown: (ev) => (ev as KeyboardEvent).key === "Enter" && choose(),
        },
        h("td", { class: "num line" }, `${e.location.line}`),
        h(
          "td",
          { class: "what" },
          icon(KIND_ICON[e.kind]),
          " ",
          // A model's repr is many lines long: shortened here, whole on hover and in the details below.
          h(
            "span",
            { class: "mono", title: e.config ?? e.name },
            ...(e.kind === "call"
              ? [wrappingBdi(shortLabel(e.config ?? e.name)), ".forward"]
              : e.kind === "tensor"
                ? ["torch.", wrappingBdi(shortLabel(e.name))]
                : [wrappingBdi(shortLabel(e.config ?? e.name))]),
          ),
          e.count > 1 ? h("span", { class: "badge", title: t("ran {0} times", e.count) }, `×${e.count}`) : null,
          e.varying ? h("span", { class: "badge warn", title: t("later runs of this line had other shapes; the first is shown") }, t("varies")) : null,
        ),
        h("td", { class: "mono io" }, ...flowParts(e)),
        h("td", { class: "num" }, e.parameterCount ? formatCount(e.parameterCount) : ""),
      );
      body.append(row);
      if (e.error) body.append(h("tr", { class: "error-detail" }, h("td"), h("td", { colspan: 3 }, icon("error"), " ", e.error)));
    }
    return h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "grid trace" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "num" }, t("Line")),
            h("th", {}, t("Module / call")),
            h("th", {}, t("Inputs → outputs")),
            h("th", { class: "num" }, t("Parameters")),
          ),
        ),
        body,
      ),
    );
  }
}

/** The flow cell: each shape in its own unbreakable span, so a narrow panel wraps between shapes, never inside one. */
function flowParts(e: TraceEntry): HTMLElement[] {
  if (e.kind === "module") return [];
  const shapes = (list: readonly TracedShape[] | undefined) => (list ?? []).map((s) => h("span", { class: "shape" }, formatTracedShapes([s])));
  const join = (parts: HTMLElement[]) => parts.flatMap((p, i) => (i ? [h("span", { class: "sep" }, " · "), p] : [p]));
  const ins = shapes(e.inputs);
  const outs = shapes(e.outputs);
  if (!ins.length) return join(outs);
  return [...join(ins), h("span", { class: "sep" }, " → "), ...(outs.length ? join(outs) : [h("span", {}, "?")])];
}

/** "input [10, 3, 50] → out [10, 3, 100] · h_n [2, 3, 100]" */
function flow(e: TraceEntry): string {
  const ins = shapesText(e.inputs);
  const outs = shapesText(e.outputs);
  if (e.kind === "module") return "";
  return ins ? `${ins} → ${outs || "?"}` : outs;
}

function traceError(trace: Trace, post: (m: FromExplorer) => void): HTMLElement {
  const error = trace.error!;
  const where = error.location;
  const link = where
    ? h(
        "a",
        { href: "#", onclick: (e) => (e.preventDefault(), post({ type: "reveal", line: where.line, column: where.column })) },
        bdi(basename(where.file)),
        `:${where.line}:${where.column}`,
      )
    : null;
  const title = {
    compile: t("The file does not compile"),
    export: t("Export problem"),
    shape: t("Shape error"),
    usage: t("Refused by the library"),
    runtime: t("The file threw"),
    nan: "NaN",
    timeout: t("The trace ran out of time"),
    store: t("The run could not be stored"),
    internal: t("Unroll failed (a bug)"),
  }[error.kind];
  return banner(
    "error",
    "error",
    where ? t("{0} at line {1}", title, where.line) : title,
    h("span", { class: "mono" }, bdi(error.message)),
    ...(link ? [h("span", {}, t("at"), " ", link)] : []),
    ...(error.stack ? [h("pre", { class: "stack" }, error.stack)] : []),
  );
}

/** Below the table: the selected site's parameters, or the unrolled diagram of a recurrent call. */
function details(e: TraceEntry): HTMLElement | null {
  const call = unrolledCall(e);
  if (call)
    return h(
      "section",
      { class: "details" },
      h("h3", { title: e.config ?? e.name }, ...tNodes("{0} unrolled", bdi(shortLabel(e.config ?? e.name)))),
      diagram(call),
      h("p", { class: "caption" }, caption(call, e)),
    );
  if (e.parameters?.length) {
    return h(
      "section",
      { class: "details" },
      h("h3", { title: e.config ?? e.name }, bdi(shortLabel(e.config ?? e.name)), `: ${t("{0} parameters", formatCount(e.parameterCount ?? 0))}`),
      h(
        "table",
        { class: "grid compact" },
        h("thead", {}, h("tr", {}, h("th", {}, t("Parameter")), h("th", {}, t("Shape")), h("th", { class: "num" }, t("Count")))),
        h(
          "tbody",
          {},
          ...e.parameters.map((p) =>
            h(
              "tr",
              {},
              h("td", { class: "mono" }, wrappingBdi(p.name)),
              h("td", { class: "mono" }, formatShape(p.shape)),
              h("td", { class: "num" }, formatCount(p.count)),
            ),
          ),
        ),
      ),
    );
  }
  return null;
}

function caption(c: UnrolledCall, e: TraceEntry): string {
  if (c.cell) {
    return e.count > 1
      ? t("One time step per call; this line ran {0} times (a loop unrolls the cell by hand): {1}.", e.count, flow(e))
      : t("One time step per call: {0}.", flow(e));
  }
  const parts = [c.steps === 1 ? t("1 time step") : t("{0} time steps", c.steps), c.layers === 1 ? t("1 layer") : t("{0} layers", c.layers)];
  if (c.bidirectional) parts.push(t("both directions (→ reads t = 1…T, ← reads t = T…1; outputs are concatenated)"));
  if (c.packed) parts.push(t("packed input: each step has ≤ batch rows"));
  if (c.batchFirst) parts.push("batch_first");
  return `${parts.join(t(", "))}. ${flow(e)}.`;
}

const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n: number) => String(n).replace(/\d/g, (d) => SUB[Number(d)]);

/**
 * The layer unrolled: a box per (layer, shown time step), the recurrent state passed along each row (both
 * ways when bidirectional: → along the top half of the box, ← along the bottom), inputs from below,
 * outputs on top. Long sequences show their first and last steps around a gap.
 */
function diagram(c: UnrolledCall): SVGSVGElement {
  const steps = c.cell ? [1] : shownSteps(c.steps);
  const dirs = c.bidirectional ? 2 : 1;
  const batch = c.packed ? (c.batch !== null ? `≤${c.batch}` : "≤B") : c.batch;
  const vec = (n: number) => (batch === null ? `[${n}]` : `[${batch}, ${n}]`);
  const state = c.kind === "LSTM" ? "h, c" : "h";
  const outSize = c.outputs[0]?.shape.at(-1) ?? c.hiddenSize * dirs;

  const left = 64;
  const cw = c.cell ? 150 : 104;
  const bw = 64;
  const bh = c.bidirectional ? 46 : 32;
  const rh = bh + 46;
  const top = 34;
  const width = left + steps.length * cw + 70;
  const height = top + c.layers * rh + 52;
  const root = svg("svg", {
    class: "diagram",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": t("{0} unrolled over {1} steps", c.kind, c.steps),
  });
  root.append(
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "dg-head", viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L8,4 L0,8 z", class: "dg-head" }),
      ),
    ),
  );
  const line = (x1: number, y1: number, x2: number, y2: number, cls: string) =>
    root.append(svg("line", { x1, y1, x2, y2, class: cls, "marker-end": "url(#dg-head)" }));
  const text = (x: number, y: number, s: string, cls = "dg-label", anchor = "middle") =>
    root.append(svg("text", { x, y, class: cls, "text-anchor": anchor }, s));

  const boxTop = (layer: number) => top + (c.layers - 1 - layer) * rh + 10;
  const cx = (i: number) => left + i * cw + cw / 2;
  const laneY = (layer: number, d: number) => boxTop(layer) + (c.bidirectional ? (d === 0 ? bh / 4 : (3 * bh) / 4) : bh / 2);

  for (let layer = 0; layer < c.layers; layer++) {
    const y = boxTop(layer);
    if (!c.cell) text(6, y + bh / 2 + 4, t("layer {0}", layer), "dg-row", "start");
    steps.forEach((t, i) => {
      const x = cx(i);
      if (t === null) {
        text(x, y + bh / 2 + 4, "⋯", "dg-gap");
        return;
      }
      root.append(svg("rect", { x: x - bw / 2, y, width: bw, height: bh, rx: 4, class: "dg-box" }));
      if (c.bidirectional) {
        root.append(svg("line", { x1: x - bw / 2, y1: y + bh / 2, x2: x + bw / 2, y2: y + bh / 2, class: "dg-divider" }));
        text(x, laneY(layer, 0) + 4, `→ t${sub(t)}`, "dg-box-label");
        text(x, laneY(layer, 1) + 4, `← t${sub(t)}`, "dg-box-label");
      } else text(x, y + bh / 2 + 4, c.cell ? `${c.kind}Cell` : `t${sub(t)}`, "dg-box-label");
      // Input from below: x_t for the first layer, the layer below's output otherwise.
      const below = layer === 0 ? top + c.layers * rh + 8 : boxTop(layer - 1);
      line(x, below - 2, x, y + bh + 1, "dg-arrow");
      if (layer === 0) text(x, below + 14, c.cell ? `x ${vec(c.inputSize)}` : `x${sub(t)}${i === 0 ? ` ${vec(c.inputSize)}` : ""}`, "dg-io");
      if (layer === c.layers - 1) {
        line(x, y - 1, x, top - 6, "dg-arrow");
        text(x, top - 12, c.cell ? `h′ ${vec(c.hiddenSize)}` : `out${sub(t)}${i === 0 ? ` ${vec(outSize)}` : ""}`, "dg-io");
      }
    });
    // The recurrent state along each row (both ways when bidirectional), from h₀ in to h_n out.
    for (let d = 0; d < dirs; d++) {
      const yy = laneY(layer, d);
      const forward = d === 0;
      for (let i = 0; i + 1 < steps.length; i++) {
        const [a, b] = [cx(i) + bw / 2, cx(i + 1) - bw / 2];
        const dashed = steps[i] === null || steps[i + 1] === null ? " gap" : "";
        if (forward) line(a + 1, yy, b - 2, yy, `dg-state${dashed}`);
        else line(b - 1, yy, a + 2, yy, `dg-state${dashed}`);
      }
      const first = cx(0) - bw / 2;
      const last = cx(steps.length - 1) + bw / 2;
      const stub = c.cell ? 56 : 26;
      if (forward) {
        line(first - stub, yy, first - 2, yy, "dg-state");
        line(last + 1, yy, last + stub, yy, "dg-state");
      } else {
        line(last + stub, yy, last + 2, yy, "dg-state");
        line(first - 1, yy, first - stub, yy, "dg-state");
      }
    }
  }
  const yTop = laneY(c.layers - 1, 0) - 6;
  text(cx(0) - bw / 2 - (c.cell ? 28 : 14), yTop, c.cell ? state : "h₀", "dg-state-label");
  text(cx(steps.length - 1) + bw / 2 + (c.cell ? 28 : 16), yTop, c.cell ? "h′" : "h_n", "dg-state-label", c.cell ? "middle" : "start");
  // The legend says once what every orange arrow carries.
  const ly = height - 8;
  line(left, ly - 4, left + 28, ly - 4, "dg-state");
  text(
    left + 36,
    ly,
    `${state} ${vec(c.hiddenSize)}: ${c.layers > 1 ? t("the state passed to the next step (one per layer)") : t("the state passed to the next step")}`,
    "dg-legend",
    "start",
  );
  return root;
}
