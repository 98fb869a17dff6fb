// The long loss curve the chart benchmark draws, in Node and in the page: a decaying loss with noise and a spike every
// 9,973 steps (deterministic, so that every run draws the same).
export function longCurve(points: number): [number[], number[]] {
  const x = new Array<number>(points);
  const y = new Array<number>(points);
  let seed = 12345;
  for (let i = 0; i < points; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    x[i] = i + 1;
    y[i] = 2.5 * Math.exp(-i / (points / 5)) + 0.1 + 0.05 * (seed / 0x7fffffff) + (i % 9973 === 0 ? 1.5 : 0);
  }
  return [x, y];
}
