"""Elementwise losses as torch's mse_loss, l1_loss, smooth_l1_loss, huber_loss,
binary_cross_entropy and binary_cross_entropy_with_logits: input and target broadcast together,
both are differentiable, and the reduction is torch's ('mean', 'sum' or 'none').
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.loss import _const, _reduce, _reduction, _store, _upstream


class _Pointwise(Function):
    """Shared forward / backward of an elementwise loss l(input, target): subclasses give
    `check(fn, x, t, **consts) -> consts`, `value(x, t, **consts)` and
    `grads(x, t, g, need_x, need_t, **consts) -> (dx, dt)` on the broadcast shape."""

    @staticmethod
    def forward(ctx: Context, input: Any, target: Any, *, reduction: str = "mean",
                **consts: Any) -> np.ndarray:
        cls = ctx.fn
        fn = cls.__name__
        _reduction(fn, reduction)
        x = np.asarray(v.floating(fn, "input", np.asarray(input)))
        t = np.asarray(v.floating(fn, "target", np.asarray(target)))
        v.same_dtype(fn, ("input", "target"), x, t)
        v.nonempty(fn, "input", x)
        try:
            shape = np.broadcast_shapes(x.shape, t.shape)
        except ValueError:
            raise ShapeError(f"{fn}: input and target must broadcast together, got input "
                             f"{x.shape} and target {t.shape}") from None
        consts = {k: v.kept(ctx, c) for k, c in cls.check(fn, x, t, shape, **consts).items()}
        loss = cls.value(x, t, **consts)  # (broadcast shape)
        ctx.save_for_backward(x, t)
        _store(ctx, x.dtype, reduction, loss.size, consts=consts, shape=shape)
        return _reduce(loss, reduction, loss.size, x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, t = ctx.saved_tensors
        g = _upstream(ctx, dout, ctx.shape)
        nx, nt = ctx.needs_input_grad
        dx, dt = ctx.fn.grads(x, t, g, nx, nt, **ctx.consts)
        return (v.unbroadcast(np.broadcast_to(dx, ctx.shape), x.shape) if nx else None,
                v.unbroadcast(np.broadcast_to(dt, ctx.shape), t.shape) if nt else None)

    @staticmethod
    def check(fn: str, x: np.ndarray, t: np.ndarray, shape: tuple, **consts: Any) -> dict:
        return consts


def _nonneg(fn: str, name: str, value: Any, positive: bool = False) -> float:
    if not isinstance(value, (int, float, np.integer, np.floating)) or value < 0 \
            or (positive and value == 0):
        raise RangeError(f"{fn}: {name} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


class _Difference(_Pointwise):
    """An elementwise loss f(d) of d = input - target, with f' = `df`: dt = -dx."""

    @classmethod
    def value(cls, x: np.ndarray, t: np.ndarray, **c: Any) -> np.ndarray:
        return cls.f(x - t, **c)

    @classmethod
    def grads(cls, x: np.ndarray, t: np.ndarray, g: np.ndarray, nx: bool, nt: bool,
              **c: Any) -> tuple:
        dx = cls.df(x - t, **c) * g
        return dx, -dx


class MSELoss(_Difference):
    """torch's mse_loss: (input - target)² reduced; input, target broadcast -> scalar or the
    broadcast shape ('none')."""

    f = staticmethod(lambda d: d * d)
    df = staticmethod(lambda d: 2 * d)


class L1Loss(_Difference):
    """torch's l1_loss: |input - target| reduced (gradient sign(input - target), 0 at a tie)."""

    f = staticmethod(np.abs)
    df = staticmethod(np.sign)


class SmoothL1Loss(_Difference):
    """torch's smooth_l1_loss: 0.5 d² / beta where |d| < beta, else |d| - beta / 2
    (d = input - target; beta = 0 is L1)."""

    @staticmethod
    def check(fn: str, x: np.ndarray, t: np.ndarray, shape: tuple, beta: float = 1.0) -> dict:
        return {"beta": _nonneg(fn, "beta", beta)}

    @staticmethod
    def f(d: np.ndarray, beta: float) -> np.ndarray:
        a = np.abs(d)
        return np.where(a < beta, 0.5 * a * a / (beta or 1), a - 0.5 * beta)

    @staticmethod
    def df(d: np.ndarray, beta: float) -> np.ndarray:
        return np.where(np.abs(d) < beta, d / (beta or 1), np.sign(d))


class HuberLoss(_Difference):
    """torch's huber_loss: 0.5 d² where |d| < delta, else delta (|d| - delta / 2)."""

    @staticmethod
    def check(fn: str, x: np.ndarray, t: np.ndarray, shape: tuple, delta: float = 1.0) -> dict:
        return {"delta": _nonneg(fn, "delta", delta, positive=True)}

    @staticmethod
    def f(d: np.ndarray, delta: float) -> np.ndarray:
        a = np.abs(d)
        return np.where(a < delta, 0.5 * a * a, delta * (a - 0.5 * delta))

    @staticmethod
    def df(d: np.ndarray, delta: float) -> np.ndarray:
        return np.clip(d, -delta, delta)


def _weight(fn: str, name: str, w: Any, x: np.ndarray, shape: tuple) -> np.ndarray | None:
    w = _const(fn, name, w, x.dtype)
    if w is not None and not v.broadcasts_to(w.shape, shape):
        raise ShapeError(f"{fn}: {name} must broadcast to the loss shape {shape}, got {w.shape}")
    return w


class BCELoss(_Pointwise):
    """torch's binary_cross_entropy: -w (t log x + (1 - t) log(1 - x)), logs clamped at -100;
    probabilities input in [0, 1], target broadcast -> scalar or the broadcast shape."""

    @staticmethod
    def check(fn: str, x: np.ndarray, t: np.ndarray, shape: tuple, weight: Any = None) -> dict:
        if x.size and (x.min() < 0 or x.max() > 1):
            raise RangeError(f"{fn}: input values must be probabilities in [0, 1], got min "
                             f"{x.min()} max {x.max()}")
        return {"weight": _weight(fn, "weight", weight, x, shape)}

    @staticmethod
    def _logs(x: np.ndarray) -> tuple:
        with np.errstate(divide="ignore"):
            return np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)

    @staticmethod
    def value(x: np.ndarray, t: np.ndarray, weight: Any) -> np.ndarray:
        lx, l1x = BCELoss._logs(x)
        loss = -(t * lx + (1 - t) * l1x)
        return loss if weight is None else loss * weight

    @staticmethod
    def grads(x: np.ndarray, t: np.ndarray, g: np.ndarray, nx: bool, nt: bool,
              weight: Any) -> tuple:
        gw = g if weight is None else g * weight
        dx = gw * (x - t) / np.maximum((1 - x) * x, 1e-12) if nx else None
        if not nt:
            return dx, None
        lx, l1x = BCELoss._logs(x)
        return dx, gw * (l1x - lx)


class BCEWithLogitsLoss(_Pointwise):
    """torch's binary_cross_entropy_with_logits, stable for any score: -w (p t log σ(x) +
    (1 - t) log(1 - σ(x))), p = pos_weight (broadcast over the last axis) or 1."""

    @staticmethod
    def check(fn: str, x: np.ndarray, t: np.ndarray, shape: tuple, weight: Any = None,
              pos_weight: Any = None) -> dict:
        return {"weight": _weight(fn, "weight", weight, x, shape),
                "pos_weight": _weight(fn, "pos_weight", pos_weight, x, shape)}

    @staticmethod
    def value(x: np.ndarray, t: np.ndarray, weight: Any, pos_weight: Any) -> np.ndarray:
        sp = np.logaddexp(0, -x)  # softplus(-x) = -log σ(x)
        loss = (1 - t) * x + (sp if pos_weight is None else (1 + (pos_weight - 1) * t) * sp)
        return loss if weight is None else loss * weight

    @staticmethod
    def grads(x: np.ndarray, t: np.ndarray, g: np.ndarray, nx: bool, nt: bool, weight: Any,
              pos_weight: Any) -> tuple:
        gw = g if weight is None else g * weight
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        dx = gw * ((1 - t) - lw * (0.5 - 0.5 * np.tanh(0.5 * x))) if nx else None  # σ(-x)
        if not nt:
            return dx, None
        dt = -x if pos_weight is None else (pos_weight - 1) * np.logaddexp(0, -x) - x
        return dx, gw * dt


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """torch.nn.functional.mse_loss: input, target (broadcast) -> loss."""
    return MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """torch.nn.functional.l1_loss: input, target (broadcast) -> loss."""
    return L1Loss.apply(input, target, reduction=reduction)


def smooth_l1_loss(input: Any, target: Any, reduction: str = "mean", beta: float = 1.0) -> Any:
    """torch.nn.functional.smooth_l1_loss: input, target (broadcast) -> loss."""
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=beta)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Any:
    """torch.nn.functional.huber_loss: input, target (broadcast) -> loss."""
    return HuberLoss.apply(input, target, reduction=reduction, delta=delta)


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Any:
    """torch.nn.functional.binary_cross_entropy: probabilities, targets (broadcast) -> loss."""
    return BCELoss.apply(input, target, reduction=reduction, weight=weight)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Any:
    """torch.nn.functional.binary_cross_entropy_with_logits: scores, targets -> loss."""
    return BCEWithLogitsLoss.apply(input, target, reduction=reduction, weight=weight,
                                   pos_weight=pos_weight)


__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]

TENSOR_METHODS: dict = {}
