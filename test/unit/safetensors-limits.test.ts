// Safetensors headers built to hurt (src/nn/safetensors-header.ts): nested 100,000 deep (JSON.parse takes it, any
// recursive reader after it overflows its stack) and listing a million tensors. Both readers — the library's,
// whose errors say `safetensors:`, and the checkpoint viewer's, which shows the error — refuse them with a message.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseSafetensors } from "unroll";
import { MAX_DEPTH, MAX_TENSORS, parseHeader } from "../../src/common/safetensors-header";
import { readCheckpoint } from "../../src/runs/safetensors-file";
import { safetensorsBytes } from "./safetensors-bytes";
import { setupBackend } from "./helpers";

before(setupBackend);

const nested = (open: string, close: string, depth: number, inner = "0") => open.repeat(depth) + inner + close.repeat(depth);
const entry = (shape: string) => `{"dtype":"F32","shape":${shape},"data_offsets":[0,0]}`;
/** `n` empty tensors t0, t1, …: a valid header however large. */
const manyTensors = (n: number) => `{${Array.from({ length: n }, (_, i) => `"t${i}":${entry("[0]")}`).join(",")}}`;

const DEEP = /^safetensors: the header nests deeper than 16 levels/;

describe("a deeply nested header", () => {
  const cases: [string, string][] = [
    ["arrays in a shape", `{"w":${entry(nested("[", "]", 100_000))}}`],
    ["objects as an entry", `{"w":${nested('{"a":', "}", 100_000)}}`],
    ["objects in the metadata", `{"__metadata__":${nested('{"a":', "}", 100_000, '"x"')}}`],
    ["arrays as the whole header", nested("[", "]", 100_000)],
    ["mixed arrays and objects", `{"w":${nested('[{"a":', "}]", 50_000)}}`],
    ["just past the limit", `{"w":${entry(nested("[", "]", MAX_DEPTH - 1))}}`],
  ];
  for (const [what, json] of cases) {
    test(`${what}: a safetensors: error, no stack overflow`, () => {
      assert.throws(
        () => parseSafetensors(safetensorsBytes(json)),
        (e: Error) => DEEP.test(e.message) && !/call stack/.test(e.message),
      );
    });
  }

  test("brackets inside names and strings do not count; a header at the limit is checked as usual", () => {
    const names = `{"${"[{".repeat(1000)}\\"]":${entry("[0]")},"__metadata__":{"note":"${"{".repeat(1000)}"}}`;
    const parsed = parseHeader(Buffer.from(names), Buffer.byteLength(names) + 8);
    assert.ok(!("error" in parsed), JSON.stringify(parsed).slice(0, 200));
    assert.equal(parsed.entries[0].name, `${"[{".repeat(1000)}"]`);
    // 16 levels: the header, the entry, then 14 arrays inside the shape — deep, but only a wrong shape.
    const atLimit = `{"w":${entry(nested("[", "]", MAX_DEPTH - 2))}}`;
    assert.throws(() => parseSafetensors(safetensorsBytes(atLimit)), /^Error: safetensors: tensor 'w': shape must be a list of integers ≥ 0, got \[\[\[\[/);
  });
});

describe("a header listing a million tensors", () => {
  test("is refused before it is parsed, with the count and the limit", () => {
    const bytes = safetensorsBytes(manyTensors(1_000_000));
    assert.throws(() => parseSafetensors(bytes), /^Error: safetensors: the header lists 1000000 entries, more than the limit of 100000 tensors$/);
  });

  test("the limit itself passes; one more is refused (the metadata is not a tensor)", () => {
    const json = manyTensors(MAX_TENSORS);
    const withMetadata = `${json.slice(0, -1)},"__metadata__":{"format":"pt"}}`;
    const parsed = parseHeader(Buffer.from(withMetadata), Buffer.byteLength(withMetadata) + 8);
    assert.ok(!("error" in parsed), JSON.stringify(parsed).slice(0, 200));
    assert.equal(parsed.entries.length, MAX_TENSORS);
    const over = `${json.slice(0, -1)},"one more":${entry("[0]")}}`;
    assert.deepEqual(parseHeader(Buffer.from(over), Buffer.byteLength(over) + 8), {
      error: `the header lists ${MAX_TENSORS + 1} entries, more than the limit of ${MAX_TENSORS} tensors`,
    });
  });
});

describe("the checkpoint viewer", () => {
  test("shows why a hostile header is refused, named 循环 网络(1) 🧪.safetensors", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-safetensors-limits-"));
    const file = path.join(dir, "循环 网络(1) 🧪.safetensors");
    fs.writeFileSync(file, safetensorsBytes(`{"w":${entry(nested("[", "]", 100_000))}}`));
    const deep = await readCheckpoint(file);
    assert.match(deep.error ?? "", /^the header nests deeper than 16 levels/);
    assert.deepEqual(deep.tensors, []);
    fs.writeFileSync(file, safetensorsBytes(manyTensors(MAX_TENSORS + 5)));
    assert.equal((await readCheckpoint(file)).error, `the header lists ${MAX_TENSORS + 5} entries, more than the limit of ${MAX_TENSORS} tensors`);
  });
});
