"""`Parameter` and `Module`: torch-style containers of trainable tensors with a state dict."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, ShapeError
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad and is registered by the Module that holds it."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)
        if self.data.dtype.kind != "f":
            raise DTypeError(f"Parameter: data must be float32 or float64, got {self.data.dtype}")


class Module:
    """Base class: assign Parameters and sub-Modules as attributes; they are found by name."""

    def __init__(self) -> None:
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_params" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "assigning attributes")
        self._params.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs, sub-module names joined with '.' as in torch."""
        for name, p in self._params.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(prefix + name + ".")

    def parameters(self) -> list[Parameter]:
        """All Parameters, in registration order."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module."""
        yield self
        for m in self._modules.values():
            yield from m.modules()

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and below (dropout-like layers read `self.training`)."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """{name: copy of the parameter's array}."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters by name; shapes must match, dtypes are kept."""
        params = dict(self.named_parameters())
        if strict:
            missing = sorted(set(params) - set(state))
            unexpected = sorted(set(state) - set(params))
            if missing or unexpected:
                raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
        checked = []
        for name, value in state.items():
            if name not in params:
                continue
            p = params[name]
            arr = checked_state(f"{type(self).__name__}.load_state_dict", name, value, p.data)
            checked.append((p, arr))
        for p, arr in checked:  # all checked first: a bad entry leaves the module unchanged
            p.data[...] = arr
            p._version += 1

    def save(self, path: str) -> None:
        """Write `state_dict()` to `path` as .npz, atomically (see minigrad.nn.serialization)."""
        from minigrad.nn.serialization import save_module

        save_module(self, path)

    def load(self, path: str, strict: bool = True) -> None:
        """Load parameters from an .npz written by `save` (names and shapes must match)."""
        from minigrad.nn.serialization import load_module

        load_module(self, path, strict=strict)


def checked_state(where: str, key: str, value: Any, like: np.ndarray) -> np.ndarray:
    """`value` as a float array of `like`'s shape, or a named ShapeError / DTypeError."""
    arr = np.asarray(value)
    if arr.shape != like.shape:
        raise ShapeError(f"{where}: {key} must have shape {like.shape}, got {arr.shape}")
    if arr.dtype.kind != "f":
        raise DTypeError(f"{where}: {key} must be float, got dtype {arr.dtype}")
    return arr
