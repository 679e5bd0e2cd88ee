"""Convolutions as torch's F.conv1d / conv2d / conv3d and F.conv_transpose1d / 2d / 3d on
(N, C, *spatial) inputs with 1, 2 or 3 spatial axes, vectorised with strided windows.

`Conv{1,2,3}d` are cross-correlations with stride, zero padding (an int, one int per spatial
axis, 'valid' or 'same'), dilation and groups; the output size floors like torch,
L' = floor((L + 2 p - d (k - 1) - 1) / s) + 1, so positions a window cannot reach are cropped.
Forward pads into a channels-last buffer, builds the im2col matrix and does one GEMM per group;
backward does one GEMM per gradient and group and scatters the column gradient back (col2im)
with a loop over the kernel offsets only. The output is a view of channels-last memory, so a
following conv's transpose is cheap. `ConvTranspose{1,2,3}d` are the gradient of a conv with
respect to its input: forward is col2im, backward im2col. As torch, a kernel larger than the
padded input and a padding that is negative or of the wrong length are RuntimeErrors too.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError, ShapeRuntimeError
from minigrad.function import Context
from minigrad.functional import validate as v
from minigrad.functional.window import (
    AXES,
    LETTERS,
    NdFunction,
    _is_int,
    channels_first,
    channels_last,
    col2im,
    dcols,
    dweight,
    gemm,
    im2col,
    int_param,
    ntuple,
    out_size,
    wmat,
)

_KERNEL = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}


def _padding(fn: str, name: str, padding: Any, kernel: tuple, dilation: tuple,
             stride: tuple) -> tuple:
    """((before, after), ...) zero padding per spatial axis from an int, one int per axis,
    'valid' or 'same'."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if stride != (1,) * nd:
                raise ShapeError(f"{fn}: {name}='same' needs stride 1 (as torch), got stride "
                                 f"{stride}")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)  # odd total: the extra at the end
        what = {1: "a 1-tuple", 2: "an (h, w) pair", 3: "a (d, h, w) triple"}[nd]
        raise ShapeError(f"{fn}: {name} must be an int >= 0, {what}, 'valid' or 'same', got "
                         f"{padding!r}")
    return tuple((p, p) for p in ntuple(fn, name, padding, 0, nd, ShapeRuntimeError))


def _padding_arg(fn: str, padding: Any, pad: Any) -> tuple[str, Any]:
    """(the name the caller used, the value) from torch's `padding` and CS231n's `pad`."""
    if pad is None:
        return "padding", padding
    if not (_is_int(padding) and padding == 0):
        raise TypeError(f"{fn}: give padding or pad, not both (got padding={padding!r} and "
                        f"pad={pad!r})")
    return "pad", pad


def _inputs(fn: str, x: Any, w: Any, b: Any, nd: int, transposed: bool = False) -> tuple:
    """Validated float x, w, b (or None) of matching ranks, dtypes and bias length."""
    x, w = v.floating(fn, "x", x), v.floating(fn, "w", w)
    v.ndim(fn, "x", x, nd + 2, f"(N, C, {LETTERS[nd]})")
    wl = "(C, F / groups, " if transposed else "(F, C / groups, "
    v.ndim(fn, "w", w, nd + 2, wl + _KERNEL[nd] + ")")
    v.nonempty(fn, "x", x)
    if b is not None:
        b = v.floating(fn, "b", b)
        v.ndim(fn, "b", b, 1, "(F,)")
        v.same_dtype(fn, ("x", "w", "b"), x, w, b)
    v.same_dtype(fn, ("x", "w"), x, w)
    return x, w, b


def _groups(fn: str, groups: Any, x: np.ndarray, w: np.ndarray, what: tuple) -> int:
    """`groups` as an int that divides x's channels and w's first dimension."""
    g = int_param(fn, "groups", groups, 1)
    C, F = x.shape[1], w.shape[0]
    if C % g or F % g:
        which, n = (what[0], C) if C % g else (what[1], F)
        raise ShapeError(f"{fn}: {which} = {n} must be divisible by groups = {g}, got x "
                         f"{x.shape} and w {w.shape}")
    return g


def _inside(pads: tuple, sizes: tuple, lead: int = 2) -> tuple:
    """Index of the unpadded part of a padded array."""
    return (slice(None),) * lead + tuple(slice(p[0], p[0] + n)
                                         for p, n in zip(pads, sizes, strict=True))


def _conv(ctx: Context, fn: str, nd: int, x: Any, w: Any, b: Any, stride: Any, padding: Any,
          dilation: Any, groups: Any, pname: str = "padding") -> np.ndarray:
    """Conv{nd}d's forward: validates, then im2col and one GEMM per group."""
    x, w, b = _inputs(fn, x, w, b, nd)
    if b is not None:
        v.same_dim(fn, "b", b, 0, "w", w, 0)
    g = _groups(fn, groups, x, w, ("x's channels C", "w's filters F"))
    if w.shape[1] * g != x.shape[1]:
        raise ShapeError(f"{fn}: x.shape[1] must equal w.shape[1] * groups = {w.shape[1]} * "
                         f"{g} = {w.shape[1] * g}, got x {x.shape} and w {w.shape}")
    s, d = ntuple(fn, "stride", stride, 1, nd), ntuple(fn, "dilation", dilation, 1, nd)
    pads = _padding(fn, pname, padding, w.shape[2:], d, s)
    N, C, sp = x.shape[0], x.shape[1], x.shape[2:]
    out = tuple(out_size(fn, ax, n, k, sa, p, da, error=ShapeRuntimeError)
                for ax, n, k, sa, p, da in zip(AXES[nd], sp, w.shape[2:], s, pads, d, strict=True))
    if all(p == (0, 0) for p in pads):
        xp = channels_last(x)  # (N, *spatial, C) view; im2col copies
    else:
        xp = np.zeros((N, *(n + sum(p) for n, p in zip(sp, pads, strict=True)), C),
                      dtype=x.dtype)  # (N, *padded, C)
        xp[_inside(pads, sp, lead=1)] = channels_last(x)
    cols = im2col(xp, w.shape[2:], s, d, out, g)  # (g, N*prod(out), prod(k)*Cg)
    y = gemm(cols, wmat(w, g))  # (N*prod(out), F)
    if b is not None:
        y += b
    ctx.save_for_backward(cols, w)
    ctx.meta = (x.shape, s, d, pads, g, out)
    return channels_first(y.reshape(N, *out, w.shape[0]))  # (N, F, *out), channels-last memory


class _ConvNd(NdFunction):
    """Shared forward/backward of Conv1d/2d/3d (not public): a subclass sets `nd`, the number
    of spatial axes; the Function's name in errors is the subclass's."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1) -> np.ndarray:
        return _conv(ctx, ctx.fn.__name__, ctx.fn.nd, x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        cols, w = ctx.saved_tensors
        shape, s, d, pads, g, out = ctx.meta
        N, C, sp = shape[0], shape[1], shape[2:]
        needs = ctx.needs_input_grad
        d2 = channels_last(dout).reshape(-1, dout.shape[1])  # (N*prod(out), F)
        dw = dweight(d2, cols, w.shape) if needs[1] else None
        db = d2.sum(axis=0) if len(needs) > 2 and needs[2] else None  # (F,)
        dx = None
        if needs[0]:
            dc = dcols(d2, wmat(w, g), (N, *out, *w.shape[2:], C))
            padded = (N, C, *(n + sum(p) for n, p in zip(sp, pads, strict=True)))
            dx = col2im(dc, padded, s, d, out)[_inside(pads, sp)]  # (N, C, *spatial)
        return (dx, dw, db)[:len(needs)]


class Conv1d(_ConvNd):
    """Cross-correlation as torch's F.conv1d: x (N, C, L), w (F, C / groups, k), b (F,) or
    None -> (N, F, L'), L' = floor((L + 2 p - d (k - 1) - 1) / s) + 1."""

    nd = 1


class Conv2d(_ConvNd):
    """Cross-correlation as torch's F.conv2d: x (N, C, H, W), w (F, C / groups, kh, kw), b (F,)
    or None -> (N, F, H', W'); `pad` is an alias of `padding`."""

    nd = 2

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1, pad: Any = None) -> np.ndarray:
        pname, padding = _padding_arg("Conv2d", padding, pad)
        return _conv(ctx, "Conv2d", 2, x, w, b, stride, padding, dilation, groups, pname)


class Conv3d(_ConvNd):
    """Cross-correlation as torch's F.conv3d: x (N, C, D, H, W), w (F, C / groups, kd, kh, kw),
    b (F,) or None -> (N, F, D', H', W')."""

    nd = 3


def _conv_t(ctx: Context, fn: str, nd: int, x: Any, w: Any, b: Any, stride: Any,
            padding: Any, output_padding: Any, groups: Any, dilation: Any) -> np.ndarray:
    """ConvTranspose{nd}d's forward: one GEMM per group, then col2im."""
    x, w, b = _inputs(fn, x, w, b, nd, transposed=True)
    v.same_dim(fn, "x", x, 1, "w", w, 0)
    g = _groups(fn, groups, x, w, ("x's channels C", "w.shape[0]"))
    N, C, sp, k = x.shape[0], x.shape[1], x.shape[2:], w.shape[2:]
    F = w.shape[1] * g
    if b is not None and b.shape[0] != F:
        raise ShapeError(f"{fn}: b.shape[0] must equal w.shape[1] * groups = {F}, got b "
                         f"{b.shape} and w {w.shape}")
    s, d = ntuple(fn, "stride", stride, 1, nd), ntuple(fn, "dilation", dilation, 1, nd)
    p = ntuple(fn, "padding", padding, 0, nd, ShapeRuntimeError)
    op = ntuple(fn, "output_padding", output_padding, 0, nd)
    if any(o >= max(sa, da) for o, sa, da in zip(op, s, d, strict=True)):
        raise ShapeError(f"{fn}: output_padding {op} must be smaller than stride {s} or "
                         f"dilation {d} on each side (as torch)")
    full = tuple((n - 1) * sa + da * (ka - 1) + 1 + o
                 for n, sa, da, ka, o in zip(sp, s, d, k, op, strict=True))
    out = tuple(f - 2 * pa for f, pa in zip(full, p, strict=True))
    if min(out) < 1:
        raise ShapeError(f"{fn}: output size {out} must be positive: padding {p} is too "
                         f"large for input {sp}, kernel {k}, stride {s}")
    d2 = channels_last(x).reshape(-1, C)  # (N*prod(spatial), C)
    dc = dcols(d2, wmat(w, g), (N, *sp, *k, F))
    y = col2im(dc, (N, F, *full), s, d, sp)[_inside(tuple((pa, pa) for pa in p), out)]
    if b is not None:
        y = y + b.reshape(F, *(1,) * nd)
    ctx.save_for_backward(x, w)
    ctx.meta = (s, d, p, full, g)
    return y  # (N, F, *out)


class _ConvTransposeNd(NdFunction):
    """Shared forward/backward of ConvTranspose1d/2d/3d (not public): a subclass sets `nd`,
    the number of spatial axes; backward is im2col of dout, one GEMM per gradient and group."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> np.ndarray:
        return _conv_t(ctx, ctx.fn.__name__, ctx.fn.nd, x, w, b, stride, padding,
                       output_padding, groups, dilation)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, w = ctx.saved_tensors
        s, d, p, full, g = ctx.meta
        nd, (N, C), sp = x.ndim - 2, x.shape[:2], x.shape[2:]
        needs = ctx.needs_input_grad
        dfull = np.zeros((N, *full, dout.shape[1]), dtype=dout.dtype)  # (N, *full, F)
        dfull[_inside(tuple((pa, pa) for pa in p), dout.shape[2:], lead=1)] = channels_last(dout)
        cols = im2col(dfull, w.shape[2:], s, d, sp, g)  # (g, N*prod(spatial), prod(k)*F/g)
        dx = dw = None
        if needs[0]:
            dx = channels_first(gemm(cols, wmat(w, g)).reshape(N, *sp, C))
        if needs[1]:
            dw = dweight(channels_last(x).reshape(-1, C), cols, w.shape)
        db = dout.sum(axis=(0, *range(2, nd + 2))) if len(needs) > 2 and needs[2] else None
        return (dx, dw, db)[:len(needs)]


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed convolution as torch's F.conv_transpose1d: x (N, C, L), w (C, F / groups, k),
    b (F,) or None -> (N, F, L'), L' = (L - 1) s - 2 p + d (k - 1) + output_padding + 1."""

    nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed convolution as torch's F.conv_transpose2d: x (N, C, H, W),
    w (C, F / groups, kh, kw), b (F,) or None -> (N, F, H', W'),
    H' = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1."""

    nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed convolution as torch's F.conv_transpose3d: x (N, C, D, H, W),
    w (C, F / groups, kd, kh, kw), b (F,) or None -> (N, F, D', H', W')."""

    nd = 3


def conv1d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Any:
    """torch's F.conv1d: (N, C, L), (F, C / groups, k), (F,) or None -> (N, F, L')."""
    return Conv1d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def conv2d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, *, pad: Any = None) -> Any:
    """torch's F.conv2d: (N, C, H, W), (F, C / groups, kh, kw), (F,) or None -> (N, F, H', W')."""
    return Conv2d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, pad=pad)


def conv3d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Any:
    """torch's F.conv3d: (N, C, D, H, W), (F, C / groups, kd, kh, kw), (F,) or None ->
    (N, F, D', H', W')."""
    return Conv3d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def conv_transpose1d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """torch's F.conv_transpose1d: (N, C, L), (C, F / groups, k), (F,) or None -> (N, F, L')."""
    return ConvTranspose1d.apply(x, w, b, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups, dilation=dilation)


def conv_transpose2d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """torch's F.conv_transpose2d: (N, C, H, W), (C, F / groups, kh, kw), (F,) or None ->
    (N, F, H', W')."""
    return ConvTranspose2d.apply(x, w, b, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups, dilation=dilation)


def conv_transpose3d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """torch's F.conv_transpose3d: (N, C, D, H, W), (C, F / groups, kd, kh, kw), (F,) or None
    -> (N, F, D', H', W')."""
    return ConvTranspose3d.apply(x, w, b, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups, dilation=dilation)


__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d"]

TENSOR_METHODS: dict = {}
