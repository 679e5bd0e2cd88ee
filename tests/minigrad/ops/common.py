"""Shared helpers and case registries for the per-family op tests in tests/minigrad/ops/.

Every family test module `test_<family>.py` defines
- `F32_CASES = {FunctionName: thunk}`; the thunk returns `(Fn, arrays, diff)` or
  `(Fn, arrays, diff, kwargs)`: `diff` are the indices of the float32 inputs that require grad
  and `kwargs` the keyword constants passed to `Fn.apply` (run by `run_f32_case`). A Function
  has its F32 case in one family only;
- `ERROR_CASES = [(FunctionName, case, thunk, error class, [message parts])]`: the thunk must
  raise `error` whose message starts with 'FunctionName: ' and contains every part
  (run by `check_named_error`).
test_registry.py runs every family's cases (`family_f32_cases()`, `family_error_cases()`, ids
qualified by the family); `all_f32_cases()` and `all_error_cases()` serve the coverage tests in
test_tensor.py and test_errors.py.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import numpy as np
import pytest

from minigrad import Tensor


def r(*shape: int, dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    """A small random float array of `shape`."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def f32(*shape: int, seed: int = 1) -> np.ndarray:
    """A small random float32 array of `shape` (values ~ N(0, 0.25))."""
    return (np.random.default_rng(seed).standard_normal(shape) * 0.5).astype(np.float32)


def check_float32(fn: type, arrays: tuple, diff: tuple, **kwargs: Any) -> None:
    """Fn.apply on float32 inputs: every float output is float32, every grad float32 and shaped."""
    inputs = [Tensor(a, requires_grad=i in diff) if isinstance(a, np.ndarray) else a
              for i, a in enumerate(arrays)]
    outs = fn.apply(*inputs, **kwargs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    total = None
    for o in outs:
        if o.dtype.kind != "f":
            continue
        assert o.dtype == np.float32, (fn.__name__, o.dtype)
        total = o.sum() if total is None else total + o.sum()
    assert total is not None, f"{fn.__name__}: no float output"
    total.backward()
    for i in diff:
        assert inputs[i].grad is not None, (fn.__name__, i)
        assert inputs[i].grad.dtype == np.float32, (fn.__name__, i, inputs[i].grad.dtype)
        assert inputs[i].grad.shape == arrays[i].shape, (fn.__name__, i)


def value_and_grad(fn: Any, x: np.ndarray, *args: Any, seed: int = 3, **kwargs: Any) -> tuple:
    """(fn(x) values, d sum(g * fn(x)) / dx, g) for a fixed standard-normal upstream g."""
    t = Tensor(x, requires_grad=True)
    out = fn(t, *args, **kwargs)
    g = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(g)
    return out.data, t.grad, g


def check_named_error(fn: str, thunk: Any, error: type, parts: list) -> None:
    """`thunk()` raises exactly `error`, its message starts with 'fn: ' and has every part."""
    with pytest.raises(error) as info:
        thunk()
    msg = str(info.value)
    assert type(info.value) is error, (type(info.value), msg)
    assert msg.startswith(f"{fn}: "), msg
    for part in parts:
        assert part in msg, (part, msg)


def run_f32_case(thunk: Any) -> None:
    """Run one F32_CASES thunk, `(Fn, arrays, diff)` or `(Fn, arrays, diff, kwargs)`."""
    fn, arrays, diff, *rest = thunk()
    assert len(rest) <= 1, f"{fn.__name__}: an F32 case has 3 or 4 entries, got {3 + len(rest)}"
    check_float32(fn, arrays, diff, **(rest[0] if rest else {}))


def _family_modules() -> list:
    """[(family, module)] for every test_<family>.py that may hold registries."""
    import tests.minigrad.ops as pkg

    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)
                   if m.name.startswith("test_") and m.name != "test_registry")
    return [(n.removeprefix("test_"), importlib.import_module(f"{pkg.__name__}.{n}"))
            for n in names]


def family_f32_cases() -> list:
    """[(family, FunctionName, thunk)] over every family test module, in file order."""
    return [(fam, name, thunk) for fam, mod in _family_modules()
            for name, thunk in getattr(mod, "F32_CASES", {}).items()]


def family_error_cases() -> list:
    """[(family, error case)] over every family test module, in file order."""
    return [(fam, c) for fam, mod in _family_modules() for c in getattr(mod, "ERROR_CASES", [])]


def all_f32_cases() -> dict:
    """{FunctionName: thunk} over every family test module."""
    return {name: thunk for _, name, thunk in family_f32_cases()}


def all_error_cases() -> list:
    """Every family's ERROR_CASES, concatenated."""
    return [c for _, c in family_error_cases()]


def private_functions() -> dict:
    """{'family._Name': class} for every Function class under minigrad/functional that is
    neither public (functional.__all__) nor the base of another one there (as
    elementwise._TruncDivide, behind div(rounding_mode='trunc')): the coverage tests' extra
    names, which need a gradcheck and a parity case as much as the public ones."""
    import minigrad.functional as F
    from minigrad.function import Function

    found = {}
    for m in pkgutil.iter_modules(F.__path__):
        mod = importlib.import_module(f"{F.__name__}.{m.name}")
        for name, obj in vars(mod).items():
            if (isinstance(obj, type) and issubclass(obj, Function) and obj is not Function
                    and obj.__module__ == mod.__name__):
                found[f"{m.name}.{name}"] = obj
    classes = set(found.values())
    return {key: cls for key, cls in found.items()
            if cls.__name__ not in F.__all__
            and not any(c is not cls and issubclass(c, cls) for c in classes)}
