"""`Trainer`: zoo's CaptioningSolver semantics for a torch twin, in one process or under DDP.

As zoo's solver: iterations_per_epoch = max(num_train // B, 1); epoch e visits the captions in
the order default_rng([seed, e]).permutation(num_train), so global minibatch t is
order[j·B:(j+1)·B] (j = t mod iterations_per_epoch), the same captions as CaptioningSolver's;
the learning rate is multiplied by lr_decay after every epoch; the loss is the cross-entropy
summed over non-<NULL> targets divided by the global N.

Under DDP, rank r of R takes the r-th of R contiguous slices of the global minibatch (B/R
captions, features N_r×D). Its twin loss is CE_r / N_r; DDP averages gradients over R, so the
backward pass uses CE_r / N_r · (N_r·R / N): the averaged gradient is that of Σ_r CE_r / N, the
single-process gradient up to float reassociation. Dropout (transformer) runs inside the twin's
`global_dropout(seed, t, rows, N)`: every mask is drawn for the whole global minibatch from a
generator seeded from (seed, t, site) on the device, and each rank keeps the rows of its slice,
so N processes draw the masks of one process and a resumed run redraws the same masks.
The attention key biases get their exact gradient, 0 (softmax is shift-invariant along the keys),
instead of float-rounding noise that Adam would turn into lr-sized steps differing between N.
"""
from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from vis.train_torch import checkpoint as ckpt
from vis.train_torch.launch import Context
from vis.train_torch.models import Captioner, LossModule
from vis.train_torch.options import UsageError


class Trainer:
    """Trains `cap.twin` on `data` (captions (M, T+1), image_idxs (M,), features (Nimg, D))."""

    def __init__(self, args: Any, ctx: Context, data: dict[str, Any], cap: Captioner) -> None:
        self.args, self.ctx, self.cap = args, ctx, cap
        captions = np.asarray(data["train_captions"])  # (M, T+1)
        image_idxs = np.asarray(data["train_image_idxs"])  # (M,)
        self.num_train = int(captions.shape[0])
        if self.num_train < ctx.world_size:
            raise UsageError(f"--data has {self.num_train} training captions, fewer than the "
                             f"{ctx.world_size} processes")
        self.batch_size = int(args.batch_size)
        self.iterations_per_epoch = max(self.num_train // self.batch_size, 1)
        dev, dtype = ctx.device, next(cap.twin.parameters()).dtype
        self.captions = torch.as_tensor(captions.astype(np.int64), device=dev)
        self.image_idxs = torch.as_tensor(image_idxs.astype(np.int64), device=dev)
        self.features = torch.as_tensor(np.asarray(data["train_features"]), device=dev).to(dtype)
        if cap.kind == "transformer":
            exact_zero_key_bias_grads(cap.twin)
        self.opt = ckpt.make_optimizer(args.update_rule, cap.twin.parameters(), args.lr)
        self.zoo_solver = _zoo_solver(args, data, cap)  # run identity, checks, optim format
        self.module: torch.nn.Module = LossModule(cap.twin)
        self.epoch, self.t = 0, 0
        self.loss_history: list[float] = []
        self.epoch_seconds: list[float] = []
        self.train_seconds, self.trained_iterations = 0.0, 0
        self._order: tuple[int, np.ndarray] | None = None
        self.out = Path(args.out)
        self.path = self.out / "checkpoint.npz"

    @property
    def total(self) -> int:
        """Iterations of the whole run: epochs × iterations per epoch."""
        return self.args.epochs * self.iterations_per_epoch

    def global_indices(self, t: int) -> np.ndarray:
        """Caption indices (B,) of global minibatch t (zoo's CaptioningSolver.minibatch order)."""
        epoch, j = divmod(int(t), self.iterations_per_epoch)
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, np.random.default_rng([self.args.seed, epoch])
                           .permutation(self.num_train))
        return self._order[1][j * self.batch_size:(j + 1) * self.batch_size]

    def local_rows(self, t: int) -> tuple[int, int, int]:
        """(start, stop, N): this rank holds rows [start, stop) of global minibatch t (N rows;
        np.array_split's contiguous slices)."""
        n = int(self.global_indices(t).size)
        size, extra = divmod(n, self.ctx.world_size)
        start = self.ctx.rank * size + min(self.ctx.rank, extra)
        return start, start + size + (self.ctx.rank < extra), n

    def local_batch(self, t: int) -> tuple[torch.Tensor, torch.Tensor, int, int]:
        """(features (N_r, D), captions (N_r, T+1), N_r, N) of this rank for iteration t."""
        idx = self.global_indices(t)
        start, stop, _ = self.local_rows(t)
        mine = idx[start:stop]
        sel = torch.as_tensor(mine, device=self.ctx.device)
        captions = self.captions[sel]
        return self.features[self.image_idxs[sel]], captions, int(mine.size), int(idx.size)

    def resume(self) -> list[str]:
        """Load OUT/checkpoint.npz into the twin, the optimizer and the counters; notes."""
        from minigrad.nn.serialization import load_npz

        if not self.path.is_file():
            raise UsageError(f"--resume: no checkpoint at {self.path} (train without --resume "
                             "first, with the same --out)")
        d = load_npz(self.path)
        notes = ckpt.check_resume(d, self.zoo_solver, str(self.path), self.ctx.world_size,
                                  self.ctx.device)
        self.cap.load_minigrad_state({k[6:]: v for k, v in d.items() if k.startswith("model.")})
        if "torch_optim.class" in d:
            ckpt.load_torch_optim(self.opt, d)
        else:
            ckpt.load_minigrad_optim(self.cap, self.opt, d)
        self.epoch, self.t = int(d["solver.epoch"]), int(d["solver.t"])
        self.loss_history = [float(x) for x in d["solver.loss_history"]]
        self.epoch_seconds = [float(x) for x in d.get("solver.epoch_seconds", [])]
        return notes

    def wrap(self) -> None:
        """Wrap the loss module in DDP once the process group is joined (several processes)."""
        if self.ctx.distributed:
            ids = [self.ctx.device.index] if self.ctx.device.type == "cuda" else None
            self.module = DistributedDataParallel(self.module, device_ids=ids)

    def step(self) -> float:
        """One update on global minibatch `t`; returns the global minibatch loss."""
        feats, caps, n_local, n_global = self.local_batch(self.t)
        masks = nullcontext()
        if self.cap.kind == "transformer":  # dropout masks of the global minibatch, our rows
            start, stop, total = self.local_rows(self.t)
            masks = self.cap.twin.global_dropout(self.args.seed, self.t, (start, stop), total)
        self.opt.zero_grad(set_to_none=True)
        with masks, torch.autocast(self.ctx.device.type, dtype=torch.bfloat16,
                                   enabled=self.args.bf16):
            loss = self.module(feats, caps)  # CE_r / N_r
        scale = n_local * self.ctx.world_size / n_global
        (loss if scale == 1.0 else loss * scale).backward()
        self.opt.step()
        if not self.ctx.distributed:
            return float(loss.detach())
        part = loss.detach().double() * (n_local / n_global)
        dist.all_reduce(part)
        return float(part)

    def save(self) -> None:
        """Rank 0 writes OUT/checkpoint.npz atomically; other ranks write nothing."""
        if not self.ctx.is_main:
            return
        from minigrad.nn.serialization import save_npz

        self.out.mkdir(parents=True, exist_ok=True)
        save_npz(self.path, ckpt.checkpoint_arrays(self.cap, self.opt, self.args, self,
                                                   self.zoo_solver, self.ctx.world_size,
                                                   self.ctx.device))

    def plot(self) -> Path | None:
        """Rank 0 writes OUT/loss.png (zoo's loss curve)."""
        if not self.ctx.is_main or not self.loss_history:
            return None
        from zoo.captioning.figures import plot_loss_curve

        self.out.mkdir(parents=True, exist_ok=True)
        return plot_loss_curve(self.loss_history, self.out / "loss.png",
                               self.iterations_per_epoch)

    def train(self) -> list[float]:
        """Run to `epochs` (or `--stop-after`), checkpointing after each epoch; loss history."""
        from tqdm.auto import tqdm

        args, main = self.args, self.ctx.is_main
        stop = self.total if args.stop_after is None else min(self.total, args.stop_after)
        show = main and sys.stderr.isatty()
        say = tqdm.write if show else print
        bar = tqdm(total=self.total, initial=min(self.t, self.total), disable=not show,
                   desc=f"{self.cap.kind} x{self.ctx.world_size}", leave=False)
        t0 = start = time.perf_counter()
        first = self.t
        self.module.train()
        try:
            while self.t < stop:
                loss = self.step()
                self.loss_history.append(loss)
                self.t += 1
                bar.update(1)
                if show:
                    bar.set_postfix(loss=f"{loss:.3f}", epoch=self.epoch + 1)
                if main and not args.quiet and self.t % args.print_every == 0:
                    say(f"(Iteration {self.t} / {self.total}) loss: {loss:f}")
                saved = False
                if self.t % self.iterations_per_epoch == 0:
                    self.epoch += 1
                    for group in self.opt.param_groups:
                        group["lr"] = group["lr"] * args.lr_decay
                    self.epoch_seconds.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    self.save()
                    saved = True
                if args.checkpoint_every and self.t % args.checkpoint_every == 0 and not saved:
                    self.save()
        finally:
            bar.close()
        self.train_seconds = time.perf_counter() - start
        self.trained_iterations = self.t - first
        self.save()
        self.plot()
        return self.loss_history


def _zoo_solver(args: Any, data: dict[str, Any], cap: Captioner) -> Any:
    """zoo's CaptioningSolver for the same run (never trained): it checks the data and gives
    the run identity, `run_differences` and minigrad's optimizer state format."""
    from zoo.captioning.train import CaptioningSolver

    return CaptioningSolver(cap.zoo_model, data, update_rule=args.update_rule,
                            optim_config={"learning_rate": args.lr}, lr_decay=args.lr_decay,
                            batch_size=args.batch_size, num_epochs=args.epochs, verbose=False,
                            seed=args.seed, progress=False)


def exact_zero_key_bias_grads(twin: torch.nn.Module) -> list[str]:
    """Make the gradient of every attention `*.key.bias` exactly 0, its true value: the bias
    adds q·b/sqrt(d) to every score of a query row, which softmax ignores. Without this the
    gradient is float-rounding noise, different for every process count, that Adam normalises
    into steps of size ~lr; returns the parameter names."""
    names = []
    for name, p in twin.named_parameters():
        if name.endswith("attn.key.bias"):
            p.register_hook(torch.zeros_like)
            names.append(name)
    return names
