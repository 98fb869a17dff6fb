// A small RGB picture for the images a notebook cell shows and stores (the live loss chart, a parameter's
// heatmap): filled rectangles, one-pixel lines and text in a 5×7 bitmap font. Pure (no Node, no DOM), so the kernel
// draws it and src/runs/png.ts encodes it; a PNG reads the same in VS Code, in Jupyter and on GitHub.

export type Rgb = readonly [number, number, number];

/** The font: per glyph its character, then 7 rows of 5 pixels, each row one base-32 digit (bit 4 is the left
 *  pixel): ASCII letters and digits, the punctuation numbers and names need; anything else draws as "?". */
const GLYPHS =
  "0ehjlphe14c4444e2eh1248v3v2421he426aiv225vgu11he668guhhe7v1248888ehhehhe9ehhf12ca00e1fhfbggmphhuc00egghed11djhhfe00ehvgef698s888g0fhhf1ehggmphhhi40c444ej20622ickggikokilc44444em00qllhhn00mphhho00ehhhep00uhuggq00djf11r00mpgggs00ege1ut88s8896u00hhhjdv00hhha4w00hhllax00ha4ahy00hhf1ez00v248v.00000cc,0000c48-000v000+044v440:0cc0cc0=00v0v00_000000v/01248g0(2488842)8422248[7444447]s44444s%op248j3?eh12404·0004000×0ha4ah0|4444444AehhvhhhBuhhuhhuCehgggheDuhhhhhuEvgguggvFvggugggGehgnhhfHhhhvhhhIe44444eJ72222icKhikokihLggggggvMhrllhhhNhhpljhhOehhhhhePuhhugggQehhhlidRuhhukihSfgge11uTv444444UhhhhhheVhhhhha4WhhhlllaXhha4ahhYhha4444Zv1248gv 0000000";
const DIGITS = "0123456789abcdefghijklmnopqrstuv";
const FONT = new Map<string, number[]>();
for (let i = 0; i < GLYPHS.length;) {
  const char = GLYPHS.slice(i, i + 1 + (GLYPHS.codePointAt(i)! > 0xffff ? 1 : 0));
  i += char.length;
  FONT.set(
    char,
    [...GLYPHS.slice(i, i + 7)].map((d) => DIGITS.indexOf(d)),
  );
  i += 7;
}
/** A glyph's advance: 5 pixels and one of space. */
export const GLYPH_WIDTH = 6;
export const GLYPH_HEIGHT = 7;

export class Raster {
  /** Row-major RGB, 3 bytes a pixel. */
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > 16_000_000) {
      throw new RangeError(`a picture of ${width}×${height} pixels cannot be made`);
    }
    this.pixels = new Uint8Array(width * height * 3);
    this.fill(0, 0, width, height, background);
  }

  /** Colours one pixel; one outside the picture is skipped. */
  set(x: number, y: number, [r, g, b]: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 3;
    this.pixels[at] = r;
    this.pixels[at + 1] = g;
    this.pixels[at + 2] = b;
  }

  /** Fills the rectangle from (x, y), w wide and h high, clipped to the picture. */
  fill(x: number, y: number, w: number, h: number, colour: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    const [r, g, b] = colour;
    for (let py = y0; py < y1; py++) {
      for (let at = (py * this.width + x0) * 3, end = (py * this.width + x1) * 3; at < end; at += 3) {
        this.pixels[at] = r;
        this.pixels[at + 1] = g;
        this.pixels[at + 2] = b;
      }
    }
  }

  /** A line from (x0, y0) to (x1, y1), `thickness` pixels wide (a square pen). */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const pen = Math.max(1, Math.round(thickness));
    const half = Math.floor((pen - 1) / 2);
    for (let i = 0; i <= steps; i++) {
      const x = Math.round(x0 + ((x1 - x0) * i) / steps) - half;
      const y = Math.round(y0 + ((y1 - y0) * i) / steps) - half;
      this.fill(x, y, pen, pen, colour);
    }
  }

  /** Text with its top-left corner at (x, y), each font pixel `scale` pixels; returns its width. Characters the
   *  font lacks draw as "?". */
  text(x: number, y: number, text: string, colour: Rgb, scale = 1): number {
    let at = x;
    for (const char of text) {
      const rows = FONT.get(char) ?? FONT.get(char === "\u2212" ? "-" : "?")!; // − is a minus
      rows.forEach((bits, row) => {
        for (let col = 0; col < 5; col++) if (bits & (16 >> col)) this.fill(at + col * scale, y + row * scale, scale, scale, colour);
      });
      at += GLYPH_WIDTH * scale;
    }
    return at - x;
  }
}

/** How wide `text` draws at `scale`. */
export const textWidth = (text: string, scale = 1): number => [...text].length * GLYPH_WIDTH * scale;
