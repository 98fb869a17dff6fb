// The in-extension suite: runs inside desktop VS Code's extension host (loaded by @vscode/test-electron
// through --extensionTestsPath, see run.ts) and drives Unroll through the VS Code API rather than the screen:
// activation, hovers and inlay hints from a trace, a shape diagnostic that clears once fixed, a training run.
// The screen-level scenarios (webviews, status bar, reloads, trust) are test/e2e/scenarios.test.ts.
import * as vscode from "vscode";
import * as fs from "node:fs";
import * as path from "node:path";
import assert from "node:assert/strict";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : "value" in c ? c.value : ""))).join("\n");

const tests: [string, (workspace: string) => Promise<void>][] = [
  [
    "activates in under a second and says so",
    async () => {
      const extension = vscode.extensions.all.find((e) => e.id.toLowerCase() === "unroll.unroll");
      assert.ok(extension, "the Unroll extension is installed");
      const api = (await extension.activate()) as { activationMs?: number } | undefined;
      assert.equal(typeof api?.activationMs, "number", "activate() returns { activationMs }");
      console.log(`  Unroll activated in ${api!.activationMs!.toFixed(1)} ms`);
      assert.ok(api!.activationMs! < 1000);
    },
  ],
  [
    "hover and inlay hints show the bidirectional RNN's shapes (02_rnn.ts)",
    async (workspace) => {
      const uri = vscode.Uri.file(path.join(workspace, "02_rnn.ts"));
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      const line = document
        .getText()
        .split("\n")
        .findIndex((l) => l.includes("bi.forward("));
      const position = new vscode.Position(line, document.lineAt(line).text.indexOf("forward") + 2);
      const text = await until("a shape hover", async () => {
        const t = hoverText((await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, position)) ?? []);
        return t.includes("[10, 3, 40]") && t.includes("[8, 3, 20]") ? t : undefined;
      });
      assert.match(text, /\[10, 3, 40\]/);
      const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>("vscode.executeInlayHintProvider", uri, document.lineAt(line).range);
      const labels = (hints ?? []).map((h) => (typeof h.label === "string" ? h.label : h.label.map((p) => p.value).join(""))).join(" ");
      assert.match(labels, /\[10, 3, 40\].*\[8, 3, 20\]/);
    },
  ],
  [
    "a shape mismatch is a diagnostic at its line, gone once fixed",
    async (workspace) => {
      const file = path.join(workspace, "mismatch.ts");
      fs.writeFileSync(
        file,
        'import { nn, torch } from "unroll";\n\nconst lstm = new nn.LSTM(100, 20);\nconst x = torch.randn([10, 3, 50]);\nconst [out] = lstm.forward(x);\nconsole.log(out.shape);\n',
      );
      const uri = vscode.Uri.file(file);
      const document = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(document);
      const unroll = () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === "unroll");
      const [diagnostic] = await until("the shape diagnostic", () => (unroll().length ? unroll() : undefined));
      assert.equal(diagnostic.range.start.line, 4, "at line 5");
      assert.match(diagnostic.message, /\[10, 3, 50\]/);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, document.lineAt(3).range, "const x = torch.randn([10, 3, 100]);");
      await vscode.workspace.applyEdit(edit);
      await document.save();
      await until("the diagnostic to clear", () => unroll().length === 0);
    },
  ],
  [
    "Train Model trains 05b_hello_rnn.ts to ohlol and stores the run",
    async (workspace) => {
      const uri = vscode.Uri.file(path.join(workspace, "05b_hello_rnn.ts"));
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand("unroll.train", uri);
      const runs = path.join(workspace, ".unroll", "runs");
      const info = await until(
        "a completed run in .unroll/runs",
        () => {
          if (!fs.existsSync(runs)) return undefined;
          for (const dir of fs.readdirSync(runs)) {
            const file = path.join(runs, dir, "run.json");
            const run = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : undefined;
            if (run?.status === "completed") return run;
          }
          return undefined;
        },
        120_000,
      );
      assert.equal(info.finalMetrics?.predicted, "ohlol");
      assert.ok(info.finalLoss < 0.6, `final loss ${info.finalLoss}`);
    },
  ],
];

/** The entry @vscode/test-electron calls in the extension host. */
export async function run(): Promise<void> {
  const workspace = process.env.UNROLL_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(workspace, "a workspace folder (a copy of examples/) is open");
  const failures: string[] = [];
  for (const [name, body] of tests) {
    const started = Date.now();
    try {
      await body(workspace);
      console.log(`✔ ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      console.log(`✖ ${name} (${Date.now() - started} ms)\n  ${error instanceof Error ? error.stack : error}`);
      failures.push(name);
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${tests.length} failed: ${failures.join("; ")}`);
}
