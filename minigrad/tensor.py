"""`Tensor`: a numpy array with `.grad`, `.requires_grad` and the graph node that made it."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from minigrad.errors import DTypeError, GraphError, ShapeError, UnknownDTypeError
from minigrad.grad_mode import _state
from minigrad.versions import note_inplace_write


class Tensor:
    """An n-d array that records the Functions applied to it, torch style.

    `Tensor(data, requires_grad=False, dtype=None)` copies `data`; only floating tensors can
    require grad. `.data` is the ndarray, `.grad` an ndarray of the same shape/dtype or None.
    """

    __slots__ = ("data", "_grad", "_requires_grad", "_ctx", "_out_idx", "_version", "name",
                 "__weakref__")

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = _as_array(data, dtype)
        if arr.dtype.kind not in "biuf":
            raise DTypeError(f"Tensor: data must be numeric (bool, int or float), got dtype "
                             f"{arr.dtype}{_object_hint(arr)}")
        if requires_grad and arr.dtype.kind != "f":
            raise DTypeError(f"Tensor: only floating tensors can require grad, got dtype "
                             f"{arr.dtype}")
        self.data = arr
        self._grad: np.ndarray | None = None
        self._requires_grad = bool(requires_grad)
        self._ctx = None
        self._out_idx = 0
        self._version = 0
        self.name: str | None = None

    # ----- grad and requires_grad: checked when set (as torch), plain slots when read --------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: Any) -> None:
        if not isinstance(flag, (bool, np.bool_)):
            raise DTypeError(f"Tensor.requires_grad must be a bool, got {flag!r}")
        if self._ctx is not None and not flag:
            raise GraphError("requires_grad = False only works on leaves; use detach()")
        if flag and self.data.dtype.kind != "f":
            raise DTypeError(f"Tensor.requires_grad: only floating tensors can require grad, "
                             f"got dtype {self.data.dtype}")
        self._requires_grad = bool(flag)

    @property
    def grad(self) -> np.ndarray | None:
        """The accumulated gradient: an array of `.data`'s shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            value = value.data if isinstance(value, Tensor) else value
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
                raise DTypeError(f"Tensor.grad must be None or a float array, got "
                                 f"{getattr(value, 'dtype', type(value).__name__)}")
            if value.shape != self.data.shape:
                raise ShapeError(f"Tensor.grad must have the tensor's shape {self.data.shape}, "
                                 f"got {value.shape}")
        self._grad = value

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
        if self.data.ndim == 0:
            raise DTypeError("len() of a 0-d tensor (it has no rows); use .item() for its value")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows `self[0], self[1], ...`, each through the graph (GetItem)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    # ----- Python scalars and numpy -----------------------------------------------------------
    def _one(self, what: str) -> Any:
        if self.data.size != 1:
            raise ShapeError(f"Tensor: only one-element tensors can be converted to {what}, got "
                             f"shape {self.data.shape}")
        return self.data.reshape(()).item()

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ShapeError(f"Tensor: the truth value of a tensor with {self.data.size} elements "
                             f"(shape {self.data.shape}) is ambiguous; reduce it first, e.g. "
                             "(t > 0).data.any()")
        return bool(self.data.reshape(()).item())

    def __float__(self) -> float:
        return float(self._one("Python scalars"))

    def __int__(self) -> int:
        return int(self._one("Python scalars"))

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an "
                            f"index, got dtype {self.dtype} shape {self.shape}")
        return int(self.data.reshape(()).item())

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        return self._one("Python scalars")

    def tolist(self) -> Any:
        """The values as (nested) Python lists of Python numbers."""
        return self.data.tolist()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); it is not in the graph."""
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The values for numpy; refused while recording for a tensor that requires grad, except
        as integers or bools (`np.int64(t)`), which have no gradient (as torch's `t.long()`)."""
        if self.requires_grad and _state.enabled and (
                dtype is None or np.dtype(dtype).kind not in "biu"):
            raise TypeError("can't convert a Tensor that requires grad to a numpy array while grad "
                            "is enabled: the array would leave the autograd graph silently. Use "
                            "t.detach().numpy() (or t.data) for the values, or a minigrad op to "
                            "stay in the graph.")
        a = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return a.copy() if copy and a is self.data else a

    # ----- autograd ----------------------------------------------------------------------
    # backward(grad=None, retain_graph=False) comes from minigrad.engine's TENSOR_METHODS.

    def detach(self) -> Tensor:
        """A tensor sharing this data, cut from the graph."""
        t = Tensor.__new__(Tensor)
        t.data, t._grad, t._requires_grad, t._ctx, t._out_idx, t._version, t.name = (
            self.data, None, False, None, 0, 0, None)
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set `requires_grad` on a leaf, in place."""
        if self._ctx is not None and not flag:
            raise GraphError("requires_grad_(False) only works on leaves; use detach()")
        if flag and self.data.dtype.kind != "f":
            raise DTypeError(f"only floating tensors can require grad, got dtype {self.dtype}")
        self._requires_grad = bool(flag)
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
    # In-place arithmetic (+=, add_, ...) is recorded in the graph by minigrad.functional.methods.
    def _inplace(self, op: str) -> None:
        if self.requires_grad and _state.enabled:
            raise GraphError(f"{op}: in-place operation on a tensor that requires grad while "
                             "recording; write it out of place (x = x + y) or under no_grad()")
        self._bump()

    def _bump(self) -> None:
        """Count an in-place edit of `.data` (on this tensor and on its memory, for views)."""
        self._version += 1
        note_inplace_write(self.data)

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

    # Differentiable operators and methods (+, *, @, [], .sum(), .exp(), ...) are bound from the
    # families' TENSOR_METHODS tables when minigrad.functional is imported (see its __init__).

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed)."""
        return self.transpose()

    # ----- numpy's spellings (ravel and conj come from the layout / pointwise families) -------
    nbytes = property(lambda self: self.data.nbytes, doc="Bytes taken by the elements.")
    itemsize = property(lambda self: self.data.itemsize, doc="Bytes per element.")
    real = property(lambda self: self, doc="The real part of a real tensor: itself.")

    def conjugate(self) -> Tensor:
        """The complex conjugate of a real tensor: itself (ndarray.conjugate; see conj)."""
        return self


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """`np.array(data, dtype)` with named errors for an unknown dtype and for ragged data."""
    try:
        dt = None if dtype is None else np.dtype(dtype)
    except TypeError:
        raise UnknownDTypeError(f"Tensor: dtype must be a numpy dtype, got {dtype!r}") from None
    try:
        return np.array(data, dtype=dt)
    except (ValueError, TypeError, OverflowError) as e:
        where = _ragged(data)
        if where:
            raise ShapeError(f"Tensor: data must be a rectangular nested list (rows of equal "
                             f"lengths), got {where}") from None
        raise DTypeError(f"Tensor: data cannot be converted to dtype {dt}: {e}") from None


def _ragged(data: Any) -> str:
    """Where nested lists first differ ('data[1] of length 3 and data[0] of length 2'), or ''."""
    level = [("data", data)]
    while level:
        seqs = [(p, x) for p, x in level if isinstance(x, (list, tuple, np.ndarray))]
        if not seqs:
            return ""
        if len(seqs) != len(level):
            p, x = next((p, x) for p, x in level if not isinstance(x, (list, tuple, np.ndarray)))
            return f"a sequence at {seqs[0][0]} and a scalar ({type(x).__name__}) at {p}"
        (p0, x0), *rest = seqs
        for p, x in rest:
            if len(x) != len(x0):
                return f"{p} of length {len(x)} and {p0} of length {len(x0)}"
        level = [(f"{p}[{i}]", y) for p, x in seqs for i, y in enumerate(x)]
    return ""


def _object_hint(arr: np.ndarray) -> str:
    """' (data[1] is a NoneType)' for the first entry of `arr` that is not a number, or ''."""
    if arr.dtype.kind in "US":
        return " (data holds text)"
    for idx in np.ndindex(arr.shape) if arr.dtype.kind == "O" else ():
        v = arr[idx]
        where = "data" + (f"[{', '.join(map(str, idx))}]" if idx else "")
        if isinstance(v, int) and not -2**63 <= v < 2**64:
            return f" ({where} is the int {v}, outside int64)"
        if not isinstance(v, (int, float, np.number)):
            return f" ({where} is a {type(v).__name__})"
    return ""


def _raw(x: Any) -> Any:
    """The ndarray behind a Tensor, anything else unchanged."""
    return x.data if isinstance(x, Tensor) else x


_BOUND: dict[str, str] = {}  # method name -> the module whose table bound it


def bind_methods(owner: str, table: dict) -> None:
    """Set `table`'s methods on Tensor (called once per table when minigrad is imported).

    The ops, the engine's `backward` and numpy's protocols live above this module and attach
    themselves here, so tensor.py imports none of them. A name bound twice, or one that
    Tensor defines itself, is a bug and raises.
    """
    for name, fn in table.items():
        if name in _BOUND and _BOUND[name] != owner:
            raise RuntimeError(f"Tensor.{name} is bound by both {_BOUND[name]} and {owner}")
        if name not in _BOUND and name in Tensor.__dict__:
            raise RuntimeError(f"Tensor.{name} is defined in tensor.py; {owner} may not rebind it")
        _BOUND[name] = owner
        setattr(Tensor, name, fn)

