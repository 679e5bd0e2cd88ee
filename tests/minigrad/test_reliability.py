"""Reliability regressions (issue 9): plain arrays edited after forward, ragged data, bad axes,
non-finite gradients reaching an optimizer, stale temp files of interrupted saves."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor

# ----- plain arrays edited in place between forward and backward ------------------------------


def _embedding_grad(edit: bool) -> np.ndarray:
    ids = np.array([[0, 1], [2, 0]])
    W = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F.embedding(ids, W)
    if edit:
        ids[0, 0] = 3  # the user reuses the id buffer before backward
    out.backward(np.ones((2, 2, 3)))
    return W.grad


def test_embedding_ids_edited_after_forward_do_not_move_the_gradient():
    untouched = _embedding_grad(edit=False)
    # rows 0 (twice), 1 and 2 were looked up: counts 2, 1, 1, 0
    np.testing.assert_array_equal(untouched, np.array([[2.0] * 3, [1.0] * 3, [1.0] * 3,
                                                       [0.0] * 3]))
    np.testing.assert_array_equal(_embedding_grad(edit=True), untouched)


def test_affine_features_edited_after_forward_do_not_change_the_gradient():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = Tensor(np.zeros((2, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    out = F.affine(x, w, b)
    x[...] = 100.0
    out.backward(np.ones((2, 3)))
    # dw = x_at_forward.T @ ones: column sums of the original x, repeated over 3 outputs
    np.testing.assert_array_equal(w.grad, np.array([[4.0] * 3, [6.0] * 3]))
    assert x[0, 0] == 100.0  # the caller's array is theirs: not restored, not frozen


def test_tensor_input_edited_after_forward_is_still_refused():
    from minigrad.errors import GraphError

    ids = Tensor(np.array([[0, 1]]))
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    out = F.embedding(ids, W)
    ids[0, 0] = 1
    with pytest.raises(GraphError, match="modified by an inplace operation|in place"):
        out.backward(np.ones((1, 2, 2)))


# ----- ragged, object and text data to Tensor -------------------------------------------------

@pytest.mark.parametrize("data, kwargs, where", [
    ([[1, 2], [3]], {}, "data[1] of length 1 and data[0] of length 2"),
    ([[[1], [2]], [[1], [2, 3]]], {}, "data[1][1] of length 2 and data[0][0] of length 1"),
    ([[1, 2], 3], {}, "a sequence at data[0] and a scalar (int) at data[1]"),
    ([1, [2]], {"dtype": np.float64}, "a sequence at data[1] and a scalar (int) at data[0]"),
    ([np.ones(2), np.ones(3)], {}, "data[1] of length 3 and data[0] of length 2"),
])
def test_ragged_data_is_a_named_shape_error(data, kwargs, where):
    from minigrad.errors import ShapeError

    with pytest.raises(ShapeError) as e:
        Tensor(data, **kwargs)
    assert str(e.value) == ("Tensor: data must be a rectangular nested list (rows of equal "
                            f"lengths), got {where}")
    assert "inhomogeneous" not in str(e.value)
    assert isinstance(e.value, ValueError)


@pytest.mark.parametrize("data, detail", [
    ("abc", "dtype <U3 (data holds text)"),
    ([1, "a"], "dtype <U21 (data holds text)"),
    ({"a": 1}, "dtype object (data is a dict)"),
    ([1, None], "dtype object (data[1] is a NoneType)"),
    ([[1, 2], [3, object()]], "dtype object (data[1, 1] is a object)"),
    (2**70, "dtype object (data is the int 1180591620717411303424, outside int64)"),
])
def test_non_numeric_data_is_a_named_dtype_error(data, detail):
    from minigrad.errors import DTypeError

    with pytest.raises(DTypeError) as e:
        Tensor(data)
    assert str(e.value) == f"Tensor: data must be numeric (bool, int or float), got {detail}"


def test_bad_dtype_and_unconvertible_values_are_named():
    from minigrad.errors import DTypeError, UnknownDTypeError

    with pytest.raises(UnknownDTypeError,
                       match=r"^Tensor: dtype must be a numpy dtype, got 'foo'$"):
        Tensor([1.0], dtype="foo")
    with pytest.raises(DTypeError, match=r"^Tensor: data cannot be converted to dtype float64: "
                                         r"could not convert string to float: 'a'$"):
        Tensor(["a"], dtype=np.float64)
    with pytest.raises(DTypeError, match=r"^Tensor: data cannot be converted to dtype int64"):
        Tensor([2**70], dtype=np.int64)


def test_rectangular_nested_lists_still_work():
    t = Tensor([[1, 2], [3, 4]], dtype=np.float32)
    assert t.shape == (2, 2) and t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.array([[1, 2], [3, 4]], np.float32))
    assert Tensor([]).shape == (0,)
