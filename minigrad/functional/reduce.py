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

import builtins
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, IndexRangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import alias, as_array
from minigrad.tensor import Tensor


class EmptyReductionError(IndexRangeError, RuntimeError):
    """max/min/argmax/argmin over an axis of size 0; an IndexError and a RuntimeError, as torch
    raises one or the other."""


def _is_int(a: Any) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def one_axis(fn: str, x: np.ndarray, axis: Any, what: str = "an int") -> int:
    """One axis of `x` as a non-negative int (a 0-d x has the axis 0 / -1, as torch)."""
    if not _is_int(axis):
        raise DTypeError(f"{fn}: axis must be {what}, got {type(axis).__name__}")
    n = builtins.max(x.ndim, 1)
    if not -n <= axis < n:
        raise IndexRangeError(f"{fn}: axis {axis} is out of range for x of shape {x.shape} "
                              f"(expected in [{-n}, {n - 1}])")
    return int(axis) % n


def reduce_axes(fn: str, x: np.ndarray, axis: Any, empty_all: bool = True) -> tuple:
    """`axis` (None, an int, or a tuple/list of ints) as a sorted tuple of axes of `x`; None and,
    if `empty_all` (torch), an empty tuple mean every axis."""
    if axis is None:
        return tuple(range(x.ndim))
    if _is_int(axis):
        axes: tuple = (axis,)
    elif isinstance(axis, (tuple, list)) and builtins.all(_is_int(a) for a in axis):
        axes = tuple(axis)
        if not axes and empty_all:
            return tuple(range(x.ndim))
    else:
        raise DTypeError(f"{fn}: axis must be None, an int or a tuple of ints, got "
                         f"{type(axis).__name__}")
    out: list = []
    for a in axes:
        a = one_axis(fn, x, a)
        if a in out:
            raise ShapeError(f"{fn}: axis {a} appears more than once in {axis}")
        out.append(a)
    return tuple(sorted(out)) if x.ndim else ()


def expand(dout: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    if not keepdims:
        dout = np.expand_dims(dout, axes)
    return np.broadcast_to(dout, shape)


def count(x: np.ndarray, axes: tuple) -> int:
    """Number of elements in each reduction of `x` over `axes`."""
    return int(np.prod([x.shape[a] for a in axes]))


def as_dtype(fn: str, dtype: Any) -> Any:
    """A `dtype=` argument as a numpy dtype (None stays None); torch dtypes are read by name."""
    if dtype is None:
        return None
    if type(dtype).__module__ == "torch":  # torch.float64 -> 'float64' (torch is never imported)
        dtype = str(dtype).removeprefix("torch.")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{fn}: dtype must be a numpy dtype, got {dtype!r}") from None
    if dt.kind not in "biuf":
        raise DTypeError(f"{fn}: dtype must be bool, int or float, got {dt}")
    return dt


def numeric(fn: str, x: Any, dtype: Any = None, int64: bool = True) -> np.ndarray:
    """`x` as an array cast to `dtype`; without one, ints and bools become int64 (torch)."""
    x = np.asarray(as_array(fn, "x", x))
    dt = as_dtype(fn, dtype)
    if dt is None and int64 and x.dtype.kind in "biu":
        dt = np.dtype(np.int64)
    return x if dt is None or dt == x.dtype else x.astype(dt)


def float_input(fn: str, x: Any, dtype: Any = None) -> np.ndarray:
    """`x` as a float array (cast to `dtype` first, if given), else a DTypeError."""
    x = numeric(fn, x, dtype, int64=False)
    if x.dtype.kind != "f":
        raise DTypeError(f"{fn}: x must be a float array (float32 or float64) or dtype= a float "
                         f"dtype, got dtype {x.dtype}")
    return x


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


def nonempty(fn: str, x: np.ndarray, axes: tuple) -> None:
    """EmptyReductionError if a reduced axis of `x` has size 0."""
    for a in axes:
        if x.shape[a] == 0:
            raise EmptyReductionError(f"{fn}: cannot reduce over axis {a} of size 0, x has "
                                      f"shape {x.shape}")


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
    if not ctx.keepdims:
        dout = np.expand_dims(dout, ctx.axes)
    with np.errstate(invalid="ignore", divide="ignore"):
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
        if not ctx.keepdims:
            dout = np.expand_dims(dout, ctx.axes)
        return (dout * grad).astype(ctx.in_dtype, copy=False)


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
        g = dout if ctx.keepdims else np.expand_dims(dout, ctx.axes)
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
        ctx.keep = ~np.isnan(x)
        return np.asarray(np.nansum(x, axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        g = expand(dout, ctx.axes, ctx.keepdims, ctx.keep.shape)
        return (g * ctx.keep).astype(ctx.in_dtype, copy=False)


class NanMean(Function):
    """Mean over `axis` of the non-NaN entries (NaN if there are none): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None, keepdims: bool = False,
                dtype: Any = None) -> np.ndarray:
        ctx.in_dtype = np.asarray(x).dtype
        x = float_input("NanMean", x, dtype)
        ctx.axes, ctx.keepdims = reduce_axes("NanMean", x, axis), keepdims
        ctx.keep = ~np.isnan(x)
        ctx.n = ctx.keep.sum(axis=ctx.axes, keepdims=True)
        with np.errstate(invalid="ignore"):
            out = np.nansum(x, axis=ctx.axes, keepdims=True) / ctx.n.astype(x.dtype)
        return out if keepdims else np.squeeze(out, axis=ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        g = dout if ctx.keepdims else np.expand_dims(dout, ctx.axes)
        with np.errstate(invalid="ignore", divide="ignore"):  # NaN where all were NaN (torch)
            g = g / ctx.n.astype(g.dtype) * ctx.keep
        return g.astype(ctx.in_dtype, copy=False)


# ----- wrappers (numpy's axis/keepdims or torch's dim/keepdim) ---------------------------------
def axis_keepdims(fn: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple:
    """One axis and keepdims from numpy's and torch's spellings."""
    return (alias(fn, "axis", axis, "dim", dim),
            bool(alias(fn, "keepdims", keepdims, "keepdim", keepdim, False)))


_ak = axis_keepdims


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
