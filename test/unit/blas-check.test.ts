// bench/blas_check.py: the PyTorch reference refuses to be timed on Netlib's reference BLAS (10-20x slower than
// OpenBLAS: every ratio against it would flatter Unroll) and names the apt-get command that fixes it. Run with the
// system's python3; no PyTorch needed (the rule takes the loaded libraries and the measured sgemm rate).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const BENCH = path.join(__dirname, "../../../bench");
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["--version"]).status === 0);
const needsPython = python ? {} : { skip: "no python3" };

/** blas_check's verdict on a process whose /proc/self/maps has these library paths, at `gflops`. */
function verdict(libs: string[], gflops: number): { libs: string[]; why: string | null } {
  const maps = libs.map((lib, i) => `7f${i}000-7f${i}fff r-xp 00000000 08:01 ${1000 + i}                      ${lib}`);
  const code = `import json, sys, blas_check
maps, gflops = json.load(sys.stdin)
libs = blas_check.blas_libraries(maps + ["7f00-7f01 rw-p 00000000 00:00 0 ", "7f02-7f03 r-xp 0 08:01 5 /usr/lib/libc.so.6"])
print(json.dumps({"libs": libs, "why": blas_check.reference_blas(libs, gflops)}))`;
  const run = spawnSync(python!, ["-c", code], { cwd: BENCH, input: JSON.stringify([maps, gflops]), encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { libs: string[]; why: string | null };
}

const REFERENCE = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0";
const OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so";

test("Debian's reference BLAS is refused, with the apt-get command that installs OpenBLAS", needsPython, () => {
  const { libs, why } = verdict([REFERENCE, "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3.11.0"], 2.1);
  assert.deepEqual(libs, [REFERENCE]);
  assert.match(why ?? "", /^PyTorch runs on the reference BLAS \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0, sgemm 2\.1 GFLOP\/s\)/);
  assert.match(why ?? "", /no ratio is printed against it.*To fix it: sudo apt-get install -y libopenblas0-pthread$/);
});

test("OpenBLAS passes even when the machine's load slows it; the reference BLAS fails even when fast", needsPython, () => {
  assert.equal(verdict([OPENBLAS], 3).why, null);
  assert.equal(verdict(["/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", OPENBLAS], 90).why, null);
  assert.equal(verdict(["/opt/intel/lib/libmkl_rt.so.2"], 50).why, null);
  assert.notEqual(verdict([REFERENCE], 40).why, null);
});

test("a BLAS that cannot be told by name is judged by its sgemm rate", needsPython, () => {
  assert.equal(verdict([], 60).why, null);
  assert.match(verdict([], 1.5).why ?? "", /^PyTorch's BLAS reaches only 1\.5 GFLOP\/s .*loaded: none found\).*libopenblas0-pthread$/);
  assert.match(verdict(["/usr/local/lib/libcblas.so"], 1.5).why ?? "", /loaded: \/usr\/local\/lib\/libcblas\.so\)/);
});
