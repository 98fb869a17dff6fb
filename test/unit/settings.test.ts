// The extension's settings: package.json declares what settings.ts reads, with the same defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BACKEND_CHOICES, DEFAULTS, KEYS, readSettings } from "../../src/extension/settings";

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8"));
const declared: Record<string, { default: unknown; enum?: string[] }> = manifest.contributes.configuration.properties;

test("every setting package.json declares is read, with the default settings.ts has", () => {
  const read = Object.values(KEYS)
    .map((key) => `unroll.${key}`)
    .sort();
  assert.deepEqual(Object.keys(declared).sort(), read);
  for (const [name, key] of Object.entries(KEYS)) assert.deepEqual(declared[`unroll.${key}`].default, DEFAULTS[name as keyof typeof DEFAULTS], key);
  assert.deepEqual(declared["unroll.backend"].enum, [...BACKEND_CHOICES]);
});

test("readSettings takes what the configuration has, defaults for the rest", () => {
  const config = { get: <T>(key: string, fallback: T): T => (({ runsFolder: "./my runs/", snapshotEvery: 5 })[key] as T) ?? fallback };
  assert.deepEqual(readSettings(config), { ...DEFAULTS, runsFolder: "my runs", snapshotEvery: 5 });
});
