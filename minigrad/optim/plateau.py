"""ReduceLROnPlateau with torch's semantics: cut each group's lr by `factor` after `patience`
epochs without improvement of a metric passed to `step(metric)`."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError
from minigrad.optim.optimizer import Optimizer, _hyper_array, _hyper_value
from minigrad.optim.schedule import LRScheduler


class ReduceLROnPlateau(LRScheduler):
    """torch.optim.lr_scheduler.ReduceLROnPlateau: `step(metric)` once per epoch; an epoch
    improves when metric < best·(1 - threshold) ('min', 'rel'), < best - threshold ('abs'),
    or the mirror for mode='max'; after more than `patience` bad epochs each group's lr becomes
    max(lr·factor, min_lr) (skipped if the change is <= eps), then `cooldown` epochs rest."""

    _saved = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps",
              "best", "num_bad_epochs", "cooldown_counter")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: optimizer must be a minigrad Optimizer, "
                            f"got {type(optimizer).__name__}")
        if not 0 <= factor < 1:
            raise RangeError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r} and {threshold_mode!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lrs (one per param "
                                 f"group), got {len(min_lr)}")
            self.min_lrs = [float(x) for x in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        self.optimizer = optimizer
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor, self.threshold, self.eps = float(factor), float(threshold), float(eps)
        self.patience, self.cooldown = int(patience), int(cooldown)
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._step_count = 0
        self._last_lr = self._group_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric `a` improves on `best` by more than the threshold."""
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < best * (1 - self.threshold) if rel else a < best - self.threshold
        return a > best * (1 + self.threshold) if rel else a > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        """True while lr cuts are suspended after the last one."""
        return self.cooldown_counter > 0

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a scalar Tensor) and maybe cut the lrs."""
        value = np.asarray(getattr(metrics, "data", metrics))
        if value.size != 1 or value.dtype.kind not in "biuf":
            raise DTypeError(f"ReduceLROnPlateau.step: metrics must be a number or a one-element "
                             f"tensor, got {metrics!r:.60}")
        current = float(value.reshape(()))
        self._step_count += 1
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._group_lrs()

    def state_dict(self) -> dict[str, np.ndarray]:
        """LRScheduler's keys plus the settings, 'best', the counters and 'min_lrs'."""
        return {**super().state_dict(), "min_lrs": _hyper_array(self.min_lrs)}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore `state_dict()`."""
        super().load_state_dict(d)
        if "min_lrs" in d:
            self.min_lrs = list(_hyper_value(np.asarray(d["min_lrs"]).reshape(-1)))
