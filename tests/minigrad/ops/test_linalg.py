"""Linear algebra: float32, named errors, values against numpy, gradients against closed forms
(cofactors from minors, v vᵀ for eigenvalues, U Vᵀ for the nuclear norm), torch's conventions
where torch and numpy differ, the Tensor methods and the minigrad.linalg namespace."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor, linalg
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.testing import gradcheck
from tests.minigrad.ops.common import f32, r

RNG = np.random.default_rng(0)


def _orth(n: int, seed: int = 0) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def well(n: int = 3, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Well-conditioned (n, n): singular values 0.8..1.6, det < 0 for odd seeds."""
    s = np.linspace(0.8, 1.6, n) * np.where(np.arange(n) == 0, (-1) ** seed, 1)
    return (_orth(n, seed) @ np.diag(s) @ _orth(n, seed + 10).T).astype(dtype)


def spd(n: int = 3, seed: int = 0, dtype=np.float64) -> np.ndarray:
    Q = _orth(n, seed)
    return (Q @ np.diag(np.linspace(0.5, 2.0, n)) @ Q.T).astype(dtype)


SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2

F32_CASES = {
    "Trace": lambda: (F.Trace, (f32(3, 4),), (0,)),
    "Diagonal": lambda: (F.Diagonal, (f32(2, 3, 4),), (0,)),
    "Diag": lambda: (F.Diag, (f32(4),), (0,)),
    "DiagEmbed": lambda: (F.DiagEmbed, (f32(2, 3),), (0,)),
    "Inv": lambda: (F.Inv, (well(3, dtype=np.float32),), (0,)),
    "Det": lambda: (F.Det, (np.stack([well(3, 1), SINGULAR]).astype(np.float32),), (0,)),
    "Slogdet": lambda: (F.Slogdet, (well(3, dtype=np.float32),), (0,)),
    "Solve": lambda: (F.Solve, (well(3, dtype=np.float32), f32(3, 2)), (0, 1)),
    "Cholesky": lambda: (F.Cholesky, (spd(3, dtype=np.float32),), (0,)),
    "Eigh": lambda: (F.Eigh, (spd(3, dtype=np.float32),), (0,)),
    "Svd": lambda: (F.Svd, (f32(4, 3),), (0,)),
    "Norm": lambda: (F.Norm, (f32(3, 4),), (0,)),
}

ERROR_CASES = [
    ("Trace", "1-D", lambda: F.trace(r(3)), ShapeError, ["x", "2-D", "(3,)"]),
    ("Trace", "same axes", lambda: F.trace(r(3, 3), axis1=1, axis2=-1), ShapeError,
     ["axis1 and axis2 must differ"]),
    ("Diagonal", "axis", lambda: F.diagonal(r(2, 3), dim1=0, dim2=2), ShapeError,
     ["axis2 2", "(2, 3)"]),
    ("Diagonal", "offset type", lambda: F.diagonal(r(2, 3), 1.5), DTypeError,
     ["offset", "int", "float"]),
    ("Diag", "3-D", lambda: F.diag(r(2, 2, 2)), ShapeError, ["1-D", "2-D", "(2, 2, 2)"]),
    ("Diag", "k type", lambda: F.diag(r(3), k=1.0), DTypeError, ["k", "int", "float"]),
    ("DiagEmbed", "same dims", lambda: F.diag_embed(r(2, 3), dim1=0, dim2=-3), ShapeError,
     ["must differ"]),
    ("DiagEmbed", "0-d", lambda: F.diag_embed(np.float64(2.0)), ShapeError, ["1-D"]),
    ("Inv", "not square", lambda: F.inv(r(2, 3)), ShapeError, ["x", "square", "(2, 3)"]),
    ("Inv", "singular", lambda: F.inv(SINGULAR), RangeError, ["x is singular", "(3, 3)"]),
    ("Inv", "singular in batch", lambda: F.inv(np.stack([well(3), SINGULAR])), RangeError,
     ["x is singular", "batch index (1,)", "(2, 3, 3)"]),
    ("Inv", "int", lambda: F.inv(np.eye(2, dtype=int)), DTypeError, ["x", "float", "int64"]),
    ("Inv", "nan", lambda: F.inv(np.full((2, 2), np.nan)), RangeError, ["x", "finite", "NaN"]),
    ("Det", "not square", lambda: F.det(r(4)), ShapeError, ["x", "square", "(4,)"]),
    ("Det", "empty", lambda: F.det(r(0, 0)), ShapeError, ["non-empty", "(0, 0)"]),
    ("Slogdet", "not square", lambda: F.slogdet(r(2, 3, 4)), ShapeError, ["square"]),
    ("Slogdet", "singular backward", lambda: F.slogdet(Tensor(SINGULAR, requires_grad=True))[1]
     .backward(), RangeError, ["log|det|", "singular"]),
    ("Solve", "singular", lambda: F.solve(SINGULAR, r(3)), RangeError, ["A is singular"]),
    ("Solve", "rows", lambda: F.solve(well(3), r(4, 2)), ShapeError,
     ["B must have A.shape[-1] = 3 rows", "(4, 2)"]),
    ("Solve", "batch", lambda: F.solve(np.stack([well(3)] * 2), r(3, 3, 1)), ShapeError,
     ["batch dimensions must broadcast"]),
    ("Solve", "dtypes", lambda: F.solve(well(3), f32(3)), DTypeError, ["A float64", "B float32"]),
    ("Cholesky", "not positive-definite", lambda: F.cholesky(-spd(3)), RangeError,
     ["x is not positive-definite", "(3, 3)"]),
    ("Cholesky", "in batch", lambda: F.cholesky(np.stack([spd(3), spd(3), -spd(3)])),
     RangeError, ["not positive-definite", "batch index (2,)"]),
    ("Eigh", "not square", lambda: F.eigh(r(3, 2)), ShapeError, ["square", "(3, 2)"]),
    ("Eigh", "UPLO", lambda: F.eigh(spd(3), UPLO="X"), RangeError, ["UPLO", "'X'"]),
    ("Svd", "1-D", lambda: F.svd(r(3)), ShapeError, ["matrix", "(3,)"]),
    ("Svd", "empty", lambda: F.svd(r(0, 3)), ShapeError, ["non-empty", "(0, 3)"]),
    ("Norm", "fro on a vector", lambda: F.norm(r(3, 4), "fro", axis=1), RangeError,
     ["vector ord", "'fro'"]),
    ("Norm", "matrix ord", lambda: F.norm(r(3, 4), 3), RangeError, ["matrix ord", "got 3"]),
    ("Norm", "3 axes", lambda: F.norm(r(2, 3, 4), axis=(0, 1, 2)), ShapeError,
     ["1 (vector) or 2 (matrix)"]),
    ("Norm", "ord on 3-D", lambda: F.norm(r(2, 3, 4), 1), ShapeError,
     ["1-D or 2-D", "(2, 3, 4)"]),
    ("Norm", "axis", lambda: F.norm(r(2, 3), dim=2), ShapeError, ["axis 2", "(2, 3)"]),
]


def _grad(fn, *xs, g=None, out_index=None, **kwargs):
    ts = [Tensor(x, requires_grad=True) if isinstance(x, np.ndarray) else x for x in xs]
    out = fn(*ts, **kwargs)
    out = out[out_index] if out_index is not None else out
    g = np.random.default_rng(3).standard_normal(out.shape) if g is None else g
    out.backward(g)
    return out.data, [t.grad for t in ts if isinstance(t, Tensor)], g


# ----- trace, diagonal, diag, diag_embed -------------------------------------------------------
def test_trace_diagonal_values_and_gradients_against_numpy():
    x = r(3, 4, 5)
    for offset, a1, a2 in [(0, 0, 1), (1, 2, 0), (-2, 1, 2), (7, 0, 2)]:
        val, (dx,), g = _grad(F.trace, x, offset, a1, a2)
        np.testing.assert_allclose(val, np.trace(x, offset, a1, a2), rtol=1e-14)
        expected = np.zeros_like(x)
        for idx in itertools.product(*map(range, x.shape)):
            if idx[a2] - idx[a1] == offset:
                expected[idx] = g[tuple(i for k, i in enumerate(idx) if k not in (a1, a2))]
        np.testing.assert_array_equal(dx, expected)
        val, (dx,), g = _grad(F.diagonal, x, offset, dim1=a1, dim2=a2)
        np.testing.assert_array_equal(val, np.diagonal(x, offset, a1, a2))
        assert dx.sum() == pytest.approx(g.sum()) and np.count_nonzero(dx) == g.size
    assert Tensor(x).trace(0, 1, 2).shape == (3,)
    np.testing.assert_array_equal(Tensor(x).diagonal(dim1=-1, dim2=0).data,
                                  np.diagonal(x, 0, -1, 0))


def test_diag_both_ways_and_diag_embed():
    v = r(3)
    np.testing.assert_array_equal(F.diag(v, 1).data, np.diag(v, 1))
    np.testing.assert_array_equal(F.diag(v, diagonal=-2).data, np.diag(v, -2))
    m = r(3, 5)
    np.testing.assert_array_equal(Tensor(m).diag(k=2).data, np.diag(m, 2))
    _, (dv,), g = _grad(F.diag, v, k=-1)
    np.testing.assert_array_equal(dv, np.diag(g, -1))
    _, (dm,), g = _grad(F.diag, m, 1)
    expected = np.zeros((3, 5))
    expected[[0, 1, 2], [1, 2, 3]] = g
    np.testing.assert_array_equal(dm, expected)
    x = r(2, 3)
    out = F.diag_embed(x, offset=1).data
    assert out.shape == (2, 4, 4)
    np.testing.assert_array_equal(out[1], np.diag(x[1], 1))
    out = Tensor(x).diag_embed(0, 0, 2).data  # dims (0, 2): the batch axis moves to the middle
    assert out.shape == (3, 2, 3)
    np.testing.assert_array_equal(out[:, 1, :], np.diag(x[1]))
    _, (dx,), g = _grad(F.diag_embed, x, -1, dim1=2, dim2=0)
    np.testing.assert_array_equal(dx, np.diagonal(g, -1, 2, 0))


# ----- inv, det, slogdet, solve ----------------------------------------------------------------
def _cofactors(a: np.ndarray) -> np.ndarray:
    """Cofactor matrix from minors (the gradient of det), independent of the code under test."""
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


def test_inv_det_slogdet_values_and_gradients():
    A = np.stack([well(3, 0), well(3, 1)])
    val, (dA,), g = _grad(F.inv, A)
    Y = np.linalg.inv(A)
    np.testing.assert_allclose(val, Y, rtol=1e-13)
    np.testing.assert_allclose(dA, -np.swapaxes(Y, 1, 2) @ g @ np.swapaxes(Y, 1, 2), atol=1e-13)
    val, (dA,), g = _grad(F.det, A)
    np.testing.assert_allclose(val, np.linalg.det(A), rtol=1e-13)
    for k in range(2):
        np.testing.assert_allclose(dA[k], g[k] * _cofactors(A[k]), atol=1e-13)
    s, la = F.slogdet(A)
    np.testing.assert_array_equal(s.data, np.sign(np.linalg.det(A)))
    np.testing.assert_allclose(la.data, np.log(np.abs(np.linalg.det(A))), rtol=1e-13)
    _, (dA,), g = _grad(F.slogdet, A, out_index=1)
    np.testing.assert_allclose(dA, g[:, None, None] * np.swapaxes(Y, 1, 2), atol=1e-13)
    _, (dA,), _ = _grad(F.slogdet, A, out_index=0)
    assert (dA == 0).all()  # sign has no gradient
    assert Tensor(A).inverse().shape == (2, 3, 3) and F.inverse is F.inv
    np.testing.assert_allclose(Tensor(A).det().data, np.linalg.det(A), rtol=1e-13)


def test_det_of_singular_matrices_has_the_cofactor_gradient():
    _, (dA,), g = _grad(F.det, SINGULAR, g=np.array(2.0))
    np.testing.assert_allclose(dA, 2.0 * _cofactors(SINGULAR), atol=1e-12)
    assert np.abs(dA).max() > 1  # rank n - 1: non-zero (torch 2.x returns zeros here)
    _, (dA,), _ = _grad(F.det, np.ones((3, 3)), g=np.array(1.0))
    np.testing.assert_allclose(dA, 0.0, atol=1e-14)  # rank 1: every 2x2 minor is 0
    gradcheck(F.det, [SINGULAR], eps=1e-3, order=4)
    sign, logabs = F.slogdet(SINGULAR)
    assert sign.item() == 0.0 and logabs.item() == -np.inf


def test_solve_vector_and_matrix_rules_and_gradients():
    A = np.stack([well(3, 0), well(3, 1)])
    B = r(2, 3)  # = A.shape[:-1]: a batch of vectors (torch); numpy 2 would read a (2, 3) matrix
    X = F.solve(A, B).data
    assert X.shape == (2, 3)
    np.testing.assert_allclose(X, np.linalg.solve(A, B[..., None])[..., 0], rtol=1e-13)
    Bm = r(3, 4)
    val, (dA, dB), g = _grad(F.solve, A, Bm)
    assert val.shape == (2, 3, 4)
    np.testing.assert_allclose(val, np.linalg.solve(A, Bm), rtol=1e-13)
    gB = np.linalg.solve(np.swapaxes(A, 1, 2), g)
    np.testing.assert_allclose(dB, gB.sum(0), atol=1e-13)  # B broadcast over the batch
    np.testing.assert_allclose(dA, -gB @ np.swapaxes(val, 1, 2), atol=1e-13)
    _, (dA, db), g = _grad(F.solve, A[0], r(3))
    np.testing.assert_allclose(db, np.linalg.solve(A[0].T, g), atol=1e-14)


# ----- cholesky, eigh, svd ---------------------------------------------------------------------
def test_cholesky_lower_upper_symmetrised_and_symmetric_gradient():
    S = np.stack([spd(3, 0), spd(3, 1)])
    L = F.cholesky(S).data
    np.testing.assert_allclose(L, np.linalg.cholesky(S), rtol=1e-13)
    np.testing.assert_allclose(Tensor(S).cholesky(upper=True).data, np.swapaxes(L, 1, 2))
    noise = np.triu(r(3, 3), 1) * 0.1
    np.testing.assert_allclose(F.cholesky(S[0] + noise).data,
                               np.linalg.cholesky(S[0] + (noise + noise.T) / 2), rtol=1e-13)
    _, (dS,), _ = _grad(F.cholesky, S)
    np.testing.assert_allclose(dS, np.swapaxes(dS, 1, 2), atol=1e-15)


def test_eigh_values_vectors_sign_convention_and_gradients():
    w0 = np.array([-1.0, 0.5, 2.0, 3.0])
    Q = _orth(4, 5)
    A = Q @ np.diag(w0) @ Q.T
    w, V = linalg.eigh(A)
    np.testing.assert_allclose(w.data, w0, atol=1e-13)
    np.testing.assert_allclose(A @ V.data, V.data * w.data, atol=1e-13)
    top = np.abs(V.data).argmax(axis=0)
    assert (V.data[top, range(4)] > 0).all()  # largest entry of each eigenvector positive
    g = r(4)
    _, (dA,), _ = _grad(lambda t: F.eigvalsh(t), A, g=g)
    np.testing.assert_allclose(dA, (V.data * g) @ V.data.T, atol=1e-13)  # sum g_i v_i v_iᵀ
    _, (dI,), _ = _grad(lambda t: F.eigh(t)[0], np.eye(3), g=np.ones(3))  # repeated: fine for w
    np.testing.assert_allclose(dI, np.eye(3), atol=1e-14)


def test_svd_values_reconstruction_compute_uv_and_nuclear_gradient():
    x = r(4, 3)
    U, S, Vh = F.svd(x, full_matrices=False)
    np.testing.assert_allclose(S.data, np.linalg.svd(x, compute_uv=False), rtol=1e-13)
    np.testing.assert_allclose((U.data * S.data) @ Vh.data, x, atol=1e-13)
    U, S, Vh = F.svd(x)  # full_matrices=True by default, as torch and numpy
    assert U.shape == (4, 4) and Vh.shape == (3, 3)
    np.testing.assert_allclose(U.data.T @ U.data, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(F.svd(x, compute_uv=False).data, S.data)
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    _, (dx,), _ = _grad(lambda t: F.svdvals(t).sum(), x, g=np.array(1.0))
    np.testing.assert_allclose(dx, u @ vh, atol=1e-13)


# ----- norms -----------------------------------------------------------------------------------
@pytest.mark.parametrize("ord, axis", [(None, None), (None, 1), (2, 0), (1, 1), (np.inf, 1),
                                       (-np.inf, 0), (0, 1), (3, 1), (0.5, 0), (-1, 1),
                                       ("fro", None), ("nuc", None), (2, None), (-2, None),
                                       (1, None), (-1, None), (np.inf, None), (-np.inf, None),
                                       ("fro", (1, 0)), ("nuc", (0, 1))])
def test_norm_values_match_numpy(ord, axis):
    x = r(3, 4)
    for keepdims in (False, True):
        np.testing.assert_allclose(F.norm(x, ord, axis, keepdims).data,
                                   np.linalg.norm(x, ord, axis, keepdims), rtol=1e-13)
    x3 = r(2, 3, 4)
    if axis is not None and ord != "nuc" and ord != "fro":
        np.testing.assert_allclose(F.norm(x3, ord, dim=axis, keepdim=True).data,
                                   np.linalg.norm(x3, ord, axis, True), rtol=1e-13)


def test_norm_gradients_and_zero_vector():
    x = r(3, 4)
    x[1] = 0.0
    _, (dx,), g = _grad(F.norm, x, axis=1)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(dx[[0, 2]], (g[:, None] * x / np.where(n > 0, n, 1))[[0, 2]])
    assert (dx[1] == 0).all()  # torch: 0 at the zero vector, not NaN
    _, (dx,), _ = _grad(F.norm, x, 1, 1, g=np.ones(3))
    np.testing.assert_array_equal(dx, np.sign(x))
    y = r(3, 4, seed=2)
    u, _, vh = np.linalg.svd(y)
    _, (dy,), _ = _grad(F.norm, y, 2, g=np.array(1.0))
    np.testing.assert_allclose(dy, np.outer(u[:, 0], vh[0]), atol=1e-13)


def test_vector_matrix_and_tensor_norm_follow_torch():
    torch = pytest.importorskip("torch")
    x = r(2, 3, 4)
    tx = torch.tensor(x)
    for ord, dim in [(2, None), (1, (0, 2)), (np.inf, 1), (3, (1, 2))]:
        np.testing.assert_allclose(F.vector_norm(x, ord, dim=dim).data,
                                   torch.linalg.vector_norm(tx, ord, dim=dim).numpy(), rtol=1e-13)
    for ord in ("fro", "nuc", 2, -1):
        np.testing.assert_allclose(F.matrix_norm(x, ord).data,
                                   torch.linalg.matrix_norm(tx, ord).numpy(), rtol=1e-13)
    m = r(3, 4)  # Tensor.norm is torch.norm: a number p is a vector norm, even for a matrix
    for p, dim in [("fro", None), (1, None), (3, (0, 1)), (2, 1), ("nuc", None)]:
        np.testing.assert_allclose(Tensor(m).norm(p, dim).data,
                                   torch.norm(torch.tensor(m), p, dim).numpy(), rtol=1e-13)
    assert F.norm(m, 1).item() == pytest.approx(np.abs(m).sum(0).max())  # linalg: matrix 1


# ----- composites ------------------------------------------------------------------------------
def test_pinv_matrix_power_multi_dot_and_namespace():
    x = r(4, 3)
    np.testing.assert_allclose(F.pinv(x).data, np.linalg.pinv(x), atol=1e-13)
    low = np.outer(r(4), r(3, seed=1))  # rank 1: small singular values are cut off
    np.testing.assert_allclose(linalg.pinv(low, rcond=1e-10).data, np.linalg.pinv(low),
                               atol=1e-12)
    gradcheck(F.pinv, [x], eps=1e-3, order=4)
    A = well(3)
    for n in (0, 1, 2, 3, 5, -1, -2):
        np.testing.assert_allclose(F.matrix_power(A, n).data, np.linalg.matrix_power(A, n),
                                   atol=1e-12)
    gradcheck(lambda t: F.matrix_power(t, 3), [A], eps=1e-3, order=4)
    _, (dA,), _ = _grad(F.matrix_power, A, 0)
    assert (dA == 0).all()
    assert Tensor(A).matrix_power(2).shape == (3, 3)
    np.testing.assert_allclose(Tensor(x).pinverse().data, np.linalg.pinv(x), atol=1e-13)
    mats = [r(2, 3), r(3, 4, seed=1), r(4, 2, seed=2)]
    np.testing.assert_allclose(linalg.multi_dot(mats).data, np.linalg.multi_dot(mats))
    y = r(2, 3, 3)
    np.testing.assert_array_equal(linalg.diagonal(y).data, np.diagonal(y, 0, -2, -1))
    assert linalg.inv is F.inv and linalg.norm is F.norm
    with pytest.raises(ShapeError, match="matrix_power: x must be a square"):
        F.matrix_power(r(2, 3), 2)
    with pytest.raises(ShapeError, match="multi_dot: needs at least 2"):
        linalg.multi_dot([x])


def test_float32_is_kept_by_every_wrapper():
    A = well(3, dtype=np.float32)
    outs = [F.inv(A), F.det(A), *F.slogdet(A), F.solve(A, f32(3)), F.cholesky(spd(3).astype(
        np.float32)), *F.eigh(A), *F.svd(A), F.norm(A), F.norm(A, "nuc"), F.norm(A, 0.5, 1),
        F.pinv(A), F.matrix_power(A, -2), F.matrix_power(A, 0), F.trace(A), F.diag(A)]
    assert all(o.dtype == np.float32 for o in outs), [o.dtype for o in outs]
