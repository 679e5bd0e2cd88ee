"""`np.linalg.*` on Tensors: numpy's conventions on top of minigrad's linalg Functions.

minigrad's Functions follow torch (symmetrised input for eigh/cholesky, eigenvector and singular
vector signs normalised, torch's solve vector rule); numpy reads one triangle, keeps LAPACK's
signs, treats only a 1-D b as a vector and returns named tuples. The adapters here translate, so
`np.linalg.eigh(t)` equals numpy's values and its gradient is that of numpy's function.
numpy_dispatch merges LINALG into its FUNCTIONS table.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minigrad.numpy_common import arrays as _arrays
from minigrad.numpy_common import op
from minigrad.numpy_common import require as _require

try:  # numpy >= 2 returns named tuples
    from numpy.linalg._linalg import EighResult, SlogdetResult, SVDResult
except ImportError:  # pragma: no cover
    EighResult = SlogdetResult = SVDResult = None

_UNSET = object()


def _result(cls: Any, *parts: Any) -> tuple:
    return tuple(parts) if cls is None else cls(*parts)


def _shape(a: Any) -> tuple:
    return tuple(np.shape(_arrays(a)))


def _triangle(a: Any, uplo: str) -> Any:
    """The symmetric matrix numpy's LAPACK call sees: the `uplo` triangle of a, mirrored."""
    if uplo == "L":
        part, strict = op("tril")(a), op("tril")(a, -1)
    else:
        part, strict = op("triu")(a), op("triu")(a, 1)
    return op("add")(part, op("swapaxes")(strict, -1, -2))


def _uplo(UPLO: Any) -> str:  # noqa: N803  (numpy's name)
    uplo = str(UPLO).upper()
    if uplo not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return uplo


def _signs_like(ref: np.ndarray, got: Any, axis: int) -> Any:
    """`got` with the vectors along `axis` flipped to point as numpy's `ref` ones (exact +-1)."""
    flip = np.sum(ref * got.data, axis=axis, keepdims=True) < 0
    return op("mul")(got, np.where(flip, -1, 1).astype(got.dtype))


def eigh(a: Any, UPLO: str = "L") -> tuple:  # noqa: N803
    uplo = _uplo(UPLO)
    w, V = op("eigh")(_triangle(a, uplo))
    _, ref = np.linalg.eigh(_arrays(a), uplo)
    return _result(EighResult, w, _signs_like(ref, V, -2))


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803
    return op("eigvalsh")(_triangle(a, _uplo(UPLO)))


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    return op("cholesky")(_triangle(a, "U" if upper else "L"), upper=upper)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    if not compute_uv:
        return op("svdvals")(a)
    _require(not hermitian, "hermitian=True (numpy then takes its vectors from eigh)")
    U, S, Vh = op("svd")(a, full_matrices=full_matrices)
    U_ref, _, Vh_ref = np.linalg.svd(_arrays(a), full_matrices=full_matrices)
    return _result(SVDResult, _signs_like(U_ref, U, -2), S, _signs_like(Vh_ref, Vh, -1))


def solve(a: Any, b: Any) -> Any:
    """numpy 2: only a 1-D b is a vector; any other b is a stack of (M, K) matrices."""
    ash, bsh = _shape(a), _shape(b)
    if len(bsh) >= 2 and len(bsh) == len(ash) - 1 and bsh == ash[:-1]:
        try:  # torch would read b as vectors: make its batch explicit, a matrix b
            batch = np.broadcast_shapes(ash[:-2], bsh[:-2])
        except ValueError:
            batch = None
        if batch is None or bsh[-2] != ash[-1]:
            raise ValueError(f"solve: b of shape {bsh} is a stack of matrices (numpy 2 reads "
                             f"only a 1-D b as a vector); it does not fit a of shape {ash}")
        b = op("broadcast_to")(b, batch + bsh[-2:])
    return op("solve")(a, b)


def slogdet(a: Any) -> tuple:
    return _result(SlogdetResult, *op("slogdet")(a))


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _UNSET) -> Any:
    if rcond is not None and rtol is not _UNSET:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    if rcond is None:  # numpy's default cutoff is 1e-15 relative; rtol=None: max(M, N) * eps
        rcond = 1e-15 if rtol is _UNSET else rtol
    _require(rcond is None or np.ndim(_arrays(rcond)) == 0, "an array rcond")
    return op("pinv")(a, rtol=None if rcond is None else float(_arrays(rcond)))


def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    return functools.reduce(op("matmul"), arrays)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    return op("sum")(op("mul")(x1, x2), axis=axis)


LINALG = {
    np.linalg.inv: lambda a: op("inv")(a), np.linalg.det: lambda a: op("det")(a),
    np.linalg.slogdet: slogdet, np.linalg.solve: solve, np.linalg.cholesky: cholesky,
    np.linalg.eigh: eigh, np.linalg.eigvalsh: eigvalsh, np.linalg.svd: svd,
    np.linalg.svdvals: lambda x, /: op("svdvals")(x), np.linalg.pinv: pinv,
    np.linalg.norm: lambda x, ord=None, axis=None, keepdims=False: op("norm")(  # noqa: A002
        x, ord=ord, axis=axis, keepdims=keepdims),
    np.linalg.matrix_norm: lambda x, /, *, keepdims=False, ord="fro": op("matrix_norm")(
        x, ord=ord, keepdims=keepdims),
    np.linalg.vector_norm: lambda x, /, *, axis=None, keepdims=False, ord=2: op("vector_norm")(
        x, ord=ord, axis=axis, keepdims=keepdims),
    np.linalg.matrix_power: lambda a, n: op("matrix_power")(a, n),
    np.linalg.multi_dot: multi_dot, np.linalg.vecdot: vecdot,
    np.linalg.trace: lambda x, /, *, offset=0: op("trace")(x, offset, -2, -1),
    np.linalg.diagonal: lambda x, /, *, offset=0: op("diagonal")(x, offset, -2, -1),
    np.linalg.outer: lambda x1, x2, /: op("outer")(x1, x2),
    np.linalg.matmul: lambda x1, x2, /: op("matmul")(x1, x2),
    np.linalg.tensordot: lambda x1, x2, /, *, axes=2: op("tensordot")(x1, x2, axes=axes),
}

__all__ = ["LINALG"]
