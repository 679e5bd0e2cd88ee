"""Broadcasting helpers of the elementwise Functions: the op with a named shape error, torch's
result dtype, gradients reduced to each input's shape, and the shared binary Function base."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import as_array, unbroadcast


def _binary(fn: str, op: Any, a: Any, b: Any, names: tuple = ("a", "b")) -> np.ndarray:
    """op(a, b) with numpy broadcasting and torch's result dtype (`torch_float`); shapes that
    do not broadcast raise a named ShapeError."""
    try:
        out = op(a, b)
    except ValueError:
        if _broadcasts(a, b):
            raise
        raise ShapeError(f"{fn}: {names[0]} and {names[1]} must broadcast together, got "
                         f"{names[0]} {np.shape(a)} and {names[1]} {np.shape(b)}") from None
    return torch_float(out, a, b)


def _broadcasts(a: Any, b: Any) -> bool:
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return False
    return True


def torch_float(out: Any, *operands: Any) -> Any:
    """`out` in torch's float dtype: the float operands' dtype, or float32 (torch's default)
    when no operand is a float array (ints divided, an int tensor times a Python float)."""
    if type(out) is not np.ndarray or out.dtype.kind != "f":
        return out
    a = operands[0]
    if type(a) is np.ndarray and a.dtype == out.dtype and len(operands) == 2 and (
            type(operands[1]) is not np.ndarray or operands[1].dtype.itemsize <= a.itemsize):
        return out  # the common case: a float array with a number or a no-wider array
    floats = [x.dtype for x in operands if type(x) is np.ndarray and x.dtype.kind == "f"]
    want = np.result_type(*floats) if floats else np.float32
    return out if out.dtype == want else out.astype(want)


def fit_grad(ctx: Context, i: int, g: np.ndarray) -> np.ndarray:
    """`g` summed over the axes broadcasting added to input `i` and cast to its dtype.

    Returns `g` itself (no copy) when its shape and dtype already match the input's.
    """
    shape, dtype = ctx.input_meta(i)
    if g.shape != shape:
        g = unbroadcast(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


class _BinaryOp(Function):
    """Shared forward/backward of the broadcasting binary Functions below (not public).

    A subclass sets `op` (a numpy ufunc) and `grads(dout, a, b, out) -> (da, db)`; `save`
    False skips saving the operands (for gradients that do not need them).
    """

    op: Any = None
    save = True

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        fn = ctx.fn
        name = fn.__name__
        a, b = as_array(name, "a", a), as_array(name, "b", b)
        out = _binary(name, fn.op, a, b)
        if fn.save:
            ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        saved = ctx.saved_tensors if ctx.fn.save else (None, None, None)
        ga, gb = ctx.fn.grads(dout, *saved)
        da, db = ctx.needs_input_grad
        return (fit_grad(ctx, 0, ga) if da else None), (fit_grad(ctx, 1, gb) if db else None)
