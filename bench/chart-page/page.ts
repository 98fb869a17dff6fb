// The page `npm run bench:chart` opens in headless Chromium: the Training tab's chart (webview/plot.ts's LinePlot, as
// the explorer draws it) with 1,000,000 points, panned and zoomed one step per animation frame, and for comparison
// uPlot given all 1,000,000 points, as the chart drew them before downsampling. window.bench() answers the times.
import uPlot from "uplot";
import { Downsampler } from "../../webview/downsample";
import { LinePlot } from "../../webview/plot";
import { longCurve } from "./curve";

interface Frames {
  /** Milliseconds from a zoom or pan step to its chart drawn (downsampling, uPlot's paths and canvas calls). */
  work: number[];
  /** Milliseconds between animation frames while panning and zooming, one step a frame. */
  frames: number[];
}

const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

/** Resolves in the next task: after every microtask queued before it (and those they queue) has run. */
function afterMicrotasks(): Promise<void> {
  const channel = new MessageChannel();
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** `steps` zoom and pan steps on the x scale of `u`, one per frame (through `zoom`, as a drag across the chart
 *  does): zoom in 8 times by 20 %, pan right, zoom out. */
async function drive(u: uPlot, steps: number, zoom: (min: number, max: number) => void): Promise<Frames> {
  const x = u.data[0];
  const [lo, hi] = [x[0], x[x.length - 1]];
  const work: number[] = [];
  const stamps: number[] = [];
  let [min, max] = [lo, hi];
  for (let i = 0; i < steps; i++) {
    const phase = i % 24;
    const span = max - min;
    if (phase < 8) [min, max] = [min + span * 0.1, max - span * 0.1];
    else if (phase < 16) [min, max] = [min + span * 0.05, max + span * 0.05];
    else [min, max] = [Math.max(lo, min - span * 0.12), Math.min(hi, max + span * 0.12)];
    stamps.push(await frame());
    const t0 = performance.now();
    zoom(min, max);
    await afterMicrotasks(); // uPlot commits its redraw in a microtask, the chart its zoomed rows in the next
    work.push(performance.now() - t0);
  }
  stamps.push(await frame());
  return { work, frames: stamps.slice(1).map((s, i) => s - stamps[i]) };
}

function box(): HTMLElement {
  const el = document.createElement("div");
  el.style.width = "1000px";
  document.body.append(el);
  return el;
}

/** Frame intervals with nothing to do: what the browser delivers on this machine at all. */
async function idle(steps: number): Promise<number[]> {
  const stamps = [await frame()];
  for (let i = 0; i < steps; i++) stamps.push(await frame());
  return stamps.slice(1).map((s, i) => s - stamps[i]);
}

/** Counts the views the chart asks for (one per zoom or pan step is the design). */
let views = 0;
const view = Downsampler.prototype.view;
Downsampler.prototype.view = function (this: Downsampler, ...args: Parameters<typeof view>) {
  views++;
  return view.apply(this, args);
};

async function bench(points: number, steps: number): Promise<{ downsampled: Frames; whole: Frames; firstDrawMs: number; idle: number[]; views: number }> {
  const idleFrames = await idle(steps);
  const [x, y] = longCurve(points);
  const el = box();
  const t0 = performance.now();
  const plot = new LinePlot(el, { series: [{ label: "loss", color: (t) => t.blue }], xLabel: "step", yLabel: "loss", height: 280 });
  plot.setData([x, y]);
  while (!el.querySelector("canvas")) await frame(); // LinePlot builds on the frame after it gets a width
  const firstDrawMs = performance.now() - t0;
  const u = (plot as unknown as { plot: uPlot }).plot;
  views = 0;
  const downsampled = await drive(u, steps, (min, max) => plot.zoom([min, max]));
  const viewCount = views;
  plot.destroy();
  el.remove();
  const wholeBox = box();
  const whole = new uPlot(
    { width: 1000, height: 280, series: [{}, { stroke: "blue" }], scales: { x: { time: false } }, cursor: { drag: { x: true, y: false } } },
    [x, y],
    wholeBox,
  );
  const wholeFrames = await drive(whole, steps, (min, max) => whole.setScale("x", { min, max }));
  whole.destroy();
  return { downsampled, whole: wholeFrames, firstDrawMs, idle: idleFrames, views: viewCount };
}

(window as unknown as { bench: typeof bench }).bench = bench;
