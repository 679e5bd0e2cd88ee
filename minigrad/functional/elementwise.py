"""Elementwise Functions with numpy broadcasting; each backward sums its gradients back to the
shape (and casts them to the dtype) of the input they belong to."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import RangeRuntimeError, ShapeError, UnknownDTypeError
from minigrad.function import Context, Function
from minigrad.functional.axes import as_dtype
from minigrad.functional.broadcast import _binary, _BinaryOp, fit_grad, torch_float
from minigrad.functional.validate import as_array
from minigrad.tensor import Tensor


class Add(Function):
    """a + b, broadcasting."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        return _binary("Add", np.add, as_array("Add", "a", a), as_array("Add", "b", b))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        da, db = ctx.needs_input_grad
        return (fit_grad(ctx, 0, dout) if da else None), (fit_grad(ctx, 1, dout) if db else None)


class Sub(Function):
    """a - b, broadcasting."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        return _binary("Sub", np.subtract, as_array("Sub", "a", a), as_array("Sub", "b", b))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        da, db = ctx.needs_input_grad
        return (fit_grad(ctx, 0, dout) if da else None), (fit_grad(ctx, 1, -dout) if db else None)


class Mul(Function):
    """a * b, broadcasting."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b = as_array("Mul", "a", a), as_array("Mul", "b", b)
        da, db = ctx.needs_input_grad  # save only what a gradient needs (as torch: x * 2 keeps
        ctx.save_for_backward(a if db else None, b if da else None)  # no copy of x)
        return _binary("Mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return ((fit_grad(ctx, 0, dout * b) if da else None),
                (fit_grad(ctx, 1, dout * a) if db else None))


class Div(Function):
    """a / b, broadcasting."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b = as_array("Div", "a", a), as_array("Div", "b", b)
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for db
        return _binary("Div", np.true_divide, a, b)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return ((fit_grad(ctx, 0, dout / b) if da else None),
                (fit_grad(ctx, 1, -dout * a / (b * b)) if db else None))


class Neg(Function):
    """-x."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        return np.negative(as_array("Neg", "x", x))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return -dout


class Pow(Function):
    """x ** p, broadcasting; p a number or a tensor. As torch: dx = 0 where p == 0, and
    dp = x**p log x, 0 where x == 0 and p >= 0. Shapes broadcast; grads take each input's shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, p: Any) -> np.ndarray:
        x, p = as_array("Pow", "x", x), as_array("Pow", "p", p)
        try:
            out = _binary("Pow", np.power, x, p, ("x", "p"))
        except ShapeError:
            raise
        except ValueError:  # numpy's "Integers to negative integer powers are not allowed"
            raise RangeRuntimeError(f"Pow: integer x to negative integer powers p is not "
                                    f"allowed, got p min {np.min(p)}") from None
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, p, out = ctx.saved_tensors
        dx = dp = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dx = dout * p * np.power(x, p - 1)
            if np.any(p == 0):
                dx = np.where(p == 0, 0, dx)
            dx = fit_grad(ctx, 0, dx)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                dp = dout * out * np.log(x)
            dp = fit_grad(ctx, 1, np.where((x == 0) & (p >= 0), 0, dp))
        return dx, dp


def _tie_split(dout: np.ndarray, lose: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """dout where an input wins, dout / 2 where it ties, 0 where it loses (torch's rule)."""
    return np.where(lose, 0, np.where(tie, dout * 0.5, dout))


class Maximum(_BinaryOp):
    """Elementwise max(a, b); NaN propagates; at a tie a == b each input gets half the gradient
    (torch.maximum). a, b broadcast to the output shape."""

    op = np.maximum

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        tie = a == b
        return _tie_split(dout, a < b, tie), _tie_split(dout, a > b, tie)


class Minimum(_BinaryOp):
    """Elementwise min(a, b); NaN propagates; at a tie a == b each input gets half the gradient
    (torch.minimum). a, b broadcast to the output shape."""

    op = np.minimum

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        tie = a == b
        return _tie_split(dout, a > b, tie), _tie_split(dout, a < b, tie)


class Remainder(_BinaryOp):
    """a % b with the sign of the divisor (Python, numpy, torch.remainder); grads dout and
    -dout floor(a / b). a, b broadcast to the output shape."""

    op = np.remainder

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        return dout, -dout * np.floor_divide(a, b)


class Fmod(_BinaryOp):
    """C fmod(a, b), the remainder with the sign of the dividend (torch.fmod, numpy.fmod);
    grads dout and -dout trunc(a / b). a, b broadcast to the output shape."""

    op = np.fmod

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        return dout, -dout * np.trunc(a / b)


class FloorDivide(_BinaryOp):
    """floor(a / b), the // operator; piecewise constant, so both gradients are zeros (torch
    has no derivative for floor_divide; its div(rounding_mode='floor') gives zeros).
    a, b broadcast to the output shape."""

    op = np.floor_divide
    save = False

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        zeros = np.zeros_like(dout)
        return zeros, zeros


def _trunc_divide(a: Any, b: Any) -> np.ndarray:
    return np.trunc(np.true_divide(a, b))


class _TruncDivide(FloorDivide):
    """trunc(a / b) for the float path of idiv / div(rounding_mode='trunc'); zero gradients
    as FloorDivide (torch's rounded divisions have zero derivatives)."""

    op = staticmethod(_trunc_divide)


class Atan2(_BinaryOp):
    """atan2(a, b), the angle of the point (b, a) in [-pi, pi]; grads dout b / (a^2 + b^2) and
    -dout a / (a^2 + b^2), 0 at the origin. a, b broadcast to the output shape."""

    op = np.arctan2

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        r2 = a * a + b * b
        scale = dout / np.where(r2 == 0, 1, r2)
        return scale * b, -scale * a


class Hypot(_BinaryOp):
    """sqrt(a^2 + b^2) without overflow; grads dout a / out and dout b / out (NaN at the origin,
    as torch). a, b broadcast to the output shape."""

    op = np.hypot

    @staticmethod
    def grads(dout: np.ndarray, a: Any, b: Any, out: np.ndarray) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = dout / out
        return scale * a, scale * b


class Tanh(Function):
    """tanh(x)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = as_array("Tanh", "x", x)
        out = torch_float(np.tanh(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return dout * (1 - out * out)


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) as 0.5 + 0.5 tanh(x / 2): no overflow for any x, keeps x's dtype.

    Exact to a few ulps in absolute terms (tails below ~1e-16 round to 0 or 1) and ~15x
    faster than the branchy exp form.
    """
    out = np.multiply(x, 0.5)
    if type(out) is not np.ndarray:  # a 0-d x gives a numpy scalar
        out = np.array(out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


class Sigmoid(Function):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = as_array("Sigmoid", "x", x)
        out = torch_float(stable_sigmoid(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return dout * out * (1 - out)


class ReLU(Function):
    """max(x, 0); the gradient at exactly 0 is 0 (as torch)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = as_array("ReLU", "x", x)
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return dout * (out > 0)


class Cast(Function):
    """x.astype(dtype); the gradient is cast back to x's dtype."""

    @staticmethod
    def forward(ctx: Context, x: Any, dtype: Any = np.float64) -> np.ndarray:
        x = as_array("Cast", "x", x)
        ctx.src_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return dout.astype(ctx.src_dtype)


def _wrapper(fn: type, name: str, doc: str) -> Any:
    """The snake_case wrapper `name(*args)` -> fn.apply(*args)."""
    def call(*args: Any) -> Any:
        return fn.apply(*args)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = doc
    return call


mul = _wrapper(Mul, "mul", "a * b (numpy alias multiply).")
neg = _wrapper(Neg, "neg", "-x (numpy alias negative).")
pow = _wrapper(Pow, "pow", "x ** p (numpy alias power).")  # noqa: A001
tanh = _wrapper(Tanh, "tanh", "tanh(x).")
sigmoid = _wrapper(Sigmoid, "sigmoid", "sigmoid(x).")
relu = _wrapper(ReLU, "relu", "max(x, 0).")
maximum = _wrapper(Maximum, "maximum", "max(a, b); ties split the gradient.")
minimum = _wrapper(Minimum, "minimum", "min(a, b); ties split the gradient.")
remainder = _wrapper(Remainder, "remainder", "a % b, the sign of b (alias mod).")
fmod = _wrapper(Fmod, "fmod", "C fmod: a % b, the sign of a.")
floor_divide = _wrapper(FloorDivide, "floor_divide", "floor(a / b), a // b; zero grads.")
atan2 = _wrapper(Atan2, "atan2", "atan2(a, b) (numpy alias `arctan2`).")
hypot = _wrapper(Hypot, "hypot", "sqrt(a^2 + b^2).")


def add(a: Any, b: Any, alpha: Any = None) -> Any:
    """a + alpha * b (torch.add)."""
    return Add.apply(a, b if alpha is None else Mul.apply(b, alpha))


def sub(a: Any, b: Any, alpha: Any = None) -> Any:
    """a - alpha * b (torch.sub; numpy alias subtract)."""
    return Sub.apply(a, b if alpha is None else Mul.apply(b, alpha))


def div(a: Any, b: Any, rounding_mode: str | None = None) -> Any:
    """a / b as torch.div: true division (ints give float32), or rounded 'trunc' / 'floor'
    (ints stay ints; the rounded forms have zero gradients)."""
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode == "floor":
        return FloorDivide.apply(a, b)
    if rounding_mode == "trunc":
        return idiv(a, b)
    raise RangeRuntimeError(f"div: rounding_mode must be None, 'trunc' or 'floor', got "
                            f"{rounding_mode!r}")


def idiv(a: Any, b: Any) -> Any:
    """a / b rounded toward zero (div(rounding_mode='trunc'); tinygrad's idiv): exact integer
    arithmetic for int operands, trunc(a / b) with zero gradients for floats."""
    ra, rb = (as_array("idiv", n, getattr(v, "data", v)) for n, v in (("a", a), ("b", b)))
    if np.asarray(ra).dtype.kind in "biu" and np.asarray(rb).dtype.kind in "biu":
        q = _binary("idiv", np.floor_divide, ra, rb)
        inexact = (q * rb != ra) & ((np.asarray(ra) < 0) != (np.asarray(rb) < 0))
        return Tensor(q + inexact.astype(np.asarray(q).dtype))
    return _TruncDivide.apply(Div.apply(a, b), 1)  # trunc(a / b), Div's dtype rules


def cast(x: Any, dtype: Any) -> Any:
    """x.astype(dtype): differentiable to a float dtype; an int or bool result is outside
    the graph (as torch)."""
    if dtype is None:
        raise UnknownDTypeError("Cast: dtype must be a numpy dtype, got None")
    return Cast.apply(x, dtype=as_dtype("Cast", dtype))


def _type(self: Tensor, dtype: Any = None) -> Any:
    """torch's t.type(dtype): cast (through the graph for floats); no dtype: its name."""
    return str(self.data.dtype) if dtype is None else cast(self, dtype)


mod, arctan2, true_divide, divide, multiply, subtract, negative, power = (
    remainder, atan2, div, div, mul, sub, neg, pow)

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "Pow", "Maximum", "Minimum", "Remainder", "Fmod",
           "FloorDivide", "Atan2", "Hypot", "Tanh", "Sigmoid", "ReLU", "Cast",
           "add", "sub", "mul", "div", "idiv", "neg", "pow", "maximum", "minimum", "remainder",
           "mod", "fmod", "floor_divide", "atan2", "arctan2", "hypot", "tanh", "sigmoid", "relu",
           "cast", "true_divide", "divide", "multiply", "subtract", "negative", "power"]

TENSOR_METHODS = {
    "__add__": lambda self, o: Add.apply(self, o), "__radd__": lambda self, o: Add.apply(o, self),
    "__sub__": lambda self, o: Sub.apply(self, o), "__rsub__": lambda self, o: Sub.apply(o, self),
    "__mul__": lambda self, o: Mul.apply(self, o), "__rmul__": lambda self, o: Mul.apply(o, self),
    "__truediv__": lambda self, o: Div.apply(self, o),
    "__rtruediv__": lambda self, o: Div.apply(o, self),
    "__pow__": lambda self, o: Pow.apply(self, o), "__rpow__": lambda self, o: Pow.apply(o, self),
    "__mod__": lambda self, o: Remainder.apply(self, o),
    "__rmod__": lambda self, o: Remainder.apply(o, self),
    "__floordiv__": lambda self, o: FloorDivide.apply(self, o),
    "__rfloordiv__": lambda self, o: FloorDivide.apply(o, self),
    "__neg__": lambda self: Neg.apply(self), "__pos__": lambda self: self,
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div,
    "divide": div, "true_divide": div, "idiv": idiv, "neg": neg, "negative": neg, "pow": pow,
    "mod": remainder, "maximum": maximum, "minimum": minimum, "remainder": remainder,
    "fmod": fmod, "floor_divide": floor_divide, "atan2": atan2, "arctan2": atan2,
    "hypot": hypot, "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "astype": cast,
    "cast": cast, "type": _type, "int": lambda self: cast(self, np.int32),
    "long": lambda self: cast(self, np.int64), "bool": lambda self: cast(self, np.bool_),
    "contiguous": lambda self: self,
}
