"""Loss modules with torch's names, arguments and reductions ('mean', 'sum', 'none').

Class weights and BCEWithLogitsLoss's pos_weight are buffers (in state_dict when given), as
in torch; `dtype` sets theirs. CrossEntropyLoss and NLLLoss also take `axis` (alias `dim`):
the class axis, default 1 as torch; axis=-1 scores (N, T, V) against ids (N, T).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.functional import validate as v
from minigrad.functional.loss import _reduction, cross_entropy, nll_loss
from minigrad.functional.loss_pointwise import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class _Loss(Module):
    """A loss module: `reduction` and the functional call `forward(input, target)`."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _reduction(type(self).__name__, reduction)


class _WeightedLoss(_Loss):
    """A loss with an optional `weight` buffer."""

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 dtype: Any = np.float32) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(type(self).__name__, "weight", weight, dtype))


def _buffer(layer: str, name: str, a: Any, dtype: Any) -> Tensor | None:
    if a is None:
        return None
    arr = np.asarray(a.data if isinstance(a, Tensor) else a)
    return Tensor(v.floating(layer, name, arr).astype(dtype))


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy: scores (N, C, d1, ...) and class ids (N, d1, ...) or class
    probabilities -> scalar (or per-target losses with reduction='none')."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0, axis: int | None = None, dim: int | None = None,
                 dtype: Any = np.float32) -> None:
        super().__init__(weight, reduction, dtype)
        self.ignore_index, self.label_smoothing = int(ignore_index), float(label_smoothing)
        self.axis = v.alias("CrossEntropyLoss", "axis", axis, "dim", dim)

    def forward(self, input: Any, target: Any) -> Tensor:
        """(N, C, d1, ...), (N, d1, ...) -> loss."""
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing, axis=self.axis)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C, d1, ...) at ids (N, d1, ...)."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 axis: int | None = None, dim: int | None = None,
                 dtype: Any = np.float32) -> None:
        super().__init__(weight, reduction, dtype)
        self.ignore_index = int(ignore_index)
        self.axis = v.alias("NLLLoss", "axis", axis, "dim", dim)

    def forward(self, input: Any, target: Any) -> Tensor:
        """(N, C, d1, ...), (N, d1, ...) -> loss."""
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction,
                          axis=self.axis)


class MSELoss(_Loss):
    """Mean squared error: input, target (broadcast) -> loss."""

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: input, target (broadcast) -> loss."""

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below |d| = beta, linear above: input, target (broadcast) -> loss."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return smooth_l1_loss(input, target, self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below |d| = delta, delta-scaled linear above: input, target -> loss."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return huber_loss(input, target, self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1]: input, target (broadcast) -> loss."""

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy in one stable step: scores, targets -> loss."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None,
                 dtype: Any = np.float32) -> None:
        super().__init__(weight, reduction, dtype)
        self.register_buffer("pos_weight", _buffer("BCEWithLogitsLoss", "pos_weight",
                                                   pos_weight, dtype))

    def forward(self, input: Any, target: Any) -> Tensor:
        """input, target -> loss."""
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  pos_weight=self.pos_weight)


__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "BCELoss", "BCEWithLogitsLoss"]
