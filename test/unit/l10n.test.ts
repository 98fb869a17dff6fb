// Unroll in every language it ships (l10n/README.md): each string the extension host and the webviews show goes through
// `vscode.l10n.t("…")` or `t("…")`, with its English as the key, and has its translation in each bundle; no bundle
// keeps a string nothing shows; the manifest's %keys% have their strings in each package.nls.*.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { english, fillMessage } from "../../src/common/format";
import { explainShape, hoverMarkdown } from "../../src/extension/shapes";
import type { TraceEntry } from "../../src/common/protocol";
import { shownText } from "./markdown-shown";

const ROOT = path.join(__dirname, "../../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const json = (file: string) => JSON.parse(read(file)) as Record<string, string>;
const LANGUAGES = ["zh-cn"];
const tsFiles = (dir: string) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => path.join(dir, f));
/** Where the strings users see live: the extension host and the webviews (vscode.l10n.t, t of webview/l10n.ts); the CLI
 *  and the runner's processes (t of src/runs/l10n.ts, @vscode/l10n). */
const HOST = [...tsFiles("src/extension"), ...tsFiles("webview")];
const PROCESSES = [...tsFiles("src/cli"), ...tsFiles("src/runner"), ...tsFiles("src/runs")];
const SOURCES = [...HOST, ...PROCESSES];

/** Every message of `l10n.t(…)` / `t(…)` / `tNodes(…)` calls: string literals only (a template or a variable cannot be looked up). */
export function messagesIn(source: string): { keys: string[]; dynamic: string[] } {
  const keys: string[] = [];
  const dynamic: string[] = [];
  for (const m of source.matchAll(/(?:(?<![\w.])|(?<=\.\.\.))(?:vscode\.l10n\.t|tNodes|t)\(\s*(?=\S)/g)) {
    const rest = source.slice(m.index + m[0].length);
    const literal = /^("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*[,)]/.exec(rest);
    if (literal) keys.push(JSON.parse(literal[1][0] === "'" ? `"${literal[1].slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"` : literal[1]));
    else dynamic.push(rest.slice(0, 40));
  }
  return { keys, dynamic };
}

const used = new Map<string, string>(); // message → the first file using it
for (const file of SOURCES) {
  const { keys, dynamic } = messagesIn(read(file));
  test(`${file}: every t(…) has a literal message`, () => assert.deepEqual(dynamic, []));
  for (const key of keys) if (!used.has(key)) used.set(key, file);
}

/** A literal's own words: without its ${…} parts (balanced) and codicons ($(play)). */
function words(quoted: string): string {
  let out = "";
  for (let i = 1, depth = 0; i < quoted.length - 1; i++) {
    if (quoted.startsWith("${", i) && ++depth) i++;
    else if (depth && quoted[i] === "{") depth++;
    else if (depth && quoted[i] === "}") depth--;
    else if (!depth) out += quoted[i];
  }
  return out.replace(/\$\([\w~-]+\)/g, "");
}

const placeholders = (s: string) =>
  [...s.matchAll(/\{(\d+)\}/g)]
    .map((m) => m[1])
    .sort()
    .join(",");

for (const language of LANGUAGES) {
  const bundle = json(`l10n/bundle.l10n.${language}.json`);
  test(`every message shown has its ${language} translation, with the same placeholders`, () => {
    const missing = [...used.keys()].filter((k) => !bundle[k]?.trim()).map((k) => `${used.get(k)}: ${k}`);
    assert.deepEqual(missing, []);
    for (const [k, v] of Object.entries(bundle)) assert.equal(placeholders(v), placeholders(k), `${k} → ${v}`);
  });
  test(`the ${language} bundle has no message nothing shows`, () => {
    assert.deepEqual(
      Object.keys(bundle).filter((k) => !used.has(k)),
      [],
    );
  });
  test(`package.nls.${language}.json translates every string of package.nls.json`, () => {
    const nls = json("package.nls.json");
    const translated = json(`package.nls.${language}.json`);
    assert.deepEqual(Object.keys(translated).sort(), Object.keys(nls).sort());
    for (const [k, v] of Object.entries(translated)) assert.ok(v.trim(), k);
  });
}

test("the manifest's %keys% are all in package.nls.json, and its keys all used", () => {
  const manifest = read("package.json");
  const keys = new Set([...manifest.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));
  const nls = Object.keys(json("package.nls.json"));
  assert.deepEqual(
    [...keys].filter((k) => !nls.includes(k)),
    [],
  );
  assert.deepEqual(
    nls.filter((k) => !keys.has(k)),
    [],
  );
});

test("no string is shown untranslated: messages, titles, labels and text children go through t()", () => {
  const literal = /("[^"]*"|'[^']*'|`[^`]*`)/.source;
  const raw = new RegExp(
    [
      `(?:show(?:Information|Warning|Error)Message|setStatusBarMessage|createStatusBarItem|MarkdownString)\\(\\s*${literal}`,
      `\\b(?:title|tooltip|label|xLabel|yLabel|y2Label|detail|placeholder|"aria-label"):\\s*${literal}`,
      `\\bh\\("(?:p|h3|h4|th|label|strong|button)",\\s*\\{[^}]*\\},\\s*${literal}`,
    ].join("|"),
    "g",
  );
  const found = SOURCES.flatMap((file) =>
    [...read(file).matchAll(raw)].filter((m) => /[A-Za-z]{2}/.test(words(m.slice(1).find(Boolean)!))).map((m) => `${file}: ${m[0]}`),
  );
  // Not words: the status bar item's id, the learning-rate series' short name.
  assert.deepEqual(
    found.filter((f) => !/createStatusBarItem\("unroll\.training"|label: "lr"/.test(f)),
    [],
  );
});

/** What the CLI and the runner's processes say that is not translated yet, and why (each listed by file and words). */
const ENGLISH_FOR_NOW = [
  // The run store's reasons why a run is damaged, and its disk errors: the host shows them too, where this module
  // (in src/runs) has no bundle.
  /^src\/runs\/run-store\.ts: /,
  /^src\/runs\/read-file\.ts: /, // the run store's file opening: why a file cannot be read
  // The checkpoint reader's errors: read in the host (the checkpoint viewer), which has no bundle here.
  /^src\/runs\/safetensors-file\.ts: /,
  // Errors of Unroll itself (exit code 70), for a bug report: "train.js: …".
  /^src\/runner\/train-process\.ts: .*train\.js: /,
  // Why a bundle could not be read, said in English since no bundle can be.
  /^src\/runs\/l10n\.ts: /,
];

test("the CLI and the runner's processes say nothing untranslated: printed lines, errors and messages go through t()", () => {
  const literal = /("[^"]*"|'[^']*'|`[^`]*`)/.source;
  const raw = new RegExp(
    [
      `console\\.(?:log|error)\\(\\s*${literal}`,
      `\\bnew (?:Error|RunFailure|StoreError)\\(\\s*${literal}`,
      `\\bfail\\(\\s*${literal}`,
      `\\bmessage:\\s*${literal}`,
      `\\.line\\(\\s*${literal}`,
      `\\b(?:why|where|hint|change|how)\\s*=\\s*${literal}`,
    ].join("|"),
    "g",
  );
  // "unroll: …" prefixes a message with the program's name, which stays.
  const found = PROCESSES.flatMap((file) =>
    [...read(file).matchAll(raw)].filter((m) => /[A-Za-z]{2}/.test(words(m.slice(1).find(Boolean)!).replace(/\bunroll\b/g, ""))).map((m) => `${file}: ${m[0]}`),
  );
  assert.deepEqual(
    found.filter((f) => !ENGLISH_FOR_NOW.some((allowed) => allowed.test(f))),
    [],
  );
});

test("the walkthrough's media are files, each with its translation beside it where VS Code looks (X.nls.<language>.md)", () => {
  // VS Code does not resolve %keys% in a step's media paths: it reads X.nls.zh-cn.md instead of X.md itself.
  const manifest = JSON.parse(read("package.json")) as { contributes: { walkthroughs: { steps: { id: string; media: Record<string, string> }[] }[] } };
  const steps = manifest.contributes.walkthroughs.flatMap((w) => w.steps);
  assert.equal(steps.length, 8);
  for (const { id, media } of steps) {
    const file = media.markdown ?? media.svg ?? media.image;
    assert.match(file, /^media\/walkthrough\/[\w-]+\.(md|svg|png)$/, id);
    for (const language of ["", ...LANGUAGES.map((l) => `.nls.${l}`)]) {
      const translated = file.replace(/\.md$/, `${language}.md`);
      assert.ok(fs.existsSync(path.join(ROOT, translated)), translated);
      // Its images, relative to the English file's folder (the base VS Code gives every language).
      for (const [, image] of read(translated).matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
        assert.ok(fs.existsSync(path.join(ROOT, path.dirname(file), image)), `${translated}: ${image}`);
      }
    }
  }
});

test("the Chinese walkthrough pages break no sentence across lines between two Chinese characters", () => {
  // Markdown turns a line break inside a paragraph into a space, which shows between Chinese characters.
  const chinese = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;
  const pages = fs.readdirSync(path.join(ROOT, "media/walkthrough")).filter((f) => f.endsWith(".nls.zh-cn.md"));
  assert.ok(pages.length >= 7);
  for (const page of pages) {
    const lines = read(`media/walkthrough/${page}`).split("\n");
    lines.slice(1).forEach((line, i) => {
      const before = lines[i];
      const prose = before && !before.startsWith("#") && line && !/^[#\-*|!<>]/.test(line);
      assert.ok(!(prose && chinese.test(before.slice(-1)) && chinese.test(line[0])), `${page}:${i + 2}: ${before.slice(-8)}⏎${line.slice(0, 8)}`);
    });
  }
});

test("messages fill their placeholders as vscode.l10n.t does", () => {
  assert.equal(english("epoch {0}/{1}", 3, 10), "epoch 3/10");
  assert.equal(fillMessage("{1} before {0}, {2} stays", ["a", "b"]), "b before a, {2} stays");
});

test("a shape error is explained in the user's words under PyTorch's English, from its fields", () => {
  const zh = json("l10n/bundle.l10n.zh-cn.json");
  const t = (message: string, ...args: (string | number)[]) => fillMessage(zh[message] ?? message, args);
  const problem = { module: "LSTM(100, 20)", operand: "input", got: [10, 3, 50], expected: { lastDim: 100, name: "input_size" } };
  assert.equal(explainShape(problem, t), "输入的最后一维应为 100（input_size），实际为 50。");
  const entry: TraceEntry = {
    kind: "call",
    name: "LSTM",
    location: { file: "/m.ts", line: 3, column: 1 },
    count: 1,
    error: "LSTM(100, 20) got input [10, 3, 50]: the last dimension must be 100 (input_size), not 50",
    shapeError: problem,
  };
  const md = hoverMarkdown(entry, { t, locale: "zh-cn", explain: true });
  // The hover's markdown escapes the trace's text (ui-text.ts): what it shows is the error, then the explanation.
  assert.match(shownText(md), /the last dimension must be 100 \(input_size\), not 50\n输入的最后一维应为 100（input_size），实际为 50。/);
  assert.doesNotMatch(hoverMarkdown(entry), /输入/);
  assert.equal(
    explainShape({ ...problem, operand: "h0", expected: { shape: [1, 3, 20] }, got: [2, 3, 20] }, t),
    "h0 的形状应为 [1, 3, 20]，实际为 [2, 3, 20]。",
  );
});
