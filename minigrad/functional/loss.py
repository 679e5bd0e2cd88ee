"""Losses: softmax cross-entropy (torch's cross_entropy, the captioning MaskedSoftmaxCE, the plain
SoftmaxCE), NLL, and the elementwise regression / binary losses with torch's reductions.

Class scores are (N, C) or (N, C, d1, ...) as torch (classes on axis 1), or on any `axis`
(axis=-1 for (N, T, V) scores); targets are class indices of the other axes' shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.tensor import Tensor


def log_softmax_array(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax shifted by the max, so huge scores do not overflow; keeps x's dtype."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class MaskedSoftmaxCE(Function):
    """Softmax cross-entropy summed over unmasked tokens: x (N, T, V), y (N, T) int,
    mask (N, T) bool -> scalar.

    normalize='batch' divides by N (CS231n); 'tokens' divides by the number of unmasked
    tokens (torch ignore_index style). A batch with no unmasked token gives 0 and zero grads.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any, mask: Any, normalize: str = "batch") -> np.ndarray:
        fn = "MaskedSoftmaxCE"
        x = v.floating(fn, "x", x)
        v.ndim(fn, "x", x, 3, "(N, T, V)")
        v.nonempty(fn, "x", x)
        y = v.integer(fn, "y", y, high=x.shape[2])
        mask = v.boolean(fn, "mask", mask)
        v.shape(fn, "y", y, x.shape[:2], "(N, T)")
        v.shape(fn, "mask", mask, x.shape[:2], "(N, T)")
        if normalize not in ("batch", "tokens"):
            raise RangeError(f"{fn}: normalize must be 'batch' or 'tokens', got {normalize!r}")
        N, T, V = x.shape
        probs = x - x.max(axis=2, keepdims=True)  # (N, T, V) shifted scores, then probabilities
        picked = np.take_along_axis(probs, y[:, :, None], axis=2)[:, :, 0]  # (N, T)
        np.exp(probs, out=probs)
        total = probs.sum(axis=2, keepdims=True)  # (N, T, 1)
        probs /= total
        logp = picked - np.log(total[:, :, 0])  # log-probability of each target, (N, T)
        denom = N if normalize == "batch" else max(int(mask.sum()), 1)
        loss = -(logp * mask).sum() / denom
        ctx.save_for_backward(probs, y, mask)
        ctx.denom = denom
        return np.asarray(loss, dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        probs, y, mask = ctx.saved_tensors
        dx = probs if ctx.saved_consumable else probs.copy()  # (N, T, V)
        np.put_along_axis(dx, y[:, :, None], np.take_along_axis(dx, y[:, :, None], axis=2) - 1,
                          axis=2)
        dx *= (mask * (dout / ctx.denom))[:, :, None].astype(dx.dtype)
        return dx, None, None


class SoftmaxCE(Function):
    """Mean softmax cross-entropy over a batch: x (N, C) scores, y (N,) int -> scalar."""

    @staticmethod
    def forward(ctx: Context, x: Any, y: Any) -> np.ndarray:
        x = v.floating("SoftmaxCE", "x", x)
        v.ndim("SoftmaxCE", "x", x, 2, "(N, C)")
        v.nonempty("SoftmaxCE", "x", x)
        y = v.integer("SoftmaxCE", "y", y, high=x.shape[1])
        v.shape("SoftmaxCE", "y", y, x.shape[:1], "(N,)")
        logp = log_softmax_array(x, axis=1)  # (N, C)
        ctx.save_for_backward(logp, y)
        return np.asarray(-logp[np.arange(len(y)), y].mean(), dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        logp, y = ctx.saved_tensors
        dx = np.exp(logp)  # (N, C)
        dx[np.arange(len(y)), y] -= 1
        dx *= dout / len(y)
        return dx, None


# ----- torch's classification losses: cross_entropy and nll_loss ------------------------------
def _reduction(fn: str, reduction: Any) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise RangeError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _const(fn: str, name: str, a: Any, dtype: np.dtype) -> np.ndarray | None:
    """A constant float array (class weights, pos_weight) in the input's dtype, or None."""
    if a is None:
        return None
    a = np.asarray(v.floating(fn, name, np.asarray(a.data if isinstance(a, Tensor) else a)))
    return a.astype(dtype, copy=False)


def _classes(fn: str, input: Any, target: Any, axis: Any, weight: Any, ignore_index: int,
             reduction: str) -> tuple:
    """Validated (scores with classes last, target (classes last if float), weight, axis)."""
    _reduction(fn, reduction)
    x = np.asarray(v.floating(fn, "input", input))
    if x.ndim == 0:
        raise ShapeError(f"{fn}: input must be (C,), (N, C) or (N, C, d1, ...), got shape ()")
    axis = (1 if x.ndim >= 2 else 0) if axis is None else axis
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise ShapeError(f"{fn}: axis {axis} is out of range for input of shape {x.shape}")
    axis = int(axis) % x.ndim
    v.nonempty(fn, "input", x)
    xm = np.moveaxis(x, axis, -1)  # (..., C)
    C = xm.shape[-1]
    w = _const(fn, "weight", weight, x.dtype)
    if w is not None:
        v.shape(fn, "weight", w, (C,), "(C,)")
    t = np.asarray(v.as_array(fn, "target", target))
    if t.dtype.kind == "f":
        _target_shape(fn, t, x.shape, "(class probabilities) of input")
        v.same_dtype(fn, ("input", "target"), x, t)
        return xm, np.moveaxis(t, axis, -1), w, axis
    t = v.integer(fn, "target", t)
    _target_shape(fn, t, xm.shape[:-1], "of input without the class axis")
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        raise RangeError(f"{fn}: target values must be in [0, {C}) or ignore_index "
                         f"{ignore_index}, got {t[bad].min()} .. {t[bad].max()} outside")
    return xm, t, w, axis


def _target_shape(fn: str, t: np.ndarray, expected: tuple, letters: str) -> None:
    """Require `t.shape == expected`: a batch-size mismatch is a ShapeError (torch's
    ValueError), any other a ShapeRuntimeError (torch's RuntimeError)."""
    if t.shape == tuple(expected):
        return
    batch = t.ndim and len(expected) and t.ndim == len(expected) and t.shape[0] != expected[0]
    error = ShapeError if batch else ShapeRuntimeError
    raise error(f"{fn}: target must have shape {letters} = {tuple(expected)}, got {t.shape}")


def _pick(t: np.ndarray, ignore_index: int, w: np.ndarray | None, dtype: np.dtype) -> tuple:
    """(safe target ids, kept mask as 0/1 floats, class weight of each target)."""
    keep = (t != ignore_index).astype(dtype)
    tc = np.where(keep != 0, t, 0)
    wy = np.ones(t.shape, dtype) if w is None else w[tc]
    return tc, keep, wy


def _reduce(loss: np.ndarray, reduction: str, denom: float, dtype: np.dtype) -> np.ndarray:
    if reduction == "none":
        return np.asarray(loss, dtype=dtype)
    total = loss.sum()
    if reduction == "mean":
        total = total / denom if denom else total * 0
    return np.asarray(total, dtype=dtype)


def _upstream(ctx: Context, dout: np.ndarray, shape: tuple) -> np.ndarray:
    """The upstream gradient of each element of the unreduced loss (read-only, `shape`)."""
    if ctx.reduction == "mean":
        dout = dout / ctx.denom if ctx.denom else dout * 0
    return np.broadcast_to(np.asarray(dout, dtype=ctx.dtype), shape)


def _store(ctx: Context, dtype: np.dtype, reduction: str, denom: float, **extra: Any) -> None:
    ctx.dtype, ctx.reduction, ctx.denom = dtype, reduction, denom
    ctx.__dict__.update(extra)


class CrossEntropy(Function):
    """torch's cross_entropy: scores input (N, C, d1, ...) (classes on `axis`, default 1) and
    class ids (N, d1, ...) or class probabilities (input's shape) -> scalar, or (N, d1, ...)
    with reduction='none'.

    'mean' divides by the summed class weight of the non-ignored targets (torch); when every
    target is ignored the loss is 0 with zero gradients (torch gives NaN).
    """

    @staticmethod
    def forward(ctx: Context, input: Any, target: Any, *, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0,
                axis: Any = None) -> np.ndarray:
        fn = "CrossEntropy"
        xm, t, w, axis = _classes(fn, input, target, axis, weight, ignore_index, reduction)
        ls, C = label_smoothing, xm.shape[-1]
        if not isinstance(ls, (int, float, np.floating)) or not 0 <= ls <= 1:
            raise RangeError(f"{fn}: label_smoothing must be in [0, 1], got {ls!r}")
        logp = log_softmax_array(xm, axis=-1)  # (..., C)
        wc = 1 if w is None else w
        if t.dtype.kind == "f":
            ts = t * (1 - ls) + ls / C if ls else t
            loss = -(logp * ts * wc).sum(axis=-1)  # (...)
            denom = loss.size
            ctx.save_for_backward(logp, ts)
        else:
            tc, keep, wy = _pick(t, ignore_index, w, xm.dtype)
            loss = -np.take_along_axis(logp, tc[..., None], axis=-1)[..., 0] * (wy * keep)
            if ls:
                loss *= 1 - ls
                loss -= (ls / C) * (logp * wc).sum(axis=-1) * keep
            denom = float((wy * keep).sum())
            ctx.save_for_backward(logp, tc, keep, wy)
        _store(ctx, xm.dtype, reduction, denom, w=w, ls=ls, axis=axis)
        return _reduce(loss, reduction, denom, xm.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        saved = ctx.saved_tensors
        logp, ls, C = saved[0], ctx.ls, saved[0].shape[-1]
        g = _upstream(ctx, dout, logp.shape[:-1])[..., None]  # (..., 1)
        wc = 1 if ctx.w is None else ctx.w
        dx = np.exp(logp)  # (..., C) probabilities, then the gradient
        if len(saved) == 2:  # class probabilities
            tw = saved[1] * wc
            dx *= tw.sum(axis=-1, keepdims=True)
            dx -= tw
            dx *= g
            dt = -(1 - ls) * wc * logp * g if ctx.needs_input_grad[1] else None
            return (np.moveaxis(dx, -1, ctx.axis),
                    None if dt is None else np.moveaxis(dt, -1, ctx.axis))
        tc, keep, wy = saved[1:]
        gk = g * keep[..., None]
        W = C if ctx.w is None else ctx.w.sum()
        dx *= gk * ((1 - ls) * wy[..., None] + (ls / C) * W)
        idx = tc[..., None]
        np.put_along_axis(dx, idx, np.take_along_axis(dx, idx, axis=-1)
                          - gk * (1 - ls) * wy[..., None], axis=-1)
        if ls:
            dx -= gk * (ls / C) * wc
        return np.moveaxis(dx, -1, ctx.axis), None


class NLLLoss(Function):
    """torch's nll_loss: log-probabilities input (N, C, d1, ...) (classes on `axis`), class ids
    (N, d1, ...) -> scalar, or (N, d1, ...) with reduction='none'; 'mean' as CrossEntropy."""

    @staticmethod
    def forward(ctx: Context, input: Any, target: Any, *, weight: Any = None,
                ignore_index: int = -100, reduction: str = "mean",
                axis: Any = None) -> np.ndarray:
        fn = "NLLLoss"
        xm, t, w, axis = _classes(fn, input, target, axis, weight, ignore_index, reduction)
        if t.dtype.kind == "f":
            raise DTypeError(f"{fn}: target must be an integer array of class ids, got dtype "
                             f"{t.dtype}")
        tc, keep, wy = _pick(t, ignore_index, w, xm.dtype)
        wk = wy * keep
        loss = -np.take_along_axis(xm, tc[..., None], axis=-1)[..., 0] * wk
        denom = float(wk.sum())
        ctx.save_for_backward(tc, wk)
        _store(ctx, xm.dtype, reduction, denom, axis=axis, shape=xm.shape)
        return _reduce(loss, reduction, denom, xm.dtype)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        tc, wk = ctx.saved_tensors
        dx = np.zeros(ctx.shape, dtype=ctx.dtype)  # (..., C)
        g = _upstream(ctx, dout, tc.shape)
        np.put_along_axis(dx, tc[..., None], (-g * wk)[..., None], axis=-1)
        return np.moveaxis(dx, -1, ctx.axis), None


# ----- elementwise losses: input and target broadcast, both differentiable ---------------------
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
        consts = cls.check(fn, x, t, shape, **consts)
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
    if w is not None:
        try:
            ok = np.broadcast_shapes(w.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ShapeError(f"{fn}: {name} must broadcast to the loss shape {shape}, got "
                             f"{w.shape}")
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


def masked_softmax_ce(x: Any, y: Any, mask: Any, normalize: str = "batch") -> Any:
    """(N, T, V), (N, T) int, (N, T) bool -> scalar loss."""
    return MaskedSoftmaxCE.apply(x, y, mask, normalize=normalize)


def softmax_ce(x: Any, y: Any) -> Any:
    """(N, C), (N,) int -> scalar mean loss."""
    return SoftmaxCE.apply(x, y)




def cross_entropy(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0, axis: Any = None,
                  dim: Any = None) -> Any:
    """torch.nn.functional.cross_entropy: scores (N, C, d1, ...) (classes on `axis`/`dim`,
    default 1), ids (N, d1, ...) or probabilities -> loss."""
    axis = v.alias("CrossEntropy", "axis", axis, "dim", dim)
    return CrossEntropy.apply(input, target, weight=weight, ignore_index=ignore_index,
                              reduction=reduction, label_smoothing=label_smoothing, axis=axis)


def nll_loss(input: Any, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean", axis: Any = None, dim: Any = None) -> Any:
    """torch.nn.functional.nll_loss: log-probabilities (N, C, d1, ...), ids (N, d1, ...)."""
    axis = v.alias("NLLLoss", "axis", axis, "dim", dim)
    return NLLLoss.apply(input, target, weight=weight, ignore_index=ignore_index,
                         reduction=reduction, axis=axis)


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


__all__ = ["MaskedSoftmaxCE", "SoftmaxCE", "masked_softmax_ce", "softmax_ce",
           "CrossEntropy", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
           "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]

TENSOR_METHODS: dict = {}
