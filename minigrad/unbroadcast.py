"""Summing a gradient back to the shape of a broadcast input (shared by the engine and ops)."""
from __future__ import annotations

import numpy as np


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `g` over the axes that broadcasting added to or stretched in `shape`.

    Backwards of broadcasting Functions return `unbroadcast(dout * ..., x.shape)` so that
    each gradient has exactly its input's shape (gradcheck insists on it).
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, (gs, s) in enumerate(zip(g.shape, shape, strict=True))
                 if s == 1 and gs != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def unbroadcast_or_none(g: np.ndarray, shape: tuple) -> np.ndarray | None:
    """`unbroadcast(g, shape)` when an array of `shape` broadcasts to g's shape, else None."""
    shape = tuple(shape)
    if len(shape) > g.ndim or any(s != gs and s != 1 for s, gs in
                                  zip(shape, g.shape[g.ndim - len(shape):], strict=True)):
        return None
    return unbroadcast(g, shape)
