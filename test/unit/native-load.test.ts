// Finding and loading the native kernels (src/nn/native-load.ts): the CPU variant chosen from /proc/cpuinfo's
// flags, hostile cpuinfo text, missing and broken modules falling back to wasm with the reason, and each built
// variant loading, passing its self-check and holding the instructions it is named after.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { useBackend } from "unroll";
import { chooseVariant, cpuFlags, loadNativeAddon, prebuildDirs, VARIANTS, VARIANT_ENV } from "../../src/nn/native-load";

const SKYLAKE_X = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx avx2 fma f16c avx512f avx512cd avx512bw avx512dq avx512vl\n";
const HASWELL =
  "processor\t: 0\nflags\t\t: fpu sse sse2 ssse3 sse4_2 avx avx2 fma f16c bmi2\n\nprocessor\t: 1\nflags\t\t: avx512f avx512cd avx512bw avx512dq avx512vl\n";
const ALL = VARIANTS.map((v) => v.name);

/** A folder with (empty) module files of the given variants. */
function fakePrebuilds(variants: string[], content = ""): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "unroll-prebuilds-"));
  for (const v of variants) fs.writeFileSync(path.join(dir, `unroll_native_${v}.node`), content);
  return dir;
}

/** Runs `body` with an environment variable set (or removed: undefined), then restores it. */
async function withEnv<T>(name: string, value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env[name];
    else process.env[name] = saved;
  }
}

describe("the CPU's flags", () => {
  test("come from the first processor's flags line", () => {
    assert.ok(cpuFlags(SKYLAKE_X).has("avx512vl"));
    const haswell = cpuFlags(HASWELL);
    assert.ok(haswell.has("avx2") && haswell.has("fma"));
    assert.ok(!haswell.has("avx512f"), "the second processor's line is not read");
  });

  test("hostile or foreign cpuinfo text gives no flags (only the baseline then)", () => {
    const hostile = ["", "garbage", "flags", "flags:", "\u0000\u00ff".repeat(5000), "Features\t: fp asimd sve\n", "x".repeat(2 << 20)];
    for (const text of hostile) {
      const flags = cpuFlags(text);
      assert.ok(!flags.has("avx2"), JSON.stringify(text.slice(0, 20)));
      const dir = fakePrebuilds(ALL);
      assert.equal(chooseVariant(dir, flags).name, "baseline");
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe("the variant chosen", () => {
  test("is the best one built that the CPU runs", () => {
    const all = fakePrebuilds(ALL);
    const noAvx512 = fakePrebuilds(["avx2", "baseline"]);
    try {
      assert.equal(chooseVariant(all, cpuFlags(SKYLAKE_X)).name, "avx512");
      assert.equal(chooseVariant(all, cpuFlags(HASWELL)).name, "avx2");
      assert.equal(chooseVariant(noAvx512, cpuFlags(SKYLAKE_X)).name, "avx2");
      assert.equal(chooseVariant(all, new Set(["avx", "avx2", "f16c"])).name, "baseline", "AVX2 without FMA is not enough");
    } finally {
      fs.rmSync(all, { recursive: true });
      fs.rmSync(noAvx512, { recursive: true });
    }
  });

  test("can be asked for, but never one the CPU cannot run", () => {
    const all = fakePrebuilds(ALL);
    const baselineOnly = fakePrebuilds(["baseline"]);
    try {
      assert.equal(chooseVariant(all, cpuFlags(SKYLAKE_X), "avx2").name, "avx2");
      assert.throws(
        () => chooseVariant(all, cpuFlags(HASWELL), "avx512"),
        /the CPU lacks avx512f, avx512cd, avx512bw, avx512dq, avx512vl for the avx512 variant/,
      );
      assert.throws(() => chooseVariant(all, cpuFlags(SKYLAKE_X), "sse9"), /unknown variant 'sse9'/);
      assert.throws(() => chooseVariant(baselineOnly, cpuFlags(SKYLAKE_X), "avx2"), /no avx2 variant in/);
      assert.throws(() => chooseVariant(fakePrebuilds([]), new Set()), /no variant in .* that this CPU runs/);
    } finally {
      fs.rmSync(all, { recursive: true });
      fs.rmSync(baselineOnly, { recursive: true });
    }
  });
});

describe("loading", () => {
  test("no modules: says they are not built and how to build them", () => {
    assert.throws(
      () => loadNativeAddon({ dirs: [path.join(os.tmpdir(), "unroll-no-such-folder")] }),
      /not built for \w+-\w+ \(apt-get install g\+\+ libeigen3-dev, then npm run build:native\)/,
    );
  });

  test("a broken module: says which and why, without crashing", () => {
    for (const content of ["", "\u007fELF garbage", "module.exports = 1"]) {
      const dir = fakePrebuilds(["baseline"], content);
      try {
        assert.throws(() => loadNativeAddon({ dirs: [dir], flags: new Set() }), /^Error: unroll_native_baseline\.node failed to load: .+/);
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
    }
  });

  test("useBackend falls back to wasm and says why when the module cannot be used", async () => {
    const report = await withEnv(VARIANT_ENV, "sse9", () => withEnv("UNROLL_NATIVE", undefined, () => useBackend("wasm")));
    assert.equal(report.name, "wasm");
    assert.equal(report.label, "wasm");
    assert.match(report.summary, /— no native kernels: unknown variant 'sse9'/);
  });

  const dir = prebuildDirs(__dirname).find((d) => fs.existsSync(d));
  const flags = cpuFlags();
  for (const variant of VARIANTS) {
    const file = dir && path.join(dir, `unroll_native_${variant.name}.node`);
    const skip =
      !file || !fs.existsSync(file) ? "not built (npm run build:native)" : variant.flags.some((f) => !flags.has(f)) ? "this CPU cannot run it" : false;

    test(`the ${variant.name} variant loads, passes its self-check and is reported`, { skip }, async () => {
      const report = await withEnv(VARIANT_ENV, variant.name, () => withEnv("UNROLL_NATIVE", undefined, () => useBackend("wasm")));
      assert.ok(report.native.ok, report.summary);
      assert.equal(report.label, "wasm + native");
      assert.match(report.native.detail, new RegExp(`^Eigen 3\\.4\\.\\d+, ${variant.simd || "\\w+"}, \\d+ threads?$`));
    });

    test(`the ${variant.name} variant holds the instructions it is named after`, { skip: skip || (process.arch !== "x64" && "x64 only") }, (t) => {
      let code: string;
      try {
        code = execFileSync("objdump", ["-d", "--no-show-raw-insn", file!], { encoding: "utf8", maxBuffer: 256 << 20 });
      } catch {
        t.skip("no objdump");
        return;
      }
      const count = (re: RegExp) => code.match(re)?.length ?? 0;
      const ymm = count(/%ymm/g);
      const zmm = count(/%zmm/g);
      const fma = count(/vfmadd\w*ps/g);
      t.diagnostic(`${variant.name}: ${ymm} ymm, ${zmm} zmm, ${fma} vfmadd…ps`);
      if (variant.name === "baseline") assert.equal(ymm + zmm + fma, 0);
      if (variant.name === "avx2") assert.ok(ymm > 0 && fma > 0 && zmm === 0);
      if (variant.name === "avx512") assert.ok(zmm > 0 && fma > 0);
    });
  }
});
