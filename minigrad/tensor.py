"""`Tensor`: a numpy array with `.grad`, `.requires_grad` and the graph node that made it."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, GraphError
from minigrad.grad_mode import _state


class Tensor:
    """An n-d array that records the Functions applied to it, torch style.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`; only floating tensors can
    require grad. `.data` is the ndarray, `.grad` an ndarray of the same shape/dtype or None.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_out_idx", "_version", "name",
                 "__weakref__")
    __array_ufunc__ = None  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = np.array(data, dtype=dtype)
        if arr.dtype.kind not in "biuf":
            raise DTypeError(f"Tensor: data must be numeric (bool, int or float), got dtype "
                             f"{arr.dtype}")
        if requires_grad and arr.dtype.kind != "f":
            raise DTypeError(f"Tensor: only floating tensors can require grad, got dtype "
                             f"{arr.dtype}")
        self.data = arr
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx = None
        self._out_idx = 0
        self._version = 0
        self.name: str | None = None

    # ----- introspection -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="Shape of `.data`.")
    dtype = property(lambda self: self.data.dtype, doc="Dtype of `.data`.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    size = property(lambda self: self.data.size, doc="Number of elements.")
    is_leaf = property(lambda self: self._ctx is None, doc="Made by the user, not by a Function.")
    grad_fn = property(lambda self: None if self._ctx is None else self._ctx.fn,
                       doc="The Function class that made this tensor, or None for a leaf.")

    def __repr__(self) -> str:
        extra = f", grad_fn={self._ctx.fn.__name__}" if self._ctx is not None else (
            ", requires_grad=True" if self.requires_grad else "")
        return f"Tensor({np.array2string(self.data, prefix='Tensor(')}, dtype={self.dtype}{extra})"

    def __len__(self) -> int:
        return len(self.data)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return a.copy() if copy and a is self.data else a

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    # ----- autograd ----------------------------------------------------------------------
    def backward(self, grad: Any = None, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (grad defaults to 1 for scalars)."""
        from minigrad.engine import backward

        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph."""
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.requires_grad, t._ctx, t._out_idx, t._version, t.name = (
            self.data, None, False, None, 0, 0, None)
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set `requires_grad` on a leaf, in place."""
        if self._ctx is not None and not flag:
            raise GraphError("requires_grad_(False) only works on leaves; use detach()")
        if flag and self.data.dtype.kind != "f":
            raise DTypeError(f"only floating tensors can require grad, got dtype {self.dtype}")
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor after backward."""
        if self._ctx is not None:
            if self._ctx._retained is None:
                self._ctx._retained = {}
            self._ctx._retained[self._out_idx] = self
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    # ----- in-place edits (bump the version counter) ---------------------------------------
    def _inplace(self, op: str) -> None:
        if self.requires_grad and _state.enabled:
            raise GraphError(f"{op}: in-place operation on a tensor that requires grad while "
                             "recording; write it out of place (x = x + y) or under no_grad()")
        self._version += 1

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place."""
        self._inplace("add_")
        o = _raw(other)
        self.data += o if alpha == 1.0 else alpha * o
        return self

    def sub_(self, other: Any) -> Tensor:
        """self -= other, in place."""
        self._inplace("sub_")
        self.data -= _raw(other)
        return self

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        self._inplace("mul_")
        self.data *= _raw(other)
        return self

    def copy_(self, other: Any) -> Tensor:
        """Overwrite the values with `other`'s (broadcast), in place."""
        self._inplace("copy_")
        self.data[...] = _raw(other)
        return self

    def zero_(self) -> Tensor:
        """Set every element to 0, in place."""
        self._inplace("zero_")
        self.data[...] = 0
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace("__setitem__")
        self.data[_raw(index)] = _raw(value)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_

    # Differentiable operators and methods (+, *, @, [], .sum(), .exp(), ...) are bound from the
    # families' TENSOR_METHODS tables when minigrad.functional is imported (see its __init__).

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return self.transpose()


def _raw(x: Any) -> Any:
    """The ndarray behind a Tensor, anything else unchanged."""
    return x.data if isinstance(x, Tensor) else x
