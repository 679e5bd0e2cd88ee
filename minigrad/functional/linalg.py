"""Linear algebra: trace, diag, diagonal, diag_embed, inv, det, slogdet, solve, and (from
decomp.py) cholesky, eigh, svd, norm; composites pinv, matrix_power.

torch names first, numpy spellings as aliases (`inverse`, `axis1`/`dim1`). Matrix Functions
take a batch (*, n, n) of matrices and keep float32/float64; numpy's LinAlgError (a singular or
non-positive-definite matrix) becomes a RangeError naming the Function and the argument.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v
from minigrad.functional.decomp import (
    Cholesky,
    Eigh,
    Norm,
    Svd,
    lapack,
    matrix,
    matrix_norm,
    mT,
    norm,
    svd_cofactor,
    tensor_norm,
    vector_norm,
)
from minigrad.functional.elementwise import add, mul
from minigrad.functional.linear import matmul
from minigrad.functional.shape import swapaxes, unsqueeze
from minigrad.functional.unary import reciprocal
from minigrad.tensor import Tensor


def _int(fn: str, name: str, k: Any) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise DTypeError(f"{fn}: {name} must be an int, got {type(k).__name__}")
    return int(k)


def _two_axes(fn: str, x: np.ndarray, a1: Any, a2: Any, ndim: int | None = None) -> tuple:
    """Two distinct axes of an array of `ndim` dimensions (default x.ndim), non-negative."""
    nd = x.ndim if ndim is None else ndim
    out = []
    for name, a in (("axis1", a1), ("axis2", a2)):
        a = _int(fn, name, a)
        if not -nd <= a < nd:
            raise ShapeError(f"{fn}: {name} {a} is out of range for {nd}-D, x of shape {x.shape}")
        out.append(a % nd)
    if out[0] == out[1]:
        raise ShapeError(f"{fn}: axis1 and axis2 must differ, got {a1} and {a2} for x of shape "
                         f"{x.shape}")
    return tuple(out)


def _diag_index(n1: int, n2: int, offset: int) -> tuple:
    """(rows, cols) of diagonal `offset` in an (n1, n2) matrix (offset > 0: above the main)."""
    k = max(0, min(n1 - max(-offset, 0), n2 - max(offset, 0)))
    return np.arange(k) + max(-offset, 0), np.arange(k) + max(offset, 0)


def _scatter_diag(shape: tuple, dtype: Any, offset: int, axes: tuple, vals: Any) -> np.ndarray:
    """Zeros of `shape` with diagonal `offset` of axes (a1, a2) set to `vals` (..., k)."""
    g = np.zeros(shape, dtype=dtype)
    gm = np.moveaxis(g, axes, (-2, -1))  # a view of g
    rows, cols = _diag_index(gm.shape[-2], gm.shape[-1], offset)
    gm[..., rows, cols] = vals
    return g


def _diagonal_args(ctx: Context, fn: str, x: Any, offset: Any, axis1: Any,
                   axis2: Any) -> np.ndarray:
    """x as an at least 2-D array; its shape, the int `offset` and the two distinct axes on ctx."""
    x = np.asarray(v.as_array(fn, "x", x))
    if x.ndim < 2:
        raise ShapeError(f"{fn}: x must be at least 2-D, got shape {x.shape}")
    ctx.offset = _int(fn, "offset", offset)
    ctx.axes, ctx.shape = _two_axes(fn, x, axis1, axis2), x.shape
    return x


class Trace(Function):
    """Sum of diagonal `offset` over axes (axis1, axis2) (np.trace): x -> x without those axes."""

    @staticmethod
    def forward(ctx: Context, x: Any, offset: int = 0, axis1: int = 0,
                axis2: int = 1) -> np.ndarray:
        x = _diagonal_args(ctx, "Trace", x, offset, axis1, axis2)
        return np.asarray(np.trace(x, ctx.offset, *ctx.axes))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _scatter_diag(ctx.shape, dout.dtype, ctx.offset, ctx.axes, dout[..., None])


class Diagonal(Function):
    """Diagonal `offset` of axes (axis1, axis2), appended as the last axis (np/torch.diagonal):
    x (.., n1, .., n2, ..) -> (..., k)."""

    @staticmethod
    def forward(ctx: Context, x: Any, offset: int = 0, axis1: int = 0,
                axis2: int = 1) -> np.ndarray:
        x = _diagonal_args(ctx, "Diagonal", x, offset, axis1, axis2)
        return np.diagonal(x, ctx.offset, *ctx.axes).copy()

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return _scatter_diag(ctx.shape, dout.dtype, ctx.offset, ctx.axes, dout)


class Diag(Function):
    """torch.diag / np.diag: a 1-D x (n,) -> (n + |k|, n + |k|) with x on diagonal k; a 2-D x ->
    its diagonal k (1-D)."""

    @staticmethod
    def forward(ctx: Context, x: Any, k: int = 0) -> np.ndarray:
        x = np.asarray(v.as_array("Diag", "x", x))
        if x.ndim not in (1, 2):
            raise ShapeError(f"Diag: x must be 1-D (a diagonal) or 2-D (a matrix), got shape "
                             f"{x.shape}")
        ctx.k, ctx.shape = _int("Diag", "k", k), x.shape
        return np.diag(x, ctx.k).copy()

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        if len(ctx.shape) == 1:
            return np.diagonal(dout, ctx.k).copy()
        return _scatter_diag(ctx.shape, dout.dtype, ctx.k, (0, 1), dout)


class DiagEmbed(Function):
    """torch.diag_embed: the last axis of x on diagonal `offset` of new axes (dim1, dim2):
    x (..., n) -> (x.ndim + 1)-D with sides n + |offset| at dim1, dim2."""

    @staticmethod
    def forward(ctx: Context, x: Any, offset: int = 0, dim1: int = -2,
                dim2: int = -1) -> np.ndarray:
        x = np.asarray(v.as_array("DiagEmbed", "x", x))
        if x.ndim < 1:
            raise ShapeError(f"DiagEmbed: x must be at least 1-D, got shape {x.shape}")
        ctx.offset = _int("DiagEmbed", "offset", offset)
        ctx.axes = _two_axes("DiagEmbed", x, dim1, dim2, ndim=x.ndim + 1)
        m = x.shape[-1] + abs(ctx.offset)
        out = _scatter_diag(x.shape[:-1] + (m, m), x.dtype, ctx.offset, (-2, -1), x)
        return np.moveaxis(out, (-2, -1), ctx.axes)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        return np.diagonal(dout, ctx.offset, *ctx.axes).copy()


class Inv(Function):
    """Matrix inverse (torch.linalg.inv / np.linalg.inv): x (*, n, n) -> (*, n, n)."""

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = matrix("Inv", "x", x, square=True)
        y = lapack("Inv", "x is singular (not invertible)", x, np.linalg.inv)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (y,) = ctx.saved_tensors
        yt = mT(y)
        return -(yt @ dout @ yt)


class Det(Function):
    """Determinant: x (*, n, n) -> (*).

    The gradient is the cofactor matrix: det(x) inv(x)ᵀ, or for a (numerically) singular x the
    same matrix from the SVD, so it stays exact there (rank n - 1: non-zero; lower rank: 0), as
    central differences give. torch 2.x returns zeros for some exactly singular inputs instead.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> np.ndarray:
        x = matrix("Det", "x", x, square=True)
        ctx.save_for_backward(x)
        return np.asarray(np.linalg.det(x))

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        n = x.shape[-1]
        xs = x.reshape(-1, n, n)
        d = np.linalg.det(xs)
        scale = np.prod(np.linalg.norm(xs, axis=-2), axis=-1)  # Hadamard's bound on |det|
        singular = np.abs(d) <= 1e3 * np.finfo(x.dtype).eps * scale
        cof = np.empty_like(xs)
        if (~singular).any():
            cof[~singular] = d[~singular, None, None] * mT(np.linalg.inv(xs[~singular]))
        if singular.any():
            cof[singular] = svd_cofactor(xs[singular])
        return dout[..., None, None] * cof.reshape(x.shape)


class Slogdet(Function):
    """(sign, log|det|) of x (*, n, n) -> (*), (*); sign has no gradient.

    Singular x gives (0, -inf) as numpy; the gradient of log|det| (inv(x)ᵀ) is then undefined,
    and backward raises a RangeError if it is needed.
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> tuple:
        x = matrix("Slogdet", "x", x, square=True)
        sign, logabs = np.linalg.slogdet(x)
        ctx.save_for_backward(x)
        return np.asarray(sign), np.asarray(logabs)

    @staticmethod
    def backward(ctx: Context, dsign: np.ndarray, dlog: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        if not dlog.any():
            return np.zeros_like(x)
        y = lapack("Slogdet", "the gradient of log|det| needs an invertible x; x is singular",
                   x, np.linalg.inv)
        return dlog[..., None, None] * mT(y)


def _vector_rhs(A: np.ndarray, B: np.ndarray) -> bool:
    """torch.linalg.solve's rule: B is (a batch of) vectors if 1-D or shaped A.shape[:-1]."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


class Solve(Function):
    """X with A X = B (torch.linalg.solve): A (*, n, n), B (*, n, k) or vectors (n,) / (*, n)
    -> X shaped like B (batch dimensions broadcast).

    B is a batch of vectors when it is 1-D or has shape A.shape[:-1] (torch; numpy 2 treats only
    a 1-D b as a vector).
    """

    @staticmethod
    def forward(ctx: Context, A: Any, B: Any) -> np.ndarray:
        A = matrix("Solve", "A", A, square=True)
        B = v.floating("Solve", "B", B)
        v.same_dtype("Solve", ("A", "B"), A, B)
        ctx.vector = B.ndim >= 1 and _vector_rhs(A, B)
        B2 = B[..., None] if ctx.vector else B
        if B2.ndim < 2 or B2.shape[-2] != A.shape[-1]:
            raise ShapeError(f"Solve: B must have A.shape[-1] = {A.shape[-1]} rows ((*, n) or "
                             f"(*, n, k)), got A {A.shape} and B {B.shape}")
        try:
            batch = np.broadcast_shapes(A.shape[:-2], B2.shape[:-2])
        except ValueError:
            raise ShapeError(f"Solve: batch dimensions must broadcast, got A {A.shape} and "
                             f"B {B.shape}") from None
        Ab = np.broadcast_to(A, batch + A.shape[-2:])
        X = lapack("Solve", "A is singular (not invertible)", Ab, np.linalg.solve,
                   np.broadcast_to(B2, batch + B2.shape[-2:]), probe=np.linalg.inv)
        ctx.save_for_backward(A, X)
        ctx.b_shape = B2.shape
        return X[..., 0] if ctx.vector else X

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        A, X = ctx.saved_tensors
        d = dout[..., None] if ctx.vector else dout
        gB = np.linalg.solve(np.broadcast_to(mT(A), X.shape[:-2] + A.shape[-2:]), d)
        dA = v.unbroadcast(-(gB @ mT(X)), A.shape) if ctx.needs_input_grad[0] else None
        dB = None
        if ctx.needs_input_grad[1]:
            dB = v.unbroadcast(gB, ctx.b_shape)
            dB = dB[..., 0] if ctx.vector else dB
        return dA, dB


# ----- wrappers (torch names; numpy's spellings as aliases) -------------------------------------
def trace(x: Any, offset: int = 0, axis1: int | None = None, axis2: int | None = None, *,
          dim1: int | None = None, dim2: int | None = None) -> Any:
    """Sum of diagonal `offset` of axes (axis1, axis2) = (0, 1) by default (np.trace)."""
    return Trace.apply(x, offset=offset, axis1=v.alias("trace", "axis1", axis1, "dim1", dim1, 0),
                       axis2=v.alias("trace", "axis2", axis2, "dim2", dim2, 1))


def diagonal(x: Any, offset: int = 0, axis1: int | None = None, axis2: int | None = None, *,
             dim1: int | None = None, dim2: int | None = None) -> Any:
    """Diagonal `offset` of axes (axis1, axis2) = (0, 1) by default, as the last axis."""
    return Diagonal.apply(x, offset=offset,
                          axis1=v.alias("diagonal", "axis1", axis1, "dim1", dim1, 0),
                          axis2=v.alias("diagonal", "axis2", axis2, "dim2", dim2, 1))


def diag(x: Any, diagonal: int | None = None, *, k: int | None = None) -> Any:
    """1-D x -> matrix with x on diagonal `diagonal` (numpy: k); 2-D x -> that diagonal."""
    return Diag.apply(x, k=v.alias("diag", "diagonal", diagonal, "k", k, 0))


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Batch of diagonal matrices from the last axis of x (torch.diag_embed)."""
    return DiagEmbed.apply(x, offset=offset, dim1=dim1, dim2=dim2)


def inv(x: Any) -> Any:
    """Inverse of each matrix of x (*, n, n); a singular one is a RangeError."""
    return Inv.apply(x)


inverse = inv


def det(x: Any) -> Any:
    """Determinant of each matrix of x (*, n, n)."""
    return Det.apply(x)


def slogdet(x: Any) -> tuple:
    """(sign, log|det|) of each matrix of x (*, n, n)."""
    return Slogdet.apply(x)


def solve(A: Any, B: Any) -> Any:
    """X with A X = B; B (*, n, k) or vectors (n,) / (*, n) (torch.linalg.solve)."""
    return Solve.apply(A, B)


def cholesky(x: Any, upper: bool = False) -> Any:
    """Lower Cholesky factor of each positive-definite matrix of x (upper=True: its transpose)."""
    return Cholesky.apply(x, upper=upper)


def eigh(x: Any, UPLO: str = "L") -> tuple:  # noqa: N803  (numpy's and torch's name)
    """(eigenvalues ascending, eigenvectors as columns) of symmetric x (*, n, n).

    x is symmetrised, so UPLO ('L' or 'U') makes no difference for symmetric input.
    """
    if UPLO not in ("L", "U"):
        raise RangeError(f"Eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return Eigh.apply(x)


def eigvalsh(x: Any, UPLO: str = "L") -> Any:  # noqa: N803
    """Eigenvalues (ascending) of symmetric x (*, n, n)."""
    return eigh(x, UPLO)[0]


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """(U, S, Vh) of x (*, m, n), S descending; compute_uv=False (numpy) returns S only."""
    out = Svd.apply(x, full_matrices=full_matrices if compute_uv else False)
    return out if compute_uv else out[1]


def svdvals(x: Any) -> Any:
    """Singular values (descending) of x (*, m, n)."""
    return Svd.apply(x, full_matrices=False)[1]


def pinv(x: Any, rtol: float | None = None, hermitian: bool = False, *,
         rcond: float | None = None) -> Any:
    """Moore-Penrose pseudo-inverse via the SVD: x (*, m, n) -> (*, n, m); singular values at or
    below rtol * max (default max(m, n) * eps, torch; numpy's rcond alias) count as 0.

    Composite of Svd (its gradient needs distinct singular values); hermitian is accepted and
    ignored.
    """
    rtol = v.alias("pinv", "rtol", rtol, "rcond", rcond)
    U, S, Vh = Svd.apply(x, full_matrices=False)
    s = S.data
    if rtol is None:
        rtol = max(U.shape[-2], Vh.shape[-1]) * np.finfo(s.dtype).eps
    keep = s > rtol * s.max(axis=-1, keepdims=True)
    s_inv = mul(reciprocal(add(S, (~keep).astype(s.dtype))), keep.astype(s.dtype))  # (*, k)
    return matmul(mul(swapaxes(Vh, -1, -2), unsqueeze(s_inv, -2)), swapaxes(U, -1, -2))


def matrix_power(x: Any, n: int) -> Any:
    """x @ x @ ... (n times) for x (*, k, k) by repeated squaring; n = 0 gives the identity,
    n < 0 powers of inv(x)."""
    n = _int("matrix_power", "n", n)
    xt = x if isinstance(x, Tensor) else Tensor(np.asarray(v.as_array("matrix_power", "x", x)))
    if xt.ndim < 2 or xt.shape[-1] != xt.shape[-2]:
        raise ShapeError(f"matrix_power: x must be a square matrix or a batch of them "
                         f"(*, n, n), got shape {xt.shape}")
    if n == 0:
        eye = np.broadcast_to(np.eye(xt.shape[-1], dtype=xt.dtype), xt.shape)
        return add(mul(xt, 0), eye)  # the identity, still in the graph (zero gradient)
    base, result, k = (inv(xt) if n < 0 else xt), None, abs(n)
    while True:
        if k & 1:
            result = base if result is None else matmul(result, base)
        k >>= 1
        if not k:
            return result
        base = matmul(base, base)


__all__ = ["Trace", "Diagonal", "Diag", "DiagEmbed", "Inv", "Det", "Slogdet", "Solve",
           "Cholesky", "Eigh", "Svd", "Norm", "trace", "diagonal", "diag", "diag_embed", "inv",
           "inverse", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd",
           "svdvals", "norm", "vector_norm", "matrix_norm", "pinv", "matrix_power"]

TENSOR_METHODS = {"trace": trace, "diagonal": diagonal, "diag": diag, "diag_embed": diag_embed,
                  "inverse": inverse, "det": det, "slogdet": slogdet, "cholesky": cholesky,
                  "norm": tensor_norm, "matrix_power": matrix_power, "pinverse": pinv}
