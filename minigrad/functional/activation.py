"""Activations: erf, softplus, leaky_relu, elu, gelu, softmax / log_softmax on any axis, and more.

Every Function takes float32 or float64 x and keeps its dtype; all are stable for large |x|.
The pointwise ones share `_Pointwise`: a subclass gives its constants' defaults and the pure
numpy `_f(x, **consts)` and `_df(x, dout, **consts)`.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.validate import alias, as_array

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23
# (1969), as in netlib SPECFUN CALERF: erf on [0, 0.46875], erfc on (0.46875, 4] and (4, inf).
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)


def _erf_small(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    t = x * x
    num, den = _A[4] * t, t
    for a, b in zip(_A[:3], _B[:3], strict=True):
        num, den = (num + a) * t, (den + b) * t
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_large(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875, to ~1e-16 relative (exp(-y^2) split to keep its accuracy)."""
    out = np.empty_like(y)
    mid = y <= 4.0
    m = y[mid]
    num, den = _C[8] * m, m
    for c, d in zip(_C[:7], _D[:7], strict=True):
        num, den = (num + c) * m, (den + d) * m
    out[mid] = (num + _C[7]) / (den + _D[7])
    far = ~mid
    f = y[far]
    t = 1.0 / (f * f)
    num, den = _P[5] * t, t
    for p, q in zip(_P[:4], _Q[:4], strict=True):
        num, den = (num + p) * t, (den + q) * t
    out[far] = (_SQRPI - t * (num + _P[4]) / (den + _Q[4])) / f
    y = np.minimum(y, 40.0)  # erfc(40) underflows to 0: keeps inf from making NaN below
    ysq = np.trunc(y * 16.0) / 16.0
    with np.errstate(under="ignore"):
        return np.exp(-ysq * ysq) * np.exp(-(y - ysq) * (y + ysq)) * out


def erf_array(x: np.ndarray, complement: bool = False) -> np.ndarray:
    """erf(x), or erfc(x) = 1 - erf(x) without cancellation, by Cody's approximations (~1e-16
    relative); keeps x's float dtype."""
    x = np.asarray(x)
    out = np.empty_like(x)
    small = np.abs(x) <= 0.46875
    out[small] = 1.0 - _erf_small(x[small]) if complement else _erf_small(x[small])
    big = x[~small]
    tail = _erfc_large(np.abs(big))
    out[~small] = (np.where(big > 0, tail, 2.0 - tail) if complement
                   else np.sign(big) * (1.0 - tail))
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), accurate relative to its value in both tails; keeps z's dtype."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _float(fn: str, x: Any) -> np.ndarray:
    """`x` as a float32/float64 array, or a DTypeError naming `fn`."""
    x = np.asarray(as_array(fn, "x", x))
    if x.dtype.kind != "f":
        raise DTypeError(f"{fn}: x must be a float array (float32 or float64), got dtype "
                         f"{x.dtype}")
    return x


def _number(fn: str, name: str, v: Any) -> float:
    """A real constant as a Python float (weak: keeps float32 float32)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                             np.floating)):
        raise DTypeError(f"{fn}: {name} must be a real number, got {type(v).__name__}")
    return float(v)


class _Pointwise(Function):
    """Elementwise activation: forward validates and calls `_f`, backward calls `_df`."""

    defaults: dict = {}
    nonzero: tuple = ()

    @staticmethod
    def forward(ctx: Context, x: Any, **consts: Any) -> np.ndarray:
        fn = ctx.fn
        name = fn.__name__
        unknown = sorted(set(consts) - set(fn.defaults))
        if unknown:
            raise TypeError(f"{name}: unexpected argument(s) {unknown}; expected "
                            f"{sorted(fn.defaults) or 'none'}")
        x = _float(name, x)
        merged = {**fn.defaults, **consts}
        for k, v in merged.items():
            if not isinstance(fn.defaults[k], str):
                merged[k] = _number(name, k, v)
        for k in fn.nonzero:
            if merged[k] == 0:
                raise RangeError(f"{name}: {k} must be non-zero, got 0")
        fn._check(merged)
        ctx.consts = merged
        ctx.save_for_backward(x)
        return fn._f(x, **merged)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return ctx.fn._df(x, dout, **ctx.consts)

    @staticmethod
    def _check(consts: dict) -> None:
        """Further checks of the constants (a named RangeError)."""


class Erf(_Pointwise):
    """The error function 2/sqrt(pi) * int_0^x exp(-t^2) dt (as torch.special.erf): any shape."""

    _f = staticmethod(erf_array)
    _df = staticmethod(lambda x, g: g * (2.0 * _SQRPI) * np.exp(-x * x))


class Softplus(_Pointwise):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold (as torch): any shape."""

    defaults = {"beta": 1.0, "threshold": 20.0}
    nonzero = ("beta",)

    @staticmethod
    def _f(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        z = x * beta
        return np.where(z > threshold, x, np.log1p(np.exp(np.minimum(z, threshold))) / beta)

    @staticmethod
    def _df(x: np.ndarray, g: np.ndarray, beta: float,
            threshold: float) -> np.ndarray:
        z = x * beta
        return np.where(z > threshold, g, g * _sigmoid(z))


class LeakyReLU(_Pointwise):
    """x where x > 0, else negative_slope * x: any shape."""

    defaults = {"negative_slope": 0.01}
    _f = staticmethod(lambda x, negative_slope: np.where(x > 0, x, x * negative_slope))
    _df = staticmethod(lambda x, g, negative_slope: np.where(x > 0, g, g * negative_slope))


class ELU(_Pointwise):
    """x where x > 0, else alpha (exp(x) - 1): any shape."""

    defaults = {"alpha": 1.0}
    _f = staticmethod(lambda x, alpha: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0))))
    _df = staticmethod(lambda x, g, alpha: np.where(
        x > 0, g, g * alpha * np.exp(np.minimum(x, 0.0))))


class CELU(_Pointwise):
    """x where x > 0, else alpha (exp(x / alpha) - 1): any shape."""

    defaults = {"alpha": 1.0}
    nonzero = ("alpha",)
    _f = staticmethod(lambda x, alpha: np.where(
        x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha)))
    _df = staticmethod(lambda x, g, alpha: np.where(
        x > 0, g, g * np.exp(np.minimum(x, 0.0) / alpha)))


class SELU(_Pointwise):
    """scale * ELU(x, alpha) with the self-normalising constants of Klambauer et al.: any shape."""

    _f = staticmethod(lambda x: SELU_SCALE * np.where(
        x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))))
    _df = staticmethod(lambda x, g: g * SELU_SCALE * np.where(
        x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0))))


class GELU(_Pointwise):
    """x Phi(x) with the normal CDF Phi (erf), or its tanh approximation: any shape."""

    defaults = {"approximate": "none"}

    @staticmethod
    def _check(c: dict) -> None:
        if c["approximate"] not in ("none", "tanh"):
            raise RangeError(f"GELU: approximate must be 'none' or 'tanh', got "
                             f"{c['approximate']!r}")

    @staticmethod
    def _f(x: np.ndarray, approximate: str) -> np.ndarray:
        if approximate == "tanh":
            xc = np.clip(x, -100.0, 100.0)  # tanh is saturated far before: keeps x^3 finite
            return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (xc + 0.044715 * xc * xc * xc)))
        return x * (0.5 * erf_array(x * -math.sqrt(0.5), complement=True))

    @staticmethod
    def _df(x: np.ndarray, g: np.ndarray, approximate: str) -> np.ndarray:
        if approximate == "tanh":
            xc = np.clip(x, -100.0, 100.0)
            t = np.tanh(SQRT_2_OVER_PI * (xc + 0.044715 * xc * xc * xc))
            dt = (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * xc * xc)
            return g * (0.5 * (1.0 + t) + 0.5 * xc * dt)
        cdf = 0.5 * erf_array(x * -math.sqrt(0.5), complement=True)
        return g * (cdf + x * np.exp(-0.5 * x * x) * (0.5 * _SQRPI * math.sqrt(2.0)))


class SiLU(_Pointwise):
    """x * sigmoid(x) (swish): any shape."""

    _f = staticmethod(lambda x: x * _sigmoid(x))

    @staticmethod
    def _df(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = _sigmoid(x)
        return g * s * (1.0 + x * (1.0 - s))


class Mish(_Pointwise):
    """x * tanh(softplus(x)): any shape."""

    _f = staticmethod(lambda x: x * np.tanh(_softplus(x)))

    @staticmethod
    def _df(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        t = np.tanh(_softplus(x))
        return g * (t + x * _sigmoid(x) * (1.0 - t * t))


class Hardtanh(_Pointwise):
    """x clipped to [min_val, max_val]; zero gradient outside the open interval: any shape."""

    defaults = {"min_val": -1.0, "max_val": 1.0}

    @staticmethod
    def _check(c: dict) -> None:
        if c["min_val"] > c["max_val"]:
            raise RangeError(f"Hardtanh: min_val must be <= max_val, got min_val "
                             f"{c['min_val']} and max_val {c['max_val']}")

    _f = staticmethod(lambda x, min_val, max_val: np.clip(x, min_val, max_val))
    _df = staticmethod(lambda x, g, min_val, max_val: g * ((x > min_val) & (x < max_val)))


class ReLU6(_Pointwise):
    """min(max(x, 0), 6); zero gradient outside (0, 6): any shape."""

    _f = staticmethod(lambda x: np.clip(x, 0.0, 6.0))
    _df = staticmethod(lambda x, g: g * ((x > 0) & (x < 6)))


class Hardswish(_Pointwise):
    """x * relu6(x + 3) / 6: any shape."""

    _f = staticmethod(lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0)
    _df = staticmethod(lambda x, g: np.where(
        x < -3, 0.0, np.where(x <= 3, g * (x / 3.0 + 0.5), g)))


class Hardsigmoid(_Pointwise):
    """relu6(x + 3) / 6; gradient 1/6 inside (-3, 3), else 0: any shape."""

    _f = staticmethod(lambda x: np.clip(x + 3.0, 0.0, 6.0) / 6.0)
    _df = staticmethod(lambda x, g: np.where((x > -3) & (x < 3), g / 6.0, 0.0))


class Softsign(_Pointwise):
    """x / (1 + |x|): any shape."""

    _f = staticmethod(lambda x: x / (1.0 + np.abs(x)))
    _df = staticmethod(lambda x, g: g / np.square(1.0 + np.abs(x)))


class LogSigmoid(_Pointwise):
    """log(sigmoid(x)) = -softplus(-x), without overflow: any shape."""

    _f = staticmethod(lambda x: -_softplus(-x))
    _df = staticmethod(lambda x, g: g * _sigmoid(-x))


def _axis(fn: str, x: np.ndarray, axis: Any) -> int:
    """One axis of `x` as a non-negative int (0-d x has the axis 0 / -1, as torch)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise DTypeError(f"{fn}: axis must be an int, got {type(axis).__name__}")
    n = max(x.ndim, 1)
    if not -n <= axis < n:
        raise ShapeError(f"{fn}: axis {axis} is out of range for x of shape {x.shape}")
    return int(axis) % n


def _shifted(fn: str, ctx: Context, x: Any, axis: Any) -> np.ndarray:
    """x - max(x, axis) for the softmax pair, with the axis kept on `ctx`."""
    x = _float(fn, x)
    ctx.axis = _axis(fn, x, axis)
    ctx.shape = x.shape
    x = x.reshape(x.shape or (1,))
    m = np.max(x, axis=ctx.axis, keepdims=True, initial=-np.inf)
    return x - np.where(np.isfinite(m), m, 0.0)


class Softmax(Function):
    """exp(x) / sum(exp(x)) along `axis`, shifted by the max (no overflow): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1) -> np.ndarray:
        e = np.exp(_shifted("Softmax", ctx, x, axis))
        out = e / e.sum(axis=ctx.axis, keepdims=True)
        ctx.save_for_backward(out)
        return out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        g = dout.reshape(out.shape)
        return (out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))).reshape(ctx.shape)


class LogSoftmax(Function):
    """x - log(sum(exp(x))) along `axis`, shifted by the max (no overflow): any shape."""

    @staticmethod
    def forward(ctx: Context, x: Any, axis: int = -1) -> np.ndarray:
        z = _shifted("LogSoftmax", ctx, x, axis)
        with np.errstate(divide="ignore"):
            out = z - np.log(np.exp(z).sum(axis=ctx.axis, keepdims=True))
        ctx.save_for_backward(out)
        return out.reshape(ctx.shape)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        g = dout.reshape(out.shape)
        return (g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)).reshape(ctx.shape)


# ----- wrappers (torch spellings) ---------------------------------------------------------------
def _plain(fn: type, name: str) -> Callable[[Any], Any]:
    """The wrapper `name(x) = fn.apply(x)`, documented by fn's docstring."""
    def wrapper(x: Any) -> Any:
        return fn.apply(x)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


erf = _plain(Erf, "erf")
selu = _plain(SELU, "selu")
silu = _plain(SiLU, "silu")
mish = _plain(Mish, "mish")
relu6 = _plain(ReLU6, "relu6")
hardswish = _plain(Hardswish, "hardswish")
hardsigmoid = _plain(Hardsigmoid, "hardsigmoid")
softsign = _plain(Softsign, "softsign")
logsigmoid = _plain(LogSigmoid, "logsigmoid")
swish = silu


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """log(1 + exp(beta x)) / beta; linear where beta x > threshold."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x if x > 0 else negative_slope * x."""
    return LeakyReLU.apply(x, negative_slope=negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x if x > 0 else alpha (exp(x) - 1)."""
    return ELU.apply(x, alpha=alpha)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """x if x > 0 else alpha (exp(x / alpha) - 1)."""
    return CELU.apply(x, alpha=alpha)


def gelu(x: Any, approximate: str = "none") -> Any:
    """x Phi(x) ('none', exact, via erf) or its 'tanh' approximation."""
    return GELU.apply(x, approximate=approximate)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Any:
    """x clipped to [min_val, max_val]."""
    return Hardtanh.apply(x, min_val=min_val, max_val=max_val)


def softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Any:
    """Softmax along `axis` (torch: `dim`), default the last axis."""
    return Softmax.apply(x, axis=alias("softmax", "axis", axis, "dim", dim, -1))


def log_softmax(x: Any, axis: int | None = None, *, dim: int | None = None) -> Any:
    """Log-softmax along `axis` (torch: `dim`), default the last axis."""
    return LogSoftmax.apply(x, axis=alias("log_softmax", "axis", axis, "dim", dim, -1))


__all__ = ["Erf", "Softplus", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Mish",
           "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "Softsign", "LogSigmoid", "Softmax",
           "LogSoftmax", "erf", "softplus", "leaky_relu", "elu", "celu", "selu", "gelu", "silu",
           "swish", "mish", "hardtanh", "relu6", "hardswish", "hardsigmoid", "softsign",
           "logsigmoid", "softmax", "log_softmax"]

TENSOR_METHODS = {
    "erf": erf, "softplus": softplus, "leaky_relu": leaky_relu, "elu": elu, "celu": celu,
    "selu": selu, "gelu": gelu, "silu": silu, "swish": swish, "mish": mish,
    "hardtanh": hardtanh, "relu6": relu6, "hardswish": hardswish, "hardsigmoid": hardsigmoid,
    "softsign": softsign, "logsigmoid": logsigmoid, "softmax": softmax,
    "log_softmax": log_softmax,
}
