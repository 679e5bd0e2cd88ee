"""More elementwise math: copysign, logaddexp/logaddexp2, lerp, nan_to_num, sinc, and numpy's
complex helpers on real input (real, imag, conj, angle, real_if_close).

Binary and ternary Functions broadcast their inputs to the output shape and reduce each
gradient back to its input's shape; ints give torch's float32, float32 stays float32.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional.elementwise import Add, Mul, _binary, fit_grad, torch_float
from minigrad.functional.validate import as_array


class Copysign(Function):
    """|a| with the sign of b (torch.copysign); a, b broadcast. As torch: da = dout sign(a)
    sign(b), 0 where a == 0; b gets a zero gradient."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a, b = as_array("Copysign", "a", a), as_array("Copysign", "b", b)
        out = _binary("Copysign", np.copysign, a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, out = ctx.saved_tensors
        da = db = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                da = fit_grad(ctx, 0, np.where(a == 0, 0.0, dout * (out / a)))
        if ctx.needs_input_grad[1]:
            db = np.zeros(*ctx.input_meta(1))
        return da, db


class LogAddExp(Function):
    """log(exp(a) + exp(b)) without overflow (torch.logaddexp, numpy.logaddexp); a, b broadcast.
    Grads dout / (1 + exp(b - a)) and dout / (1 + exp(a - b)), as torch."""

    base = math.e

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        name = ctx.fn.__name__
        a, b = as_array(name, "a", a), as_array(name, "b", b)
        op = np.logaddexp if ctx.fn.base == math.e else np.logaddexp2
        ctx.save_for_backward(a, b)
        return _binary(name, op, a, b)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        base = ctx.fn.base
        grads: list = [None, None]
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (x, y) in enumerate(((a, b), (b, a))):
                if ctx.needs_input_grad[i]:
                    grads[i] = fit_grad(ctx, i, dout / (1 + np.power(base, np.subtract(y, x))))
        return tuple(grads)


class LogAddExp2(LogAddExp):
    """log2(2^a + 2^b) without overflow (torch.logaddexp2, numpy.logaddexp2); a, b broadcast.
    Grads dout / (1 + 2^(b - a)) and dout / (1 + 2^(a - b))."""

    base = 2.0


class Lerp(Function):
    """start + weight (end - start) (torch.lerp, with its two-sided formula for accuracy near
    weight 1); start, end, weight (a number or an array) broadcast to the output shape."""

    @staticmethod
    def forward(ctx: Context, start: Any, end: Any, weight: Any) -> np.ndarray:
        s, e = as_array("Lerp", "start", start), as_array("Lerp", "end", end)
        w = as_array("Lerp", "weight", weight)
        try:
            np.broadcast_shapes(np.shape(s), np.shape(e), np.shape(w))
        except ValueError:
            raise ShapeError(f"Lerp: start, end and weight must broadcast together, got start "
                             f"{np.shape(s)}, end {np.shape(e)} and weight {np.shape(w)}") from None
        d = np.subtract(e, s)
        out = np.where(np.less(w, 0.5), s + np.multiply(w, d), e - d * np.subtract(1, w))
        ctx.save_for_backward(d, w)
        return torch_float(np.asarray(out), s, e, w)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        d, w = ctx.saved_tensors
        ds, de, dw = ctx.needs_input_grad
        return (fit_grad(ctx, 0, dout * np.subtract(1, w)) if ds else None,
                fit_grad(ctx, 1, dout * w) if de else None,
                fit_grad(ctx, 2, dout * d) if dw else None)


class NanToNum(Function):
    """x with NaN, +inf and -inf replaced by `nan` (0), `posinf` and `neginf` (default the
    dtype's largest / smallest finite value), as torch and numpy; the gradient flows only
    through the finite elements (torch). Any shape, kept."""

    @staticmethod
    def forward(ctx: Context, x: Any, nan: float = 0.0, posinf: float | None = None,
                neginf: float | None = None) -> np.ndarray:
        x = np.asarray(as_array("NanToNum", "x", x))
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return fit_grad(ctx, 0, np.where(np.isfinite(x), dout, 0.0))


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at x == 0 (torch.sinc, numpy.sinc); grad dout (cos(pi x) -
    sinc(x)) / x, 0 at x == 0. Any shape, kept."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = as_array("Sinc", "x", x)
        out = torch_float(np.sinc(x), x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        safe = np.where(x == 0, 1.0, x)
        return fit_grad(ctx, 0, np.where(x == 0, 0.0, dout * (np.cos(np.pi * x) - out) / safe))


def copysign(a: Any, b: Any) -> Any:
    """|a| with the sign of b."""
    return Copysign.apply(a, b)


def logaddexp(a: Any, b: Any) -> Any:
    """log(exp(a) + exp(b))."""
    return LogAddExp.apply(a, b)


def logaddexp2(a: Any, b: Any) -> Any:
    """log2(2^a + 2^b)."""
    return LogAddExp2.apply(a, b)


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """start + weight (end - start)."""
    return Lerp.apply(start, end, weight)


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """x with NaN / +inf / -inf replaced (torch.nan_to_num, numpy.nan_to_num)."""
    return NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf)


def sinc(x: Any) -> Any:
    """sin(pi x) / (pi x), 1 at 0."""
    return Sinc.apply(x)


def real(x: Any) -> Any:
    """The real part of a real x: x itself (numpy.real, torch.real)."""
    return x


def imag(x: Any) -> Any:
    """The imaginary part of a real x: zeros of its shape, in the graph (numpy.imag)."""
    return Mul.apply(x, 0.0)


def angle(x: Any) -> Any:
    """The argument of a real x: 0 where x >= 0, pi where x < 0; zero gradient (numpy.angle)."""
    data = np.asarray(getattr(x, "data", x))
    return Add.apply(Mul.apply(x, 0.0), np.where(data < 0, np.pi, 0.0).astype(
        data.dtype if data.dtype.kind == "f" else np.float32))


conj = conjugate = real_if_close = real

__all__ = ["Copysign", "LogAddExp", "LogAddExp2", "Lerp", "NanToNum", "Sinc", "copysign",
           "logaddexp", "logaddexp2", "lerp", "nan_to_num", "sinc", "real", "imag", "angle",
           "conj", "conjugate", "real_if_close"]

TENSOR_METHODS = {
    "copysign": copysign, "logaddexp": logaddexp, "logaddexp2": logaddexp2, "lerp": lerp,
    "nan_to_num": nan_to_num, "sinc": sinc, "conj": real, "angle": angle,
}
