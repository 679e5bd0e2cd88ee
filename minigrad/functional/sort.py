"""Sorting and selection: sort, argsort, topk, kthvalue, median, cummax/cummin (values
differentiable, int64 indices not), and numpy's np_sort / msort (values only).

Sorting is always stable: equal values keep their order (descending too), as torch's
`stable=True`; NaN sorts as the largest value, as in torch and numpy. topk and kthvalue pick
equal values lowest index first; torch's CPU topk/kthvalue order among ties is
implementation-defined (torch.topk([1, 3, 3, 2, 3, 1], 2) gives indices [2, 4], minigrad
[1, 2]): the values agree, the indices (and so where the gradient goes) may not.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.axes import one_axis
from minigrad.functional.shape import _array, getitem, reshape, unsqueeze
from minigrad.functional.validate import alias
from minigrad.tensor import Tensor

_axis = one_axis  # one axis as a non-negative int (a 0-d x has axis 0 / -1, as torch)


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable int64 argsort; descending keeps equal values in their original order."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    r = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (x.shape[axis] - 1) - np.flip(r, axis)


def _per_input(ctx: Context, dx: np.ndarray) -> Any:
    """dx for x and None for constants given positionally (topk(x, k), cummax(x, dim))."""
    n = len(ctx.needs_input_grad)
    return dx if n == 1 else (dx,) + (None,) * (n - 1)


def _scatter(idx: np.ndarray, dvals: np.ndarray, axis: int, shape: tuple,
             repeats: bool = False) -> np.ndarray:
    """Zeros of `shape` with dvals put (added, if idx `repeats`) at idx along `axis`."""
    dx = np.zeros(shape, dtype=dvals.dtype)
    if not repeats:
        np.put_along_axis(dx, idx, dvals, axis)
        return dx
    index = list(np.indices(idx.shape, sparse=True))
    index[axis] = idx
    np.add.at(dx, tuple(index), dvals)
    return dx


class Sort(Function):
    """Values of x sorted along `axis` (stable) and their int64 indices: x -> (x.shape, x.shape);
    return_indices=False returns the values only (np.sort)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1, descending: bool = False,
                return_indices: bool = True) -> Any:
        x = _array("Sort", x)
        ctx.axis, ctx.shape = _axis("Sort", x, axis), x.shape
        xs = x.reshape(x.shape or (1,))
        ctx.idx = _argsort(xs, ctx.axis, bool(descending))
        vals = np.take_along_axis(xs, ctx.idx, ctx.axis).reshape(x.shape)
        return (vals, ctx.idx.reshape(x.shape)) if return_indices else vals

    @staticmethod
    def backward(ctx: Context, dvals: np.ndarray, *_: Any) -> np.ndarray:
        g = dvals.reshape(ctx.idx.shape)
        return _per_input(ctx, _scatter(ctx.idx, g, ctx.axis, ctx.idx.shape).reshape(ctx.shape))


class TopK(Function):
    """The k largest (largest=False: smallest) values of x along `axis`, sorted, and their int64
    indices: x (.., n, ..) -> (.., k, ..) twice; return_indices=False: the values only."""

    @staticmethod
    def forward(ctx: Context, x: Any, k: int, axis: int = -1, largest: bool = True,
                return_indices: bool = True) -> Any:
        x = _array("TopK", x)
        ctx.axis, ctx.shape = _axis("TopK", x, axis), x.shape
        xs = x.reshape(x.shape or (1,))
        n = xs.shape[ctx.axis]
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise DTypeError(f"TopK: k must be an int, got {type(k).__name__}")
        if not 0 <= k <= n:
            raise RangeError(f"TopK: k must be in [0, {n}] (the size of axis {ctx.axis}), got "
                             f"{k} for x of shape {x.shape}")
        order = _argsort(xs, ctx.axis, bool(largest))
        ctx.idx = np.take(order, np.arange(k), axis=ctx.axis)
        vals = np.take_along_axis(xs, ctx.idx, ctx.axis)
        if x.ndim == 0:
            vals, idx = vals.reshape(()), ctx.idx.reshape(())
        else:
            idx = ctx.idx
        return (vals, idx) if return_indices else vals

    @staticmethod
    def backward(ctx: Context, dvals: np.ndarray, *_: Any) -> np.ndarray:
        g = dvals.reshape(ctx.idx.shape)
        dx = _scatter(ctx.idx, g, ctx.axis, ctx.shape or (1,)).reshape(ctx.shape)
        return _per_input(ctx, dx)


def _cum_extreme(fn: str, op: Any, ctx: Context, x: Any, axis: Any,
                 return_indices: bool) -> Any:
    x = _array(fn, x)
    ctx.axis, ctx.shape = _axis(fn, x, axis), x.shape
    xs = x.reshape(x.shape or (1,))
    vals = op.accumulate(xs, axis=ctx.axis)
    hit = xs == vals  # torch's rule: a new extreme or a tie moves the index (the last of ties)
    if xs.dtype.kind == "f":
        hit |= np.isnan(xs)
    pos = np.arange(xs.shape[ctx.axis]).reshape([-1 if a == ctx.axis else 1
                                                  for a in range(xs.ndim)])
    ctx.idx = np.maximum.accumulate(np.where(hit, pos, 0), axis=ctx.axis)
    vals = vals.reshape(x.shape)
    return (vals, ctx.idx.reshape(x.shape)) if return_indices else vals


def _cum_backward(ctx: Context, dvals: np.ndarray, *_: Any) -> np.ndarray:
    g = dvals.reshape(ctx.idx.shape)
    dx = _scatter(ctx.idx, g, ctx.axis, ctx.idx.shape, repeats=True).reshape(ctx.shape)
    return _per_input(ctx, dx)


class CumMax(Function):
    """Running max along `axis` and the int64 index it came from (the last of ties, as torch):
    x -> (x.shape, x.shape); the gradient goes to that index."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int, return_indices: bool = True) -> Any:
        return _cum_extreme("CumMax", np.maximum, ctx, x, axis, return_indices)

    backward = staticmethod(_cum_backward)


class CumMin(Function):
    """Running min along `axis` and the int64 index it came from (the last of ties, as torch):
    x -> (x.shape, x.shape)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int, return_indices: bool = True) -> Any:
        return _cum_extreme("CumMin", np.minimum, ctx, x, axis, return_indices)

    backward = staticmethod(_cum_backward)


# ----- wrappers (torch's dim; numpy's axis as alias) --------------------------------------------
def _dim(fn: str, dim: Any, axis: Any, default: Any = -1) -> Any:
    return alias(fn, "dim", dim, "axis", axis, default)


def sort(x: Any, dim: int | None = None, descending: bool = False, stable: bool = False, *,
         axis: int | None = None) -> tuple:
    """(values, int64 indices) of x sorted along `dim` (default -1), as torch.sort; always
    stable (`stable` is accepted for torch's signature)."""
    return Sort.apply(x, axis=_dim("sort", dim, axis), descending=descending)


def argsort(x: Any, dim: int | None = None, descending: bool = False, stable: bool = False, *,
            axis: int | None = None) -> Tensor:
    """int64 indices that sort x along `dim` (default -1), stable; no gradient."""
    a = _array("argsort", x.data if isinstance(x, Tensor) else x)
    ax = _axis("argsort", a, _dim("argsort", dim, axis))
    return Tensor(_argsort(a.reshape(a.shape or (1,)), ax, bool(descending)).reshape(a.shape))


def np_sort(a: Any, axis: int | None = -1, kind: str | None = None, *,
            dim: int | None = None) -> Any:
    """np.sort: the sorted values along `axis`; axis None sorts the flattened a."""
    if dim is not None:
        axis = _dim("np_sort", dim, None if axis == -1 else axis)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    return Sort.apply(a, axis=axis, return_indices=False)


def msort(x: Any) -> Any:
    """Values sorted along the first axis (np.msort, torch.msort)."""
    return Sort.apply(x, axis=0, return_indices=False)


def topk(x: Any, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True, *,
         axis: int | None = None) -> tuple:
    """(values, int64 indices) of the k largest (or smallest) along `dim` (default -1); the
    result is always sorted (`sorted=False` is accepted, as torch allows any order)."""
    return TopK.apply(x, k, axis=_dim("topk", dim, axis), largest=largest)


def _select(fn: str, x: Any, k: int, axis: int, keepdim: bool) -> tuple:
    """(value, index) of the k-th smallest (1-based) along `axis` via TopK."""
    a = _array(fn, x.data if isinstance(x, Tensor) else x)
    ax = _axis(fn, a, axis)
    n = a.shape[ax] if a.ndim else 1
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or \
            not 1 <= k <= n:
        raise RangeError(f"{fn}: k must be an int in [1, {n}], got {k!r} for x of shape "
                         f"{a.shape}")
    vals, idx = TopK.apply(x, int(k), axis=ax, largest=False)
    if a.ndim == 0:
        return vals, idx
    index = (slice(None),) * ax + (k - 1,)
    v, i = getitem(vals, index), Tensor(idx.data[index])
    if keepdim:
        v, i = unsqueeze(v, ax), Tensor(np.expand_dims(i.data, ax))
    return v, i


def kthvalue(x: Any, k: int, dim: int | None = None, keepdim: bool | None = None, *,
             axis: int | None = None, keepdims: bool | None = None) -> tuple:
    """(values, int64 indices) of the k-th smallest along `dim` (default -1), as torch."""
    keep = bool(alias("kthvalue", "keepdim", keepdim, "keepdims", keepdims, False))
    return _select("kthvalue", x, k, _dim("kthvalue", dim, axis), keep)


def median(x: Any, dim: int | None = None, keepdim: bool | None = None, *,
           axis: int | None = None, keepdims: bool | None = None) -> Any:
    """torch.median: the lower median; dim None -> the value over all elements, else (values,
    int64 indices) along dim. (np.median averages the two middle values instead.)"""
    keep = bool(alias("median", "keepdim", keepdim, "keepdims", keepdims, False))
    d = _dim("median", dim, axis, None)
    a = _array("median", x.data if isinstance(x, Tensor) else x)
    if d is None:
        if a.size == 0:
            raise ShapeError(f"median: x must be non-empty, got shape {a.shape}")
        return _select("median", reshape(x, (-1,)), (a.size - 1) // 2 + 1, 0, False)[0]
    n = a.shape[_axis("median", a, d)] if a.ndim else 1
    return _select("median", x, (n - 1) // 2 + 1, d, keep)


def cummax(x: Any, dim: int | None = None, *, axis: int | None = None) -> tuple:
    """(running max, int64 index of it) along `dim`, as torch.cummax."""
    d = _dim("cummax", dim, axis, None)
    if d is None:
        raise TypeError("cummax: dim is required")
    return CumMax.apply(x, axis=d)


def cummin(x: Any, dim: int | None = None, *, axis: int | None = None) -> tuple:
    """(running min, int64 index of it) along `dim`, as torch.cummin."""
    d = _dim("cummin", dim, axis, None)
    if d is None:
        raise TypeError("cummin: dim is required")
    return CumMin.apply(x, axis=d)


__all__ = ["Sort", "TopK", "CumMax", "CumMin", "sort", "argsort", "np_sort", "msort", "topk",
           "kthvalue", "median", "cummax", "cummin"]

TENSOR_METHODS = {"sort": sort, "argsort": argsort, "msort": msort, "topk": topk,
                  "kthvalue": kthvalue, "median": median, "cummax": cummax, "cummin": cummin}
