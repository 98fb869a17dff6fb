// A seedable random source for everything random in the library (initialisation, randn, dropout),
// so that `manualSeed(n)` makes a script reproducible from one run to the next.
// PyTorch's own generator (mt19937 with its own transforms) is not reproduced: the same seed gives
// the same numbers in Unroll every time, not the numbers PyTorch would give.

let state = (Math.random() * 2 ** 32) >>> 0;

/** Seeds the library's random generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  state = seed >>> 0;
}

/** mulberry32: a small, fast generator with a 32-bit state; good enough for initialisation and dropout. */
export function nextUniform(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export function uniformArray(size: number, low = 0, high = 1): Float32Array {
  const out = new Float32Array(size);
  const span = high - low;
  for (let i = 0; i < size; i++) out[i] = low + span * nextUniform();
  return out;
}

/** Standard normal numbers by the Box–Muller transform. */
export function normalArray(size: number, mean = 0, std = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const u1 = 1 - nextUniform(); // in (0, 1]: log is finite
    const u2 = nextUniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < size) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
