"""Pooling as torch's F.max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool2d and max_unpool2d
on (N, C, *spatial) inputs.

Kernel, stride, padding and dilation are ints or one int per spatial axis; the output size
floors like torch (L' = floor((L + 2 p - d (k - 1) - 1) / s) + 1, windows that do not tile the
input are cropped) or, with `ceil_mode`, rounds up as torch does. Padding is at most half the
kernel (torch's rule; breaking it, or a padding of the wrong length, is a RuntimeError too).
Forward and backward loop over the kernel offsets (strided slices), never over pixels.

`MaxPool*` takes float inputs with NaN and ±inf, and integer inputs (forward only), as torch.
Each window's max is found in row-major order with torch's CPU rule: a later value replaces
the running max when it is larger or NaN, so ties go to the FIRST max and a NaN wins. The
gradient goes to that position, and `return_indices=True` also returns it as torch's int64
index into the flattened spatial plane (h W + w), which `max_unpool2d` takes back.
`AvgPool*` pads with zeros; its divisor is the window clipped to the padded input
(`count_include_pad=True`) or to the input itself (False), or `divisor_override`.
`AdaptiveAvgPool2d` averages torch's adaptive windows as two small matrices, Ph x Pw^T.
"""
from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeRuntimeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.window import (
    NdFunction,
    crop,
    flag,
    kernel_index,
    padded,
    pair,
    pool_geometry,
)


def _starts(geo: tuple) -> list:
    """Per axis, the (o,) input position of each window's first tap (negative in padding)."""
    return [np.arange(o) * sa - pa for o, sa, pa in zip(geo[4], geo[1], geo[2], strict=True)]


def _first_inside(geo: tuple) -> np.ndarray:
    """(*out) row-major number of each window's first tap inside the input (torch's start)."""
    k, d = geo[0], geo[3]
    taps = [np.minimum((np.maximum(0, -st) + da - 1) // da, ka - 1)
            for st, da, ka in zip(_starts(geo), d, k, strict=True)]
    return np.ravel_multi_index(np.ix_(*taps), k)


def _flat_index(geo: tuple, sizes: tuple, which: np.ndarray) -> np.ndarray:
    """Flat plane index (torch's) of tap number `which` (row-major in the kernel) of each
    window: the window's first-tap position plus the tap's offset."""
    k, d, nd = geo[0], geo[3], len(sizes)
    strides = np.cumprod((1,) + sizes[:0:-1])[::-1]  # C-order strides of the plane
    base = sum(st.reshape([-1 if b == a else 1 for b in range(nd)]) * strides[a]
               for a, st in enumerate(_starts(geo)))  # (*out), negative in padding
    taps = np.indices(k).reshape(nd, -1)  # (nd, prod(k))
    offset = (taps * (np.array(d) * strides)[:, None]).sum(axis=0)  # (prod(k),)
    return base + offset[which]


def _max_forward(ctx: Context, fn: str, nd: int, x: Any, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, ceil_mode: Any, return_indices: Any, kernel: Any,
                 default_kernel: Any = None) -> Any:
    x = np.asarray(v.as_array(fn, "x", x))
    if x.dtype.kind not in "fiu":
        raise DTypeError(f"{fn}: x must be a float or integer array, got dtype {x.dtype}")
    geo = pool_geometry(fn, nd, x, kernel_size, kernel, stride, padding, dilation, ceil_mode,
                        default_kernel)
    k, s, p, d, out, extra = geo
    isfloat = x.dtype.kind == "f"
    fill = -np.inf if isfloat else np.iinfo(x.dtype).min
    xp = padded(x, p, extra, fill)
    indices = flag(fn, "return_indices", return_indices)
    if not indices and not (isfloat and ctx.needs_input_grad[0]):
        best = None
        for off in np.ndindex(*k):
            win = xp[kernel_index(off, s, d, out)]
            best = win.copy() if best is None else np.maximum(best, win, out=best)
        return best  # (N, C, *out)
    # running max and the row-major number of the tap it came from; a later tap wins when it is
    # larger or NaN, and tap numbers only grow, so "which = where(hit, i, which)" is a maximum
    best = np.full((*x.shape[:2], *out), fill, dtype=x.dtype)  # (N, C, *out)
    which = np.empty(best.shape, dtype=np.min_scalar_type(int(np.prod(k))))  # (N, C, *out)
    which[...] = _first_inside(geo)
    hit, tap = np.empty(best.shape, dtype=bool), np.empty(best.shape, dtype=which.dtype)
    nan = isfloat and bool(np.isnan(x).any())
    for i, off in enumerate(np.ndindex(*k)):
        win = xp[kernel_index(off, s, d, out)]
        np.greater(win, best, out=hit)
        if nan:
            hit |= np.isnan(win)
        np.maximum(best, win, out=best)
        np.maximum(which, np.multiply(hit, which.dtype.type(i), out=tap), out=which)
    arg = _flat_index(geo, x.shape[2:], which)  # (N, C, *out) int64
    ctx.save_for_backward(arg)
    ctx.x_shape = x.shape
    return (best, arg) if indices else best


class _MaxPoolNd(NdFunction):
    """Shared forward/backward of MaxPool1d/2d/3d (not public): a subclass sets `nd`, the number
    of spatial axes; the gradient goes to each window's max (bincount over the flat indices)."""

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                return_indices: bool = False) -> Any:
        return _max_forward(ctx, ctx.fn.__name__, ctx.fn.nd, x, kernel_size, stride, padding,
                            dilation, ceil_mode, return_indices, None)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray, *_: Any) -> np.ndarray:
        (arg,) = ctx.saved_tensors
        shape = ctx.x_shape
        planes, size = shape[0] * shape[1], int(np.prod(shape[2:]))
        flat = arg.reshape(planes, -1) + (np.arange(planes) * size)[:, None]
        dx = np.bincount(flat.ravel(), weights=dout.ravel(), minlength=planes * size)
        return dx.astype(dout.dtype, copy=False).reshape(shape)


class MaxPool1d(_MaxPoolNd):
    """Max over kernel windows as torch's F.max_pool1d: x (N, C, L) -> (N, C, L'), or
    (values, int64 indices) with return_indices=True."""

    nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over kernel windows as torch's F.max_pool2d: x (N, C, H, W) -> (N, C, H', W'), or
    (values, int64 indices h W + w) with return_indices=True; `kernel` aliases `kernel_size`."""

    nd = 2

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                kernel: Any = None, return_indices: bool = False) -> Any:
        return _max_forward(ctx, "MaxPool2d", 2, x, kernel_size, stride, padding, dilation,
                            ceil_mode, return_indices, kernel, default_kernel=2)


class MaxPool3d(_MaxPoolNd):
    """Max over kernel windows as torch's F.max_pool3d: x (N, C, D, H, W) -> (N, C, D', H', W'),
    or (values, int64 indices (d H + h) W + w) with return_indices=True."""

    nd = 3


def _counts(size: int, k: int, s: int, p: int, n: int, include_pad: bool) -> np.ndarray:
    """Per output position along one axis, how many window cells count in the divisor."""
    start = np.arange(n) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_forward(ctx: Context, fn: str, nd: int, x: Any, kernel_size: Any, stride: Any,
                 padding: Any, ceil_mode: Any, count_include_pad: Any, divisor_override: Any,
                 kernel: Any) -> np.ndarray:
    x = v.floating(fn, "x", x)
    geo = pool_geometry(fn, nd, x, kernel_size, kernel, stride, padding, 1, ceil_mode)
    include = flag(fn, "count_include_pad", count_include_pad)
    if divisor_override is not None and (
            not isinstance(divisor_override, (int, np.integer))
            or isinstance(divisor_override, bool) or divisor_override == 0):
        raise ShapeError(f"{fn}: divisor_override must be a nonzero int or None, got "
                         f"{divisor_override!r}")
    k, s, p, _, out, extra = geo
    if divisor_override is not None:
        div = np.asarray(divisor_override, dtype=x.dtype)
    else:
        div = reduce(np.multiply.outer, [_counts(n, ka, sa, pa, o, include) for n, ka, sa, pa, o
                                         in zip(x.shape[2:], k, s, p, out, strict=True)])
        div = np.asarray(div).astype(x.dtype)  # (*out)
    xp = padded(x, p, extra, 0.0)
    y = None
    for off in np.ndindex(*k):
        win = xp[kernel_index(off, s, (1,) * nd, out)]
        y = win.copy() if y is None else np.add(y, win, out=y)  # (N, C, *out)
    y /= div
    ctx.geo, ctx.div, ctx.x_meta = geo, div, (x.shape, xp.shape)
    return y


class _AvgPoolNd(NdFunction):
    """Shared forward/backward of AvgPool1d/2d/3d (not public): a subclass sets `nd`, the number
    of spatial axes; backward spreads dout / divisor over each window."""

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None) -> np.ndarray:
        return _avg_forward(ctx, ctx.fn.__name__, ctx.fn.nd, x, kernel_size, stride, padding,
                            ceil_mode, count_include_pad, divisor_override, None)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (k, s, p, _, out, _), div, (shape, padded) = ctx.geo, ctx.div, ctx.x_meta
        g = dout / div  # (N, C, *out)
        dxp = np.zeros(padded, dtype=dout.dtype)  # (N, C, *padded)
        for off in np.ndindex(*k):
            dxp[kernel_index(off, s, (1,) * len(k), out)] += g
        return crop(dxp, shape, p)


class AvgPool1d(_AvgPoolNd):
    """Mean over kernel windows as torch's F.avg_pool1d: x (N, C, L) -> (N, C, L')."""

    nd = 1


class AvgPool2d(_AvgPoolNd):
    """Mean over kernel windows as torch's F.avg_pool2d: x (N, C, H, W) -> (N, C, H', W')."""

    nd = 2

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None, kernel: Any = None) -> np.ndarray:
        return _avg_forward(ctx, "AvgPool2d", 2, x, kernel_size, stride, padding, ceil_mode,
                            count_include_pad, divisor_override, kernel)


class AvgPool3d(_AvgPoolNd):
    """Mean over kernel windows as torch's F.avg_pool3d: x (N, C, D, H, W) ->
    (N, C, D', H', W')."""

    nd = 3


def _adaptive_matrix(size: int, n: int, dtype: np.dtype) -> np.ndarray:
    """(n, size) averaging matrix of torch's adaptive windows [⌊i size/n⌋, ⌈(i+1) size/n⌉)."""
    i = np.arange(n)
    start, end = (i * size) // n, -((-(i + 1) * size) // n)
    cells = np.arange(size)
    inside = (cells >= start[:, None]) & (cells < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)  # (n, size)


class AdaptiveAvgPool2d(Function):
    """Mean over torch's adaptive windows: x (N, C, H, W) -> (N, C, H', W') = output_size
    (an int, a pair, None for an unchanged side), as F.adaptive_avg_pool2d."""

    @staticmethod
    def forward(ctx: Context, x: Any, output_size: Any = 1) -> np.ndarray:
        fn = "AdaptiveAvgPool2d"
        x = v.floating(fn, "x", x)
        v.ndim(fn, "x", x, 4, "(N, C, H, W)")
        v.nonempty(fn, "x", x)
        H, W = x.shape[2:]
        if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
            output_size = tuple(n if o is None else o for o, n in zip(output_size, (H, W),
                                                                      strict=True))
        Ho, Wo = pair(fn, "output_size", output_size, 1)
        ph, pw = _adaptive_matrix(H, Ho, x.dtype), _adaptive_matrix(W, Wo, x.dtype)
        ctx.mats = (ph, pw)
        return ph @ x @ pw.T  # (N, C, Ho, Wo)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        ph, pw = ctx.mats
        return ph.T @ dout @ pw  # (N, C, H, W)


class MaxUnpool2d(Function):
    """Inverse of max_pool2d as torch's F.max_unpool2d: x (N, C, H, W) and int indices of its
    shape (flat h W + w into the output plane) -> zeros (N, C, H', W') with x put at the
    indices; H' = (H - 1) s - 2 p + k, or `output_size` ((H', W') or (N, C, H', W'))."""

    @staticmethod
    def forward(ctx: Context, x: Any, indices: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, output_size: Any = None) -> np.ndarray:
        fn = "MaxUnpool2d"
        x = v.floating(fn, "x", x, finite=False)
        v.ndim(fn, "x", x, 4, "(N, C, H, W)")
        idx = v.integer(fn, "indices", indices)
        v.shape(fn, "indices", idx, x.shape, "of x")
        if kernel_size is None:
            raise TypeError(f"{fn}: kernel_size is required")
        k = pair(fn, "kernel_size", kernel_size, 1)
        s = k if stride is None else pair(fn, "stride", stride, 1)
        p = pair(fn, "padding", padding, 0)
        out = tuple((n - 1) * sa - 2 * pa + ka for n, sa, pa, ka in zip(x.shape[2:], s, p, k,
                                                                          strict=True))
        if output_size is not None:
            size = tuple(output_size)[-2:] if isinstance(output_size, (tuple, list)) else ()
            if len(size) != 2 or any(not o - sa < n < o + sa
                                     for n, o, sa in zip(size, out, s, strict=True)):
                raise ShapeError(f"{fn}: output_size must be (H', W') or (N, C, H', W') with "
                                 f"each side within the stride of the default {out} (as torch), "
                                 f"got {output_size!r}")
            out = tuple(int(n) for n in size)
        planes, size = x.shape[0] * x.shape[1], out[0] * out[1]
        if idx.size and (idx.min() < 0 or idx.max() >= size):
            raise RangeRuntimeError(f"{fn}: indices must be in [0, {size}) (the output plane "
                                    f"{out}), got min {idx.min()} max {idx.max()}")
        rows = np.arange(planes)[:, None]
        y = np.zeros((planes, size), dtype=x.dtype)
        y[rows, idx.reshape(planes, -1)] = x.reshape(planes, -1)
        ctx.save_for_backward(v.kept(ctx, idx))  # indices= edited after forward: no effect
        return y.reshape(*x.shape[:2], *out)  # (N, C, H', W')

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        (idx,) = ctx.saved_tensors
        planes = idx.shape[0] * idx.shape[1]
        dx = dout.reshape(planes, -1)[np.arange(planes)[:, None], idx.reshape(planes, -1)]
        return (dx.reshape(idx.shape),) + (None,) * (len(ctx.needs_input_grad) - 1)


def max_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """torch's F.max_pool1d: (N, C, L) -> (N, C, L') (and int64 indices)."""
    return MaxPool1d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)


def max_pool2d(x: Any, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False, *,
               kernel: Any = None) -> Any:
    """torch's F.max_pool2d (kernel_size defaults to 2): (N, C, H, W) -> (N, C, H', W') (and
    int64 indices)."""
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           dilation=dilation, ceil_mode=ceil_mode, kernel=kernel,
                           return_indices=return_indices)


def max_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """torch's F.max_pool3d: (N, C, D, H, W) -> (N, C, D', H', W') (and int64 indices)."""
    return MaxPool3d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           dilation=dilation, ceil_mode=ceil_mode, return_indices=return_indices)


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """torch's F.avg_pool1d: (N, C, L) -> (N, C, L')."""
    return AvgPool1d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=ceil_mode, count_include_pad=count_include_pad)


def avg_pool2d(x: Any, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, kernel: Any = None) -> Any:
    """torch's F.avg_pool2d: (N, C, H, W) -> (N, C, H', W')."""
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                           divisor_override=divisor_override, kernel=kernel)


def avg_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Any:
    """torch's F.avg_pool3d: (N, C, D, H, W) -> (N, C, D', H', W')."""
    return AvgPool3d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                           divisor_override=divisor_override)


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """torch's F.adaptive_avg_pool2d: (N, C, H, W) -> (N, C, *output_size)."""
    return AdaptiveAvgPool2d.apply(x, output_size=output_size)


def max_unpool2d(x: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Any = None) -> Any:
    """torch's F.max_unpool2d: (N, C, H, W) values and indices -> (N, C, H', W')."""
    return MaxUnpool2d.apply(x, indices, kernel_size=kernel_size, stride=stride,
                             padding=padding, output_size=output_size)


__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool2d", "MaxUnpool2d", "max_pool1d", "max_pool2d", "max_pool3d",
           "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool2d", "max_unpool2d"]

TENSOR_METHODS: dict = {}
