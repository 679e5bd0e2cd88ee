"""Normalisation: layer norm, batch norm (training and running statistics) and group norm.

Shapes: LayerNorm normalises the trailing `normalized_shape` axes of x (..., *S); BatchNorm
and GroupNorm take x (N, C) or (N, C, *spatial) with per-channel weight and bias (C,).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.tensor import Tensor


def _affine(fn: str, x: np.ndarray, weight: Any, bias: Any, shape: tuple,
            letters: str) -> tuple:
    """weight and bias (or None) as float arrays of `shape` with x's dtype."""
    out = []
    for name, a in (("weight", weight), ("bias", bias)):
        if a is not None:
            a = np.asarray(v.floating(fn, name, a))
            v.shape(fn, name, a, shape, letters)
            v.same_dtype(fn, ("x", name), x, a)
        out.append(a)
    return tuple(out)


def _eps(fn: str, eps: Any) -> float:
    if not isinstance(eps, (int, float, np.floating)) or not eps >= 0:
        raise RangeError(f"{fn}: eps must be a number >= 0, got {eps!r}")
    return float(eps)


def standardize(x: np.ndarray, axes: tuple, eps: float) -> tuple:
    """(xhat, inv_std, mean, biased var) of x over `axes` (kept as size-1 axes)."""
    mean = x.mean(axis=axes, keepdims=True)
    xc = x - mean
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    xc *= inv
    return xc, inv, mean, var


def standardize_backward(dxhat: np.ndarray, xhat: np.ndarray, inv: np.ndarray,
                         axes: tuple) -> np.ndarray:
    """dx from d(xhat) when the mean and variance over `axes` depend on x."""
    dx = dxhat - dxhat.mean(axis=axes, keepdims=True)
    dx -= xhat * np.mean(dxhat * xhat, axis=axes, keepdims=True)
    dx *= inv
    return dx


def _scale_shift(xhat: np.ndarray, w: Any, b: Any, view: tuple) -> np.ndarray:
    out = xhat * w.reshape(view) if w is not None else xhat.copy()
    if b is not None:
        out += b.reshape(view)
    return out


def _param_grads(ctx: Context, dout: np.ndarray, xhat: np.ndarray, axes: tuple,
                 shape: tuple) -> tuple:
    """(dweight, dbias) summed over the non-parameter `axes`, or None where not needed."""
    dw = (dout * xhat).sum(axis=axes).reshape(shape) if ctx.needs_input_grad[1] else None
    db = dout.sum(axis=axes).reshape(shape) if ctx.needs_input_grad[2] else None
    return dw, db


class LayerNorm(Function):
    """Normalise each sample over its trailing axes, then scale and shift:
    x (..., *S), weight (S) or None, bias (S) or None -> (..., *S)."""

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any = None, bias: Any = None, *,
                normalized_shape: Any = None, eps: float = 1e-5) -> np.ndarray:
        fn = "LayerNorm"
        x = np.asarray(v.floating(fn, "x", x))
        if normalized_shape is None:
            if weight is None:
                raise ShapeError(f"{fn}: normalized_shape must be given when weight is None, "
                                 "got None")
            normalized_shape = np.shape(weight)
        S = (int(normalized_shape),) if np.isscalar(normalized_shape) else \
            tuple(int(s) for s in normalized_shape)
        if not S or x.ndim < len(S) or x.shape[x.ndim - len(S):] != S:
            raise ShapeError(f"{fn}: x.shape[-{len(S)}:] must equal normalized_shape {S}, "
                             f"got x {x.shape}")
        w, b = _affine(fn, x, weight, bias, S, "normalized_shape")
        axes = tuple(range(x.ndim - len(S), x.ndim))
        xhat, inv, _, _ = standardize(x, axes, _eps(fn, eps))
        ctx.save_for_backward(xhat, inv, w)
        ctx.S = S
        return _scale_shift(xhat, w, b, S)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xhat, inv, w = ctx.saved_tensors
        norm_axes = tuple(range(xhat.ndim - len(ctx.S), xhat.ndim))
        dx = None
        if ctx.needs_input_grad[0]:
            dx = standardize_backward(dout * w if w is not None else dout, xhat, inv, norm_axes)
        lead = tuple(range(xhat.ndim - len(ctx.S)))
        return (dx, *_param_grads(ctx, dout, xhat, lead, ctx.S))


def _running(fn: str, name: str, a: Any, x: np.ndarray, C: int) -> np.ndarray:
    a = a.data if isinstance(a, Tensor) else a
    if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
        raise DTypeError(f"{fn}: {name} must be a float array of shape (C,) = ({C},), got "
                         f"{getattr(a, 'dtype', type(a).__name__)}")
    v.shape(fn, name, a, (C,), "(C,)")
    return a


def _channels_input(fn: str, x: Any) -> np.ndarray:
    """x as a float array of at least 2-D, (N, C, *spatial)."""
    x = np.asarray(v.floating(fn, "x", x))
    if x.ndim < 2:
        raise ShapeError(f"{fn}: x must be at least 2-D (N, C, *spatial), got shape {x.shape}")
    return x


class BatchNorm(Function):
    """Per-channel normalisation with batch statistics (training) or running ones (eval):
    x (N, C, *spatial), weight (C,) or None, bias (C,) or None -> x's shape.

    In training, running_mean / running_var (C,) if given are updated in place as torch does
    (the variance with the unbiased batch variance); in eval they normalise x.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any = None, bias: Any = None, *,
                running_mean: Any = None, running_var: Any = None, training: bool = True,
                momentum: float = 0.1, eps: float = 1e-5) -> np.ndarray:
        fn = "BatchNorm"
        x = _channels_input(fn, x)
        C = x.shape[1]
        w, b = _affine(fn, x, weight, bias, (C,), "(C,)")
        eps = _eps(fn, eps)
        axes = (0, *range(2, x.ndim))
        view = (1, C) + (1,) * (x.ndim - 2)
        stats = [None if a is None else _running(fn, n, a, x, C)
                 for n, a in (("running_mean", running_mean), ("running_var", running_var))]
        M = x.size // C if C else 0
        if training:
            if M <= 1:
                raise ShapeError(f"{fn}: expected more than 1 value per channel when training, "
                                 f"got x {x.shape}")
            if not 0 <= momentum <= 1:
                raise RangeError(f"{fn}: momentum must be in [0, 1], got {momentum!r}")
            xhat, inv, mean, var = standardize(x, axes, eps)
            rm, rv = stats
            if rm is not None:
                rm *= 1 - momentum
                rm += (momentum * mean.reshape(C)).astype(rm.dtype)
            if rv is not None:
                rv *= 1 - momentum
                rv += (momentum * M / (M - 1) * var.reshape(C)).astype(rv.dtype)
            for a in (running_mean, running_var):
                if isinstance(a, Tensor):
                    a._version += 1
        else:
            if stats[0] is None or stats[1] is None:
                raise ShapeError(f"{fn}: running_mean and running_var (C,) = ({C},) are "
                                 "required when training=False, got None")
            inv = (1 / np.sqrt(stats[1] + eps)).astype(x.dtype).reshape(view)
            xhat = (x - stats[0].astype(x.dtype).reshape(view)) * inv
        ctx.save_for_backward(xhat, inv, w)
        ctx.training, ctx.axes, ctx.view = training, axes, view
        return _scale_shift(xhat, w, b, view)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xhat, inv, w = ctx.saved_tensors
        dx = None
        if ctx.needs_input_grad[0]:
            dxhat = dout * w.reshape(ctx.view) if w is not None else dout
            dx = (standardize_backward(dxhat, xhat, inv, ctx.axes) if ctx.training
                  else dxhat * inv)
        return (dx, *_param_grads(ctx, dout, xhat, ctx.axes, (xhat.shape[1],)))


class GroupNorm(Function):
    """Normalise each sample over groups of channels, then scale and shift per channel:
    x (N, C, *spatial), weight (C,) or None, bias (C,) or None, C divisible by num_groups."""

    @staticmethod
    def forward(ctx: Context, x: Any, weight: Any = None, bias: Any = None, *,
                num_groups: int = 1, eps: float = 1e-5) -> np.ndarray:
        fn = "GroupNorm"
        x = _channels_input(fn, x)
        N, C = x.shape[:2]
        G = num_groups
        if not isinstance(G, (int, np.integer)) or G <= 0 or C % G:
            raise ShapeError(f"{fn}: num_groups must be a positive divisor of C = {C}, "
                             f"got {G!r}")
        w, b = _affine(fn, x, weight, bias, (C,), "(C,)")
        xg = x.reshape(N, G, -1)  # (N, G, C/G * spatial)
        xhat, inv, _, _ = standardize(xg, (2,), _eps(fn, eps))
        xhat = xhat.reshape(x.shape)
        view = (1, C) + (1,) * (x.ndim - 2)
        ctx.save_for_backward(xhat, inv, w)
        ctx.G, ctx.view = G, view
        return _scale_shift(xhat, w, b, view)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xhat, inv, w = ctx.saved_tensors
        N, C = xhat.shape[:2]
        dx = None
        if ctx.needs_input_grad[0]:
            dxhat = dout * w.reshape(ctx.view) if w is not None else dout
            dx = standardize_backward(dxhat.reshape(N, ctx.G, -1), xhat.reshape(N, ctx.G, -1),
                                      inv, (2,)).reshape(xhat.shape)
        return (dx, *_param_grads(ctx, dout, xhat, (0, *range(2, xhat.ndim)), (C,)))


def layer_norm(x: Any, normalized_shape: Any, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """torch.nn.functional.layer_norm: x (..., *S) -> (..., *S)."""
    return LayerNorm.apply(x, weight, bias, normalized_shape=normalized_shape, eps=eps)


def batch_norm(x: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Any:
    """torch.nn.functional.batch_norm: x (N, C, *spatial) -> same shape; in training the
    running statistics (if not None) are updated in place."""
    return BatchNorm.apply(x, weight, bias, running_mean=running_mean, running_var=running_var,
                           training=bool(training), momentum=momentum, eps=eps)


def group_norm(x: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """torch.nn.functional.group_norm: x (N, C, *spatial) -> same shape."""
    return GroupNorm.apply(x, weight, bias, num_groups=num_groups, eps=eps)


def instance_norm(x: Any, running_mean: Any = None, running_var: Any = None,
                  weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """torch.nn.functional.instance_norm: each (sample, channel) of x (N, C, *spatial)
    normalised over its spatial axes -> same shape.

    With use_input_stats, running statistics (C,) if given are updated in place as torch does
    (the mean over the batch of each instance's mean and unbiased variance); without, they
    normalise x as BatchNorm's eval does.
    """
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    if len(shape) < 3 or math.prod(shape[2:]) <= 1:
        raise ShapeError(f"GroupNorm: instance_norm expected x (N, C, *spatial) with more than "
                         f"one spatial value per channel, got shape {shape}")
    out = GroupNorm.apply(x, weight, bias, num_groups=shape[1], eps=eps)
    if running_mean is not None or running_var is not None:
        xr = np.asarray(x.data if isinstance(x, Tensor) else x).reshape(shape[0], shape[1], -1)
        for a, stat in ((running_mean, lambda: xr.mean(axis=2)),
                        (running_var, lambda: xr.var(axis=2, ddof=1))):
            if a is not None:
                arr = _running("GroupNorm", "running statistics", a, xr, shape[1])
                arr *= 1 - momentum
                arr += (momentum * stat().mean(axis=0)).astype(arr.dtype)
                if isinstance(a, Tensor):
                    a._version += 1
    return out


__all__ = ["LayerNorm", "BatchNorm", "GroupNorm", "layer_norm", "batch_norm", "group_norm",
           "instance_norm"]

TENSOR_METHODS: dict = {}
