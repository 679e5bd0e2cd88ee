"""Shared runners for the per-family op tests in tests/minigrad/ops/.

Every family test module `test_<family>.py` defines
- `F32_CASES = {FunctionName: thunk}`; the thunk returns `(Fn, arrays, diff)` where `diff`
  are the indices of the float32 inputs that require grad (run by `check_float32`);
- `ERROR_CASES = [(FunctionName, case, thunk, error class, [message parts])]`: the thunk must
  raise `error` whose message starts with 'FunctionName: ' and contains every part
  (run by `check_named_error`).
`all_f32_cases()` and `all_error_cases()` gather them so that the coverage tests in
test_tensor.py and test_errors.py see every family.
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


def check_named_error(fn: str, thunk: Any, error: type, parts: list) -> None:
    """`thunk()` raises exactly `error`, its message starts with 'fn: ' and has every part."""
    with pytest.raises(error) as info:
        thunk()
    msg = str(info.value)
    assert type(info.value) is error, (type(info.value), msg)
    assert msg.startswith(f"{fn}: "), msg
    for part in parts:
        assert part in msg, (part, msg)


def _family_modules() -> list:
    import tests.minigrad.ops as pkg

    return [importlib.import_module(f"{pkg.__name__}.{m.name}")
            for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("test_")]


def all_f32_cases() -> dict:
    """{FunctionName: thunk} over every family test module."""
    out: dict = {}
    for mod in _family_modules():
        out.update(getattr(mod, "F32_CASES", {}))
    return out


def all_error_cases() -> list:
    """Every family's ERROR_CASES, concatenated."""
    return [c for mod in _family_modules() for c in getattr(mod, "ERROR_CASES", [])]
