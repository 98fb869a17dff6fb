"""Which BLAS PyTorch runs on, and whether it is the slow reference BLAS (bench/torch_ref.py refuses to time
against that one). No import of torch here: torch_ref.py passes what it found, and test/unit tests the rule.

Debian's python3-torch links libblas.so.3, which is whatever the `libblas.so.3` alternative points at: OpenBLAS
once libopenblas0-pthread is installed, else Netlib's reference BLAS (package libblas3, in a folder named `blas`),
10-20x slower (b LSTM 2,454 ms a step instead of 136 ms). A ratio against it would flatter Unroll as much.
"""
import os

FIX = "sudo apt-get install -y libopenblas0-pthread"
FAST = ("openblas", "mkl", "blis")
# Below this sgemm rate at 512 x 512 (GFLOP/s, best of a few products) the BLAS is taken for the reference one
# when its library cannot be told by name: reference BLAS reaches 1-3 here, OpenBLAS 50-100 on one core
# (about 10 under heavy load): the line leaves a wide margin on both sides.
SLOW_GFLOPS = 4.0


def blas_libraries(maps_lines):
    """The BLAS libraries a process has loaded, from the lines of its /proc/self/maps."""
    libs = set()
    for line in maps_lines:
        fields = line.split()
        path = fields[-1] if len(fields) >= 6 else ""
        if "blas" in os.path.basename(path).lower() or any(f in path.lower() for f in FAST):
            libs.add(path)
    return sorted(libs)


def reference_blas(libs, gflops):
    """Why the loaded BLAS is the reference one (a sentence naming the fix), or None when it is a fast one.
    libs: the loaded BLAS libraries' paths; gflops: the sgemm rate measured at 512 x 512."""
    if any(f in lib.lower() for lib in libs for f in FAST):
        return None
    named = [lib for lib in libs if os.path.basename(os.path.dirname(lib)) == "blas" and "libblas.so" in os.path.basename(lib)]
    if named:
        why = f"PyTorch runs on the reference BLAS ({named[0]}, sgemm {gflops:.1f} GFLOP/s)"
    elif gflops < SLOW_GFLOPS:
        why = f"PyTorch's BLAS reaches only {gflops:.1f} GFLOP/s on a 512 x 512 sgemm (a reference BLAS; loaded: {', '.join(libs) or 'none found'})"
    else:
        return None
    return f"{why}: no ratio is printed against it, it would flatter Unroll 10-20x. To fix it: {FIX}"
