"""Sliding-window geometry, the im2col / col2im kernels and the pooling arguments shared by the
conv and pool families, for 1, 2 or 3 spatial dimensions (torch's conv1d/2d/3d, pool1d/2d/3d).

Spatial arguments (kernel, stride, padding, dilation) are an int or one int per spatial axis.
Output sizes floor like torch, L' = floor((L + p0 + p1 - d (k - 1) - 1) / s) + 1. The im2col
columns are built from `sliding_window_view` of a channels-last buffer (one copy), and col2im
loops over the kernel offsets only, never over pixels.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError, ShapeRuntimeError
from minigrad.function import Function
from minigrad.functional import validate as v

_windows = np.lib.stride_tricks.sliding_window_view
_TUPLE = {1: "(or a 1-tuple)", 2: "or an (h, w) pair of them", 3: "or a (d, h, w) triple of them"}
AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
LETTERS = {1: "L", 2: "H, W", 3: "D, H, W"}


class NdFunction(Function):
    """Base of a private Function (_ConvNd, _MaxPoolNd, ...) whose forward and backward its
    1d/2d/3d subclasses share; a subclass sets `nd`, the number of spatial axes (each gets its
    own named `forward`, see Function.__init_subclass__)."""

    nd = 0


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_param(fn: str, name: str, value: Any, low: int) -> int:
    """`value` as a Python int >= low (bools and floats refused)."""
    if not _is_int(value) or value < low:
        raise ShapeError(f"{fn}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def ntuple(fn: str, name: str, value: Any, low: int, nd: int,
           error: type = ShapeError) -> tuple:
    """An int or `nd` ints, each >= low, as an nd-tuple; anything else raises `error`."""
    if _is_int(value) and value >= low:
        return (int(value),) * nd
    if (isinstance(value, (tuple, list)) and len(value) == nd
            and all(_is_int(a) and a >= low for a in value)):
        return tuple(int(a) for a in value)
    raise error(f"{fn}: {name} must be an int >= {low} {_TUPLE[nd]}, got {value!r}")


def pair(fn: str, name: str, value: Any, low: int) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, each >= low, as an (h, w) tuple."""
    return ntuple(fn, name, value, low, 2)


def out_size(fn: str, axis: str, size: int, k: int, s: int, pads: tuple[int, int], d: int,
             ceil_mode: bool = False, error: type = ShapeError) -> int:
    """Windows along one axis: floor((size + pads - d (k - 1) - 1) / s) + 1, as torch.

    With `ceil_mode` the division rounds up, but the last window must start inside the input
    or its leading padding (torch's pooling rule). A kernel larger than the padded input
    raises `error`.
    """
    total = size + pads[0] + pads[1]
    extent = d * (k - 1) + 1
    if extent > total:
        dil = f" (dilation {d}: extent {extent})" if d > 1 else ""
        raise error(f"{fn}: kernel {axis} {k}{dil} is larger than the padded input {axis} "
                    f"{size} + {pads[0]} + {pads[1]} = {total}")
    span = total - extent
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + pads[0]:
        out -= 1
    return out


def offsets(start: int, s: int, n: int) -> slice:
    """The n positions start, start + s, ... of one kernel offset along an axis."""
    return slice(start, start + s * (n - 1) + 1, s)


def kernel_index(offset: tuple, s: tuple, d: tuple, out: tuple, lead: int = 2) -> tuple:
    """Index of kernel offset `offset` of every window, after `lead` non-spatial axes."""
    return (slice(None),) * lead + tuple(offsets(i * da, sa, o)
                                         for i, sa, da, o in zip(offset, s, d, out, strict=True))


def im2col(xp: np.ndarray, k: tuple, s: tuple, d: tuple, out: tuple, g: int) -> np.ndarray:
    """(g, N·prod(out), prod(k)·C/g) columns of the windows of a padded channels-last
    (N, *spatial, C) array, kernel offsets first then channels."""
    nd, N, C = len(k), xp.shape[0], xp.shape[-1]
    extent = tuple(da * (ka - 1) + 1 for ka, da in zip(k, d, strict=True))
    win = _windows(xp, extent, axis=tuple(range(1, nd + 1)))  # (N, *pos, C, *extent) view
    starts = tuple(slice(0, sa * (o - 1) + 1, sa) for sa, o in zip(s, out, strict=True))
    taps = tuple(slice(None, None, da) for da in d)
    win = win[(slice(None), *starts, slice(None), *taps)]  # (N, *out, C, *k) view
    perm = (nd + 1, 0, *range(1, nd + 1), *range(nd + 3, 2 * nd + 3), nd + 2)
    return (win.reshape(N, *out, g, C // g, *k).transpose(perm)
            .reshape(g, N * int(np.prod(out)), -1))  # one copy


def col2im(dcols: np.ndarray, padded: tuple, s: tuple, d: tuple, out: tuple) -> np.ndarray:
    """Sum the column gradient (N, *out, *k, C) into the padded input (N, C, *spatial).

    One strided add per kernel offset; few channels accumulate channels-first (contiguous
    rows), many channels-last (contiguous channel vectors), whichever numpy adds faster.
    """
    nd = len(out)
    k = dcols.shape[nd + 1:2 * nd + 1]
    lead = (slice(None),) * (nd + 1)
    if padded[1] <= 16:
        dxp = np.zeros(padded, dtype=dcols.dtype)  # (N, C, *spatial)
        perm = (0, nd + 1, *range(1, nd + 1))
        for off in np.ndindex(*k):
            dxp[kernel_index(off, s, d, out)] += dcols[lead + off].transpose(perm)
        return dxp
    dxp = np.zeros((padded[0], *padded[2:], padded[1]), dtype=dcols.dtype)  # (N, *spatial, C)
    for off in np.ndindex(*k):
        dxp[kernel_index(off, s, d, out, lead=1)] += dcols[lead + off]
    return dxp.transpose(0, nd + 1, *range(1, nd + 1))


def wmat(w: np.ndarray, g: int) -> np.ndarray:
    """Weight (F, Cg, *k) as g matrices (g, F/g, prod(k)·Cg) matching `im2col`'s columns."""
    nd = w.ndim - 2
    F, Cg = w.shape[:2]
    return (w.reshape(g, F // g, Cg, *w.shape[2:]).transpose(0, 1, *range(3, nd + 3), 2)
            .reshape(g, F // g, -1))


def gemm(cols: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """(M, F) = per group cols (M, K) @ w2 (F/g, K).T, groups side by side."""
    if len(cols) == 1:
        return cols[0] @ w2[0].T
    return np.concatenate([c @ m.T for c, m in zip(cols, w2, strict=True)], axis=1)


def dcols(d2: np.ndarray, w2: np.ndarray, shape: tuple) -> np.ndarray:
    """Column gradient (N, *out, *k, C) of d2 (M, F) through the weight matrices."""
    g, Fg = w2.shape[:2]
    if g == 1:
        return (d2 @ w2[0]).reshape(shape)
    Cg = shape[-1] // g
    out = np.empty(shape, dtype=d2.dtype)
    for i in range(g):
        out[..., i * Cg:(i + 1) * Cg] = (d2[:, i * Fg:(i + 1) * Fg] @ w2[i]).reshape(
            *shape[:-1], Cg)
    return out


def dweight(d2: np.ndarray, cols: np.ndarray, shape: tuple) -> np.ndarray:
    """Weight gradient (F, Cg, *k) from d2 (M, F) and the columns (g, M, K)."""
    nd = len(shape) - 2
    F, Cg = shape[:2]
    if len(cols) == 1:
        dw2 = d2.T @ cols[0]  # (F, K)
    else:
        Fg = F // len(cols)
        dw2 = np.concatenate([d2[:, i * Fg:(i + 1) * Fg].T @ c for i, c in enumerate(cols)])
    return dw2.reshape(F, *shape[2:], Cg).transpose(0, nd + 1, *range(1, nd + 1))


def channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) -> (N, *spatial, C) view."""
    return x.transpose(0, *range(2, x.ndim), 1)


def channels_first(x: np.ndarray) -> np.ndarray:
    """(N, *spatial, C) -> (N, C, *spatial) view."""
    return x.transpose(0, x.ndim - 1, *range(1, x.ndim - 1))


# ----- pooling geometry ------------------------------------------------------------------------
def kernel_arg(fn: str, kernel_size: Any, kernel: Any, default: Any = None) -> tuple[str, Any]:
    """(the name the caller used, the value) from torch's `kernel_size` and CS231n's `kernel`."""
    if kernel is None:
        if kernel_size is None and default is None:
            raise TypeError(f"{fn}: kernel_size is required")
        return "kernel_size", (default if kernel_size is None else kernel_size)
    if kernel_size is not None:
        raise TypeError(f"{fn}: give kernel_size or kernel, not both (got kernel_size="
                        f"{kernel_size!r} and kernel={kernel!r})")
    return "kernel", kernel


def flag(fn: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ShapeError(f"{fn}: {name} must be a bool, got {value!r}")
    return bool(value)


def pool_geometry(fn: str, nd: int, x: np.ndarray, kernel_size: Any, kernel: Any, stride: Any,
                  padding: Any, dilation: Any, ceil_mode: Any,
                  default_kernel: Any = None) -> tuple:
    """(k, s, p, d, out, extra) of one pooling call on a validated x (N, C, *spatial);
    extra is how far the last (ceil_mode) window reaches past the padded input per axis."""
    v.ndim(fn, "x", x, nd + 2, f"(N, C, {LETTERS[nd]})")
    v.nonempty(fn, "x", x)
    kname, kernel_size = kernel_arg(fn, kernel_size, kernel, default_kernel)
    k = ntuple(fn, kname, kernel_size, 1, nd)
    s = k if stride is None else ntuple(fn, "stride", stride, 1, nd)
    p = ntuple(fn, "padding", padding, 0, nd, ShapeRuntimeError)
    d = ntuple(fn, "dilation", dilation, 1, nd)
    ceil = flag(fn, "ceil_mode", ceil_mode)
    for axis, ka, pa in zip(AXES[nd], k, p, strict=True):
        if pa > ka // 2:
            raise ShapeRuntimeError(f"{fn}: padding {axis} {pa} must be at most half the kernel "
                                    f"{axis} {ka} (as torch), got padding {padding!r}")
    sizes = x.shape[2:]
    out = tuple(out_size(fn, ax, n, ka, sa, (pa, pa), da, ceil)
                for ax, n, ka, sa, pa, da in zip(AXES[nd], sizes, k, s, p, d, strict=True))
    extra = tuple(max(0, (o - 1) * sa + da * (ka - 1) + 1 - (n + 2 * pa))
                  for o, sa, da, ka, n, pa in zip(out, s, d, k, sizes, p, strict=True))
    return k, s, p, d, out, extra


def padded(x: np.ndarray, p: tuple, extra: tuple, fill: Any) -> np.ndarray:
    """x inside a `fill` border of p on each side plus `extra` at the end (x itself if none)."""
    if not any(p) and not any(extra):
        return x
    shape = (*x.shape[:2], *(n + 2 * pa + e for n, pa, e in zip(x.shape[2:], p, extra,
                                                                  strict=True)))
    xp = np.full(shape, fill, dtype=x.dtype)
    xp[(slice(None), slice(None), *(slice(pa, pa + n) for pa, n in zip(p, x.shape[2:],
                                                                      strict=True)))] = x
    return xp


def crop(dxp: np.ndarray, shape: tuple, p: tuple) -> np.ndarray:
    return dxp[(slice(None), slice(None), *(slice(pa, pa + n) for pa, n in zip(p, shape[2:],
                                                                              strict=True)))]
