"""Learning-rate schedules that set `optimizer.lr`: StepLR and ExponentialLR (CS231n `lr_decay`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import RangeError
from minigrad.optim.optimizers import Optimizer


class LRScheduler:
    """Base: call `step()` once per epoch, after the optimizer steps; `last_epoch` counts calls."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a minigrad Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def step(self) -> None:
        """Advance one epoch and update `optimizer.lr`."""
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(self.optimizer.lr)

    def _next_lr(self, lr: float) -> float:
        raise NotImplementedError

    def get_last_lr(self) -> float:
        """The learning rate the optimizer holds now."""
        return self.optimizer.lr

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat npz-savable state: 'last_epoch', 'base_lr'."""
        return {"last_epoch": np.array(self.last_epoch, dtype=np.int64),
                "base_lr": np.array(self.base_lr, dtype=np.float64)}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        """Restore `state_dict()` (the optimizer's own lr comes from its state dict)."""
        self.last_epoch = int(np.asarray(d["last_epoch"]))
        self.base_lr = float(np.asarray(d["base_lr"]))


class StepLR(LRScheduler):
    """torch.optim.lr_scheduler.StepLR: multiply lr by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if not isinstance(step_size, (int, np.integer)) or step_size <= 0:
            raise RangeError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        if not gamma > 0:
            raise RangeError(f"StepLR: gamma must be > 0, got {gamma}")
        super().__init__(optimizer)
        self.step_size, self.gamma = int(step_size), float(gamma)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(LRScheduler):
    """lr *= gamma every epoch: CS231n Solver's `lr_decay`, torch's ExponentialLR."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if not gamma > 0:
            raise RangeError(f"ExponentialLR: gamma must be > 0, got {gamma}")
        super().__init__(optimizer)
        self.gamma = float(gamma)

    def _next_lr(self, lr: float) -> float:
        return lr * self.gamma
