// What both webviews share: the VS Code API handle, a tiny DOM builder, the theme's colours for canvases,
// and canvas drawings (heatmap, histogram, sparkline) that redraw themselves on resize and theme changes.
import { withoutBidiControls } from "../src/common/plain-text";
import type { FromWebview, Histogram, Point, RunInfo, RunStatus, ToWebview } from "../src/common/protocol";
import { language, t } from "./l10n";
import { divergingColor, maxAbs, parseColor, luminance, type Rgb } from "./colors";
import { downsampleGrid, type Grid, type RowBlock } from "./grids";
import { formatNumber } from "./numbers";
import { histogramTicks, roundUp } from "./ticks";
import { sparkline } from "./sparkline";
import { wrapPieces } from "./short-text";

// ---------------------------------------------------------------------------------------------------
// VS Code

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

/**
 * The webview's end of its channel `C` (`typeof explorerChannel`…): `onMessage` gets the host's messages to this
 * webview, `post` sends only this webview's messages. `state` persists UI choices only (tab, smoothing…): everything
 * else is re-sent by the host after `ready`.
 */
export function connect<C, S extends object>(defaults: S, onMessage: (message: ToWebview<C>) => void) {
  const api = acquireVsCodeApi<S>();
  const state: S = { ...defaults, ...(api.getState() ?? {}) };
  // Messages come only from the host (VS Code's iframe relays them); the type is checked, not trusted blindly.
  window.addEventListener("message", (e: MessageEvent) => {
    if (e.data && typeof e.data === "object" && typeof e.data.type === "string") onMessage(e.data as ToWebview<C>);
  });
  return {
    state,
    post: (message: FromWebview<C>) => api.postMessage(message),
    save: (patch: Partial<S>) => api.setState(Object.assign(state, patch)),
    /** Call once the page can draw messages: the host answers with everything there is to show. */
    ready: () => api.postMessage({ type: "ready" }),
  };
}

// ---------------------------------------------------------------------------------------------------
// DOM

type Child = Node | string | null | undefined | false;
type Props = {
  class?: string;
  title?: string;
  [attribute: string]: string | number | boolean | undefined | ((e: Event) => void);
};

/**
 * Builds an element: `h("td", { class: "num", onclick: f }, "0.5")`. Text goes in as text nodes, never as
 * HTML, so run names and error messages cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
}

/**
 * Text from a file or a process (a run's or a file's name, a metric, an error message) among other text: in a <bdi>,
 * its bidi controls shown as U+FFFD, so that a name with U+202E cannot reverse its neighbours (it would read
 * "…etar gninrael · 9 ,0 ssol" for the rest of the line). In a message: `h("p", {}, ...tNodes("damaged: {0}", bdi(why)))`.
 */
export const bdi = (text: unknown): HTMLElement => h("bdi", {}, withoutBidiControls(String(text ?? "")));

/** bdi() for a name in a narrow column: it may wrap after a dot or an underscore and before a bracket, not mid-word. */
export const wrappingBdi = (text: unknown): HTMLElement => {
  const pieces = wrapPieces(withoutBidiControls(String(text ?? "")));
  return h("bdi", {}, ...pieces.flatMap((piece, i) => (i ? [h("wbr", {}), piece] : [piece])));
};

/** The same for text that cannot hold an element (a tooltip, a chart's legend, a checkbox's label): between U+2068
 *  FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE. */
export const isolated = (text: unknown): string => `\u2068${withoutBidiControls(String(text ?? ""))}\u2069`;

/** A codicon: `icon("pass")`. */
export const icon = (name: string, extra = "") => h("span", { class: `codicon codicon-${name} ${extra}`.trim(), "aria-hidden": "true" });

/** A coloured notice: an error, a warning (untrusted workspace), or information (stale shapes). */
export function banner(kind: "error" | "warning" | "info", codicon: string, title: string, ...lines: (string | Node)[]): HTMLElement {
  return h(
    "div",
    { class: `banner ${kind}`, role: kind === "error" ? "alert" : "status" },
    icon(codicon),
    h("div", {}, h("strong", {}, title), ...lines.map((l) => h("div", {}, l))),
  );
}

const STATUS_ICON: Record<RunStatus, string> = {
  running: "sync codicon-modifier-spin",
  completed: "pass",
  stopped: "debug-stop",
  failed: "error",
  interrupted: "warning",
};

/** A run's status, in words. */
export const statusText = (status: RunStatus): string =>
  ({ running: t("running"), completed: t("completed"), stopped: t("stopped"), failed: t("failed"), interrupted: t("interrupted") })[status] ?? status;

/** A run's status as a coloured codicon (the colour comes from the `status-…` class in the styles). */
export function statusIcon(info: RunInfo): HTMLElement {
  const el = icon(STATUS_ICON[info.status], `status status-${info.status}`);
  el.title = statusText(info.status);
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** An SVG element with attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/** "3 min ago", in the user's language; a date in its format past a day. */
export function ago(iso: string | undefined, now = Date.now()): string {
  const time = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(time)) return "";
  const s = Math.max(0, (now - time) / 1000);
  if (s < 60) return t("just now");
  if (s < 3600) return t("{0} min ago", Math.floor(s / 60));
  if (s < 86400) return t("{0} h ago", Math.floor(s / 3600));
  return new Date(time).toLocaleDateString(language);
}

export const basename = (path: string) => path.split(/[\\/]/).pop() ?? path;

// ---------------------------------------------------------------------------------------------------
// Theme

/** The theme's colours and fonts, as concrete values for canvases and uPlot (which cannot read CSS variables). */
export interface Theme {
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  focus: string;
  blue: string;
  red: string;
  green: string;
  orange: string;
  purple: string;
  yellow: string;
  font: string;
  mono: string;
  fontSize: number;
  dark: boolean;
  rgb: { background: Rgb; blue: Rgb; red: Rgb };
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v("--vscode-foreground", "#cccccc");
  const background = v("--vscode-editor-background", "#1e1e1e");
  const bgRgb = parseColor(background) ?? [30, 30, 30];
  const dark = luminance(bgRgb) < 0.4;
  const blue = v("--vscode-charts-blue", "#3794ff");
  const red = v("--vscode-charts-red", "#f14c4c");
  return {
    foreground,
    muted: v("--vscode-descriptionForeground", foreground),
    background,
    grid: v("--vscode-editorWidget-border", dark ? "#454545" : "#c8c8c8"),
    focus: v("--vscode-focusBorder", blue),
    blue,
    red,
    green: v("--vscode-charts-green", "#89d185"),
    orange: v("--vscode-charts-orange", "#d18616"),
    purple: v("--vscode-charts-purple", "#b180d7"),
    yellow: v("--vscode-charts-yellow", "#cca700"),
    font: v("--vscode-font-family", "sans-serif"),
    mono: v("--vscode-editor-font-family", "monospace"),
    fontSize: parseFloat(v("--vscode-font-size", "13")) || 13,
    dark,
    rgb: { background: bgRgb, blue: parseColor(blue) ?? [55, 148, 255], red: parseColor(red) ?? [241, 76, 76] },
  };
}

let theme: Theme | null = null;
const themeListeners = new Set<() => void>();

export function currentTheme(): Theme {
  return (theme ??= readTheme());
}

/** Calls `listener` after VS Code switches theme (it changes the body's class and the root's variables); returns the unsubscribe. */
export function onThemeChange(listener: () => void): () => void {
  watchTheme();
  themeListeners.add(listener);
  return () => themeListeners.delete(listener);
}

let themeObserver: MutationObserver | null = null;
function watchTheme() {
  if (themeObserver) return;
  themeObserver = new MutationObserver(() => {
    theme = null;
    for (const redraw of drawings.values()) redraw();
    for (const l of themeListeners) l();
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ["class", "data-vscode-theme-kind"] });
  themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ["style", "class"] });
}

// ---------------------------------------------------------------------------------------------------
// Canvas drawings

const drawings = new Map<HTMLCanvasElement, () => void>();
/** Canvases that have been on the page: once off it again, their drawing is dropped. */
const shown = new WeakSet<HTMLCanvasElement>();
const resizeObserver =
  typeof ResizeObserver === "undefined"
    ? null
    : new ResizeObserver((entries) => {
        for (const e of entries) drawings.get(e.target as HTMLCanvasElement)?.();
      });

/**
 * Registers a canvas whose `draw(ctx, width, height)` (CSS pixels) runs whenever the canvas changes size
 * (it is 0 × 0 while its tab is hidden) or the theme changes. Drawings of canvases taken off the page
 * are forgotten the next time one is added.
 */
export function drawOn(
  canvas: HTMLCanvasElement,
  draw: (ctx: CanvasRenderingContext2D, width: number, height: number, theme: Theme) => void,
): HTMLCanvasElement {
  watchTheme();
  for (const c of drawings.keys()) {
    if (shown.has(c) && !c.isConnected) {
      drawings.delete(c);
      resizeObserver?.unobserve(c);
    }
  }
  const redraw = () => {
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    shown.add(canvas);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    draw(ctx, width, height, currentTheme());
  };
  drawings.set(canvas, redraw);
  resizeObserver?.observe(canvas);
  return canvas;
}

const font = (t: Theme, scale = 0.85) => `${Math.round(t.fontSize * scale)}px ${t.font}`;

export interface HeatmapOptions {
  /** Labelled row bands (gate blocks), drawn as separators and letters in a left margin. */
  blocks?: RowBlock[];
  /** The symmetric range; by default the grid's largest |value|. */
  range?: number;
  /** Hover text for a cell of the full-resolution grid. */
  describe?: (row: number, col: number, value: number) => string;
  /** The CSS height; by default from the grid's aspect ratio, between 48 and 320 pixels. */
  height?: number;
  /** A narrow column (a bias vector) rather than the full width. */
  strip?: boolean;
  /** Words under the heatmap: [left end, middle, right end], e.g. ["t = 1", "time →", "t = 50"]. */
  xAxis?: [string, string, string];
  label: string;
}

/**
 * A heatmap on a diverging blue–background–red scale, with its colour legend. The grid is block-averaged
 * down to the canvas's pixels first, so a [1000, 512] hidden-state matrix costs no more than a small one.
 */
export function heatmap(grid: Grid, options: HeatmapOptions): HTMLElement {
  // The colour scale ends at a round value (0.05, not 0.0494), so its labels are round and true.
  const range = roundUp(options.range ?? maxAbs(grid.values));
  // Sigmoid gates live in [0, 1]: their legend shows only the half of the scale they use.
  let positive = true;
  for (let k = 0; k < grid.values.length && positive; k++) positive = !(grid.values[k] < 0);
  const margin = options.blocks?.length ? 18 : 0;
  const canvas = h("canvas", { class: "heatmap", role: "img", "aria-label": options.label });
  const aspect = grid.rows / Math.max(grid.cols, 1);
  canvas.style.height = `${options.height ?? Math.round(Math.min(320, Math.max(48, 240 * Math.min(aspect, 1.4))))}px`;
  drawOn(canvas, (ctx, width, height, t) => {
    const w = width - margin;
    const small = downsampleGrid(grid, height, w);
    const image = new ImageData(small.cols, small.rows);
    for (let k = 0; k < small.rows * small.cols; k++) {
      const [r, g, b] = divergingColor(small.values[k], range, t.rgb.background, t.rgb.blue, t.rgb.red);
      image.data.set([r, g, b, 255], k * 4);
    }
    // Draw at data resolution, then scale up without smoothing so cells stay crisp.
    const offscreen = document.createElement("canvas");
    offscreen.width = small.cols;
    offscreen.height = small.rows;
    offscreen.getContext("2d")!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(offscreen, margin, 0, w, height);
    ctx.strokeStyle = t.grid;
    ctx.strokeRect(margin + 0.5, 0.5, w - 1, height - 1);
    ctx.fillStyle = t.foreground;
    ctx.font = font(t);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const b of options.blocks ?? []) {
      const y0 = (b.start / grid.rows) * height;
      const y1 = (b.end / grid.rows) * height;
      ctx.fillText(b.label, margin / 2, (y0 + y1) / 2);
      if (b.start > 0) {
        ctx.strokeStyle = t.foreground;
        ctx.beginPath();
        ctx.moveTo(0, Math.round(y0) + 0.5);
        ctx.lineTo(width, Math.round(y0) + 0.5);
        ctx.stroke();
      }
    }
  });
  if (options.describe) {
    canvas.addEventListener("mousemove", (e) => {
      const x = e.offsetX - margin;
      if (x < 0) return;
      const row = Math.min(grid.rows - 1, Math.floor((e.offsetY / canvas.clientHeight) * grid.rows));
      const col = Math.min(grid.cols - 1, Math.floor((x / (canvas.clientWidth - margin)) * grid.cols));
      canvas.title = options.describe!(row, col, grid.values[row * grid.cols + col]);
    });
  }
  const axis = options.xAxis ? h("div", { class: "x-axis" }, ...options.xAxis.map((s) => h("span", {}, s))) : null;
  if (axis) axis.style.marginLeft = `${margin}px`;
  return h("div", { class: `heatmap-figure${options.strip ? " strip" : ""}` }, canvas, axis, legend(range, margin, positive));
}

/** The colour scale under a heatmap: −range … 0 … +range, or 0 … +range when nothing is negative. */
function legend(range: number, margin: number, positive: boolean): HTMLElement {
  const bar = h("canvas", { class: "legend-bar", "aria-hidden": "true" });
  drawOn(bar, (ctx, width, height, t) => {
    for (let x = 0; x < width; x++) {
      const f = x / (width - 1);
      const [r, g, b] = divergingColor((positive ? f : f * 2 - 1) * range, range, t.rgb.background, t.rgb.blue, t.rgb.red);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, height);
    }
    ctx.strokeStyle = t.grid;
    ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  });
  const wrap = h("div", { class: "legend" }, h("span", {}, positive ? "0" : formatNumber(-range)), bar, h("span", {}, formatNumber(range)));
  wrap.style.marginLeft = `${margin}px`;
  return wrap;
}

/** A histogram's bars, with round ticks below and a mark at zero. */
export function histogram(hist: Histogram, label: string): HTMLElement {
  const canvas = h("canvas", { class: "histogram", role: "img", "aria-label": label });
  drawOn(canvas, (ctx, width, height, t) => {
    const n = hist.counts.length;
    const top = Math.max(1, ...hist.counts);
    const axis = height - 14;
    ctx.fillStyle = t.blue;
    for (let i = 0; i < n; i++) {
      const bh = (hist.counts[i] / top) * (axis - 2);
      const x0 = (i / n) * width;
      ctx.fillRect(x0, axis - bh, Math.max(1, width / n - (n < 60 ? 1 : 0)), bh);
    }
    ctx.strokeStyle = t.grid;
    ctx.beginPath();
    ctx.moveTo(0, axis + 0.5);
    ctx.lineTo(width, axis + 0.5);
    ctx.stroke();
    if (hist.min < 0 && hist.max > 0) {
      const x = Math.round((-hist.min / (hist.max - hist.min)) * width) + 0.5;
      ctx.strokeStyle = t.foreground;
      ctx.setLineDash([2, 2]);
      ctx.beginPath();
      ctx.moveTo(x, 0);
      ctx.lineTo(x, axis);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    // Round values under the bars (−0.05, 0, 0.05), each at its place; the exact range is in the title.
    ctx.fillStyle = t.muted;
    ctx.strokeStyle = t.grid;
    ctx.font = font(t, 0.8);
    ctx.textBaseline = "bottom";
    for (const tick of histogramTicks(hist.min, hist.max, width)) {
      const x = hist.max > hist.min ? ((tick.value - hist.min) / (hist.max - hist.min)) * width : width / 2;
      ctx.textAlign = x < 20 ? "left" : x > width - 20 ? "right" : "center";
      ctx.fillText(tick.label, x, height);
      ctx.beginPath();
      ctx.moveTo(Math.round(x) + 0.5, axis);
      ctx.lineTo(Math.round(x) + 0.5, axis + 3);
      ctx.stroke();
    }
  });
  canvas.title = `${formatNumber(hist.min)} … ${formatNumber(hist.max)}`;
  return canvas;
}

/** A small loss curve (log scale when every value is positive, so late progress still shows). */
export function sparklineCanvas(points: readonly Point[], label: string, color: (t: Theme) => string = (t) => t.blue): HTMLCanvasElement {
  const canvas = h("canvas", { class: "sparkline", role: "img", "aria-label": label });
  const log = points.length > 0 && points.every(([, y]) => y > 0);
  drawOn(canvas, (ctx, width, height, t) => {
    const pts = sparkline(points, width, height, 2, log);
    if (pts.length === 0) return;
    ctx.strokeStyle = color(t);
    ctx.lineWidth = 1.25;
    ctx.lineJoin = "round";
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    const [x, y] = pts[pts.length - 1];
    ctx.fillStyle = color(t);
    ctx.beginPath();
    ctx.arc(x, y, 2, 0, 2 * Math.PI);
    ctx.fill();
  });
  return canvas;
}
