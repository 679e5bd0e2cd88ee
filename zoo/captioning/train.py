"""`CaptioningSolver`: the CS231n captioning solver on minigrad, with exact checkpoint/resume.

As in CS231n: `iterations_per_epoch = max(num_train // batch_size, 1)`, the learning rate is
multiplied by `lr_decay` after each epoch, the loss of every iteration goes to `loss_history`,
and `print_every` iterations print the loss. Unlike CS231n (which draws each minibatch with
replacement) each epoch visits the captions in the order `default_rng([seed, epoch])
.permutation(num_train)`, so minibatch t is a pure function of (seed, t) and a run resumed from a
checkpoint, even mid-epoch, replays exactly the same updates as an uninterrupted run.

Checkpoints are one `.npz` (no pickle) written atomically: `model.<name>` parameters,
`optim.<key>` optimizer state (including the decayed lr and its step count `optim.step`),
`solver.*` counters, loss history and the run's identity (seed, batch size, rule, initial lr,
lr decay, a digest of the training captions and image indices), `config.*` model sizes and
`vocab.idx_to_word`, so `load_captioner` can rebuild the model alone. `config.model` says which
kind: 'rnn' (CaptioningRNN, rnn or lstm cell; checkpoints without the key are RNN ones) or
'transformer' (CaptioningTransformer).

Dropout (the Transformer's) is replayed exactly too: before iteration t the solver calls
`model.seed_dropout([seed, t])` when the model has it, so every mask is a function of (seed, t)
and a resumed run draws the same masks as an uninterrupted one.

One iteration (optimizer step plus the solver's counters) and `state_dict()` hold the same
lock, so a checkpoint taken from another thread never falls between `optimizer.step()` and
`t += 1`. `resume` cross-checks the saved counters (`optim.step == solver.t == len(loss_history)`,
`solver.epoch == t // iterations_per_epoch`) and the run's identity (`run_differences`), and
raises CheckpointError without touching the model or optimizer when anything disagrees.

Solvers share no state: two solvers (or two samplers) in two threads give bit for bit the
results of running them one after the other (grad mode is per thread; minibatch order comes
from `default_rng([seed, epoch])`, never numpy's global RNG).
"""
from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, IndexRangeError, RangeError, ShapeError
from minigrad.nn.serialization import CheckpointError, CheckpointWriteError, load_npz, save_npz
from minigrad.optim import make_optimizer
from zoo.captioning.checkpoint import (  # noqa: F401 (load/save stay importable from here)
    captioner_config,
    load_captioner,
    save_captioner,
)
from zoo.captioning.model import check_int
from zoo.datasets.files import CocoKeyError


class CaptioningSolver:
    """Trains a CaptioningRNN or CaptioningTransformer on a CS231n data dict (train_captions,
    train_image_idxs, train_features, ...)."""

    def __init__(self, model: Any, data: dict[str, Any], update_rule: str = "adam",
                 optim_config: dict[str, Any] | None = None, lr_decay: float = 1.0,
                 batch_size: int = 100, num_epochs: int = 10, print_every: int = 10,
                 verbose: bool = True, seed: int = 0, checkpoint_dir: str | None = None,
                 progress: bool | None = None) -> None:
        for key in ("train_captions", "train_image_idxs", "train_features"):
            if key not in data:
                raise CocoKeyError(f"CaptioningSolver: data has no {key!r} "
                                   f"(keys: {sorted(data)})")
        batch_size = check_int("CaptioningSolver", "batch_size", batch_size, 1)
        num_epochs = check_int("CaptioningSolver", "num_epochs", num_epochs, 0)
        print_every = check_int("CaptioningSolver", "print_every", print_every, 1)
        seed = check_int("CaptioningSolver", "seed", seed, 0)
        if isinstance(lr_decay, bool) or not isinstance(lr_decay, (int, float, np.floating)) \
                or not 0 < lr_decay < np.inf:
            raise RangeError(f"CaptioningSolver: lr_decay must be a finite number > 0, "
                             f"got {lr_decay!r}")
        self.model, self.data = model, data
        self.update_rule = update_rule
        self.optim_config = dict({"learning_rate": 5e-3} if optim_config is None else optim_config)
        self.optimizer = make_optimizer(update_rule, model.parameters(), self.optim_config)
        self._initial_lr = float(self.optimizer.lr)
        self.lr_decay, self.batch_size = float(lr_decay), int(batch_size)
        self.num_epochs, self.print_every = int(num_epochs), max(int(print_every), 1)
        self.verbose, self.seed, self.progress = verbose, int(seed), progress
        self.checkpoint_dir = checkpoint_dir
        self._features = np.asarray(data["train_features"])  # (Nimg, D), read once
        self._captions, self._image_idxs = _check_training_data(
            model, data["train_captions"], data["train_image_idxs"], self._features)
        self.num_train = int(self._captions.shape[0])
        self.iterations_per_epoch = max(self.num_train // self.batch_size, 1)
        self.epoch, self.t = 0, 0
        self.loss_history: list[float] = []
        self.epoch_seconds: list[float] = []
        self._lock = threading.RLock()  # one iteration vs state_dict() from another thread

    @property
    def data_digest(self) -> str:
        """sha256 of the training captions and image indices (which data this run trains on)."""
        h = hashlib.sha256()
        for a in (self._captions, self._image_idxs):
            h.update(str(a.shape).encode())
            h.update(np.ascontiguousarray(a, np.int64).tobytes())
        return h.hexdigest()

    def minibatch(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Captions (B, T+1) and features (B, D) of iteration t (a function of seed and t)."""
        epoch, j = divmod(check_int("CaptioningSolver.minibatch", "t", t, 0),
                          self.iterations_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(self.num_train)
        idx = order[j * self.batch_size:(j + 1) * self.batch_size]
        return self._captions[idx], self._features[self._image_idxs[idx]]

    def _step(self) -> float:
        captions, features = self.minibatch(self.t)
        seed_dropout = getattr(self.model, "seed_dropout", None)
        if seed_dropout is not None:  # dropout masks: a function of (seed, t)
            seed_dropout([self.seed, self.t])
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
                with self._lock:  # the step and the counters change together
                    loss = self._step()
                    self.loss_history.append(loss)
                    self.t += 1
                    end_of_epoch = self.t % self.iterations_per_epoch == 0
                    if end_of_epoch:
                        self.epoch += 1
                        self.optimizer.lr = self.optimizer.lr * self.lr_decay
                        self.epoch_seconds.append(time.perf_counter() - t0)
                        t0 = time.perf_counter()
                bar.update(1)
                if show:
                    bar.set_postfix(loss=f"{loss:.3f}", epoch=self.epoch + 1)
                if self.verbose and self.t % self.print_every == 0:
                    say(f"(Iteration {self.t} / {total}) loss: {loss:f}")
                if end_of_epoch and self.checkpoint_dir is not None:
                    self.save_checkpoint(Path(self.checkpoint_dir) / "checkpoint.npz")
        finally:
            bar.close()
        return self.loss_history

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume: model, optimizer, counters, loss history, config, vocab."""
        m = self.model
        with self._lock:  # never between optimizer.step() and t += 1
            d: dict[str, np.ndarray] = {f"model.{k}": v for k, v in m.state_dict().items()}
            d.update({f"optim.{k}": v for k, v in self.optimizer.state_dict().items()})
            d.update({
                "solver.epoch": np.array(self.epoch, np.int64),
                "solver.t": np.array(self.t, np.int64),
                "solver.loss_history": np.asarray(self.loss_history, np.float64),
                "solver.epoch_seconds": np.asarray(self.epoch_seconds, np.float64),
            })
        d.update(self.run_identity())
        d.update(captioner_config(m))
        return d

    def run_identity(self) -> dict[str, np.ndarray]:
        """The `solver.*` entries that make two checkpoints the same run (with config/vocab)."""
        return {"solver.seed": np.array(self.seed, np.int64),
                "solver.batch_size": np.array(self.batch_size, np.int64),
                "solver.num_train": np.array(self.num_train, np.int64),
                "solver.update_rule": np.array(self.update_rule),
                "solver.learning_rate": np.array(self._initial_lr, np.float64),
                "solver.lr_decay": np.array(self.lr_decay, np.float64),
                "solver.data_digest": np.array(self.data_digest)}

    def run_differences(self, saved: dict[str, Any]) -> list[str]:
        """How the checkpoint arrays `saved` differ from this solver's run ([] if the same run):
        model config and vocabulary, then seed, batch size, data, update rule, lr and decay.
        Keys absent from an older checkpoint are not compared."""
        mine = {**captioner_config(self.model), **self.run_identity()}
        diffs = []
        for key, value in mine.items():
            if key not in saved:
                continue
            theirs = np.asarray(saved[key])
            if key == "vocab.idx_to_word":
                if theirs.shape != value.shape or not np.array_equal(theirs, value):
                    diffs.append(f"{key} ({theirs.size} words vs {value.size}, "
                                 f"{_first_mismatch(theirs, value)})")
            elif theirs.shape != () or theirs.item() != value.item():
                diffs.append(f"{key} = {theirs.tolist()!r} there, {value.item()!r} here")
        return diffs

    def save_checkpoint(self, path: str | os.PathLike) -> Path:
        """Write `state_dict()` to `path` as .npz atomically (temp file, fsync, rename)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError, PermissionError) as e:
            raise CheckpointWriteError(e.errno, f"CaptioningSolver.save_checkpoint: cannot make "
                                       f"the folder {path.parent} for {path} ({e.strerror})",
                                       str(path)) from None
        save_npz(path, self.state_dict())
        return path

    def resume(self, path: str | os.PathLike) -> None:
        """Restore model, optimizer and counters from a checkpoint; then `train()` continues."""
        where = "CaptioningSolver.resume"
        d = load_npz(path)
        need = ["solver.epoch", "solver.t", "solver.seed", "solver.batch_size",
                "solver.num_train", "solver.loss_history", "solver.update_rule"]
        missing = [k for k in need if k not in d]
        if missing:
            raise CheckpointError(f"{where}: {path} is not a solver checkpoint: "
                                  f"missing {missing}")
        diffs = self.run_differences(d)
        if diffs:
            raise CheckpointError(f"{where}: {path} is a different run: {'; '.join(diffs)}; "
                                  "exact resume needs the same model, vocabulary, seed, batch "
                                  "size, data, update rule, lr and lr decay")
        epoch, t, history = _checked_counters(where, path, d, self.iterations_per_epoch)
        model_before = {k: v.copy() for k, v in self.model.state_dict().items()}
        optim_before = self.optimizer.state_dict()
        try:  # all or nothing: a failure half-way leaves the model and optimizer as they were
            self.model.load_state_dict({k[6:]: v for k, v in d.items()
                                        if k.startswith("model.")})
            self.optimizer.load_state_dict({k[6:]: v for k, v in d.items()
                                            if k.startswith("optim.")})
        except BaseException:
            self.model.load_state_dict(model_before)
            self.optimizer.load_state_dict(optim_before)
            raise
        with self._lock:
            self.epoch, self.t, self.loss_history = epoch, t, history
            self.epoch_seconds = [float(x) for x in d.get("solver.epoch_seconds", [])]

    def plot_loss(self, path: str | os.PathLike) -> Path:
        """Write the training loss curve (per iteration and a running mean) to a PNG."""
        from zoo.captioning.figures import plot_loss_curve

        path = Path(path)
        if path.is_dir() or path.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise RangeError(f"CaptioningSolver.plot_loss: path must be a .png, .pdf or .svg "
                             f"file, got {str(path)!r}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CheckpointWriteError(e.errno, f"CaptioningSolver.plot_loss: cannot make the "
                                       f"folder {path.parent} ({e.strerror})", str(path)) from None
        return plot_loss_curve(self.loss_history, path, self.iterations_per_epoch)

    def check_bleu(self, split: str = "val", max_images: int | None = None,
                   beam_size: int = 1) -> dict[str, Any]:
        """Corpus BLEU-1..4 of the model's captions on `split` (see metrics.evaluate_bleu)."""
        from zoo.captioning.metrics import evaluate_bleu

        return evaluate_bleu(self.model, self.data, split, max_images,
                             max_length=decode_length(self.model), beam_size=beam_size)


def decode_length(model: Any, wanted: int = 30) -> int:
    """`wanted` words, or fewer when the model cannot write more (a Transformer's
    max_length): the max_length to pass to `model.sample` / `evaluate_bleu`."""
    return min(int(wanted), int(getattr(model, "max_length", wanted)))


def _check_training_data(model: Any, captions: Any, image_idxs: Any,
                         features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Captions (M, T+1) int with ids < V, image indices (M,) int in [0, Nimg), features
    (Nimg, D): checked once at construction, so no minibatch reads a wrong or wrapped row."""
    fn = "CaptioningSolver"
    caps, idxs = np.asarray(captions), np.asarray(image_idxs)
    if features.ndim != 2 or features.dtype.kind != "f":
        raise ShapeError(f"{fn}: train_features must be a float array (Nimg, D), got dtype "
                         f"{features.dtype} shape {features.shape}")
    D = getattr(getattr(model, "config", None), "input_dim", None)
    if D is not None and features.shape[1] != D:
        raise ShapeError(f"{fn}: train_features has width {features.shape[1]} but the model's "
                         f"input_dim is {D}")
    if caps.dtype.kind not in "iu" or idxs.dtype.kind not in "iu":
        raise DTypeError(f"{fn}: train_captions and train_image_idxs must be integer arrays, "
                         f"got {caps.dtype} and {idxs.dtype}")
    if caps.ndim != 2 or caps.shape[1] < 2:
        raise ShapeError(f"{fn}: train_captions must be (M, T+1) with T+1 >= 2, "
                         f"got shape {caps.shape}")
    if caps.shape[0] == 0:
        raise ShapeError("CaptioningSolver: train_captions is empty")
    if idxs.shape != (caps.shape[0],):
        raise ShapeError(f"{fn}: train_image_idxs must have one entry per caption "
                         f"({caps.shape[0]}), got {idxs.shape}")
    V = len(model.word_to_idx)
    bad = np.flatnonzero(((caps < 0) | (caps >= V)).any(axis=1))
    if bad.size:
        raise RangeError(f"{fn}: train_captions ids must be in [0, V) with V = {V}; "
                         f"{bad.size} captions are not (first: row {bad[0]}: "
                         f"{caps[bad[0]].tolist()})")
    n = features.shape[0]
    bad = np.flatnonzero((idxs < 0) | (idxs >= n))
    if bad.size:
        raise IndexRangeError(f"{fn}: train_image_idxs must be in [0, {n}) (train_features "
                              f"has {n} rows); {bad.size} are not (first: "
                              f"train_image_idxs[{bad[0]}] = {idxs[bad[0]]})")
    return caps, idxs


def _checked_counters(where: str, path: Any, d: dict[str, np.ndarray],
                      per_epoch: int) -> tuple[int, int, list[float]]:
    """(epoch, t, loss history) of a checkpoint, cross-checked with each other and with the
    optimizer's step count; a CheckpointError if they disagree (a torn or edited save)."""
    t, epoch = int(d["solver.t"]), int(d["solver.epoch"])
    history = [float(x) for x in np.asarray(d["solver.loss_history"]).ravel()]
    problems = []
    if "optim.step" in d and int(d["optim.step"]) != t:
        problems.append(f"the optimizer took {int(d['optim.step'])} steps but the solver "
                        f"counted solver.t = {t} iterations (saved between optimizer.step() "
                        "and the counter update?)")
    if t < 0 or epoch != t // per_epoch:
        problems.append(f"solver.epoch = {epoch} but solver.t = {t} at {per_epoch} "
                        f"iterations per epoch gives epoch {t // per_epoch}")
    if len(history) != t:
        problems.append(f"solver.loss_history has {len(history)} entries for t = {t}")
    if problems:
        raise CheckpointError(f"{where}: {path} has inconsistent counters: "
                              f"{'; '.join(problems)}; it cannot be resumed exactly")
    return epoch, t, history


def _first_mismatch(a: np.ndarray, b: np.ndarray) -> str:
    for i, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=False)):
        if x != y:
            return f"first difference at id {i}: {x!r} vs {y!r}"
    return "one is a prefix of the other"
