// The CLI and the runner's processes in the user's language (src/runs/language.ts, src/runs/l10n.ts): the
// language from $UNROLL_LANGUAGE (the extension's) or the locale (LC_ALL, LC_MESSAGES, LANG), the bundle read
// with @vscode/l10n, and what real processes print: `unroll` itself, a training process, the tracing process.
// Needs dist/ (built by `npm test`).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { languageOf, localeLanguage } from "../../src/runs/language";
import { childEnvironment } from "../../src/runs/child-environment";
import { bundleFile, t, useLanguage } from "../../src/runs/l10n";
import { startTraining } from "../../src/runs/train-client";
import { TraceClient } from "../../src/runs/trace-client";
import { displayWidth } from "../../src/common/format";
import type { RunEvent } from "../../src/common/protocol";
import { killCliRuns, runCli, TIMEOUT_BUDGET_MS, TIMEOUT_BUDGET_S } from "./helpers";

const ROOT = path.join(__dirname, "../../..");
const DIST = path.join(ROOT, "dist");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-l10n-"));
after(() => {
  killCliRuns();
  useLanguage("en", ROOT);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The locale of a shell: `LANG=zh_CN.UTF-8` and nothing else that would choose a language. */
const locale = (LANG: string) => ({ UNROLL_LANGUAGE: "", LC_ALL: "", LC_MESSAGES: "", LANG });

test("the language comes from the locale as POSIX orders it, or from the extension", () => {
  assert.equal(localeLanguage("zh_CN.UTF-8"), "zh-cn");
  assert.equal(localeLanguage("zh-CN"), "zh-cn");
  assert.equal(localeLanguage("de_DE@euro"), "de-de");
  for (const english of ["C", "C.UTF-8", "POSIX", "", undefined, "../../etc/passwd", "zh_CN/../../x", "a"])
    assert.equal(localeLanguage(english), "en", String(english));
  assert.equal(languageOf({ LANG: "zh_CN.UTF-8" }), "zh-cn");
  assert.equal(languageOf({ LANG: "zh_CN.UTF-8", LC_MESSAGES: "C" }), "en");
  assert.equal(languageOf({ LANG: "C", LC_MESSAGES: "en_US.UTF-8", LC_ALL: "zh_CN.UTF-8" }), "zh-cn");
  assert.equal(languageOf({ LANG: "zh_CN.UTF-8", LC_ALL: "" }), "zh-cn", "an empty variable is unset");
  assert.equal(languageOf({ LANG: "C", UNROLL_LANGUAGE: "zh-cn" }), "zh-cn", "the extension's choice wins");
  assert.equal(languageOf({}), "en");
  assert.equal(childEnvironment({ language: "zh-cn" }).UNROLL_LANGUAGE, "zh-cn");
  assert.deepEqual(childEnvironment({}), { ...process.env });
  assert.equal(childEnvironment({ nativeKernels: false }).UNROLL_NATIVE, "0");
  assert.equal(childEnvironment({ nativeKernels: true }).UNROLL_NATIVE, process.env.UNROLL_NATIVE);
});

test("the bundles are the extension's, found beside dist/; an unreadable one leaves English and says why", () => {
  assert.equal(bundleFile("zh-cn", ROOT), path.join(ROOT, "l10n/bundle.l10n.zh-cn.json"));
  assert.equal(bundleFile("en", ROOT), undefined);
  assert.equal(bundleFile("fr-fr", ROOT), undefined);
  assert.deepEqual(useLanguage("zh-cn", ROOT), { language: "zh-cn" });
  assert.equal(t("epoch {0}/{1}", 3, 10), "轮次 3/10");
  assert.equal(t("no message of the bundle {0}", 1), "no message of the bundle 1");
  assert.deepEqual(useLanguage("fr", ROOT), { language: "en" });
  assert.equal(t("epoch {0}/{1}", 3, 10), "epoch 3/10");

  for (const [name, text] of [
    ["broken", "{ not json"],
    ["array", "[1, 2]"],
  ]) {
    const root = path.join(tmp, name);
    fs.mkdirSync(path.join(root, "l10n"), { recursive: true });
    fs.writeFileSync(path.join(root, "l10n/bundle.l10n.zh-cn.json"), text);
    const spoken = useLanguage("zh-cn", root);
    assert.equal(spoken.language, "en", name);
    assert.match(spoken.error ?? "", /cannot read .*bundle\.l10n\.zh-cn\.json, English it is/, name);
    assert.equal(t("epoch {0}/{1}", 3, 10), "epoch 3/10", name);
  }
  useLanguage("en", ROOT);
});

test("`unroll` speaks Chinese with LANG=zh_CN.UTF-8 and English with LANG=C: usage, help and errors", async () => {
  const zh = await runCli([], { env: locale("zh_CN.UTF-8") });
  assert.equal(zh.code, 2);
  // The names are padded to the longest command ("follow").
  assert.match(zh.stdout, /^用法：unroll <命令> \[选项\]\n\n命令：\n {2}run {5}运行草稿文件并打印它的输出\n/);
  assert.match(zh.stdout, /训练模型文件的实验并保存这次运行/);
  const en = await runCli([], { env: locale("C") });
  assert.match(en.stdout, /^Usage: unroll <command> \[options\]\n\nCommands:\n {2}run {5}run a scratchpad model file and print what it prints\n/);
  assert.doesNotMatch(en.stdout, /训练|运行|命令/);

  const help = await runCli(["train", "--help"], { env: locale("zh_CN.UTF-8") });
  assert.match(help.stdout, /--epochs N {11}覆盖实验的轮次数/);
  const missing = await runCli(["train", "no such model.ts"], { env: locale("zh_CN.UTF-8") });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "unroll：没有这个文件：no such model.ts\n");
  const unknown = await runCli(["trian"], { env: { ...locale("C"), LC_ALL: "zh_CN.UTF-8" } });
  assert.match(unknown.stderr, /^unroll：未知命令“trian”\n\n用法：/);
  const english = await runCli(["train", "no such model.ts"], { env: locale("C") });
  assert.equal(english.stderr, "unroll: no such file: no such model.ts\n");
  const bad = await runCli(["train", "examples/05b_hello_rnn.ts", "--epochs", "zero"], { env: locale("zh_CN.UTF-8") });
  assert.match(bad.stderr, /^unroll: --epochs 必须是正整数，实际为“zero”\n/);
});

test("`unroll train` and `unroll runs` in Chinese: progress, summary and the table, lined up", async () => {
  const runs = path.join(tmp, "runs");
  const zh = await runCli(["train", "examples/05b_hello_rnn.ts", "--epochs", "2", "--runs", runs, "--no-check"], { env: locale("zh_CN.UTF-8") });
  assert.equal(zh.code, 0, zh.stderr);
  assert.match(zh.stdout, /^训练 hello → ohlol \(RNN\)（examples\/05b_hello_rnn\.ts）：2 轮，Adam\n/);
  assert.match(zh.stdout, /\n40 个参数，后端：/);
  assert.match(zh.stdout, /\n轮次 1\/2 {2}损失 1\.4910 {2}predicted "ooooo"\n轮次 2\/2 {2}损失 \d\.\d{4}/);
  assert.match(zh.stdout, /\n完成：2\/2 轮，用时 \d+\.\d 秒：损失 \d\.\d{4} {2}predicted "\w+"\n运行已保存到 /);
  const listed = await runCli(["runs", runs], { env: locale("zh_CN.UTF-8") });
  const [header, row, alike] = listed.stdout.split("\n");
  // One run: no hyperparameter column (none differs from another run's), its own under the table; the best of each
  // metric, its header saying which way is better.
  assert.match(header, /^ID +状态 {4}轮次 {2}损失 {4}指标 +最佳（loss ↓）\s+文件$/);
  assert.match(row, / {2}已完成 {2}2\/2 {3}\d\.\d{4} {2}predicted "\w+" +loss \d\.\d+@\d/);
  assert.match(alike, /^超参数：epochs=2 {2}optimizer=Adam {2}lr=0\.1 /);
  // Columns line up on a terminal, where 已完成 takes 6 columns.
  const column = (line: string, text: string) => displayWidth(line.slice(0, line.indexOf(text)));
  assert.equal(column(row, "已完成"), column(header, "状态"));
  assert.equal(column(row, "2/2"), column(header, "轮次"));
  assert.equal(column(row, "predicted"), column(header, "指标"));
  assert.equal(column(row, "loss "), column(header, "最佳"));
});

test("a training process started in Chinese (as the extension starts it) reports its errors in Chinese", async () => {
  const file = path.join(tmp, "no-experiment.ts");
  fs.writeFileSync(file, 'import { nn } from "unroll";\nexport const rnn = new nn.RNN(4, 4);\n');
  const events: RunEvent[] = [];
  const training = startTraining({ file, runsFolder: path.join(tmp, "runs"), language: "zh-cn" }, (e) => events.push(e), path.join(DIST, "train.js"));
  const result = await training.done;
  assert.equal(result.error?.kind, "export");
  assert.equal(
    result.error?.message,
    "no-experiment.ts 没有导出可训练的实验：请添加 `export default defineExperiment({ epochs, model, data, loss, optimizer })`",
  );
  const english = await startTraining({ file, runsFolder: path.join(tmp, "runs"), language: "en" }, () => {}, path.join(DIST, "train.js")).done;
  assert.match(english.error?.message ?? "", /^no-experiment\.ts exports no experiment to train/);
});

test("the tracing process started in Chinese says a trace timed out in Chinese, at its line", async () => {
  const file = path.join(tmp, "loops.ts");
  fs.writeFileSync(file, 'import { torch } from "unroll";\ntorch.zeros([2]);\nwhile (Date.now() > 0) {}\n');
  const client = new TraceClient({ serverPath: path.join(DIST, "trace-server.js"), backend: "wasm", language: "zh-cn" });
  try {
    const trace = await client.trace(file, { timeoutMs: TIMEOUT_BUDGET_MS });
    assert.equal(trace.error?.kind, "timeout");
    assert.equal(trace.error?.message, `追踪超时（${TIMEOUT_BUDGET_S} 秒），停在第 3 行`);
  } finally {
    client.dispose();
  }
});
