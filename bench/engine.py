"""Engine overhead: µs per Function call (forward + backward) on a chain of tiny Functions.

    python -m bench.engine [--length 10000] [--runs 7]

Each op is a negation of a 4-element array, so the time is the framework's bookkeeping.
minigrad is compared with torch autograd and HIPS autograd doing the same chain. Run twice:
with Python's default garbage collector, whose full collections rescan every object of the
process (torch's modules make ~190k of them), and after `gc.freeze()`, which moves the objects
that exist after the imports out of the collector's sight. A minigrad user's process never
imports torch, so minigrad is also timed alone in a fresh process.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time

import numpy as np

from bench.common import median_ratio, paired_times
from minigrad import Tensor
from minigrad.functional import Neg


def minigrad_chain(n: int) -> None:
    x = Tensor(np.ones(4), requires_grad=True)
    y = x
    for _ in range(n):
        y = Neg.apply(y)
    y.backward(np.ones(4))


def torch_chain(n: int) -> None:
    import torch

    x = torch.ones(4, dtype=torch.float64, requires_grad=True)
    y = x
    for _ in range(n):
        y = -y
    y.backward(torch.ones(4, dtype=torch.float64))


def _ag_f(x, n):
    for _ in range(n):
        x = -x
    return x.sum()


def autograd_chain(n: int) -> None:
    from autograd import grad as ag_grad

    ag_grad(_ag_f)(np.ones(4), n)


def _alone(n: int, runs: int) -> None:
    """Median µs per call of the minigrad chain in this process (torch never imported)."""
    minigrad_chain(n)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        minigrad_chain(n)
        ts.append(time.perf_counter() - t0)
    assert "torch" not in sys.modules
    print(1e6 * statistics.median(ts) / n)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--alone", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.alone:
        return _alone(a.length, a.runs)
    n = a.length
    fns = {"minigrad": lambda: minigrad_chain(n), "torch": lambda: torch_chain(n),
           "autograd": lambda: autograd_chain(n)}
    print(f"chain of {n} Functions, forward + backward, median of {a.runs} paired rounds")
    out = subprocess.run([sys.executable, "-m", "bench.engine", "--alone", "--length", str(n),
                          "--runs", str(a.runs)], capture_output=True, text=True, check=True)
    print(f"minigrad alone in a fresh process (numpy only, default gc): "
          f"{float(out.stdout):.2f} us/call")
    for mode in ("default gc", "gc.freeze() after imports"):
        if mode != "default gc":
            gc.collect()
            gc.freeze()
        times = paired_times(fns, a.runs)
        print(f"{mode}:\n  {'impl':<9} {'us/call':>8} {'minigrad/impl':>14}")
        for k, v in times.items():
            print(f"  {k:<9} {1e6 * statistics.median(v) / n:>8.2f} "
                  f"{median_ratio(times['minigrad'], v):>14.2f}")


if __name__ == "__main__":
    main()
