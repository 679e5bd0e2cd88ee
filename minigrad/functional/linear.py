"""Products: MatMul (np.matmul), Affine (CS231n), TemporalAffine, Einsum, Tensordot, Outer."""
from __future__ import annotations

import string
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.shape import Reshape


class MatMul(Function):
    """a @ b with numpy's matmul rules (1-D operands, broadcast batch dimensions)."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a = np.asarray(v.as_array("MatMul", "a", a))
        b = np.asarray(v.as_array("MatMul", "b", b))
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeRuntimeError(f"MatMul: operands must be at least 1-D, got a {a.shape} "
                                    f"and b {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeRuntimeError(f"MatMul: a.shape[-1] must equal "
                                    f"b.shape[{-2 if b.ndim > 1 else 0}], got a {a.shape} and "
                                    f"b {b.shape}")
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeRuntimeError(f"MatMul: batch dimensions must broadcast, got a {a.shape} "
                                    f"and b {b.shape}") from None

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        d2 = dout
        if b.ndim == 1:  # first, so that a 0-d dout of vector @ vector becomes (1, 1)
            d2 = np.expand_dims(d2, -1)
        if a.ndim == 1:
            d2 = np.expand_dims(d2, -2)
        da = db = None
        if ctx.needs_input_grad[0]:
            da = np.matmul(d2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                da = da[..., 0, :]
            da = v.unbroadcast(da, a.shape)
        if ctx.needs_input_grad[1]:
            db = np.matmul(np.swapaxes(a2, -1, -2), d2)
            if b.ndim == 1:
                db = db[..., 0]
            db = v.unbroadcast(db, b.shape)
        return da, db


class Affine(Function):
    """x.reshape(N, D) @ w + b: x (N, d1..dk), w (D, M), b (M,) -> (N, M), as CS231n affine."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any) -> np.ndarray:
        x, w, b = (v.floating("Affine", n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        if x.ndim < 2:
            raise ShapeError(f"Affine: x must be at least 2-D (N, d1, ...), got shape {x.shape}")
        v.ndim("Affine", "w", w, 2, "(D, M)")
        v.ndim("Affine", "b", b, 1, "(M,)")
        x2 = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # (N, D); N = 0 works (torch)
        v.same_dim("Affine", "x.reshape(N, -1)", x2, 1, "w", w, 0)
        v.same_dim("Affine", "b", b, 0, "w", w, 1)
        v.same_dtype("Affine", ("x", "w", "b"), x, w, b)
        ctx.save_for_backward(x2, w)
        ctx.x_shape = x.shape
        return x2 @ w + b  # (N, M)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x2, w = ctx.saved_tensors
        dx = (dout @ w.T).reshape(ctx.x_shape) if ctx.needs_input_grad[0] else None
        dw = x2.T @ dout if ctx.needs_input_grad[1] else None
        db = dout.sum(axis=0) if ctx.needs_input_grad[2] else None
        return dx, dw, db


class TemporalAffine(Function):
    """x @ w + b at every time step: x (N, T, D), w (D, M), b (M,) -> (N, T, M)."""

    @staticmethod
    def forward(ctx: Context, x: Any, w: Any, b: Any) -> np.ndarray:
        x, w, b = (v.floating("TemporalAffine", n, a) for n, a in (("x", x), ("w", w), ("b", b)))
        v.ndim("TemporalAffine", "x", x, 3, "(N, T, D)")
        v.ndim("TemporalAffine", "w", w, 2, "(D, M)")
        v.ndim("TemporalAffine", "b", b, 1, "(M,)")
        v.same_dim("TemporalAffine", "x", x, -1, "w", w, 0)
        v.same_dim("TemporalAffine", "b", b, 0, "w", w, 1)
        v.same_dtype("TemporalAffine", ("x", "w", "b"), x, w, b)
        N, T, D = x.shape
        ctx.time_major = is_time_major(x)
        x2 = x.transpose(1, 0, 2).reshape(T * N, D) if ctx.time_major else x.reshape(N * T, D)
        ctx.save_for_backward(x2, w)
        ctx.x_shape = x.shape
        out = x2 @ w  # (N*T, M) or (T*N, M)
        out += b
        M = w.shape[1]  # explicit sizes: N * T = 0 works (torch), giving an empty output
        if ctx.time_major:
            return out.reshape(T, N, M).transpose(1, 0, 2)  # (N, T, M) view, time-major
        return out.reshape(N, T, M)  # (N, T, M)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        x2, w = ctx.saved_tensors
        N, T, D = ctx.x_shape
        M = w.shape[1]
        if ctx.time_major:
            d2 = dout.transpose(1, 0, 2).reshape(T * N, M)  # (T*N, M)
        else:
            d2 = dout.reshape(N * T, M)  # (N*T, M)
        dx = None
        if ctx.needs_input_grad[0]:
            dx = d2 @ w.T
            dx = dx.reshape(T, N, D).transpose(1, 0, 2) if ctx.time_major else dx.reshape(N, T, D)
        dw = x2.T @ d2 if ctx.needs_input_grad[1] else None
        db = d2.sum(axis=0) if ctx.needs_input_grad[2] else None
        return dx, dw, db


def _einsum_spec(fn: str, subscripts: Any, shapes: list) -> tuple:
    """(terms, out, sizes): subscripts with '...' spelt out as letters, and each letter's size.

    Implicit output: the ellipsis axes, then the letters used once, sorted (numpy, torch); an
    explicit output without '...' sums the ellipsis axes (torch). Sizes of 1 broadcast.
    """
    if not isinstance(subscripts, str):
        raise DTypeError(f"{fn}: subscripts must be a str, got {type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeRuntimeError(f"{fn}: subscripts {subscripts!r} name {len(terms)} "
                                f"operand(s), got {len(shapes)}")
    for t in [*terms, out]:
        if "->" in t or not all(c in string.ascii_letters for c in t.replace("...", "", 1)):
            raise ShapeRuntimeError(f"{fn}: subscripts {subscripts!r} may hold only letters, "
                                    "one '...' per operand, commas and one '->'")
    n_ell = []
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len(t) - 3 if "..." in t else len(t)
        n_ell.append(len(shape) - named)
        if n_ell[-1] < 0 or ("..." not in t and n_ell[-1]):
            raise ShapeRuntimeError(f"{fn}: operand {k} has shape {tuple(shape)} but its "
                                    f"subscripts {t!r} name {named} axes")
    free = [c for c in string.ascii_letters if c not in spec]
    ell = "".join(free[:max(n_ell, default=0)])
    if len(ell) < max(n_ell, default=0):
        raise ShapeRuntimeError(f"{fn}: too many axes for the 52 subscript letters")
    terms = [t.replace("...", ell[len(ell) - n:]) for t, n in zip(terms, n_ell, strict=True)]
    if not arrow:
        once = [c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1]
        out = ell + "".join(sorted(once))
    out = out.replace("...", ell)
    sizes: dict = {}
    for t, shape in zip(terms, shapes, strict=True):
        own: dict = {}
        for c, n in zip(t, shape, strict=True):
            if own.setdefault(c, n) != n or c in sizes and n not in (1, sizes[c]) and \
                    sizes[c] != 1:
                raise ShapeRuntimeError(f"{fn}: index {c!r} has sizes {sizes.get(c, own[c])} and "
                                        f"{n} in {subscripts!r} for shapes "
                                        f"{[tuple(s) for s in shapes]}")
        for c, n in own.items():
            if sizes.get(c, 1) == 1:
                sizes[c] = n
    bad = [c for c in out if c not in sizes or out.count(c) > 1]
    if bad:
        raise ShapeRuntimeError(f"{fn}: output index {bad[0]!r} of {subscripts!r} must appear "
                                "once in the output and in some operand")
    return terms, out, sizes


def _spread(a: np.ndarray, term: str, sizes: dict) -> np.ndarray:
    """`a` broadcast (a view) to the full size of each of its letters."""
    full = [sizes[c] for c in term]
    return a if list(a.shape) == full else np.broadcast_to(a, full)


class Einsum(Function):
    """np.einsum / torch.einsum: explicit or implicit output, '...' with broadcasting, repeated
    indices (traces, diagonals), indices summed inside one operand."""

    @staticmethod
    def forward(ctx: Context, *operands: Any, subscripts: str = "") -> np.ndarray:
        ops = [np.asarray(v.as_array("Einsum", f"operands[{i}]", o))
               for i, o in enumerate(operands)]
        terms, out, sizes = _einsum_spec("Einsum", subscripts, [o.shape for o in ops])
        ops = [_spread(o, t, sizes) for o, t in zip(ops, terms, strict=True)]
        ctx.save_for_backward(*ops)
        ctx.terms, ctx.out, ctx.sizes = terms, out, sizes
        ctx.shapes = [np.shape(o) for o in operands]
        return np.asarray(np.einsum(",".join(terms) + "->" + out, *ops, optimize=len(ops) > 1))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        ops, terms, sizes = ctx.saved_tensors, ctx.terms, ctx.sizes
        grads = []
        for k, term in enumerate(terms):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(t, o) for j, (t, o) in enumerate(zip(terms, ops, strict=True)) if j != k]
            others.append((ctx.out, dout))
            uniq = "".join(dict.fromkeys(term))
            avail = set("".join(t for t, _ in others))
            keep = "".join(c for c in uniq if c in avail)
            g = np.einsum(",".join(t for t, _ in others) + "->" + keep, *[o for _, o in others],
                          optimize=len(others) > 1)
            g = np.broadcast_to(g.reshape([sizes[c] if c in avail else 1 for c in uniq]),
                                [sizes[c] for c in uniq])
            if len(uniq) < len(term):  # repeated index: the gradient lives on the diagonal
                dx = np.zeros([sizes[c] for c in term], dtype=dout.dtype)
                dx[tuple(np.arange(sizes[c]).reshape([-1 if u == c else 1 for u in uniq])
                         for c in term)] = g
                g = dx
            grads.append(v.unbroadcast(g, ctx.shapes[k]))
        return tuple(grads)


def _tensordot_axes(a: np.ndarray, b: np.ndarray, axes: Any) -> tuple:
    """(a axes, b axes) contracted, as lists of non-negative ints, checked."""
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ShapeRuntimeError(f"Tensordot: axes {axes} must be in "
                                    f"[0, {min(a.ndim, b.ndim)}] for a {a.shape} and b {b.shape}")
        ca, cb = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        try:
            ax_a, ax_b = axes
        except (TypeError, ValueError):
            raise ShapeRuntimeError(f"Tensordot: axes must be an int or a pair of sequences, "
                                    f"got {axes!r}") from None
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise ShapeRuntimeError(f"Tensordot: axes {axes!r} must pair as many axes of a as "
                                    "of b")
        for name, x, ax in (("a", a, ax_a), ("b", b, ax_b)):
            if any(not -x.ndim <= i < x.ndim for i in ax) or len({i % x.ndim for i in ax}) \
                    != len(ax):
                raise ShapeRuntimeError(f"Tensordot: axes {ax} of {name} are out of range or "
                                        f"repeated for {name} of shape {x.shape}")
        ca, cb = [i % a.ndim for i in ax_a], [i % b.ndim for i in ax_b]
    for i, j in zip(ca, cb, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ShapeRuntimeError(f"Tensordot: a.shape[{i}] must equal b.shape[{j}], got "
                                    f"a {a.shape} and b {b.shape}")
    return ca, cb


class Tensordot(Function):
    """np.tensordot(a, b, axes): axes an int N (last N of a with first N of b) or a pair."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any, axes: Any = 2) -> np.ndarray:
        a = np.asarray(v.as_array("Tensordot", "a", a))
        b = np.asarray(v.as_array("Tensordot", "b", b))
        ctx.ca, ctx.cb = _tensordot_axes(a, b, axes)
        ctx.save_for_backward(a, b)
        return np.asarray(np.tensordot(a, b, (ctx.ca, ctx.cb)))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        ca, cb = ctx.ca, ctx.cb
        fa = [i for i in range(a.ndim) if i not in ca]
        fb = [i for i in range(b.ndim) if i not in cb]
        da = db = None
        if ctx.needs_input_grad[0]:  # axes fa + b's contracted ones in b order, as a axes
            g = np.tensordot(dout, b, (list(range(len(fa), dout.ndim)), fb))
            da = g.transpose(np.argsort(fa + [ca[cb.index(j)] for j in sorted(cb)]))
        if ctx.needs_input_grad[1]:  # a's contracted axes in a order, as b axes, then fb
            g = np.tensordot(a, dout, (fa, list(range(len(fa)))))
            db = g.transpose(np.argsort([cb[ca.index(i)] for i in sorted(ca)] + fb))
        return da, db


class Outer(Function):
    """np.outer(a, b): (M,), (N,) -> (M, N); inputs of other shapes are flattened first."""

    @staticmethod
    def forward(ctx: Context, a: Any, b: Any) -> np.ndarray:
        a = np.asarray(v.as_array("Outer", "a", a))
        b = np.asarray(v.as_array("Outer", "b", b))
        ctx.save_for_backward(a, b)
        return np.outer(a, b)  # (M, N)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        a, b = ctx.saved_tensors
        da = (dout @ b.reshape(-1)).reshape(a.shape) if ctx.needs_input_grad[0] else None
        db = (a.reshape(-1) @ dout).reshape(b.shape) if ctx.needs_input_grad[1] else None
        return da, db


def is_time_major(x: np.ndarray) -> bool:
    """Whether a (N, T, ...) array is a view of time-major (T, N, ...) contiguous memory."""
    return not x.flags.c_contiguous and x.swapaxes(0, 1).flags.c_contiguous


def matmul(a: Any, b: Any) -> Any:
    """a @ b."""
    return MatMul.apply(a, b)


def affine(x: Any, w: Any, b: Any) -> Any:
    """(N, d1..dk), (D, M), (M,) -> (N, M)."""
    return Affine.apply(x, w, b)


def temporal_affine(x: Any, w: Any, b: Any) -> Any:
    """(N, T, D), (D, M), (M,) -> (N, T, M)."""
    return TemporalAffine.apply(x, w, b)


def einsum(subscripts: str, *operands: Any) -> Any:
    """np.einsum / torch.einsum; operands may also be given as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(*operands, subscripts=subscripts)


def tensordot(a: Any, b: Any, axes: Any = 2, dims: Any = None) -> Any:
    """np.tensordot(a, b, axes) / torch.tensordot(a, b, dims)."""
    return Tensordot.apply(a, b, axes=axes if dims is None else dims)


def outer(a: Any, b: Any) -> Any:
    """(M,), (N,) -> (M, N)."""
    return Outer.apply(a, b)


def _check_ndim(fn: str, a: Any, b: Any, ok: tuple, what: str) -> None:
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) not in ok or len(sb) not in ok:
        raise ShapeRuntimeError(f"{fn}: a and b must be {what}, got a {sa} and b {sb}")


def dot(a: Any, b: Any) -> Any:
    """numpy dot for 1-D and 2-D operands (inner product, matrix-vector, matrix product)."""
    _check_ndim("dot", a, b, (1, 2), "1-D or 2-D (use matmul or tensordot for N-D)")
    return MatMul.apply(a, b)


def vdot(a: Any, b: Any) -> Any:
    """Inner product of the flattened a and b."""
    return MatMul.apply(Reshape.apply(a, shape=(-1,)), Reshape.apply(b, shape=(-1,)))


def inner(a: Any, b: Any) -> Any:
    """Sum over the last axes of a and b (numpy/torch inner); a 0-d operand multiplies."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return Einsum.apply(a, b, subscripts="...,...")
    return Tensordot.apply(a, b, axes=([-1], [-1]))


def mm(a: Any, b: Any) -> Any:
    """(N, K) @ (K, M) -> (N, M), 2-D only (torch.mm)."""
    _check_ndim("mm", a, b, (2,), "2-D")
    return MatMul.apply(a, b)


def bmm(a: Any, b: Any) -> Any:
    """(B, N, K) @ (B, K, M) -> (B, N, M), 3-D with equal batch sizes (torch.bmm)."""
    _check_ndim("bmm", a, b, (3,), "3-D")
    if np.shape(a)[0] != np.shape(b)[0]:
        raise ShapeRuntimeError(f"bmm: a and b must have the same batch size, got "
                                f"a {np.shape(a)} and b {np.shape(b)}")
    return MatMul.apply(a, b)


__all__ = ["MatMul", "Affine", "TemporalAffine", "Einsum", "Tensordot", "Outer", "matmul", "affine",
           "temporal_affine", "einsum", "tensordot", "outer", "dot", "vdot", "inner", "mm", "bmm"]

TENSOR_METHODS = {
    "matmul": matmul, "dot": dot, "vdot": vdot, "inner": inner, "outer": outer, "mm": mm,
    "bmm": bmm,
    "__matmul__": lambda self, o: MatMul.apply(self, o),
    "__rmatmul__": lambda self, o: MatMul.apply(o, self),
}
