"""Convolutions on (N, C, H, W) images and (N, C, L) sequences as torch's F.conv2d, F.conv1d and
F.conv_transpose2d, vectorised with strided windows.

`Conv2d` is a cross-correlation with stride, zero padding (ints, (h, w) pairs, 'valid' or
'same'), dilation and groups; the output size floors like torch,
H' = floor((H + 2 p - d (k - 1) - 1) / s) + 1, so rows and columns a window cannot reach are
cropped. Forward pads into a channels-last buffer, builds the im2col matrix from
`sliding_window_view` and does one GEMM per group; backward does one GEMM per gradient and
group and scatters the column gradient back (col2im) with a loop over the kh·kw kernel offsets
only. The output is an (N, F, H', W') view of channels-last memory, so a following conv's
transpose is cheap. `Conv1d` is `Conv2d` on a height-1 image. `ConvTranspose2d` is the
gradient of a conv with respect to its input: its forward is col2im, its backward im2col.
The geometry helpers here are shared with the pooling family.
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



def _im2col(xp: np.ndarray, k: tuple, s: tuple, d: tuple, out: tuple, g: int) -> np.ndarray:
    """(g, N·Ho·Wo, kh·kw·C/g) columns of the windows of a padded channels-last (N, Hp, Wp, C)."""
    N, C = xp.shape[0], xp.shape[3]
    extent = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    win = _windows(xp, extent, axis=(1, 2))[:, ::s[0], ::s[1], :, ::d[0], ::d[1]]
    win = win[:, :out[0], :out[1]]  # (N, Ho, Wo, C, kh, kw) view
    return (win.reshape(N, out[0], out[1], g, C // g, *k).transpose(3, 0, 1, 2, 5, 6, 4)
            .reshape(g, N * out[0] * out[1], -1))  # one copy


def _wmat(w: np.ndarray, g: int) -> np.ndarray:
    """Weight (F, Cg, kh, kw) as g matrices (g, F/g, kh·kw·Cg) matching `_im2col`'s columns."""
    F, Cg, kh, kw = w.shape
    return w.reshape(g, F // g, Cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(g, F // g, -1)


def _gemm(cols: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """(N·Ho·Wo, F) = per group cols (M, K) @ w2 (F/g, K).T, groups side by side."""
    if len(cols) == 1:
        return cols[0] @ w2[0].T
    return np.concatenate([c @ m.T for c, m in zip(cols, w2, strict=True)], axis=1)


def _dcols(d2: np.ndarray, w2: np.ndarray, shape: tuple) -> np.ndarray:
    """Column gradient (N, Ho, Wo, kh, kw, C) of d2 (N·Ho·Wo, F) through the weight matrices."""
    g, Fg = w2.shape[:2]
    if g == 1:
        return (d2 @ w2[0]).reshape(shape)
    Cg = shape[-1] // g
    dcols = np.empty(shape, dtype=d2.dtype)
    for i in range(g):
        dcols[..., i * Cg:(i + 1) * Cg] = (d2[:, i * Fg:(i + 1) * Fg] @ w2[i]).reshape(
            *shape[:-1], Cg)
    return dcols


def _dw(d2: np.ndarray, cols: np.ndarray, shape: tuple) -> np.ndarray:
    """Weight gradient (F, Cg, kh, kw) from d2 (N·Ho·Wo, F) and the columns (g, M, K)."""
    F, Cg, kh, kw = shape
    Fg = F // len(cols)
    dw2 = np.concatenate([d2[:, i * Fg:(i + 1) * Fg].T @ c for i, c in enumerate(cols)])
    return dw2.reshape(F, kh, kw, Cg).transpose(0, 3, 1, 2)


def _inputs(fn: str, x: Any, w: Any, b: Any, nd: int, letters: tuple) -> tuple:
    """Validated float x, w, b (or None) of matching ranks, dtypes and bias length."""
    x, w = v.floating(fn, "x", x), v.floating(fn, "w", w)
    v.ndim(fn, "x", x, nd, letters[0])
    v.ndim(fn, "w", w, nd, letters[1])
    v.nonempty(fn, "x", x)
    if b is not None:
        b = v.floating(fn, "b", b)
        v.ndim(fn, "b", b, 1, letters[2])
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


def _conv_forward(ctx: Context, fn: str, x: np.ndarray, w: np.ndarray, b: Any, s: tuple,
                  pads: tuple, d: tuple, g: int, axes: tuple = ("height", "width")) -> np.ndarray:
    """Conv2d's forward on validated 4-D arrays; saves what `_conv_backward` needs."""
    N, C, H, W = x.shape
    F, Cg, kh, kw = w.shape
    ph, pw = pads
    Ho = out_size(fn, axes[0], H, kh, s[0], ph, d[0])
    Wo = out_size(fn, axes[1], W, kw, s[1], pw, d[1])
    if ph == pw == (0, 0):
        xp = x.transpose(0, 2, 3, 1)  # (N, H, W, C) view; im2col copies
    else:
        xp = np.zeros((N, H + sum(ph), W + sum(pw), C), dtype=x.dtype)  # (N, Hp, Wp, C)
        xp[:, ph[0]:ph[0] + H, pw[0]:pw[0] + W] = x.transpose(0, 2, 3, 1)
    cols = _im2col(xp, (kh, kw), s, d, (Ho, Wo), g)  # (g, N*Ho*Wo, kh*kw*Cg)
    out = _gemm(cols, _wmat(w, g))  # (N*Ho*Wo, F)
    if b is not None:
        out += b
    ctx.save_for_backward(cols, w)
    ctx.meta = (x.shape, s, d, pads, g, Ho, Wo)
    return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)  # (N, F, Ho, Wo), NHWC in memory


def _conv_backward(ctx: Context, dout: np.ndarray) -> tuple:
    cols, w = ctx.saved_tensors
    (N, C, H, W), s, d, (ph, pw), g, Ho, Wo = ctx.meta
    needs = ctx.needs_input_grad
    d2 = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, -1)  # (N*Ho*Wo, F)
    dw = _dw(d2, cols, w.shape) if needs[1] else None
    db = d2.sum(axis=0) if len(needs) > 2 and needs[2] else None  # (F,)
    dx = None
    if needs[0]:
        dcols = _dcols(d2, _wmat(w, g), (N, Ho, Wo, *w.shape[2:], C))
        dx = _col2im(dcols, (N, C, H + sum(ph), W + sum(pw)), s, d, (Ho, Wo))
        dx = dx[:, :, ph[0]:ph[0] + H, pw[0]:pw[0] + W]  # (N, C, H, W)
    return (dx, dw, db)[:len(needs)]


class Conv2d(Function):
    """Cross-correlation as torch's F.conv2d: x (N, C, H, W), w (F, C / groups, kh, kw), b (F,)
    or None -> (N, F, H', W'); `pad` is an alias of `padding`."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1, pad: Any = None) -> np.ndarray:
        fn = "Conv2d"
        x, w, b = _inputs(fn, x, w, b, 4, ("(N, C, H, W)", "(F, C / groups, kh, kw)", "(F,)"))
        if b is not None:
            v.same_dim(fn, "b", b, 0, "w", w, 0)
        g = _groups(fn, groups, x, w, ("x's channels C", "w's filters F"))
        if w.shape[1] * g != x.shape[1]:
            raise ShapeError(f"{fn}: x.shape[1] must equal w.shape[1] * groups = {w.shape[1]} * "
                             f"{g} = {w.shape[1] * g}, got x {x.shape} and w {w.shape}")
        s, d = pair(fn, "stride", stride, 1), pair(fn, "dilation", dilation, 1)
        pname, padding = _padding_arg(fn, padding, pad)
        pads = _padding(fn, pname, padding, w.shape[2:], d, s)
        return _conv_forward(ctx, fn, x, w, b, s, pads, d, g)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        return _conv_backward(ctx, dout)


def _single(fn: str, name: str, value: Any, low: int) -> int:
    """An int or a 1-tuple of one, >= low (conv1d's stride, padding, dilation)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not _is_int(value) or value < low:
        raise ShapeError(f"{fn}: {name} must be an int >= {low} (or a 1-tuple), got {value!r}")
    return int(value)


class Conv1d(Function):
    """Cross-correlation as torch's F.conv1d: x (N, C, L), w (F, C / groups, k), b (F,) or
    None -> (N, F, L'), L' = floor((L + 2 p - d (k - 1) - 1) / s) + 1."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                dilation: Any = 1, groups: int = 1) -> np.ndarray:
        fn = "Conv1d"
        x, w, b = _inputs(fn, x, w, b, 3, ("(N, C, L)", "(F, C / groups, k)", "(F,)"))
        if b is not None:
            v.same_dim(fn, "b", b, 0, "w", w, 0)
        g = _groups(fn, groups, x, w, ("x's channels C", "w's filters F"))
        if w.shape[1] * g != x.shape[1]:
            raise ShapeError(f"{fn}: x.shape[1] must equal w.shape[1] * groups = {w.shape[1]} * "
                             f"{g} = {w.shape[1] * g}, got x {x.shape} and w {w.shape}")
        s, d = (1, _single(fn, "stride", stride, 1)), (1, _single(fn, "dilation", dilation, 1))
        if not isinstance(padding, str):
            padding = (0, _single(fn, "padding", padding, 0))
        pads = _padding(fn, "padding", padding, (1, w.shape[2]), d, s)
        out = _conv_forward(ctx, fn, x[:, :, None], w[:, :, None], b, s, pads, d, g,
                            ("height", "length"))
        return out[:, :, 0]  # (N, F, L')

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        grads = _conv_backward(ctx, dout[:, :, None])
        return tuple(gr if gr is None or gr.ndim == 1 else gr[:, :, 0] for gr in grads)


class ConvTranspose2d(Function):
    """Transposed convolution as torch's F.conv_transpose2d: x (N, C, H, W),
    w (C, F / groups, kh, kw), b (F,) or None -> (N, F, H', W'),
    H' = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> np.ndarray:
        fn = "ConvTranspose2d"
        x, w, b = _inputs(fn, x, w, b, 4, ("(N, C, H, W)", "(C, F / groups, kh, kw)", "(F,)"))
        v.same_dim(fn, "x", x, 1, "w", w, 0)
        g = _groups(fn, groups, x, w, ("x's channels C", "w.shape[0]"))
        N, C, H, W = x.shape
        F = w.shape[1] * g
        if b is not None and b.shape[0] != F:
            raise ShapeError(f"{fn}: b.shape[0] must equal w.shape[1] * groups = {F}, got b "
                             f"{b.shape} and w {w.shape}")
        s, d = pair(fn, "stride", stride, 1), pair(fn, "dilation", dilation, 1)
        p, op = pair(fn, "padding", padding, 0), pair(fn, "output_padding", output_padding, 0)
        if op[0] >= max(s[0], d[0]) or op[1] >= max(s[1], d[1]):
            raise ShapeError(f"{fn}: output_padding {op} must be smaller than stride {s} or "
                             f"dilation {d} on each side (as torch)")
        full = tuple((n - 1) * sa + da * (k - 1) + 1 + o
                     for n, sa, da, k, o in zip((H, W), s, d, w.shape[2:], op, strict=True))
        out = (full[0] - 2 * p[0], full[1] - 2 * p[1])
        if min(out) < 1:
            raise ShapeError(f"{fn}: output size {out} must be positive: padding {p} is too "
                             f"large for input {(H, W)}, kernel {w.shape[2:]}, stride {s}")
        d2 = x.transpose(0, 2, 3, 1).reshape(N * H * W, C)  # (N*H*W, C)
        dcols = _dcols(d2, _wmat(w, g), (N, H, W, *w.shape[2:], F))
        y = _col2im(dcols, (N, F, *full), s, d, (H, W))[:, :, p[0]:p[0] + out[0],
                                                         p[1]:p[1] + out[1]]
        if b is not None:
            y = y + b[:, None, None]
        ctx.save_for_backward(x, w)
        ctx.meta = (s, d, p, full, g)
        return y  # (N, F, H', W')

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, w = ctx.saved_tensors
        s, d, p, full, g = ctx.meta
        N, C, H, W = x.shape
        needs = ctx.needs_input_grad
        Ho, Wo = dout.shape[2:]
        dfull = np.zeros((N, *full, dout.shape[1]), dtype=dout.dtype)  # (N, Hf, Wf, F)
        dfull[:, p[0]:p[0] + Ho, p[1]:p[1] + Wo] = dout.transpose(0, 2, 3, 1)
        cols = _im2col(dfull, w.shape[2:], s, d, (H, W), g)  # (g, N*H*W, kh*kw*F/g)
        dx = dw = None
        if needs[0]:
            dx = _gemm(cols, _wmat(w, g)).reshape(N, H, W, C).transpose(0, 3, 1, 2)
        if needs[1]:
            dw = _dw(x.transpose(0, 2, 3, 1).reshape(N * H * W, C), cols, w.shape)
        db = dout.sum(axis=(0, 2, 3)) if len(needs) > 2 and needs[2] else None
        return (dx, dw, db)[:len(needs)]


def conv2d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1, *, pad: Any = None) -> Any:
    """torch's F.conv2d: (N, C, H, W), (F, C / groups, kh, kw), (F,) or None -> (N, F, H', W')."""
    return Conv2d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups, pad=pad)


def conv1d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
           groups: int = 1) -> Any:
    """torch's F.conv1d: (N, C, L), (F, C / groups, k), (F,) or None -> (N, F, L')."""
    return Conv1d.apply(x, w, b, stride=stride, padding=padding, dilation=dilation,
                        groups=groups)


def conv_transpose2d(x: Any, w: Any, b: Any = None, stride: Any = 1, padding: Any = 0,
                     output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Any:
    """torch's F.conv_transpose2d: (N, C, H, W), (C, F / groups, kh, kw), (F,) or None ->
    (N, F, H', W')."""
    return ConvTranspose2d.apply(x, w, b, stride=stride, padding=padding,
                                 output_padding=output_padding, groups=groups, dilation=dilation)


__all__ = ["Conv2d", "Conv1d", "ConvTranspose2d", "conv2d", "conv1d", "conv_transpose2d"]

TENSOR_METHODS: dict = {}
