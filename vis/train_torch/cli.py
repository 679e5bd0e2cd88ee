"""`main`: parse, check the launch, load zoo's data, build the twin, join DDP, train, write.

Known failures (bad options, bad launches, missing data, a checkpoint that does not fit) are one
line `vis.train_torch: error: ...` from rank 0 and exit status 2; other ranks stay silent.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from vis.train_torch.options import UsageError, fail, parse_args


def load_training_data(args: Any) -> dict[str, Any]:
    """zoo's data dict for --data (as `python -m zoo.captioning train`), --max-train applied."""
    from zoo.captioning.demo import load_data

    data = load_data(args.data, None if args.pca == "auto" else args.pca == "yes")
    if args.max_train is not None:
        data["train_captions"] = data["train_captions"][:args.max_train]
        data["train_image_idxs"] = data["train_image_idxs"][:args.max_train]
    return data


def check_out(out: Path) -> None:
    """Refuse an --out the run could not write (a file, a file where a parent folder should
    be, a folder it may not write in) with a UsageError naming it, before any data is read;
    nothing is made here (the trainer makes the folder)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory (give a new or existing "
                         "folder)")
    existing = next(q for q in (out, *out.absolute().parents) if q.exists())
    if not existing.is_dir():
        raise UsageError(f"--out {out}: cannot make this folder ({existing} is a file)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot make or write this folder ({existing} is not "
                         "writable)")


def run(args: Any) -> Any:
    """Train as `args` says in this process (one rank of a torchrun launch); the Trainer."""
    from vis.train_torch.launch import check_launch, join, leave, set_threads
    from vis.train_torch.models import build
    from vis.train_torch.trainer import Trainer

    ctx = check_launch(args)
    check_out(Path(args.out))
    path = Path(args.out) / "checkpoint.npz"
    if path.exists() and not (args.resume or args.force):
        raise UsageError(f"{path} already exists: --resume continues it, --force overwrites it "
                         "with a new run")
    threads = set_threads(ctx, args.threads)
    data = load_training_data(args)
    cap = build(args, data, ctx.device)
    trainer = Trainer(args, ctx, data, cap)
    notes = trainer.resume() if args.resume else []
    if ctx.is_main:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    join(ctx)
    trainer.wrap()
    if ctx.is_main and not args.quiet:
        print(f"{cap.kind} on {ctx.world_size} x {ctx.device.type} ({threads} threads each): "
              f"{trainer.num_train} captions, batch {args.batch_size}, "
              f"{trainer.iterations_per_epoch} iterations/epoch, from iteration {trainer.t}")
    trainer.train()
    leave(ctx)
    if ctx.is_main:
        n = trainer.trained_iterations * min(args.batch_size, trainer.num_train)
        rate = n / trainer.train_seconds if trainer.train_seconds > 0 else float("nan")
        print(f"trained {trainer.trained_iterations} iterations ({n} captions) in "
              f"{trainer.train_seconds:.2f}s: {rate:.1f} captions/s")
        print(f"wrote {trainer.path} and {trainer.out / 'loss.png'}")
    return trainer


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 with one line on a known error)."""
    from minigrad.errors import MinigradError
    from minigrad.nn.serialization import CheckpointError
    from zoo.datasets.coco import CocoDataError, CocoFileNotFoundError, CocoKeyError

    args = parse_args(argv)
    try:
        run(args)
    except (UsageError, CheckpointError, CocoFileNotFoundError, CocoDataError, CocoKeyError,
            MinigradError) as e:
        kind = "" if isinstance(e, UsageError) else f"{type(e).__name__}: "
        fail(f"{kind}{e}")
    except OSError as e:
        if e.filename is None:  # not about a path: a real fault, keep its traceback
            raise
        fail(f"{e.filename}: {e.strerror or e}")
    return 0
