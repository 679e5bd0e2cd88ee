"""Sampling throughput of the CS231n-size captioner: greedy and beam search, captions per second.

    python -m bench.sampling [--rounds 5] [--runs 7] [--beam 3] [--max-length 16]
                             [--cell lstm] [--threads 2] [--write-results] [--quick]

Each decoder (minigrad greedy, minigrad beam search, the torch twin's greedy decoder with the
same weights) runs alone in its own fresh interpreter (`--child`), one process per decoder per
round, the processes of a round in a shuffled order, with every BLAS/OpenMP pool limited to
`--threads`; a child warms up, times `--runs` batches and reports their median. The ratio
"minigrad greedy / decoder" is the median over rounds of each round's ratio. Before timing,
minigrad's and the twin's greedy captions are compared in this process (no timing here).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

import numpy as np

from bench.captioner import RESULTS, ROOT, N, make_problem, thread_env, write_results
from bench.common import int_at_least, median_ratio, output_file
from bench.common import run_child as _run

DECODERS = ("minigrad_greedy", "minigrad_beam", "torch_greedy")
BEGIN, END = "<!-- bench.sampling:begin -->", "<!-- bench.sampling:end -->"


def _minigrad(cell: str, size: str):
    """The minigrad captioner with the benchmark's weights, and its features (N, D)."""
    from zoo.captioning import CaptioningRNN

    params, features, _, w2i = make_problem(cell, "float32")
    if size == "tiny":
        features = features[:3]
    D, H = params["W_proj"].shape
    model = CaptioningRNN(w2i, input_dim=D, wordvec_dim=params["W_embed"].shape[1],
                          hidden_dim=H, cell_type=cell, dtype=np.float32)
    model.load_state_dict(params)
    return model, features


def build(decoder: str, cell: str, beam: int, L: int, size: str = "full"):
    """decode() -> captions (N, L) int for one decoder; torch is imported only for the twin."""
    model, features = _minigrad(cell, size)
    if decoder == "minigrad_greedy":
        return lambda: model.sample(features, max_length=L)
    if decoder == "minigrad_beam":
        return lambda: model.sample(features, max_length=L, beam_size=beam)
    import torch

    from vis.twin import TorchCaptioner

    twin = TorchCaptioner.from_minigrad(model, dtype=torch.float32)
    return lambda: twin.sample(features, max_length=L)


def _child(decoder: str, a: argparse.Namespace) -> None:
    """Run in a fresh interpreter: print one JSON line with the batch times."""
    decode = build(decoder, a.cell, a.beam, a.max_length, a.size)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(a.threads)
    decode()
    decode()  # warm-up: allocator pools, lazy init, thread pools started
    ts = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        decode()
        ts.append(time.perf_counter() - t0)
    print(json.dumps({"ms": [1e3 * t for t in ts]}))


def run_child(decoder: str, a: argparse.Namespace) -> float:
    """Median ms per batch of `decoder` alone in a fresh interpreter."""
    cmd = [sys.executable, "-m", "bench.sampling", "--child", decoder, "--cell", a.cell,
           "--runs", str(a.runs), "--beam", str(a.beam), "--max-length", str(a.max_length),
           "--threads", str(a.threads), "--size", a.size]
    out = _run(cmd, f"bench.sampling child {decoder}", env=thread_env(a.threads), cwd=ROOT)
    return statistics.median(json.loads(out.stdout.strip().splitlines()[-1])["ms"])


def agreement(cell: str, L: int, size: str) -> float:
    """Fraction of rows whose greedy captions are identical in minigrad and the torch twin."""
    mg = build("minigrad_greedy", cell, 1, L, size)()
    tw = build("torch_greedy", cell, 1, L, size)()
    return float((mg == tw).all(axis=1).mean())


def report(ms: dict, a: argparse.Namespace, agree: float, n: int, load: tuple) -> list[str]:
    """The Markdown section: command, machine state, one row per decoder."""
    import torch

    base = ms["minigrad_greedy"]
    lines = [f"`{a.command}` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} CPUs, load average {load[0]:.2f} before / {load[1]:.2f} after; "
             f"torch {torch.__version__}; {a.cell} float32, {n} images, captions of "
             f"{a.max_length} words; {a.rounds} rounds x {a.runs} batches per process, "
             f"{a.threads} thread(s) per process; greedy captions identical to the torch "
             f"twin's for {agree:.0%} of rows.",
             "",
             "| decoder | alone: median ms / batch | captions / s | minigrad greedy / decoder "
             "| per-round range |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for d in DECODERS:
        m = statistics.median(ms[d])
        ratios = [x / y for x, y in zip(base, ms[d], strict=True)]
        lines.append(f"| {d.replace('_', ' ')} | {m:.1f} | {n / (m / 1e3):.0f} | "
                     f"**{median_ratio(base, ms[d]):.2f}** | "
                     f"{min(ratios):.2f}–{max(ratios):.2f} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.sampling",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int_at_least(1), default=5)
    ap.add_argument("--runs", type=int_at_least(1), default=7, help="timed batches per process")
    ap.add_argument("--beam", type=int_at_least(1), default=3)
    ap.add_argument("--max-length", type=int_at_least(1), default=16)
    ap.add_argument("--cell", choices=["lstm", "rnn"], default="lstm")
    ap.add_argument("--threads", type=int_at_least(1), default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0, help="order of the processes in a round")
    ap.add_argument("--quick", action="store_true", help="3 images, 1 round: checks it works")
    ap.add_argument("--write-results", action="store_true",
                    help="rewrite the sampling table of bench/RESULTS.md (or --results)")
    ap.add_argument("--results", type=output_file, default=RESULTS, help=argparse.SUPPRESS)
    ap.add_argument("--size", choices=["full", "tiny"], default="full", help=argparse.SUPPRESS)
    ap.add_argument("--child", choices=DECODERS, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        return _child(a.child, a)
    if a.quick:
        a.rounds, a.runs, a.size = 1, 1, "tiny"
    a.command = "python -m bench.sampling " + " ".join(argv if argv is not None
                                                        else sys.argv[1:])
    load0 = os.getloadavg()[0]
    agree = agreement(a.cell, a.max_length, a.size)
    rng = random.Random(a.seed)
    ms: dict[str, list[float]] = {d: [] for d in DECODERS}
    for _ in range(a.rounds):
        for d in rng.sample(DECODERS, len(DECODERS)):
            ms[d].append(run_child(d, a))
    n = 3 if a.size == "tiny" else N
    lines = report(ms, a, agree, n, (load0, os.getloadavg()[0]))
    print("\n".join(lines))
    if a.write_results:
        write_results(lines, a.results, BEGIN, END)


if __name__ == "__main__":
    main()
