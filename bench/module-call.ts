// `npm run bench:call`: what calling a module as a function (`m(x)`, as PyTorch does) costs against `m.forward(x)`.
// Three modules: one whose forward returns its input (the dispatch alone, in nanoseconds), one that reads four of
// its attributes (property access on the callable object, against the same class not derived from Module), and
// Linear(4, 4) on a [1, 4] tfjs tensor and on a torch.Tensor ("Linear (T)", freed when unreachable). Median of 5 rounds.
//   npm run bench:call [-- --calls N]
import * as os from "node:os";
import { nn, tf, torch, useBackend } from "unroll";
import { msPerCall, option } from "./lib/measure";

const CALLS = Number(option("calls") ?? 1_000_000);

/** Nanoseconds per call of `op`, the median of 5 rounds of `calls` calls. */
const time = (op: () => void, calls = CALLS): number => msPerCall(op, calls) * 1e6;

class Identity extends nn.Module {
  override forward(x: number): number {
    return x;
  }
}

/** The same fields and forward, on a module and on a plain class. */
const fields = { a: 1, b: 2, c: 3, d: 4 };
class Reads extends nn.Module {
  a = 1;
  b = 2;
  c = 3;
  d = 4;
  override forward(x: number): number {
    return x + this.a + this.b + this.c + this.d;
  }
}
class PlainReads {
  a = fields.a;
  b = fields.b;
  c = fields.c;
  d = fields.d;
  forward(x: number): number {
    return x + this.a + this.b + this.c + this.d;
  }
}

async function main(): Promise<void> {
  const report = await useBackend(process.env.UNROLL_BACKEND ?? "wasm");
  let sink = 0;
  const id = new Identity();
  const reads = new Reads();
  const plain = new PlainReads();
  const linear = new nn.Linear(4, 4);
  const x = tf.randomNormal([1, 4]);
  const t = torch.randn(1, 4);
  const rows: [string, number, number][] = [
    ["identity", time(() => (sink += id.forward(1))), time(() => (sink += id(1)))],
    ["4 reads", time(() => (sink += reads.forward(1))), time(() => (sink += reads(1)))],
    ["Linear", time(() => linear.forward(x).dispose(), CALLS / 100), time(() => linear(x).dispose(), CALLS / 100)],
    ["Linear (T)", time(() => void linear.forward(t), CALLS / 100), time(() => void linear(t), CALLS / 100)],
  ];
  const plainReads = time(() => (sink += plain.forward(1)));
  console.log(`${report.summary}; node ${process.version}; load average ${loadAverage()}; (${sink > 0 ? "ok" : "?"})`);
  console.log("module      forward ns    call ns (+call)");
  for (const [name, forward, call] of rows) {
    console.log(`${name.padEnd(10)} ${forward.toFixed(1).padStart(10)} ${`${call.toFixed(1)} (+${(call - forward).toFixed(1)})`.padStart(18)}`);
  }
  console.log(`4 reads on a plain class (not a Module): ${plainReads.toFixed(1)} ns`);
}

const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

void main();
