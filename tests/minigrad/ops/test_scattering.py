"""Scattering family: scatter (assign / add / multiply), scatter_reduce, masked_select, one_hot;
expected values from loops over the index (the definition), torch's errors."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import minigrad.functional.scattering as S
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    DTypeRuntimeError,
    IndexRangeError,
    RangeRuntimeError,
    ShapeRuntimeError,
)
from tests.minigrad.ops.common import f32, r

FUNCTIONS = [n for n in S.__all__ if n[0].isupper()]
M = S.TENSOR_METHODS  # the family's Tensor methods, as minigrad.functional binds them
IDX = np.array([[0, 2, 0], [1, 1, 2]])  # (2, 3) targets along dim 1 of a (2, 4) x; repeats

F32_CASES = {
    "Scatter": lambda: (S.Scatter, (f32(2, 4), 1, IDX, f32(2, 3, seed=2)), (0, 3)),
    "ScatterReduce": lambda: (S.ScatterReduce, (f32(2, 4), 1, IDX, f32(2, 3, seed=2)),
                              (0, 3)),
    "MaskedSelect": lambda: (S.MaskedSelect, (f32(2, 3), np.array([True, False, True])), (0,)),
}

ERROR_CASES = [
    ("Scatter", "rank", lambda: S.scatter(r(2, 4), 1, np.array([0, 1]), r(2)),
     ShapeRuntimeError, ["index must have x's number of dimensions", "(2,)", "(2, 4)"]),
    ("Scatter", "index size", lambda: S.scatter(r(2, 3, 10), 1, np.zeros((3, 4, 5), int),
                                                r(10, 10, 10)),
     ShapeRuntimeError, ["sizes must be <= x's on every axis but dim 1", "(3, 4, 5)"]),
    ("Scatter", "src size", lambda: S.scatter(r(10, 3, 10), 1, np.zeros((3, 4, 5), int),
                                              r(10, 3, 10)),
     ShapeRuntimeError, ["src must have", "sizes >= index's", "(10, 3, 10)"]),
    ("Scatter", "range", lambda: S.scatter(r(2, 4), 1, IDX + 2, r(2, 3)), RangeRuntimeError,
     ["index values must be in [0, 4)", "max 4"]),
    ("Scatter", "dtype", lambda: S.scatter(r(2, 4).astype(np.float16), 1, IDX, r(2, 3)),
     DTypeRuntimeError, ["src must have x's dtype", "float64", "float16"]),
    ("Scatter", "reduce", lambda: S.scatter(r(2, 4), 1, IDX, r(2, 3), reduce="max"),
     RangeRuntimeError, ["reduce must be None, 'add' or 'multiply'", "'max'"]),
    ("Scatter", "dim", lambda: S.scatter(r(4), 1, np.array([0]), r(4)), IndexRangeError,
     ["dim 1 is out of range", "(4,)"]),
    ("ScatterReduce", "reduce", lambda: S.scatter_reduce(r(2, 4), 0, IDX, r(2, 3), "INVALID"),
     RangeRuntimeError, ["reduce must be one of", "'INVALID'"]),
    ("ScatterReduce", "float index", lambda: S.scatter_reduce(r(2, 4), 0, IDX * 1.0, r(2, 3),
                                                              "sum"),
     DTypeError, ["index must be an integer array", "float64"]),
    ("MaskedSelect", "mask dtype", lambda: S.masked_select(r(2, 3), r(2, 3)), DTypeRuntimeError,
     ["mask must be a bool array", "float64"]),
    ("MaskedSelect", "shapes", lambda: S.masked_select(r(2, 3), np.ones(2, bool)),
     ShapeRuntimeError, ["x and mask must broadcast", "(2, 3)", "(2,)"]),
    ("one_hot", "float", lambda: S.one_hot(r(3)), DTypeRuntimeError, ["integer", "float64"]),
    ("one_hot", "range", lambda: S.one_hot(np.array([1, 4]), 3), RangeRuntimeError,
     ["[0, 3)", "max 4"]),
]


def test_every_function_has_float32_and_error_cases():
    assert set(F32_CASES) == set(FUNCTIONS)
    assert set(FUNCTIONS) <= {c[0] for c in ERROR_CASES}


def _loop(x: np.ndarray, dim: int, index: np.ndarray, src: np.ndarray, combine) -> np.ndarray:
    """The definition: out[..., index[p], ...] = combine(out[...], src[p]) for p in order."""
    out = x.copy()
    for p in itertools.product(*[range(s) for s in index.shape]):
        q = list(p)
        q[dim] = index[p]
        out[tuple(q)] = combine(out[tuple(q)], src[p])
    return out


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_scatter_assign_add_multiply_follow_the_definition(dim):
    rng = np.random.default_rng(dim + 5)
    x, src = r(4, 5, 6), r(4, 5, 6, seed=1)
    index = rng.integers(0, x.shape[dim], size=(3, 4, 5))
    np.testing.assert_array_equal(S.scatter(x, dim, index, src).data,
                                  _loop(x, dim, index, src, lambda a, b: b))
    np.testing.assert_allclose(S.scatter(x, dim, index, src, reduce="add").data,
                               _loop(x, dim, index, src, lambda a, b: a + b), rtol=1e-14)
    np.testing.assert_allclose(M["scatter"](Tensor(x), dim, index, src, reduce="multiply").data,
                               _loop(x, dim, index, src, lambda a, b: a * b), rtol=1e-14)
    out = S.scatter(x, dim, index, value=3.0)
    np.testing.assert_array_equal(out.data, _loop(x, dim, index, np.full(index.shape, 3.0),
                                                  lambda a, b: b))


def test_scatter_last_write_wins_and_gradients_as_torch():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True)
    src = Tensor(np.array([1.0, 0.0]), requires_grad=True)
    out = S.scatter(x, 0, np.array([0, 0]), src)
    np.testing.assert_array_equal(out.data, [0.0, 2.0, 3.0, 4.0])
    out.backward(np.array([5.0, 6.0, 7.0, 8.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(src.grad, [5.0, 5.0])  # torch: dout gathered at the targets


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_follows_the_definition(reduce, include_self):
    x, src = r(3, 4), r(3, 5, seed=2)
    index = np.array([[0, 0, 3, 1, 0], [2, 2, 2, 2, 2], [1, 3, 3, 0, 1]])
    groups: dict = {}
    for i, j in itertools.product(range(3), range(5)):
        groups.setdefault((i, index[i, j]), []).append(src[i, j])
    ref = x.copy()
    fold = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}
    for (i, k), vals in groups.items():
        ref[i, k] = fold[reduce](vals + ([x[i, k]] if include_self else []))
    out = S.scatter_reduce(x, 1, index, src, reduce, include_self=include_self)
    np.testing.assert_allclose(out.data, ref, rtol=1e-14)


def test_scatter_reduce_prod_gradients_with_zeros_and_amax_ties():
    x = Tensor(np.array([[2.0, 3.0]]), requires_grad=True)
    src = Tensor(np.array([[0.0, 5.0, 0.0, 4.0]]), requires_grad=True)
    index = np.array([[0, 0, 1, 1]])
    S.scatter_reduce(x, 1, index, src, "prod").sum().backward()
    # target 0: 2 * 0 * 5 -> d/dsrc0 = 10, others 0; target 1: 3 * 0 * 4 -> d/dsrc2 = 12
    np.testing.assert_array_equal(src.grad, [[10.0, 0.0, 12.0, 0.0]])
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0]])
    x2 = Tensor(np.array([[1.0, 7.0]]), requires_grad=True)
    s2 = Tensor(np.array([[1.0, 1.0, 0.5]]), requires_grad=True)
    S.scatter_reduce(x2, 1, np.array([[0, 0, 1]]), s2, "amax").sum().backward()
    np.testing.assert_allclose(x2.grad, [[1 / 3, 1.0]])  # three-way tie at target 0
    np.testing.assert_allclose(s2.grad, [[1 / 3, 1 / 3, 0.0]])


def test_masked_select_broadcasts_and_scatters_back():
    x = Tensor(r(2, 3), requires_grad=True)
    mask = np.array([True, False, True])
    out = M["masked_select"](x, mask)
    np.testing.assert_array_equal(out.data, x.data[:, [0, 2]].ravel())
    out.backward(np.arange(1.0, 5.0))
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 2.0], [3.0, 0.0, 4.0]])
    assert S.masked_select(r(2, 3), np.array(True)).shape == (6,)
    assert S.masked_select(r(2, 3), np.zeros((2, 3), bool)).shape == (0,)


def test_one_hot_as_torch():
    out = S.one_hot(Tensor(np.array([1, 2, 4])), 6)
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.data, np.eye(6, dtype=np.int64)[[1, 2, 4]])
    ids = np.array([[[1, 2, 3], [0, 3, 5]], [[1, 2, 3], [0, 3, 5]]])
    np.testing.assert_array_equal(S.one_hot(ids).data, np.eye(6, dtype=np.int64)[ids])
    assert S.one_hot(ids, 8).shape == (2, 2, 3, 8)


def test_float32_stays_float32_in_every_reduction():
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        out = S.scatter_reduce(f32(2, 4), 1, IDX, f32(2, 3, seed=2), reduce, include_self=False)
        assert out.dtype == np.float32, reduce
