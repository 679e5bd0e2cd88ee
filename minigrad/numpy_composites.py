"""numpy functions minigrad has no single op for, built from minigrad.functional calls (so their
gradients come from tested Functions) with numpy's own definitions: median, partition, diff,
rot90, fliplr/flipud, atleast_1d/2d/3d, append, linspace with Tensor ends, take, ptp, meshgrid
(numpy's 'xy' default, sparse) and real/imag/angle of real input. numpy_dispatch merges
COMPOSITES into its FUNCTIONS table.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from minigrad.numpy_common import arrays as _arrays
from minigrad.numpy_common import flat as _flat
from minigrad.numpy_common import identity as _identity
from minigrad.numpy_common import ndim as _ndim
from minigrad.numpy_common import op
from minigrad.numpy_common import require as _require
from minigrad.tensor import Tensor


def _constant(x: Any, value: np.ndarray) -> Any:
    """`value` (x's shape) as a Tensor in x's graph with a zero gradient (inf/NaN in x are fine)."""
    if not isinstance(x, Tensor):
        return value
    return op("where")(np.zeros(x.shape, bool), x, value)


def _real_if_close(a: Any, tol: float = 100) -> Any:
    return a


def _partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect",
               order: Any = None) -> Any:  # numpy's own arrangement, gathered through the graph
    _require(order is None, "order (structured arrays)")
    if axis is None:
        a, axis = _flat(a), 0
    idx = np.argpartition(_arrays(a), _arrays(kth), axis=axis, kind=kind)
    return op("take_along_axis")(a, idx, axis=axis)


def _median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
            keepdims: bool = False) -> Any:  # the mean of the middle one or two sorted values
    _require(out is None, "out")
    _require(axis is None or isinstance(axis, (int, np.integer)), "a tuple axis")
    _require(not np.isnan(_arrays(a)).any(), "NaN values")
    ax = 0 if axis is None else int(axis) % max(_ndim(a), 1)
    s = op("np_sort")(a, axis=None if axis is None else ax)
    n = s.shape[ax]
    _require(n > 0, "an empty axis")
    middle = op("getitem")(s, (slice(None),) * ax + (np.array([(n - 1) // 2, n // 2]),))
    mid = op("mean")(middle, axis=ax, keepdims=keepdims)
    return op("reshape")(mid, (1,) * _ndim(a)) if keepdims and axis is None else mid


def _diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    for _ in range(n):
        pre = (slice(None),) * (int(axis) % _ndim(a))
        a = op("sub")(op("getitem")(a, pre + (slice(1, None),)),
                      op("getitem")(a, pre + (slice(None, -1),)))
    return a


def _flipped(axis: int, ndim: int) -> Callable:
    def adapter(m: Any) -> Any:
        if _ndim(m) < ndim:
            raise ValueError(f"Input must be >= {ndim}-d.")
        return op("flip")(m, axis=axis)
    return adapter


def _rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:  # numpy's own definition
    axes, nd = tuple(axes), _ndim(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if not all(-nd <= ax < nd for ax in axes):
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k %= 4
    if k == 0:
        return op("reshape")(m, m.shape)
    if k == 2:
        return op("flip")(m, axis=axes)
    perm = list(range(nd))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    if k == 1:
        return op("transpose")(op("flip")(m, axis=axes[1]), tuple(perm))
    return op("flip")(op("transpose")(m, tuple(perm)), axis=axes[1])


def _at_least_shape(n: int, shape: tuple) -> tuple:
    """numpy's placement: () -> (1,)*n; (k,) -> (1, k) or (1, k, 1); (m, k) -> (m, k, 1)."""
    if not shape:
        return (1,) * n
    return (1, *shape) if n == 2 else (1, *shape, 1) if len(shape) == 1 else (*shape, 1)


def _at_least(n: int) -> Callable:
    def one(a: Any) -> Any:
        if not isinstance(a, Tensor):
            return getattr(np, f"atleast_{n}d")(a)
        return a if a.ndim >= n else op("reshape")(a, _at_least_shape(n, a.shape))

    def adapter(*arys: Any) -> Any:
        out = tuple(one(a) for a in arys)
        return out[0] if len(out) == 1 else out
    return adapter


def _append(arr: Any, values: Any, axis: Any = None) -> Any:
    arr, values = (a if isinstance(a, Tensor) else np.asarray(a) for a in (arr, values))
    if axis is None:
        return op("concat")([_flat(arr), _flat(values)], axis=0)
    return op("concat")([arr, values], axis=axis)


def _linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
              retstep: bool = False, dtype: Any = None, axis: int = 0, *,
              device: Any = None) -> Any:  # numpy's formula: start + i * step, stop exactly last
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    _require(dtype is None or np.dtype(dtype).kind == "f", "an integer dtype")
    div = (num - 1) if endpoint else num
    delta = op("sub")(stop, start)
    dt = np.result_type(*(_arrays(x) for x in (start, stop)))
    dt = dt if dt.kind == "f" else np.dtype(np.float64)
    ramp = np.arange(num, dtype=dt).reshape((-1,) + (1,) * _ndim(delta))
    step = op("div")(delta, div) if div > 0 else np.nan
    y = op("add")(op("mul")(ramp, step if div > 0 else delta), start)
    if endpoint and num > 1:
        last = (np.arange(num) == num - 1).reshape(ramp.shape)
        y = op("where")(last, stop, y)
    if axis != 0:
        y = op("moveaxis")(y, 0, axis)
    if dtype is not None and np.dtype(dtype) != y.dtype:
        y = op("cast")(y, np.dtype(dtype))
    return (y, step) if retstep else y


def _take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    _require(out is None and mode == "raise", "out / mode")
    if axis is None:
        a, axis = _flat(a), 0
    pre = (slice(None),) * (int(axis) % max(_ndim(a), 1))
    return op("getitem")(a, pre + (np.asarray(_arrays(indices)),))


def _ptp(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    _require(out is None, "out")
    return op("sub")(op("amax")(a, axis=axis, keepdims=keepdims),
                     op("amin")(a, axis=axis, keepdims=keepdims))


def _meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> tuple:
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    xi = tuple(_flat(x) for x in xi)  # numpy flattens N-d inputs
    if not sparse:
        return tuple(op("meshgrid")(*xi, indexing=indexing))
    n, out = len(xi), []
    for k, x in enumerate(xi):
        at = (1 - k if k < 2 and n > 1 else k) if indexing == "xy" else k
        out.append(op("reshape")(x, tuple(-1 if j == at else 1 for j in range(n))))
    return tuple(out)


COMPOSITES: dict[Callable, Callable] = {
    np.take: _take, np.ptp: _ptp, np.meshgrid: _meshgrid,
    np.median: _median, np.partition: _partition, np.diff: _diff,
    np.fliplr: _flipped(1, 2), np.flipud: _flipped(0, 1), np.rot90: _rot90,
    np.atleast_1d: _at_least(1), np.atleast_2d: _at_least(2), np.atleast_3d: _at_least(3),
    np.append: _append, np.linspace: _linspace,
    np.real: _identity, np.real_if_close: _real_if_close,
    np.imag: lambda val: _constant(val, np.imag(_arrays(val))),
    np.angle: lambda z, deg=False: _constant(z, np.angle(_arrays(z), deg=deg)),
}

__all__ = ["COMPOSITES"]
