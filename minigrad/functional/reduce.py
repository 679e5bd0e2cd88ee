"""Reductions: sum, mean and max over an axis, a tuple of axes, or everything."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import as_array


def _axes(fn: str, x: np.ndarray, axis: Any) -> tuple:
    """Normalise `axis` to a sorted tuple of non-negative axes of `x`."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise ShapeError(f"{fn}: axis {a} is out of range for x of shape {x.shape}")
        out.append(int(a) % builtins.max(x.ndim, 1))
    return tuple(sorted(set(out)))


def _expand(dout: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdims:
        dout = np.expand_dims(dout, axes)
    return np.broadcast_to(dout, shape)


class Sum(Function):
    """x.sum(axis, keepdims)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Sum", "x", x))
        ctx.axes, ctx.keepdims, ctx.shape = _axes("Sum", x, axis), keepdims, x.shape
        return np.asarray(x.sum(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _expand(dout, ctx.axes, ctx.keepdims, ctx.shape)


class Mean(Function):
    """x.mean(axis, keepdims)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Mean", "x", x))
        ctx.axes, ctx.keepdims, ctx.shape = _axes("Mean", x, axis), keepdims, x.shape
        ctx.count = int(np.prod([x.shape[a] for a in ctx.axes])) if x.ndim else 1
        if ctx.count == 0:
            raise ShapeError(f"Mean: cannot average over an empty axis, x has shape {x.shape}")
        return np.asarray(x.mean(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _expand(dout / ctx.count, ctx.axes, ctx.keepdims, ctx.shape)


class Max(Function):
    """x.max(axis, keepdims); tied maxima share the gradient equally (as torch.amax)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Max", "x", x))
        if x.size == 0:
            raise ShapeError(f"Max: x must be non-empty, got shape {x.shape}")
        ctx.axes, ctx.keepdims = _axes("Max", x, axis), keepdims
        out = x.max(axis=ctx.axes, keepdims=True)
        ctx.save_for_backward(x, out)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        hit = x == out
        if not ctx.keepdims:
            dout = np.expand_dims(dout, ctx.axes)
        return hit * (dout / hit.sum(axis=ctx.axes, keepdims=True))


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Sum over `axis` (all axes if None)."""
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean over `axis` (all axes if None)."""
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Max over `axis`; ties share the gradient equally."""
    return Max.apply(x, axis=axis, keepdims=keepdims)


__all__ = ["Sum", "Mean", "Max", "sum", "mean", "max"]

TENSOR_METHODS = {"sum": sum, "mean": mean, "max": max}
