"""Linear family: einsum, tensordot, outer, dot/vdot/inner/mm/bmm and the matmul methods;
float32, named errors, values and gradients from numpy formulas."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, ShapeRuntimeError
from tests.minigrad.ops.common import f32, r

F32_CASES = {
    "Einsum": lambda: (F.Einsum, (f32(2, 3, 4), f32(4, 2)), (0, 1),
                       {"subscripts": "...ij,jk->...ik"}),
    "Tensordot": lambda: (F.Tensordot, (f32(3, 2), f32(4, 3)), (0, 1), {"axes": ([0], [1])}),
    "Outer": lambda: (F.Outer, (f32(3), f32(4)), (0, 1)),
}

ERROR_CASES = [
    ("Einsum", "count", lambda: F.einsum("ij,jk->ik", r(2, 3)), ShapeRuntimeError,
     ["name 2 operand(s), got 1"]),
    ("Einsum", "ndim", lambda: F.einsum("ij->i", r(2, 3, 4)), ShapeRuntimeError,
     ["operand 0 has shape (2, 3, 4)", "'ij' name 2 axes"]),
    ("Einsum", "size", lambda: F.einsum("ij,jk->ik", r(2, 3), r(4, 5)), ShapeRuntimeError,
     ["index 'j' has sizes 3 and 4", "(2, 3)", "(4, 5)"]),
    ("Einsum", "diagonal", lambda: F.einsum("ii->i", r(2, 3)), ShapeRuntimeError,
     ["index 'i' has sizes 2 and 3"]),
    ("Einsum", "output", lambda: F.einsum("ij->k", r(2, 3)), ShapeRuntimeError,
     ["output index 'k'", "must appear once"]),
    ("Einsum", "chars", lambda: F.einsum("i1->i", r(2, 3)), ShapeRuntimeError, ["only letters"]),
    ("Einsum", "type", lambda: F.Einsum.apply(r(2), subscripts=None), DTypeError,
     ["subscripts must be a str"]),
    ("Tensordot", "sizes", lambda: F.tensordot(r(2, 3), r(4, 5), 1), ShapeRuntimeError,
     ["a.shape[1] must equal b.shape[0]", "(2, 3)", "(4, 5)"]),
    ("Tensordot", "int", lambda: F.tensordot(r(2, 3), r(3), 2), ShapeRuntimeError,
     ["axes 2 must be in [0, 1]"]),
    ("Tensordot", "range", lambda: F.tensordot(r(2, 3), r(3, 2), ([2], [0])), ShapeRuntimeError,
     ["axes [2] of a are out of range or repeated", "(2, 3)"]),
    ("Tensordot", "pairs", lambda: F.tensordot(r(2, 3), r(3, 2), ([0, 1], [1])), ShapeRuntimeError,
     ["must pair as many axes"]),
    ("Outer", "str", lambda: F.outer(r(2), "ab"), DTypeError, ["b", "array", "str"]),
    ("MatMul", "inner", lambda: Tensor(r(4)).matmul(Tensor(r(1, 2))), ShapeRuntimeError,
     ["a.shape[-1] must equal b.shape[-2]", "(4,)", "(1, 2)"]),
    ("dot", "3-D", lambda: F.dot(r(2, 3, 4), r(4)), ShapeRuntimeError,
     ["1-D or 2-D", "(2, 3, 4)", "(4,)"]),
    ("mm", "1-D", lambda: F.mm(r(3), r(3, 2)), ShapeRuntimeError, ["2-D", "(3,)"]),
    ("bmm", "batch", lambda: F.bmm(r(2, 3, 4), r(3, 4, 5)), ShapeRuntimeError,
     ["same batch size", "(2, 3, 4)", "(3, 4, 5)"]),
]


def _grads(fn, *arrays, g=None):
    """(output, d sum(fn(*ts) * g) / d each input)."""
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(np.ones(out.shape) if g is None else g)
    return out.data, [t.grad for t in ts]


# ----- einsum ------------------------------------------------------------------------------
@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ba", [(2, 3)]),
    ("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("jii->ij", [(2, 3, 3)]),
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]), ("i...,i...", [(3, 2), (3, 1)]),
    ("ij,kl->il", [(2, 3), (4, 5)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]), ("Ab,bA", [(2, 3), (3, 2)]),
])
def test_einsum_matches_numpy(subscripts: str, shapes: list) -> None:
    ops = [r(*s, seed=i) for i, s in enumerate(shapes)]
    np.testing.assert_allclose(F.einsum(subscripts, *ops).data, np.einsum(subscripts, *ops),
                               rtol=1e-12, atol=1e-12)


def test_einsum_gradients_from_formulas() -> None:
    a, b = r(2, 3), r(3, 4, seed=1)
    g = r(2, 4, seed=2)
    _, (da, db) = _grads(lambda x, y: F.einsum("ij,jk->ik", x, y), a, b, g=g)
    np.testing.assert_allclose(da, g @ b.T)
    np.testing.assert_allclose(db, a.T @ g)
    _, (dm,) = _grads(lambda m: F.einsum("ii", m), r(3, 3))
    np.testing.assert_array_equal(dm, np.eye(3))  # d trace = identity
    gd = r(3, seed=3)
    _, (dm,) = _grads(lambda m: F.einsum("ii->i", m), r(3, 3), g=gd)
    np.testing.assert_array_equal(dm, np.diag(gd))
    _, (dx,) = _grads(lambda x: F.einsum("ij->", x), r(2, 3))  # summed inside one operand
    np.testing.assert_array_equal(dx, np.ones((2, 3)))


def test_einsum_ellipsis_broadcast_gradient_sums_the_stretched_sides() -> None:
    a, b = r(1, 2, 3), r(4, 3, 2, seed=1)  # batch sides 1 and 4
    g = r(4, 2, 2, seed=2)
    out, (da, db) = _grads(lambda x, y: F.einsum("...ij,...jk->...ik", x, y), a, b, g=g)
    np.testing.assert_allclose(out, np.matmul(a, b))
    np.testing.assert_allclose(da, (g @ b.transpose(0, 2, 1)).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(db, a.transpose(0, 2, 1) @ g)


def test_einsum_explicit_output_without_ellipsis_sums_it_like_torch() -> None:
    x = r(2, 3, 4)
    np.testing.assert_allclose(F.einsum("...i->i", x).data, x.sum(axis=(0, 1)))
    np.testing.assert_allclose(F.einsum("i...->i", x).data, x.sum(axis=(1, 2)))


def test_einsum_takes_a_list_and_keeps_float32() -> None:
    a, b = f32(2, 3), f32(3, 2)
    out = F.einsum("ij,jk->ik", [Tensor(a, requires_grad=True), b])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-6)


# ----- tensordot, outer ------------------------------------------------------------------------
@pytest.mark.parametrize("a_shape, b_shape, axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((3, 2), (2, 3), ([0, -1], [1, 0])),
    ((3, 4), (5, 3), (0, 1)),
])
def test_tensordot_matches_numpy(a_shape: tuple, b_shape: tuple, axes) -> None:
    a, b = r(*a_shape), r(*b_shape, seed=1)
    np.testing.assert_allclose(F.tensordot(a, b, axes).data, np.tensordot(a, b, axes))
    np.testing.assert_allclose(F.tensordot(a, b, dims=axes).data, np.tensordot(a, b, axes))


def test_tensordot_gradients_of_a_transposed_product() -> None:
    a, b = r(3, 2), r(4, 3, seed=1)
    g = r(2, 4, seed=2)  # out[i, k] = sum_j a[j, i] b[k, j] = (a.T @ b.T)[i, k]
    _, (da, db) = _grads(lambda x, y: F.tensordot(x, y, ([0], [1])), a, b, g=g)
    np.testing.assert_allclose(da, (g @ b).T)
    np.testing.assert_allclose(db, (a @ g).T)


def test_outer_flattens_like_numpy() -> None:
    a, b = r(2, 2), r(3, seed=1)
    out, (da, db) = _grads(F.outer, a, b)
    np.testing.assert_allclose(out, np.outer(a, b))
    np.testing.assert_allclose(da, np.full((2, 2), b.sum()))
    np.testing.assert_allclose(db, np.full(3, a.sum()))
    np.testing.assert_allclose(Tensor(r(3)).outer(r(2, seed=1)).data, np.outer(r(3), r(2, seed=1)))


# ----- dot, vdot, inner, mm, bmm, methods ---------------------------------------------------
def test_dot_follows_numpy_for_1d_and_2d() -> None:
    for sa, sb in (((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4))):
        a, b = r(*sa), r(*sb, seed=1)
        np.testing.assert_allclose(F.dot(a, b).data, np.dot(a, b))
        np.testing.assert_allclose(Tensor(a).dot(b).data, np.dot(a, b))


def test_vdot_inner_mm_bmm_and_matmul_method() -> None:
    a, b = r(2, 3), r(2, 3, seed=1)
    np.testing.assert_allclose(F.vdot(a, b).data, np.vdot(a, b))
    np.testing.assert_allclose(Tensor(a).inner(b).data, np.inner(a, b))
    np.testing.assert_allclose(F.inner(r(3), r(4, 3)).data, np.inner(r(3), r(4, 3)))
    np.testing.assert_allclose(F.inner(2.0, a).data, np.inner(2.0, a))
    np.testing.assert_allclose(Tensor(a).mm(b.T).data, a @ b.T)
    x, y = r(2, 3, 4), r(2, 4, 5, seed=1)
    np.testing.assert_allclose(Tensor(x).bmm(y).data, x @ y)
    np.testing.assert_allclose(Tensor(x).matmul(y).data, x @ y)


def test_matmul_gradients_have_exactly_the_broadcast_input_shapes() -> None:
    a, b = r(3, 2, 4), r(1, 4, 5, seed=1)
    g = r(3, 2, 5, seed=2)
    _, (da, db) = _grads(F.matmul, a, b, g=g)
    assert da.shape == a.shape and db.shape == b.shape
    np.testing.assert_allclose(db, (a.transpose(0, 2, 1) @ g).sum(axis=0, keepdims=True))
    _, (dv, dm) = _grads(F.matmul, r(4), r(3, 4, 2, seed=1), g=r(3, 2, seed=2))
    np.testing.assert_allclose(dv, (r(3, 2, seed=2)[:, None, :] @ r(3, 4, 2, seed=1).transpose(
        0, 2, 1)).sum(axis=(0, 1)))
    assert dm.shape == (3, 4, 2)


def test_matmul_with_zero_sides_gives_zeros_and_zero_size_gradients() -> None:
    for sa, sb, so in (((8, 8), (8, 0), (8, 0)), ((0, 8), (8, 8), (0, 8)),
                       ((8, 0), (0, 8), (8, 8)), ((0,), (0,), ())):
        a = Tensor(np.ones(sa), requires_grad=True)
        b = Tensor(np.ones(sb), requires_grad=True)
        out = a @ b
        assert out.shape == so and not out.data.any()
        out.backward(np.ones(so))
        assert a.grad.shape == sa and b.grad.shape == sb
        assert not a.grad.any() and not b.grad.any()
    out = F.outer(np.zeros(0), r(3))
    assert out.shape == (0, 3)


def test_shape_mismatches_are_runtime_errors_as_torch() -> None:
    with pytest.raises(RuntimeError, match="must equal"):
        Tensor(r(2, 1)) @ Tensor(r(4))
    with pytest.raises(RuntimeError, match="at least 1-D"):
        Tensor(3.14).matmul(Tensor(3.14))
    with pytest.raises(RuntimeError, match="index 'q' has sizes"):
        F.einsum("pqrs,tuqvr->pstuv", r(3, 8, 10, 5), r(11, 5, 7, 13, 8))
    with pytest.raises(RuntimeError, match="one '...' per operand"):
        F.einsum("...ik..., ...jk ->", r(2, 3, 4), r(2, 3, 4))


@pytest.mark.parametrize("fn, x_shape, D", [(F.affine, (0, 3), 3), (F.affine, (0, 2, 3), 6),
                                            (F.temporal_affine, (2, 0, 6), 6),
                                            (F.temporal_affine, (0, 3, 6), 6)])
def test_affine_with_no_rows_works_like_torch(fn, x_shape: tuple, D: int) -> None:
    """N = 0 (affine) or N * T = 0 (temporal_affine): an empty output, zero gradients
    (torch.nn.functional.linear does the same)."""
    x = Tensor(np.ones(x_shape), requires_grad=True)
    w, b = Tensor(r(D, 4), requires_grad=True), Tensor(r(4), requires_grad=True)
    out = fn(x, w, b)
    assert out.shape == (*x_shape[:-1], 4) if fn is F.temporal_affine else out.shape == (0, 4)
    out.sum().backward()
    assert x.grad.shape == x_shape
    np.testing.assert_array_equal(w.grad, np.zeros((D, 4)))
    np.testing.assert_array_equal(b.grad, np.zeros(4))
