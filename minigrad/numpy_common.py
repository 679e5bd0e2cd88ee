"""Helpers shared by the numpy dispatch tables (numpy_dispatch, numpy_composites, numpy_linalg)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.tensor import Tensor


class MissingOp(NotImplementedError):
    """minigrad.functional has no function of that name (yet)."""


class Unsupported(Exception):
    """An argument the minigrad op does not take (e.g. np.round with decimals=2)."""


def op(name: str) -> Callable:
    """`minigrad.functional.<name>`, looked up now; MissingOp if there is none."""
    import minigrad.functional as F

    fn = getattr(F, name, None)
    if fn is None:
        raise MissingOp(f"minigrad.functional has no {name!r}")
    return fn


def ndim(a: Any) -> int:
    return a.data.ndim if isinstance(a, Tensor) else np.ndim(a)


def flat(a: Any) -> Any:
    return a if ndim(a) == 1 else op("reshape")(a, (-1,))


def require(ok: bool, what: str) -> None:
    if not ok:
        raise Unsupported(what)


def identity(x: Any) -> Any:  # np.real / np.conj / np.real_if_close of a real (non-complex) input
    return x


def arrays(obj: Any) -> Any:
    """`obj` with every Tensor (also inside lists, tuples and dicts) replaced by its array."""
    if isinstance(obj, Tensor):
        return obj.data
    if isinstance(obj, list):
        return [arrays(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(arrays(o) for o in obj)
    if isinstance(obj, dict):
        return {k: arrays(v) for k, v in obj.items()}
    return obj
