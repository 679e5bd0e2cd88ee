"""Indexing and selection: where, masked_fill, gather/take_along_axis, index_select, tril, triu,
and the comparisons, NaN/inf tests and logical ops that make their masks (bool Tensors outside
the graph)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.errors import (
    DTypeError,
    DTypeRuntimeError,
    IndexRangeError,
    RangeError,
    RangeRuntimeError,
    ShapeError,
    ShapeRuntimeError,
)
from minigrad.function import Context, Function
from minigrad.functional.axes import _is_int, _shown
from minigrad.functional.elementwise import fit_grad
from minigrad.functional.validate import alias, as_array, boolean, integer, kept
from minigrad.tensor import Tensor


def _mask(fn: str, name: str, x: Any) -> np.ndarray:
    """A bool array from a bool / 0-1 integer array or a Python bool or int."""
    return boolean(fn, name, np.asarray(x) if type(x) in (bool, int) else x)


def _int_array(fn: str, name: str, x: Any, high: int) -> np.ndarray:
    """An integer array with values in [0, high)."""
    return integer(fn, name, np.asarray(x) if type(x) is int else x, high)


def _nd_array(fn: str, x: Any) -> np.ndarray:
    """x as an array of at least one dimension."""
    x = as_array(fn, "x", x)
    if np.ndim(x) == 0:
        raise ShapeError(f"{fn}: x must have at least 1 dimension, got shape {np.shape(x)}")
    return x


def _dim(fn: str, dim: Any, shape: tuple) -> int:
    """`dim` as a non-negative axis of `shape`."""
    if not _is_int(dim):
        raise DTypeError(f"{fn}: dim must be an int, got {_shown(dim)}")
    d = int(dim)
    if not -len(shape) <= d < len(shape):
        raise IndexRangeError(f"{fn}: dim {d} is out of range for x of shape {shape}")
    return d % len(shape)


def _along_index(fn: str, x: np.ndarray, d: int, index: Any) -> np.ndarray:
    """The int `index` of gather/scatter along axis `d` of x: x's rank, sizes <= x's on the
    other axes, values in [0, x.shape[d]) (torch's RuntimeErrors)."""
    index = np.asarray(as_array(fn, "index", index))
    if index.dtype.kind not in "iu":
        raise DTypeError(f"{fn}: index must be an integer array, got dtype {index.dtype}")
    if index.ndim != x.ndim:
        raise ShapeRuntimeError(f"{fn}: index must have x's number of dimensions, got index "
                                f"{index.shape} and x {x.shape}")
    if any(i > s for k, (i, s) in enumerate(zip(index.shape, x.shape, strict=True)) if k != d):
        raise ShapeRuntimeError(f"{fn}: index sizes must be <= x's on every axis but dim {d}, "
                                f"got index {index.shape} and x {x.shape}")
    if index.size and (index.min() < 0 or index.max() >= x.shape[d]):
        raise RangeRuntimeError(f"{fn}: index values must be in [0, {x.shape[d]}), got min "
                                f"{index.min()} max {index.max()}")
    return index


def _flat_targets(index: np.ndarray, d: int, shape: tuple) -> np.ndarray:
    """The flat position in an array of `shape` of every element of `index` taken along axis
    `d` (index's own position on the other axes): index (any) -> (index.size,) ints."""
    grid = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grid[d] = index
    return np.ravel_multi_index(np.broadcast_arrays(*grid), shape).ravel()


class Where(Function):
    """a where condition is True, else b (torch.where, np.where); condition (bool or 0/1 ints),
    a and b broadcast to the output shape; condition gets no gradient."""

    @staticmethod
    def forward(ctx: Context, condition: Any, a: Any, b: Any) -> np.ndarray:
        cond = _mask("Where", "condition", condition)
        a, b = as_array("Where", "a", a), as_array("Where", "b", b)
        try:
            out = np.where(cond, a, b)
        except ValueError:
            raise ShapeError(f"Where: condition, a and b must broadcast together, got condition "
                             f"{cond.shape}, a {np.shape(a)} and b {np.shape(b)}") from None
        ctx.save_for_backward(kept(ctx, cond))  # copies: the caller may edit its arrays
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (cond,) = ctx.saved_tensors
        _, da, db = ctx.needs_input_grad
        return (None, fit_grad(ctx, 1, np.where(cond, dout, 0)) if da else None,
                fit_grad(ctx, 2, np.where(cond, 0, dout)) if db else None)


class MaskedFill(Function):
    """x with `value` where mask is True (torch.masked_fill); x and mask broadcast to the output;
    value is a number or a 0-d array (as a Tensor, its gradient is dout summed over the mask)."""

    @staticmethod
    def forward(ctx: Context, x: Any, mask: Any, value: Any) -> np.ndarray:
        x = np.asarray(as_array("MaskedFill", "x", x))
        m = _mask("MaskedFill", "mask", mask)
        value = as_array("MaskedFill", "value", value)
        if np.ndim(value) != 0:
            raise ShapeError(f"MaskedFill: value must be a number or a 0-d array, got shape "
                             f"{np.shape(value)}")
        fill = np.asarray(value, dtype=x.dtype) if x.dtype.kind == "f" else value
        try:
            out = np.where(m, fill, x)
        except ValueError:
            raise ShapeError(f"MaskedFill: mask and x must broadcast together, got mask "
                             f"{m.shape} and x {x.shape}") from None
        ctx.save_for_backward(kept(ctx, m))
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (m,) = ctx.saved_tensors
        needs = ctx.needs_input_grad  # (x,) alone when mask and value came as keywords
        dv = len(needs) > 2 and needs[2]
        return (fit_grad(ctx, 0, np.where(m, 0, dout)) if needs[0] else None, None,
                fit_grad(ctx, 2, np.asarray(np.where(m, dout, 0).sum())) if dv else None
                )[:len(needs)]


class Gather(Function):
    """out[i][j] = x[index[i][j]][j] for dim 0 (torch.gather, any rank): index has x's rank and
    sizes <= x's on the other axes, out has index's shape; repeated indices accumulate."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int, index: Any) -> np.ndarray:
        x = _nd_array("Gather", x)
        d = _dim("Gather", dim, x.shape)
        index = _along_index("Gather", x, d, index)
        if index.shape != x.shape:
            x = x[tuple(slice(None) if k == d else slice(0, i) for k, i in enumerate(index.shape))]
        ctx.dim = d
        ctx.save_for_backward(kept(ctx, index))
        return np.take_along_axis(x, index, axis=d)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (index,) = ctx.saved_tensors
        shape, dtype = ctx.input_meta(0)
        flat = _flat_targets(index, ctx.dim, shape)
        dx = np.bincount(flat, weights=dout.ravel(), minlength=int(np.prod(shape)))
        return dx.reshape(shape).astype(dtype, copy=False), None, None


class IndexSelect(Function):
    """The slices of x at `index` (1-D or 0-d ints, repeats allowed) along `dim`
    (torch.index_select); out has x's shape with dim resized to index.size."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int, index: Any) -> np.ndarray:
        x = _nd_array("IndexSelect", x)
        d = _dim("IndexSelect", dim, x.shape)
        index = _int_array("IndexSelect", "index", index, x.shape[d])
        if index.ndim > 1:
            raise ShapeError(f"IndexSelect: index must be 1-D, got shape {index.shape}")
        ctx.dim = d
        ctx.save_for_backward(kept(ctx, index))
        return np.take(x, index.reshape(-1), axis=d)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (index,) = ctx.saved_tensors
        dx = np.zeros(*ctx.input_meta(0))
        np.add.at(dx, (slice(None),) * ctx.dim + (index.reshape(-1),), dout)
        return dx, None, None


def _diagonal(fn: str, diagonal: Any) -> int:
    if not _is_int(diagonal):
        raise DTypeError(f"{fn}: diagonal must be an int, got {_shown(diagonal)}")
    return int(diagonal)


def _triangle(fn: str, ctx: Context, x: Any, keep: Callable) -> np.ndarray:
    x = as_array(fn, "x", x)
    if np.ndim(x) < 2:
        raise ShapeError(f"{fn}: x must be at least 2-D (..., n, m), got shape {np.shape(x)}")
    tri = keep(*x.shape[-2:])  # (n, m) bool
    ctx.save_for_backward(tri)
    return np.where(tri, x, np.zeros((), x.dtype))


def _triangle_backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
    (tri,) = ctx.saved_tensors
    return np.where(tri, dout, 0)


class Tril(Function):
    """x with everything above its `diagonal`-th diagonal zeroed, on the last two axes
    (torch.tril; numpy's k=); x (..., n, m), at least 2-D."""

    @staticmethod
    def forward(ctx: Context, x: Any, diagonal: int = 0) -> np.ndarray:
        k = _diagonal("Tril", diagonal)
        return _triangle("Tril", ctx, x, lambda n, m: np.tri(n, m, k, dtype=bool))

    backward = staticmethod(_triangle_backward)


class Triu(Function):
    """x with everything below its `diagonal`-th diagonal zeroed, on the last two axes
    (torch.triu; numpy's k=); x (..., n, m), at least 2-D."""

    @staticmethod
    def forward(ctx: Context, x: Any, diagonal: int = 0) -> np.ndarray:
        k = _diagonal("Triu", diagonal)
        return _triangle("Triu", ctx, x, lambda n, m: ~np.tri(n, m, k - 1, dtype=bool))

    backward = staticmethod(_triangle_backward)


# ----- wrappers ---------------------------------------------------------------------------------
def where(condition: Any, a: Any = None, b: Any = None) -> Any:
    """a where condition else b; with only `condition`, the tuple of its nonzero indices."""
    if a is None and b is None:
        cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
        return tuple(Tensor(i) for i in np.nonzero(cond))
    if a is None or b is None:
        raise TypeError("where: give both a and b, or neither (then the nonzero indices)")
    return Where.apply(condition, a, b)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """x with value where mask (torch.masked_fill)."""
    return MaskedFill.apply(x, mask, value)


def gather(x: Any, dim: int, index: Any) -> Any:
    """torch.gather(x, dim, index)."""
    return Gather.apply(x, dim, index)


def take_along_axis(x: Any, indices: Any, axis: int = -1) -> Any:
    """numpy's take_along_axis: negative indices count from the end, and indices' size-1 axes
    broadcast against x (x itself does not broadcast); Gather underneath."""
    xs = x.data if isinstance(x, Tensor) else np.asarray(as_array("take_along_axis", "x", x))
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind in "iu" and idx.ndim == xs.ndim >= 1:
        ax = _dim("take_along_axis", axis, xs.shape)
        n = xs.shape[ax]
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise RangeError(f"take_along_axis: indices must be in [-{n}, {n}), got min "
                             f"{idx.min()} max {idx.max()}")
        idx = np.where(idx < 0, idx + n, idx)
        idx = np.broadcast_to(idx, tuple(s if k != ax and i == 1 else i for k, (i, s)
                                         in enumerate(zip(idx.shape, xs.shape, strict=True))))
    return Gather.apply(x, axis, idx)


def index_select(x: Any, dim: int, index: Any) -> Any:
    """torch.index_select(x, dim, index)."""
    return IndexSelect.apply(x, dim, index)


def tril(x: Any, diagonal: int | None = None, *, k: int | None = None) -> Any:
    """Lower triangle of the last two axes (torch diagonal=, numpy k=)."""
    return Tril.apply(x, diagonal=alias("tril", "diagonal", diagonal, "k", k, 0))


def triu(x: Any, diagonal: int | None = None, *, k: int | None = None) -> Any:
    """Upper triangle of the last two axes (torch diagonal=, numpy k=)."""
    return Triu.apply(x, diagonal=alias("triu", "diagonal", diagonal, "k", k, 0))


# ----- comparisons and logical ops: bool Tensors, no graph -----------------------------------
def _operand(fn: str, name: str, x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else as_array(fn, name, x)


def _elementwise(name: str, op: Callable, doc: str, kinds: str = "biuf") -> Callable:
    def fn(a: Any, b: Any) -> Tensor:
        a_, b_ = _operand(name, "a", a), _operand(name, "b", b)
        for arg, v in (("a", a_), ("b", b_)):
            if np.asarray(v).dtype.kind not in kinds:
                raise DTypeRuntimeError(f"{name}: {arg} must be a{'' if 'b' in kinds else 'n'} "
                                        f"{'bool or ' if 'b' in kinds else ''}integer array, "
                                        f"got dtype {np.asarray(v).dtype}")
        try:
            return Tensor(op(a_, b_))
        except ValueError:
            raise ShapeError(f"{name}: a and b must broadcast together, got a {np.shape(a_)} and "
                             f"b {np.shape(b_)}") from None
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


eq = _elementwise("eq", np.equal, "a == b elementwise, a bool Tensor.")
ne = _elementwise("ne", np.not_equal, "a != b elementwise, a bool Tensor.")
lt = _elementwise("lt", np.less, "a < b elementwise, a bool Tensor.")
le = _elementwise("le", np.less_equal, "a <= b elementwise, a bool Tensor.")
gt = _elementwise("gt", np.greater, "a > b elementwise, a bool Tensor.")
ge = _elementwise("ge", np.greater_equal, "a >= b elementwise, a bool Tensor.")
not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge  # torch and numpy
logical_and = _elementwise("logical_and", np.logical_and, "a and b (nonzero is True), bool.")
logical_or = _elementwise("logical_or", np.logical_or, "a or b (nonzero is True), bool.")
logical_xor = _elementwise("logical_xor", np.logical_xor, "a xor b (nonzero is True), bool.")
bitwise_and = _elementwise("bitwise_and", np.bitwise_and, "a & b on bool/int arrays.", "biu")
bitwise_or = _elementwise("bitwise_or", np.bitwise_or, "a | b on bool/int arrays.", "biu")
bitwise_xor = _elementwise("bitwise_xor", np.bitwise_xor, "a ^ b on bool/int arrays.", "biu")
bitwise_left_shift = _elementwise("bitwise_left_shift", np.left_shift,
                                  "a << b on integer arrays.", "iu")
bitwise_right_shift = _elementwise("bitwise_right_shift", np.right_shift,
                                   "a >> b on integer arrays (arithmetic for signed ints).", "iu")


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol |b| elementwise (torch.isclose, np.isclose), a bool Tensor;
    infinities of one sign are close, NaN only with equal_nan."""
    a_, b_ = _operand("isclose", "a", a), _operand("isclose", "b", b)
    try:
        return Tensor(np.isclose(a_, b_, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise ShapeError(f"isclose: a and b must broadcast together, got a {np.shape(a_)} and "
                         f"b {np.shape(b_)}") from None


def logical_not(x: Any) -> Tensor:
    """not x (nonzero is True), a bool Tensor."""
    return Tensor(np.logical_not(_operand("logical_not", "x", x)))


def bitwise_not(x: Any) -> Tensor:
    """~x on a bool (logical not) or integer array."""
    x = _operand("bitwise_not", "x", x)
    if np.asarray(x).dtype.kind not in "biu":
        raise DTypeRuntimeError(f"bitwise_not: x must be a bool or integer array, got dtype "
                         f"{np.asarray(x).dtype}")
    return Tensor(np.invert(x))


def _values(fn: str, x: Any) -> np.ndarray:
    return np.asarray(_operand(fn, "x", x))


def isinf(x: Any, detect_positive: bool = True, detect_negative: bool = True) -> Tensor:
    """Where x is +inf or -inf (each can be left out, as tinygrad), a bool Tensor."""
    x = _values("isinf", x)
    return Tensor(((x == np.inf) & detect_positive) | ((x == -np.inf) & detect_negative))


def isnan(x: Any) -> Tensor:
    """Where x is NaN, a bool Tensor."""
    return Tensor(np.isnan(_values("isnan", x)))


def isfinite(x: Any) -> Tensor:
    """Where x is neither NaN nor inf, a bool Tensor."""
    return Tensor(np.isfinite(_values("isfinite", x)))


_OPERAND_TYPES = (Tensor, np.ndarray, np.generic, int, float)


def _operator(fn: Callable, reflected: bool = False) -> Callable:
    """A Tensor operator: other operand types give NotImplemented (so t == None is False)."""
    def method(self: Tensor, other: Any) -> Any:
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return method


__all__ = ["Where", "MaskedFill", "Gather", "IndexSelect", "Tril", "Triu", "where", "masked_fill",
           "gather", "take_along_axis", "index_select", "tril", "triu", "eq", "ne", "lt", "le",
           "gt", "ge", "not_equal", "less", "less_equal", "greater", "greater_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
           "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
           "bitwise_right_shift", "isclose", "isinf", "isnan", "isfinite"]

TENSOR_METHODS = {
    "where": lambda self, condition, other: Where.apply(condition, self, other),
    "masked_fill": masked_fill, "gather": gather, "index_select": index_select, "tril": tril,
    "triu": triu, "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "logical_not": logical_not, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
    "__eq__": _operator(eq), "__ne__": _operator(ne), "__lt__": _operator(lt),
    "__le__": _operator(le), "__gt__": _operator(gt), "__ge__": _operator(ge),
    "__and__": _operator(bitwise_and), "__rand__": _operator(bitwise_and, True),
    "__or__": _operator(bitwise_or), "__ror__": _operator(bitwise_or, True),
    "__xor__": _operator(bitwise_xor), "__rxor__": _operator(bitwise_xor, True),
    "__invert__": bitwise_not, "isclose": isclose, "isinf": isinf, "isnan": isnan,
    "isfinite": isfinite,
    "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
    "lshift": bitwise_left_shift, "rshift": bitwise_right_shift,
    "__lshift__": _operator(bitwise_left_shift),
    "__rlshift__": _operator(bitwise_left_shift, True),
    "__rshift__": _operator(bitwise_right_shift),
    "__rrshift__": _operator(bitwise_right_shift, True),
}
