"""Resampling as torch's F.interpolate: 'nearest', 'nearest-exact', 'linear', 'bilinear' and
'trilinear' on (N, C, *spatial) inputs with 1, 2 or 3 spatial axes.

Each spatial axis is resampled on its own (the modes are separable): output position o reads
input position src(o) = o · scale (nearest, align_corners), (o + 0.5) · scale (nearest-exact)
or (o + 0.5) · scale - 0.5 clamped at 0 (linear), where scale = in / out, or 1 / scale_factor
when a scale_factor is given (unless recompute_scale_factor=True), or (in - 1) / (out - 1) with
align_corners=True. The nearest modes index in float32 as torch's CPU kernels do, so both pick
the same pixels; linear modes blend the two neighbours floor(src) and floor(src) + 1 (clamped)
with weights computed in x's dtype. Forward gathers, backward scatter-adds (bincount), so an
inf only reaches the outputs that read it. Integer inputs work with the nearest modes and uint8
images with 'bilinear' (forward only), the latter in torch's int16 fixed-point arithmetic.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError, ShapeRuntimeError, UnsupportedError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.window import _is_int

_FN = "Interpolate"
_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", *_LINEAR)


def _per_axis(name: str, value: Any, nd: int, check: Any, x: np.ndarray) -> tuple:
    """`value` (one number, or one per spatial axis) as an nd-tuple whose items pass `check`."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(items) != nd:
        raise ShapeError(f"{_FN}: {name} must have one entry per spatial axis of x "
                         f"{x.shape} ({nd}), got {value!r}")
    if not all(check(a) for a in items):
        raise RangeError(f"{_FN}: {name} must hold positive numbers, got {value!r}")
    return items


def _sizes(x: np.ndarray, nd: int, size: Any, scale_factor: Any,
           recompute: Any) -> tuple[tuple, tuple]:
    """(output sizes, the scale factors the source index uses: a number or None per axis)."""
    if (size is None) == (scale_factor is None):
        raise RangeError(f"{_FN}: give exactly one of size or scale_factor (as torch), got size="
                         f"{size!r} and scale_factor={scale_factor!r}")
    if size is not None:
        out = _per_axis("size", size, nd, lambda a: _is_int(a) and a >= 0, x)
        scales = (None,) * nd
    else:
        scales = _per_axis("scale_factor", scale_factor, nd,
                           lambda a: isinstance(a, (int, float, np.number))
                           and not isinstance(a, bool) and a > 0, x)
        out = tuple(math.floor(n * float(f)) for n, f in zip(x.shape[2:], scales, strict=True))
        if recompute:
            scales = (None,) * nd
    if min(out) < 1:
        raise ShapeRuntimeError(f"{_FN}: output sizes must be > 0 (as torch), got {out} for x "
                                f"{x.shape}")
    return tuple(int(o) for o in out), tuple(None if f is None else float(f) for f in scales)


def _nearest(n: int, o: int, factor: float | None, exact: bool, nd: int) -> np.ndarray:
    """(o,) source index of each output position, in float32 arithmetic as torch's CPU kernel
    (whose 2-D 'nearest' copies when o = n and halves the index when o = 2 n)."""
    if not exact and nd == 2 and o in (n, 2 * n):
        return np.arange(o) // (o // n)
    scale = np.float32(1.0 / factor) if factor else np.float32(n) / np.float32(o)
    pos = np.arange(o, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(pos * scale).astype(np.int64), n - 1)


def _linear(n: int, o: int, factor: float | None, align: bool, dtype: np.dtype) -> list:
    """[(idx0, w0), (idx1, w1)]: the two input neighbours of each output position and their
    weights (in `dtype`), as torch's area_pixel_compute_source_index; o = n copies."""
    if o == n:
        return [(np.arange(o), None)]
    dst = np.arange(o, dtype=dtype)
    if align:
        scale = dtype.type((n - 1) / (o - 1)) if o > 1 else dtype.type(0)
        src = dst * scale
    else:
        scale = dtype.type(1.0 / factor) if factor else dtype.type(n) / dtype.type(o)
        src = (float(scale) * (np.arange(o) + 0.5) - 0.5).astype(dtype)  # one rounding, as torch
        src = np.maximum(src, dtype.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    w1 = np.clip(src - i0, 0, 1).astype(dtype)
    i1 = np.minimum(i0 + 1, n - 1)
    return [(i0, (1 - w1).astype(dtype)), (i1, w1)]


def _uint8_linear(x: np.ndarray, axis: int, o: int, factor: float | None,
                  align: bool) -> np.ndarray:
    """One linear pass over a uint8 axis as torch's CPU uint8 kernel: double weights rounded
    to int16 fixed point (the most bits the largest weight allows), an integer dot product
    rounded half up and clamped to [0, 255]; o = n is no pass."""
    n = x.shape[axis]
    if o == n:
        return x
    if align:
        scale = (n - 1) / (o - 1) if o > 1 else 0.0
    else:
        scale = 1.0 / factor if factor else n / o
    dst = np.arange(o, dtype=np.float64)
    src = dst * scale if align else np.maximum(scale * (dst + 0.5) - 0.5, 0.0)
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), n - 1)
    lam = np.clip(src - i0, 0.0, 1.0)
    inside = i0 + 1 < n  # a right neighbour exists: weights (1 - lam, lam), else (1,)
    ws = (np.where(inside, 1 - lam, 1.0), np.where(inside, lam, 0.0))
    wmax, prec = max(w.max() for w in ws), 0
    while prec < 22 and int(0.5 + wmax * (1 << (prec + 1))) < 1 << 15:
        prec += 1
    acc = np.full(1, 1 << (prec - 1), dtype=np.int64)
    for idx, w in zip((i0, np.minimum(i0 + 1, n - 1)), ws, strict=True):
        wq = np.trunc(w * (1 << prec) + 0.5).astype(np.int64)  # weights are >= 0
        acc = acc + np.take(x, idx, axis=axis).astype(np.int64) * _shape_along(wq, axis, x.ndim)
    return np.clip(acc >> prec, 0, 255).astype(np.uint8)


def _shape_along(w: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    return w.reshape([-1 if b == axis else 1 for b in range(ndim)])


class Interpolate(Function):
    """torch's F.interpolate: x (N, C, *spatial) with 1-3 spatial axes -> (N, C, *size) by
    nearest, nearest-exact or (bi/tri)linear resampling; `size` or `scale_factor` (a number
    or one per spatial axis); `align_corners` for the linear modes."""

    @staticmethod
    def forward(ctx: Context, x: Any, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Any:
        x = np.asarray(v.as_array(_FN, "x", x))
        if not 3 <= x.ndim <= 5:
            raise ShapeError(f"{_FN}: x must be 3-D, 4-D or 5-D (N, C, *spatial), got shape "
                             f"{x.shape}")
        nd = x.ndim - 2
        if mode not in _MODES or antialias:
            raise UnsupportedError(f"{_FN}: mode must be one of {', '.join(_MODES)} (without "
                                   f"antialias), got mode={mode!r} antialias={antialias!r}")
        linear = mode in _LINEAR
        if linear and _LINEAR[mode] != nd:
            raise ShapeError(f"{_FN}: mode {mode!r} needs {_LINEAR[mode] + 2}-D input, got x "
                             f"{x.shape}")
        if align_corners is not None and not linear:
            raise RangeError(f"{_FN}: align_corners can only be set with the linear modes, got "
                             f"mode {mode!r}")
        u8 = mode == "bilinear" and x.dtype == np.uint8  # torch's uint8 image kernel
        if x.dtype.kind not in "fiu" or (linear and x.dtype.kind != "f" and not u8):
            raise DTypeError(f"{_FN}: x must be a float array{'' if linear else ' or ints'} "
                             f"for mode {mode!r} (or uint8 for 'bilinear'), got dtype {x.dtype}")
        v.nonempty(_FN, "x", x)
        out, scales = _sizes(x, nd, size, scale_factor, recompute_scale_factor)
        if u8:  # width first, then height, each pass rounded to uint8
            y = _uint8_linear(x, 3, out[1], scales[1], bool(align_corners))
            return _uint8_linear(y, 2, out[0], scales[0], bool(align_corners))
        taps = []  # per spatial axis: [(index, weight or None), ...]
        for n, o, f in zip(x.shape[2:], out, scales, strict=True):
            if linear:
                taps.append(_linear(n, o, f, bool(align_corners), x.dtype))
            else:
                taps.append([(_nearest(n, o, f, mode == "nearest-exact", nd), None)])
        y = x
        for a, axis_taps in enumerate(taps):
            parts = [np.take(y, idx, axis=a + 2) if w is None else
                     np.take(y, idx, axis=a + 2) * _shape_along(w, a + 2, y.ndim)
                     for idx, w in axis_taps]
            y = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        ctx.taps, ctx.x_shape = taps, x.shape
        return y  # (N, C, *out)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        g = dout
        for a in reversed(range(len(ctx.taps))):
            g = _scatter_axis(g, a + 2, ctx.taps[a], ctx.x_shape[a + 2])
        return g  # (N, C, *spatial)


def _scatter_axis(g: np.ndarray, axis: int, taps: list, n: int) -> np.ndarray:
    """The transpose of one axis' gather: sum g's entries into the n input positions."""
    gm = np.moveaxis(g, axis, -1)
    rows = int(np.prod(gm.shape[:-1]))
    g2 = gm.reshape(rows, -1)  # (rows, out)
    base = (np.arange(rows) * n)[:, None]
    total = np.zeros(rows * n)
    for idx, w in taps:
        total += np.bincount((base + idx).ravel(), weights=(g2 if w is None else g2 * w).ravel(),
                             minlength=rows * n)
    return np.moveaxis(total.reshape(*gm.shape[:-1], n).astype(g.dtype, copy=False), -1, axis)


def interpolate(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Any:
    """torch's F.interpolate: (N, C, *spatial) -> (N, C, *size)."""
    return Interpolate.apply(input, size=size, scale_factor=scale_factor, mode=mode,
                             align_corners=align_corners,
                             recompute_scale_factor=recompute_scale_factor, antialias=antialias)


def upsample(input: Any, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Any:
    """torch's (deprecated) F.upsample, the same as interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Any, size: Any = None, scale_factor: Any = None) -> Any:
    """torch's F.upsample_nearest: interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Any, size: Any = None, scale_factor: Any = None) -> Any:
    """torch's F.upsample_bilinear: interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__all__ = ["Interpolate", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

TENSOR_METHODS: dict = {}
