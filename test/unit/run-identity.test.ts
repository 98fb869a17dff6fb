// Telling runs apart (src/common/run-identity.ts): automatic labels from what differs within an experiment, the
// user's label first, groups by experiment with a deeper level; and meta.json (src/runs/run-meta.ts), read totally
// whatever a repository ships in its place, written atomically by the host and listed with the run.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RunInfo, RunSummary } from "../../src/common/protocol";
import {
  automaticLabels,
  byExperiment,
  clockOf,
  differingKeys,
  groupRuns,
  labelled,
  labelValue,
  runsOf,
  runTitle,
  type Identified,
} from "../../src/common/run-identity";
import { cleanTags, editedMeta, MAX_LABEL, MAX_NOTE, MAX_TAGS, META_CAP, metaOf, readRunMeta, readRunMetaSync } from "../../src/runs/run-meta";
import { listRuns, readRunDetail, writeRunMeta } from "../../src/runs/run-store";
import { HOSTILE_NAME, hostileRunInfo } from "./helpers";

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-identity-"));
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

/** A local time on 2026-12-07 as an ISO string: labels show local hours. */
const at = (h: number, m: number, s = 0) => new Date(2026, 11, 7, h, m, s).toISOString();

function run(id: string, file: string, hparams: RunInfo["hparams"], startedAt: string): Identified {
  return { info: { id, name: "hello → ohlol (RNN)", file, startedAt, hparams } };
}

describe("automatic labels", () => {
  test("what differs between runs of one experiment, then the start time", () => {
    const runs = [
      run("r1", "/w/05b.ts", { lr: 0.3, epochs: 30, optimizer: "Adam" }, at(18, 14)),
      run("r2", "/w/05b.ts", { lr: 0.1, epochs: 30, optimizer: "Adam" }, at(18, 20)),
      run("r3", "/w/05b.ts", { lr: 0.1, epochs: 60, optimizer: "Adam" }, at(18, 31)),
    ];
    assert.deepEqual(automaticLabels(runs), ["lr 0.3 · epochs 30 · 18:14", "lr 0.1 · epochs 30 · 18:20", "lr 0.1 · epochs 60 · 18:31"]);
  });

  test("runs of another experiment do not count: a lone run is its start time", () => {
    const runs = [run("a", "/w/05b.ts", { lr: 0.3 }, at(9, 5)), run("b", "/w/09b.ts", { lr: 0.01 }, at(9, 6)), run("c", "/w/05b.ts", { lr: 0.1 }, at(9, 7))];
    assert.deepEqual(automaticLabels(runs), ["lr 0.3 · 09:05", "09:06", "lr 0.1 · 09:07"]);
  });

  test("the same label twice gets seconds; a run with no time and nothing differing is its id", () => {
    const runs = [run("a", "/w/x.ts", { lr: 0.1 }, at(7, 1, 5)), run("b", "/w/x.ts", { lr: 0.1 }, at(7, 1, 40)), run("c", "/w/y.ts", undefined, "not a date")];
    assert.deepEqual(automaticLabels(runs), ["07:01:05", "07:01:40", "c"]);
  });

  test("runs of one file under different names are told apart by their names first", () => {
    const runs = [run("a", "/w/x.ts", { lr: 0.1 }, at(7, 1)), { info: { ...run("b", "/w/x.ts", { lr: 0.3 }, at(7, 2)).info, name: "[x](command:y)" } }];
    assert.deepEqual(automaticLabels(runs), ["hello → ohlol (RNN) · lr 0.1 · 07:01", "[x](command:y) · lr 0.3 · 07:02"]);
  });

  test("a key one run lacks differs; at most three keys; values short", () => {
    assert.deepEqual(differingKeys([{ lr: 1, seed: 1 }, { lr: 1 }]), ["seed"]);
    const many = [run("a", "/f", { a: 1, b: 1, c: 1, d: 1 }, at(1, 0)), run("b", "/f", { a: 2, b: 2, c: 2, d: 2 }, at(1, 1))];
    assert.deepEqual(automaticLabels(many), ["a 1 · b 1 · c 1 · 01:00", "a 2 · b 2 · c 2 · 01:01"]);
    assert.deepEqual(
      [labelValue(0.0001), labelValue(0.30000000000000004), labelValue(123456), labelValue(true), labelValue("Adam")],
      ["1e-4", "0.3", "1.23e5", "true", "Adam"],
    );
    assert.equal(clockOf(at(23, 5, 9), true), "23:05:09");
  });

  test("a hyperparameter named __proto__ or constructor is a key like any other", () => {
    const proto = JSON.parse('{"__proto__": 1}') as Record<string, number>;
    const runs = [run("a", "/f", proto, at(1, 0)), run("b", "/f", { constructor: 2 }, at(1, 1))];
    assert.deepEqual(automaticLabels(runs), ["__proto__ 1 · 01:00", "constructor 2 · 01:01"]);
  });

  test("the user's label wins over the automatic one", () => {
    const r = { ...run("a", "/f", {}, at(1, 0)), meta: { label: "baseline" } };
    assert.equal(runTitle(r, "01:00"), "baseline");
    assert.equal(runTitle(run("a", "/f", {}, at(1, 0)), "01:00"), "01:00");
  });
});

describe("groups", () => {
  const runs = [run("a", "/w/05b.ts", {}, at(1, 0)), run("b", "/w/09b.ts", {}, at(1, 1)), run("c", "/w/05b.ts", {}, at(1, 2))];

  test("by experiment, in the order of each group's first run, titled with the run's name and file", () => {
    const groups = groupRuns(runs, [byExperiment()]);
    assert.deepEqual(
      groups.map((g) => [g.key, g.title, g.runs.map((r) => r.info.id)]),
      [
        ["/w/05b.ts", "hello → ohlol (RNN) (05b.ts)", ["a", "c"]],
        ["/w/09b.ts", "hello → ohlol (RNN) (09b.ts)", ["b"]],
      ],
    );
    assert.deepEqual(
      runsOf(groups).map((r) => r.info.id),
      ["a", "c", "b"],
    );
  });

  test("a second level nests; a run without a key there stays in its experiment", () => {
    const sweep = { keyOf: (r: Identified) => (r.info.id === "c" ? "sweep" : undefined), titleOf: () => "sweep" };
    // Runs of one file under different names: the group is titled by the file alone.
    const renamed = [...runs, { info: { ...runs[0].info, id: "d", name: "another name" } }];
    assert.deepEqual(
      groupRuns(renamed, [byExperiment()]).map((g) => g.title),
      ["05b.ts", "hello → ohlol (RNN) (09b.ts)"],
    );
    const [first] = groupRuns(runs, [byExperiment(), sweep]);
    assert.deepEqual(
      first.runs.map((r) => r.info.id),
      ["a"],
    );
    assert.deepEqual(
      first.groups.map((g) => [g.title, g.runs.map((r) => r.info.id)]),
      [["sweep", ["c"]]],
    );
  });
});

describe("meta.json", () => {
  let n = 0;
  const folder = (files: Record<string, string | Buffer> = {}) => {
    const dir = path.join(ROOT, `${HOSTILE_NAME}-${n++}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, data] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), data);
    return dir;
  };

  test("a good file: label, tags and note", async () => {
    const dir = folder({ "meta.json": JSON.stringify({ label: "baseline 基线", tags: ["fast", "🧪"], note: "first try\nwith Adam" }) });
    assert.deepEqual(await readRunMeta(dir), { meta: { label: "baseline 基线", tags: ["fast", "🧪"], note: "first try\nwith Adam" } });
    assert.deepEqual(readRunMetaSync(dir), { meta: { label: "baseline 基线", tags: ["fast", "🧪"], note: "first try\nwith Adam" } });
  });

  test("hostile and malformed files give no meta, and say why; never an exception", async () => {
    const cases: [string, string | Buffer, RegExp | null][] = [
      ["not json", "{label:", /not JSON/],
      ["an array", "[1,2]", null],
      ["null", "null", null],
      ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not JSON/],
      ["too large", JSON.stringify({ label: "x", note: "y".repeat(META_CAP) }), /./],
    ];
    for (const [what, data, problem] of cases) {
      const read = await readRunMeta(folder({ "meta.json": data }));
      assert.deepEqual(read.meta, {}, what);
      if (problem) assert.match(read.problem ?? "", problem, what);
    }
    assert.deepEqual(await readRunMeta(folder()), { meta: {} }, "missing: no meta and no problem");
    const dirInstead = folder();
    fs.mkdirSync(path.join(dirInstead, "meta.json"));
    assert.deepEqual((await readRunMeta(dirInstead)).meta, {});
    assert.ok((await readRunMeta(dirInstead)).problem);
    const linked = folder();
    fs.symlinkSync("/etc/passwd", path.join(linked, "meta.json"));
    assert.deepEqual((await readRunMeta(linked)).meta, {});
    assert.ok((await readRunMeta(linked)).problem, "a symbolic link is not followed");
  });

  test("fields of the wrong type are dropped; long texts cut; tags cleaned; control characters gone", () => {
    assert.deepEqual(metaOf({ label: 3, tags: "a, b", note: { x: 1 } }), { tags: ["a", "b"] });
    assert.deepEqual(metaOf({ label: "  \u0000two\nlines\u0007 ", tags: ["", " x ", "x", 5, "y\nz"] }), { label: "two lines", tags: ["x", "y z"] });
    assert.equal([...metaOf({ label: "🧪".repeat(500) }).label!].length, MAX_LABEL);
    assert.equal(metaOf({ note: "n".repeat(MAX_NOTE * 2) }).note!.length, MAX_NOTE);
    assert.equal(cleanTags(Array.from({ length: 100 }, (_, i) => `t${i}`)).length, MAX_TAGS);
    const proto = JSON.parse('{"__proto__": {"label": "inherited"}}');
    assert.deepEqual(metaOf(proto), {});
  });

  test("written by the host, read by the listing and the detail; an empty answer removes a field", async () => {
    const dir = folder({ "run.json": JSON.stringify(hostileRunInfo(ROOT, "r1")) });
    writeRunMeta(dir, editedMeta({}, "label", "lr sweep 🧪"));
    writeRunMeta(dir, editedMeta({ label: "lr sweep 🧪" }, "tags", "fast, ok,fast"));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")), { label: "lr sweep 🧪", tags: ["fast", "ok"] });
    assert.deepEqual(fs.readdirSync(dir).sort(), ["meta.json", "run.json"], "no temporary file left");
    const [listed] = await listRuns(path.dirname(dir), { writeBack: false }).then((runs) => runs.filter((r) => r.dir === dir));
    assert.deepEqual(listed.meta, { label: "lr sweep 🧪", tags: ["fast", "ok"] });
    assert.deepEqual((await readRunDetail(dir, { writeBack: false })).summary.meta, { label: "lr sweep 🧪", tags: ["fast", "ok"] });
    assert.deepEqual(editedMeta({ label: "a", note: "n" }, "label", "  "), { note: "n" });
  });

  test("a damaged meta.json lists the run, marked damaged, without meta", async () => {
    const dir = folder({ "run.json": JSON.stringify(hostileRunInfo(ROOT, "r2")), "meta.json": "{" });
    const [listed] = (await listRuns(path.dirname(dir), { writeBack: false })).filter((r) => r.dir === dir);
    assert.equal(listed.meta, undefined);
    assert.match(listed.damaged ?? "", /meta\.json is not JSON/);
  });

  test("the host's listing labels every run: the user's label, else the automatic one", () => {
    const summary = (id: string, lr: number, label?: string): RunSummary => ({
      info: { ...hostileRunInfo(ROOT, id), hparams: { lr }, startedAt: at(18, Number(id.slice(1))) },
      dir: `/w/${id}`,
      lossCurve: [],
      ...(label ? { meta: { label } } : {}),
    });
    assert.deepEqual(
      labelled([summary("r1", 0.3), summary("r2", 0.1, "best so far")]).map((r) => r.label),
      ["lr 0.3 · 18:01", "best so far"],
    );
  });
});
