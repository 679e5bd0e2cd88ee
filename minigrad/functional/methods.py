"""Tensor methods built on the Functions: in-place arithmetic, casts and copies.

In-place arithmetic (`c += x`, `c.add_(x)`, ...) on a non-leaf while recording is recorded as
torch does: the tensor becomes the output of the op (gradients flow through it), its buffer is
overwritten and its version bumps, so earlier Functions that saved the old values refuse to
backward; the new node itself works on a private copy of the old value. Unlike torch there is
no view tracking: other tensors sharing the buffer (y = x.T) see the new values but not the op
in their graph (saved copies of them are still refused). A leaf that requires grad (or a view
of one) cannot be edited in place while recording. Outside recording the edit is plain numpy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, GraphError, ShapeError
from minigrad.functional import elementwise as _ew
from minigrad.functional import shape as _shape
from minigrad.grad_mode import _state
from minigrad.tensor import Tensor

__all__: list[str] = []


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _snapshot(t: Tensor) -> Tensor:
    """A tensor at `t`'s place in the graph holding a private copy of its current values."""
    s = Tensor.__new__(Tensor)
    s.data, s._grad, s._requires_grad, s._ctx, s._out_idx, s._version, s.name = (
        t.data.copy(), None, t.requires_grad, t._ctx, t._out_idx, 0, None)
    return s


def _records(t: Tensor, op: str, other: Any) -> bool:
    """Whether `op` in place on `t` must be recorded; a leaf that requires grad is refused."""
    if not _state.enabled:
        return False
    if t.requires_grad:
        if t._ctx is None or any(
                isinstance(x, Tensor) and x.requires_grad
                and np.may_share_memory(x.data, t.data) for x in t._ctx._in):
            raise GraphError(f"{op}: in-place operation on a leaf tensor that requires grad "
                             "(or a view of one) while recording; write it out of place "
                             "(x = x + y) or under no_grad()")
        return True
    return isinstance(other, Tensor) and other.requires_grad


def _record(t: Tensor, fn: Any, name: str, other: Any) -> Tensor:
    """t = fn(t, other) recorded in the graph, written into t's buffer."""
    old = _snapshot(t)  # the old value for the new node, never overwritten
    if other is t:
        other = old
    elif isinstance(other, (Tensor, np.ndarray)) and np.may_share_memory(_raw(other), t.data):
        other = _snapshot(other) if isinstance(other, Tensor) else other.copy()
    out = fn(old, other)
    if out.data.shape != t.data.shape:
        raise ShapeError(f"{name}_: the result of shape {out.data.shape} does not fit in place "
                         f"into a tensor of shape {t.data.shape}")
    if out.data.dtype != t.data.dtype:
        if t.data.dtype.kind != "f":
            raise DTypeError(f"{name}_: the result of dtype {out.data.dtype} can't be written "
                             f"in place into a tensor of dtype {t.data.dtype}")
        out = _ew.cast(out, t.data.dtype)
    retained = t._ctx is not None and t._ctx._retained and (
        t._ctx._retained.get(t._out_idx) is t)
    if retained:
        del t._ctx._retained[t._out_idx]
    t.data[...] = out.data
    t._bump()
    t._ctx, t._out_idx, t._requires_grad = out._ctx, out._out_idx, True
    if retained:
        t.retain_grad()
    return t


def add_(t: Tensor, other: Any, alpha: float = 1.0) -> Tensor:
    """t += alpha * other, in place."""
    if _records(t, "add_", other):
        if alpha != 1.0:
            other = other * alpha if isinstance(other, Tensor) else alpha * np.asarray(other)
        return _record(t, _ew.add, "add", other)
    o = _raw(other)
    t.data += o if alpha == 1.0 else alpha * o
    t._bump()
    return t


def sub_(t: Tensor, other: Any) -> Tensor:
    """t -= other, in place."""
    if _records(t, "sub_", other):
        return _record(t, _ew.sub, "sub", other)
    t.data -= _raw(other)
    t._bump()
    return t


def mul_(t: Tensor, other: Any) -> Tensor:
    """t *= other, in place."""
    if _records(t, "mul_", other):
        return _record(t, _ew.mul, "mul", other)
    t.data *= _raw(other)
    t._bump()
    return t


def div_(t: Tensor, other: Any) -> Tensor:
    """t /= other, in place."""
    if _records(t, "div_", other):
        return _record(t, _ew.div, "div", other)
    t.data /= _raw(other)
    t._bump()
    return t


def to(t: Tensor, dtype: Any) -> Tensor:
    """`t` cast to `dtype` through the graph (`t` itself if it already has it)."""
    dtype = np.dtype(dtype)
    return t if dtype == t.data.dtype else _ew.cast(t, dtype)


def clone(t: Tensor) -> Tensor:
    """A copy of the data that stays in the graph (gradients flow back to `t`)."""
    return _ew.cast(t, t.data.dtype)


def _matrix_transpose(t: Tensor) -> Tensor:
    """The batch of matrices transposed: the last two axes swapped (at least 2-D)."""
    if t.data.ndim < 2:
        raise ShapeError(f"mT: the tensor must be at least 2-D, got shape {t.shape}")
    return _shape.swapaxes(t, -1, -2)


TENSOR_METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_,
    "__iadd__": add_, "__isub__": sub_, "__imul__": mul_, "__itruediv__": div_,
    "to": to, "double": lambda t: to(t, np.float64), "float": lambda t: to(t, np.float32),
    "half": lambda t: to(t, np.float16), "clone": clone, "copy": clone,
    "mT": property(_matrix_transpose, doc="The last two axes swapped (numpy's and torch's mT)."),
}
