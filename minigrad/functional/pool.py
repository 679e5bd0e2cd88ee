"""Pooling on (N, C, H, W) images as torch's F.max_pool2d / avg_pool2d / adaptive_avg_pool2d.

Kernel, stride, padding and dilation are ints or (h, w) pairs; the output size floors like
torch (H' = floor((H + 2 p - d (k - 1) - 1) / s) + 1, windows that do not tile the input are
cropped) or, with `ceil_mode`, rounds up as torch does. Padding is at most half the kernel
(torch's rule). Forward and backward loop over the kh·kw kernel offsets (strided slices), never
over pixels.

`MaxPool2d` pads with -inf. Tie rule: the gradient of a window goes to its FIRST maximum in
row-major order within the window (as torch's CPU `max_pool2d`); overlapping windows (stride <
kernel) accumulate. `AvgPool2d` pads with zeros; its divisor is the window clipped to the padded
input (`count_include_pad=True`) or to the input itself (False), or `divisor_override`.
`AdaptiveAvgPool2d` averages torch's adaptive windows as two small matrices, Ph x Pw^T.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.conv import offsets, out_size, pair


def _kernel_arg(fn: str, kernel_size: Any, kernel: Any, default: Any = None) -> tuple[str, Any]:
    """(the name the caller used, the value) from torch's `kernel_size` and CS231n's `kernel`."""
    if kernel is None:
        if kernel_size is None and default is None:
            raise TypeError(f"{fn}: kernel_size is required")
        return "kernel_size", (default if kernel_size is None else kernel_size)
    if kernel_size is not None:
        raise TypeError(f"{fn}: give kernel_size or kernel, not both (got kernel_size="
                        f"{kernel_size!r} and kernel={kernel!r})")
    return "kernel", kernel


def _flag(fn: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ShapeError(f"{fn}: {name} must be a bool, got {value!r}")
    return bool(value)


def _geometry(fn: str, x: Any, kernel_size: Any, kernel: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: Any, default_kernel: Any = None) -> tuple:
    """Validated x and (k, s, p, d, (Ho, Wo), (extra_h, extra_w)) of one pooling call.

    extra_* is how far the last (ceil_mode) window reaches past the padded input.
    """
    x = v.floating(fn, "x", x)
    v.ndim(fn, "x", x, 4, "(N, C, H, W)")
    v.nonempty(fn, "x", x)
    kname, kernel_size = _kernel_arg(fn, kernel_size, kernel, default_kernel)
    k = pair(fn, kname, kernel_size, 1)
    s = k if stride is None else pair(fn, "stride", stride, 1)
    p = pair(fn, "padding", padding, 0)
    d = pair(fn, "dilation", dilation, 1)
    ceil = _flag(fn, "ceil_mode", ceil_mode)
    for axis, ka, pa in (("height", k[0], p[0]), ("width", k[1], p[1])):
        if pa > ka // 2:
            raise ShapeError(f"{fn}: padding {axis} {pa} must be at most half the kernel {axis} "
                             f"{ka} (as torch), got padding {padding!r}")
    H, W = x.shape[2:]
    out = (out_size(fn, "height", H, k[0], s[0], (p[0], p[0]), d[0], ceil),
           out_size(fn, "width", W, k[1], s[1], (p[1], p[1]), d[1], ceil))
    extra = tuple(max(0, (o - 1) * sa + da * (ka - 1) + 1 - (n + 2 * pa))
                  for o, sa, da, ka, n, pa in zip(out, s, d, k, (H, W), p, strict=True))
    return x, (k, s, p, d, out, extra)


def _padded(x: np.ndarray, p: tuple, extra: tuple, fill: float) -> np.ndarray:
    """x inside a `fill` border of p on each side plus `extra` at the end (x itself if none)."""
    if p == (0, 0) and extra == (0, 0):
        return x
    N, C, H, W = x.shape
    xp = np.full((N, C, H + 2 * p[0] + extra[0], W + 2 * p[1] + extra[1]), fill, dtype=x.dtype)
    xp[:, :, p[0]:p[0] + H, p[1]:p[1] + W] = x
    return xp


def _window(geo: tuple, i: int, j: int) -> tuple:
    """Index of kernel offset (i, j) of every window in the padded input."""
    k, s, p, d, (Ho, Wo), _ = geo
    return (slice(None), slice(None), offsets(i * d[0], s[0], Ho), offsets(j * d[1], s[1], Wo))


def _crop(dxp: np.ndarray, shape: tuple, p: tuple) -> np.ndarray:
    H, W = shape[2:]
    return dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


class MaxPool2d(Function):
    """Max over kernel windows as torch's F.max_pool2d: x (N, C, H, W) -> (N, C, H', W'); ties
    send the gradient to the first max (row-major); `kernel` is an alias of `kernel_size`."""

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                kernel: Any = None) -> np.ndarray:
        x, geo = _geometry("MaxPool2d", x, kernel_size, kernel, stride, padding, dilation,
                           ceil_mode, default_kernel=2)
        xp = _padded(x, geo[2], geo[5], -np.inf)
        (kh, kw), out = geo[0], None
        for i, j in np.ndindex(kh, kw):
            win = xp[_window(geo, i, j)]
            out = win.copy() if out is None else np.maximum(out, win, out=out)  # (N, C, Ho, Wo)
        ctx.save_for_backward(x, out)
        ctx.geo = geo
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        geo = ctx.geo
        xp = _padded(x, geo[2], geo[5], -np.inf)
        dxp = np.zeros(xp.shape, dtype=dout.dtype)  # (N, C, Hp, Wp)
        taken = np.zeros(out.shape, dtype=bool)  # window already sent its gradient
        zero = np.zeros((), dtype=dout.dtype)
        for i, j in np.ndindex(*geo[0]):  # row-major: the first max in a window wins a tie
            idx = _window(geo, i, j)
            hit = xp[idx] == out
            hit &= ~taken
            taken |= hit
            dxp[idx] += np.where(hit, dout, zero)
        return _crop(dxp, x.shape, geo[2])


def _counts(size: int, k: int, s: int, p: int, n: int, include_pad: bool) -> np.ndarray:
    """Per output position along one axis, how many window cells count in the divisor."""
    start = np.arange(n) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPool2d(Function):
    """Mean over kernel windows as torch's F.avg_pool2d: x (N, C, H, W) -> (N, C, H', W')."""

    @staticmethod
    def forward(ctx: Context, x: Any, kernel_size: Any = None, stride: Any = None,
                padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                divisor_override: int | None = None, kernel: Any = None) -> np.ndarray:
        fn = "AvgPool2d"
        x, geo = _geometry(fn, x, kernel_size, kernel, stride, padding, 1, ceil_mode)
        include = _flag(fn, "count_include_pad", count_include_pad)
        if divisor_override is not None and (
                not isinstance(divisor_override, (int, np.integer))
                or isinstance(divisor_override, bool) or divisor_override == 0):
            raise ShapeError(f"{fn}: divisor_override must be a nonzero int or None, got "
                             f"{divisor_override!r}")
        k, s, p, _, (Ho, Wo), extra = geo
        if divisor_override is not None:
            div = np.asarray(divisor_override, dtype=x.dtype)
        else:
            div = np.multiply.outer(_counts(x.shape[2], k[0], s[0], p[0], Ho, include),
                                    _counts(x.shape[3], k[1], s[1], p[1], Wo, include))
            div = div.astype(x.dtype)  # (Ho, Wo)
        xp = _padded(x, p, extra, 0.0)
        out = None
        for i, j in np.ndindex(*k):
            win = xp[_window(geo, i, j)]
            out = win.copy() if out is None else np.add(out, win, out=out)  # (N, C, Ho, Wo)
        out /= div
        ctx.geo, ctx.div, ctx.x_meta = geo, div, (x.shape, xp.shape)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        geo, div, (shape, padded) = ctx.geo, ctx.div, ctx.x_meta
        g = dout / div  # (N, C, Ho, Wo)
        dxp = np.zeros(padded, dtype=dout.dtype)  # (N, C, Hp, Wp)
        for i, j in np.ndindex(*geo[0]):
            dxp[_window(geo, i, j)] += g
        return _crop(dxp, shape, geo[2])


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


def max_pool2d(x: Any, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, *, kernel: Any = None) -> Any:
    """torch's F.max_pool2d (kernel_size defaults to 2): (N, C, H, W) -> (N, C, H', W')."""
    return MaxPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           dilation=dilation, ceil_mode=ceil_mode, kernel=kernel)


def avg_pool2d(x: Any, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, kernel: Any = None) -> Any:
    """torch's F.avg_pool2d: (N, C, H, W) -> (N, C, H', W')."""
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding,
                           ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                           divisor_override=divisor_override, kernel=kernel)


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """torch's F.adaptive_avg_pool2d: (N, C, H, W) -> (N, C, *output_size)."""
    return AdaptiveAvgPool2d.apply(x, output_size=output_size)


__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "max_pool2d", "avg_pool2d",
           "adaptive_avg_pool2d"]

TENSOR_METHODS: dict = {}
