"""Command line of `python -m vis.train_torch`: argparse with range-checked numeric options.

Every numeric option is checked while parsing, so a bad value fails before any data is read,
with one line naming the option, the allowed range and the value given.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from typing import NoReturn

PROG = "vis.train_torch"
MODELS = ("rnn", "lstm", "transformer")
UPDATE_RULES = ("adam", "sgd", "sgd_momentum", "rmsprop")


class UsageError(Exception):
    """A bad option, a bad launch or a missing prerequisite: printed as one line, exit status 2."""


def _is_rank0() -> bool:
    """True unless this process is a non-zero rank of a torchrun launch (which stays silent)."""
    return os.environ.get("RANK", "0") in ("0", "")


def fail(message: str) -> NoReturn:
    """Print `vis.train_torch: error: message` once (rank 0) and exit with status 2."""
    if _is_rank0():
        print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(2)


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) printed by rank 0 only."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see python -m {PROG} --help)")


def _int(lo: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {lo}, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {value}")
        return value

    parse.__name__ = "int"
    return parse


def _float(lo: float, hi: float = math.inf, lo_open: bool = True,
           hi_open: bool = False) -> Callable[[str], float]:
    span = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open or hi == math.inf else ']'}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in {span}, got {text!r}") from None
        ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and (
            value < hi if hi_open else value <= hi)
        if not ok:
            raise argparse.ArgumentTypeError(f"must be in {span}, got {value:g}")
        return value

    parse.__name__ = "float"
    return parse


def build_parser() -> argparse.ArgumentParser:
    """The parser; defaults follow `python -m zoo.captioning train`."""
    p = _Parser(prog=f"python -m {PROG}", description=(
        "Train a zoo captioner's torch twin (CPU, CUDA, DDP under torchrun) and write "
        "OUT/checkpoint.npz in zoo's format. torchrun --nproc_per_node=N -m vis.train_torch ... "
        "splits the global batch across N processes (same run as one process)."))
    a = p.add_argument
    a("--data", default="runs/world", help="coco_captioning dir or built-in world dir "
      "(default %(default)s; write it with python -m zoo.captioning make-data)")
    a("--model", choices=MODELS, default="lstm", help="captioner (default %(default)s)")
    a("--epochs", type=_int(1), default=5, help="epochs to train in total (default %(default)s)")
    a("--batch-size", type=_int(1), default=100,
      help="global batch size, split across processes (default %(default)s)")
    a("--lr", type=_float(0.0), default=5e-3, help="learning rate (default %(default)s)")
    a("--lr-decay", type=_float(0.0), default=0.9,
      help="lr multiplier after each epoch (default %(default)s)")
    a("--update-rule", choices=UPDATE_RULES, default="adam",
      help="CS231n update rule, as zoo's CaptioningSolver (default %(default)s)")
    a("--seed", type=_int(0), default=0, help="initial weights and minibatch order")
    a("--device", choices=("cpu", "cuda"), default="cpu")
    a("--dtype", choices=("float32", "float64"), default="float32",
      help="parameter dtype (config.dtype of the checkpoint)")
    a("--bf16", action="store_true", help="bfloat16 autocast of the forward pass (CUDA only)")
    a("--out", default="runs/captioner-torch", help="output dir: checkpoint.npz, loss.png")
    a("--resume", action="store_true", help="continue OUT/checkpoint.npz (the same run)")
    a("--force", action="store_true",
      help="overwrite an existing OUT/checkpoint.npz with a new run (else refused)")
    a("--hidden-dim", type=_int(1), default=128)
    a("--wordvec-dim", type=_int(1), default=64)
    a("--pca", choices=("auto", "yes", "no"), default="auto",
      help="PCA features (auto: yes for COCO, no for the world), as zoo")
    a("--max-train", type=_int(1), default=None, help="keep the first N training captions")
    a("--num-heads", type=_int(1), default=4, help="transformer attention heads")
    a("--num-layers", type=_int(1), default=2, help="transformer decoder layers")
    a("--dim-feedforward", type=_int(1), default=256, help="transformer feed-forward width")
    a("--dropout", type=_float(0.0, 1.0, lo_open=False, hi_open=True), default=0.1,
      help="transformer dropout probability in [0, 1)")
    a("--max-length", type=_int(2), default=50, help="transformer positional-encoding length")
    a("--print-every", type=_int(1), default=100, help="print the loss every N iterations")
    a("--checkpoint-every", type=_int(1), default=None,
      help="also write the checkpoint every N iterations (default: after each epoch only)")
    a("--stop-after", type=_int(1), default=None,
      help="stop once N iterations are done in total, writing the checkpoint (--resume goes on)")
    a("--threads", type=_int(1), default=None,
      help="torch threads per process (default: CPU cores // processes on this node)")
    a("--quiet", action="store_true", help="no loss lines (the progress bar is TTY-only)")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed options; a bad value exits with one named line (status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume and args.force:
        parser.error("argument --force: not allowed with --resume (--resume continues "
                     "OUT/checkpoint.npz, --force overwrites it)")
    if args.seed >= 2 ** 32:
        parser.error(f"argument --seed: must be < 2**32, got {args.seed}")
    return args
