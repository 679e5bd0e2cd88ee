"""BLAS threads and a small model: a char-LSTM training step with 1 vs 2 BLAS threads.

`python -m bench.blas_threads [--rounds 5] [--busy]` runs each thread count in its own fresh
process (the BLAS pool of one run never disturbs the other), rounds interleaved, and prints
the median step time per round and the median of the per-round ratios. `--busy` keeps one
core spinning in another process meanwhile, as on a shared machine.
Model: Embedding(V=65, W=32) -> LSTM(H=128) -> Linear -> cross_entropy, N=32, T=48, Adam.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from bench.common import int_at_least, run_child

V, W, H, N, T = 65, 32, 128, 32, 48


def step_ms(threads: int, steps: int = 15) -> float:
    """Median milliseconds of one training step with `threads` BLAS threads (this process)."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    import minigrad.functional as F
    from minigrad import nn, optim

    rng = np.random.default_rng(0)
    emb, lstm, head = nn.Embedding(V, W, rng=rng), nn.LSTM(W, H, rng=rng), nn.Linear(H, V, rng=rng)
    opt = optim.Adam(emb.parameters() + lstm.parameters() + head.parameters(), lr=1e-3)
    data = rng.integers(0, V, size=(N, T + 1))  # (N, T+1) token ids

    def step() -> None:
        opt.zero_grad()
        loss = F.cross_entropy(head(lstm(emb(data[:, :-1]))), data[:, 1:], axis=-1)
        loss.backward()
        opt.step()

    with threadpool_limits(threads):
        for _ in range(3):
            step()
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.blas_threads", description=__doc__)
    ap.add_argument("--rounds", type=int_at_least(1), default=5, help="interleaved rounds")
    ap.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    ap.add_argument("--child", type=int_at_least(1), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(f"{step_ms(args.child):.2f}")
        return 0
    spinner = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
               if args.busy else None)
    try:
        ratios = []
        for r in range(args.rounds):
            ms = {t: float(run_child([sys.executable, "-m", "bench.blas_threads", "--child",
                                      str(t)], f"bench.blas_threads child {t}").stdout)
                  for t in (1, 2)}
            ratios.append(ms[2] / ms[1])
            print(f"round {r + 1}: 1 thread {ms[1]:.1f} ms, 2 threads {ms[2]:.1f} ms")
    finally:
        if spinner is not None:
            spinner.kill()
    print(f"median ratio 2 threads / 1 thread: {statistics.median(ratios):.2f}"
          f" ({'one core busy' if args.busy else 'idle machine'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
