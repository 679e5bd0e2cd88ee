"""Convolution and max pooling on (N, C, H, W) images, vectorised with strided window views.

`Conv2d` is CS231n's `conv_forward`: zero padding `pad` on each side, `stride` in both
directions, and the output size H' = 1 + (H + 2 pad - HH) / stride must be an integer (an
uneven fit is a ShapeError rather than a silent crop). Forward pads into a channels-last
buffer, builds the im2col matrix from `sliding_window_view` and does one GEMM; backward does one
GEMM per gradient and scatters the column gradient back with a loop over the HH·WW kernel
offsets only. The output is an (N, F, H', W') view of channels-last memory, so a following
conv's transpose is cheap.

`MaxPool2d` has the same output-size rule; forward and backward loop over the k·k window
offsets (strided slices), never over pixels. Tie rule: the gradient of a window goes to its
FIRST maximum in row-major order within the window (as torch's CPU `max_pool2d`); overlapping
windows (stride < kernel) accumulate.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v

_windows = np.lib.stride_tricks.sliding_window_view


def _int_param(fn: str, name: str, value: Any, low: int) -> int:
    """`value` as a Python int >= low (bools and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ShapeError(f"{fn}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def _out_size(fn: str, axis: str, size: int, kernel: int, stride: int, pad: int) -> int:
    """1 + (size + 2 pad - kernel) / stride, or a ShapeError when it is not a positive integer."""
    span = size + 2 * pad - kernel
    if span < 0:
        raise ShapeError(f"{fn}: kernel {axis} {kernel} is larger than the padded input {axis} "
                         f"{size} + 2*{pad} = {size + 2 * pad}")
    if span % stride:
        raise ShapeError(f"{fn}: output {axis} 1 + ({size} + 2*{pad} - {kernel}) / {stride} is not "
                         f"an integer; choose pad/stride so that the windows tile the input")
    return 1 + span // stride


class Conv2d(Function):
    """Cross-correlation as CS231n conv_forward: x (N, C, H, W), w (F, C, HH, WW), b (F,) ->
    (N, F, H', W') with H' = 1 + (H + 2 pad - HH) / stride."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any, stride: int = 1, pad: int = 0) -> np.ndarray:
        fn = "Conv2d"
        x, w, b = (v.floating(fn, n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        v.ndim(fn, "x", x, 4, "(N, C, H, W)")
        v.ndim(fn, "w", w, 4, "(F, C, HH, WW)")
        v.ndim(fn, "b", b, 1, "(F,)")
        v.nonempty(fn, "x", x)
        v.same_dim(fn, "x", x, 1, "w", w, 1)
        v.same_dim(fn, "b", b, 0, "w", w, 0)
        v.same_dtype(fn, ("x", "w", "b"), x, w, b)
        s = _int_param(fn, "stride", stride, 1)
        p = _int_param(fn, "pad", pad, 0)
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        Ho = _out_size(fn, "height", H, HH, s, p)
        Wo = _out_size(fn, "width", W, WW, s, p)
        xp = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=x.dtype)  # (N, Hp, Wp, C) channels last
        xp[:, p:p + H, p:p + W] = x.transpose(0, 2, 3, 1)
        win = _windows(xp, (HH, WW), axis=(1, 2))[:, ::s, ::s]  # (N, Ho, Wo, C, HH, WW) view
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(N * Ho * Wo, HH * WW * C)  # im2col copy
        w2 = w.transpose(0, 2, 3, 1).reshape(F, HH * WW * C)
        out = cols @ w2.T + b  # (N*Ho*Wo, F)
        ctx.save_for_backward(cols, w)
        ctx.meta = (x.shape, s, p, Ho, Wo)
        return out.reshape(N, Ho, Wo, F).transpose(0, 3, 1, 2)  # (N, F, Ho, Wo), NHWC in memory

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        cols, w = ctx.saved_tensors
        (N, C, H, W), s, p, Ho, Wo = ctx.meta
        F, _, HH, WW = w.shape
        d2 = dout.transpose(0, 2, 3, 1).reshape(N * Ho * Wo, F)  # (N*Ho*Wo, F)
        dx = dw = db = None
        if ctx.needs_input_grad[1]:
            dw = (d2.T @ cols).reshape(F, HH, WW, C).transpose(0, 3, 1, 2)  # (F, C, HH, WW)
        if ctx.needs_input_grad[2]:
            db = d2.sum(axis=0)  # (F,)
        if ctx.needs_input_grad[0]:
            w2 = w.transpose(0, 2, 3, 1).reshape(F, HH * WW * C)
            dcols = (d2 @ w2).reshape(N, Ho, Wo, HH, WW, C)
            dxp = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=dout.dtype)  # (N, Hp, Wp, C)
            for i in range(HH):
                for j in range(WW):
                    dxp[:, i:i + s * Ho:s, j:j + s * Wo:s] += dcols[:, :, :, i, j]
            dx = dxp[:, p:p + H, p:p + W].transpose(0, 3, 1, 2)  # (N, C, H, W)
        return dx, dw, db


class MaxPool2d(Function):
    """Max over kernel×kernel windows: x (N, C, H, W) -> (N, C, H', W'),
    H' = 1 + (H - kernel) / stride; ties send the gradient to the first max (row-major)."""

    @staticmethod
    def forward(ctx: Context, x: Any, kernel: int = 2, stride: int = 2) -> np.ndarray:
        fn = "MaxPool2d"
        x = v.floating(fn, "x", x)
        v.ndim(fn, "x", x, 4, "(N, C, H, W)")
        v.nonempty(fn, "x", x)
        k = _int_param(fn, "kernel", kernel, 1)
        s = _int_param(fn, "stride", stride, 1)
        N, C, H, W = x.shape
        Ho = _out_size(fn, "height", H, k, s, 0)
        Wo = _out_size(fn, "width", W, k, s, 0)
        out = x[:, :, :s * Ho:s, :s * Wo:s].copy()  # (N, C, Ho, Wo)
        for i, j in np.ndindex(k, k):
            np.maximum(out, x[:, :, i:i + s * Ho:s, j:j + s * Wo:s], out=out)
        ctx.save_for_backward(x, out)
        ctx.meta = (k, s)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        x, out = ctx.saved_tensors
        k, s = ctx.meta
        Ho, Wo = out.shape[2:]
        dx = np.zeros(x.shape, dtype=dout.dtype)  # (N, C, H, W)
        taken = np.zeros(out.shape, dtype=bool)  # window already sent its gradient
        zero = np.zeros((), dtype=dout.dtype)
        for i, j in np.ndindex(k, k):  # row-major: the first max in a window wins a tie
            hit = x[:, :, i:i + s * Ho:s, j:j + s * Wo:s] == out
            hit &= ~taken
            taken |= hit
            dx[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.where(hit, dout, zero)
        return dx


def conv2d(x: Any, w: Any, b: Any, stride: int = 1, pad: int = 0) -> Any:
    """(N, C, H, W), (F, C, HH, WW), (F,) -> (N, F, H', W')."""
    return Conv2d.apply(x, w, b, stride=stride, pad=pad)


def max_pool2d(x: Any, kernel: int = 2, stride: int = 2) -> Any:
    """(N, C, H, W) -> (N, C, H', W')."""
    return MaxPool2d.apply(x, kernel=kernel, stride=stride)


__all__ = ["Conv2d", "MaxPool2d", "conv2d", "max_pool2d"]

TENSOR_METHODS: dict = {}
