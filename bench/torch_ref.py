#!/usr/bin/python3
"""PyTorch reference timings for Unroll's recurrent-layer benchmark.

Measures the median wall-clock milliseconds of one TRAINING STEP
(forward, cross-entropy loss, backward, Adam(lr=1e-3) step, zero_grad) per case
and prints ONE JSON object on stdout (progress goes to stderr):

    {"torch": ..., "threads": ..., "blas": ...,
     "cases": {"<id>": {"ms": median, "p10": ..., "p90": ..., "steps": n}}}

Setup: Debian's PyTorch 1.13 (CPU), run with /usr/bin/python3.
torch.set_num_threads(1) (--threads N for N); BLAS is Debian's libblas.so.3 alternative, here
OpenBLAS (pthread build) with its own thread pool (OPENBLAS_NUM_THREADS left
unset, so 2 threads on this 2-core machine). That combination was measured
to be the fastest setup here.

Cases (ids and definitions shared with the TypeScript side; inputs and
targets are random, created once after torch.manual_seed(0)):
  a_lstm_hello  nn.LSTM(4, 4), x [seq 5, batch 1, 4]; logits = output.view(-1, 4)
                ([5, 4]); CrossEntropyLoss vs 5 targets in [0, 4)  ("hello" -> "ohlol")
  a_rnn_hello   the same with nn.RNN(4, 4)
  b_lstm_names  nn.LSTM(100, 100, num_layers=2, bidirectional=True), x [20, 256, 100];
                last layer's h_n, forward ++ reverse -> [256, 200] -> nn.Linear(200, 18)
                -> CrossEntropyLoss vs 256 targets in [0, 18)
  b_gru_names   the same with nn.GRU
  c_lstm_long   nn.LSTM(128, 512), x [100, 64, 128]; output[-1] ([64, 512])
                -> nn.Linear(512, 10) -> CrossEntropyLoss vs 64 targets in [0, 10)
  d_lstm_big    nn.LSTM(1024, 1024, num_layers=2), x [200, 256, 1024]; output[-1]
                -> nn.Linear(1024, 10) -> CrossEntropyLoss vs 256 targets (run only when asked
                for by id: several seconds a step on a CPU)

3 warm-up steps, then timed steps (time.perf_counter): a_* 200, b_* 10, c_* 5;
with BENCH_QUICK=1: 50 / 3 / 2.  Usage: torch_ref.py [--threads N] [case_id ...] (default: all).
On the reference BLAS (bench/blas_check.py) it times nothing and prints {"refused": "<why, and the apt-get
command that fixes it>", ...} instead; --allow-reference-blas times anyway.
"""
import ctypes
import json
import os
import statistics
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blas_check  # noqa: E402 (beside this file)

QUICK = os.environ.get("BENCH_QUICK") == "1"
STEPS = {"a": 50 if QUICK else 200, "b": 3 if QUICK else 10, "c": 2 if QUICK else 5, "d": 2 if QUICK else 3}
WARMUP = 3


class Hello(nn.Module):
    """RNN/LSTM(4, 4); the per-step outputs are the logits."""

    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(4, 4)

    def forward(self, x):
        return self.rnn(x)[0].view(-1, 4)


class Names(nn.Module):
    """2-layer bidirectional LSTM/GRU(100, 100); last layer's h_n -> Linear(200, 18)."""

    def __init__(self, cell):
        super().__init__()
        self.rnn = cell(100, 100, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(200, 18)

    def forward(self, x):
        h = self.rnn(x)[1]
        h = h[0] if isinstance(h, tuple) else h  # LSTM returns (h_n, c_n)
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


class Long(nn.Module):
    """LSTM(128, 512); output[-1] -> Linear(512, 10)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(128, 512)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][-1])


class Big(nn.Module):
    """2-layer LSTM(1024, 1024); output[-1] -> Linear(1024, 10) (a GPU-sized case: WebGPU and PyTorch only)."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(1024, 1024, num_layers=2)
        self.fc = nn.Linear(1024, 10)

    def forward(self, x):
        return self.fc(self.rnn(x)[0][-1])


# id -> (model factory, input shape [seq, batch, features], target count, classes)
CASES = {
    "a_lstm_hello": (lambda: Hello(nn.LSTM), (5, 1, 4), 5, 4),
    "a_rnn_hello": (lambda: Hello(nn.RNN), (5, 1, 4), 5, 4),
    "b_lstm_names": (lambda: Names(nn.LSTM), (20, 256, 100), 256, 18),
    "b_gru_names": (lambda: Names(nn.GRU), (20, 256, 100), 256, 18),
    "c_lstm_long": (Long, (100, 64, 128), 64, 10),
    "d_lstm_big": (Big, (200, 256, 1024), 256, 10),
}


def sgemm_gflops():
    """The best rate of a few 512 x 512 float32 products, in GFLOP/s (with the threads already set)."""
    a = torch.rand(512, 512)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2 * 512 ** 3 / best / 1e9


def blas_info():
    """Which BLAS is actually loaded (Debian's build reports BLAS_INFO=generic), its sgemm rate, and why it is the
    reference BLAS (or None): see bench/blas_check.py."""
    gflops = sgemm_gflops()  # also makes sure the BLAS library is loaded
    with open("/proc/self/maps") as maps:
        libs = blas_check.blas_libraries(maps)
    name = ", ".join(sorted({os.path.basename(l) for l in libs})) or "unknown"
    for lib in libs:
        if "openblas" in os.path.basename(lib):
            try:
                name = f"{os.path.basename(lib)} ({ctypes.CDLL(lib).openblas_get_num_threads()} threads)"
            except (OSError, AttributeError):
                name = os.path.basename(lib)
            break
    return f"{name}, sgemm 512² {gflops:.0f} GFLOP/s", blas_check.reference_blas(libs, gflops)


def bench(case_id):
    make, shape, n_targets, n_classes = CASES[case_id]
    torch.manual_seed(0)
    model = make()
    x = torch.randn(*shape)
    y = torch.randint(0, n_classes, (n_targets,))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    for _ in range(WARMUP):
        step()
    n = STEPS[case_id[0]]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles(times, n=10, method="inclusive")  # deciles
    res = {"ms": statistics.median(times), "p10": q[0], "p90": q[-1], "steps": n}
    res = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.items()}
    print(f"{case_id}: {res}", file=sys.stderr)
    return res


def main():
    args = sys.argv[1:]
    threads = 1
    if "--allow-reference-blas" in args:
        args.remove("--allow-reference-blas")
    if "--threads" in args:  # torch's own threads (intra-op); OpenBLAS keeps its pool either way
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    ids = args or [i for i in CASES if not i.startswith("d_")]
    unknown = [i for i in ids if i not in CASES]
    if unknown:
        sys.exit(f"unknown case(s) {unknown}; known: {list(CASES)}")
    torch.set_num_threads(threads)
    blas, reference = blas_info()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "cases": {}}
    if reference and "--allow-reference-blas" not in sys.argv:
        out["refused"] = reference  # nothing timed: see bench/blas_check.py
        print(reference, file=sys.stderr)
        print(json.dumps(out))
        return
    for case_id in ids:
        out["cases"][case_id] = bench(case_id)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
