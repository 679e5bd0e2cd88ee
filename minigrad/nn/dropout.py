"""Dropout layers (active in training mode only), with torch's names, arguments and reprs.

Each layer draws its masks from its own numpy Generator: pass `rng` for reproducible masks
(a fresh unseeded one otherwise).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.functional.dropout import check_p, dropout, dropout_mask
from minigrad.nn.layers import _data
from minigrad.nn.module import Module
from minigrad.tensor import Tensor


class Dropout(Module):
    """Zero each value with probability p and scale the rest by 1 / (1 - p) in training;
    the identity in eval: any shape -> same shape."""

    def __init__(self, p: float = 0.5, inplace: bool = False,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        self.p = check_p(p)
        self.inplace = bool(inplace)  # accepted for torch code; computed out of place
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"{type(self).__name__}: rng must be a numpy Generator "
                            f"(np.random.default_rng(seed)), got {type(rng).__name__}")
        self.rng = np.random.default_rng() if rng is None else rng

    def _mask_shape(self, shape: tuple) -> tuple:
        return shape

    def forward(self, x: Any) -> Tensor:
        """Any shape -> same shape."""
        if not self.training or self.p == 0:
            return dropout(x, self.p, training=False)
        mask = dropout_mask(self._mask_shape(_data(x).shape), self.p, self.rng)
        return dropout(x, self.p, mask=mask)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels: x (N, C, L) or (C, L), one draw per (sample, channel)."""

    def _mask_shape(self, shape: tuple) -> tuple:
        if len(shape) not in (2, 3):
            raise ShapeError(f"Dropout1d: x must be (N, C, L) or (C, L), got shape {shape}")
        return shape[:-1] + (1,)


class Dropout2d(Dropout):
    """Zero whole channels: x (N, C, H, W) or (C, H, W), one draw per (sample, channel)."""

    def _mask_shape(self, shape: tuple) -> tuple:
        if len(shape) not in (3, 4):
            raise ShapeError(f"Dropout2d: x must be (N, C, H, W) or (C, H, W), got shape {shape}")
        return shape[:-2] + (1, 1)


__all__ = ["Dropout", "Dropout1d", "Dropout2d"]
