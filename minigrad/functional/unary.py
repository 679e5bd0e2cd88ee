"""Unary math: exp, log, sqrt, abs, sign, square, trigonometry, rounding, clamp/clip."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional.validate import as_array


class Exp(Function):
    """exp(x); float in, same float dtype out. Shape: any, kept."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        out = np.exp(as_array("Exp", "x", x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (out,) = ctx.saved_tensors
        return dout * out


class Log(Function):
    """Natural log; x <= 0 gives -inf/NaN like numpy and torch. Shape: any, kept."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = as_array("Log", "x", x)
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return dout / x


def exp(x: Any) -> Any:
    """exp(x)."""
    return Exp.apply(x)


def log(x: Any) -> Any:
    """log(x)."""
    return Log.apply(x)


__all__ = ["Exp", "Log", "exp", "log"]

TENSOR_METHODS: dict = {"exp": exp, "log": log}
