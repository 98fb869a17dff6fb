// The storeys' boundaries, enforced (see eslint.config.mjs and docs/ARCHITECTURE.md): the extension host's bundle
// loads nothing but VS Code and Node, and each folder's lint rule refuses the imports that would break the storeys.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";

const ROOT = path.join(__dirname, "../../..");

/** The modules a bundle requires at run time. */
function requiresOf(bundle: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, "dist", bundle), "utf8");
  return [...new Set([...text.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]))].sort();
}

const builtin = (id: string) => id.startsWith("node:") || builtinModules.includes(id.split("/")[0]);

test("dist/extension.js requires nothing but vscode and Node's built-ins", () => {
  const foreign = requiresOf("extension.js").filter((id) => id !== "vscode" && !builtin(id));
  assert.deepEqual(foreign, []);
  const text = fs.readFileSync(path.join(ROOT, "dist/extension.js"), "utf8");
  assert.doesNotMatch(text, /@tensorflow\/tfjs-core|registerKernel\(/, "no TensorFlow.js inside the host bundle");
});

/** Per folder: imports a throw-away file there must be refused (true) or may make (false). */
const FOLDER_RULES: Record<string, [specifier: string, refused: boolean][]> = {
  "src/common": [
    ["../runs/run-file", true],
    ["./../runs/run-file", true],
    ["../nn/tensor", true],
    ["node:fs", true],
    ["@tensorflow/tfjs-core", true],
    ["./protocol", false],
  ],
  "src/nn": [
    ["../runs/run-store", true],
    ["../runner/training", true],
    ["../extension/commands", true],
    ["unroll", true],
    ["vscode", true],
    ["../common/protocol", false],
    ["@tensorflow/tfjs-core", false],
    ["./tf", false],
  ],
  "src/runs": [
    ["unroll", true],
    ["../nn", true],
    ["../nn/safetensors", true],
    ["@tensorflow/tfjs-core", true],
    ["../runner/training", true],
    ["../cli/args", true],
    ["../extension/commands", true],
    ["vscode", true],
    ["../common/protocol", false],
    ["./run-file", false],
    ["node:fs", false],
  ],
  "src/runner": [
    ["../cli/args", true],
    ["../extension/commands", true],
    ["vscode", true],
    ["unroll", false],
    ["../runs/run-store", false],
    ["../common/protocol", false],
  ],
  "src/cli": [
    ["../extension/commands", true],
    ["vscode", true],
    ["../runner/model-file", false],
    ["../runs/train-client", false],
  ],
  "src/extension": [
    ["unroll", true],
    ["../nn", true],
    ["../nn/tensor", true],
    ["@tensorflow/tfjs-core", true],
    ["../runner/training", true],
    ["../cli/args", true],
    ["../runs/trace-client", false],
    ["../common/protocol", false],
    ["vscode", false],
  ],
  "src/ts-plugin": [
    ["../common/protocol", true],
    ["../runs/run-store", true],
    ["unroll", true],
    ["typescript", false],
  ],
  webview: [
    ["node:fs", true],
    ["vscode", true],
    ["unroll", true],
    ["../src/runs/run-store", true],
    ["../src/nn/tensor", true],
    ["../src/extension/commands", true],
    ["../src/common/protocol", false],
    ["./l10n", false],
  ],
};

test("each folder's lint rule refuses the imports of the storeys above it", { timeout: 120_000 }, async () => {
  const { ESLint } = (await import("eslint")) as typeof import("eslint");
  const eslint = new ESLint({ cwd: ROOT });
  for (const [folder, imports] of Object.entries(FOLDER_RULES)) {
    for (const [specifier, expected] of imports) {
      const code = `import * as probe from "${specifier}";\nexport const used = probe;\n`;
      const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, folder, "probe.ts") });
      const messages = result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
      assert.equal(messages.length > 0, expected, `${folder}/probe.ts imports "${specifier}" → ${messages.join("; ") || "allowed"}`);
    }
  }
});

test("every folder of src/ has a lint rule, and the test above tries it", { timeout: 60_000 }, async () => {
  const { ESLint } = (await import("eslint")) as typeof import("eslint");
  const eslint = new ESLint({ cwd: ROOT });
  const folders = fs.readdirSync(path.join(ROOT, "src"), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  for (const { name } of folders) {
    const config = await eslint.calculateConfigForFile(path.join(ROOT, "src", name, "probe.ts"));
    assert.ok(config.rules?.["no-restricted-imports"], `src/${name} has no import rule`);
    assert.ok(FOLDER_RULES[`src/${name}`], `src/${name} is not tried by the test above`);
  }
});
