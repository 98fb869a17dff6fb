// `npm run bench:tensor`: what one op costs through torch.Tensor against the same tfjs op: `a.add(b)` and
// `a.tanh()` on [4, 4] tensors, 20,000 times each (median of 5 rounds), as tfjs tensors (disposed by hand),
// as Tensors, and as Tensors that require grad (the graph records a node per op). The difference is the
// wrapper's cost (and the graph's), the freeing of unreachable tensors during the loop included.
//   npm run bench:tensor [-- --ops N]
import * as os from "node:os";
import { tf, useBackend } from "unroll";
import * as T from "../src/nn/tensor-factories";
import { msPerCall, option } from "./lib/measure";

const OPS = Number(option("ops") ?? 20_000);

/** Microseconds per call of `op`, the median of 5 rounds of OPS calls. */
const time = (op: () => void): number => msPerCall(op, OPS, 1000) * 1000;

async function main(): Promise<void> {
  const report = await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
  const [a, b] = [tf.randomNormal([4, 4]), tf.randomNormal([4, 4])];
  const [ta, tb] = [T.randn(4, 4), T.randn(4, 4)];
  const [ga, gb] = [T.randn(4, 4, { requiresGrad: true }), T.randn(4, 4, { requiresGrad: true })];
  const rows: [string, number, number, number][] = [
    ["add", time(() => tf.add(a, b).dispose()), time(() => void ta.add(tb)), time(() => void ga.add(gb))],
    ["tanh", time(() => tf.tanh(a).dispose()), time(() => void ta.tanh()), time(() => void ga.tanh())],
  ];
  console.log(`${report.summary}; ${OPS} ops a round; load average ${loadAverage()}`);
  console.log("op     tfjs µs   Tensor µs (+wrapper)   requiresGrad µs (+wrapper+graph)");
  for (const [name, plain, wrapped, graph] of rows) {
    const d = (x: number) => `${x.toFixed(1)} (+${(x - plain).toFixed(1)})`;
    console.log(`${name.padEnd(6)} ${plain.toFixed(1).padStart(7)}   ${d(wrapped).padStart(18)}   ${d(graph).padStart(18)}`);
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

void main();
