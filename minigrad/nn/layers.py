"""Layers on minigrad.functional: Linear, Embedding, RNN, LSTM, Conv2d, MaxPool2d, activations.

Every layer takes `dtype` (float32 default, float64 for gradcheck) and an optional numpy
Generator `rng` for its initial weights. Weight layouts follow CS231n, not torch:
`Linear.weight` is (in, out) so that forward is `x @ weight + bias`, where torch stores
(out, in) and computes `x @ weight.T + bias`; transpose when copying weights across.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from minigrad import functional as mgf
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import init
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng() if rng is None else rng


def _positive(layer: str, **sizes: Any) -> None:
    for name, n in sizes.items():
        if not isinstance(n, (int, np.integer)) or n <= 0:
            raise ShapeError(f"{layer}: {name} must be a positive int, got {n!r}")


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _check_input(layer: str, x: Any, last: int, dim: str, dtype: np.dtype,
                 ndim: int | None = None, letters: str = "") -> None:
    a = _data(x)
    if ndim is not None and a.ndim != ndim:
        raise ShapeError(f"{layer}: x must be {ndim}-D {letters}, got shape {a.shape}")
    if a.ndim == 0 or a.shape[-1] != last:
        raise ShapeError(f"{layer}: x.shape[-1] must equal {dim} = {last}, got x {a.shape}")
    if a.dtype != dtype:
        raise DTypeError(f"{layer}: x must have the layer's dtype {dtype}, got {a.dtype}")


class Linear(Module):
    """y = x @ weight + bias: x (..., D) -> (..., H); weight (D, H) is the transpose of torch's."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive("Linear", in_features=in_features, out_features=out_features)
        rng = _rng(rng)
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)  # torch's default bound
        self.weight = Parameter(init.uniform((in_features, out_features), rng, bound, dtype))
        self.bias = (Parameter(init.uniform((out_features,), rng, bound, dtype))
                     if bias else None)

    def forward(self, x: Any) -> Tensor:
        """(..., D) -> (..., H)."""
        _check_input("Linear", x, self.in_features, "in_features", self.weight.dtype)
        nd = _data(x).ndim
        if self.bias is not None and nd == 2:
            return mgf.affine(x, self.weight, self.bias)
        if self.bias is not None and nd == 3:
            return mgf.temporal_affine(x, self.weight, self.bias)
        out = mgf.matmul(x, self.weight)
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, dtype={self.weight.dtype})")


class Embedding(Module):
    """Lookup rows of weight (V, W): int ids (N, T) -> (N, T, W); init randn / 100 as CS231n."""

    def __init__(self, V: int, W: int, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive("Embedding", V=V, W=W)
        self.V, self.W = V, W
        self.weight = Parameter(init.normal((V, W), _rng(rng), 0.01, dtype))

    def forward(self, idx: Any) -> Tensor:
        """(N, T) int -> (N, T, W)."""
        return mgf.embedding(idx, self.weight)

    def __repr__(self) -> str:
        return f"Embedding(V={self.V}, W={self.W}, dtype={self.weight.dtype})"


class _Recurrent(Module):
    """Shared parts of RNN and LSTM: CS231n parameters Wx (D, G·H), Wh (H, G·H), b (G·H,)."""

    gates = 1
    name = "RNN"

    def __init__(self, D: int, H: int, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive(self.name, D=D, H=H)
        rng = _rng(rng)
        G = self.gates * H
        self.D, self.H = D, H
        self.Wx = Parameter(init.scaled_normal((D, G), rng, dtype))
        self.Wh = Parameter(init.scaled_normal((H, G), rng, dtype))
        self.b = Parameter(init.zeros((G,), dtype))

    def _inputs(self, x: Any, h0: Any) -> Any:
        _check_input(self.name, x, self.D, "D", self.Wx.dtype, 3, "(N, T, D)")
        if h0 is None:
            h0 = np.zeros((_data(x).shape[0], self.H), dtype=self.Wx.dtype)  # (N, H)
        return h0

    def __repr__(self) -> str:
        return f"{self.name}(D={self.D}, H={self.H}, dtype={self.Wx.dtype})"


class RNN(_Recurrent):
    """Vanilla tanh RNN: x (N, T, D), h0 (N, H) (zeros if None) -> h (N, T, H)."""

    def forward(self, x: Any, h0: Any = None) -> Tensor:
        """(N, T, D), (N, H) -> (N, T, H)."""
        return mgf.rnn(x, self._inputs(x, h0), self.Wx, self.Wh, self.b)


class LSTM(_Recurrent):
    """LSTM, gate blocks i, f, o, g, c0 = 0: x (N, T, D), h0 (N, H) (zeros if None) -> (N, T, H)."""

    gates = 4
    name = "LSTM"

    def forward(self, x: Any, h0: Any = None) -> Tensor:
        """(N, T, D), (N, H) -> (N, T, H)."""
        return mgf.lstm(x, self._inputs(x, h0), self.Wx, self.Wh, self.b)


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


class ReLU(Module):
    """max(x, 0) elementwise."""

    def forward(self, x: Any) -> Tensor:
        """Any shape -> same shape."""
        return mgf.relu(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Any) -> Tensor:
        """Any shape -> same shape."""
        return mgf.tanh(x)


class Flatten(Module):
    """Keep the batch axis, flatten the rest: (N, d1, ..., dk) -> (N, d1·...·dk)."""

    def forward(self, x: Any) -> Tensor:
        """(N, ...) -> (N, D)."""
        a = _data(x)
        if a.ndim < 1:
            raise ShapeError(f"Flatten: x must have a batch axis, got shape {a.shape}")
        return mgf.reshape(x, (a.shape[0], -1))


class Sequential(Module):
    """Apply layers in order; their parameters are named '0.weight', '1.bias', ... as in torch."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a Module, "
                                f"got {type(layer).__name__}")
            setattr(self, str(i), layer)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def forward(self, x: Any) -> Any:
        """Feed x through each layer in turn."""
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({name}): {m!r}" for name, m in self._modules.items())
        return f"Sequential({inner}\n)"
