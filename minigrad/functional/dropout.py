"""Dropout (inverted): keep each value with probability 1 - p and scale it by 1 / (1 - p)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.tensor import Tensor


def check_p(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise DTypeError(f"Dropout: p must be a number, got {type(p).__name__} {p!r}")
    if not 0 <= p <= 1:
        raise RangeError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
    return float(p)


class Dropout(Function):
    """x * mask / (1 - p) with a given keep-mask (bool, broadcastable to x); p = 1 gives zeros:
    x (any shape), mask -> x's shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, mask: Any, *, p: float = 0.5) -> np.ndarray:
        fn = "Dropout"
        x = np.asarray(v.floating(fn, "x", np.asarray(x)))
        p = check_p(p)
        mask = np.asarray(v.boolean(fn, "mask", mask))
        try:
            shape = np.broadcast_shapes(np.shape(x), mask.shape)
        except ValueError:
            shape = None
        if shape != np.shape(x):
            raise ShapeError(f"{fn}: mask must broadcast to x's shape, got mask {mask.shape} and "
                             f"x {np.shape(x)}")
        ctx.scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        ctx.save_for_backward(v.kept(ctx, mask))  # bool, x's shape or broadcasting to it
        out = np.asarray(x * mask)
        out *= ctx.scale
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (mask,) = ctx.saved_tensors
        dx = np.asarray(dout * mask)
        dx *= ctx.scale
        return dx, None


def dropout_mask(shape: tuple, p: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """A bool keep-mask of `shape`, each entry True with probability 1 - p, drawn from `rng`
    (a fresh unseeded Generator if None)."""
    p = check_p(p)
    if rng is None:
        rng = np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"Dropout: rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    return rng.random(shape) >= p


def dropout(x: Any, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None,
            mask: Any = None) -> Any:
    """torch.nn.functional.dropout: x (any shape) -> same shape; the identity when p = 0 or
    not training. The keep-mask is `mask` if given, else drawn from `rng`."""
    p = check_p(p)
    if not training or p == 0:
        return x if isinstance(x, Tensor) else Tensor(x)
    if mask is None:
        mask = dropout_mask(np.shape(x.data if isinstance(x, Tensor) else x), p, rng)
    return Dropout.apply(x, mask, p=p)


__all__ = ["Dropout", "dropout", "dropout_mask"]

TENSOR_METHODS: dict = {}
