"""Learning-rate schedules with torch's semantics, per parameter group: StepLR, MultiStepLR,
ExponentialLR (CS231n's `lr_decay`), CosineAnnealingLR, LambdaLR (ReduceLROnPlateau is in
minigrad.optim.plateau).

As torch: constructing a scheduler records each group's 'initial_lr' and takes step 0; call
`step()` once per epoch after the optimizer's steps; `get_last_lr()` is a list with one lr per
group. `state_dict()` is flat and npz-savable (counters, base lrs, numeric settings); LambdaLR's
functions are not saved.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minigrad.errors import RangeError, StateDictKeyError
from minigrad.optim.optimizer import Optimizer, _hyper_array, _hyper_value


class LRScheduler:
    """Base: sets every group's lr to `get_lr()` on each `step()`; `last_epoch` counts steps."""

    _saved: tuple[str, ...] = ()  # numeric settings written to state_dict

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a minigrad Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = -1
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def step(self) -> None:
        """Advance one epoch and set each group's lr."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = float(lr)
        self._last_lr = self._group_lrs()

    def get_lr(self) -> list[float]:
        """The lr of each group for epoch `last_epoch` (torch's chainable form)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of each group set by the last `step()` (a list, as torch)."""
        return list(self._last_lr)

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat npz-savable state: 'last_epoch', 'step_count', 'base_lrs', 'last_lr', settings."""
        d = {"last_epoch": np.array(self.last_epoch, np.int64),
             "step_count": np.array(self._step_count, np.int64),
             "base_lrs": np.array(self.base_lrs, np.float64),
             "last_lr": np.array(self._last_lr, np.float64)}
        for key in self._saved:
            d[key] = _hyper_array(getattr(self, key))
        return d

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore `state_dict()` (the optimizer's lrs come from the optimizer's state dict).
        A dict from before groups ('last_epoch', 'base_lr') also loads."""
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(d, dict) and not hasattr(d, "keys"):
            raise StateDictKeyError(f"{where}: state must be a mapping of str -> array (a "
                                    f"state_dict()), got {type(d).__name__}")
        n = len(self.optimizer.param_groups)
        if "base_lrs" not in d and "base_lr" in d:  # the single-group format
            d = {**d, "base_lrs": np.full(n, float(np.asarray(d["base_lr"]))),
                 "step_count": np.asarray(d["last_epoch"]) + 1,
                 "last_lr": np.array(self._group_lrs())}
        need = ["last_epoch", "step_count", "base_lrs", "last_lr"]  # settings: when present
        missing = [k for k in need if k not in d]
        if missing:
            raise StateDictKeyError(f"{where}: missing keys {missing}")
        lrs = {k: np.asarray(d[k], np.float64).reshape(-1) for k in ("base_lrs", "last_lr")}
        for key, arr in lrs.items():
            if arr.shape != (n,):
                raise RangeError(f"{where}: {key} must hold one lr per param group ({n}), "
                                 f"got {arr.shape[0]}")
        for key in self._saved:
            if key in d:
                setattr(self, key, _hyper_value(d[key]))
        self.last_epoch = int(np.asarray(d["last_epoch"]))
        self._step_count = int(np.asarray(d["step_count"]))
        self.base_lrs = [float(x) for x in lrs["base_lrs"]]
        self._last_lr = [float(x) for x in lrs["last_lr"]]


class StepLR(LRScheduler):
    """torch.optim.lr_scheduler.StepLR: multiply lr by `gamma` every `step_size` epochs."""

    _saved = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, (int, np.integer)) or step_size <= 0:
            raise RangeError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        if not gamma > 0:
            raise RangeError(f"StepLR: gamma must be > 0, got {gamma}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class MultiStepLR(LRScheduler):
    """torch's MultiStepLR: multiply lr by `gamma` at each epoch in `milestones` (a milestone
    listed k times multiplies by gamma**k)."""

    _saved = ("gamma",)

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int],
                 gamma: float = 0.1) -> None:
        ms = list(milestones)
        if not all(isinstance(m, (int, np.integer)) and m >= 0 for m in ms):
            raise RangeError(f"MultiStepLR: milestones must be ints >= 0, got {ms!r}")
        self.milestones = Counter(int(m) for m in ms)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._group_lrs()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """As LRScheduler's, plus 'milestones' (each repeated by its count)."""
        return {**super().state_dict(),
                "milestones": np.array(sorted(self.milestones.elements()), np.int64)}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """As LRScheduler's; 'milestones' too when present."""
        super().load_state_dict(d)
        if "milestones" in d:
            self.milestones = Counter(int(m) for m in np.asarray(d["milestones"]).reshape(-1))


class ExponentialLR(LRScheduler):
    """lr *= gamma every epoch: CS231n Solver's `lr_decay`, torch's ExponentialLR."""

    _saved = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if not gamma > 0:
            raise RangeError(f"ExponentialLR: gamma must be > 0, got {gamma}")
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    """torch's CosineAnnealingLR (its recursive form): lr follows
    eta_min + (base_lr - eta_min)·(1 + cos(π·epoch / T_max)) / 2, rising again after T_max."""

    _saved = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if not isinstance(T_max, (int, np.integer)) or T_max <= 0:
            raise RangeError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max!r}")
        self.T_max, self.eta_min = int(T_max), float(eta_min)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        lrs = self._group_lrs()
        if self._is_initial:
            return lrs
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(lrs, self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
        return [ratio * (lr - lo) + lo for lr in lrs]


class LambdaLR(LRScheduler):
    """torch's LambdaLR: lr = base_lr · lr_lambda(epoch), one function or one per group."""

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | list[Callable[[int], float]]) -> None:
        n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas (one per param group), "
                                 f"got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        bad = [i for i, f in enumerate(self.lr_lambdas) if not callable(f)]
        if bad:
            raise TypeError(f"LambdaLR: lr_lambda {bad[0]} is not callable: "
                            f"{self.lr_lambdas[bad[0]]!r:.60}")
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        lrs = []
        for i, (f, base) in enumerate(zip(self.lr_lambdas, self.base_lrs, strict=True)):
            factor = f(self.last_epoch)
            if isinstance(factor, bool) or not isinstance(factor, (int, float, np.number)) \
                    or not math.isfinite(factor):
                raise RangeError(f"LambdaLR: lr_lambda {i} must return a finite number, got "
                                 f"{factor!r:.60} at epoch {self.last_epoch}")
            lrs.append(base * factor)
        return lrs
