"""Time one captioner training step (loss + backward, no update) across implementations.

    python -m bench.captioner [--runs 7] [--cells rnn lstm] [--dtypes float32 float64]

CS231n size: N=50, 17-token captions (16 steps), D=512, W=256, H=512, V=1004. Every
implementation gets the same weights and inputs; loss and gradients are checked against the
hand-written numpy version before timing. Ratios are medians of per-round ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np
import torch

from bench import autograd_ref, numpy_ref, torch_ref
from bench.common import blas_info, blas_threads, median_ratio, paired_times, peak_rss_delta_mib
from zoo.captioning import CaptioningRNN

N, T1, D, W, H, V = 50, 17, 512, 256, 512, 1004
IMPLS = ("minigrad", "numpy", "torch_ops", "torch_nn", "autograd")


def make_problem(cell: str, dtype: str, seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """(params, features, captions, word_to_idx) with CS231n shapes and init."""
    word_to_idx = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3}
    word_to_idx.update({f"w{i}": i for i in range(4, V)})
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell,
                          dtype=np.dtype(dtype), seed=seed)
    rng = np.random.default_rng(seed + 1)
    features = rng.standard_normal((N, D)).astype(dtype)
    captions = rng.integers(4, V, size=(N, T1)).astype(np.int32)
    captions[:, 0] = 1
    lengths = rng.integers(6, T1, size=N)
    for n, L in enumerate(lengths):
        captions[n, L] = 2
        captions[n, L + 1:] = 0
    return model.state_dict(), features, captions, word_to_idx


def build(impl: str, params: dict, features: np.ndarray, captions: np.ndarray, cell: str,
          word_to_idx: dict):
    """(step() -> None, check() -> (loss, grads)) for one implementation."""
    if impl == "minigrad":
        dt = params["Wx"].dtype
        model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H,
                              cell_type=cell, dtype=dt)
        model.load_state_dict(params)

        def step():
            model.zero_grad()
            loss = model.loss(features, captions)
            loss.backward()
            return loss

        def check():
            loss = step()
            return float(loss.item()), {k: p.grad for k, p in model.named_parameters()}
        return step, check
    if impl == "numpy":
        def step():
            return numpy_ref.loss_and_grads(params, features, captions, cell)
        return step, step
    if impl == "autograd":
        def step():
            return autograd_ref.loss_and_grads(params, features, captions, cell)
        return step, step
    tf, tc = torch.from_numpy(features), torch.from_numpy(captions.astype(np.int64))
    if impl == "torch_ops":
        p = torch_ref._tensors(params)

        def step():
            for v in p.values():
                v.grad = None
            loss = torch_ref.ops_step(p, tf, tc, cell)
            loss.backward()
            return loss

        def check():
            loss = step()
            return float(loss), {k: v.grad.numpy() for k, v in p.items()}
        return step, check
    net = torch_ref.NNCaptioner(params, cell)

    def step():
        net.zero_grad(set_to_none=True)
        loss = net(tf, tc)
        loss.backward()
        return loss

    def check():
        loss = step()
        return float(loss), net.grads()
    return step, check


def max_rel_err(a: dict, b: dict) -> float:
    return max(float(np.abs(a[k] - b[k]).max() / (np.abs(b[k]).max() + 1e-30)) for k in b)


def run_case(cell: str, dtype: str, runs: int, impls: tuple) -> dict:
    params, features, captions, w2i = make_problem(cell, dtype)
    built = {k: build(k, params, features, captions, cell, w2i) for k in impls}
    ref_loss, ref_grads = built["numpy"][1]()
    tol = 1e-4 if dtype == "float32" else 1e-9
    checks = {}
    for k, (_, check) in built.items():
        loss, grads = check()
        err = max(abs(loss - ref_loss) / abs(ref_loss), max_rel_err(grads, ref_grads))
        checks[k] = err
        if err > tol:
            raise SystemExit(f"{k} {cell} {dtype}: loss/grad mismatch vs numpy, rel err {err:.2e}")
    times = paired_times({k: v[0] for k, v in built.items()}, runs)
    return {"cell": cell, "dtype": dtype, "check_rel_err": checks,
            "median_ms": {k: 1e3 * statistics.median(v) for k, v in times.items()},
            "ratio_vs_minigrad": {k: median_ratio(times["minigrad"], v)
                                  for k, v in times.items()}}


def memory_of(impl: str, cell: str, dtype: str) -> float:
    """Peak RSS of one step, measured in a fresh process (MiB above the RSS before it).

    glibc is told to serve every block over 64 KiB by mmap and to trim at once, so freed
    arrays leave the RSS and the high-water mark counts only what one step holds at its peak.
    """
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    out = subprocess.run([sys.executable, "-m", "bench.captioner", "--memory-probe", impl, cell,
                          dtype], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def _probe(impl: str, cell: str, dtype: str) -> None:
    torch.set_num_threads(blas_threads())
    params, features, captions, w2i = make_problem(cell, dtype)
    step, _ = build(impl, params, features, captions, cell, w2i)
    step()  # warm-up: allocator pools, lazy init
    print(peak_rss_delta_mib(step))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cells", nargs="+", default=["lstm", "rnn"])
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--impls", nargs="+", default=list(IMPLS))
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--memory-probe", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.memory_probe:
        return _probe(*a.memory_probe)
    impls = tuple(dict.fromkeys(["minigrad", "numpy", *a.impls]))
    torch.set_num_threads(blas_threads())
    print(f"BLAS: {blas_info()}; torch {torch.__version__} threads {torch.get_num_threads()}")
    print(f"N={N} T={T1 - 1} D={D} W={W} H={H} V={V}; median of {a.runs} paired rounds")
    results = []
    for cell in a.cells:
        for dtype in a.dtypes:
            r = run_case(cell, dtype, a.runs, impls)
            if not a.no_memory:
                r["peak_mib"] = {k: memory_of(k, cell, dtype) for k in impls}
            results.append(r)
            print(f"\n{cell} {dtype}")
            print(f"  {'impl':<10} {'median ms':>10} {'minigrad/impl':>14} {'peak MiB':>9} "
                  f"{'check err':>10}")
            for k in impls:
                mem = r.get("peak_mib", {}).get(k, float("nan"))
                print(f"  {k:<10} {r['median_ms'][k]:>10.1f} {r['ratio_vs_minigrad'][k]:>14.2f} "
                      f"{mem:>9.1f} {r['check_rel_err'][k]:>10.1e}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"blas": blas_info(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
