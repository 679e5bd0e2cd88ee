"""numpy's override protocols for Tensor: numpy calls on Tensors run minigrad Functions.

`np.exp(t)`, `ndarray + t`, `np.sum(t, axis=0)`, `np.concatenate([t, u])` ... call the
minigrad.functional function that UFUNCS or FUNCTIONS names (looked up at call time, so a family
may add it later), with numpy's arguments translated, and return Tensors in the graph. Anything
else (an unlisted function or argument, a ufunc method such as reduce, `out=`) runs on the arrays
when no Tensor needs grad, and raises a TypeError naming it when one does: the graph is never
dropped silently. ARRAY_ONLY results carry no gradient (shapes, tests, indices): they always run
on the arrays.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from minigrad.grad_mode import is_grad_enabled
from minigrad.numpy_common import MissingOp, op
from minigrad.numpy_common import Unsupported as _Unsupported
from minigrad.numpy_common import arrays as _arrays
from minigrad.numpy_common import flat as _flat
from minigrad.numpy_common import identity as _identity
from minigrad.numpy_common import ndim as _ndim
from minigrad.numpy_common import require as _require
from minigrad.numpy_composites import COMPOSITES
from minigrad.numpy_linalg import LINALG
from minigrad.tensor import Tensor


# ----- array functions: numpy's signature (leading arguments in numpy's order) -> minigrad op ---
def _reduction(name: str) -> Callable:
    return lambda a, axis=None, *, keepdims=False: op(name)(a, axis=axis, keepdims=keepdims)


def _typed_reduction(name: str) -> Callable:  # numpy's dtype= is torch's: the input is cast first
    def adapter(a: Any, axis: Any = None, dtype: Any = None, *, keepdims: bool = False) -> Any:
        kw = {} if dtype is None else {"dtype": dtype}
        return op(name)(a, axis=axis, keepdims=keepdims, **kw)
    return adapter


def _moments(name: str) -> Callable:  # numpy's ddof defaults to 0 (torch's to 1): always pass it
    return lambda a, axis=None, *, ddof=0, keepdims=False: op(name)(a, axis=axis, ddof=ddof,
                                                                    keepdims=keepdims)


def _arg(name: str) -> Callable:
    return lambda a, axis=None: op(name)(a, axis=axis)


def _scan(name: str) -> Callable:  # numpy's axis=None scans the flattened array
    def adapter(a: Any, axis: Any = None, dtype: Any = None) -> Any:
        kw = {} if dtype is None else {"dtype": dtype}
        return op(name)(_flat(a), axis=0, **kw) if axis is None else op(name)(a, axis=axis, **kw)
    return adapter


def _concatenate(arrays: Any, axis: Any = 0) -> Any:
    if axis is None:
        return op("concat")([_flat(a) for a in arrays], axis=0)
    return op("concat")(list(arrays), axis=axis)


def _where(condition: Any, *xy: Any) -> Any:
    if not xy:  # np.where(c) is np.nonzero(c): indices, no gradient
        return np.nonzero(_arrays(condition))
    _require(len(xy) == 2, "np.where takes 1 or 3 arguments")
    return op("where")(condition, *xy)


def _dot(a: Any, b: Any) -> Any:
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return op("mul")(a, b)
    if (na <= 2 and nb <= 2) or na == 1 or nb == 1:
        return op("matmul")(a, b)
    return op("tensordot")(a, b, axes=([na - 1], [nb - 2]))


def _einsum(subscripts: str, *operands: Any, optimize: Any = False) -> Any:
    return op("einsum")(subscripts, *operands)


def _reshape(a: Any, shape: Any, order: str = "C", *, copy: Any = None) -> Any:
    _require(order == "C" and copy is None, "order/copy")
    return op("reshape")(a, shape)


def _ravel(a: Any, order: str = "C") -> Any:
    _require(order == "C", "order")
    return op("reshape")(a, (-1,))


def _clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None,  # noqa: A002
          max: Any = None) -> Any:  # noqa: A002
    return op("clip")(a, a_min if min is None else min, a_max if max is None else max)


def _round(a: Any, decimals: int = 0) -> Any:
    return op("round")(a) if decimals == 0 else op("round")(a, decimals)


def _copy(a: Any, order: str = "K") -> Any:
    return a.clone() if isinstance(a, Tensor) else np.copy(a, order=order)


def _sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *,
          stable: Any = None) -> Any:
    _require(order is None, "order (structured arrays)")
    return op("np_sort")(a, axis=axis)


def _trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return op("trace")(a, offset, axis1, axis2)


def _diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return op("diagonal")(a, offset, axis1, axis2)


# ----- ufuncs (method '__call__', no keyword arguments): a functional name, or an adapter above --
UFUNCS: dict[Any, str | Callable] = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
    np.negative: "neg", np.power: "pow", np.matmul: "matmul", np.exp: "exp", np.log: "log",
    np.tanh: "tanh", np.sqrt: "sqrt", np.absolute: "abs", np.fabs: "abs", np.sign: "sign",
    np.square: "square", np.sin: "sin", np.cos: "cos", np.tan: "tan", np.log1p: "log1p",
    np.expm1: "expm1", np.exp2: "exp2", np.log2: "log2", np.log10: "log10", np.sinh: "sinh",
    np.cosh: "cosh", np.arcsin: "arcsin", np.arccos: "arccos", np.arctan: "arctan",
    np.reciprocal: "reciprocal", np.floor: "floor", np.ceil: "ceil", np.rint: "round",
    np.trunc: "trunc", np.maximum: "maximum", np.minimum: "minimum", np.remainder: "remainder",
    np.floor_divide: "floor_divide", np.equal: "eq", np.not_equal: "ne", np.less: "lt",
    np.less_equal: "le", np.greater: "gt", np.greater_equal: "ge",
    np.logical_and: "logical_and", np.logical_or: "logical_or", np.logical_not: "logical_not",
    np.logical_xor: "logical_xor", np.arctan2: "arctan2", np.hypot: "hypot",
    np.deg2rad: "deg2rad", np.radians: "deg2rad", np.rad2deg: "rad2deg", np.degrees: "rad2deg",
    np.arcsinh: "arcsinh", np.arccosh: "arccosh", np.arctanh: "arctanh",
    np.logaddexp: "logaddexp", np.logaddexp2: "logaddexp2", np.copysign: "copysign",
    np.fmod: "fmod", np.bitwise_and: "bitwise_and", np.bitwise_or: "bitwise_or",
    np.bitwise_xor: "bitwise_xor", np.invert: "bitwise_not", np.left_shift: "bitwise_left_shift",
    np.right_shift: "bitwise_right_shift", np.conjugate: _identity, np.positive: _copy,
}


FUNCTIONS: dict[Callable, Callable] = {
    np.sum: _typed_reduction("sum"), np.mean: _typed_reduction("mean"),
    np.prod: _typed_reduction("prod"), np.nansum: _typed_reduction("nansum"),
    np.nanmean: _typed_reduction("nanmean"),
    np.max: _reduction("amax"), np.amax: _reduction("amax"),
    np.min: _reduction("amin"), np.amin: _reduction("amin"),
    np.var: _moments("var"), np.std: _moments("std"),
    np.cumsum: _scan("cumsum"), np.cumprod: _scan("cumprod"),
    np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.concatenate: _concatenate, np.stack: lambda arrays, axis=0: op("stack")(list(arrays),
                                                                              axis=axis),
    np.hstack: lambda tup: op("hstack")(list(tup)), np.vstack: lambda tup: op("vstack")(list(tup)),
    np.dstack: lambda tup: op("dstack")(list(tup)),
    np.where: _where, np.dot: _dot, np.einsum: _einsum,  # np.matmul is a ufunc: UFUNCS
    np.tensordot: lambda a, b, axes=2: op("tensordot")(a, b, axes=axes),
    np.outer: lambda a, b: op("outer")(_flat(a), _flat(b)),
    np.inner: lambda a, b: op("inner")(a, b), np.vdot: lambda a, b: op("vdot")(a, b),
    np.trace: _trace, np.diagonal: _diagonal, np.diag: lambda v, k=0: op("diag")(v, k=k),
    np.transpose: lambda a, axes=None: op("transpose")(a, axes),
    np.reshape: _reshape, np.ravel: _ravel,
    np.squeeze: lambda a, axis=None: op("squeeze")(a, axis=axis),
    np.expand_dims: lambda a, axis: op("expand_dims")(a, axis),
    np.broadcast_to: lambda array, shape: op("broadcast_to")(array, shape),
    np.swapaxes: lambda a, axis1, axis2: op("swapaxes")(a, axis1, axis2),
    np.moveaxis: lambda a, source, destination: op("moveaxis")(a, source, destination),
    np.clip: _clip, np.round: _round, np.around: _round, np.copy: _copy,
    np.repeat: lambda a, repeats, axis=None: op("repeat_interleave")(a, repeats, axis=axis),
    np.tile: lambda A, reps: op("tile")(A, reps),
    np.split: lambda ary, indices_or_sections, axis=0: op("np_split")(ary, indices_or_sections,
                                                                      axis=axis),
    np.array_split: lambda ary, indices_or_sections, axis=0: op("array_split")(
        ary, indices_or_sections, axis=axis),
    np.pad: lambda array, pad_width, mode="constant", **kw: op("np_pad")(array, pad_width,
                                                                         mode=mode, **kw),
    np.flip: lambda m, axis=None: op("flip")(m, axis=axis),
    np.roll: lambda a, shift, axis=None: op("roll")(a, shift, axis=axis),
    np.tril: lambda m, k=0: op("tril")(m, k), np.triu: lambda m, k=0: op("triu")(m, k),
    np.sort: _sort,
    np.take_along_axis: lambda arr, indices, axis=-1: (
        op("take_along_axis")(_flat(arr), indices, axis=0) if axis is None
        else op("take_along_axis")(arr, indices, axis=axis)),
    np.nan_to_num: lambda x, copy=True, nan=0.0, posinf=None, neginf=None: op("nan_to_num")(
        x, nan=nan, posinf=posinf, neginf=neginf),
    np.sinc: lambda x: op("sinc")(x),
}

ARRAY_ONLY = {
    np.shape, np.ndim, np.size, np.result_type, np.array_equal, np.array_equiv, np.allclose,
    np.isclose, np.argmax, np.argmin, np.argsort, np.argpartition, np.nonzero, np.flatnonzero,
    np.argwhere, np.count_nonzero, np.any, np.all, np.searchsorted, np.shares_memory,
    np.may_share_memory, np.iscomplexobj, np.isrealobj, np.iscomplex, np.isreal, np.isfinite,
    np.isnan, np.isinf, np.signbit, np.equal, np.not_equal, np.less, np.less_equal, np.greater,
    np.greater_equal, np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.linalg.matrix_rank,
}


# ----- the protocols --------------------------------------------------------------------------
def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Tensor.__array_ufunc__: a listed ufunc called plainly runs its minigrad op."""
    if any(_foreign(x) for x in inputs + tuple(kwargs.get("out", ()))):
        return NotImplemented
    what = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    entry = UFUNCS.get(ufunc)
    if method != "__call__":
        reason = f"ufunc method {method!r}"
    elif kwargs:
        reason = f"argument(s) {', '.join(sorted(kwargs))}"
    elif entry is None:
        reason = "minigrad has no op for it"
    else:
        try:
            return (op(entry) if isinstance(entry, str) else entry)(*inputs)
        except MissingOp as e:
            reason = str(e)
    return _on_arrays(getattr(ufunc, method), what, ufunc in ARRAY_ONLY, inputs, kwargs, reason)


def array_function(func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
    """Tensor.__array_function__: a listed numpy function runs its minigrad op."""
    if not all(issubclass(t, (Tensor, np.ndarray)) for t in types):
        return NotImplemented
    what = f"{getattr(func, '__module__', None) or 'numpy'}.{func.__name__}"
    adapter = FUNCTIONS.get(func)
    reason = "minigrad has no op for it"
    if adapter is not None:
        kw = {k: v for k, v in kwargs.items() if not (k in ("out", "dtype") and v is None)}
        try:
            bound = _SIGNATURES[func].bind(*args, **kw)
        except TypeError:
            reason = (f"arguments beyond numpy's leading ones that minigrad takes: "
                      f"{list(_SIGNATURES[func].parameters)}")
        else:
            try:
                return adapter(*bound.args, **bound.kwargs)
            except (MissingOp, _Unsupported) as e:
                reason = str(e)
    return _on_arrays(func, what, func in ARRAY_ONLY, args, kwargs, reason)


def _on_arrays(call: Callable, what: str, array_only: bool, args: tuple, kwargs: dict,
               reason: str) -> Any:
    """`call` on the arrays behind the Tensors; a TypeError if that would drop a graph."""
    if not array_only and is_grad_enabled() and (_needs_graph(args) or _needs_graph(kwargs)):
        raise TypeError(
            f"{what} is not supported on a Tensor that requires grad ({reason}): the result "
            "would leave the autograd graph silently. Call it on t.detach() or t.data to take "
            "the values out of the graph knowingly, or use a minigrad.functional op.")
    out = kwargs.get("out")
    written = [t for t in (out if isinstance(out, tuple) else (out,)) if isinstance(t, Tensor)]
    for t in written:
        t._inplace(what)
    result = call(*_arrays(args), **_arrays(kwargs))
    if not written:
        return result
    by_buffer = {id(t.data): t for t in written}
    if isinstance(result, tuple):
        return tuple(by_buffer.get(id(r), r) for r in result)
    return by_buffer.get(id(result), result)


def _needs_graph(obj: Any) -> bool:
    if isinstance(obj, Tensor):
        return obj.requires_grad
    if isinstance(obj, (list, tuple)):
        return any(_needs_graph(o) for o in obj)
    if isinstance(obj, dict):
        return any(_needs_graph(o) for o in obj.values())
    return False


def _foreign(x: Any) -> bool:
    """Another library's array that overrides ufuncs itself (numpy then asks it next)."""
    return (hasattr(type(x), "__array_ufunc__")
            and not isinstance(x, (Tensor, np.ndarray, np.generic)))


# numpy-only composites and np.linalg's conventions live next door
FUNCTIONS.update(COMPOSITES)
FUNCTIONS.update(LINALG)
_SIGNATURES = {f: inspect.signature(adapter) for f, adapter in FUNCTIONS.items()}


def _tensor_array_ufunc(self: Tensor, ufunc: Any, method: str, *inputs: Any,
                        **kwargs: Any) -> Any:
    """`np.exp(t)`, `ndarray + t` ... run minigrad Functions."""
    return array_ufunc(ufunc, method, inputs, kwargs)


def _tensor_array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
    """`np.sum(t)`, `np.concatenate([t, u])` ... run minigrad Functions."""
    return array_function(func, types, args, kwargs)


TENSOR_METHODS = {"__array_ufunc__": _tensor_array_ufunc,
                  "__array_function__": _tensor_array_function}

