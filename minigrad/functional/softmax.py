"""Normalisations and gates along one axis: softmax, log_softmax, softmin (with torch's dtype=)
and glu. Float32 stays float32; every one is stable for large |x| (max-shifted)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional.activation import _float, _sigmoid
from minigrad.functional.axes import as_dtype, one_axis
from minigrad.functional.elementwise import Neg
from minigrad.functional.validate import alias, as_array


def _shifted(fn: str, ctx: Context, x: Any, axis: Any, dtype: Any) -> np.ndarray:
    """x (cast to `dtype`) - max(x, axis) for the softmax pair; axis and x's dtype on `ctx`."""
    x = np.asarray(as_array(fn, "x", x))
    ctx.in_dtype = x.dtype
    dt = as_dtype(fn, dtype)
    x = _float(fn, x if dt is None else x.astype(dt))
    ctx.axis = one_axis(fn, x, axis)
    ctx.shape = x.shape
    x = x.reshape(x.shape or (1,))
    m = np.max(x, axis=ctx.axis, keepdims=True, initial=-np.inf)
    return x - np.where(np.isfinite(m), m, 0.0)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along `axis` in `dtype`, max-shifted (no overflow): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1, dtype: Any = None) -> np.ndarray:
        e = np.exp(_shifted("Softmax", ctx, x, axis, dtype))
        out = e / e.sum(axis=ctx.axis, keepdims=True)
        ctx.save_for_backward(out)
        return out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        g = dout.reshape(out.shape)
        dx = out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))
        return dx.reshape(ctx.shape).astype(ctx.in_dtype, copy=False)


class LogSoftmax(Function):
    """x - log(sum(exp(x))) along `axis` in `dtype`, max-shifted (no overflow): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1, dtype: Any = None) -> np.ndarray:
        z = _shifted("LogSoftmax", ctx, x, axis, dtype)
        with np.errstate(divide="ignore"):
            out = z - np.log(np.exp(z).sum(axis=ctx.axis, keepdims=True))
        ctx.save_for_backward(out)
        return out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        g = dout.reshape(out.shape)
        dx = g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)
        return dx.reshape(ctx.shape).astype(ctx.in_dtype, copy=False)


class GLU(Function):
    """a * sigmoid(b), a and b the halves of x along `axis` (torch's F.glu): 2H -> H there."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1) -> np.ndarray:
        x = _float("GLU", x)
        if x.ndim == 0:
            raise ShapeError("GLU: x must have an axis to halve, got a 0-d array")
        ctx.axis = one_axis("GLU", x, axis)
        if x.shape[ctx.axis] % 2:
            raise ShapeError(f"GLU: axis {ctx.axis} must have an even size to halve, got x of "
                             f"shape {x.shape}")
        a, b = np.split(x, 2, axis=ctx.axis)
        s = _sigmoid(b)
        ctx.save_for_backward(a, s)
        return a * s

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        a, s = ctx.saved_tensors
        da = dout * s
        return np.concatenate([da, da * a * (1.0 - s)], axis=ctx.axis)


# ----- wrappers (torch spellings: dim, dtype) ---------------------------------------------------
def softmax(x: Any, axis: int | None = None, *, dim: int | None = None,
            dtype: Any = None) -> Any:
    """Softmax along `axis` (torch: `dim`), default the last axis; x cast to `dtype` first."""
    return Softmax.apply(x, axis=alias("softmax", "axis", axis, "dim", dim, -1), dtype=dtype)


def log_softmax(x: Any, axis: int | None = None, *, dim: int | None = None,
                dtype: Any = None) -> Any:
    """Log-softmax along `axis` (torch: `dim`), default the last axis; x cast to `dtype` first."""
    return LogSoftmax.apply(x, axis=alias("log_softmax", "axis", axis, "dim", dim, -1),
                            dtype=dtype)


def softmin(x: Any, axis: int | None = None, *, dim: int | None = None,
            dtype: Any = None) -> Any:
    """softmax(-x) along `axis` (torch: `dim`), default the last axis."""
    return Softmax.apply(Neg.apply(x), axis=alias("softmin", "axis", axis, "dim", dim, -1),
                         dtype=dtype)


def glu(x: Any, axis: int | None = None, *, dim: int | None = None) -> Any:
    """a * sigmoid(b) for the halves a, b of x along `axis` (torch: `dim`), default the last."""
    return GLU.apply(x, axis=alias("glu", "axis", axis, "dim", dim, -1))


__all__ = ["Softmax", "LogSoftmax", "GLU", "softmax", "log_softmax", "softmin", "glu"]

TENSOR_METHODS = {"softmax": softmax, "log_softmax": log_softmax, "softmin": softmin, "glu": glu}
