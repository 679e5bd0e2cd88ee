"""Moments: var and std over an axis, a tuple of axes, or everything; var_mean and std_mean.

The divisor is n - correction (torch's default correction=1; `unbiased=` and numpy's `ddof=` are
accepted). As torch, n - correction <= 0 is no error: the divisor is max(n - correction, 0), so
the result is inf or NaN, and the gradient follows torch's formula, 2 (x - mean) / (n -
correction) (with no axis given, NaN where x equals the mean, else inf).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError
from minigrad.function import Context, Function
from minigrad.functional.axes import axis_keepdims, count, float_input, reduce_axes, unsqueeze
from minigrad.functional.reduce import mean


def _moments(fn: str, ctx: Context, x: Any, axis: Any, correction: Any) -> tuple:
    """(x - mean, sum((x - mean)^2) / max(n - correction, 0)), keepdims; axes on `ctx`."""
    x = float_input(fn, x)
    if isinstance(correction, bool) or not isinstance(correction, (int, float, np.integer,
                                                                   np.floating)):
        raise DTypeError(f"{fn}: correction must be a number, got {type(correction).__name__}")
    ctx.axes = reduce_axes(fn, x, axis)
    ctx.whole = axis is None or x.ndim == 0  # torch's no-dim gradient formula
    n = count(x, ctx.axes)
    ctx.dof = float(n - correction)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = x - x.sum(axis=ctx.axes, keepdims=True) / n
        return d, (d * d).sum(axis=ctx.axes, keepdims=True) / max(ctx.dof, 0.0)


def _var_grad(ctx: Context, g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """torch's var_backward: 2 g (x - mean) / (n - correction)."""
    with np.errstate(invalid="ignore", over="ignore"):
        if ctx.whole and ctx.dof <= 0:
            return g * np.where(d == 0, np.nan, np.inf).astype(d.dtype)
        scale = 2.0 / ctx.dof if ctx.dof else math.inf
        return (g * scale) * d


class Var(Function):
    """Variance over `axis`, divided by n - correction (torch's default correction=1)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, correction: float = 1,
                keepdims: bool = False) -> np.ndarray:
        d, out = _moments("Var", ctx, x, axis, correction)
        ctx.keepdims = keepdims
        ctx.save_for_backward(d)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (d,) = ctx.saved_tensors
        g = unsqueeze(dout, ctx.axes, ctx.keepdims)
        return _var_grad(ctx, g, d)


class Std(Function):
    """sqrt(Var(x, axis, correction)); the gradient is 0 where the std is 0 (as torch)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, correction: float = 1,
                keepdims: bool = False) -> np.ndarray:
        d, var = _moments("Std", ctx, x, axis, correction)
        out = np.sqrt(var)
        ctx.keepdims = keepdims
        ctx.save_for_backward(d, out)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        d, out = ctx.saved_tensors
        g = unsqueeze(dout, ctx.axes, ctx.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):
            g_var = np.where(out == 0, 0, g / (2 * out))
        return _var_grad(ctx, g_var, d)


# ----- wrappers (numpy's axis/keepdims/ddof or torch's dim/keepdim/correction/unbiased) --------
def _correction(fn: str, correction: Any, unbiased: Any, ddof: Any) -> Any:
    given = {k: v for k, v in (("correction", correction), ("unbiased", unbiased),
                               ("ddof", ddof)) if v is not None}
    if len(given) > 1:
        raise TypeError(f"{fn}: give one of correction, unbiased or ddof, got {sorted(given)}")
    if unbiased is not None:
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{fn}: unbiased must be a bool, got {type(unbiased).__name__}")
        return 1 if unbiased else 0
    return next(iter(given.values()), 1)


def var(x: Any, axis: Any = None, *, correction: Any = None, keepdims: bool | None = None,
        dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
        ddof: Any = None) -> Any:
    """Variance over `axis` with n - correction in the denominator (default 1, as torch;
    `unbiased=False` or numpy's `ddof=0` give the population variance)."""
    axis, keepdims = axis_keepdims("var", axis, dim, keepdims, keepdim)
    return Var.apply(x, axis=axis, correction=_correction("var", correction, unbiased, ddof),
                     keepdims=keepdims)


def std(x: Any, axis: Any = None, *, correction: Any = None, keepdims: bool | None = None,
        dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
        ddof: Any = None) -> Any:
    """Standard deviation over `axis`; correction / unbiased / ddof as `var`."""
    axis, keepdims = axis_keepdims("std", axis, dim, keepdims, keepdim)
    return Std.apply(x, axis=axis, correction=_correction("std", correction, unbiased, ddof),
                     keepdims=keepdims)


def var_mean(x: Any, axis: Any = None, *, correction: Any = None, keepdims: bool | None = None,
             dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
             ddof: Any = None) -> tuple:
    """(var, mean) over `axis`, as torch.var_mean; arguments as `var`."""
    axis, keepdims = axis_keepdims("var_mean", axis, dim, keepdims, keepdim)
    c = _correction("var_mean", correction, unbiased, ddof)
    return (Var.apply(x, axis=axis, correction=c, keepdims=keepdims),
            mean(x, axis, keepdims))


def std_mean(x: Any, axis: Any = None, *, correction: Any = None, keepdims: bool | None = None,
             dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
             ddof: Any = None) -> tuple:
    """(std, mean) over `axis`, as torch.std_mean; arguments as `var`."""
    axis, keepdims = axis_keepdims("std_mean", axis, dim, keepdims, keepdim)
    c = _correction("std_mean", correction, unbiased, ddof)
    return (Std.apply(x, axis=axis, correction=c, keepdims=keepdims),
            mean(x, axis, keepdims))


__all__ = ["Var", "Std", "var", "std", "var_mean", "std_mean"]

TENSOR_METHODS = {"var": var, "std": std, "var_mean": var_mean, "std_mean": std_mean}
