"""Tensor factories with torch's names: zeros, ones, full, eye, arange, linspace, rand, randn, ...

Float factories default to float32 (torch's default dtype); `arange` of integers gives int64
as torch does. Random factories draw from a numpy Generator (`rng=`, or a fresh default one),
so results are reproducible without global state. Sizes are given as `zeros(2, 3)` or
`zeros((2, 3))`. They are also Tensor static methods (`Tensor.zeros(2, 3)`, tinygrad style),
and the `*_like` factories are Tensor methods (`t.zeros_like()`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, DTypeRuntimeError, RangeError, ShapeError
from minigrad.tensor import Tensor

DEFAULT_FLOAT = np.float32
MAX_ELEMENTS = np.iinfo(np.intp).max // 16  # numpy's bound on bytes, for 16-byte items


def _size(fn: str, size: tuple) -> tuple[int, ...]:
    """(2, 3) from `(2, 3)` or `((2, 3),)`; negative sizes are a named ShapeError."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise ShapeError(f"{fn}: sizes must be ints, got {size!r}")
        if s < 0:
            raise ShapeError(f"{fn}: sizes must be >= 0, got {tuple(size)}")
        out.append(int(s))
    if math.prod(out) > MAX_ELEMENTS:
        raise ShapeError(f"{fn}: size {tuple(out)} holds {math.prod(out)} elements, more than "
                         f"any array can ({MAX_ELEMENTS})")
    return tuple(out)


def _dtype(fn: str, dtype: Any, default: Any = DEFAULT_FLOAT) -> np.dtype:
    dt = np.dtype(default if dtype is None else dtype)
    if dt.kind not in "biuf":
        raise DTypeError(f"{fn}: dtype must be bool, int or float, got {dt}")
    return dt


def _make(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad)


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got "
                        f"{type(rng).__name__}")
    return rng


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of `size` (float32 unless `dtype`)."""
    return _make(np.zeros(_size("zeros", size), _dtype("zeros", dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of `size` (float32 unless `dtype`)."""
    return _make(np.ones(_size("ones", size), _dtype("ones", dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of `size` (here: zeros, so nothing leaks from old memory)."""
    return _make(np.zeros(_size("empty", size), _dtype("empty", dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value` (dtype inferred like torch: bool, int64, or
    float32 for a Python float)."""
    shape = _size("full", (size,))
    fill = np.asarray(getattr(fill_value, "data", fill_value))
    if fill.shape != () or fill.dtype.kind not in "biuf":
        raise DTypeError(f"full: fill_value must be a number (bool, int or float), got "
                         f"{fill_value!r:.60}")
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else DEFAULT_FLOAT)
    return _make(np.full(shape, fill_value, _dtype("full", dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The (n, m) identity matrix (m defaults to n)."""
    n, m = _size("eye", (n, n if m is None else m))
    return _make(np.eye(n, m, dtype=_dtype("eye", dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from `start` (or 0) to `end` (excluded) by `step`; int64 when all are ints,
    else float32 (torch's rule)."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RangeError("arange: step must be non-zero, got 0")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                   for v in (start, end, step))
        dtype = np.int64 if ints else DEFAULT_FLOAT
    data = np.arange(start, end, step, dtype=np.float64 if np.dtype(dtype).kind == "f" else None)
    return _make(data.astype(_dtype("arange", dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` inclusive (float32 unless `dtype`)."""
    (steps,) = _size("linspace", (steps,))
    dt = _dtype("linspace", dtype)
    if dt.kind == "b":
        raise DTypeRuntimeError("linspace: dtype must be int or float, got bool")
    data = np.linspace(start, end, steps, dtype=np.float64)
    if dt.kind in "iu":
        data = np.trunc(data)  # torch truncates towards zero for integer dtypes
    return _make(data.astype(dt), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of `t`'s shape and dtype."""
    a = np.asarray(getattr(t, "data", t))
    return _make(np.zeros(a.shape, a.dtype if dtype is None else dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of `t`'s shape and dtype."""
    a = np.asarray(getattr(t, "data", t))
    return _make(np.ones(a.shape, a.dtype if dtype is None else dtype), requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` in `t`'s shape and dtype."""
    a = np.asarray(getattr(t, "data", t))
    return _make(np.full(a.shape, fill_value, a.dtype if dtype is None else dtype), requires_grad)


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Like `zeros_like` (nothing uninitialised is ever exposed)."""
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False,
         rng: np.random.Generator | None = None) -> Tensor:
    """Uniform [0, 1) samples of `size`."""
    shape = _size("rand", size)
    return _make(_rng(rng).random(shape).astype(_dtype("rand", dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False,
          rng: np.random.Generator | None = None) -> Tensor:
    """Standard normal samples of `size`."""
    shape = _size("randn", size)
    return _make(_rng(rng).standard_normal(shape).astype(_dtype("randn", dtype)), requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = np.int64,
            rng: np.random.Generator | None = None) -> Tensor:
    """Integers in [low, high) (or [0, low) when `high` is None) of `size`."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RangeError(f"randint: need low < high, got low {low} and high {high}")
    shape = _size("randint", (size,))
    return Tensor(_rng(rng).integers(low, high, size=shape).astype(_dtype("randint", dtype)))


def normal(mean: float = 0.0, std: float = 1.0, size: Any = (), dtype: Any = None,
           requires_grad: bool = False, rng: np.random.Generator | None = None) -> Tensor:
    """Normal(mean, std) samples of `size`."""
    if std < 0:
        raise RangeError(f"normal: std must be >= 0, got {std}")
    shape = _size("normal", (size,))
    data = mean + std * _rng(rng).standard_normal(shape)
    return _make(data.astype(_dtype("normal", dtype)), requires_grad)


def uniform(low: float = 0.0, high: float = 1.0, size: Any = (), dtype: Any = None,
            requires_grad: bool = False, rng: np.random.Generator | None = None) -> Tensor:
    """Uniform [low, high) samples of `size`."""
    shape = _size("uniform", (size,))
    data = _rng(rng).uniform(low, high, shape)
    return _make(data.astype(_dtype("uniform", dtype)), requires_grad)


def _fan_uniform(fn: str, size: tuple, bound: Any, dtype: Any, requires_grad: bool,
                 rng: np.random.Generator | None) -> Tensor:
    shape = _size(fn, size)
    data = _rng(rng).uniform(-1.0, 1.0, shape) * bound(shape)
    return _make(data.astype(_dtype(fn, dtype)), requires_grad)


def _fan_in(shape: tuple) -> int:
    return int(np.prod(shape[1:])) if len(shape) > 1 else 1


def scaled_uniform(*size: Any, dtype: Any = None, requires_grad: bool = False,
                   rng: np.random.Generator | None = None) -> Tensor:
    """Uniform [-1, 1) samples times numel^-1/2 (tinygrad's scaled_uniform)."""
    return _fan_uniform("scaled_uniform", size, lambda s: max(int(np.prod(s)), 1) ** -0.5,
                        dtype, requires_grad, rng)


def glorot_uniform(*size: Any, dtype: Any = None, requires_grad: bool = False,
                   rng: np.random.Generator | None = None) -> Tensor:
    """Uniform in +-sqrt(6 / (shape[0] + prod(shape[1:]))) (Glorot / Xavier uniform)."""
    return _fan_uniform("glorot_uniform", size,
                        lambda s: (6 / max(s[0] + _fan_in(s), 1)) ** 0.5 if s else 1.0,
                        dtype, requires_grad, rng)


def kaiming_uniform(*size: Any, a: float = 0.01, dtype: Any = None, requires_grad: bool = False,
                    rng: np.random.Generator | None = None) -> Tensor:
    """Uniform in +-sqrt(6 / ((1 + a^2) fan_in)), fan_in = prod(shape[1:]) (He uniform, as
    torch.nn.init.kaiming_uniform_ with leaky_relu slope a)."""
    return _fan_uniform("kaiming_uniform", size,
                        lambda s: (6 / ((1 + a * a) * max(_fan_in(s), 1))) ** 0.5,
                        dtype, requires_grad, rng)


def kaiming_normal(*size: Any, a: float = 0.01, dtype: Any = None, requires_grad: bool = False,
                   rng: np.random.Generator | None = None) -> Tensor:
    """Normal(0, sqrt(2 / ((1 + a^2) fan_in))), fan_in = prod(shape[1:]) (He normal)."""
    shape = _size("kaiming_normal", size)
    std = (2 / ((1 + a * a) * max(_fan_in(shape), 1))) ** 0.5
    data = _rng(rng).standard_normal(shape) * std
    return _make(data.astype(_dtype("kaiming_normal", dtype)), requires_grad)


__all__ = ["zeros", "ones", "empty", "full", "eye", "arange", "linspace", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand", "randn", "randint", "normal",
           "uniform", "scaled_uniform", "glorot_uniform", "kaiming_uniform", "kaiming_normal"]

TENSOR_STATICMETHODS = {
    "zeros": zeros, "ones": ones, "empty": empty, "full": full, "eye": eye, "arange": arange,
    "linspace": linspace, "rand": rand, "randn": randn, "randint": randint, "normal": normal,
    "uniform": uniform, "scaled_uniform": scaled_uniform, "glorot_uniform": glorot_uniform,
    "kaiming_uniform": kaiming_uniform, "kaiming_normal": kaiming_normal,
}
TENSOR_METHODS = {"zeros_like": zeros_like, "ones_like": ones_like, "full_like": full_like,
                  "empty_like": empty_like}


def _bind() -> None:
    """Tensor.zeros(...) etc. as static methods; t.zeros_like() etc. as methods."""
    for name, fn in TENSOR_STATICMETHODS.items():
        setattr(Tensor, name, staticmethod(fn))
    for name, fn in TENSOR_METHODS.items():
        setattr(Tensor, name, fn)


_bind()
