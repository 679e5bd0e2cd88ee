"""Scans along one axis: cumsum, cumprod, logcumsumexp (cummax/cummin live in sort.py).

`axis` None scans the flattened x (numpy; the logcumsumexp wrapper defaults to axis 0 as
tinygrad, torch needs a dim); torch's `dim` is accepted; a 0-d x scans as one element along
axis 0 / -1; a bad axis is an IndexRangeError. Ints and bools scan in int64.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional.axes import float_input, numeric, one_axis
from minigrad.functional.validate import alias


def _scan_axis(fn: str, x: np.ndarray, axis: Any) -> tuple:
    """(x as scanned, axis): axis None flattens (numpy); 0-d x scans as shape (1,)."""
    if axis is None:
        return x.reshape(-1), 0
    return x.reshape(x.shape or (1,)), one_axis(fn, x, axis, "None or an int")


def _scan_input(ctx: Context, fn: str, x: Any, axis: Any, dtype: Any = None,
                floats: bool = False) -> np.ndarray:
    """x as scanned: a float array if `floats`, else numeric in `dtype` (x's own dtype kept on
    ctx for the gradient); x's shape and the scan axis on ctx."""
    if floats:
        x = float_input(fn, x)
    else:
        ctx.in_dtype = np.asarray(x).dtype
        x = numeric(fn, x, dtype)
    ctx.shape = x.shape
    xs, ctx.axis = _scan_axis(fn, x, axis)
    return xs


def _rev_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


class CumSum(Function):
    """Running sum along `axis` in `dtype`; axis None scans the flattened x: x -> same size."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, dtype: Any = None) -> np.ndarray:
        xs = _scan_input(ctx, "CumSum", x, axis, dtype)
        out = np.cumsum(xs, axis=ctx.axis)
        return out if axis is None else out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        g = dout.reshape(-1) if dout.ndim == 0 else dout
        return _rev_cumsum(g, ctx.axis).reshape(ctx.shape).astype(ctx.in_dtype, copy=False)


class CumProd(Function):
    """Running product along `axis` in `dtype`; exact gradients with zeros; None flattens."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, dtype: Any = None) -> np.ndarray:
        xs = _scan_input(ctx, "CumProd", x, axis, dtype)
        out = np.cumprod(xs, axis=ctx.axis)
        ctx.save_for_backward(xs, out)
        return out if axis is None else out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        xs, out = ctx.saved_tensors
        ax = ctx.axis
        g = dout.reshape(out.shape)
        if (xs != 0).all():
            dx = _rev_cumsum(g * out, ax) / xs
            return dx.reshape(ctx.shape).astype(ctx.in_dtype, copy=False)
        # dx_k = prod(x_<k) * s_k with s_k = g_k + x_(k+1) s_(k+1): no division by zero
        x_t, g_t = np.moveaxis(xs, ax, 0), np.moveaxis(g, ax, 0)
        before = np.concatenate([np.ones_like(x_t[:1]), np.cumprod(x_t[:-1], axis=0)])
        s = np.empty_like(g_t * x_t)
        s[-1] = g_t[-1]
        for k in range(len(s) - 2, -1, -1):
            s[k] = g_t[k] + x_t[k + 1] * s[k + 1]
        dx = np.moveaxis(before * s, 0, ax)
        return dx.reshape(ctx.shape).astype(ctx.in_dtype, copy=False)


def _rev_logcumsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.logaddexp.accumulate(np.flip(a, axis), axis=axis), axis)


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) along `axis` by pairwise logaddexp (no overflow or underflow)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None) -> np.ndarray:
        xs = _scan_input(ctx, "LogCumSumExp", x, axis, floats=True)
        out = np.logaddexp.accumulate(xs, axis=ctx.axis)
        ctx.save_for_backward(xs, out)
        return out if axis is None else out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        xs, out = ctx.saved_tensors
        g = dout.reshape(out.shape)
        # dx_i = sum_{j >= i} g_j exp(x_i - out_j), split by the sign of g and summed in logs
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_g = np.log(np.abs(g))
            parts = [np.exp(_rev_logcumsumexp(np.where(keep, log_g, -np.inf) - out, ctx.axis)
                            + xs) for keep in (g > 0, g < 0)]
        return (parts[0] - parts[1]).reshape(ctx.shape)


# ----- wrappers (numpy's axis or torch's dim) --------------------------------------------------
def cumsum(x: Any, axis: Any = None, *, dim: Any = None, dtype: Any = None) -> Any:
    """Running sum along `axis` (torch: `dim`); None scans the flattened x as numpy does."""
    return CumSum.apply(x, axis=alias("cumsum", "axis", axis, "dim", dim), dtype=dtype)


def cumprod(x: Any, axis: Any = None, *, dim: Any = None, dtype: Any = None) -> Any:
    """Running product along `axis` (torch: `dim`); None scans the flattened x."""
    return CumProd.apply(x, axis=alias("cumprod", "axis", axis, "dim", dim), dtype=dtype)


def logcumsumexp(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """log(cumsum(exp(x))) along `axis` (torch: `dim`), stable; default axis 0 (tinygrad's;
    `LogCumSumExp.apply(x, axis=None)` scans the flattened x)."""
    return LogCumSumExp.apply(x, axis=alias("logcumsumexp", "axis", axis, "dim", dim, 0))


__all__ = ["CumSum", "CumProd", "LogCumSumExp", "cumsum", "cumprod", "logcumsumexp"]

TENSOR_METHODS = {"cumsum": cumsum, "cumprod": cumprod, "logcumsumexp": logcumsumexp}
