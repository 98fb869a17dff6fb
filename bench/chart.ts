// `npm run bench:chart`: how smoothly a chart of 1,000,000 points per series pans and zooms.
//   Node: downsampling (webview/downsample.ts) of 1,000,000 points to a 1,000-pixel-wide chart per zoom or pan step.
//   Chromium (headless, the e2e harness's playwright-core and /usr/bin/chromium, when installed): the Training tab's
//   chart (LinePlot) panned and zoomed one step a frame: the work per step and the frame intervals, against uPlot given
//   all 1,000,000 points.
//   npm run bench:chart [-- --points 1000000 --steps 120]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { Downsampler } from "../webview/downsample";
import { longCurve } from "./chart-page/curve";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const POINTS = option("points", 1_000_000);
const STEPS = option("steps", 120);
const WIDTH = 1000;
const CHROMIUM = process.env.UNROLL_E2E_CHROMIUM ?? "/usr/bin/chromium";

const quantile = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (v: number) => v.toFixed(2).padStart(8);
const line = (label: string, values: number[]) =>
  console.log(`${label.padEnd(44)} median ${ms(quantile(values, 0.5))} ms   p95 ${ms(quantile(values, 0.95))} ms   max ${ms(Math.max(...values))} ms`);

function nodeBench(): void {
  const [x, y] = longCurve(POINTS);
  const t0 = performance.now();
  const downsampler = new Downsampler([x, y]);
  const buildMs = performance.now() - t0;
  const times: number[] = [];
  let [min, max] = [x[0], x[x.length - 1]];
  let rows = 0;
  for (let i = 0; i < STEPS; i++) {
    const span = max - min;
    [min, max] =
      i % 24 < 8 ? [min + span * 0.1, max - span * 0.1] : i % 24 < 16 ? [min + span * 0.05, max + span * 0.05] : [min - span * 0.12, max + span * 0.12];
    const t0 = performance.now();
    const drawn = downsampler.view({ from: min, to: max, width: WIDTH });
    times.push(performance.now() - t0);
    rows = Math.max(rows, drawn[0].length);
  }
  console.log(`Node ${process.version}: ${POINTS.toLocaleString("en-US")} points, ${WIDTH} px wide, ${STEPS} zoom/pan steps (at most ${rows} rows drawn)`);
  console.log(`index of the extremes (once per data): ${buildMs.toFixed(1)} ms`);
  line("downsampled view per step", times);
}

/** What this benchmark uses of playwright-core (installed in test/e2e/node_modules, which the root tsconfig leaves out). */
interface Playwright {
  chromium: {
    launch(options: { executablePath: string; headless: boolean; args: string[] }): Promise<{
      version(): string;
      close(): Promise<void>;
      newPage(options: { viewport: { width: number; height: number } }): Promise<{
        goto(url: string): Promise<unknown>;
        evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
      }>;
    }>;
  };
}

type PageResult = Record<"downsampled" | "whole", { work: number[]; frames: number[] }> & { firstDrawMs: number; idle: number[]; views: number };

async function chromiumBench(): Promise<void> {
  const requireE2e = createRequire(path.resolve("test/e2e/package.json"));
  let playwright: Playwright;
  try {
    playwright = requireE2e("playwright-core") as Playwright;
  } catch {
    return console.log("Chromium: skipped (playwright-core is installed by test/e2e/install.sh)");
  }
  if (!fs.existsSync(CHROMIUM)) return console.log(`Chromium: skipped (no ${CHROMIUM}; set UNROLL_E2E_CHROMIUM)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-bench-chart-"));
  const css = fs.readFileSync("node_modules/uplot/dist/uPlot.min.css", "utf8");
  const script = fs.readFileSync("out/bench/chart-page.js", "utf8");
  fs.writeFileSync(
    path.join(dir, "index.html"),
    `<!DOCTYPE html><html><head><meta charset="utf-8"><style>${css}</style></head><body><script>${script}</script></body></html>`,
  );
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`file://${path.join(dir, "index.html")}`);
    const result = await page.evaluate(
      ([points, steps]) => (window as unknown as { bench: (p: number, s: number) => Promise<PageResult> }).bench(points, steps),
      [POINTS, STEPS],
    );
    console.log(`Chromium ${browser.version()} (headless, software canvas): the chart 1000 px wide, ${STEPS} zoom/pan steps, one a frame`);
    console.log(`first draw of the chart with ${POINTS.toLocaleString("en-US")} points: ${result.firstDrawMs.toFixed(0)} ms`);
    line("idle page: frame interval", result.idle);
    console.log(`downsampled views drawn: ${result.views} for ${STEPS} steps`);
    line("LinePlot (downsampled): work per step", result.downsampled.work);
    line("LinePlot (downsampled): frame interval", result.downsampled.frames);
    line("uPlot, every point: work per step", result.whole.work);
    line("uPlot, every point: frame interval", result.whole.frames);
    const ratio = quantile(result.whole.work, 0.5) / quantile(result.downsampled.work, 0.5);
    console.log(`median work per step: every point / downsampled = ${ratio.toFixed(1)}x`);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

nodeBench();
chromiumBench().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
