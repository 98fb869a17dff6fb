// Output piped into a reader that stops reading (`unroll … | head -1`): the command ends quietly with exit code 0,
// no EPIPE stack trace, and leaves no training process behind. Real processes (dist/cli.js, dist/train.js).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { killCliRuns, processesNaming, runCli } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-pipe-"));
after(() => {
  killCliRuns();
  fs.rmSync(ROOT, { recursive: true, force: true });
});
const LIMIT = { timeout: 120_000 };

/** The CLI ended quietly: exit code 0 and no EPIPE on stderr. */
function assertQuiet(run: { code: number | null; stderr: string }): void {
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch(run.stderr, /EPIPE|Error:|at /);
}

for (const json of [false, true]) {
  test(`\`unroll train${json ? " --json" : ""} | head -1\`: exit 0, the run stopped and kept, no training process left`, LIMIT, async () => {
    const runs = path.join(ROOT, json ? "train-json" : "train");
    const args = ["train", "examples/05b_hello_rnn.ts", "--epochs", "100000", "--runs", runs, "--no-check", ...(json ? ["--json"] : [])];
    const run = await runCli(args, { closeStdoutAfter: /\n/ });
    assertQuiet(run);
    assert.deepEqual(processesNaming(runs), []);
    const [id] = fs.readdirSync(runs);
    const info = JSON.parse(fs.readFileSync(path.join(runs, id, "run.json"), "utf8")) as { status: string; epoch?: number };
    assert.equal(info.status, "stopped");
    assert.ok((info.epoch ?? 0) < 100000);
  });
}

test("`unroll runs | head -1` and `unroll runs --json | head -1`: exit 0, no stack trace", LIMIT, async () => {
  const runs = path.join(ROOT, "train");
  for (const json of [[], ["--json"]]) assertQuiet(await runCli(["runs", runs, ...json], { closeStdoutAfter: /^/ }));
});

test("`unroll run f.ts | head -1` on a scratchpad that prints for minutes: exit 0 at once, no stack trace", LIMIT, async () => {
  const file = path.join(ROOT, "循环 网络(1) 🧪.ts");
  const main =
    'export default async () => {\n  for (let i = 0; i < 100000; i++) {\n    console.log("line", i);\n    await new Promise((r) => setTimeout(r, 5));\n  }\n};\n';
  fs.writeFileSync(file, main);
  const run = await runCli(["run", file, "--no-check"], { closeStdoutAfter: /line 0\n/ });
  assertQuiet(run);
  assert.match(run.stdout, /^line 0\n/);
  assert.deepEqual(processesNaming(ROOT), []);
});
