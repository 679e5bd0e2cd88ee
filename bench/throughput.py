"""Training throughput (captions/s): zoo's minigrad solver vs the torch twin, 1 and N processes.

    python -m bench.throughput [--data runs/world] [--models rnn lstm transformer] [--procs 1 2]
                               [--rounds 3] [--max-train 6000] [--epochs 1] [--batch-size 100]
                               [--device cpu|cuda] [--json PATH]

Every measurement is its own fresh process (or torchrun launch): `minigrad` runs zoo's
CaptioningSolver (`--child`), `torch xN` runs `python -m vis.train_torch` under
`python -m torch.distributed.run --standalone --nproc_per_node=N` (N > 1) or alone (N = 1) and
reads the rate it prints. Throughput = captions trained / seconds of the training loop (startup,
data loading and the final checkpoint excluded; per-epoch checkpoints included), the same
sizes, data and seed everywhere. Rounds run the configurations in a shuffled order; the table
gives the median over rounds and the load average seen, because the number depends on whatever
else runs on the machine. Threads: minigrad (BLAS) and one torch process run with every core and
with one thread; N torch processes use cores // N threads each (vis.train_torch's default).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time

from bench.common import existing_dir, int_at_least, output_file, run_child

RATE = re.compile(r"trained (\d+) iterations \((\d+) captions\) in ([\d.]+)s: ([\d.]+) captions/s")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _child(args: argparse.Namespace) -> None:
    """Train zoo's CaptioningSolver in this process; print one JSON line with the rate."""
    from zoo.captioning import CaptioningRNN, CaptioningSolver, CaptioningTransformer
    from zoo.captioning.demo import load_data

    data = load_data(args.data)
    data["train_captions"] = data["train_captions"][:args.max_train]
    data["train_image_idxs"] = data["train_image_idxs"][:args.max_train]
    D = data["train_features"].shape[1]
    if args.child == "transformer":  # vis.train_torch's (and zoo train's) default sizes
        model = CaptioningTransformer(data["word_to_idx"], input_dim=D,
                                      wordvec_dim=args.wordvec_dim, num_heads=4, num_layers=2,
                                      dim_feedforward=256, dropout=0.1, seed=0)
    else:
        model = CaptioningRNN(data["word_to_idx"], input_dim=D, wordvec_dim=args.wordvec_dim,
                              hidden_dim=args.hidden_dim, cell_type=args.child, seed=0)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 5e-3}, lr_decay=0.9,
                              batch_size=args.batch_size, num_epochs=args.epochs,
                              verbose=False, seed=0, progress=False)
    t0 = time.perf_counter()
    solver.train()
    seconds = time.perf_counter() - t0
    n = len(solver.loss_history) * args.batch_size
    print(json.dumps({"captions": n, "seconds": seconds, "rate": n / seconds}))


def _torch_cmd(args: argparse.Namespace, model: str, procs: int, out: str) -> list[str]:
    launch = [sys.executable] + (["-m", "torch.distributed.run", "--standalone",
                                  f"--nproc_per_node={procs}"] if procs > 1 else [])
    return launch + ["-m", "vis.train_torch", "--data", args.data, "--model", model,
                     "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
                     "--max-train", str(args.max_train), "--hidden-dim", str(args.hidden_dim),
                     "--wordvec-dim", str(args.wordvec_dim), "--device", args.device,
                     "--out", out, "--quiet"]


def measure(args: argparse.Namespace, impl: str, model: str, procs: int, threads: int) -> float:
    """Captions/s of one fresh run of `impl` ('minigrad' or 'torch') on `model`, `procs` processes
    of `threads` threads each."""
    env = dict(os.environ)
    for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(key, None)
    if impl == "minigrad":
        env["OPENBLAS_NUM_THREADS"] = str(threads)
        cmd = [sys.executable, "-m", "bench.throughput", "--child", model, "--data", args.data,
               "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
               "--max-train", str(args.max_train), "--hidden-dim", str(args.hidden_dim),
               "--wordvec-dim", str(args.wordvec_dim)]
        res = run_child(cmd, f"bench.throughput child minigrad {model}", env=env, timeout=3600)
        return float(json.loads(res.stdout.strip().splitlines()[-1])["rate"])
    env["OMP_NUM_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory(prefix="throughput-") as out:
        cmd = _torch_cmd(args, model, procs, out) + ["--threads", str(threads)]
        res = run_child(cmd, f"bench.throughput torch x{procs} {model}", env=env, timeout=3600)
    match = RATE.search(res.stdout)
    if not match:
        raise SystemExit(f"bench: bench.throughput torch x{procs} {model} exited 0 without a "
                         "'trained ... captions/s' line in its output")
    return float(match.group(4))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=existing_dir, default="runs/world",
                   help="data directory (checked before anything is launched)")
    p.add_argument("--models", nargs="+", default=["rnn", "lstm", "transformer"],
                   choices=["rnn", "lstm", "transformer"])
    p.add_argument("--procs", nargs="+", type=int_at_least(1), default=[1, 2],
                   help="torch process counts (each a torchrun launch when > 1)")
    p.add_argument("--rounds", type=int_at_least(1), default=3)
    p.add_argument("--epochs", type=int_at_least(1), default=1)
    p.add_argument("--batch-size", type=int_at_least(1), default=100)
    p.add_argument("--max-train", type=int_at_least(1), default=6000,
                   help="training captions used")
    p.add_argument("--hidden-dim", type=int_at_least(1), default=128)
    p.add_argument("--wordvec-dim", type=int_at_least(1), default=64,
                   help="a multiple of 4 with the transformer (4 heads)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="torch rows only (minigrad is numpy on the CPU)")
    p.add_argument("--no-minigrad", action="store_true", help="torch rows only")
    p.add_argument("--json", type=output_file, default=None, help="also write the results here")
    p.add_argument("--child", choices=["rnn", "lstm", "transformer"], default=None,
                   help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    """Measure every configuration `--rounds` times in shuffled order; print a markdown table."""
    parser = _parser()
    args = parser.parse_args(argv)
    if "transformer" in (args.models + [args.child]) and args.wordvec_dim % 4:
        parser.error("argument --wordvec-dim: expected a multiple of 4 (the transformer's "
                     f"4 heads), got {args.wordvec_dim}")
    if args.child:
        _child(args)
        return 0
    from zoo.datasets.coco import CAPTIONS_FILE

    if not os.path.isfile(os.path.join(args.data, CAPTIONS_FILE)):
        parser.error(f"argument --data: expected a data directory holding {CAPTIONS_FILE}, "
                     f"got {args.data!r} (no such file in it)")
    cores = _cores()
    threads = sorted({1, cores})
    configs = [("torch", m, n, t) for m in args.models for n in args.procs
               for t in (threads if n == 1 else [max(1, cores // n)])]
    if not args.no_minigrad:
        configs += [("minigrad", m, 1, t) for m in args.models for t in threads]
    rates: dict[tuple, list[float]] = {c: [] for c in configs}
    loads = [os.getloadavg()[0]]
    rng = random.Random(0)
    for r in range(args.rounds):
        order = list(configs)
        rng.shuffle(order)
        for c in order:
            rates[c].append(measure(args, *c))
            loads.append(os.getloadavg()[0])
            print(f"round {r + 1}: {c[0]} {c[1]} {c[2]} x {c[3]}: {rates[c][-1]:.0f} captions/s",
                  file=sys.stderr, flush=True)
    import torch

    cmd = "python -m bench.throughput " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"`{cmd.strip()}`\n\n{platform.machine()}, {_cores()} cores, torch {torch.__version__}"
          f", device {args.device}; {args.max_train} captions, batch {args.batch_size}, "
          f"H={args.hidden_dim}, W={args.wordvec_dim}, {args.epochs} epoch(s); load average "
          f"{min(loads):.1f}-{max(loads):.1f} during the runs; median of {args.rounds} "
          "rounds\n")
    print("| model | implementation | processes x threads | captions/s | vs minigrad 1 x 1 |")
    print("| --- | --- | --- | ---: | ---: |")
    rows = []
    for c in sorted(configs, key=lambda c: (c[1], c[0] != "minigrad", c[2], c[3])):
        impl, model, procs, nt = c
        med = statistics.median(rates[c])
        base = rates.get(("minigrad", model, 1, 1))
        ratio = f"{med / statistics.median(base):.2f}" if base else "n/a"
        print(f"| {model} | {impl} | {procs} x {nt} | {med:.0f} | {ratio} |")
        rows.append({"model": model, "impl": impl, "procs": procs, "threads": nt,
                     "captions_per_s": med, "rounds": rates[c]})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": cmd.strip(), "loadavg": loads, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
