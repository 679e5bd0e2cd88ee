"""`minigrad.linalg`: the torch.linalg / np.linalg namespace over minigrad's linalg Functions.

    from minigrad import linalg
    linalg.inv(t); linalg.norm(t, ord=1, dim=0); w, V = linalg.eigh(t)

Every function returns Tensors in the autograd graph; see minigrad.functional.linalg for the
conventions (symmetrised input for cholesky/eigh, eigenvector signs, singular matrices).
"""
from __future__ import annotations

import functools
from typing import Any

from minigrad.errors import ShapeError
from minigrad.functional.linalg import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    matrix_power,
    norm,
    pinv,
    slogdet,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from minigrad.functional.linalg import diagonal as _diagonal
from minigrad.functional.linear import matmul


def diagonal(A: Any, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:  # noqa: N803
    """torch.linalg.diagonal: the diagonal of the last two axes by default (as the last axis)."""
    return _diagonal(A, offset, dim1=dim1, dim2=dim2)


def multi_dot(tensors: Any) -> Any:
    """a @ b @ c ... left to right (np.linalg.multi_dot / torch.linalg.multi_dot)."""
    if len(tensors) < 2:
        raise ShapeError(f"multi_dot: needs at least 2 matrices, got {len(tensors)}")
    return functools.reduce(matmul, tensors)


__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd", "svdvals",
           "norm", "vector_norm", "matrix_norm", "pinv", "matrix_power", "diagonal", "multi_dot"]
