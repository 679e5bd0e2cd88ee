"""Reductions over an axis, a tuple of axes, or everything: sum, mean, max/min, prod, var/std,
logsumexp; scans cumsum/cumprod; argmax/argmin (no gradient).

Every wrapper takes numpy's `axis`/`keepdims` or torch's `dim`/`keepdim`. `max`/`min` return the
values only: torch's `t.max(dim)` returns (values, indices), minigrad (like tinygrad) returns
values; use `argmax`/`argmin` for the indices.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import alias, as_array
from minigrad.tensor import Tensor


def _axes(fn: str, x: np.ndarray, axis: Any) -> tuple:
    """Normalise `axis` to a sorted tuple of non-negative axes of `x`."""
    if axis is None:
        return tuple(range(x.ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        axes = tuple(axis)
    else:
        raise DTypeError(f"{fn}: axis must be None, an int or a tuple of ints, got "
                         f"{type(axis).__name__}")
    out = []
    for a in axes:
        if not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise ShapeError(f"{fn}: axis {a} is out of range for x of shape {x.shape}")
        out.append(int(a) % builtins.max(x.ndim, 1))
    return tuple(sorted(set(out))) if x.ndim else ()


def _expand(dout: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdims:
        dout = np.expand_dims(dout, axes)
    return np.broadcast_to(dout, shape)


def _floating(fn: str, x: Any) -> np.ndarray:
    x = np.asarray(as_array(fn, "x", x))
    if x.dtype.kind != "f":
        raise DTypeError(f"{fn}: x must be a float array (float32 or float64), got dtype "
                         f"{x.dtype}")
    return x


def _count(x: np.ndarray, axes: tuple) -> int:
    return int(np.prod([x.shape[a] for a in axes]))


class Sum(Function):
    """x.sum(axis, keepdims): any shape -> the reduced shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Sum", "x", x))
        ctx.axes, ctx.keepdims, ctx.shape = _axes("Sum", x, axis), keepdims, x.shape
        return np.asarray(x.sum(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _expand(dout, ctx.axes, ctx.keepdims, ctx.shape)


class Mean(Function):
    """x.mean(axis, keepdims): any shape -> the reduced shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Mean", "x", x))
        ctx.axes, ctx.keepdims, ctx.shape = _axes("Mean", x, axis), keepdims, x.shape
        ctx.count = _count(x, ctx.axes)
        if ctx.count == 0:
            raise ShapeError(f"Mean: cannot average over an empty axis, x has shape {x.shape}")
        return np.asarray(x.mean(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _expand(dout / ctx.count, ctx.axes, ctx.keepdims, ctx.shape)


def _extreme_forward(fn: str, op: Any, ctx: Context, x: Any, axis: Any,
                     keepdims: bool) -> np.ndarray:
    x = np.asarray(as_array(fn, "x", x))
    if x.size == 0:
        raise ShapeError(f"{fn}: x must be non-empty, got shape {x.shape}")
    ctx.axes, ctx.keepdims = _axes(fn, x, axis), keepdims
    out = op(x, axis=ctx.axes, keepdims=True)
    ctx.save_for_backward(x, out)
    return out if keepdims else np.squeeze(out, axis=ctx.axes)


def _extreme_backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
    x, out = ctx.saved_tensors
    hit = x == out
    if not ctx.keepdims:
        dout = np.expand_dims(dout, ctx.axes)
    return hit * (dout / hit.sum(axis=ctx.axes, keepdims=True))


class Max(Function):
    """x.max(axis, keepdims); tied maxima share the gradient equally (torch.amax): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return _extreme_forward("Max", np.max, ctx, x, axis, keepdims)

    backward = staticmethod(_extreme_backward)


class Min(Function):
    """x.min(axis, keepdims); tied minima share the gradient equally (torch.amin): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return _extreme_forward("Min", np.min, ctx, x, axis, keepdims)

    backward = staticmethod(_extreme_backward)


class Prod(Function):
    """x.prod(axis, keepdims), with exact gradients when x holds one or several zeros."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("Prod", "x", x))
        ctx.axes, ctx.keepdims = _axes("Prod", x, axis), keepdims
        ctx.save_for_backward(x)
        return np.asarray(x.prod(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        zero = x == 0
        safe = np.where(zero, 1, x)
        others = safe.prod(axis=ctx.axes, keepdims=True)  # product of the non-zero entries
        nzero = zero.sum(axis=ctx.axes, keepdims=True)
        # no zero: prod / x_i; one zero: only that entry gets the others' product; more: 0
        grad = np.where(zero, np.where(nzero == 1, others, 0), np.where(nzero == 0, others, 0)
                        / safe)
        if not ctx.keepdims:
            dout = np.expand_dims(dout, ctx.axes)
        return dout * grad


def _moments(fn: str, ctx: Context, x: Any, axis: Any, correction: Any) -> tuple:
    """sum((x - mean)^2) / (n - correction), keepdims; the deviations stay on `ctx`."""
    x = _floating(fn, x)
    if isinstance(correction, bool) or not isinstance(correction, (int, float, np.integer,
                                                                   np.floating)):
        raise DTypeError(f"{fn}: correction must be a number, got {type(correction).__name__}")
    ctx.axes = _axes(fn, x, axis)
    n = _count(x, ctx.axes)
    ctx.denom = float(n - correction)
    if ctx.denom <= 0:
        raise RangeError(f"{fn}: correction {correction} needs more than {correction} "
                         f"element(s) per reduction, got {n} from x of shape {x.shape}")
    d = x - x.mean(axis=ctx.axes, keepdims=True)
    return d, (d * d).sum(axis=ctx.axes, keepdims=True) / ctx.denom


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
        g = dout if ctx.keepdims else np.expand_dims(dout, ctx.axes)
        return g * d * (2.0 / ctx.denom)


class Std(Function):
    """sqrt(Var(x, axis, correction)); the gradient is 0 where the std is 0 (torch: NaN)."""

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
        g = dout if ctx.keepdims else np.expand_dims(dout, ctx.axes)
        scale = np.divide(g, out * ctx.denom, out=np.zeros_like(g * out), where=out > 0)
        return d * scale


class LogSumExp(Function):
    """log(sum(exp(x))) over `axis`, shifted by the max (no overflow): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = _floating("LogSumExp", x)
        ctx.axes, ctx.keepdims = _axes("LogSumExp", x, axis), keepdims
        m = np.max(x, axis=ctx.axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(x - m).sum(axis=ctx.axes, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        g = dout if ctx.keepdims else np.expand_dims(dout, ctx.axes)
        with np.errstate(invalid="ignore"):
            p = np.exp(x - out)  # softmax over the reduced axes
        return g * np.where(np.isneginf(out), 0.0, p)


def _one_axis(fn: str, x: np.ndarray, axis: Any) -> int:
    """One axis of `x` as a non-negative int (0-d x has the axis 0 / -1, as torch)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise DTypeError(f"{fn}: axis must be None or an int, got {type(axis).__name__}")
    n = builtins.max(x.ndim, 1)
    if not -n <= axis < n:
        raise ShapeError(f"{fn}: axis {axis} is out of range for x of shape {x.shape}")
    return int(axis) % n


def _scan_axis(fn: str, x: np.ndarray, axis: Any) -> tuple:
    """(x as scanned, axis): axis None flattens (numpy); 0-d x scans as shape (1,)."""
    if axis is None:
        return x.reshape(-1), 0
    return x.reshape(x.shape or (1,)), _one_axis(fn, x, axis)


def _rev_cumsum(g: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


class CumSum(Function):
    """Running sum along `axis`; axis None scans the flattened x (numpy): x -> same size."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None) -> np.ndarray:
        x = np.asarray(as_array("CumSum", "x", x))
        ctx.shape = x.shape
        xs, ctx.axis = _scan_axis("CumSum", x, axis)
        out = np.cumsum(xs, axis=ctx.axis)
        return out if axis is None else out.reshape(x.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        g = dout.reshape(-1) if dout.ndim == 0 else dout
        return _rev_cumsum(g, ctx.axis).reshape(ctx.shape)


class CumProd(Function):
    """Running product along `axis`; exact gradients with zeros; axis None flattens."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None) -> np.ndarray:
        x = np.asarray(as_array("CumProd", "x", x))
        ctx.shape = x.shape
        xs, ctx.axis = _scan_axis("CumProd", x, axis)
        out = np.cumprod(xs, axis=ctx.axis)
        ctx.save_for_backward(xs, out)
        return out if axis is None else out.reshape(x.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        xs, out = ctx.saved_tensors
        ax = ctx.axis
        g = dout.reshape(out.shape)
        if (xs != 0).all():
            return (_rev_cumsum(g * out, ax) / xs).reshape(ctx.shape)
        # dx_k = prod(x_<k) * s_k with s_k = g_k + x_(k+1) s_(k+1): no division by zero
        x_t, g_t = np.moveaxis(xs, ax, 0), np.moveaxis(g, ax, 0)
        before = np.concatenate([np.ones_like(x_t[:1]), np.cumprod(x_t[:-1], axis=0)])
        s = np.empty_like(g_t * x_t)
        s[-1] = g_t[-1]
        for k in range(len(s) - 2, -1, -1):
            s[k] = g_t[k] + x_t[k + 1] * s[k + 1]
        return np.moveaxis(before * s, 0, ax).reshape(ctx.shape)


# ----- wrappers (numpy's axis/keepdims or torch's dim/keepdim) ---------------------------------
def _ak(fn: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple:
    return (alias(fn, "axis", axis, "dim", dim),
            bool(alias(fn, "keepdims", keepdims, "keepdim", keepdim, False)))


def sum(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Sum over `axis` (all axes if None)."""
    axis, keepdims = _ak("sum", axis, dim, keepdims, keepdim)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
         keepdim: bool | None = None) -> Any:
    """Mean over `axis` (all axes if None)."""
    axis, keepdims = _ak("mean", axis, dim, keepdims, keepdim)
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Max values over `axis` (not torch's (values, indices): see argmax); ties share the grad."""
    axis, keepdims = _ak("max", axis, dim, keepdims, keepdim)
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Min values over `axis` (not torch's (values, indices): see argmin); ties share the grad."""
    axis, keepdims = _ak("min", axis, dim, keepdims, keepdim)
    return Min.apply(x, axis=axis, keepdims=keepdims)


amax, amin = max, min


def prod(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
         keepdim: bool | None = None) -> Any:
    """Product over `axis` (all axes if None)."""
    axis, keepdims = _ak("prod", axis, dim, keepdims, keepdim)
    return Prod.apply(x, axis=axis, keepdims=keepdims)


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
    axis, keepdims = _ak("var", axis, dim, keepdims, keepdim)
    return Var.apply(x, axis=axis, correction=_correction("var", correction, unbiased, ddof),
                     keepdims=keepdims)


def std(x: Any, axis: Any = None, *, correction: Any = None, keepdims: bool | None = None,
        dim: Any = None, keepdim: bool | None = None, unbiased: bool | None = None,
        ddof: Any = None) -> Any:
    """Standard deviation over `axis`; correction / unbiased / ddof as `var`."""
    axis, keepdims = _ak("std", axis, dim, keepdims, keepdim)
    return Std.apply(x, axis=axis, correction=_correction("std", correction, unbiased, ddof),
                     keepdims=keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
              keepdim: bool | None = None) -> Any:
    """log(sum(exp(x))) over `axis` (all axes if None), without overflow."""
    axis, keepdims = _ak("logsumexp", axis, dim, keepdims, keepdim)
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def cumsum(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """Running sum along `axis` (torch: `dim`); None scans the flattened x as numpy does."""
    return CumSum.apply(x, axis=alias("cumsum", "axis", axis, "dim", dim))


def cumprod(x: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """Running product along `axis` (torch: `dim`); None scans the flattened x."""
    return CumProd.apply(x, axis=alias("cumprod", "axis", axis, "dim", dim))


def _arg(fn: str, op: Any, x: Any, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> Tensor:
    axis, keepdims = _ak(fn, axis, dim, keepdims, keepdim)
    a = np.asarray(as_array(fn, "x", x.data if isinstance(x, Tensor) else x))
    if a.size == 0:
        raise ShapeError(f"{fn}: x must be non-empty, got shape {a.shape}")
    if axis is not None:
        axis = _one_axis(fn, a, axis)
        if a.ndim == 0:
            axis = None  # a 0-d x has the single index 0 (torch accepts dim 0 / -1)
    return Tensor(np.asarray(op(a, axis=axis, keepdims=keepdims), dtype=np.int64))


def argmax(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """int64 indices of the max along `axis` (None: index into the flattened x); first of ties."""
    return _arg("argmax", np.argmax, x, axis, dim, keepdims, keepdim)


def argmin(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """int64 indices of the min along `axis` (None: index into the flattened x); first of ties."""
    return _arg("argmin", np.argmin, x, axis, dim, keepdims, keepdim)


__all__ = ["Sum", "Mean", "Max", "Min", "Prod", "Var", "Std", "LogSumExp", "CumSum", "CumProd",
           "sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "logsumexp",
           "cumsum", "cumprod", "argmax", "argmin"]

TENSOR_METHODS = {"sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin,
                  "prod": prod, "var": var, "std": std, "logsumexp": logsumexp,
                  "cumsum": cumsum, "cumprod": cumprod, "argmax": argmax, "argmin": argmin}
