"""Normalisation layers with torch's names, arguments, reprs and state_dict keys: LayerNorm,
BatchNorm1d, BatchNorm2d (running statistics as buffers), GroupNorm, InstanceNorm1d/2d.

Norm weights are 1-D like torch's (no transpose when copying). BatchNorm's buffers are
`running_mean`, `running_var` (the layer's dtype) and `num_batches_tracked` (int64, 0-d), so a
torch BatchNorm state dict loads as is.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.functional.norm import batch_norm, group_norm, instance_norm, layer_norm
from minigrad.functional.shape import reshape
from minigrad.nn import init
from minigrad.nn.layers import _data, _positive
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _float_dtype(layer: str, dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise DTypeError(f"{layer}: dtype must be float32 or float64, got {dt}")
    return dt


def _eps(layer: str, eps: Any) -> float:
    if not isinstance(eps, (int, float, np.floating)) or not eps >= 0:
        raise RangeError(f"{layer}: eps must be a number >= 0, got {eps!r}")
    return float(eps)


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` axes, then scale and shift elementwise:
    x (..., *S) -> (..., *S); weight and bias have shape S (ones and zeros at start)."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        super().__init__()
        S = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
        _positive("LayerNorm", **{f"normalized_shape[{i}]": s for i, s in enumerate(S)})
        dt = _float_dtype("LayerNorm", dtype)
        self.normalized_shape = tuple(int(s) for s in S)
        self.eps, self.elementwise_affine = _eps("LayerNorm", eps), bool(elementwise_affine)
        self.weight = Parameter(np.ones(S, dt)) if elementwise_affine else None
        self.bias = Parameter(init.zeros(S, dt)) if elementwise_affine and bias else None

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            self.weight.data[...] = 1
        if self.bias is not None:
            self.bias.data[...] = 0

    def forward(self, x: Any) -> Tensor:
        """(..., *S) -> (..., *S)."""
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class _BatchNorm(Module):
    """Shared BatchNorm: batch statistics in training (updating the running ones), running
    statistics in eval; momentum=None is the cumulative average over the batches seen."""

    _dims: tuple = ()
    _letters = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float32, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        _positive(name, num_features=num_features)
        if momentum is not None and not (isinstance(momentum, (int, float, np.floating))
                                         and 0 <= momentum <= 1):
            raise RangeError(f"{name}: momentum must be in [0, 1] or None, got {momentum!r}")
        dt = _float_dtype(name, dtype)
        self.num_features, self.eps, self.momentum = int(num_features), _eps(name, eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.weight = Parameter(np.ones(num_features, dt)) if affine else None
        self.bias = Parameter(init.zeros(num_features, dt)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dt))
            self.register_buffer("running_var", np.ones(num_features, dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for b in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(b, None)

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._version += 1

    def reset_parameters(self) -> None:
        """Reset the running statistics, weight = 1, bias = 0."""
        self.reset_running_stats()
        for p, value in ((self.weight, 1), (self.bias, 0)):
            if p is not None:
                p.data[...] = value

    def forward(self, x: Any) -> Tensor:
        """(N, C, *spatial) -> same shape."""
        name, a = type(self).__name__, _data(x)
        if a.ndim not in self._dims:
            raise ShapeError(f"{name}: x must be {self._letters}, got shape {a.shape}")
        if a.shape[1] != self.num_features:
            raise ShapeError(f"{name}: x.shape[1] must equal num_features = "
                             f"{self.num_features}, got x {a.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            training=use_batch, momentum=factor, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation per feature of x (N, C) or per channel of x (N, C, L)."""

    _dims = (2, 3)
    _letters = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation per channel of images x (N, C, H, W)."""

    _dims = (4,)
    _letters = "4-D (N, C, H, W)"


class _InstanceNorm(_BatchNorm):
    """Shared InstanceNorm: each (sample, channel) normalised over its spatial axes; running
    statistics (track_running_stats=True) are updated in training and used in eval."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 dtype: Any = np.float32, *, bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype,
                         bias=bias)

    def forward(self, x: Any) -> Tensor:
        """(N, C, *spatial) or unbatched (C, *spatial) -> same shape."""
        name, a = type(self).__name__, _data(x)
        if a.ndim not in self._dims:
            raise ShapeError(f"{name}: x must be {self._letters}, got shape {a.shape}")
        if self.affine and a.shape[a.ndim - max(self._dims) + 1] != self.num_features:
            raise ShapeError(f"{name}: the channel axis must equal num_features = "
                             f"{self.num_features}, got x {a.shape}")
        unbatched = a.ndim == min(self._dims)
        if unbatched:
            x = reshape(x, (1, *a.shape))
        out = instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return reshape(out, a.shape) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of x (N, C, L) or (C, L) over L."""

    _dims = (2, 3)
    _letters = "3-D (N, C, L) or 2-D (C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images x (N, C, H, W) or (C, H, W) over H, W."""

    _dims = (3, 4)
    _letters = "4-D (N, C, H, W) or 3-D (C, H, W)"


class GroupNorm(Module):
    """Normalise each sample over groups of channels, then scale and shift per channel:
    x (N, C, *spatial) -> same shape, C = num_channels divisible by num_groups."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, dtype: Any = np.float32, *, bias: bool = True) -> None:
        super().__init__()
        _positive("GroupNorm", num_groups=num_groups, num_channels=num_channels)
        if num_channels % num_groups:
            raise ShapeError(f"GroupNorm: num_channels must be divisible by num_groups, got "
                             f"{num_channels} and {num_groups}")
        dt = _float_dtype("GroupNorm", dtype)
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = _eps("GroupNorm", eps), bool(affine)
        self.weight = Parameter(np.ones(num_channels, dt)) if affine else None
        self.bias = Parameter(init.zeros(num_channels, dt)) if affine and bias else None

    def forward(self, x: Any) -> Tensor:
        """(N, C, *spatial) -> same shape."""
        a = _data(x)
        if a.ndim < 2 or a.shape[1] != self.num_channels:
            raise ShapeError(f"GroupNorm: x must be (N, C, *spatial) with C = num_channels = "
                             f"{self.num_channels}, got shape {a.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "GroupNorm", "InstanceNorm1d",
           "InstanceNorm2d"]
