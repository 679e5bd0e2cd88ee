"""Pointwise activations: softplus, leaky_relu, elu, gelu, quick_gelu, silu, mish, and more (erf
lives in special.py; softmax, log_softmax, softmin and glu in softmax.py).

Every Function takes float32 or float64 x and keeps its dtype; all are stable for large |x|.
The pointwise ones share `_Pointwise`: a subclass gives its constants' defaults and the pure
numpy `_f(x, **consts)` and `_df(x, dout, **consts)`.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from minigrad.errors import DTypeError, RangeError
from minigrad.function import Context, Function
from minigrad.functional.special import _SQRPI, erf_array
from minigrad.functional.validate import as_array

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
QUICK_GELU = 1.702


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


class QuickGELU(_Pointwise):
    """x * sigmoid(1.702 x), the sigmoid approximation of GELU: any shape."""

    _f = staticmethod(lambda x: x * _sigmoid(QUICK_GELU * x))

    @staticmethod
    def _df(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        s = _sigmoid(QUICK_GELU * x)
        return g * s * (1.0 + QUICK_GELU * x * (1.0 - s))


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


# ----- wrappers (torch spellings) ---------------------------------------------------------------
def _plain(fn: type, name: str) -> Callable[[Any], Any]:
    """The wrapper `name(x) = fn.apply(x)`, documented by fn's docstring."""
    def wrapper(x: Any) -> Any:
        return fn.apply(x)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


selu = _plain(SELU, "selu")
silu = _plain(SiLU, "silu")
quick_gelu = _plain(QuickGELU, "quick_gelu")
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


__all__ = ["Softplus", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "QuickGELU", "Mish",
           "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "Softsign", "LogSigmoid", "softplus",
           "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "swish", "quick_gelu", "mish",
           "hardtanh", "relu6", "hardswish", "hardsigmoid", "softsign", "logsigmoid"]

TENSOR_METHODS = {
    "softplus": softplus, "leaky_relu": leaky_relu, "elu": elu, "celu": celu, "selu": selu,
    "gelu": gelu, "silu": silu, "swish": swish, "quick_gelu": quick_gelu, "mish": mish,
    "hardtanh": hardtanh, "relu6": relu6, "hardswish": hardswish, "hardsigmoid": hardsigmoid,
    "softsign": softsign, "logsigmoid": logsigmoid,
}
