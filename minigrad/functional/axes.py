"""Axis and dtype arguments shared by the reduce, moments, scan and activation families.

As torch: an axis out of range is an IndexRangeError ("Dimension out of range"), a 0-d x has the
axes 0 and -1, an empty tuple of axes means every axis (any/all: none), a reduction of
max/min/argmax/argmin over an empty axis is an EmptyReductionError, ints and bools reduce to
int64, and a `dtype=` casts x first (torch dtypes are read by name; torch is never imported).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import (
    DTypeError,
    EmptyReductionError,
    IndexRangeError,
    ShapeError,
    UnknownDTypeError,
)
from minigrad.functional.validate import alias, as_array


def _is_int(a: Any) -> bool:
    return isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))


def _shown(value: Any) -> str:
    """A bad argument for a message: its value and type, e.g. "1.5 (float)", "'a' (str)"."""
    return f"{value!r:.40} ({type(value).__name__})"


def one_axis(fn: str, x: np.ndarray, axis: Any, what: str = "an int") -> int:
    """One axis of `x` as a non-negative int (a 0-d x has the axis 0 / -1, as torch)."""
    if not _is_int(axis):
        raise DTypeError(f"{fn}: axis must be {what}, got {_shown(axis)}")
    n = max(x.ndim, 1)
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
    elif isinstance(axis, (tuple, list)) and all(_is_int(a) for a in axis):
        axes = tuple(axis)
        if not axes and empty_all:
            return tuple(range(x.ndim))
    else:
        raise DTypeError(f"{fn}: axis must be None, an int or a tuple of ints, got "
                         f"{_shown(axis)}")
    out: list = []
    for a in axes:
        a = one_axis(fn, x, a)
        if a in out:
            raise ShapeError(f"{fn}: axis {a} appears more than once in {axis}")
        out.append(a)
    return tuple(sorted(out)) if x.ndim else ()


def unsqueeze(dout: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """A reduced gradient with its reduced axes back as size 1 (as it is if `keepdims`)."""
    return dout if keepdims else np.expand_dims(dout, axes)


def expand(dout: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    """Broadcast a reduced gradient back over the reduced axes."""
    return np.broadcast_to(unsqueeze(dout, axes, keepdims), shape)


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
        raise UnknownDTypeError(f"{fn}: dtype must be a numpy dtype, got {dtype!r}") from None
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


def nonempty(fn: str, x: np.ndarray, axes: tuple) -> None:
    """EmptyReductionError if a reduced axis of `x` has size 0."""
    for a in axes:
        if x.shape[a] == 0:
            raise EmptyReductionError(f"{fn}: cannot reduce over axis {a} of size 0, x has "
                                      f"shape {x.shape}")


def axis_keepdims(fn: str, axis: Any, dim: Any, keepdims: Any, keepdim: Any) -> tuple:
    """One axis and keepdims from numpy's and torch's spellings."""
    return (alias(fn, "axis", axis, "dim", dim),
            bool(alias(fn, "keepdims", keepdims, "keepdim", keepdim, False)))
