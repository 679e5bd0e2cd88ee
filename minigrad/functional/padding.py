"""Padding maps shared by Pad: each padded position's source index per mode (numpy's rules,
any width), and torch's extra limits for F.pad."""
from __future__ import annotations

import numpy as np

from minigrad.errors import ShapeRuntimeError, UnsupportedError

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "edge": "edge",
              "circular": "wrap", "wrap": "wrap", "symmetric": "symmetric"}


def _pad_source(mode: str, n: int, before: int, after: int) -> np.ndarray:
    """For each padded position along one axis, the input position it copies."""
    j = np.arange(-before, n + after)
    if mode == "edge":
        return np.clip(j, 0, n - 1)
    if mode == "wrap":
        return np.mod(j, n)
    if mode == "symmetric":
        m = np.mod(j, 2 * n)
        return np.where(m >= n, 2 * n - 1 - m, m)
    if n == 1:  # reflect of a single element repeats it (numpy)
        return np.zeros_like(j)
    m = np.mod(j, 2 * (n - 1))
    return np.where(m >= n, 2 * (n - 1) - m, m)


def torch_pad_limits(pad: tuple, mode: str, shape: tuple) -> None:
    """torch F.pad's limits, which numpy's pad does not have: reflect pads must be smaller than
    the padded side, circular ones at most as large and not negative."""
    if mode not in ("reflect", "circular") or len(pad) % 2 or len(pad) // 2 > len(shape):
        return
    for k in range(len(pad) // 2):
        n, sides = shape[len(shape) - 1 - k], pad[2 * k:2 * k + 2]
        if mode == "circular" and min(sides) < 0:
            raise UnsupportedError(f"pad: circular padding takes no negative pads, got {pad}")
        if max(sides) > n or (mode == "reflect" and max(sides) == n):
            limit = "<" if mode == "reflect" else "<="
            raise ShapeRuntimeError(f"pad: {mode} pads must be {limit} the padded side, got "
                                    f"{pad} for x of shape {shape}")
