"""2-D convolution on (N, C, H, W) images as torch's F.conv2d, vectorised with strided windows.

`Conv2d` is a cross-correlation with stride, zero padding (ints, (h, w) pairs, 'valid' or
'same'), dilation and groups; the output size floors like torch,
H' = floor((H + 2 p - d (k - 1) - 1) / s) + 1, so rows and columns a window cannot reach are
cropped. Forward pads into a channels-last buffer, builds the im2col matrix from
`sliding_window_view` and does one GEMM per group; backward does one GEMM per gradient and
group and scatters the column gradient back with a loop over the kh·kw kernel offsets only.
The output is an (N, F, H', W') view of channels-last memory, so a following conv's transpose is
cheap. The geometry helpers here are shared with the pooling family.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v

_windows = np.lib.stride_tricks.sliding_window_view


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_param(fn: str, name: str, value: Any, low: int) -> int:
    """`value` as a Python int >= low (bools and floats refused)."""
    if not _is_int(value) or value < low:
        raise ShapeError(f"{fn}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def pair(fn: str, name: str, value: Any, low: int) -> tuple[int, int]:
    """An int or an (h, w) pair of ints, each >= low, as an (h, w) tuple."""
    if _is_int(value) and value >= low:
        return int(value), int(value)
    if (isinstance(value, (tuple, list)) and len(value) == 2
            and all(_is_int(a) and a >= low for a in value)):
        return int(value[0]), int(value[1])
    raise ShapeError(f"{fn}: {name} must be an int >= {low} or an (h, w) pair of them, "
                     f"got {value!r}")


def out_size(fn: str, axis: str, size: int, k: int, s: int, pads: tuple[int, int], d: int,
             ceil_mode: bool = False) -> int:
    """Windows along one axis: floor((size + pads - d (k - 1) - 1) / s) + 1, as torch.

    With `ceil_mode` the division rounds up, but the last window must start inside the input
    or its leading padding (torch's pooling rule). A kernel larger than the padded input is a
    ShapeError.
    """
    total = size + pads[0] + pads[1]
    extent = d * (k - 1) + 1
    if extent > total:
        dil = f" (dilation {d}: extent {extent})" if d > 1 else ""
        raise ShapeError(f"{fn}: kernel {axis} {k}{dil} is larger than the padded input {axis} "
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


def _padding(fn: str, name: str, padding: Any, kernel: tuple, dilation: tuple,
             stride: tuple) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) zero padding from an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ShapeError(f"{fn}: {name}='same' needs stride 1 (as torch), got stride "
                                 f"{stride}")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)  # odd total: the extra at the end
        raise ShapeError(f"{fn}: {name} must be an int >= 0, an (h, w) pair, 'valid' or 'same', "
                         f"got {padding!r}")
    ph, pw = pair(fn, name, padding, 0)
    return (ph, ph), (pw, pw)


def _padding_arg(fn: str, padding: Any, pad: Any) -> tuple[str, Any]:
    """(the name the caller used, the value) from torch's `padding` and CS231n's `pad`."""
    if pad is None:
        return "padding", padding
    if not (_is_int(padding) and padding == 0):
        raise TypeError(f"{fn}: give padding or pad, not both (got padding={padding!r} and "
                        f"pad={pad!r})")
    return "pad", pad


def _col2im(dcols: np.ndarray, padded: tuple, s: tuple, d: tuple, out: tuple) -> np.ndarray:
    """Sum the column gradient (N, Ho, Wo, kh, kw, C) into the padded input (N, C, Hp, Wp).

    One strided add per kernel offset; few channels accumulate channels-first (contiguous
    rows), many channels-last (contiguous channel vectors), whichever numpy adds faster.
    """
    N, C, Hp, Wp = padded
    kh, kw = dcols.shape[3:5]
    if C <= 16:
        dxp = np.zeros(padded, dtype=dcols.dtype)  # (N, C, Hp, Wp)
        for i, j in np.ndindex(kh, kw):
            dxp[:, :, offsets(i * d[0], s[0], out[0]), offsets(j * d[1], s[1], out[1])] += \
                dcols[:, :, :, i, j].transpose(0, 3, 1, 2)
        return dxp
    dxp = np.zeros((N, Hp, Wp, C), dtype=dcols.dtype)  # (N, Hp, Wp, C)
    for i, j in np.ndindex(kh, kw):
        dxp[:, offsets(i * d[0], s[0], out[0]), offsets(j * d[1], s[1], out[1])] += \
            dcols[:, :, :, i, j]
    return dxp.transpose(0, 3, 1, 2)


class Conv2d(Function):
    """Cross-correlation as torch's F.conv2d: x (N, C, H, W), w (F, C / groups, kh, kw), b (F,)
    or None -> (N, F, H', W'); `pad` is an alias of `padding`."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1, pad: Any = None) -> np.ndarray:
        fn = "Conv2d"
        x, w = v.floating(fn, "x", x), v.floating(fn, "w", w)
        v.ndim(fn, "x", x, 4, "(N, C, H, W)")
        v.ndim(fn, "w", w, 4, "(F, C / groups, kh, kw)")
        v.nonempty(fn, "x", x)
        if b is not None:
            b = v.floating(fn, "b", b)
            v.ndim(fn, "b", b, 1, "(F,)")
            v.same_dim(fn, "b", b, 0, "w", w, 0)
            v.same_dtype(fn, ("x", "w", "b"), x, w, b)
        v.same_dtype(fn, ("x", "w"), x, w)
        N, C, H, W = x.shape
        F, Cg, kh, kw = w.shape
        g = int_param(fn, "groups", groups, 1)
        if C % g or F % g:
            which, n = ("x's channels C", C) if C % g else ("w's filters F", F)
            raise ShapeError(f"{fn}: {which} = {n} must be divisible by groups = {g}, got x "
                             f"{x.shape} and w {w.shape}")
        if Cg * g != C:
            raise ShapeError(f"{fn}: x.shape[1] must equal w.shape[1] * groups = {Cg} * {g} = "
                             f"{Cg * g}, got x {x.shape} and w {w.shape}")
        s = pair(fn, "stride", stride, 1)
        d = pair(fn, "dilation", dilation, 1)
        pname, padding = _padding_arg(fn, padding, pad)
        ph, pw = _padding(fn, pname, padding, (kh, kw), d, s)
        Ho = out_size(fn, "height", H, kh, s[0], ph, d[0])
        Wo = out_size(fn, "width", W, kw, s[1], pw, d[1])
        if ph == pw == (0, 0):
            xp = x.transpose(0, 2, 3, 1)  # (N, H, W, C) view; im2col below copies
        else:
            xp = np.zeros((N, H + sum(ph), W + sum(pw), C), dtype=x.dtype)  # (N, Hp, Wp, C)
            xp[:, ph[0]:ph[0] + H, pw[0]:pw[0] + W] = x.transpose(0, 2, 3, 1)
        extent = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
        win = _windows(xp, extent, axis=(1, 2))[:, ::s[0], ::s[1], :, ::d[0], ::d[1]]
        M, K = N * Ho * Wo, kh * kw * Cg
        cols = (win.reshape(N, Ho, Wo, g, Cg, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4)
                .reshape(g, M, K))  # (g, N*Ho*Wo, kh*kw*Cg) im2col copy
        w2 = w.reshape(g, F // g, Cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(g, F // g, K)
        if g == 1:
            out = cols[0] @ w2[0].T  # (N*Ho*Wo, F)
        else:
            out = np.concatenate([cols[i] @ w2[i].T for i in range(g)], axis=1)
        if b is not None:
            out += b
        ctx.save_for_backward(cols, w)
        ctx.meta = (x.shape, s, d, ph, pw, g, Ho, Wo)
        return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)  # (N, F, Ho, Wo), NHWC in memory

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        cols, w = ctx.saved_tensors
        (N, C, H, W), s, d, ph, pw, g, Ho, Wo = ctx.meta
        F, Cg, kh, kw = w.shape
        Fg = F // g
        d2 = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)  # (N*Ho*Wo, F)
        dx = dw = db = None
        if ctx.needs_input_grad[1]:
            dw2 = np.concatenate([d2[:, i * Fg:(i + 1) * Fg].T @ cols[i] for i in range(g)])
            dw = dw2.reshape(F, kh, kw, Cg).transpose(0, 3, 1, 2)  # (F, Cg, kh, kw)
        has_b = len(ctx.needs_input_grad) > 2
        if has_b and ctx.needs_input_grad[2]:
            db = d2.sum(axis=0)  # (F,)
        if ctx.needs_input_grad[0]:
            w2 = w.reshape(g, Fg, Cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(g, Fg, -1)
            if g == 1:
                dcols = (d2 @ w2[0]).reshape(N, Ho, Wo, kh, kw, C)
            else:
                dcols = np.empty((N, Ho, Wo, kh, kw, C), dtype=dout.dtype)
                for i in range(g):
                    dcols[..., i * Cg:(i + 1) * Cg] = (d2[:, i * Fg:(i + 1) * Fg] @ w2[i]).reshape(
                        N, Ho, Wo, kh, kw, Cg)
            dx = _col2im(dcols, (N, C, H + sum(ph), W + sum(pw)), s, d, (Ho, Wo))
            dx = dx[:, :, ph[0]:ph[0] + H, pw[0]:pw[0] + W]  # (N, C, H, W)
        return (dx, dw, db) if has_b else (dx, dw)


def conv2d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, *, pad: Any = None) -> Any:
    """torch's F.conv2d: (N, C, H, W), (F, C / groups, kh, kw), (F,) or None -> (N, F, H', W')."""
    return Conv2d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, pad=pad)


__all__ = ["Conv2d", "conv2d"]

TENSOR_METHODS: dict = {}
