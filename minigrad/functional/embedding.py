"""Word embedding lookup with a sort-and-segment-sum backward (repeated ids accumulate)."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional import validate as v


def scatter_rows(idx: np.ndarray, rows: np.ndarray, V: int) -> np.ndarray:
    """dW (V, W) with dW[k] = sum of rows[j] where idx[j] == k; idx (M,), rows (M, W).

    Sorts the ids once and sums each run with `np.add.reduceat`: same result as
    `np.add.at(dW, idx, rows)`, several times faster.
    """
    dW = np.zeros((V, rows.shape[1]), dtype=rows.dtype)  # (V, W)
    if idx.size == 0:
        return dW
    order = np.argsort(idx, kind="stable")
    sorted_idx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    dW[sorted_idx[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return dW


class Embedding(Function):
    """W[idx]: idx (N, T) int in [0, V), W (V, W) float -> (N, T, W); any idx shape works."""

    @staticmethod
    def forward(ctx: Context, idx: Any, W: Any) -> np.ndarray:
        W = v.floating("Embedding", "W", W)
        v.ndim("Embedding", "W", W, 2, "(V, W)")
        idx = v.integer("Embedding", "idx", idx, high=W.shape[0])
        ctx.save_for_backward(v.kept(ctx, idx))  # an edit of idx after forward: no effect/refused
        ctx.V = W.shape[0]
        if idx.ndim == 2:  # laid out time-major in memory, so that sequence Functions read
            return W[idx.T].transpose(1, 0, 2)  # each step contiguously: a (N, T, W) view
        return W[idx]  # (*idx.shape, W)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        if not ctx.needs_input_grad[1]:
            return None, None
        (idx,) = ctx.saved_tensors
        if idx.ndim == 2 and dout.transpose(1, 0, 2).flags.c_contiguous:
            idx, dout = idx.T, dout.transpose(1, 0, 2)  # walk dout in its memory order
        rows = dout.reshape(-1, dout.shape[-1])  # (N*T, W)
        return None, scatter_rows(idx.ravel(), rows, ctx.V)


def embedding(idx: Any, W: Any) -> Any:
    """(N, T) int, (V, W) -> (N, T, W)."""
    return Embedding.apply(idx, W)


__all__ = ["Embedding", "embedding"]

TENSOR_METHODS: dict = {}
