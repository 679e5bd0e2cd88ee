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
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_params" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "assigning attributes")
        self._params.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: buffer {name!r} must be a Tensor or None, "
                                f"got {type(value).__name__}")
            self._buffers[name] = value
        elif isinstance(value, Parameter):
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

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep a non-trainable array (e.g. BatchNorm's running mean) as a Tensor attribute;
        persistent buffers are saved in `state_dict` next to the parameters."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "register_buffer")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{type(self).__name__}.register_buffer: name must be a non-empty str "
                           f"without '.', got {name!r}")
        if name in self._params or name in self._modules:
            raise KeyError(f"{type(self).__name__}.register_buffer: {name!r} is already a "
                           "parameter or sub-module")
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, Tensor) pairs of every buffer here and below (None buffers skipped)."""
        for name, b in self._buffers.items():
            if b is not None:
                yield prefix + name, b
        for name, m in self._modules.items():
            yield from m.named_buffers(prefix + name + ".")

    def buffers(self) -> list[Tensor]:
        """All buffers, in registration order."""
        return [b for _, b in self.named_buffers()]

    def _state_items(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, Tensor) of every parameter and persistent buffer, torch's state_dict order."""
        for name, p in self._params.items():
            yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b
        for name, m in self._modules.items():
            yield from m._state_items(prefix + name + ".")

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
        """{name: copy of the array} for every parameter and persistent buffer."""
        return {name: t.data.copy() for name, t in self._state_items()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers by name; shapes must match, dtypes kept."""
        params = dict(self._state_items())
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
    """`value` as an array of `like`'s shape and kind (float, or int for an int buffer such
    as BatchNorm's num_batches_tracked), or a named ShapeError / DTypeError."""
    arr = np.asarray(getattr(value, "data", value))
    if arr.shape != like.shape:
        raise ShapeError(f"{where}: {key} must have shape {like.shape}, got {arr.shape}")
    kinds = "f" if like.dtype.kind == "f" else "iub"
    if arr.dtype.kind not in kinds:
        want = "float" if kinds == "f" else "an integer"
        raise DTypeError(f"{where}: {key} must be {want}, got dtype {arr.dtype}")
    return arr
