"""Basic layers on minigrad.functional: Linear, Embedding, activations, Flatten, Sequential.

Every layer takes `dtype` (float32 default, float64 for gradcheck) and an optional numpy
Generator `rng` for its initial weights. Weight layouts follow CS231n, not torch:
`Linear.weight` is (in, out) so that forward is `x @ weight + bias`, where torch stores
(out, in) and computes `x @ weight.T + bias`; transpose when copying weights across.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from minigrad import functional as mgf
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import init
from minigrad.nn.container import _delete, _index, _renumber
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

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """Lookup rows of weight (V, W): int ids (N, T) -> (N, T, W); init randn / 100 as CS231n."""

    def __init__(self, V: int, W: int, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive("Embedding", V=V, W=W)
        self.V, self.W = V, W
        self.num_embeddings, self.embedding_dim = V, W  # torch's names
        self.weight = Parameter(init.normal((V, W), _rng(rng), 0.01, dtype))

    def forward(self, idx: Any) -> Tensor:
        """(N, T) int -> (N, T, W)."""
        return mgf.embedding(idx, self.weight)

    def extra_repr(self) -> str:
        return f"{self.V}, {self.W}"


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
    """Merge axes start_dim..end_dim into one (torch defaults keep the batch axis):
    (N, d1, ..., dk) -> (N, d1·...·dk)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Any) -> Tensor:
        """(N, ...) -> (N, D) with the defaults."""
        shape = _data(x).shape
        n = max(len(shape), 1)
        s, e = self.start_dim, self.end_dim
        if not (-n <= s < n and -n <= e < n):
            raise ShapeError(f"Flatten: start_dim {s} / end_dim {e} out of range for x of "
                             f"shape {shape}")
        s, e = s % n, e % n
        if s > e:
            raise ShapeError(f"Flatten: start_dim {self.start_dim} comes after end_dim "
                             f"{self.end_dim} for x of shape {shape}")
        new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
        return mgf.reshape(x, new)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Apply layers in order; their parameters are named '0.weight', '1.bias', ... as in torch
    (or by key when built from one dict: Sequential(OrderedDict(conv=..., relu=...)))."""

    def __init__(self, *layers: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            items = list(layers[0].items())
        else:
            items = [(str(i), layer) for i, layer in enumerate(layers)]
        for i, (name, layer) in enumerate(items):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a Module, "
                                f"got {type(layer).__name__}")
            self._check_name("__init__", name)
            self._modules[name] = layer

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def _key(self, idx: int) -> str:
        return list(self._modules)[_index("Sequential", idx, len(self))]

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):  # keeps the names, as torch
            return type(self)(dict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: item must be a Module, got {type(module).__name__}")
        self._modules[self._key(idx)] = module

    def __delitem__(self, idx: int | slice) -> None:
        _delete("Sequential", self, idx)

    def append(self, module: Module) -> Sequential:
        """Add `module` at the end under the next index; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        self._modules[str(len(self))] = module
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each module of `modules`; returns self."""
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Insert `module` before position `index`, renumbering; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        entries = list(self._modules.values())
        entries.insert(index, module)
        _renumber(self, entries)
        return self

    def forward(self, x: Any) -> Any:
        """Feed x through each layer in turn."""
        for layer in self._modules.values():
            x = layer(x)
        return x
