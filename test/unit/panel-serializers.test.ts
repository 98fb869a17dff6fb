// Every webview panel that VS Code restores after a reload (a class calling registerWebviewPanelSerializer) has its
// `onWebviewPanel:<viewType>` activation event in package.json: without it, a panel left open (the explorer, the Runs
// table) comes back blank when Unroll has not been activated by something else first.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "../../..");

test("each panel serializer's view type has its onWebviewPanel activation event", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { activationEvents: string[] };
  const folder = path.join(root, "src/extension");
  const restored: string[] = [];
  for (const file of fs.readdirSync(folder).filter((f) => f.endsWith(".ts"))) {
    const source = fs.readFileSync(path.join(folder, file), "utf8");
    if (!source.includes("registerWebviewPanelSerializer(")) continue;
    const viewType = /static readonly viewType = "([^"]+)"/.exec(source)?.[1];
    assert.ok(viewType, `${file} registers a serializer: its class names its viewType`);
    restored.push(viewType);
  }
  assert.deepEqual(restored.sort(), ["unroll.explorer", "unroll.runsTable"]);
  for (const viewType of restored) assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${viewType}`), `onWebviewPanel:${viewType}`);
});
