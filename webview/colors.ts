// Colours for canvases: the theme's CSS colours parsed, one colour per compared run, light or dark backgrounds,
// and the diverging scale of the heatmaps.
export type Rgb = [number, number, number];

/** Parses the colours the theme's CSS variables hold: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(), rgba(). */
export function parseColor(css: string): Rgb | null {
  const s = css.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(s);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (m) return [m[1], m[2], m[3]].map((c) => Math.round(Math.min(255, Number(c)))) as Rgb;
  return null;
}

/** The golden angle in degrees: successive hues this far apart never repeat and stay far from every hue before. */
const GOLDEN_ANGLE = 180 * (3 - Math.sqrt(5));

/**
 * The colour of the i-th compared run, distinct for any number of runs: hues a golden angle apart (from orange, so the
 * run shown stays the theme's blue), lightness in three tiers so that neighbours in hue also differ in lightness, lighter
 * on a dark background.
 */
export function runColor(i: number, dark: boolean): string {
  const hue = (30 + i * GOLDEN_ANGLE) % 360;
  const tier = i % 3;
  const lightness = (dark ? 68 : 40) + (tier - 1) * 8;
  return `hsl(${hue.toFixed(1)}, ${tier === 2 ? 60 : 80}%, ${lightness}%)`;
}

/** Relative luminance in [0, 1] (sRGB), to tell a dark theme's background from a light one's. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as Rgb;

/**
 * A diverging scale centred on the theme's background: 0 is the background (so the matrix's structure, not
 * its zeros, stands out in light and dark themes alike), −maxAbs full `negative`, +maxAbs full `positive`.
 * The square root spends more of the range on small values, where most weights live.
 */
export function divergingColor(value: number, maxAbs: number, center: Rgb, negative: Rgb, positive: Rgb): Rgb {
  if (!Number.isFinite(value) || maxAbs <= 0) return center;
  const t = Math.min(Math.abs(value) / maxAbs, 1);
  return mix(center, value < 0 ? negative : positive, Math.sqrt(t));
}

/** The largest finite |value| (1 when there is none), the symmetric range of a diverging heatmap. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && Number.isFinite(a)) m = a;
  }
  return m || 1;
}
