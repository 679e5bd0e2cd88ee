"""Shape Functions: reshape, axis views (transpose, swap, move, squeeze, expand), indexing."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, IndexRangeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional.axes import _is_int, _shown
from minigrad.functional.subscripts import _is_basic, _raw_index, _torch_order
from minigrad.functional.validate import alias, as_array, kept, unbroadcast
from minigrad.tensor import Tensor


def axis_index(fn: str, axis: Any, shape: tuple, name: str = "axis", extra: int = 0) -> int:
    """`axis` as an index in [0, len(shape) + extra), else a named IndexRangeError (an
    IndexError, as torch's "dimension out of range") or DTypeError."""
    if not _is_int(axis):
        raise DTypeError(f"{fn}: {name} must be an int, got {_shown(axis)}")
    n = len(shape) + extra
    if not -n <= axis < n:
        raise IndexRangeError(f"{fn}: {name} {axis} is out of range for x of shape "
                              f"{tuple(shape)}")
    return int(axis) % n


def axes_tuple(fn: str, axes: Any, shape: tuple, name: str = "axis", extra: int = 0) -> tuple:
    """An int or a sequence of ints as distinct indices in [0, len(shape) + extra); a repeated
    axis is a ShapeRuntimeError (torch: RuntimeError)."""
    items = tuple(axes) if isinstance(axes, (tuple, list, np.ndarray)) else (axes,)
    out = tuple(axis_index(fn, a, shape, name, extra) for a in items)
    if len(set(out)) != len(out):
        raise ShapeRuntimeError(f"{fn}: {name} must not repeat an axis, got {axes}")
    return out


def _array(fn: str, x: Any) -> np.ndarray:
    return np.asarray(as_array(fn, "x", x))


class Reshape(Function):
    """x.reshape(shape); one side may be -1."""

    @staticmethod
    def forward(ctx: Context, x: Any, shape: tuple = ()) -> np.ndarray:
        x = _array("Reshape", x)
        ctx.shape = x.shape
        if sum(1 for s in shape if s == -1) > 1:
            raise ShapeRuntimeError(f"Reshape: only one dimension can be inferred (-1), got "
                                    f"{tuple(shape)}")
        if any(s < -1 for s in shape):  # numpy reads any negative size as -1; torch refuses
            raise ShapeError(f"Reshape: sizes must be >= 0 or -1 (inferred), got {tuple(shape)}")
        try:
            return x.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(f"Reshape: cannot reshape x of shape {x.shape} ({x.size} elements) "
                             f"into {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(ctx.shape)


class Transpose(Function):
    """x.transpose(axes) (a view); axes=None reverses them."""

    @staticmethod
    def forward(ctx: Context, x: Any, axes: Any = None) -> np.ndarray:
        x = _array("Transpose", x)
        if axes is not None:
            if not isinstance(axes, (tuple, list, np.ndarray)):
                raise DTypeError(f"Transpose: axes must be None or a tuple of ints, got "
                                 f"{_shown(axes)}")
            for i, a in enumerate(axes):
                if not _is_int(a):
                    raise DTypeError(f"Transpose: axes[{i}] must be an int, got {_shown(a)}")
            if any(not -x.ndim <= a < x.ndim for a in axes) or sorted(
                    a % x.ndim for a in axes) != list(range(x.ndim)):
                raise ShapeError(f"Transpose: axes must be a permutation of range({x.ndim}), "
                                 f"got {tuple(axes)}")
            axes = tuple(int(a) % x.ndim for a in axes)  # a tuple: a list edited later is moot
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        if ctx.axes is None:
            return dout.transpose()
        return dout.transpose(np.argsort(ctx.axes))


class SwapAxes(Function):
    """x with axes axis0 and axis1 exchanged (a view); torch transpose(x, dim0, dim1)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis0: int = 0, axis1: int = 1) -> np.ndarray:
        x = _array("SwapAxes", x)
        ctx.axes = (axis_index("SwapAxes", axis0, x.shape, "axis0"),
                    axis_index("SwapAxes", axis1, x.shape, "axis1"))
        return x.swapaxes(*ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.swapaxes(*ctx.axes)


class MoveAxis(Function):
    """x with axes `source` moved to positions `destination` (ints or sequences), a view."""

    @staticmethod
    def forward(ctx: Context, x: Any, source: Any = 0, destination: Any = 0) -> np.ndarray:
        x = _array("MoveAxis", x)
        src = axes_tuple("MoveAxis", source, x.shape, "source")
        dst = axes_tuple("MoveAxis", destination, x.shape, "destination")
        if len(src) != len(dst):
            raise ShapeError(f"MoveAxis: source and destination must have the same number of "
                             f"axes, got {source} and {destination}")
        ctx.src, ctx.dst = src, dst
        return np.moveaxis(x, src, dst)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return np.moveaxis(dout, ctx.dst, ctx.src)


class Squeeze(Function):
    """x without its size-1 axes (only those in `axis` if given; others stay, as torch)."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = None) -> np.ndarray:
        x = _array("Squeeze", x)
        if axis is None:
            drop = {i for i, s in enumerate(x.shape) if s == 1}
        else:
            drop = set(axes_tuple("Squeeze", axis, x.shape, extra=int(x.ndim == 0)))
        ctx.shape = x.shape
        return x.reshape([s for i, s in enumerate(x.shape) if not (i in drop and s == 1)])

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(ctx.shape)


class Unsqueeze(Function):
    """x with new size-1 axes at `axis` (an int or tuple, positions in the output), a view."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: Any = 0) -> np.ndarray:
        x = _array("Unsqueeze", x)
        n_new = len(axis) if isinstance(axis, (tuple, list)) else 1
        new = set(axes_tuple("Unsqueeze", axis, x.shape, extra=n_new))
        it = iter(x.shape)
        ctx.shape = x.shape
        return x.reshape([1 if i in new else next(it) for i in range(x.ndim + n_new)])

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(ctx.shape)


class Expand(Function):
    """x broadcast to `sizes` (torch expand: -1 keeps a side, new sides lead); a read-only view."""

    @staticmethod
    def forward(ctx: Context, x: Any, sizes: tuple = ()) -> np.ndarray:
        x = _array("Expand", x)
        sizes = tuple(int(s) for s in sizes)
        lead = len(sizes) - x.ndim
        if lead < 0:
            raise ShapeError(f"Expand: sizes {sizes} must have at least x.ndim = {x.ndim} "
                             f"entries for x of shape {x.shape}")
        target = []
        for i, s in enumerate(sizes):
            have = x.shape[i - lead] if i >= lead else None
            if s == -1 and have is not None:
                s = have
            if s < 0 or (have is not None and have != 1 and s != have):
                raise ShapeError(f"Expand: cannot expand x of shape {x.shape} to {sizes}: size "
                                 f"{sizes[i]} at dim {i} (x side {have})")
            target.append(s)
        ctx.shape = x.shape
        return np.broadcast_to(x, target)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return unbroadcast(dout, ctx.shape)


class GetItem(Function):
    """x[index] with torch's rules (ints combined with index arrays select first); repeated
    fancy indices accumulate; a bad index is an IndexRangeError."""

    @staticmethod
    def forward(ctx: Context, x: Any, index: Any = ()) -> np.ndarray:
        x = _array("GetItem", x)
        index = kept(ctx, _raw_index(index))  # backward must not see the caller's later edits
        ctx.steps = _torch_order(index)
        try:
            out = x[index] if ctx.steps is None else x[ctx.steps[0]][ctx.steps[1]]
        except IndexError as e:
            raise IndexRangeError(f"GetItem: bad index for x of shape {x.shape}: {e}") from None
        ctx.index, ctx.shape, ctx.dtype = index, x.shape, x.dtype
        return np.array(out)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        dx = np.zeros(ctx.shape, dtype=ctx.dtype)
        if ctx.steps is not None:
            np.add.at(dx[ctx.steps[0]], ctx.steps[1], dout)  # a view of dx: written through
        elif _is_basic(ctx.index):
            dx[ctx.index] = dout
        else:
            np.add.at(dx, ctx.index, dout)
        return dx


class Concat(Function):
    """np.concatenate(xs, axis)."""

    @staticmethod
    def forward(ctx: Context, *xs: Any, axis: int = 0) -> np.ndarray:
        xs = [np.asarray(as_array("Concat", f"xs[{i}]", x)) for i, x in enumerate(xs)]
        if not xs:
            raise ShapeError("Concat: needs at least one input")
        if not _is_int(axis):
            raise DTypeError(f"Concat: axis must be an int, got {_shown(axis)}")
        axis = int(axis)
        if any(x.ndim == 0 for x in xs):
            raise IndexRangeError(f"Concat: 0-d inputs cannot be concatenated (no axis {axis}), "
                                  f"got shapes {[x.shape for x in xs]}")
        try:
            out = np.concatenate(xs, axis=axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ShapeError(f"Concat: shapes {[x.shape for x in xs]} along axis {axis}: "
                             f"{e}") from None
        ctx.axis, ctx.sizes = axis, [x.shape[axis] for x in xs]
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return tuple(np.split(dout, np.cumsum(ctx.sizes)[:-1], axis=ctx.axis))


class Stack(Function):
    """np.stack(xs, axis)."""

    @staticmethod
    def forward(ctx: Context, *xs: Any, axis: int = 0) -> np.ndarray:
        xs = [np.asarray(as_array("Stack", f"xs[{i}]", x)) for i, x in enumerate(xs)]
        if not xs:
            raise ShapeError("Stack: needs at least one input")
        if len({x.shape for x in xs}) != 1:
            raise ShapeError(f"Stack: all inputs must have one shape, got {[x.shape for x in xs]}")
        if not _is_int(axis):
            raise DTypeError(f"Stack: axis must be an int, got {_shown(axis)}")
        axis = int(axis)
        if not -xs[0].ndim - 1 <= axis <= xs[0].ndim:
            raise IndexRangeError(f"Stack: axis must be in [{-xs[0].ndim - 1}, {xs[0].ndim}] for "
                                  f"inputs of shape {xs[0].shape}, got {axis}")
        ctx.axis = axis
        return np.stack(xs, axis=axis)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return tuple(np.moveaxis(dout, ctx.axis, 0))


def _sizes(args: tuple) -> tuple:
    """f(2, 3) or f((2, 3)) -> (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _shape_of(x: Any) -> tuple:
    return x.shape if hasattr(x, "shape") else np.shape(x)


def reshape(x: Any, *shape: Any) -> Any:
    """x.reshape(shape): reshape(x, (2, 3)) or reshape(x, 2, 3); a None keeps that side."""
    shape = _sizes(shape)
    if None in shape:
        shape = tuple(_shape_of(x)[i] if v is None else v for i, v in enumerate(shape))
    return Reshape.apply(x, shape=shape)


def _view(self: Tensor, *shape: Any) -> Any:
    """torch's t.view(shape) (a reshape), or t.view(dtype): the bits reinterpreted, no grad."""
    if len(shape) == 1 and isinstance(shape[0], (np.dtype, type, str)):
        return Tensor(self.data.view(np.dtype(shape[0])))
    return reshape(self, *shape)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Merge the dims start_dim..end_dim into one (torch.flatten); a 0-d x becomes (1,)."""
    shape = _shape_of(x)
    if not shape:  # a 0-d x has the dims 0 and -1 (torch)
        axis_index("flatten", start_dim, shape, "start_dim", extra=1)
        axis_index("flatten", end_dim, shape, "end_dim", extra=1)
        return Reshape.apply(x, shape=(1,))
    s = axis_index("flatten", start_dim, shape, "start_dim")
    e = axis_index("flatten", end_dim, shape, "end_dim")
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} must not come after end_dim {end_dim} "
                         f"for x of shape {tuple(shape)}")
    return Reshape.apply(x, shape=(*shape[:s], int(np.prod(shape[s:e + 1])), *shape[e + 1:]))


def transpose(x: Any, *args: Any, axes: Any = None, dim0: int | None = None,
              dim1: int | None = None) -> Any:
    """No axes: reverse them; two ints (or dim0=, dim1=): swap those (torch); a tuple: permute."""
    if dim0 is not None or dim1 is not None:
        if args or axes is not None or dim0 is None or dim1 is None:
            raise TypeError("transpose: give dim0 and dim1 together, without other axes")
        return SwapAxes.apply(x, axis0=dim0, axis1=dim1)
    if axes is not None:
        if args:
            raise TypeError("transpose: give the axes positionally or as axes=, not both")
        args = (axes,)
    if not args or args == (None,):
        return Transpose.apply(x, axes=None)
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return Transpose.apply(x, axes=tuple(args[0]))
    if len(args) == 2 and all(_is_int(a) for a in args):
        return SwapAxes.apply(x, axis0=args[0], axis1=args[1])
    return Transpose.apply(x, axes=tuple(args))


def permute(x: Any, *dims: Any) -> Any:
    """x with its axes in the order `dims` (torch permute): permute(x, 2, 0, 1) or a tuple;
    anything but a permutation of the axes is a ShapeRuntimeError (torch: RuntimeError)."""
    dims, n = _sizes(dims), len(_shape_of(x))
    for i, d in enumerate(dims):
        if not _is_int(d):
            raise DTypeError(f"permute: dims[{i}] must be an int, got {_shown(d)}")
    if sorted(int(d) % n if -n <= d < n else d for d in dims) != list(range(n)):
        raise ShapeRuntimeError(f"permute: dims must be a permutation of range({n}), got {dims}")
    return Transpose.apply(x, axes=dims)


def swapaxes(x: Any, axis0: int, axis1: int) -> Any:
    """x with two axes exchanged; swapdims and transpose(x, dim0, dim1) are the torch names."""
    return SwapAxes.apply(x, axis0=axis0, axis1=axis1)


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """x with axes `source` moved to `destination` (numpy moveaxis; torch movedim)."""
    return MoveAxis.apply(x, source=source, destination=destination)


def squeeze(x: Any, axis: Any = None, dim: Any = None) -> Any:
    """Drop size-1 axes: all, or those of `axis`/`dim` (an int or tuple) that have size 1."""
    return Squeeze.apply(x, axis=alias("squeeze", "axis", axis, "dim", dim))


def unsqueeze(x: Any, axis: Any = None, dim: Any = None) -> Any:
    """Insert a size-1 axis at `axis`/`dim` (numpy expand_dims also takes a tuple)."""
    axis = alias("unsqueeze", "axis", axis, "dim", dim)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (dim) to insert")
    return Unsqueeze.apply(x, axis=axis)


def expand(x: Any, *sizes: Any) -> Any:
    """x broadcast to `sizes` (torch expand): expand(x, 3, -1) or expand(x, (3, -1))."""
    return Expand.apply(x, sizes=_sizes(sizes))


def expand_as(x: Any, other: Any) -> Any:
    """x broadcast to other's shape."""
    return Expand.apply(x, sizes=_shape_of(other))


def broadcast_to(x: Any, shape: Any) -> Any:
    """x broadcast to `shape` (numpy broadcast_to)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ShapeError(f"broadcast_to: shape {shape} must be non-negative")
    return Expand.apply(x, sizes=shape)


def getitem(x: Any, index: Any) -> Any:
    """x[index]."""
    return GetItem.apply(x, index=index)


def concat(xs: list, axis: int | None = None, dim: int | None = None) -> Any:
    """Concatenate along an existing `axis`/`dim` (torch cat)."""
    return Concat.apply(*xs, axis=alias("concat", "axis", axis, "dim", dim, 0))


def stack(xs: list, axis: int | None = None, dim: int | None = None) -> Any:
    """Stack along a new `axis`/`dim`."""
    return Stack.apply(*xs, axis=alias("stack", "axis", axis, "dim", dim, 0))


expand_dims, movedim, swapdims, cat = unsqueeze, moveaxis, swapaxes, concat


__all__ = ["Reshape", "Transpose", "SwapAxes", "MoveAxis", "Squeeze", "Unsqueeze", "Expand",
           "GetItem", "Concat", "Stack", "reshape", "flatten", "transpose", "permute",
           "swapaxes", "swapdims", "moveaxis", "movedim", "squeeze", "unsqueeze", "expand_dims",
           "expand", "expand_as", "broadcast_to", "getitem", "concat", "cat", "stack"]

TENSOR_METHODS = {
    "reshape": reshape, "view": _view, "flatten": flatten, "transpose": transpose,
    "permute": permute, "swapaxes": swapaxes, "swapdims": swapaxes, "moveaxis": moveaxis,
    "movedim": moveaxis, "squeeze": squeeze, "unsqueeze": unsqueeze, "expand": expand,
    "expand_as": expand_as, "broadcast_to": broadcast_to,
    "__getitem__": lambda self, index: GetItem.apply(self, index=index),
}
