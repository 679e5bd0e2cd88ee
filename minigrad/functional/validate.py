"""Input checks shared by the Functions: each raises a named error with expected vs actual."""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.tensor import Tensor
from minigrad.unbroadcast import unbroadcast  # noqa: F401  (re-exported: ops use v.unbroadcast)
from minigrad.versions import memory_owner


def as_array(fn: str, name: str, x: Any) -> Any:
    """`x` as an ndarray, or a DTypeError for anything non-numeric.

    Python numbers stay Python numbers so that numpy treats them as weakly typed
    (float32 * 2.0 stays float32).
    """
    if type(x) in (int, float) or (type(x) is np.ndarray and x.dtype.kind in "biuf"):
        return x
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":  # numpy scalars are weak, like
        return x.item()  # Python numbers: float32 tensor * np.float64(0.5) stays float32
    if x is None or isinstance(x, (str, bytes, dict)):
        raise DTypeError(f"{fn}: {name} must be an array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"{fn}: {name} must be numeric, got dtype {arr.dtype}")
    return arr


def floating(fn: str, name: str, x: Any, finite: bool = True) -> np.ndarray:
    """`x` as a float32/float64 array; ints are refused (no silent casts), NaN/inf if `finite`."""
    x = np.asarray(as_array(fn, name, x))  # numbers too: the checks below need a dtype
    if x.dtype.kind != "f":
        raise DTypeError(f"{fn}: {name} must be a float array (float32 or float64), "
                         f"got dtype {x.dtype}")
    if finite and not all_finite(x):
        raise RangeError(f"{fn}: {name} must be finite, got {_count_bad(x)}")
    return x


def all_finite(x: np.ndarray) -> bool:
    """Whether `x` has no NaN/inf; one cheap sum first, the exact test only if that overflows."""
    if x.size == 0 or np.isfinite(x.sum()):
        return True
    return bool(np.isfinite(x).all())


def integer(fn: str, name: str, x: Any, high: int | None = None) -> np.ndarray:
    """`x` as an int array with values in [0, high)."""
    x = np.asarray(as_array(fn, name, x))  # numbers too: the checks below need a dtype
    if x.dtype.kind not in "iu":
        raise DTypeError(f"{fn}: {name} must be an integer array, got dtype {x.dtype}")
    if high is not None and x.size:
        lo, hi = x.min(), x.max()
        if lo < 0 or hi >= high:
            raise RangeError(f"{fn}: {name} values must be in [0, {high}), got min {lo} max {hi}")
    return x


def boolean(fn: str, name: str, x: Any) -> np.ndarray:
    """`x` as a bool array (0/1 integer masks are accepted and converted)."""
    x = np.asarray(as_array(fn, name, x))  # numbers too: the checks below need a dtype
    if x.dtype == np.bool_:
        return x
    if x.dtype.kind in "iu" and ((x == 0) | (x == 1)).all():
        return x.astype(bool)
    raise DTypeError(f"{fn}: {name} must be a bool mask, got dtype {x.dtype}")


def ndim(fn: str, name: str, x: np.ndarray, n: int, letters: str) -> None:
    """Require `x.ndim == n`; `letters` names the axes, e.g. '(N, T, D)'."""
    if x.ndim != n:
        raise ShapeError(f"{fn}: {name} must be {n}-D {letters}, got shape {x.shape}")


def same_dim(fn: str, a: str, x: np.ndarray, ax: int, b: str, y: np.ndarray, ay: int) -> None:
    """Require `x.shape[ax] == y.shape[ay]`."""
    if x.shape[ax] != y.shape[ay]:
        axn = ax if ax >= 0 else x.ndim + ax
        ayn = ay if ay >= 0 else y.ndim + ay
        raise ShapeError(f"{fn}: {a}.shape[{axn}] must equal {b}.shape[{ayn}], got {a} {x.shape} "
                         f"and {b} {y.shape}")


def shape(fn: str, name: str, x: np.ndarray, expected: tuple, letters: str) -> None:
    """Require `x.shape == expected`."""
    if x.shape != tuple(expected):
        raise ShapeError(f"{fn}: {name} must have shape {letters} = {tuple(expected)}, "
                         f"got {x.shape}")


def same_dtype(fn: str, names: tuple, *arrays: np.ndarray) -> None:
    """Require the float arrays to share one dtype (no silent float32 -> float64 promotion)."""
    dts = {a.dtype for a in arrays}
    if len(dts) > 1:
        got = ", ".join(f"{n} {a.dtype}" for n, a in zip(names, arrays, strict=False))
        raise DTypeError(f"{fn}: float inputs must share one dtype, got {got}")


def nonempty(fn: str, name: str, x: np.ndarray) -> None:
    """Require a non-empty batch."""
    if x.size == 0 or (x.ndim and x.shape[0] == 0):
        raise ShapeError(f"{fn}: {name} must be a non-empty batch, got shape {x.shape}")


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an array of `shape` broadcasts to exactly `target` (as np.broadcast_to allows)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def alias(fn: str, name: str, value: Any, other: str, other_value: Any, default: Any = None) -> Any:
    """One value from numpy's and torch's spellings of an argument (axis/dim, keepdims/keepdim).

    Giving both (different from None) is a TypeError naming them.
    """
    if value is not None and other_value is not None:
        raise TypeError(f"{fn}: give {name} or {other}, not both (got {name}={value!r} and "
                        f"{other}={other_value!r})")
    if value is not None:
        return value
    return default if other_value is None else other_value


def _count_bad(x: np.ndarray) -> str:
    nan = int(np.isnan(x).sum())
    inf = int(np.isinf(x).sum())
    return f"{nan} NaN and {inf} inf value(s) in shape {x.shape}"


def kept(ctx: Any, value: Any) -> Any:
    """`value` (an array, a list, or a tuple holding them) as forward keeps it on `ctx` for
    backward: a private copy while a graph is recorded, so that the caller editing its array
    in place after forward cannot change the gradients (numpy arrays carry no version). The
    array of a positional Tensor input stays itself: `save_for_backward` version-checks it, so
    an in-place edit of that Tensor is refused, as torch does."""
    if True not in ctx.needs_input_grad:
        return value
    if isinstance(value, np.ndarray):
        owner = memory_owner(value)
        if any(isinstance(t, Tensor) and memory_owner(t.data) is owner for t in ctx._in):
            return value
        return value.copy()
    if isinstance(value, list):
        return copy.deepcopy(value)
    if isinstance(value, tuple):
        return tuple(kept(ctx, v) for v in value)
    return value


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
