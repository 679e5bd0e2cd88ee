"""`CaptioningSolver`: the CS231n captioning solver on minigrad, with exact checkpoint/resume.

As in CS231n: `iterations_per_epoch = max(num_train // batch_size, 1)`, the learning rate is
multiplied by `lr_decay` after each epoch, the loss of every iteration goes to `loss_history`,
and `print_every` iterations print the loss. Unlike CS231n (which draws each minibatch with
replacement) each epoch visits the captions in the order `default_rng([seed, epoch])
.permutation(num_train)`, so minibatch t is a pure function of (seed, t) and a run resumed from a
checkpoint, even mid-epoch, replays exactly the same updates as an uninterrupted run.

Checkpoints are one `.npz` (no pickle) written atomically: `model.<name>` parameters,
`optim.<key>` optimizer state (including the decayed lr), `solver.*` counters and loss history,
`config.*` model sizes and `vocab.idx_to_word`, so `load_captioner` can rebuild the model alone.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.errors import RangeError, ShapeError
from minigrad.nn.serialization import CheckpointError, load_npz, save_npz
from minigrad.optim import make_optimizer
from zoo.captioning.model import CaptioningRNN


class CaptioningSolver:
    """Trains a CaptioningRNN on a CS231n data dict (train_captions, train_image_idxs, ...)."""

    def __init__(self, model: CaptioningRNN, data: dict[str, Any], update_rule: str = "adam",
                 optim_config: dict[str, Any] | None = None, lr_decay: float = 1.0,
                 batch_size: int = 100, num_epochs: int = 10, print_every: int = 10,
                 verbose: bool = True, seed: int = 0, checkpoint_dir: str | None = None,
                 progress: bool | None = None) -> None:
        for key in ("train_captions", "train_image_idxs", "train_features"):
            if key not in data:
                raise KeyError(f"CaptioningSolver: data has no {key!r} (keys: {sorted(data)})")
        if int(batch_size) < 1 or int(num_epochs) < 0 or not lr_decay > 0:
            raise RangeError(f"CaptioningSolver: need batch_size >= 1, num_epochs >= 0, "
                             f"lr_decay > 0, got {batch_size}, {num_epochs}, {lr_decay}")
        self.model, self.data = model, data
        self.update_rule = update_rule
        self.optim_config = dict({"learning_rate": 5e-3} if optim_config is None else optim_config)
        self.optimizer = make_optimizer(update_rule, model.parameters(), self.optim_config)
        self.lr_decay, self.batch_size = float(lr_decay), int(batch_size)
        self.num_epochs, self.print_every = int(num_epochs), max(int(print_every), 1)
        self.verbose, self.seed, self.progress = verbose, int(seed), progress
        self.checkpoint_dir = checkpoint_dir
        self._captions = np.asarray(data["train_captions"])  # (M, T+1)
        self._image_idxs = np.asarray(data["train_image_idxs"])  # (M,)
        if self._captions.shape[0] == 0:
            raise ShapeError("CaptioningSolver: train_captions is empty")
        if self._image_idxs.shape[0] != self._captions.shape[0]:
            raise ShapeError(f"CaptioningSolver: train_image_idxs must have one entry per "
                             f"caption ({self._captions.shape[0]}), got {self._image_idxs.shape}")
        self._features = np.asarray(data["train_features"])  # (Nimg, D), read once
        self.num_train = int(self._captions.shape[0])
        self.iterations_per_epoch = max(self.num_train // self.batch_size, 1)
        self.epoch, self.t = 0, 0
        self.loss_history: list[float] = []
        self.epoch_seconds: list[float] = []

    def minibatch(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Captions (B, T+1) and features (B, D) of iteration t (a function of seed and t)."""
        epoch, j = divmod(int(t), self.iterations_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(self.num_train)
        idx = order[j * self.batch_size:(j + 1) * self.batch_size]
        return self._captions[idx], self._features[self._image_idxs[idx]]

    def _step(self) -> float:
        captions, features = self.minibatch(self.t)
        self.optimizer.zero_grad()
        loss = self.model.loss(features, captions)
        loss.backward()
        self.optimizer.step()
        return float(loss.item())

    def train(self) -> list[float]:
        """Run until `num_epochs` epochs are done (resumed runs continue); returns loss_history."""
        from tqdm.auto import tqdm

        total = self.num_epochs * self.iterations_per_epoch
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        bar = tqdm(total=total, initial=min(self.t, total), disable=not show, desc="captioner",
                   leave=False)
        say = tqdm.write if show else print
        t0 = time.perf_counter()
        try:
            while self.t < total:
                loss = self._step()
                self.loss_history.append(loss)
                self.t += 1
                bar.update(1)
                if show:
                    bar.set_postfix(loss=f"{loss:.3f}", epoch=self.epoch + 1)
                if self.verbose and self.t % self.print_every == 0:
                    say(f"(Iteration {self.t} / {total}) loss: {loss:f}")
                if self.t % self.iterations_per_epoch == 0:
                    self.epoch += 1
                    self.optimizer.lr = self.optimizer.lr * self.lr_decay
                    self.epoch_seconds.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    if self.checkpoint_dir is not None:
                        self.save_checkpoint(Path(self.checkpoint_dir) / "checkpoint.npz")
        finally:
            bar.close()
        return self.loss_history

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume: model, optimizer, counters, loss history, config, vocab."""
        m = self.model
        d: dict[str, np.ndarray] = {f"model.{k}": v for k, v in m.state_dict().items()}
        d.update({f"optim.{k}": v for k, v in self.optimizer.state_dict().items()})
        d.update({
            "solver.epoch": np.array(self.epoch, np.int64),
            "solver.t": np.array(self.t, np.int64),
            "solver.seed": np.array(self.seed, np.int64),
            "solver.batch_size": np.array(self.batch_size, np.int64),
            "solver.num_train": np.array(self.num_train, np.int64),
            "solver.loss_history": np.asarray(self.loss_history, np.float64),
            "solver.epoch_seconds": np.asarray(self.epoch_seconds, np.float64),
            "solver.update_rule": np.array(self.update_rule),
        })
        d.update(captioner_config(m))
        return d

    def save_checkpoint(self, path: str | os.PathLike) -> Path:
        """Write `state_dict()` to `path` as .npz atomically (temp file, fsync, rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_npz(path, self.state_dict())
        return path

    def resume(self, path: str | os.PathLike) -> None:
        """Restore model, optimizer and counters from a checkpoint; then `train()` continues."""
        d = load_npz(path)
        need = ["solver.epoch", "solver.t", "solver.seed", "solver.batch_size",
                "solver.num_train", "solver.loss_history", "solver.update_rule"]
        missing = [k for k in need if k not in d]
        if missing:
            raise CheckpointError(f"CaptioningSolver.resume: {path} is not a solver checkpoint: "
                                  f"missing {missing}")
        for key, mine in (("solver.seed", self.seed), ("solver.batch_size", self.batch_size),
                          ("solver.num_train", self.num_train),
                          ("solver.update_rule", self.update_rule)):
            if d[key].item() != mine:
                raise CheckpointError(f"CaptioningSolver.resume: {path} has {key} = "
                                      f"{d[key].item()!r} but this solver has {mine!r}; exact "
                                      "resume needs the same seed, batch size, data and rule")
        self.model.load_state_dict({k[6:]: v for k, v in d.items() if k.startswith("model.")})
        self.optimizer.load_state_dict({k[6:]: v for k, v in d.items() if k.startswith("optim.")})
        self.epoch, self.t = int(d["solver.epoch"]), int(d["solver.t"])
        self.loss_history = [float(x) for x in d["solver.loss_history"]]
        self.epoch_seconds = [float(x) for x in d.get("solver.epoch_seconds", [])]

    def plot_loss(self, path: str | os.PathLike) -> Path:
        """Write the training loss curve (per iteration and a running mean) to a PNG."""
        from zoo.captioning.figures import plot_loss_curve

        return plot_loss_curve(self.loss_history, path, self.iterations_per_epoch)

    def check_bleu(self, split: str = "val", max_images: int | None = None,
                   beam_size: int = 1) -> dict[str, Any]:
        """Corpus BLEU-1..4 of the model's captions on `split` (see metrics.evaluate_bleu)."""
        from zoo.captioning.metrics import evaluate_bleu

        return evaluate_bleu(self.model, self.data, split, max_images, beam_size=beam_size)


def captioner_config(model: CaptioningRNN) -> dict[str, np.ndarray]:
    """`config.*` and `vocab.idx_to_word` arrays from which `load_captioner` rebuilds a model."""
    c = model.config
    words = [model.idx_to_word.get(i, "") for i in range(model.vocab_size)]
    return {"config.input_dim": np.array(c.input_dim),
            "config.wordvec_dim": np.array(c.wordvec_dim),
            "config.hidden_dim": np.array(c.hidden_dim), "config.cell_type": np.array(c.cell_type),
            "config.dtype": np.array(c.dtype), "vocab.idx_to_word": np.array(words)}


def save_captioner(model: CaptioningRNN, path: str | os.PathLike) -> None:
    """Write a model's parameters, sizes and vocabulary to one .npz atomically."""
    d = {f"model.{k}": v for k, v in model.state_dict().items()}
    d.update(captioner_config(model))
    save_npz(path, d)


def load_captioner(path: str | os.PathLike) -> CaptioningRNN:
    """Rebuild a CaptioningRNN from a checkpoint or `save_captioner` file."""
    d = load_npz(path)
    keys = ["config.input_dim", "config.wordvec_dim", "config.hidden_dim", "config.cell_type",
            "config.dtype", "vocab.idx_to_word"]
    missing = [k for k in keys if k not in d]
    if missing:
        raise CheckpointError(f"load_captioner: {path} lacks {missing}; write it with "
                              "save_captioner or CaptioningSolver.save_checkpoint")
    words = [str(w) for w in d["vocab.idx_to_word"]]
    model = CaptioningRNN({w: i for i, w in enumerate(words)},
                          input_dim=int(d["config.input_dim"]),
                          wordvec_dim=int(d["config.wordvec_dim"]),
                          hidden_dim=int(d["config.hidden_dim"]),
                          cell_type=str(d["config.cell_type"]), dtype=str(d["config.dtype"]))
    model.load_state_dict({k[6:]: v for k, v in d.items() if k.startswith("model.")})
    return model
