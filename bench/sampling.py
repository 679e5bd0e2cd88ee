"""Sampling throughput of the CS231n-size captioner: greedy and beam search, captions per second.

    python -m bench.sampling [--runs 7] [--beam 3] [--max-length 16]

minigrad (float32) greedy and beam, beside the torch twin's greedy decoder (same weights).
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from bench.captioner import N, make_problem
from bench.common import blas_info, blas_threads, int_at_least, paired_times
from vis.twin import TorchCaptioner
from zoo.captioning import CaptioningRNN


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.sampling",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int_at_least(1), default=7)
    ap.add_argument("--beam", type=int_at_least(1), default=3)
    ap.add_argument("--max-length", type=int_at_least(1), default=16)
    ap.add_argument("--cell", choices=["lstm", "rnn"], default="lstm")
    a = ap.parse_args(argv)
    torch.set_num_threads(blas_threads())
    params, features, _, w2i = make_problem(a.cell, "float32")
    D, H = params["W_proj"].shape
    model = CaptioningRNN(w2i, input_dim=D, wordvec_dim=params["W_embed"].shape[1], hidden_dim=H,
                          cell_type=a.cell, dtype=np.float32)
    model.load_state_dict(params)
    twin = TorchCaptioner.from_minigrad(model, dtype=torch.float32)
    L = a.max_length
    greedy_mg = model.sample(features, max_length=L)
    greedy_tw = twin.sample(features, max_length=L)
    agree = float((greedy_mg == greedy_tw).all(axis=1).mean())
    fns = {"minigrad greedy": lambda: model.sample(features, max_length=L),
           f"minigrad beam {a.beam}": lambda: model.sample(features, max_length=L,
                                                           beam_size=a.beam),
           "torch twin greedy": lambda: twin.sample(features, max_length=L)}
    times = paired_times(fns, a.runs)
    print(f"BLAS: {blas_info()}; torch threads {torch.get_num_threads()}")
    print(f"{a.cell} float32, N={N} images, max_length={L}; median of {a.runs} paired rounds; "
          f"greedy captions identical to the torch twin's for {agree:.0%} of rows")
    print(f"  {'decoder':<20} {'ms/batch':>9} {'captions/s':>11}")
    for k, v in times.items():
        ms = 1e3 * statistics.median(v)
        print(f"  {k:<20} {ms:>9.1f} {N / (ms / 1e3):>11.0f}")


if __name__ == "__main__":
    main()
