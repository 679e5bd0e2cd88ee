"""Weight initialisers; each takes an explicit numpy Generator and returns an array of `dtype`.

Weights here use minigrad's (in, out) layout: a 2-D weight (D, H) has fan_in D and fan_out H,
a conv weight (F, C, kh, kw) has fan_in C·kh·kw and fan_out F·kh·kw. Values are drawn in
float64 and then cast, so one seed gives the same weights in float32 and float64 up to rounding.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, ShapeError


def _check(fn: str, shape: Any, rng: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise DTypeError(f"{fn}: dtype must be float32 or float64, got {dt}")
    shp = (int(shape),) if np.isscalar(shape) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shp):
        raise ShapeError(f"{fn}: shape must have non-negative sizes, got {shp}")
    return shp, dt


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (D, H) -> (D, H); (F, C, kh, kw) -> (C·kh·kw, F·kh·kw)."""
    if len(shape) < 2:
        raise ShapeError(f"fans: weight must be at least 2-D, got shape {tuple(shape)}")
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def normal(shape: Any, rng: np.random.Generator, std: float = 1.0,
           dtype: Any = np.float32) -> np.ndarray:
    """std · randn(*shape) as `dtype` (CS231n's `randn(V, W) / 100` is std=0.01)."""
    shp, dt = _check("normal", shape, rng, dtype)
    return (std * rng.standard_normal(shp)).astype(dt)


def scaled_normal(shape: Any, rng: np.random.Generator, dtype: Any = np.float32) -> np.ndarray:
    """CS231n init `randn(D, H) / sqrt(D)` (divides by the fan_in) as `dtype`."""
    shp, dt = _check("scaled_normal", shape, rng, dtype)
    fan_in = fans(shp)[0] if len(shp) >= 2 else shp[0]
    return (rng.standard_normal(shp) / math.sqrt(max(fan_in, 1))).astype(dt)


def uniform(shape: Any, rng: np.random.Generator, bound: float,
            dtype: Any = np.float32) -> np.ndarray:
    """U(-bound, bound) samples as `dtype`."""
    shp, dt = _check("uniform", shape, rng, dtype)
    return rng.uniform(-bound, bound, shp).astype(dt)


def xavier_uniform(shape: Any, rng: np.random.Generator, gain: float = 1.0,
                   dtype: Any = np.float32) -> np.ndarray:
    """Glorot uniform: U(±gain·sqrt(6 / (fan_in + fan_out))) as `dtype`."""
    shp, dt = _check("xavier_uniform", shape, rng, dtype)
    fan_in, fan_out = fans(shp)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return rng.uniform(-bound, bound, shp).astype(dt)


def kaiming_uniform(shape: Any, rng: np.random.Generator, gain: float = math.sqrt(2.0),
                    dtype: Any = np.float32) -> np.ndarray:
    """He uniform: U(±gain·sqrt(3 / fan_in)) as `dtype`; gain sqrt(2) suits ReLU."""
    shp, dt = _check("kaiming_uniform", shape, rng, dtype)
    bound = gain * math.sqrt(3.0 / max(fans(shp)[0], 1))
    return rng.uniform(-bound, bound, shp).astype(dt)


def zeros(shape: Any, dtype: Any = np.float32) -> np.ndarray:
    """An all-zero array of `dtype` (biases)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise DTypeError(f"zeros: dtype must be float32 or float64, got {dt}")
    return np.zeros(shape, dtype=dt)
