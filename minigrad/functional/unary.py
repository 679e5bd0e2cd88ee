"""Unary math: exp, log, sqrt, abs, sign, square, trigonometry, rounding, clamp/clip.

Every Function here maps x elementwise (any shape, kept); float32 in gives float32 out and a
float32 gradient. Inputs outside a function's domain give NaN/inf like numpy and torch.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from minigrad.errors import RangeRuntimeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.elementwise import Mul, fit_grad, torch_float
from minigrad.functional.validate import alias, as_array
from minigrad.tensor import Tensor

LN2, LN10 = math.log(2.0), math.log(10.0)  # Python floats: weak, a float32 stays float32


class _Pointwise(Function):
    """Shared forward/backward of the table-driven Functions below (not public).

    A subclass sets `op` (a numpy ufunc), `keep` (what backward needs: "x", "out", "x out" or
    "" for a zero gradient) and `grad(dout, x, out)`.
    """

    op: Callable = np.positive
    keep = "x"

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        fn = ctx.fn
        x = as_array(fn.__name__, "x", x)
        out = torch_float(fn.op(x), x)
        if fn.keep:
            ctx.save_for_backward(x if "x" in fn.keep else None,
                                  out if "out" in fn.keep else None)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        if not ctx.fn.keep:
            return np.zeros(*ctx.input_meta(0))
        x, out = ctx.saved_tensors
        return fit_grad(ctx, 0, ctx.fn.grad(dout, x, out))


class _ZeroGrad(_Pointwise):
    """Piecewise constant: the gradient is zeros (torch does the same)."""

    keep = ""


class Exp(_Pointwise):
    """exp(x); grad dout exp(x)."""

    op, keep = np.exp, "out"
    grad = staticmethod(lambda dout, x, out: dout * out)


class Log(_Pointwise):
    """Natural log (x <= 0 gives -inf/NaN); grad dout / x."""

    op = np.log
    grad = staticmethod(lambda dout, x, out: dout / x)


class Sqrt(_Pointwise):
    """sqrt(x); grad dout / (2 sqrt(x)) (inf at 0, as torch)."""

    op, keep = np.sqrt, "out"
    grad = staticmethod(lambda dout, x, out: dout / (2 * out))


class Rsqrt(_Pointwise):
    """1 / sqrt(x); grad -dout / (2 x^1.5)."""

    op, keep = staticmethod(lambda x: np.reciprocal(np.sqrt(x))), "out"
    grad = staticmethod(lambda dout, x, out: -0.5 * dout * out * out * out)


class Reciprocal(_Pointwise):
    """1 / x (always floating, even for int x, as torch); grad -dout / x^2."""

    op, keep = staticmethod(lambda x: np.divide(1.0, x)), "out"
    grad = staticmethod(lambda dout, x, out: -dout * out * out)


class Square(_Pointwise):
    """x^2; grad 2 x dout."""

    op = np.square
    grad = staticmethod(lambda dout, x, out: 2 * x * dout)


class Abs(_Pointwise):
    """|x|; grad dout sign(x), 0 at x == 0 (as torch)."""

    op = np.abs
    grad = staticmethod(lambda dout, x, out: dout * np.sign(x))


class Sign(_ZeroGrad):
    """-1, 0 or 1 by the sign of x; zero gradient (as torch)."""

    op = np.sign


class Floor(_ZeroGrad):
    """Largest integer <= x, in x's dtype; zero gradient (as torch)."""

    op = np.floor


class Ceil(_ZeroGrad):
    """Smallest integer >= x, in x's dtype; zero gradient (as torch)."""

    op = np.ceil


class Trunc(_ZeroGrad):
    """x rounded toward zero, in x's dtype; zero gradient (as torch)."""

    op = np.trunc


class Round(_ZeroGrad):
    """x rounded half to even to `decimals` places (numpy and torch); zero gradient."""

    @staticmethod
    def forward(ctx: Context, x: Any, decimals: int = 0) -> np.ndarray:
        return np.round(as_array("Round", "x", x), decimals)


class Sin(_Pointwise):
    """sin(x); grad dout cos(x)."""

    op = np.sin
    grad = staticmethod(lambda dout, x, out: dout * np.cos(x))


class Cos(_Pointwise):
    """cos(x); grad -dout sin(x)."""

    op = np.cos
    grad = staticmethod(lambda dout, x, out: -dout * np.sin(x))


class Tan(_Pointwise):
    """tan(x); grad dout (1 + tan(x)^2)."""

    op, keep = np.tan, "out"
    grad = staticmethod(lambda dout, x, out: dout * (1 + out * out))


class Asin(_Pointwise):
    """arcsin(x) for |x| <= 1; grad dout / sqrt(1 - x^2)."""

    op = np.arcsin
    grad = staticmethod(lambda dout, x, out: dout / np.sqrt(1 - x * x))


class Acos(_Pointwise):
    """arccos(x) for |x| <= 1; grad -dout / sqrt(1 - x^2)."""

    op = np.arccos
    grad = staticmethod(lambda dout, x, out: -dout / np.sqrt(1 - x * x))


class Atan(_Pointwise):
    """arctan(x); grad dout / (1 + x^2)."""

    op = np.arctan
    grad = staticmethod(lambda dout, x, out: dout / (1 + x * x))


class Sinh(_Pointwise):
    """sinh(x); grad dout cosh(x)."""

    op = np.sinh
    grad = staticmethod(lambda dout, x, out: dout * np.cosh(x))


class Cosh(_Pointwise):
    """cosh(x); grad dout sinh(x)."""

    op = np.cosh
    grad = staticmethod(lambda dout, x, out: dout * np.sinh(x))


class Asinh(_Pointwise):
    """arcsinh(x); grad dout / sqrt(x^2 + 1)."""

    op = np.arcsinh
    grad = staticmethod(lambda dout, x, out: dout / np.sqrt(x * x + 1))


class Acosh(_Pointwise):
    """arccosh(x) for x >= 1; grad dout / sqrt(x^2 - 1)."""

    op = np.arccosh
    grad = staticmethod(lambda dout, x, out: dout / np.sqrt(x * x - 1))


class Atanh(_Pointwise):
    """arctanh(x) for |x| < 1; grad dout / (1 - x^2)."""

    op = np.arctanh
    grad = staticmethod(lambda dout, x, out: dout / (1 - x * x))


class Log1p(_Pointwise):
    """log(1 + x), accurate for small x; grad dout / (1 + x)."""

    op = np.log1p
    grad = staticmethod(lambda dout, x, out: dout / (1 + x))


class Expm1(_Pointwise):
    """exp(x) - 1, accurate for small x; grad dout (out + 1)."""

    op, keep = np.expm1, "out"
    grad = staticmethod(lambda dout, x, out: dout * (out + 1))


class Exp2(_Pointwise):
    """2^x; grad dout 2^x ln 2."""

    op, keep = np.exp2, "out"
    grad = staticmethod(lambda dout, x, out: dout * out * LN2)


class Log2(_Pointwise):
    """log2(x); grad dout / (x ln 2)."""

    op = np.log2
    grad = staticmethod(lambda dout, x, out: dout / (x * LN2))


class Log10(_Pointwise):
    """log10(x); grad dout / (x ln 10)."""

    op = np.log10
    grad = staticmethod(lambda dout, x, out: dout / (x * LN10))


def _bound(name: str, value: Any) -> Any:
    if isinstance(value, Tensor):  # only positional Tensors are unwrapped (and differentiated)
        raise TypeError(f"Clamp: pass a Tensor {name} positionally, Clamp.apply(x, min, max), or "
                        "call clamp(); as a keyword it would get no gradient")
    return None if value is None else as_array("Clamp", name, value)


class Clamp(Function):
    """min(max(x, min), max) elementwise (torch.clamp; min > max gives max); x, min, max
    broadcast to the output shape, at least one bound given.

    Gradients follow torch. Number bounds: dx = dout strictly inside (min < x < max), 0 at a
    bound. Array/Tensor bounds (differentiable): where x equals one bound the gradient is split
    in half between x and that bound, x == min == max gives it all to x, and when min > max
    it all goes to max.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, min: Any = None, max: Any = None) -> np.ndarray:
        x, lo, hi = as_array("Clamp", "x", x), _bound("min", min), _bound("max", max)
        if lo is None and hi is None:
            raise RangeRuntimeError("Clamp: at least one of min and max must be given, got "
                                    "min=None and max=None")
        try:
            np.broadcast_shapes(*[np.shape(v) for v in (x, lo, hi) if v is not None])
        except ValueError:
            raise ShapeError(f"Clamp: x, min and max must broadcast together, got x "
                             f"{np.shape(x)}, min {np.shape(lo)} and max {np.shape(hi)}") from None
        ctx.save_for_backward(x, lo, hi)
        return np.clip(x, lo, hi)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, lo, hi = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grads: list = [None] * len(needs)
        if not isinstance(lo, np.ndarray) and not isinstance(hi, np.ndarray):  # number bounds
            inside = (True if lo is None else x > lo) & (True if hi is None else x < hi)
            grads[0] = fit_grad(ctx, 0, np.where(inside, dout, 0))
            return tuple(grads)
        at_lo = False if lo is None else x == lo
        at_hi = False if hi is None else x == hi
        inside = (True if lo is None else x >= lo) & (True if hi is None else x <= hi)
        ordered = True if lo is None or hi is None else lo <= hi  # min <= max
        strict = True if lo is None or hi is None else lo < hi  # min < max
        half = dout * 0.5
        if needs[0]:
            grads[0] = fit_grad(ctx, 0, np.where(inside, np.where(at_lo ^ at_hi, half, dout), 0))
        if len(needs) > 1 and needs[1]:
            g = np.where((x < lo) & ordered, dout, np.where(at_lo & strict, half, 0))
            grads[1] = fit_grad(ctx, 1, g)
        if len(needs) > 2 and needs[2]:
            full = ((x > hi) & ordered) | ~np.asarray(ordered)
            grads[2] = fit_grad(ctx, 2, np.where(full, dout, np.where(at_hi & strict, half, 0)))
        return tuple(grads)


def _wrapper(fn: type, doc: str) -> Callable:
    def call(x: Any) -> Any:
        return fn.apply(x)
    call.__name__ = call.__qualname__ = fn.__name__.lower()
    call.__doc__ = doc
    return call


exp, log = _wrapper(Exp, "exp(x)."), _wrapper(Log, "log(x).")
sqrt, rsqrt = _wrapper(Sqrt, "sqrt(x)."), _wrapper(Rsqrt, "1 / sqrt(x).")
reciprocal, square = _wrapper(Reciprocal, "1 / x."), _wrapper(Square, "x ** 2.")
abs = _wrapper(Abs, "|x| (numpy alias absolute).")  # noqa: A001
sign = _wrapper(Sign, "sign(x), zero gradient.")
floor, ceil = _wrapper(Floor, "floor(x), zero gradient."), _wrapper(Ceil, "ceil(x), zero gradient.")
trunc = _wrapper(Trunc, "x rounded toward zero (numpy alias fix), zero gradient.")
sin, cos, tan = _wrapper(Sin, "sin(x)."), _wrapper(Cos, "cos(x)."), _wrapper(Tan, "tan(x).")
asin, acos = _wrapper(Asin, "arcsin(x)."), _wrapper(Acos, "arccos(x).")
atan = _wrapper(Atan, "arctan(x).")
sinh, cosh = _wrapper(Sinh, "sinh(x)."), _wrapper(Cosh, "cosh(x).")
log1p, expm1 = _wrapper(Log1p, "log(1 + x)."), _wrapper(Expm1, "exp(x) - 1.")
exp2, log2, log10 = _wrapper(Exp2, "2 ** x."), _wrapper(Log2, "log2(x)."), _wrapper(Log10,
                                                                                     "log10(x).")
asinh, acosh = _wrapper(Asinh, "arcsinh(x)."), _wrapper(Acosh, "arccosh(x).")
atanh = _wrapper(Atanh, "arctanh(x).")
absolute, fix, arcsin, arccos, arctan = abs, trunc, asin, acos, atan
arcsinh, arccosh, arctanh, fabs = asinh, acosh, atanh, abs


def deg2rad(x: Any) -> Any:
    """x in degrees to radians (numpy alias radians)."""
    return Mul.apply(x, math.pi / 180)


def rad2deg(x: Any) -> Any:
    """x in radians to degrees (numpy alias degrees)."""
    return Mul.apply(x, 180 / math.pi)


radians, degrees = deg2rad, rad2deg


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """x rounded half to even (to `decimals` places), zero gradient."""
    return Round.apply(x, decimals=decimals)


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """x limited to [min, max] (torch.clamp); bounds are numbers, arrays or Tensors."""
    return Clamp.apply(x, min, max)


def clip(x: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None,  # noqa: A002
         max: Any = None) -> Any:  # noqa: A002
    """numpy's spelling of clamp: clip(x, a_min, a_max) (or min=, max=, as numpy >= 2.1)."""
    lo = alias("clip", "a_min", a_min, "min", min)
    return Clamp.apply(x, lo, alias("clip", "a_max", a_max, "max", max))


def clamp_min(x: Any, min: Any) -> Any:  # noqa: A002
    """clamp(x, min=min)."""
    return Clamp.apply(x, min, None)


def clamp_max(x: Any, max: Any) -> Any:  # noqa: A002
    """clamp(x, max=max)."""
    return Clamp.apply(x, None, max)


_UNARY = {"exp": exp, "log": log, "sqrt": sqrt, "rsqrt": rsqrt, "reciprocal": reciprocal,
          "square": square, "abs": abs, "absolute": abs, "sign": sign, "floor": floor,
          "ceil": ceil, "trunc": trunc, "fix": trunc, "sin": sin, "cos": cos, "tan": tan,
          "asin": asin, "acos": acos, "atan": atan, "arcsin": asin, "arccos": acos,
          "arctan": atan, "sinh": sinh, "cosh": cosh, "log1p": log1p, "expm1": expm1,
          "exp2": exp2, "log2": log2, "log10": log10, "asinh": asinh, "acosh": acosh,
          "atanh": atanh, "arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "fabs": abs,
          "deg2rad": deg2rad, "rad2deg": rad2deg, "radians": deg2rad, "degrees": rad2deg}

__all__ = ["Exp", "Log", "Sqrt", "Rsqrt", "Reciprocal", "Square", "Abs", "Sign", "Floor", "Ceil",
           "Trunc", "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
           "Acosh", "Atanh",
           "Log1p", "Expm1", "Exp2", "Log2", "Log10", "Clamp", *_UNARY, "round", "clamp",
           "clip", "clamp_min", "clamp_max"]

TENSOR_METHODS: dict = {**_UNARY, "__abs__": abs, "round": round, "clamp": clamp, "clip": clip,
                        "clamp_min": clamp_min, "clamp_max": clamp_max}
