"""Convolution, pooling and upsampling layers on (N, C, H, W) images, with torch's names and
reprs."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.functional import conv as _conv
from minigrad.functional import pool as _pool
from minigrad.functional import resample as _resample
from minigrad.functional import window as _win
from minigrad.nn import init
from minigrad.nn.layers import _positive, _rng
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


class Conv2d(Module):
    """2-D convolution as torch's nn.Conv2d: x (N, C, H, W), weight (F, C / groups, kh, kw),
    bias (F,) or None -> (N, F, H', W').

    CS231n's positional form `Conv2d(C, F, kernel, stride, pad, dtype, rng)` and the `pad=`
    keyword still work; `dtype` and `rng` (a numpy Generator) choose the weights' dtype and draw.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = np.float32,
                 rng: np.random.Generator | None = None, *, pad: Any = None) -> None:
        super().__init__()
        fn = "Conv2d"
        if isinstance(dilation, (type, np.dtype, str)):  # CS231n (C, F, k, stride, pad, dtype, rng)
            dtype, rng = dilation, (groups if isinstance(groups, np.random.Generator) else rng)
            dilation, groups = 1, 1
        _positive(fn, in_channels=in_channels, out_channels=out_channels, groups=groups)
        if in_channels % groups or out_channels % groups:
            raise ShapeError(f"{fn}: in_channels {in_channels} and out_channels {out_channels} "
                             f"must both be divisible by groups {groups}")
        if padding_mode != "zeros":
            raise ShapeError(f"{fn}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{fn}: bias must be a bool, got {type(bias).__name__}")
        pname, padding = _conv._padding_arg(fn, padding, pad)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _win.pair(fn, "kernel_size", kernel_size, 1)
        self.stride = _win.pair(fn, "stride", stride, 1)
        self.dilation = _win.pair(fn, "dilation", dilation, 1)
        _conv._padding(fn, pname, padding, self.kernel_size, self.dilation, self.stride)
        self.padding = padding if isinstance(padding, str) else _win.pair(fn, pname, padding, 0)
        self.padding_mode = padding_mode
        rng = _rng(rng)
        kh, kw = self.kernel_size
        bound = 1.0 / math.sqrt(in_channels // groups * kh * kw)  # torch's default bound
        shape = (out_channels, in_channels // groups, kh, kw)
        self.weight = Parameter(init.uniform(shape, rng, bound, dtype))
        self.bias = Parameter(init.uniform((out_channels,), rng, bound, dtype)) if bias else None

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, F, H', W')."""
        return _conv.Conv2d.apply(x, self.weight, self.bias, stride=self.stride,
                                  padding=self.padding, dilation=self.dilation,
                                  groups=self.groups)

    def __repr__(self) -> str:
        s = (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s + ")"


def _kernel(layer: str, kernel_size: Any, kernel: Any) -> Any:
    name, value = _win.kernel_arg(layer, kernel_size, kernel)
    _win.pair(layer, name, value, 1)
    return value


class MaxPool2d(Module):
    """Max pooling as torch's nn.MaxPool2d: x (N, C, H, W) -> (N, C, H', W'); stride defaults
    to the kernel; `kernel=` is an alias of `kernel_size`."""

    def __init__(self, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False, *,
                 kernel: Any = None) -> None:
        super().__init__()
        self.return_indices = _win.flag("MaxPool2d", "return_indices", return_indices)
        self.kernel_size = _kernel("MaxPool2d", kernel_size, kernel)
        self.stride = self.kernel_size if stride is None else stride
        _win.pair("MaxPool2d", "stride", self.stride, 1)
        _win.pair("MaxPool2d", "padding", padding, 0)
        _win.pair("MaxPool2d", "dilation", dilation, 1)
        self.padding, self.dilation, self.ceil_mode = padding, dilation, ceil_mode

    def forward(self, x: Any) -> Any:
        """(N, C, H, W) -> (N, C, H', W'), and int64 indices with return_indices=True."""
        return _pool.MaxPool2d.apply(x, kernel_size=self.kernel_size, stride=self.stride,
                                     padding=self.padding, dilation=self.dilation,
                                     ceil_mode=self.ceil_mode,
                                     return_indices=self.return_indices)

    def __repr__(self) -> str:
        return (f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode})")


class AvgPool2d(Module):
    """Average pooling as torch's nn.AvgPool2d: x (N, C, H, W) -> (N, C, H', W')."""

    def __init__(self, kernel_size: Any = None, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None, *, kernel: Any = None) -> None:
        super().__init__()
        self.kernel_size = _kernel("AvgPool2d", kernel_size, kernel)
        self.stride = self.kernel_size if stride is None else stride
        _win.pair("AvgPool2d", "stride", self.stride, 1)
        _win.pair("AvgPool2d", "padding", padding, 0)
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, C, H', W')."""
        return _pool.AvgPool2d.apply(x, kernel_size=self.kernel_size, stride=self.stride,
                                     padding=self.padding, ceil_mode=self.ceil_mode,
                                     count_include_pad=self.count_include_pad,
                                     divisor_override=self.divisor_override)

    def __repr__(self) -> str:
        return (f"AvgPool2d(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding})")


class AdaptiveAvgPool2d(Module):
    """Adaptive average pooling as torch's nn.AdaptiveAvgPool2d: x (N, C, H, W) ->
    (N, C, *output_size); None in output_size keeps that side."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        pair = isinstance(output_size, (tuple, list))
        sizes = output_size if pair else (output_size,)
        bad = [s for s in sizes if s is not None and (not _win._is_int(s) or s < 1)]
        if (pair and len(sizes) != 2) or (not pair and sizes[0] is None) or bad:
            raise ShapeError(f"AdaptiveAvgPool2d: output_size must be an int >= 1 or an (h, w) "
                             f"pair of them (or None), got {output_size!r}")
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, C, H', W')."""
        return _pool.AdaptiveAvgPool2d.apply(x, output_size=self.output_size)

    def __repr__(self) -> str:
        return f"AdaptiveAvgPool2d(output_size={self.output_size})"


class Upsample(Module):
    """Resampling as torch's nn.Upsample: x (N, C, *spatial) -> (N, C, *size), by `size` or
    `scale_factor` with mode 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'trilinear'."""

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None,
                 recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        """(N, C, *spatial) -> (N, C, *size)."""
        return _resample.interpolate(x, self.size, self.scale_factor, self.mode,
                                     self.align_corners, self.recompute_scale_factor)

    def __repr__(self) -> str:
        what = (f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None
                else f"size={self.size!r}")
        return f"Upsample({what}, mode={self.mode!r})"


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample"]
