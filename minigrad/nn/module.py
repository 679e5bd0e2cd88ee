"""`Parameter` and `Module`: torch-style containers of trainable tensors with a state dict."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, StateDictKeyError
from minigrad.functional.validate import checked_state  # noqa: F401 (re-exported)
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad and is registered by the Module that holds it."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype)
        if self.data.dtype.kind != "f":
            raise DTypeError(f"Parameter: data must be float32 or float64, got {self.data.dtype}")


def _hidden(value: Any, depth: int = 0) -> tuple[str, str] | None:
    """(path, kind) of the first Module or Parameter inside a plain list/tuple/set/dict value."""
    if depth > 4 or not isinstance(value, (list, tuple, set, frozenset, dict)):
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, v in items:
        if isinstance(v, (Module, Parameter)):
            return f"[{key!r}]", type(v).__name__
        found = _hidden(v, depth + 1)
        if found is not None:
            return f"[{key!r}]{found[0]}", found[1]
    return None


def _addindent(s: str, spaces: int) -> str:
    lines = s.split("\n")
    return lines[0] if len(lines) == 1 else "\n".join(
        [lines[0]] + [" " * spaces + line for line in lines[1:]])


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


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
        hidden = _hidden(value)
        if hidden is not None:
            path, kind = hidden
            raise TypeError(
                f"{type(self).__name__}: attribute {name!r} is a plain {type(value).__name__} "
                f"holding a {kind} at {name}{path}; parameters() and state_dict() would not see "
                "it. Use nn.ModuleList / nn.ModuleDict (or assign each Parameter as an attribute)")
        if name in self._params and value is not None and not isinstance(value, Parameter):
            raise DTypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to "
                             f"parameter {name!r}: expected a Parameter or None (set .data to "
                             "change its values)")
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

    def __getattr__(self, name: str) -> Any:
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:  # container entries live only in _modules
            return modules[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        if name in self._modules and name not in self.__dict__:
            del self._modules[name]
            return
        self._params.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def _check_name(self, where: str, name: Any) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}.{where}: name must be a str, "
                            f"got {type(name).__name__}")
        if not name or "." in name:
            raise StateDictKeyError(
                f"{type(self).__name__}.{where}: name must be non-empty and without "
                f"'.', got {name!r}")
        if name not in self._modules and (hasattr(type(self), name) or name in self.__dict__):
            raise StateDictKeyError(
                f"{type(self).__name__}.{where}: attribute {name!r} already exists")

    def add_module(self, name: str, module: Module) -> None:
        """Register `module` under `name` (torch's add_module / register_module)."""
        self._check_name("add_module", name)
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module, "
                            f"got {type(module).__name__}")
        setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` under `name`; None sets the attribute without a parameter."""
        if name not in self._params:
            self._check_name("register_parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a "
                            f"Parameter or None, got {type(param).__name__}")
        setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep a non-trainable array (e.g. BatchNorm's running mean) as a Tensor attribute;
        persistent buffers are saved in `state_dict` next to the parameters."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before "
                                 "register_buffer")
        if not isinstance(name, str) or not name or "." in name:
            raise StateDictKeyError(
                f"{type(self).__name__}.register_buffer: name must be a non-empty str "
                f"without '.', got {name!r}")
        if name in self._params or name in self._modules:
            raise StateDictKeyError(
                f"{type(self).__name__}.register_buffer: {name!r} is already a "
                "parameter or sub-module")
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    # ----- traversal --------------------------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ('') and every sub-module, each once, as in torch."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module (each once)."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) of the direct sub-modules, each once."""
        seen: set[int] = set()
        for name, m in self._modules.items():
            if id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct sub-modules, each once."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        mods = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse
                else [(prefix, self)])
        seen: set[int] = set()
        for mod_prefix, m in mods:
            for name, t in getattr(m, table).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield _join(mod_prefix, name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs, sub-module names joined with '.', shared ones once (torch)."""
        yield from self._named_members("_params", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> list[Parameter]:
        """All Parameters, in registration order, each once."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(name, Tensor) pairs of every buffer here and below (None buffers skipped)."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> list[Tensor]:
        """All buffers, in registration order."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path `target` ('' is this module)."""
        m: Module = self
        for part in target.split(".") if target else []:
            if part not in m._modules:
                raise AttributeError(f"{type(m).__name__} has no sub-module {part!r} "
                                     f"(in {target!r})")
            m = m._modules[part]
        return m

    def _state_items(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, Tensor) of every parameter and persistent buffer, torch's state_dict order."""
        for name, p in self._params.items():
            yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b
        for name, m in self._modules.items():
            yield from m._state_items(prefix + name + ".")

    # ----- in-place changes ---------------------------------------------------------------------
    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every sub-module (children first) and then on self; returns self."""
        if not callable(fn):
            raise DTypeError(f"{type(self).__name__}.apply: fn must be callable, got "
                             f"{type(fn).__name__}")
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (or fill it with zeros if set_to_none=False)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` on every parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Module:
        """Cast floating parameters, their grads and floating buffers to `dtype`, in place (the
        Parameter objects are kept, so optimizers still hold them); returns self. `to('cpu')`
        is a no-op."""
        for a in args:
            if isinstance(a, str) and a == "cpu":
                continue
            dtype = a
        if device not in (None, "cpu"):
            raise ValueError(f"{type(self).__name__}.to: minigrad runs on 'cpu' only, "
                             f"got device {device!r}")
        if dtype is None:
            return self
        try:
            dt = np.dtype(dtype)
        except TypeError as e:
            raise DTypeError(f"{type(self).__name__}.to: {dtype!r} is not a dtype") from e
        if dt.kind != "f":
            raise DTypeError(f"{type(self).__name__}.to: dtype must be floating (float32 or "
                             f"float64), got {dt}")
        tensors = [t for m in self.modules() for t in (*m._params.values(), *m._buffers.values())]
        for t in {id(t): t for t in tensors if t is not None}.values():
            if t.data.dtype.kind == "f" and t.data.dtype != dt:
                t.data = t.data.astype(dt)
                if t.grad is not None:
                    t.grad = t.grad.astype(dt)
                t._version += 1
        return self

    def double(self) -> Module:
        """`to(np.float64)`."""
        return self.to(np.float64)

    def float(self) -> Module:
        """`to(np.float32)`."""
        return self.to(np.float32)

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and below (dropout-like layers read `self.training`)."""
        if not isinstance(mode, (bool, np.bool_)):
            raise DTypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r:.60}")
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode."""
        return self.train(False)

    # ----- repr ---------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m), 2)}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"

    # ----- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """{name: copy of the array} for every parameter and persistent buffer."""
        return {name: t.data.copy() for name, t in self._state_items()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays into the parameters and buffers by name; shapes must match, dtypes kept."""
        if not isinstance(state, Mapping):
            raise DTypeError(f"{type(self).__name__}.load_state_dict: state must be a mapping of "
                             f"name -> array (a state_dict()), got {type(state).__name__}")
        params = dict(self._state_items())
        if strict:
            missing = sorted(set(params) - set(state))
            unexpected = sorted(set(state) - set(params))
            if missing or unexpected:
                raise StateDictKeyError(
                    f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
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
