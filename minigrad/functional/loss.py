"""Softmax cross-entropy losses: temporal with a mask (captioning) and plain (classification)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import RangeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v


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


def masked_softmax_ce(x: Any, y: Any, mask: Any, normalize: str = "batch") -> Any:
    """(N, T, V), (N, T) int, (N, T) bool -> scalar loss."""
    return MaskedSoftmaxCE.apply(x, y, mask, normalize=normalize)


def softmax_ce(x: Any, y: Any) -> Any:
    """(N, C), (N,) int -> scalar mean loss."""
    return SoftmaxCE.apply(x, y)


__all__ = ["MaskedSoftmaxCE", "SoftmaxCE", "masked_softmax_ce", "softmax_ce"]

TENSOR_METHODS: dict = {}
