// No child process outlives its parent: `unroll train`, `unroll trace`, `unroll run` and a host that starts a
// training run and a tracing process as the extension host does (startTraining, TraceClient) are killed at random
// moments (SIGKILL or SIGTERM, none of which they can act on), while healthy, while a step or a trace never ends.
// Every process they started (training, tracing, esbuild's service) must then end by itself: the parent's death is
// seen through the IPC channel's disconnect (the main thread) and the watchdog pipe's close (the watchdog thread,
// for a main thread that never yields). Processes are found in /proc by a marker in their environment, which every
// descendant inherits; the test waits until none is left (a check every 100 ms, no time asserted).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startTraining } from "../../src/runs/train-client";
import { TraceClient } from "../../src/runs/trace-client";

const DIST = path.join(__dirname, "../../../dist");
const MARKER = "UNROLL_LIFETIME_MARKER";
const HOST = "UNROLL_LIFETIME_HOST";

/** Run as a host (this file with $UNROLL_LIFETIME_HOST set): what the extension host starts, then nothing. */
function host({ train, trace, runs }: { train: string; trace: string; runs: string }): void {
  startTraining({ file: train, runsFolder: runs, backend: "wasm" }, () => {}, path.join(DIST, "train.js"));
  new TraceClient({ serverPath: path.join(DIST, "trace-server.js") }).trace(trace, { timeoutMs: 600_000 }).catch(() => {});
  setInterval(() => {}, 1 << 30); // alive until killed
}

/** The pids and command lines of the processes whose environment holds `marker`. */
function marked(marker: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!fs.readFileSync(`/proc/${name}/environ`, "utf8").split("\0").includes(`${MARKER}=${marker}`)) continue;
      found.push({ pid: Number(name), command: fs.readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Resolves once no process carries `marker` (checked every 100 ms). */
async function allGone(marker: string): Promise<void> {
  while (marked(marker).length) await new Promise((resolve) => setTimeout(resolve, 100));
}

const markers: string[] = [];
after(() => {
  for (const marker of markers) {
    for (const { pid } of marked(marker)) {
      try {
        process.kill(pid, "SIGKILL"); // a failed test's survivors, by pid
      } catch {
        // gone
      }
    }
  }
});

if (process.env[HOST]) host(JSON.parse(process.env[HOST]));
else {
  const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-lifetime-"));
  const RUNS = path.join(ROOT, "runs 运行");
  after(() => fs.rmSync(ROOT, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const at = path.join(ROOT, name);
    fs.writeFileSync(at, text);
    return at;
  };
  /** An experiment; `stuck`: its forward loops forever from the third step on. */
  const experiment = (name: string, stuck: boolean) =>
    file(
      `${name}.ts`,
      `import { defineExperiment, nn, optim, torch, tf } from "unroll";
let calls = 0;
class Net extends nn.Module {
  fc = new nn.Linear(4, 2);
  forward(x: tf.Tensor): tf.Tensor {
    ${stuck ? "if (++calls >= 3) while (true) {}" : ""}
    return this.fc.forward(x);
  }
}
export default defineExperiment({
  name: "${name}",
  epochs: 1000000,
  model: () => new Net(),
  data: () => ({ train: [[torch.randn([8, 4]), torch.randn([8, 2])] as [tf.Tensor, tf.Tensor]] }),
  loss: () => new nn.MSELoss(),
  optimizer: (parameters) => new optim.SGD(parameters, { lr: 0.01 }),
});
`,
    );
  const healthy = experiment("healthy", false);
  const stuck = experiment("stuck", true);
  const loops = file("循环 网络(1) 🧪.ts", `console.log("looping");\nlet i = 0;\nwhile (true) i++;\n`);

  /** Starts the parent (`args` after node), kills it `delay` ms later with `signal`, waits for its exit and for
   *  every process it started to be gone. */
  async function killAndCount(args: string[], env: Record<string, string>, delay: number, signal: NodeJS.Signals): Promise<void> {
    const marker = `${process.pid}-${markers.length}-${Math.random().toString(36).slice(2)}`;
    markers.push(marker);
    const parent: ChildProcess = spawn(process.execPath, args, {
      env: { ...process.env, UNROLL_BACKEND: "wasm", UNROLL_LANGUAGE: "en", [MARKER]: marker, ...env },
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => parent.once("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, delay));
    const before = marked(marker);
    parent.kill(signal);
    await exited;
    await allGone(marker);
    assert.deepEqual(marked(marker), [], `killed with ${signal} after ${delay} ms, while ${before.map((p) => p.command).join(", ")} ran`);
  }

  /** `iterations` kills of the parent at random moments in its first `within` ms. */
  async function atRandomMoments(args: string[], env: Record<string, string> = {}, iterations = 3, within = 4000): Promise<void> {
    for (let i = 0; i < iterations; i++) {
      const delay = Math.round(Math.random() * within);
      await killAndCount(args, env, delay, Math.random() < 0.7 ? "SIGKILL" : "SIGTERM");
    }
  }

  const CLI = path.join(DIST, "cli.js");
  const LIMIT = { timeout: 180_000, skip: !fs.existsSync("/proc/self/environ") && "needs /proc" };

  describe("no child outlives its killed parent", () => {
    test("`unroll train`, its run healthy", LIMIT, () => atRandomMoments([CLI, "train", healthy, "--runs", RUNS, "--no-check"]));

    test("`unroll train`, its step never ending", LIMIT, () => atRandomMoments([CLI, "train", stuck, "--runs", RUNS, "--no-check"], {}, 2, 5000));

    test("`unroll trace` of a scratchpad that loops, with a 10-minute budget", LIMIT, () =>
      atRandomMoments([CLI, "trace", loops, "--timeout", "600000", "--no-check"], {}, 2),
    );

    test("`unroll run` of a scratchpad that loops, without a limit", LIMIT, () => atRandomMoments([CLI, "run", loops, "--timeout", "0", "--no-check"], {}, 2));

    test("a host training a model and tracing a file that loops, as the extension host does", LIMIT, () =>
      atRandomMoments([__filename], { [HOST]: JSON.stringify({ train: healthy, trace: loops, runs: RUNS }) }, 3),
    );
  });
}
