"""Convolution and pooling layers on (N, C, H, W) images."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import ShapeError
from minigrad.nn import init
from minigrad.nn.layers import _positive, _rng
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


class Conv2d(Module):
    """2-D convolution, CS231n layout: x (N, C, H, W), weight (F, C, k, k), bias (F,)
    -> (N, F, H', W')."""

    def __init__(self, C: int, F: int, kernel: int, stride: int = 1, pad: int = 0,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive("Conv2d", C=C, F=F, kernel=kernel, stride=stride)
        if not isinstance(pad, (int, np.integer)) or pad < 0:
            raise ShapeError(f"Conv2d: pad must be a non-negative int, got {pad!r}")
        rng = _rng(rng)
        self.C, self.F, self.kernel, self.stride, self.pad = C, F, kernel, stride, pad
        bound = 1.0 / math.sqrt(C * kernel * kernel)  # torch's default bound
        self.weight = Parameter(init.uniform((F, C, kernel, kernel), rng, bound, dtype))
        self.bias = Parameter(init.uniform((F,), rng, bound, dtype))

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, F, H', W')."""
        from minigrad.functional.conv import Conv2d as Conv2dFn

        return Conv2dFn.apply(x, self.weight, self.bias, stride=self.stride, pad=self.pad)

    def __repr__(self) -> str:
        return (f"Conv2d(C={self.C}, F={self.F}, kernel={self.kernel}, stride={self.stride}, "
                f"pad={self.pad}, dtype={self.weight.dtype})")


class MaxPool2d(Module):
    """Max pooling over k×k windows: x (N, C, H, W) -> (N, C, H', W'); stride defaults to k."""

    def __init__(self, kernel: int, stride: int | None = None) -> None:
        super().__init__()
        stride = kernel if stride is None else stride
        _positive("MaxPool2d", kernel=kernel, stride=stride)
        self.kernel, self.stride = kernel, stride

    def forward(self, x: Any) -> Tensor:
        """(N, C, H, W) -> (N, C, H', W')."""
        from minigrad.functional.conv import MaxPool2d as MaxPool2dFn

        return MaxPool2dFn.apply(x, kernel=self.kernel, stride=self.stride)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel={self.kernel}, stride={self.stride})"


__all__ = ["Conv2d", "MaxPool2d"]
