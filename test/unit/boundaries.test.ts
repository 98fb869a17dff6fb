// The rooms' boundaries, enforced (see eslint.config.mjs and the README's Development section): the extension
// host's bundle loads nothing but VS Code and Node, and the lint rules refuse the imports that would break that.
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

test("the lint rules refuse imports across the rooms' boundaries", { timeout: 120_000 }, async () => {
  const { ESLint } = (await import("eslint")) as typeof import("eslint");
  const eslint = new ESLint({ cwd: ROOT });
  const refused = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
  };
  const cases: [file: string, code: string, refused: boolean][] = [
    ["src/extension/probe.ts", 'import { tf } from "unroll";\nvoid tf;\n', true],
    ["src/extension/probe.ts", 'import { nn } from "../nn";\nvoid nn;\n', true],
    ["src/extension/probe.ts", 'import { train } from "../runner/training";\nvoid train;\n', true],
    ["src/extension/probe.ts", 'import { TraceClient } from "../runner/trace-client";\nvoid TraceClient;\n', false],
    ["src/runner/trace-client.ts", 'import { tf } from "unroll";\nvoid tf;\n', true],
    ["src/runner/safetensors-file.ts", 'import { parseSafetensors } from "../nn/safetensors";\nvoid parseSafetensors;\n', true],
    ["src/runner/safetensors-file.ts", 'import { BYTES } from "../nn/safetensors-dtypes";\nvoid BYTES;\n', false],
    ["src/runner/safetensors-file.ts", 'import { parseHeader } from "../nn/safetensors-header";\nvoid parseHeader;\n', false],
    ["src/nn/safetensors-header.ts", 'import { BYTES } from "./safetensors-dtypes";\nvoid BYTES;\n', false],
    ["src/nn/safetensors-header.ts", 'import { tf } from "./tf";\nvoid tf;\n', true],
    ["src/nn/safetensors-dtypes.ts", 'import * as fs from "node:fs";\nvoid fs;\n', true],
    ["src/runner/training.ts", 'import { tf } from "unroll";\nvoid tf;\n', false],
    ["src/runner/probe.ts", 'import { x } from "../cli/args";\nvoid x;\n', true],
    ["webview/probe.ts", 'import * as fs from "node:fs";\nvoid fs;\n', true],
    ["webview/probe.ts", 'import type { Trace } from "../src/protocol";\nexport type T = Trace;\n', false],
    ["src/nn/probe.ts", 'import type { Trace } from "../protocol";\nexport type T = Trace;\n', true],
    ["src/protocol.ts", 'import * as fs from "node:fs";\nvoid fs;\n', true],
    ["src/protocol.ts", 'import type { DynamicsRecord } from "./nn/dynamics-types";\nexport type D = DynamicsRecord;\n', false],
    ["src/protocol.ts", 'import { recordDynamics } from "./nn/dynamics-hooks";\nvoid recordDynamics;\n', true],
  ];
  for (const [file, code, expected] of cases) {
    const messages = await refused(file, code);
    assert.equal(messages.length > 0, expected, `${file}: ${code.split("\n")[0]} → ${messages.join("; ") || "allowed"}`);
  }
});
