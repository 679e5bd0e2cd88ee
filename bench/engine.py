"""Engine overhead: µs per Function call (forward + backward) on a chain of tiny Functions.

    python -m bench.engine [--length 10000] [--runs 10] [--rounds 3] [--write-results]

Each op is a negation of a 4-element array, so the time is the framework's bookkeeping.
minigrad is timed in fresh processes (rounds interleaved, median over rounds): alone (numpy
only, as its users run it), after `import torch` with Python's default garbage collector, and
after `import torch` then `gc.collect(); gc.freeze()` (the documented opt-in). Importing torch
makes ~190k long-lived objects; every full collection, triggered by the graph's new
long-lived objects, rescans all of them (~0.15 s each here). Then torch autograd and HIPS
autograd run the same chain beside minigrad in one process, with the default gc and frozen.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

import numpy as np

from bench.captioner import RESULTS, ROOT, write_results
from bench.common import int_at_least, median_ratio, output_file, paired_times, run_child
from minigrad import Tensor
from minigrad.functional import Neg

MODES = {"alone": "fresh process, numpy only (no torch), default gc",
         "torch": "fresh process after `import torch`, default gc",
         "torch+freeze": "fresh process after `import torch`, then `gc.collect(); gc.freeze()`"}
BEGIN, END = "<!-- bench.engine:begin -->", "<!-- bench.engine:end -->"


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


def _child(mode: str, n: int, runs: int) -> None:
    """Print the mean wall and CPU µs per call of the minigrad chain in this fresh process."""
    if mode != "alone":
        import torch  # noqa: F401
    if mode == "torch+freeze":
        gc.collect()
        gc.freeze()
    minigrad_chain(n)
    ts, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        minigrad_chain(n)
        ts.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert (mode == "alone") == ("torch" not in sys.modules)
    # the mean, not the median: a full collection lands in some chains only, and its cost
    # is part of the per-call cost
    print(1e6 * statistics.mean(ts) / n, 1e6 * statistics.mean(cpu) / n)


def isolated(n: int, runs: int, rounds: int) -> dict:
    """{mode: [(wall, CPU) µs per call, one per round]}, each from a fresh process, rounds
    interleaved."""
    out: dict = {m: [] for m in MODES}
    for _ in range(rounds):
        for m in MODES:
            res = run_child([sys.executable, "-m", "bench.engine", "--child", m,
                             "--length", str(n), "--runs", str(runs)],
                            f"bench.engine child {m}", cwd=ROOT)
            wall, cpu = res.stdout.split()
            out[m].append((float(wall), float(cpu)))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.engine",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int_at_least(1), default=10000)
    ap.add_argument("--runs", type=int_at_least(1), default=10)
    ap.add_argument("--rounds", type=int_at_least(1), default=3)
    ap.add_argument("--write-results", action="store_true",
                    help="rewrite the engine tables of bench/RESULTS.md (or --results)")
    ap.add_argument("--results", type=output_file, default=RESULTS, help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=list(MODES), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return _child(a.child, a.length, a.runs)
    n = a.length
    load0 = os.getloadavg()[0]
    lines = [f"`python -m bench.engine {' '.join(argv if argv is not None else sys.argv[1:])}`"
             f" — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; chain of {n} `Neg`, "
             f"forward + backward, mean of {a.runs} chains per process (garbage collections "
             "land in some chains only).", "",
             "| minigrad, process | µs per call, wall clock (median over rounds) | "
             "per-round | CPU time µs per call |",
             "| --- | ---: | --- | ---: |"]
    for m, v in isolated(n, a.runs, a.rounds).items():
        lines.append(f"| {MODES[m]} | **{statistics.median(w for w, _ in v):.2f}** | "
                     f"{', '.join(f'{w:.2f}' for w, _ in v)} | "
                     f"{statistics.median(c for _, c in v):.2f} |")
    fns = {"minigrad": lambda: minigrad_chain(n), "torch": lambda: torch_chain(n),
           "autograd": lambda: autograd_chain(n)}
    lines += ["", "Side by side in one process (torch imported), paired rounds:", "",
              "| gc | impl | µs per call, mean (a full collection lands in some rounds only) "
              "| µs per call, median | minigrad/impl (median of per-round ratios) |",
              "| --- | --- | ---: | ---: | ---: |"]
    for mode in ("default", "gc.freeze() after the imports"):
        if mode != "default":
            gc.collect()
            gc.freeze()
        times = paired_times(fns, a.runs)
        for k, v in times.items():
            lines.append(f"| {mode} | {k} | {1e6 * statistics.mean(v) / n:.2f} | "
                         f"{1e6 * statistics.median(v) / n:.2f} | "
                         f"{median_ratio(times['minigrad'], v):.2f} |")
    gc.unfreeze()
    lines += ["", f"Load average {load0:.2f} before, {os.getloadavg()[0]:.2f} after."]
    print("\n".join(lines))
    if a.write_results:
        write_results(lines, a.results, BEGIN, END)


if __name__ == "__main__":
    main()
