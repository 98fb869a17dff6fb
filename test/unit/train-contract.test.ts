// The training process's command line: what the client writes, the process reads back; what a person types to
// `unroll train` is read by the same code, and bad values are refused with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { parseArgs } from "../../src/cli/args";
import { parseTrainArgs, trainOptions, type TrainOptions } from "../../src/runs/train-contract";
import { assertRoundTrip, onlySet } from "./helpers";

test("trainArgs and parseTrainArgs round-trip every option, names with spaces and non-ASCII letters included", () => {
  const full: TrainOptions = {
    file: "/w/循环 网络 (1).ts",
    epochs: 3,
    backend: "wasm",
    snapshotEvery: 7,
    runsFolder: "/w/my runs",
    dataTimeout: 0,
    vanishingRatio: 0.001,
    explodingRatio: 0,
    overrides: { lr: "-0.5", tag: "唐诗 a=b", flag: "" },
    detached: true,
  };
  assertRoundTrip(full);
  assertRoundTrip({ file: "/w/m.ts" });
});

test("bad values and unknown options are refused with the reason", () => {
  const refused = (argv: string[], message: string) => assert.throws(() => parseTrainArgs(argv), { message });
  refused(["m.ts", "--epochs", "0"], "--epochs must be a positive integer, got '0'");
  refused(["m.ts", "--snapshot-every=2.5"], "--snapshot-every must be a positive integer, got '2.5'");
  refused(["m.ts", "--data-timeout", "soon"], "--data-timeout must be a number of seconds (0: no limit), got 'soon'");
  refused(["m.ts", "--vanishing-ratio=-1"], "--vanishing-ratio must be a number ≥ 0 (0: off), got '-1'");
  refused(["m.ts", "--epoch", "3"], "unknown option --epoch");
  refused(["m.ts", "--backend"], "--backend needs a value");
  refused([], "expected one model file");
  refused(["a.ts", "b.ts"], "expected one model file");
  refused(["m.ts", "--set"], "--set needs NAME=VALUE, like --set lr=0.03");
  refused(["m.ts", "--set", "lr"], "--set needs NAME=VALUE, like --set lr=0.03, got 'lr'");
  refused(["m.ts", "--set", "=0.1"], "--set needs NAME=VALUE, like --set lr=0.03, got '=0.1'");
});

test("--set repeats, in order (a name set twice keeps its last value); --name=value keeps every = after the first", () => {
  const parsed = parseArgs(["model.ts", "--set", "lr=0.1", "--set=hidden=8", "--set", "lr=0.03", "--set", "expr=a=b"]);
  assert.deepEqual(parsed.lists?.set, ["lr=0.1", "hidden=8", "lr=0.03", "expr=a=b"]);
  assert.deepEqual(trainOptions(parsed).overrides, { lr: "0.03", hidden: "8", expr: "a=b" });
  assert.equal(parseArgs(["--runs=a=b"]).options.runs, "a=b");
});

test("unroll train's command line reads the same, less the CLI's own flags", () => {
  const parsed = parseArgs(["--json", "model.ts", "--epochs", "2", "--runs", "out", "--no-check"]);
  assert.deepEqual(trainOptions(parsed, ["json", "no-check"]), onlySet({ file: path.resolve("model.ts"), epochs: 2, runsFolder: path.resolve("out") }));
  assert.throws(() => trainOptions(parsed), { message: "unknown option --json" });
});
