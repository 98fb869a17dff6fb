// What the bench scripts share: their options (`npm run bench:x -- --runs 5`) and the timing of one call. Kept out
// of bench/'s top folder, whose every file is a bench of its own (esbuild.mjs).

/** The value after `--name` on the command line, if given. */
export function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Milliseconds per call of `op`: `warmup` calls first, then the median of 5 rounds of `calls` calls. */
export function msPerCall(op: () => void, calls: number, warmup = calls / 10): number {
  for (let i = 0; i < warmup; i++) op();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) op();
    rounds.push((performance.now() - t0) / calls);
  }
  return rounds.sort((a, b) => a - b)[2];
}
