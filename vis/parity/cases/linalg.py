"""Parity cases for the linalg family (see vis.parity.cases for the conventions and helpers).

Eigenvectors and singular vectors are compared after the same sign convention on both sides
(each vector's largest-magnitude entry positive: minigrad's, applied to torch's output with a
constant sign, so torch's gradient passes through unchanged). Cholesky and Eigh get symmetric
inputs (torch reads the lower triangle, minigrad symmetrises: the same for symmetric x).
"""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase

LA = torch.linalg


def _x(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, consts)


def _orth(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


def _general(*batch: int, n: int = 4):
    """Well-conditioned (*, n, n): Q diag(±[0.6, 2]) Pᵀ, some negative determinants."""
    def make(rng: np.random.Generator) -> np.ndarray:
        out = [_orth(rng, n) @ np.diag(rng.uniform(0.6, 2.0, n) * rng.choice([-1, 1], n))
               @ _orth(rng, n).T for _ in range(int(np.prod(batch)))]
        return np.array(out).reshape(batch + (n, n))
    return make


def _spd(*batch: int, n: int = 4, low: float = 0.5):
    """Symmetric (*, n, n) with eigenvalues low + [0, 2) (positive-definite for low > 0)."""
    def make(rng: np.random.Generator) -> np.ndarray:
        out = []
        for _ in range(int(np.prod(batch))):
            Q = _orth(rng, n)
            out.append(Q @ np.diag(low + np.sort(rng.uniform(0, 2, n))) @ Q.T)
        return np.array(out).reshape(batch + (n, n))
    return make


def _signed(V: torch.Tensor) -> torch.Tensor:
    """Signs (*, 1, k) making each column's largest-magnitude entry positive (constants)."""
    idx = V.detach().abs().argmax(dim=-2, keepdim=True)
    return torch.sign(torch.gather(V.detach(), -2, idx))


def _torch_eigh(x):
    w, V = LA.eigh(x)
    return w, V * _signed(V)


def _torch_svd(x, full_matrices=True):
    U, S, Vh = LA.svd(x, full_matrices=full_matrices)
    s = _signed(U)
    k = S.shape[-1]
    sv = _signed(Vh.mT).mT.clone()
    sv[..., :k, :] = s[..., :k].mT
    return U * s, S, Vh * sv


def _torch_norm(x, ord=None, axis=None, keepdims=False, kind="auto"):
    if kind == "vector":
        return LA.vector_norm(x, 2 if ord is None else ord, dim=axis, keepdim=keepdims)
    if kind == "matrix":
        return LA.matrix_norm(x, "fro" if ord is None else ord, dim=axis, keepdim=keepdims)
    return LA.norm(x, ord, dim=axis, keepdim=keepdims)


def _norm(ord, axis, shape=(3, 4), keepdims=False, kind="auto", make=None):
    make = make or (lambda r: _normal(r, *shape))
    return _x(make, ord=ord, axis=axis, keepdims=keepdims, kind=kind)


def _with_zero_row(rng: np.random.Generator) -> np.ndarray:
    x = _normal(rng, 3, 4)
    x[1] = 0.0
    return x


def _solve(a_shape: tuple, b_shape: tuple):
    def build(rng: np.random.Generator) -> Inputs:
        return Inputs({"A": _general(*a_shape[:-2], n=a_shape[-1])(rng),
                       "B": _normal(rng, *b_shape)})
    return build


CASES: list[ParityCase] = [
    ParityCase("Trace", mf.Trace, _x(lambda r: _normal(r, 4, 4)), lambda x: torch.trace(x)),
    ParityCase("Trace[N-D, offset]", mf.Trace,
               _x(lambda r: _normal(r, 3, 4, 5), offset=1, axis1=2, axis2=0),
               lambda x, offset, axis1, axis2: torch.diagonal(x, offset, axis1, axis2).sum(-1),
               note="np.trace's axis1/axis2 on a 3-D x; torch as diagonal(...).sum(-1)"),
    ParityCase("Diagonal", mf.Diagonal,
               _x(lambda r: _normal(r, 3, 4, 5), offset=-1, axis1=1, axis2=2),
               lambda x, offset, axis1, axis2: torch.diagonal(x, offset, axis1, axis2)),
    ParityCase("Diagonal[reversed axes]", mf.Diagonal,
               _x(lambda r: _normal(r, 3, 4, 5), offset=2, axis1=2, axis2=0),
               lambda x, offset, axis1, axis2: torch.diagonal(x, offset, axis1, axis2)),
    ParityCase("Diag[1-D]", mf.Diag, _x(lambda r: _normal(r, 4), k=1),
               lambda x, k: torch.diag(x, k)),
    ParityCase("Diag[2-D]", mf.Diag, _x(lambda r: _normal(r, 3, 5), k=-1),
               lambda x, k: torch.diag(x, k)),
    ParityCase("DiagEmbed", mf.DiagEmbed, _x(lambda r: _normal(r, 2, 3), offset=1, dim1=0,
                                             dim2=2),
               lambda x, offset, dim1, dim2: torch.diag_embed(x, offset, dim1, dim2)),
    ParityCase("Inv", mf.Inv, _x(_general(2)), LA.inv, note="batch of 2 well-conditioned 4x4"),
    ParityCase("Det", mf.Det, _x(_general(3)), LA.det),
    ParityCase("Det[1x1]", mf.Det, _x(_general(2, n=1)), LA.det),
    ParityCase("Slogdet", mf.Slogdet, _x(_general(3, n=3)), lambda x: tuple(LA.slogdet(x)),
               note="sign has no gradient on either side"),
    ParityCase("Solve", mf.Solve, _solve((2, 3, 3), (2, 3, 2)), LA.solve),
    ParityCase("Solve[vector]", mf.Solve, _solve((3, 3), (3,)), LA.solve),
    ParityCase("Solve[batch of vectors]", mf.Solve, _solve((2, 3, 3), (2, 3)), LA.solve,
               note="B (2, 3) = A.shape[:-1]: vectors, torch's rule"),
    ParityCase("Solve[broadcast]", mf.Solve, _solve((3, 3), (2, 3, 4)), LA.solve,
               note="unbatched A against a batch of B"),
    ParityCase("Cholesky", mf.Cholesky, _x(_spd(2)), LA.cholesky),
    ParityCase("Cholesky[upper]", mf.Cholesky, _x(_spd(n=3), upper=True),
               lambda x, upper: LA.cholesky(x, upper=upper)),
    ParityCase("Eigh", mf.Eigh, _x(_spd(2, low=-1.0)), _torch_eigh,
               note="eigenvectors signed alike on both sides (largest entry positive)"),
    ParityCase("Svd", mf.Svd, _x(lambda r: _normal(r, 4, 3), full_matrices=False), _torch_svd,
               note="singular vectors signed alike on both sides"),
    ParityCase("Svd[wide, batch]", mf.Svd,
               _x(lambda r: _normal(r, 2, 3, 5), full_matrices=False), _torch_svd),
    ParityCase("Svd[full, square]", mf.Svd, _x(lambda r: _normal(r, 3, 3), full_matrices=True),
               _torch_svd),
    ParityCase("Svd[full, tall]", mf.Svd, _x(lambda r: _normal(r, 4, 2), full_matrices=True),
               _torch_svd, note="the extra columns of U get no gradient on either side"),
    ParityCase("Norm", mf.Norm, _norm(None, None, (3, 4, 2)), _torch_norm,
               note="ord None, axis None: 2-norm of the flattened x"),
    ParityCase("Norm[vector 2, zero row]", mf.Norm, _norm(2, 1, make=_with_zero_row),
               _torch_norm, note="the gradient of a zero vector's 2-norm is 0, as torch"),
    ParityCase("Norm[vector 1]", mf.Norm, _norm(1, -1, keepdims=True), _torch_norm),
    ParityCase("Norm[vector inf]", mf.Norm, _norm(np.inf, 0), _torch_norm),
    ParityCase("Norm[vector -inf]", mf.Norm, _norm(-np.inf, 1), _torch_norm),
    ParityCase("Norm[vector 0]", mf.Norm, _norm(0, 1), _torch_norm),
    ParityCase("Norm[vector 3]", mf.Norm, _norm(3, 0), _torch_norm),
    ParityCase("Norm[vector 0.5]", mf.Norm, _norm(0.5, 1), _torch_norm),
    ParityCase("Norm[vector -1.5]", mf.Norm, _norm(-1.5, 1), _torch_norm),
    ParityCase("Norm[vector_norm axes]", mf.Norm,
               _norm(3, (0, 2), (3, 4, 2), kind="vector"), _torch_norm,
               note="torch.linalg.vector_norm over two axes"),
    ParityCase("Norm[inf ties]", mf.Norm,
               _norm(np.inf, 1, make=lambda r: r.integers(-2, 3, (4, 5)).astype(float)),
               _torch_norm, note="integer-valued x: tied maxima share the gradient, as torch"),
    *[ParityCase(f"Norm[matrix {o}]", mf.Norm, _norm(o, (0, 2), (3, 2, 4)), _torch_norm,
                 note="matrix norm over axes (0, 2) of a 3-D x")
      for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)],
    ParityCase("Norm[matrix_norm default]", mf.Norm, _norm(None, None, (2, 3, 4), kind="matrix"),
               lambda x, ord, axis, keepdims, kind: LA.matrix_norm(x),
               note="torch.linalg.matrix_norm: 'fro' over the last two axes"),
]
