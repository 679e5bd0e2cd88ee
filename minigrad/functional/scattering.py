"""Writing by index and selecting by mask: scatter, scatter_add, scatter_reduce (sum, prod,
mean, amax, amin), masked_select, one_hot; torch's semantics, errors and gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeRuntimeError, RangeRuntimeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional.elementwise import fit_grad
from minigrad.functional.index import _along_index, _dim, _flat_targets
from minigrad.functional.validate import as_array, kept
from minigrad.tensor import Tensor

_REDUCE = ("sum", "prod", "mean", "amax", "amin")


def _where(fn: str, x: Any, dim: Any, index: Any, src: Any) -> tuple:
    """(x, flat target of every index element, the src values they carry, index shape),
    checked."""
    x = np.asarray(as_array(fn, "x", x))
    if x.ndim == 0:
        raise ShapeRuntimeError(f"{fn}: x must have at least 1 dimension, got shape ()")
    d = _dim(fn, dim, x.shape)
    index = _along_index(fn, x, d, index)
    if isinstance(src, np.ndarray):
        if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape,
                                                                strict=True)):
            raise ShapeRuntimeError(f"{fn}: src must have index's number of dimensions and "
                                    f"sizes >= index's, got src {src.shape} and index "
                                    f"{index.shape}")
        if src.dtype != x.dtype:
            raise DTypeRuntimeError(f"{fn}: src must have x's dtype, got src {src.dtype} and "
                                    f"x {x.dtype}")
        vals = src[tuple(slice(0, s) for s in index.shape)].ravel()
    else:
        vals = np.full(index.size, src, dtype=x.dtype)
    return x, _flat_targets(index, d, x.shape), vals, index.shape


def _identity(mode: str, dtype: np.dtype) -> Any:
    if mode in ("sum", "mean"):
        return 0
    if mode == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    return -big if mode == "amax" else big


def _reduce(x: np.ndarray, flat: np.ndarray, vals: np.ndarray, mode: str,
            include_self: bool) -> tuple:
    """(out, hit, count): x with the src values reduced into their targets."""
    out = x.ravel().copy()
    hit = np.zeros(out.size, bool)
    hit[flat] = True
    if mode == "assign":
        out[flat] = vals  # repeated targets: the last value wins (numpy, torch on CPU)
        return out.reshape(x.shape), hit, None
    if not include_self:
        out[hit] = _identity(mode, x.dtype)
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[mode]
    ufunc.at(out, flat, vals)
    count = np.bincount(flat, minlength=out.size) + (1 if include_self else 0)
    if mode == "mean":
        div = np.where(hit, count, 1)
        out = out // div if out.dtype.kind in "iu" else (out / div).astype(out.dtype)
    return out.reshape(x.shape), hit, count


def _products_of_others(flat: np.ndarray, vals: np.ndarray, size: int) -> tuple:
    """(product of every target's values, per value the product of the others at its target),
    exact with zeros (no division by a zero)."""
    nz = np.where(vals == 0, 1, vals)
    prod_nz = np.ones(size, vals.dtype)
    np.multiply.at(prod_nz, flat, nz)
    zeros = np.bincount(flat, weights=vals == 0, minlength=size)
    g, z = prod_nz[flat], zeros[flat]
    others = np.where(vals == 0, np.where(z == 1, g, 0), np.where(z > 0, 0, g / nz))
    return np.where(zeros > 0, 0, prod_nz), others


class _ScatterBase(Function):
    """Shared forward/backward of Scatter and ScatterReduce (not public)."""

    @staticmethod
    def run(ctx: Context, fn: str, x: Any, dim: Any, index: Any, src: Any, mode: str,
            include_self: bool) -> np.ndarray:
        x, flat, vals, ishape = _where(fn, x, dim, index, src)
        out, hit, count = _reduce(x, flat, vals, mode, include_self)
        ctx.mode, ctx.include_self, ctx.ishape = mode, include_self, ishape
        ctx.save_for_backward(x, flat, vals, out, hit, count)
        return out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x, flat, vals, out, hit, count = ctx.saved_tensors
        mode, keep = ctx.mode, ctx.include_self
        g = dout.ravel()
        gx = g.copy()
        if mode == "assign" or not keep:
            gx[hit] = 0
        if mode == "mean":
            scale = np.where(hit, 1.0 / np.maximum(count, 1), 1.0)
            gx, gv = gx * scale, (g * scale)[flat]
        elif mode == "prod":
            total, others = _products_of_others(flat, vals, g.size)
            xs = x.ravel()
            if keep:
                gx = np.where(hit, g * total, g)
            gv = g[flat] * others * (xs[flat] if keep else 1)
        elif mode in ("amax", "amin"):
            r = out.ravel()
            self_tie = hit & (x.ravel() == r) & keep
            src_tie = vals == r[flat]
            n = self_tie + np.bincount(flat, weights=src_tie, minlength=g.size)
            share = g / np.where(n > 0, n, 1)
            gx = np.where(hit, share * self_tie, g)
            gv = share[flat] * src_tie
        else:  # assign, sum: the gradient flows to the value that landed there (torch: gather)
            gv = g[flat]
        dx = fit_grad(ctx, 0, gx.reshape(x.shape)) if ctx.needs_input_grad[0] else None
        dsrc = None
        if len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]:
            dsrc = np.zeros(*ctx.input_meta(3))
            dsrc[tuple(slice(0, s) for s in ctx.ishape)] = gv.reshape(ctx.ishape)
        return (dx, None, None, dsrc)


class Scatter(_ScatterBase):
    """x with src written at `index` along `dim` (torch.scatter): out[i][index[i][j]] = src[i][j]
    for dim 1, any rank; src an array (>= index's sizes, x's dtype) or a number; reduce None
    (repeated targets: the last value wins), 'add' or 'multiply'. Gradients as torch: x gets
    dout except where written, src the dout gathered at its targets."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int, index: Any, src: Any,
                reduce: str | None = None) -> np.ndarray:
        modes = {None: "assign", "add": "sum", "multiply": "prod"}
        if reduce not in modes:
            raise RangeRuntimeError(f"Scatter: reduce must be None, 'add' or 'multiply', got "
                                    f"{reduce!r}")
        return _ScatterBase.run(ctx, "Scatter", x, dim, index, as_array("Scatter", "src", src),
                                modes[reduce], True)


class ScatterReduce(_ScatterBase):
    """x with src reduced into it at `index` along `dim` (torch.scatter_reduce): reduce 'sum',
    'prod', 'mean', 'amax' or 'amin', x's own values included unless include_self=False; x and
    src one dtype, index with sizes <= src's (and x's but on dim). Gradients as torch: prod
    exact with zeros, amax/amin shared evenly among the tied values."""

    @staticmethod
    def forward(ctx: Context, x: Any, dim: int, index: Any, src: Any, reduce: str = "sum",
                include_self: bool = True) -> np.ndarray:
        if reduce not in _REDUCE:
            raise RangeRuntimeError(f"ScatterReduce: reduce must be one of {list(_REDUCE)}, got "
                                    f"{reduce!r}")
        src = np.asarray(as_array("ScatterReduce", "src", src))
        return _ScatterBase.run(ctx, "ScatterReduce", x, dim, index, src, reduce,
                                bool(include_self))


class MaskedSelect(Function):
    """The elements of x where mask is True, x and mask broadcast together, as a 1-D array in C
    order (torch.masked_select); the gradient scatters back to those elements."""

    @staticmethod
    def forward(ctx: Context, x: Any, mask: Any) -> np.ndarray:
        x = np.asarray(as_array("MaskedSelect", "x", x))
        m = np.asarray(as_array("MaskedSelect", "mask", mask))
        if m.dtype != np.bool_:
            raise DTypeRuntimeError(f"MaskedSelect: mask must be a bool array, got dtype "
                                    f"{m.dtype}")
        try:
            xb, mb = np.broadcast_arrays(x, m)
        except ValueError:
            raise ShapeRuntimeError(f"MaskedSelect: x and mask must broadcast together, got x "
                                    f"{x.shape} and mask {m.shape}") from None
        ctx.save_for_backward(kept(ctx, m))  # a copy: the caller may edit mask later
        ctx.shape = xb.shape
        return xb[mb]

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        mb = np.broadcast_to(ctx.saved_tensors[0], ctx.shape)
        g = np.zeros(mb.shape, dout.dtype)
        g[mb] = dout
        return fit_grad(ctx, 0, g), None


def scatter(x: Any, dim: int, index: Any, src: Any = None, value: Any = None,
            reduce: str | None = None) -> Any:
    """torch.scatter(x, dim, index, src) or (..., value=number), reduce None/'add'/'multiply'."""
    if (src is None) == (value is None):
        raise TypeError("scatter: give src (an array or a number) or value, exactly one")
    return Scatter.apply(x, dim, index, value if src is None else src, reduce=reduce)


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Any:
    """torch.scatter_add: scatter_reduce(..., 'sum') with x's values included."""
    return ScatterReduce.apply(x, dim, index, src, reduce="sum")


def scatter_reduce(x: Any, dim: int, index: Any, src: Any, reduce: str,
                   include_self: bool = True) -> Any:
    """torch.scatter_reduce(x, dim, index, src, reduce, include_self=True)."""
    return ScatterReduce.apply(x, dim, index, src, reduce=reduce, include_self=include_self)


def masked_select(x: Any, mask: Any) -> Any:
    """x[mask] as a 1-D array, x and mask broadcast (torch.masked_select)."""
    return MaskedSelect.apply(x, mask)


def one_hot(x: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows: x (...) of class ids in [0, num_classes) -> (..., num_classes);
    num_classes -1 means max(x) + 1 (torch.nn.functional.one_hot). Outside the graph."""
    ids = np.asarray(x.data if isinstance(x, Tensor) else as_array("one_hot", "x", x))
    if ids.dtype.kind not in "iu":
        raise DTypeRuntimeError(f"one_hot: x must be an integer array of class ids, got dtype "
                                f"{ids.dtype}")
    n = int(ids.max()) + 1 if num_classes == -1 and ids.size else max(int(num_classes), 0)
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise RangeRuntimeError(f"one_hot: class ids must be in [0, {n}), got min {ids.min()} "
                                f"max {ids.max()}")
    return Tensor((ids[..., None] == np.arange(n)).astype(np.int64))


__all__ = ["Scatter", "ScatterReduce", "MaskedSelect", "scatter", "scatter_add",
           "scatter_reduce", "masked_select", "one_hot"]

TENSOR_METHODS = {"scatter": scatter, "scatter_add": scatter_add,
                  "scatter_reduce": scatter_reduce, "masked_select": masked_select}
