// Issue 20, class 1: data reaches VS Code's UI as text. The escaping helpers (src/extension/ui-text.ts) against hostile
// strings, and a scan of the extension's sources (ui-text-scan.ts) that fails naming file:line for any string built
// from data that reaches a notification, a quick pick, the status bar, a title or a MarkdownString without them.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { MAX_UI_TEXT, markdownCode, markdownText, uiText } from "../../src/extension/ui-text";
import { hoverMarkdown } from "../../src/extension/shapes";
import type { TraceEntry } from "../../src/common/protocol";
import { cellsOf, markupIn, shownText } from "./markdown-shown";
import { findUnescaped } from "./ui-text-scan";
import { withoutBidiControls } from "../../src/common/plain-text";
import { tNodes } from "../../webview/l10n";

const ROOT = path.join(__dirname, "../../..");
const WJ = "\u2060";

/** VS Code's reading of links in a notification (vs/base/common/linkedText.ts, VS Code 1.100). */
const NOTIFICATION_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
/** VS Code's reading of icons in labels, quick picks and the status bar (vs/base/browser/ui/iconLabel/iconLabels.ts). */
const ICON = /(\\)?\$\(([a-z0-9-]+(?:~[a-z]+)?)\)/gi;
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex -- control characters are what these tests look for
const CONTROLS = /[\u0000-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const codePoints = (s: string) => [...s].length;

const COMMAND_LINK = "[Open weights](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)";
const HOSTILE = [
  COMMAND_LINK,
  "[click](https://example.com/x) and [file](file:///etc/passwd 'title')",
  "$(alert) fake $(sync~spin) \\$(x)",
  "<img src=x onerror=alert(1)> <a href='command:x'>a</a> &amp;",
  "\u202Egnp.exe\u202C run \u2066isolated\u2069 \u202Bembed\u202A",
  "line one\nline two\r\nthree\ttabbed\u0000nul\u0007bell\u009bcsi\u2028sep",
  "lone \uD800 high and \uDC00 low, pair 😀 kept",
  "**bold** _em_ ~~strike~~ `code` | cell | # heading > quote - item 1. item",
  "循环 网络(1) 🧪.ts",
  "https://evil.example www.evil.example mail@evil.example",
  "back\\slash\\](command:x)",
];

describe("uiText: data as plain text for notifications, quick picks, the status bar, titles", () => {
  for (const input of HOSTILE) {
    test(`neutralises ${JSON.stringify(input.slice(0, 40))}`, () => {
      const out = uiText(input);
      assert.deepEqual([...out.matchAll(NOTIFICATION_LINK)], [], `no link in ${out}`);
      assert.deepEqual(
        [...out.matchAll(ICON)].filter((m) => !m[1]),
        [],
        `no icon in ${out}`,
      );
      assert.doesNotMatch(out, BIDI_CONTROLS);
      assert.doesNotMatch(out, CONTROLS);
      assert.doesNotMatch(out, LONE_SURROGATE);
      // Nothing else changes: remove what was added (word joiners) and what was neutralised, and the text is the input's.
      const expected = input
        .replace(/\r\n/g, " ")
        .replace(/[\t\n\r\u2028]/g, " ")
        .replace(new RegExp([CONTROLS, BIDI_CONTROLS, LONE_SURROGATE].map((r) => r.source).join("|"), "g"), "\uFFFD");
      assert.equal(out.replaceAll(WJ, ""), expected);
    });
  }

  test("the link of issue 20 shows as its text, and no longer parses as a link", () => {
    const out = uiText(COMMAND_LINK);
    assert.equal(out, COMMAND_LINK.replace("](", `]${WJ}(`));
    assert.equal(`Unroll: the run ${out} has no weights yet`.match(NOTIFICATION_LINK), null);
  });

  test("a link cannot be made of two pieces of data, or of data and the message around it", () => {
    for (const message of [`${uiText("[x]")}${uiText("(command:y)")}`, `[${uiText("x]")}(command:y)`, `${uiText("[x]")}(command:y)`, `${uiText("$")}(alert)`]) {
      assert.equal(message.match(NOTIFICATION_LINK), null, message);
      assert.equal(message.match(ICON), null, message);
    }
  });

  test("a control character or override shows as U+FFFD, line breaks as spaces: the text stays one line", () => {
    assert.equal(uiText("a\u202Eb\nc\u0000d"), "a\uFFFDb c\uFFFDd");
    assert.equal(uiText("\u2066x\u2069"), "\uFFFDx\uFFFD");
  });

  test("a 1 MB string is cut to MAX_UI_TEXT code points, ending in an ellipsis", () => {
    const out = uiText("x".repeat(1 << 20));
    assert.equal(codePoints(out), MAX_UI_TEXT);
    assert.ok(out.endsWith("…"));
    assert.equal(uiText("y".repeat(MAX_UI_TEXT)), "y".repeat(MAX_UI_TEXT), "at the limit: whole");
    assert.equal(uiText("abcdef", 4), "abc…");
  });

  test("the cut never splits a surrogate pair", () => {
    const emoji = "😀".repeat(1000);
    const out = uiText(emoji, 10);
    assert.equal(out, `${"😀".repeat(9)}…`);
    assert.doesNotMatch(out, LONE_SURROGATE);
    assert.equal(uiText("😀😀😀", 3), "😀😀😀", "three code points (six UTF-16 units) fit in 3");
    assert.equal(uiText(`a${"😀".repeat(5)}`, 3), "a😀…");
  });

  test("any value: numbers, undefined, null, objects become their text", () => {
    assert.equal(uiText(0.25), "0.25");
    assert.equal(uiText(undefined), "");
    assert.equal(uiText(null), "");
    assert.equal(uiText({ toString: () => "$(x)" }), `$${WJ}(x)`);
  });
});

describe("markdownText and markdownCode: data inside a MarkdownString", () => {
  for (const input of HOSTILE) {
    test(`markdownText shows ${JSON.stringify(input.slice(0, 40))} as text, with no markup`, () => {
      const md = markdownText(input, 10_000);
      assert.deepEqual(markupIn(md), []);
      assert.equal(shownText(md), uiText(input, 10_000).replaceAll(WJ, "").replace(/\s+/g, " ").trim());
      assert.doesNotMatch(md, BIDI_CONTROLS);
    });
    test(`markdownCode shows ${JSON.stringify(input.slice(0, 40))} as code, with no other markup`, () => {
      const md = markdownCode(input, { max: 10_000 });
      assert.deepEqual(markupIn(md), ["code", "code"]);
      assert.equal(shownText(md), uiText(input, 10_000).replaceAll(WJ, "").trim());
    });
  }

  test("inside a message with markup of its own, the data stays one cell, one span, one paragraph", () => {
    const row = `| ${markdownCode("a | b ` c", { table: true })} | ${markdownText("x | [y](https://e.x) *z*")} |`;
    const table = ["| name | value |", "|---|---|", row].join("\n");
    assert.deepEqual(markupIn(table, ["code"]), []);
    assert.deepEqual(cellsOf(table), ["name", "value", "a | b ` c", "x | [y](https://e.x) *z*"]);
    assert.equal(shownText(`**Shape error**: ${markdownText("<b>*x*</b>")}`), "Shape error: <b>*x*</b>");
  });

  test("a backslash at the end of the data cannot escape the markup after it", () => {
    assert.deepEqual(markupIn(`**${markdownText("x\\")}**`), ["strong", "strong"]);
  });

  test("long data is cut with an ellipsis, in markdown as in plain text", () => {
    assert.equal(shownText(markdownText("m".repeat(1 << 20))), `${"m".repeat(MAX_UI_TEXT - 1)}…`);
    assert.equal(markdownCode("c".repeat(1 << 20)).length, MAX_UI_TEXT + 2);
  });
});

describe("hoverMarkdown: a trace's names and errors show as text", () => {
  const location = { file: "/w/m.ts", line: 1, column: 1 };
  const hostile: TraceEntry = {
    kind: "module",
    location,
    name: "[x](https://e.x)",
    config: "Evil(`a`) <img src=x>",
    parameters: [{ name: "w | [x](command:y) `b`", shape: [2, 2], count: 4 }],
    parameterCount: 4,
    count: 1,
    error: "[Open weights](command:workbench.action.terminal.sendSequence) **bold** <img src=x onerror=alert(1)> \u202Eevil",
  };

  test("an error with a link, HTML and an override renders as its text", () => {
    const md = hoverMarkdown(hostile);
    assert.deepEqual(markupIn(md, ["strong", "code"]), []);
    const shown = shownText(md);
    assert.match(
      shown,
      /Shape error: \[Open weights\]\(command:workbench\.action\.terminal\.sendSequence\) \*\*bold\*\* <img src=x onerror=alert\(1\)> \uFFFDevil/,
    );
    assert.ok(shown.includes("Evil(`a`) <img src=x>"), shown);
    assert.ok(shown.includes("w | [x](command:y) `b`"), shown);
    assert.doesNotMatch(md, BIDI_CONTROLS);
  });

  test("a parameter name with a pipe stays in its cell", () => {
    const cells = cellsOf(hoverMarkdown(hostile));
    assert.deepEqual(cells.slice(3, 6), ["w | [x](command:y) `b`", "[2, 2]", "4"]);
  });

  test("a shape that is not numbers shows as NaN, not as markup", () => {
    const md = hoverMarkdown({ ...hostile, error: undefined, parameters: [{ name: "w", shape: ["[x](https://e.x)"] as unknown as number[], count: 1 }] });
    assert.deepEqual(markupIn(md, ["strong", "code"]), []);
    assert.ok(shownText(md).includes("[NaN]"));
  });
});

describe("the scan finds data that reaches VS Code's UI unescaped", () => {
  const scan = (text: string) =>
    findUnescaped([{ name: "src/extension/sample.ts", text }]).map((f) => `${f.line}: ${f.text} → ${f.sink.replace(/ \(.*\)$/, "")}`);

  test("flags each kind of sink given data, and nothing given literals, numbers or escaped data", () => {
    const source = `
import * as vscode from "vscode";
import { uiText, markdownText } from "./ui-text";
const status = (s: string) => ({ running: vscode.l10n.t("running"), failed: vscode.l10n.t("failed") })[s];
const fixed = vscode.l10n.t("Stop");
const title = (file: string) => vscode.l10n.t("Unroll: {0}", uiText(file));
const badTitle = (file: string) => vscode.l10n.t("Unroll: {0}", file);
function bad(run: { info: { id: string; name: string } }, item: vscode.StatusBarItem, panel: vscode.WebviewPanel, error: Error, quickPick: vscode.QuickPick<vscode.QuickPickItem>, progress: vscode.Progress<{ message?: string }>) {
  void vscode.window.showWarningMessage(vscode.l10n.t("the run {0} has no weights yet", run.info.id));
  void vscode.window.showErrorMessage(\`Unroll: \${error.message}\`);
  void vscode.window.showInformationMessage("x", { modal: true, detail: run.info.name });
  void vscode.window.showQuickPick([run].map((r) => ({ label: r.info.name, description: status("running") })));
  item.text = "$(check) " + run.info.name;
  item.tooltip = new vscode.MarkdownString(run.info.name);
  panel.title = badTitle(run.info.id);
  const md = new vscode.MarkdownString(vscode.l10n.t("x {0}", markdownText(run.info.id)));
  md.isTrusted = true;
  vscode.window.setStatusBarMessage(error.message, 5000);
  const parts = [vscode.l10n.t("a")];
  parts.push(run.info.name);
  item.tooltip = parts.join(" · ");
  quickPick.items = [run].map((r) => ({ label: r.info.id }));
  progress.report({ message: run.info.name, increment: 1 });
  new vscode.MarkdownString().appendText(run.info.name).appendMarkdown(run.info.id);
}
function good(run: { info: { id: string; name: string; loss?: number } }, item: vscode.StatusBarItem, panel: vscode.WebviewPanel) {
  void vscode.window.showWarningMessage(vscode.l10n.t("the run {0} has no weights yet", uiText(run.info.id)), fixed);
  void vscode.window.showInformationMessage(vscode.l10n.t("loss {0} after {1} s", run.info.loss?.toFixed(4) ?? "–", Math.round(2.5) / 10));
  void vscode.window.showQuickPick([run].map((r) => ({ label: uiText(r.info.name), description: status("failed"), run: r })), { title: fixed });
  item.text = \`$(check) \${uiText(run.info.name)}\`;
  item.tooltip = new vscode.MarkdownString(vscode.l10n.t("**{0}**", markdownText(run.info.name)));
  panel.title = title(run.info.id);
  const trusted = new vscode.MarkdownString(vscode.l10n.t("[Manage](command:workbench.trust.manage)"));
  trusted.isTrusted = { enabledCommands: ["workbench.trust.manage"] };
  const parts = [vscode.l10n.t("a")];
  parts.push(uiText(run.info.name));
  item.tooltip = parts.join(" · ");
  ensure(vscode.l10n.t("Training"));
}
function ensure(what: string) {
  void vscode.window.showWarningMessage(vscode.l10n.t("Unroll: {0} needs trust", what));
}
`;
    assert.deepEqual(scan(source), [
      "9: run.info.id → showWarningMessage",
      "10: error.message → showErrorMessage",
      "11: run.info.name → showInformationMessage",
      "12: r.info.name → showQuickPick",
      "13: run.info.name → .text =",
      "14: run.info.name → MarkdownString",
      "15: run.info.id → .title =",
      "17: md.isTrusted → isTrusted on a MarkdownString not made of literal text",
      "18: error.message → setStatusBarMessage",
      "20: run.info.name → .tooltip =",
      "22: r.info.id → .items =",
      "23: run.info.name → report",
      "24: run.info.id → appendMarkdown",
    ]);
  });

  test("a parameter is data when any caller passes data", () => {
    const source = `
import * as vscode from "vscode";
function ensure(what: string) {
  void vscode.window.showWarningMessage(vscode.l10n.t("Unroll: {0} needs trust", what));
}
ensure(vscode.l10n.t("Training"));
ensure(process.argv[2]);
`;
    assert.deepEqual(scan(source), ["7: process.argv → showWarningMessage"]);
  });

  test("src/extension: every string built from data goes through ui-text.ts", () => {
    const dir = path.join(ROOT, "src/extension");
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => ({ name: `src/extension/${f}`, text: fs.readFileSync(path.join(dir, f), "utf8") }));
    assert.ok(files.length > 10);
    const findings = findUnescaped(files).map((f) => `${f.file}:${f.line}: ${f.text} reaches ${f.sink} without uiText/markdownText`);
    assert.deepEqual(findings, []);
  });
});

describe("the webviews' pieces: tNodes puts data in a message as nodes; bidi controls become U+FFFD", () => {
  test("tNodes keeps each argument as it is, in its place, numbers as text", () => {
    const name = { bdi: "olleh" } as unknown as Node;
    assert.deepEqual(tNodes("damaged: {0}", name), ["damaged: ", name]);
    assert.deepEqual(tNodes("{1} before {0}", "a", 2), ["2", " before ", "a"]);
    assert.deepEqual(tNodes("A: {0} · B: {1}", name), ["A: ", name, " · B: ", "{1}"], "a missing argument leaves its placeholder");
  });

  test("withoutBidiControls turns every embedding, override and isolate into U+FFFD, and nothing else", () => {
    const controls = "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069";
    assert.equal(withoutBidiControls(`a${controls}b`), `a${"\uFFFD".repeat(9)}b`);
    assert.equal(withoutBidiControls("שלום \u200F 循环 😀"), "שלום \u200F 循环 😀", "right-to-left letters and marks stay");
  });
});
