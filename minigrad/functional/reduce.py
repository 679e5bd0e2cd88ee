"""Reductions over an axis, a tuple of axes, or everything: sum, mean, max/min, prod, logsumexp,
nansum/nanmean; argmax/argmin and any/all (no gradient).

Every wrapper takes numpy's `axis`/`keepdims` or torch's `dim`/`keepdim`. As torch: an empty
tuple of axes reduces everything (any/all: nothing); a bad axis is an IndexRangeError (torch's
"Dimension out of range" IndexError); an empty reduction gives sum 0, prod 1, mean NaN and
logsumexp -inf, while max/min/argmax/argmin raise EmptyReductionError; ints and bools sum to
int64. `max`/`min` return the values only: torch's `t.max(dim)` returns (values, indices),
minigrad (like tinygrad) returns values; use `argmax`/`argmin` for the indices.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional.axes import (
    EmptyReductionError,
    axis_keepdims,
    count,
    expand,
    float_input,
    nonempty,
    numeric,
    one_axis,
    reduce_axes,
    unsqueeze,
)
from minigrad.functional.validate import as_array
from minigrad.tensor import Tensor


class Sum(Function):
    """x.sum(axis, keepdims) in `dtype` (ints and bools: int64): any shape -> the reduced shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = numeric("Sum", x, dtype)
        ctx.axes, ctx.keepdims, ctx.shape = reduce_axes("Sum", x, axis), keepdims, x.shape
        return np.asarray(x.sum(axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return expand(dout, ctx.axes, ctx.keepdims, ctx.shape).astype(ctx.in_dtype, copy=False)


class Mean(Function):
    """x.mean(axis, keepdims); NaN over an empty axis (torch); ints need a float `dtype`."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = float_input("Mean", x, dtype)
        ctx.axes, ctx.keepdims, ctx.shape = reduce_axes("Mean", x, axis), keepdims, x.shape
        ctx.count = count(x, ctx.axes)
        with np.errstate(invalid="ignore"):
            return np.asarray(x.sum(axis=ctx.axes, keepdims=keepdims) / ctx.count)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            g = dout / ctx.count
        return expand(g, ctx.axes, ctx.keepdims, ctx.shape).astype(ctx.in_dtype, copy=False)


def _extreme_forward(fn: str, op: Any, ctx: Context, x: Any, axis: Any,
                     keepdims: bool) -> np.ndarray:
    x = np.asarray(as_array(fn, "x", x))
    ctx.axes, ctx.keepdims = reduce_axes(fn, x, axis), keepdims
    nonempty(fn, x, ctx.axes)
    out = op(x, axis=ctx.axes, keepdims=True)
    ctx.save_for_backward(x, out)
    return out if keepdims else np.squeeze(out, axis=ctx.axes)


def _extreme_backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
    x, out = ctx.saved_tensors
    hit = x == out
    g = unsqueeze(dout, ctx.axes, ctx.keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hit * (g / hit.sum(axis=ctx.axes, keepdims=True))


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
    """x.prod(axis, keepdims) in `dtype`, 1 over an empty axis; exact gradients with zeros."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = numeric("Prod", x, dtype)
        ctx.axes, ctx.keepdims = reduce_axes("Prod", x, axis), keepdims
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
        return (unsqueeze(dout, ctx.axes, ctx.keepdims) * grad).astype(ctx.in_dtype, copy=False)


class LogSumExp(Function):
    """log(sum(exp(x))) over `axis`, max-shifted (no overflow); -inf over an empty axis."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        x = np.asarray(as_array("LogSumExp", "x", x))
        x = x if x.dtype.kind == "f" else x.astype(np.float32)  # torch's default float
        ctx.axes, ctx.keepdims = reduce_axes("LogSumExp", x, axis), keepdims
        m = np.max(x, axis=ctx.axes, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(x - m).sum(axis=ctx.axes, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        g = unsqueeze(dout, ctx.axes, ctx.keepdims)
        with np.errstate(invalid="ignore"):
            p = np.exp(x - out)  # softmax over the reduced axes
        return g * np.where(np.isneginf(out), 0.0, p)


class NanSum(Function):
    """x.sum(axis, keepdims) with NaN counted as 0; no gradient to the NaNs: any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = numeric("NanSum", x, dtype)
        ctx.axes, ctx.keepdims = reduce_axes("NanSum", x, axis), keepdims
        ctx.save_for_backward(~np.isnan(x))
        return np.asarray(np.nansum(x, axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (keep,) = ctx.saved_tensors
        g = expand(dout, ctx.axes, ctx.keepdims, keep.shape)
        return (g * keep).astype(ctx.in_dtype, copy=False)


class NanMean(Function):
    """Mean over `axis` of the non-NaN entries (NaN if there are none): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = float_input("NanMean", x, dtype)
        ctx.axes, ctx.keepdims = reduce_axes("NanMean", x, axis), keepdims
        keep = ~np.isnan(x)
        n = keep.sum(axis=ctx.axes, keepdims=True)
        ctx.save_for_backward(keep, n)
        with np.errstate(invalid="ignore"):
            out = np.nansum(x, axis=ctx.axes, keepdims=True) / n.astype(x.dtype)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        keep, n = ctx.saved_tensors
        g = unsqueeze(dout, ctx.axes, ctx.keepdims)
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN where all were NaN (torch)
            g = g / n.astype(g.dtype) * keep
        return g.astype(ctx.in_dtype, copy=False)


# ----- wrappers (numpy's axis/keepdims or torch's dim/keepdim) ---------------------------------
_ak = axis_keepdims  # short local name for the wrappers below


def sum(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None, dtype: Any = None) -> Any:
    """Sum over `axis` (all axes if None or ()), in `dtype` if given."""
    axis, keepdims = _ak("sum", axis, dim, keepdims, keepdim)
    return Sum.apply(x, axis=axis, keepdims=keepdims, dtype=dtype)


def mean(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
         keepdim: bool | None = None, dtype: Any = None) -> Any:
    """Mean over `axis` (all axes if None or ()), in `dtype` if given."""
    axis, keepdims = _ak("mean", axis, dim, keepdims, keepdim)
    return Mean.apply(x, axis=axis, keepdims=keepdims, dtype=dtype)


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
         keepdim: bool | None = None, dtype: Any = None) -> Any:
    """Product over `axis` (all axes if None), in `dtype` if given."""
    axis, keepdims = _ak("prod", axis, dim, keepdims, keepdim)
    return Prod.apply(x, axis=axis, keepdims=keepdims, dtype=dtype)


def logsumexp(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
              keepdim: bool | None = None) -> Any:
    """log(sum(exp(x))) over `axis` (all axes if None), without overflow."""
    axis, keepdims = _ak("logsumexp", axis, dim, keepdims, keepdim)
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
           keepdim: bool | None = None, dtype: Any = None) -> Any:
    """Sum over `axis` treating NaN as 0."""
    axis, keepdims = _ak("nansum", axis, dim, keepdims, keepdim)
    return NanSum.apply(x, axis=axis, keepdims=keepdims, dtype=dtype)


def nanmean(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
            keepdim: bool | None = None, dtype: Any = None) -> Any:
    """Mean over `axis` of the non-NaN entries."""
    axis, keepdims = _ak("nanmean", axis, dim, keepdims, keepdim)
    return NanMean.apply(x, axis=axis, keepdims=keepdims, dtype=dtype)


def _values(fn: str, x: Any) -> np.ndarray:
    return np.asarray(as_array(fn, "x", x.data if isinstance(x, Tensor) else x))


def _arg(fn: str, op: Any, x: Any, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> Tensor:
    axis, keepdims = _ak(fn, axis, dim, keepdims, keepdim)
    a = _values(fn, x)
    if axis is None:
        if a.size == 0:
            raise EmptyReductionError(f"{fn}: x must be non-empty to reduce over every axis, got "
                                      f"shape {a.shape}")
    else:
        axis = one_axis(fn, a, axis)
        if a.ndim == 0:
            axis = None  # a 0-d x has the single index 0 (torch accepts dim 0 / -1)
        else:
            nonempty(fn, a, (axis,))
    return Tensor(np.asarray(op(a, axis=axis, keepdims=keepdims), dtype=np.int64))


def argmax(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """int64 indices of the max along `axis` (None: index into the flattened x); first of ties."""
    return _arg("argmax", np.argmax, x, axis, dim, keepdims, keepdim)


def argmin(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,
           keepdim: bool | None = None) -> Tensor:
    """int64 indices of the min along `axis` (None: index into the flattened x); first of ties."""
    return _arg("argmin", np.argmin, x, axis, dim, keepdims, keepdim)


def any(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Whether any element over `axis` is non-zero (() reduces nothing): a bool Tensor."""
    axis, keepdims = _ak("any", axis, dim, keepdims, keepdim)
    a = _values("any", x)
    return Tensor(np.any(a, axis=reduce_axes("any", a, axis, empty_all=False),
                         keepdims=keepdims))


def all(x: Any, axis: Any = None, keepdims: bool | None = None, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Tensor:
    """Whether every element over `axis` is non-zero (() reduces nothing): a bool Tensor."""
    axis, keepdims = _ak("all", axis, dim, keepdims, keepdim)
    a = _values("all", x)
    return Tensor(np.all(a, axis=reduce_axes("all", a, axis, empty_all=False),
                         keepdims=keepdims))


__all__ = ["Sum", "Mean", "Max", "Min", "Prod", "LogSumExp", "NanSum", "NanMean", "sum", "mean",
           "max", "min", "amax", "amin", "prod", "logsumexp", "nansum", "nanmean", "argmax",
           "argmin", "any", "all"]

TENSOR_METHODS = {"sum": sum, "mean": mean, "max": max, "min": min, "amax": amax, "amin": amin,
                  "prod": prod, "logsumexp": logsumexp, "nansum": nansum, "nanmean": nanmean,
                  "argmax": argmax, "argmin": argmin, "any": any, "all": all}
