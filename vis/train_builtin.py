"""Train the built-in SqueezeNet 1.1 (9 classes) on the shapes world: python -m vis.train_builtin"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torchvision
from tqdm import tqdm

from vis.image import preprocess
from vis.squeezenet import BUILTIN_NUM_CLASSES, BUILTIN_WEIGHTS

TRAIN_DATA_SEED = 1
VAL_DATA_SEED = 2


@dataclass
class TrainConfig:
    """Hyper-parameters of the built-in SqueezeNet training run."""

    n_train: int = 6000
    n_val: int = 1000
    image_size: int = 64
    epochs: int = 8
    relu_epochs: int = 2
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    noise_std: float = 0.5
    seed: int = 0
    threads: int = 2


def _shapes(n: int, seed: int, image_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return preprocessed shapes images (n,3,S,S) float32 and labels (n,) int64."""
    from zoo.datasets.shapes import make_shapes

    world = make_shapes(n, seed=seed, image_size=image_size)
    x = preprocess(np.asarray(world.images))  # (n, 3, S, S)
    y = torch.as_tensor(np.asarray(world.labels), dtype=torch.int64)  # (n,)
    return x, y


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 250) -> float:
    """Fraction of (N,3,H,W) images whose argmax class equals y (N,)."""
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch_size):
        correct += int((model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
    model.train(was_training)
    return correct / max(1, x.shape[0])


def _save_atomic(state: dict[str, torch.Tensor], out: Path) -> None:
    """Write a state dict to `out` via a temporary file in the same folder and os.replace."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def train(cfg: TrainConfig, log=print) -> tuple[nn.Module, float]:
    """Train squeezenet1_1(num_classes=9) from scratch; return (eval model, val accuracy)."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    xtr, ytr = _shapes(cfg.n_train, TRAIN_DATA_SEED, cfg.image_size)
    xva, yva = _shapes(cfg.n_val, VAL_DATA_SEED, cfg.image_size)
    model = torchvision.models.squeezenet1_1(weights=None, num_classes=BUILTIN_NUM_CLASSES)
    final_relu = model.classifier[2]
    model.classifier[2] = nn.Identity()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(cfg.n_train / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.lr, total_steps=total, pct_start=0.15
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    bar = tqdm(total=total, disable=not sys.stderr.isatty(), desc="train")
    for epoch in range(cfg.epochs):
        if epoch == cfg.epochs - cfg.relu_epochs:
            model.classifier[2] = final_relu
        model.train()
        perm = torch.randperm(cfg.n_train, generator=gen)
        flips = torch.rand(cfg.n_train, generator=gen) < 0.5
        tot_loss = 0.0
        for i in range(0, cfg.n_train, cfg.batch_size):
            idx = perm[i : i + cfg.batch_size]
            xb = xtr[idx]
            f = flips[idx]
            xb[f] = xb[f].flip(-1)
            sigma = cfg.noise_std * torch.rand(idx.numel(), 1, 1, 1, generator=gen)
            xb = xb + sigma * torch.randn(xb.shape, generator=gen)
            loss = nn.functional.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot_loss += float(loss.detach()) * idx.numel()
            bar.update(1)
        log(
            f"epoch {epoch + 1}/{cfg.epochs} loss {tot_loss / cfg.n_train:.4f} "
            f"val acc {accuracy(model, xva, yva):.4f}"
        )
    bar.close()
    model.classifier[2] = final_relu
    model.eval()
    return model, accuracy(model, xva, yva)


def main(argv: list[str] | None = None) -> int:
    """Command line: train and save the built-in weights atomically."""
    from zoo.arguments import SEED, float_above, int_at_least

    p = argparse.ArgumentParser(prog="python -m vis.train_builtin", description=__doc__)
    p.add_argument("--out", type=Path, default=BUILTIN_WEIGHTS, help="the weights file to write")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--epochs", type=int_at_least(1), default=TrainConfig.epochs)
    p.add_argument("--n-train", type=int_at_least(1), default=TrainConfig.n_train)
    p.add_argument("--lr", type=float_above(0), default=TrainConfig.lr)
    p.add_argument("--noise-std", type=float_above(0, inclusive=True),
                   default=TrainConfig.noise_std)
    p.add_argument("--threads", type=int_at_least(1), default=TrainConfig.threads)
    args = p.parse_args(argv)
    if args.out.is_dir():
        print(f"python -m vis train-builtin: error: --out {args.out} is a folder, expected the "
              "weights file to write (e.g. DIR/squeezenet1_1_shapes.pt)", file=sys.stderr)
        return 2
    cfg = TrainConfig(
        seed=args.seed,
        epochs=args.epochs,
        n_train=args.n_train,
        lr=args.lr,
        noise_std=args.noise_std,
        threads=args.threads,
    )
    t0 = time.perf_counter()
    model, val_acc = train(cfg)
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    _save_atomic(state, args.out)
    print(
        f"val accuracy {val_acc:.4f} on {cfg.n_val} images (data seed {VAL_DATA_SEED}); "
        f"trained in {time.perf_counter() - t0:.1f}s; saved {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
