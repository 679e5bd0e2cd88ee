"""Shape Functions: reshape, transpose, indexing, concatenate and stack."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import as_array


class Reshape(Function):
    """x.reshape(shape)."""

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple = ()) -> np.ndarray:
        x = np.asarray(as_array("Reshape", "x", x))
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ShapeError(f"Reshape: cannot reshape x of shape {x.shape} ({x.size} elements) "
                             f"into {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(ctx.shape)


class Transpose(Function):
    """x.transpose(axes); axes=None reverses them."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: Any = None) -> np.ndarray:
        x = np.asarray(as_array("Transpose", "x", x))
        if axes is not None and (any(not -x.ndim <= int(a) < x.ndim for a in axes) or sorted(
                int(a) % x.ndim for a in axes) != list(range(x.ndim))):
            raise ShapeError(f"Transpose: axes must be a permutation of range({x.ndim}), "
                             f"got {axes}")
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        if ctx.axes is None:
            return dout.transpose()
        return dout.transpose(np.argsort([int(a) % dout.ndim for a in ctx.axes]))


def _is_basic(index: Any) -> bool:
    """Whether `index` is basic indexing (ints, slices, None, Ellipsis): no repeated elements."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items)


class GetItem(Function):
    """x[index]; repeated fancy indices accumulate their gradients."""

    @staticmethod
    def forward(ctx: Context, x: Any, index: Any = ()) -> np.ndarray:
        x = np.asarray(as_array("GetItem", "x", x))
        if isinstance(index, tuple):
            index = tuple(getattr(i, "data", i) for i in index)
        try:
            out = x[index]
        except IndexError as e:
            raise ShapeError(f"GetItem: bad index for x of shape {x.shape}: {e}") from None
        ctx.index, ctx.shape, ctx.dtype = index, x.shape, x.dtype
        return np.array(out)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        dx = np.zeros(ctx.shape, dtype=ctx.dtype)
        if _is_basic(ctx.index):
            dx[ctx.index] = dout
        else:
            np.add.at(dx, ctx.index, dout)
        return dx


def _split_points(sizes: list) -> list:
    return list(np.cumsum(sizes)[:-1])


class Concat(Function):
    """np.concatenate(xs, axis)."""

    @staticmethod
    def forward(ctx: Context, *xs: Any, axis: int = 0) -> np.ndarray:
        xs = [np.asarray(as_array("Concat", f"xs[{i}]", x)) for i, x in enumerate(xs)]
        if not xs:
            raise ShapeError("Concat: needs at least one input")
        try:
            out = np.concatenate(xs, axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ShapeError(f"Concat: shapes {[x.shape for x in xs]} along axis {axis}: "
                             f"{e}") from None
        ctx.axis, ctx.sizes = axis, [x.shape[axis] for x in xs]
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return tuple(np.split(dout, _split_points(ctx.sizes), axis=ctx.axis))


class Stack(Function):
    """np.stack(xs, axis)."""

    @staticmethod
    def forward(ctx: Context, *xs: Any, axis: int = 0) -> np.ndarray:
        xs = [np.asarray(as_array("Stack", f"xs[{i}]", x)) for i, x in enumerate(xs)]
        if not xs:
            raise ShapeError("Stack: needs at least one input")
        if len({x.shape for x in xs}) != 1:
            raise ShapeError(f"Stack: all inputs must have one shape, got {[x.shape for x in xs]}")
        if not -xs[0].ndim - 1 <= axis <= xs[0].ndim:
            raise ShapeError(f"Stack: axis must be in [{-xs[0].ndim - 1}, {xs[0].ndim}] for inputs "
                             f"of shape {xs[0].shape}, got {axis}")
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return tuple(np.moveaxis(dout, ctx.axis, 0))


def reshape(x: Any, shape: tuple) -> Any:
    """x.reshape(shape)."""
    return Reshape.apply(x, shape=tuple(shape))


def transpose(x: Any, axes: Any = None) -> Any:
    """x.transpose(axes)."""
    return Transpose.apply(x, axes=axes)


def getitem(x: Any, index: Any) -> Any:
    """x[index]."""
    return GetItem.apply(x, index=index)


def concat(xs: list, axis: int = 0) -> Any:
    """Concatenate along `axis`."""
    return Concat.apply(*xs, axis=axis)


def stack(xs: list, axis: int = 0) -> Any:
    """Stack along a new `axis`."""
    return Stack.apply(*xs, axis=axis)


def _tensor_reshape(x: Any, *shape: Any) -> Any:
    """t.reshape(2, 3) or t.reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape.apply(x, shape=shape)


def _tensor_transpose(x: Any, *axes: Any) -> Any:
    """t.transpose() reverses the axes; t.transpose(axes) or t.transpose(*axes) permutes them."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(x, axes=axes or None)


__all__ = ["Reshape", "Transpose", "GetItem", "Concat", "Stack", "reshape", "transpose",
           "getitem", "concat", "stack"]

TENSOR_METHODS = {
    "reshape": _tensor_reshape, "transpose": _tensor_transpose,
    "__getitem__": lambda self, index: GetItem.apply(self, index=getattr(index, "data", index)),
}
