"""Layouts built on the shape ops: unfold (sliding windows), unflatten, meshgrid, rot90,
fliplr/flipud, ravel, append, atleast_1d/2d/3d, and the Tensor.stack / Tensor.cat method forms.

Everything but Unfold composes existing Functions (Reshape, Expand, Flip, Transpose, Concat,
Stack), so gradients flow through them."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeRuntimeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional.axes import _is_int, _shown
from minigrad.functional.join import Flip, _at_least
from minigrad.functional.shape import (
    Concat,
    Expand,
    Reshape,
    Transpose,
    _shape_of,
    axes_tuple,
    axis_index,
    concat,
    stack,
)
from minigrad.functional.validate import alias, as_array


class Unfold(Function):
    """Windows of `size` elements every `step` along `dimension` (torch Tensor.unfold): x
    (..., L, ...) -> (..., (L - size) // step + 1, ..., size), the window as a new last axis;
    overlapping windows accumulate their gradients."""

    @staticmethod
    def forward(ctx: Context, x: Any, dimension: int = 0, size: int = 1,
                step: int = 1) -> np.ndarray:
        x = np.asarray(as_array("Unfold", "x", x))
        d = axis_index("Unfold", dimension, x.shape, "dimension")
        n = x.shape[d]
        if not 0 <= size <= n:
            raise ShapeRuntimeError(f"Unfold: size must be in [0, {n}] (x.shape[{d}]), got "
                                    f"{size} for x of shape {x.shape}")
        if step < 1:
            raise RangeRuntimeError(f"Unfold: step must be > 0, got {step}")
        idx = (np.arange((n - size) // step + 1) * step)[:, None] + np.arange(size)  # (W, size)
        ctx.d, ctx.idx, ctx.shape, ctx.dtype = d, idx, x.shape, x.dtype
        return np.moveaxis(np.take(x, idx, axis=d), d + 1, -1)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        d = ctx.d
        g = np.moveaxis(np.moveaxis(dout, -1, d + 1), (d, d + 1), (0, 1))  # (W, size, ...)
        dx = np.zeros(ctx.shape, ctx.dtype)
        np.add.at(np.moveaxis(dx, d, 0), ctx.idx, g)  # through a view of dx
        return dx


def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """torch Tensor.unfold(dimension, size, step)."""
    return Unfold.apply(x, dimension=dimension, size=size, step=step)


def unflatten(x: Any, dim: int, sizes: Any) -> Any:
    """Split axis `dim` into `sizes` (one may be -1), torch.unflatten."""
    shape = tuple(_shape_of(x))
    d = axis_index("unflatten", dim, shape, "dim")
    sizes = tuple(int(s) for s in sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != shape[d]) or (
            sizes.count(-1) == 1 and (known == 0 or shape[d] % known)):
        raise ShapeRuntimeError(f"unflatten: sizes {sizes} must multiply to x.shape[{d}] = "
                                f"{shape[d]} (one -1 at most), x of shape {shape}")
    return Reshape.apply(x, shape=shape[:d] + sizes + shape[d + 1:])


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 0-d / 1-D inputs (torch.meshgrid, numpy.meshgrid): output k has
    every input's length as a side and varies along its own; 'xy' swaps the first two sides."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RangeRuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shapes = [tuple(_shape_of(t)) for t in tensors]
    if any(len(s) > 1 for s in shapes):
        raise ShapeRuntimeError(f"meshgrid: inputs must be 0-D or 1-D, got shapes {shapes}")
    sides = [s[0] if s else 1 for s in shapes]
    place = list(range(len(sides)))
    if indexing == "xy" and len(sides) > 1:
        place[0], place[1] = 1, 0
        sides[0], sides[1] = sides[1], sides[0]
    out = []
    for t, k in zip(tensors, place, strict=True):
        col = Reshape.apply(t, shape=tuple(-1 if j == k else 1 for j in range(len(sides))))
        out.append(Expand.apply(col, sizes=tuple(sides)))
    return tuple(out)


def rot90(x: Any, k: int = 1, dims: Any = None, axes: Any = None) -> Any:
    """x rotated by 90 degrees k times from the first of `dims`/`axes` towards the second
    (torch.rot90, numpy.rot90; default (0, 1))."""
    shape = tuple(_shape_of(x))
    pair = alias("rot90", "dims", dims, "axes", axes, (0, 1))
    if not isinstance(pair, (tuple, list)):
        raise DTypeError(f"rot90: dims must be a pair of ints, got {_shown(pair)}")
    if not _is_int(k):
        raise DTypeError(f"rot90: k must be an int, got {_shown(k)}")
    if len(pair) != 2 or len(shape) < 2:
        raise ShapeRuntimeError(f"rot90: needs two dims of an at least 2-D x, got dims {pair} "
                                f"for x of shape {shape}")
    a, b = axes_tuple("rot90", pair, shape, "dims")
    k = int(k) % 4
    if k == 0:
        return Flip.apply(x, axis=())
    if k == 2:
        return Flip.apply(x, axis=(a, b))
    perm = list(range(len(shape)))
    perm[a], perm[b] = b, a
    if k == 1:
        return Transpose.apply(Flip.apply(x, axis=b), axes=tuple(perm))
    return Flip.apply(Transpose.apply(x, axes=tuple(perm)), axis=b)


def fliplr(x: Any) -> Any:
    """x reversed along axis 1 (at least 2-D)."""
    if len(_shape_of(x)) < 2:
        raise ShapeError(f"fliplr: x must be at least 2-D, got shape {tuple(_shape_of(x))}")
    return Flip.apply(x, axis=1)


def flipud(x: Any) -> Any:
    """x reversed along axis 0 (at least 1-D)."""
    if len(_shape_of(x)) < 1:
        raise ShapeError("flipud: x must be at least 1-D, got shape ()")
    return Flip.apply(x, axis=0)


def ravel(x: Any) -> Any:
    """x flattened to 1-D (numpy.ravel, torch.ravel)."""
    return Reshape.apply(x, shape=(-1,))


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """numpy.append: both flattened and joined when axis is None, else joined along axis."""
    if axis is None:
        return Concat.apply(ravel(arr), ravel(values), axis=0)
    return Concat.apply(arr, values, axis=axis)


def _at_least_n(n: int, arys: tuple) -> Any:
    out = [_at_least(a, n) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys: Any) -> Any:
    """numpy.atleast_1d: 0-d inputs become (1,)."""
    return _at_least_n(1, arys)


def atleast_2d(*arys: Any) -> Any:
    """numpy.atleast_2d: (n,) becomes (1, n), 0-d (1, 1)."""
    return _at_least_n(2, arys)


def atleast_3d(*arys: Any) -> Any:
    """numpy.atleast_3d: (n,) becomes (1, n, 1), (m, n) becomes (m, n, 1)."""
    return _at_least_n(3, arys)


def _joined(first: Any, rest: tuple) -> list:
    return [*first, *rest] if isinstance(first, (list, tuple)) else [first, *rest]


def _stack_method(first: Any, *rest: Any, dim: int | None = None, axis: int | None = None) -> Any:
    """Tensor.stack(x, y, z, dim=0) or Tensor.stack((x, y), dim=0)."""
    return stack(_joined(first, rest), axis=axis, dim=dim)


def _cat_method(first: Any, *rest: Any, dim: int | None = None, axis: int | None = None) -> Any:
    """x.cat(y, z, dim=0) (tinygrad), Tensor.cat((x, y), dim=0)."""
    return concat(_joined(first, rest), axis=axis, dim=dim)


__all__ = ["Unfold", "unfold", "unflatten", "meshgrid", "rot90", "fliplr", "flipud", "ravel",
           "append", "atleast_1d", "atleast_2d", "atleast_3d"]

TENSOR_METHODS = {
    "unfold": unfold, "unflatten": unflatten, "rot90": rot90, "fliplr": fliplr,
    "flipud": flipud, "ravel": ravel, "stack": _stack_method, "cat": _cat_method,
    "concat": _cat_method,
}
