"""Matrix decompositions and norms: Cholesky, Eigh, Svd, Norm (part of the linalg family:
`minigrad.functional.linalg` re-exports them and holds their wrappers).

Cholesky and Eigh factor (x + xᵀ) / 2: for a symmetric x that is x itself (numpy and torch read
only its lower triangle) and the gradient is the symmetric one torch returns. Eigenvectors and
singular vectors are signed so that each one's largest-magnitude component is positive (LAPACK's
signs are arbitrary; this keeps them locally constant, so central differences agree).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.axes import _shown, axis_keepdims


def matrix(fn: str, name: str, x: Any, square: bool = False) -> np.ndarray:
    """`x` as a finite float (*, m, n) array, m == n if `square`, with m, n >= 1."""
    x = v.floating(fn, name, x)
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        what = "square matrix or a batch of them (*, n, n)" if square else \
            "matrix or a batch of them (*, m, n)"
        raise ShapeError(f"{fn}: {name} must be a {what}, got shape {x.shape}")
    if 0 in x.shape[-2:]:
        raise ShapeError(f"{fn}: {name} must have non-empty matrices, got shape {x.shape}")
    return x


def lapack(fn: str, what: str, x: np.ndarray, call: Callable, *args: Any,
           probe: Callable | None = None) -> Any:
    """`call(x, *args)`; numpy's LinAlgError becomes a RangeError naming the first matrix of x
    that `probe` (default `call`) fails on."""
    try:
        return call(x, *args)
    except np.linalg.LinAlgError:
        pass
    where = ""
    if x.ndim > 2:
        for i, m in enumerate(x.reshape(-1, *x.shape[-2:])):
            try:
                (probe or call)(m)
            except np.linalg.LinAlgError:
                where = f" at batch index {tuple(map(int, np.unravel_index(i, x.shape[:-2])))}"
                break
    raise RangeError(f"{fn}: {what}{where}, got shape {x.shape}") from None


def mT(x: np.ndarray) -> np.ndarray:
    """The batch of transposed matrices (a view)."""
    return np.swapaxes(x, -1, -2)


def sym(x: np.ndarray) -> np.ndarray:
    """(x + xᵀ) / 2 (exactly x when x is symmetric)."""
    return 0.5 * (x + mT(x))


def _signs(V: np.ndarray) -> np.ndarray:
    """(*, 1, k) signs making each column's largest-magnitude entry positive."""
    idx = np.argmax(np.abs(V), axis=-2)[..., None, :]
    s = np.sign(np.take_along_axis(V, idx, axis=-2))
    return np.where(s == 0, 1, s).astype(V.dtype)


def _set_diag(a: np.ndarray, d: Any) -> np.ndarray:
    n = min(a.shape[-2:])
    a[..., np.arange(n), np.arange(n)] = d
    return a


def svd_cofactor(x: np.ndarray) -> np.ndarray:
    """Cofactor matrices of (k, n, n) x from the SVD: sign U diag(prod_{j != i} s_j) Vh."""
    U, s, Vh = np.linalg.svd(x)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.sign(np.linalg.det(U)) * np.sign(np.linalg.det(Vh))
    return sign[..., None, None] * ((U * (before * after)[..., None, :]) @ Vh)


class Cholesky(Function):
    """Lower factor L of x = L Lᵀ (upper=True: U = Lᵀ): x (*, n, n) positive-definite -> (*, n, n).

    Backward is Murray (2016) / torch's: symmetric, since (x + xᵀ) / 2 is factorised.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, upper: bool = False) -> np.ndarray:
        x = matrix("Cholesky", "x", x, square=True)
        L = lapack("Cholesky", "x is not positive-definite", sym(x), np.linalg.cholesky)
        ctx.save_for_backward(L)
        ctx.upper = bool(upper)
        return mT(L).copy() if upper else L  # (*, n, n)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (L,) = ctx.saved_tensors
        gL = mT(dout) if ctx.upper else dout
        Linv = np.linalg.inv(L)
        phi = np.tril(mT(L) @ gL)
        _set_diag(phi, 0.5 * np.diagonal(phi, axis1=-2, axis2=-1))
        g = mT(Linv) @ phi @ Linv
        return sym(g)


class Eigh(Function):
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of the symmetric x:
    (*, n, n) -> w (*, n), V (*, n, n) with x = V diag(w) Vᵀ.

    The eigenvector gradient needs distinct eigenvalues (repeated ones give inf/NaN, as torch);
    a loss of w alone is fine with repeated eigenvalues.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> tuple:
        x = matrix("Eigh", "x", x, square=True)
        w, V = np.linalg.eigh(sym(x))
        V = V * _signs(V)
        ctx.save_for_backward(w, V)
        return w, V  # (*, n), (*, n, n)

    @staticmethod
    def backward(ctx: Context, dw: np.ndarray, dV: np.ndarray) -> np.ndarray:
        w, V = ctx.saved_tensors
        inner = _set_diag(np.zeros_like(V), dw)
        if dV.any():
            M = mT(V) @ dV
            E = w[..., None, :] - w[..., :, None]  # E[i, j] = w_j - w_i
            with np.errstate(divide="ignore", invalid="ignore"):
                K = 0.5 * (M - mT(M)) / E
            inner += _set_diag(K, 0.0)
        return V @ inner @ mT(V)


class Svd(Function):
    """x = U diag(S) Vh, singular values descending: x (*, m, n) -> U (*, m, k), S (*, k),
    Vh (*, k, n), k = min(m, n); full_matrices=True: U (*, m, m), Vh (*, n, n).

    Backward (Townsend 2016, as torch) needs distinct non-zero singular values when U or Vh is
    used; the extra columns of full_matrices get no gradient (torch ignores them too).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, full_matrices: bool = True) -> tuple:
        x = matrix("Svd", "x", x)
        U, S, Vh = np.linalg.svd(x, full_matrices=bool(full_matrices))
        k = S.shape[-1]
        s = _signs(U)  # (*, 1, m or k): each column of U and its row of Vh share a sign
        sv = mT(_signs(mT(Vh)))  # (*, k or n, 1): the extra rows of a full Vh keep their own
        sv[..., :k, :] = mT(s[..., :k])
        U, Vh = U * s, Vh * sv
        ctx.save_for_backward(U[..., :k], S, Vh[..., :k, :])
        ctx.k = k
        return U, S, Vh  # (*, m, k|m), (*, k), (*, k|n, n)

    @staticmethod
    def backward(ctx: Context, dU: np.ndarray, dS: np.ndarray, dVh: np.ndarray) -> np.ndarray:
        U, S, Vh = ctx.saved_tensors
        k = ctx.k
        gU, gVh = dU[..., :k], dVh[..., :k, :]
        inner = _set_diag(np.zeros(S.shape + (k,), dtype=S.dtype), dS)
        S2 = S * S
        with np.errstate(divide="ignore", invalid="ignore"):
            F = _set_diag(1.0 / (S2[..., None, :] - S2[..., :, None]), 0.0)
        g = None
        if gU.any():
            J = mT(U) @ gU
            inner += (F * (J - mT(J))) * S[..., None, :]
            if U.shape[-2] > k:
                gUs = gU / S[..., None, :]
                g = (gUs - U @ (mT(U) @ gUs)) @ Vh
        if gVh.any():
            K = Vh @ mT(gVh)  # Vᵀ gV
            inner += S[..., :, None] * (F * (K - mT(K)))
            if Vh.shape[-1] > k:
                gVs = gVh / S[..., :, None]
                extra = U @ (gVs - (gVs @ mT(Vh)) @ Vh)
                g = extra if g is None else g + extra
        out = U @ inner @ Vh
        return out if g is None else out + g


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _norm_plan(x: np.ndarray, ord: Any, axis: Any, kind: str) -> tuple:
    """(kind 'vector' or 'matrix', ord, axes) following torch.linalg.norm / np.linalg.norm."""
    if axis is None:
        axes = None
    elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes = (int(axis),)
    elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer))
                                                 and not isinstance(a, bool) for a in axis):
        axes = tuple(int(a) for a in axis)
    else:
        raise DTypeError(f"Norm: axis must be None, an int or a tuple of ints, got "
                         f"{_shown(axis)}")
    if axes is not None:
        for a in axes:
            if not -x.ndim <= a < x.ndim:
                raise ShapeError(f"Norm: axis {a} is out of range for x of shape {x.shape}")
        axes = tuple(a % x.ndim for a in axes)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"Norm: axis {axis} repeats an axis")
    if kind == "auto":
        if axes is None and ord is None:
            return "vector", 2, tuple(range(x.ndim))
        if axes is None:
            if x.ndim not in (1, 2):
                raise ShapeError(f"Norm: ord {ord!r} with axis None needs a 1-D or 2-D x, got "
                                 f"shape {x.shape}")
            axes = tuple(range(x.ndim))
        if len(axes) not in (1, 2):
            raise ShapeError(f"Norm: axis must name 1 (vector) or 2 (matrix) axes, got {axis}")
        kind = "vector" if len(axes) == 1 else "matrix"
    if kind == "matrix":
        axes = (x.ndim - 2, x.ndim - 1) if axes is None else axes
        if len(axes) != 2:
            raise ShapeError(f"Norm: a matrix norm needs 2 axes, got {axis}")
        ord = "fro" if ord is None else ord
        if isinstance(ord, bool) or ord not in _MATRIX_ORDS:
            raise RangeError(f"Norm: matrix ord must be one of 'fro', 'nuc', 1, -1, 2, -2, "
                             f"inf, -inf, got {ord!r}")
        return kind, ord, axes
    ord = 2 if ord is None else ord
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise RangeError(f"Norm: vector ord must be a number (inf allowed), got {ord!r}; 'fro' "
                         "and 'nuc' are matrix norms (give two axes)")
    return kind, float(ord), tuple(range(x.ndim)) if axes is None else axes


def _vector(x: np.ndarray, p: float) -> np.ndarray:
    """Vector p-norm over the last axis."""
    a = np.abs(x)
    if np.isinf(p):
        return a.max(axis=-1) if p > 0 else a.min(axis=-1)
    if p == 0:
        return (a != 0).sum(axis=-1).astype(x.dtype)
    if p == 1:
        return a.sum(axis=-1)
    if p == 2:
        return np.sqrt((x * x).sum(axis=-1))
    with np.errstate(divide="ignore"):
        return ((a ** p).sum(axis=-1)) ** (1.0 / p)


def _vector_grad(x: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """d norm / dx for `_vector` (0 where the norm is 0; inf-norm ties share equally)."""
    nn = n[..., None]
    if np.isinf(p):
        hit = np.abs(x) == nn
        return np.sign(x) * hit / hit.sum(axis=-1, keepdims=True)
    if p == 0:
        return np.zeros_like(x)
    if p == 1:
        return np.sign(x)
    if p == 2:
        return np.divide(x, nn, out=np.zeros_like(x), where=nn > 0)
    a = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = np.sign(x) * (a / nn) ** (p - 1)
    return np.where((nn > 0) & (a > 0) & np.isfinite(nn), g, 0).astype(x.dtype)


def _matrix(x: np.ndarray, ord: Any) -> tuple:
    """(matrix norm of the last two axes, what its gradient needs besides x)."""
    if ord == "fro":
        return np.sqrt((x * x).sum(axis=(-2, -1))), ()
    if ord in ("nuc", 2, -2):
        U, s, Vh = np.linalg.svd(x, full_matrices=False)
        if ord != "nuc":
            j = 0 if ord == 2 else s.shape[-1] - 1
            U, s, Vh = U[..., :, j:j + 1], s[..., j], Vh[..., j:j + 1, :]
        return (s.sum(axis=-1) if ord == "nuc" else s), (U, Vh)
    sums = np.abs(x).sum(axis=-2 if abs(ord) == 1 else -1)  # 1: column sums, inf: row sums
    return (sums.max(axis=-1) if ord > 0 else sums.min(axis=-1)), ()


def _matrix_grad(x: np.ndarray, n: np.ndarray, ord: Any, extra: tuple) -> np.ndarray:
    """d norm / dx for `_matrix` (0 where the Frobenius norm is 0; ties share equally)."""
    if ord == "fro":
        nn = n[..., None, None]
        return np.divide(x, nn, out=np.zeros_like(x), where=nn > 0)
    if extra:
        U, Vh = extra
        return U @ Vh
    along = -2 if abs(ord) == 1 else -1
    hit = np.abs(x).sum(axis=along) == n[..., None]
    return np.sign(x) * np.expand_dims(hit / hit.sum(axis=-1, keepdims=True), along)


class Norm(Function):
    """Vector or matrix norm of x over `axis`, torch.linalg.norm / np.linalg.norm semantics:
    any shape -> the reduced shape.

    axis None and ord None: 2-norm of the flattened x; one axis (or a 1-D x): vector norm, ord a
    number (2 default, inf, -inf, 0, p); two axes (or a 2-D x with ord given): matrix norm, ord
    'fro' (default), 'nuc', ±1, ±2, ±inf. kind='vector' (vector_norm: any axes) or 'matrix'
    (matrix_norm: last two axes by default) forces the kind. Gradients are 0 where the norm is 0
    (torch); ties in inf/1 norms share the gradient equally (torch's amax).
    """

    @staticmethod
    def forward(ctx: Context, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False,
                kind: str = "auto") -> np.ndarray:
        x = v.floating("Norm", "x", x)
        if kind not in ("auto", "vector", "matrix"):
            raise RangeError(f"Norm: kind must be 'auto', 'vector' or 'matrix', got {kind!r}")
        kind, ord, axes = _norm_plan(x, ord, axis, kind)
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        extra: tuple = ()
        if kind == "vector":
            moved = moved.reshape(moved.shape[:len(rest)] + (-1,))
            if moved.shape[-1] == 0 and ord < 0:
                raise ShapeError(f"Norm: ord {ord} needs a non-empty reduction, got x {x.shape}")
            n = _vector(moved, ord)
        else:
            if 0 in moved.shape[-2:]:
                raise ShapeError(f"Norm: a matrix norm needs non-empty matrices, got x {x.shape}")
            n, extra = _matrix(moved, ord)
        n = np.asarray(n, dtype=x.dtype)
        ctx.save_for_backward(moved, n, *extra)
        ctx.kind, ctx.ord, ctx.order = kind, ord, rest + list(axes)
        ctx.moved_shape = tuple(x.shape[a] for a in ctx.order)
        kept = tuple(1 if a in axes else s for a, s in enumerate(x.shape))
        return n.reshape(kept) if keepdims else n

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        moved, n, *extra = ctx.saved_tensors
        if ctx.kind == "vector":
            g = _vector_grad(moved, n, ctx.ord)
        else:
            g = _matrix_grad(moved, n, ctx.ord, tuple(extra))
        g = (g * dout.reshape(n.shape + (1,) * (g.ndim - n.ndim))).reshape(ctx.moved_shape)
        return np.transpose(g, np.argsort(ctx.order))


# ----- wrappers (re-exported by linalg.py) ------------------------------------------------------
_ak = axis_keepdims  # short local name for the wrappers below


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool | None = None, *,
         dim: Any = None, keepdim: bool | None = None) -> Any:
    """Vector or matrix norm (torch.linalg.norm / np.linalg.norm rules; see Norm)."""
    axis, keepdims = _ak("norm", axis, dim, keepdims, keepdim)
    return Norm.apply(x, ord=ord, axis=axis, keepdims=keepdims)


def vector_norm(x: Any, ord: Any = 2, axis: Any = None, keepdims: bool | None = None, *,
                dim: Any = None, keepdim: bool | None = None) -> Any:
    """Vector norm over `axis` (None: all elements; a tuple: those axes flattened)."""
    axis, keepdims = _ak("vector_norm", axis, dim, keepdims, keepdim)
    return Norm.apply(x, ord=ord, axis=axis, keepdims=keepdims, kind="vector")


def matrix_norm(x: Any, ord: Any = "fro", axis: Any = (-2, -1), keepdims: bool | None = None,
                *, dim: Any = None, keepdim: bool | None = None) -> Any:
    """Matrix norm over two axes (the last two by default)."""
    axis, keepdims = _ak("matrix_norm", None if dim is not None else axis, dim, keepdims, keepdim)
    return Norm.apply(x, ord=ord, axis=axis, keepdims=keepdims, kind="matrix")


def tensor_norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool | None = None, *,
                axis: Any = None, keepdims: bool | None = None) -> Any:
    """torch.norm / Tensor.norm: 'fro' or a number p is a vector norm over `dim` (None: every
    element, a tuple: those axes flattened); 'nuc' a matrix norm (the last two axes)."""
    axis, keepdims = _ak("norm", axis, dim, keepdims, keepdim)
    if isinstance(p, str) and p == "nuc":
        return Norm.apply(x, ord="nuc", axis=axis, keepdims=keepdims, kind="matrix")
    p = 2 if isinstance(p, str) and p == "fro" else p
    return Norm.apply(x, ord=p, axis=axis, keepdims=keepdims, kind="vector")
