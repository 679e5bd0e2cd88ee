"""Index family: where, masked_fill, gather/take_along_axis, index_select, tril/triu, and the
comparisons / logical ops (bool Tensors, no graph; Tensors stay hashable by identity)."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    DTypeRuntimeError,
    GraphError,
    IndexRangeError,
    RangeError,
    RangeRuntimeError,
    ShapeError,
    ShapeRuntimeError,
)
from minigrad.nn import Parameter
from tests.minigrad.ops.common import f32, r

MASK = np.array([[True, False, True], [False, False, True]])
IDX = np.array([[0, 2], [1, 1]])

F32_CASES = {
    "Where": lambda: (F.Where, (MASK, f32(2, 3), f32(3, seed=2)), (1, 2)),
    "MaskedFill": lambda: (F.MaskedFill, (f32(2, 3), MASK, np.array(0.5, np.float32)), (0, 2)),
    "Gather": lambda: (F.Gather, (f32(2, 3), 1, IDX), (0,)),
    "IndexSelect": lambda: (F.IndexSelect, (f32(2, 3), 1, np.array([2, 2, 0])), (0,)),
    "Tril": lambda: (F.Tril, (f32(2, 3, 3),), (0,)),
    "Triu": lambda: (F.Triu, (f32(3, 4),), (0,)),
}

ERROR_CASES = [
    ("Where", "float condition", lambda: F.where(r(2), r(2), r(2)),
     DTypeError, ["condition", "bool", "float64"]),
    ("Where", "shapes", lambda: F.where(MASK, r(4), 0.0), ShapeError,
     ["condition, a and b", "broadcast", "(2, 3)", "(4,)"]),
    ("MaskedFill", "value shape", lambda: F.masked_fill(r(2, 3), MASK, r(3)), ShapeError,
     ["value", "0-d", "(3,)"]),
    ("MaskedFill", "shapes", lambda: F.masked_fill(r(2, 4), MASK, 1.0), ShapeError,
     ["mask and x", "(2, 3)", "(2, 4)"]),
    ("MaskedFill", "mask dtype", lambda: F.masked_fill(r(2, 3), r(2, 3), 1.0), DTypeError,
     ["mask", "bool", "float64"]),
    ("Gather", "range", lambda: F.gather(r(2, 3), 1, np.array([[0, 3]])), RangeRuntimeError,
     ["index", "[0, 3)", "max 3"]),
    ("Gather", "rank", lambda: F.gather(r(2, 3), 0, np.array([0, 1])), ShapeRuntimeError,
     ["index", "dimensions", "(2,)", "(2, 3)"]),
    ("Gather", "size", lambda: F.gather(r(2, 3), 0, np.zeros((1, 4), int)), ShapeRuntimeError,
     ["sizes must be <= x's", "dim 0", "(1, 4)", "(2, 3)"]),
    ("Gather", "dim", lambda: F.gather(r(2, 3), 2, IDX), IndexRangeError,
     ["dim 2", "out of range", "(2, 3)"]),
    ("Gather", "float index", lambda: F.gather(r(2, 3), 1, IDX * 1.0), DTypeError,
     ["index", "integer", "float64"]),
    ("IndexSelect", "range", lambda: F.index_select(r(2, 3), 0, np.array([2])), RangeError,
     ["index", "[0, 2)"]),
    ("IndexSelect", "2-D index", lambda: F.index_select(r(2, 3), 0, np.zeros((2, 2), int)),
     ShapeError, ["index", "1-D", "(2, 2)"]),
    ("IndexSelect", "scalar x", lambda: F.index_select(r(), 0, np.array([0])), ShapeError,
     ["x", "at least 1 dimension", "()"]),
    ("Tril", "1-D", lambda: F.tril(r(3)), ShapeError, ["x", "at least 2-D", "(3,)"]),
    ("Triu", "str", lambda: F.triu("x"), DTypeError, ["x", "array", "str"]),
    ("take_along_axis", "range", lambda: F.take_along_axis(r(2, 3), np.array([[-4]]), 1),
     RangeError, ["[-3, 3)", "min -4"]),
    ("eq", "shapes", lambda: Tensor(r(2, 3)) == r(2), ShapeError, ["a and b", "(2, 3)", "(2,)"]),
    ("lt", "str", lambda: F.lt(r(2), "a"), DTypeError, ["b", "array", "str"]),
    ("bitwise_and", "float", lambda: Tensor(MASK) & r(2, 3), DTypeRuntimeError,
     ["b", "bool or integer", "float64"]),
    ("bitwise_not", "float", lambda: ~Tensor(r(2)), DTypeRuntimeError, ["x", "bool or integer"]),
    ("bitwise_left_shift", "bool", lambda: Tensor(MASK) << 1, DTypeRuntimeError,
     ["a", "an integer array", "bool"]),
    ("isclose", "shapes", lambda: F.isclose(r(2, 3), r(2)), ShapeError,
     ["a and b", "(2, 3)", "(2,)"]),
]


# ----- where / masked_fill --------------------------------------------------------------------
def test_where_values_and_broadcast_gradients():
    a = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
    b = Tensor(np.array([-1.0, -2.0, -3.0]), requires_grad=True)
    out = F.where(MASK, a, b)
    np.testing.assert_array_equal(out.data, [[1, -2, 3], [-1, -2, 6]])
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out.backward(g)
    np.testing.assert_array_equal(a.grad, [[1, 0, 3], [0, 0, 6]])
    np.testing.assert_array_equal(b.grad, [4.0, 7.0, 0.0])
    assert out.grad_fn is F.Where


def test_where_accepts_int_masks_numbers_and_tensor_conditions():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    out = F.where(np.array([1, 0, 1]), x, 0.0)
    np.testing.assert_array_equal(out.data, [0.5, 0.0, 2.0])
    out = x.where(x > 0, -x)  # torch: t.where(condition, other)
    np.testing.assert_array_equal(out.data, [0.5, 1.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, -1.0, 1.0])
    rows, cols = F.where(MASK)
    np.testing.assert_array_equal(rows.data, [0, 0, 1])
    np.testing.assert_array_equal(cols.data, [0, 2, 2])
    with pytest.raises(TypeError, match="both a and b"):
        F.where(MASK, 1.0)


def test_where_keeps_float32_with_number_branch():
    x = Tensor(f32(2, 3), requires_grad=True)
    out = F.where(MASK, x, 0.0)
    assert out.dtype == np.float32


def test_masked_fill_values_broadcast_and_value_gradient():
    x = Tensor(np.arange(3.0), requires_grad=True)
    v = Tensor(np.array(2.0), requires_grad=True)
    out = x.masked_fill(MASK, v)  # mask (2, 3) broadcasts x (3,), as torch
    np.testing.assert_array_equal(out.data, [[2, 1, 2], [0, 1, 2]])
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out.backward(g)
    np.testing.assert_array_equal(x.grad, [4.0, 7.0, 0.0])
    assert v.grad.shape == () and v.grad == 1.0 + 3.0 + 6.0


def test_masked_fill_casts_the_value_to_x_dtype():
    out = F.masked_fill(f32(2, 3), MASK, np.array(-np.inf))
    assert out.dtype == np.float32 and np.isneginf(out.data[MASK]).all()


# ----- gather / take_along_axis / index_select ---------------------------------------------
def test_gather_follows_torch_indexing_and_accumulates_repeats():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    out = F.gather(x, 1, IDX)  # index smaller than x: rows 0-1 only
    expected = [[x.data[i, IDX[i, j]] for j in range(2)] for i in range(2)]
    np.testing.assert_array_equal(out.data, expected)
    out.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[1, 0, 2, 0], [0, 7, 0, 0], [0, 0, 0, 0]])
    x.grad = None
    out = x.gather(0, np.array([[2, 2, 0, 1]]))
    np.testing.assert_array_equal(out.data, [[8, 9, 2, 7]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0]])


def test_take_along_axis_is_numpy_with_negative_and_broadcast_indices():
    x = np.arange(24.0).reshape(2, 3, 4)
    idx = np.array([[[-1, 0]], [[1, -2]]])  # (2, 1, 2): broadcast over axis 1
    out = F.take_along_axis(Tensor(x), idx, axis=2)
    np.testing.assert_array_equal(out.data, np.take_along_axis(x, idx, axis=2))
    t = Tensor(x, requires_grad=True)
    F.take_along_axis(t, np.array([[[0]], [[0]]]), axis=-1).sum().backward()
    np.testing.assert_array_equal(t.grad[..., 0], np.ones((2, 3)))
    assert t.grad.sum() == 6


def test_index_select_repeats_accumulate():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = x.index_select(1, np.array([2, 0, 2]))
    np.testing.assert_array_equal(out.data, [[2, 0, 2], [5, 3, 5]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 2], [1, 0, 2]])


# ----- tril / triu ------------------------------------------------------------------------------
@pytest.mark.parametrize("diagonal", [-1, 0, 2])
def test_tril_triu_match_numpy_on_the_last_two_axes(diagonal):
    x = r(2, 3, 4)
    lower, upper = F.tril(x, diagonal), F.triu(x, k=diagonal)
    np.testing.assert_array_equal(lower.data, np.tril(x, diagonal))
    np.testing.assert_array_equal(upper.data, np.triu(x, diagonal))
    t = Tensor(x, requires_grad=True)
    (t.tril(diagonal) * 2 + t.triu(diagonal + 1)).sum().backward()
    ones = np.ones((3, 4))
    np.testing.assert_array_equal(t.grad[1], np.tril(ones, diagonal) * 2
                                  + np.triu(ones, diagonal + 1))


def test_tril_keeps_bool_and_int_dtypes():
    assert F.tril(np.ones((3, 3), bool)).dtype == np.bool_
    assert F.triu(np.ones((2, 3), np.int32)).dtype == np.int32


# ----- comparisons and logical ops ------------------------------------------------------------
COMPARE = [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt), ("le", operator.le),
           ("gt", operator.gt), ("ge", operator.ge)]
A = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
B = np.array([2.0, 2.0, 2.0])


@pytest.mark.parametrize("name, op", COMPARE)
def test_comparisons_return_bool_tensors_with_no_graph(name, op):
    t = Tensor(A, requires_grad=True)
    expected = [[op(a, b) for a, b in zip(row, B, strict=True)] for row in A]
    for out in (getattr(F, name)(t, B), getattr(t, name)(Tensor(B)), op(t, B), op(t, Tensor(B)),
                op(A, Tensor(B))):
        assert isinstance(out, Tensor) and out.dtype == np.bool_
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.data, expected)
    np.testing.assert_array_equal(op(t, 2.0).data, expected)
    np.testing.assert_array_equal(op(2.0, t).data, [[op(2.0, a) for a in row] for row in A])


def test_torch_and_numpy_comparison_aliases():
    assert F.greater is F.gt and F.less_equal is F.le and F.not_equal is F.ne


def test_equality_with_other_objects_falls_back_to_identity():
    t = Tensor(A)
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert (t == "a") is False
    with pytest.raises(TypeError):
        _ = t < "a"


def test_tensors_stay_hashable_by_identity():
    t, u = Tensor(A), Tensor(A.copy())
    assert Tensor.__hash__ is object.__hash__ and hash(t) == object.__hash__(t)
    d = {t: "t", u: "u"}
    assert d[t] == "t" and d[u] == "u" and len(d) == 2
    assert t in {t} and u not in {t} and t in [t]
    p = Parameter(np.ones(2))
    assert {p: 1}[p] == 1 and p in {p}


def test_logical_and_bitwise_ops():
    x = Tensor(np.array([-1.0, 0.0, 2.0, 3.0]))
    inside = (x > -0.5) & (x < 2.5)
    np.testing.assert_array_equal(inside.data, [False, True, True, False])
    np.testing.assert_array_equal((~inside).data, [True, False, False, True])
    np.testing.assert_array_equal(((x < 0) | (x > 2.5)).data, [True, False, False, True])
    np.testing.assert_array_equal(((x > 0) ^ True).data, [True, True, False, False])
    np.testing.assert_array_equal((np.array([True, False, True, True]) & (x > 0)).data,
                                  [False, False, True, True])
    np.testing.assert_array_equal(F.logical_and(x, [1, 1, 0, 1]).data, [True, False, False, True])
    np.testing.assert_array_equal(F.logical_or(x, 0).data, [True, False, True, True])
    np.testing.assert_array_equal(x.logical_xor(x > 1).data, [True, False, False, False])
    np.testing.assert_array_equal(F.logical_not(x).data, [False, True, False, False])
    np.testing.assert_array_equal((Tensor(np.array([6, 3])) & 5).data, [6 & 5, 3 & 5])


def test_integer_bitwise_ops_and_shifts_as_torch():
    data = [[1, -8, 1], [32, 1, 6]]
    t = Tensor(np.array(data, dtype=np.int32))
    for out, ref in ((t ^ 0x1337, [[v ^ 0x1337 for v in row] for row in data]),
                     (0x1337 | t, [[v | 0x1337 for v in row] for row in data]),
                     (~t, [[~v for v in row] for row in data]),
                     (t << 2, [[v << 2 for v in row] for row in data]),
                     (t >> 1, [[v >> 1 for v in row] for row in data]),  # arithmetic shift
                     (t.lshift(3), [[v << 3 for v in row] for row in data]),
                     (t.bitwise_right_shift(2), [[v >> 2 for v in row] for row in data])):
        assert out.dtype == np.int32 and out.data.tolist() == ref
    assert (1 << Tensor(np.array([0, 3]))).data.tolist() == [1, 8]
    u = Tensor(np.array([1 << 8, 1], dtype=np.uint32))
    assert (u << 31).data.tolist() == [0, 1 << 31]  # wraps in 32 bits
    with pytest.raises(RuntimeError, match="bitwise_xor: a must be a bool or integer"):
        Tensor(np.ones(4)).bitwise_xor(Tensor(np.ones(4)))


def test_isclose_as_torch_with_infinities_and_nan():
    a = np.array([1.0, 1.0 + 1e-6, 1e-7, np.inf, np.inf, np.nan, 0.0])
    b = np.array([1.0, 1.0, 0.0, np.inf, -np.inf, np.nan, 1e-9])
    out = Tensor(a).isclose(Tensor(b))
    assert out.dtype == np.bool_
    # |a - b| <= 1e-8 + 1e-5 |b|; equal infinities are close; NaN never unless equal_nan
    assert out.data.tolist() == [True, True, False, True, False, False, True]
    assert F.isclose(a, b, equal_nan=True).data.tolist()[5]
    assert not F.isclose(a, b, atol=0.0).data.tolist()[6]
    assert F.isclose(np.array([1.0]), np.array([1.001]), rtol=0.01).data.tolist() == [True]


@pytest.mark.parametrize("fn", [F.tril, F.triu])
def test_triangle_mask_is_saved_and_freed_by_backward(fn):
    x = Tensor(r(3, 3), requires_grad=True)
    y = fn(x)
    y.sum().backward()
    with pytest.raises(GraphError, match="second time"):
        y.sum().backward()
