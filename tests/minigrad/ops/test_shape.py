"""Shape family: flatten, squeeze/unsqueeze, expand/broadcast_to, swapaxes/transpose, moveaxis,
permute, view, indexing and iteration; float32, named errors, values from numpy."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError, ShapeError, ShapeRuntimeError
from tests.minigrad.ops.common import f32, r


def _grad(fn: Any, x: np.ndarray, g: np.ndarray | None = None) -> np.ndarray:
    """d sum(fn(x) * g) / dx (g = ones by default)."""
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    out.backward(np.ones(out.shape) if g is None else g)
    return t.grad


F32_CASES = {
    "SwapAxes": lambda: (F.SwapAxes, (f32(2, 3, 4),), (0,), {"axis0": 0, "axis1": 2}),
    "MoveAxis": lambda: (F.MoveAxis, (f32(2, 3, 4),), (0,), {"source": 0, "destination": -1}),
    "Squeeze": lambda: (F.Squeeze, (f32(2, 1, 3),), (0,), {"axis": 1}),
    "Unsqueeze": lambda: (F.Unsqueeze, (f32(2, 3),), (0,), {"axis": (0, 2)}),
    "Expand": lambda: (F.Expand, (f32(1, 4),), (0,), {"sizes": (2, 3, -1)}),
}

ERROR_CASES = [
    ("SwapAxes", "axis", lambda: F.swapaxes(r(2, 3), 0, 2), IndexRangeError,
     ["axis1 2 is out of range", "(2, 3)"]),
    ("SwapAxes", "type", lambda: F.swapaxes(r(2, 3), 0, 1.0), DTypeError,
     ["axis1 must be an int", "float"]),
    ("MoveAxis", "lengths", lambda: F.moveaxis(r(2, 3, 4), (0, 1), 2), ShapeError,
     ["same number of axes", "(0, 1)"]),
    ("MoveAxis", "repeat", lambda: F.moveaxis(r(2, 3, 4), (0, 0), (1, 2)), ShapeRuntimeError,
     ["source must not repeat", "(0, 0)"]),
    ("Squeeze", "axis", lambda: F.squeeze(r(2, 1), 2), IndexRangeError,
     ["axis 2 is out of range", "(2, 1)"]),
    ("Unsqueeze", "axis", lambda: F.unsqueeze(r(2, 3), -4), IndexRangeError,
     ["axis -4 is out of range", "(2, 3)"]),
    ("Expand", "size", lambda: F.expand(r(2, 3), 4, 3), ShapeError,
     ["cannot expand", "(2, 3)", "(4, 3)", "dim 0"]),
    ("Expand", "too few", lambda: F.expand(r(2, 3), 3), ShapeError,
     ["at least x.ndim = 2", "(3,)"]),
    ("Expand", "leading -1", lambda: F.expand(r(3), -1, 3), ShapeError,
     ["cannot expand", "size -1 at dim 0"]),
    ("GetItem", "too many", lambda: Tensor(r(3))[0, 1], IndexRangeError,
     ["bad index", "(3,)", "too many indices"]),
    ("GetItem", "mask", lambda: Tensor(r(3))[np.array([True, False])], IndexRangeError,
     ["bad index", "(3,)"]),
    ("flatten", "order", lambda: F.flatten(r(2, 3, 4), 2, 1), ShapeError,
     ["start_dim 2 must not come after end_dim 1", "(2, 3, 4)"]),
    ("flatten", "range", lambda: F.flatten(r(2, 3), 0, 5), IndexRangeError,
     ["end_dim 5 is out of range", "(2, 3)"]),
    ("permute", "length", lambda: Tensor(r(2, 3, 4)).permute((0, 2)), ShapeRuntimeError,
     ["permutation of range(3)", "(0, 2)"]),
    ("permute", "repeat", lambda: F.permute(r(2, 3), 1, 1), ShapeRuntimeError,
     ["permutation of range(2)", "(1, 1)"]),
    ("Reshape", "two -1", lambda: F.reshape(r(3, 4), -1, -1, 2), ShapeRuntimeError,
     ["only one dimension can be inferred", "(-1, -1, 2)"]),
    ("Concat", "0-d", lambda: F.cat([r(), r()]), IndexRangeError, ["0-d inputs", "[(), ()]"]),
    ("broadcast_to", "negative", lambda: F.broadcast_to(r(3), (-1, 3)), ShapeError,
     ["non-negative", "(-1, 3)"]),
]


# ----- flatten, view, reshape -------------------------------------------------------------
def test_flatten_merges_the_dims_from_start_to_end_like_torch() -> None:
    x = r(2, 3, 4, 5)
    assert F.flatten(x).shape == (120,)
    np.testing.assert_array_equal(F.flatten(x, 1).data, x.reshape(2, 60))
    np.testing.assert_array_equal(F.flatten(x, 1, 2).data, x.reshape(2, 12, 5))
    np.testing.assert_array_equal(Tensor(x).flatten(-3, -2).data, x.reshape(2, 12, 5))
    assert F.flatten(np.float64(3.0)).shape == (1,)  # 0-d -> (1,), as torch
    np.testing.assert_array_equal(_grad(lambda t: t.flatten(1) * np.arange(60.0), x),
                                  np.broadcast_to(np.arange(60.0).reshape(3, 4, 5), x.shape))


def test_view_is_reshape() -> None:
    t = Tensor(r(2, 3))
    np.testing.assert_array_equal(t.view(3, 2).data, r(2, 3).reshape(3, 2))
    np.testing.assert_array_equal(t.view((-1,)).data, r(2, 3).reshape(-1))
    assert F.reshape(t, 6, 1).shape == (6, 1)


# ----- squeeze, unsqueeze ----------------------------------------------------------------
def test_squeeze_leaves_sides_that_are_not_one_like_torch() -> None:
    x = r(2, 1, 3, 1)
    assert F.squeeze(x).shape == (2, 3)
    assert F.squeeze(x, 1).shape == (2, 3, 1)
    assert F.squeeze(x, dim=0).shape == (2, 1, 3, 1)  # size 2: unchanged, no error
    assert Tensor(x).squeeze((1, 2, 3)).shape == (2, 3)
    assert F.squeeze(np.float64(1.0), 0).shape == ()
    np.testing.assert_array_equal(_grad(lambda t: t.squeeze(), x), np.ones(x.shape))


def test_unsqueeze_and_expand_dims_match_numpy() -> None:
    x = r(2, 3)
    for axis in (0, 1, 2, -1, -3, (0, 3), (-1, 0)):
        np.testing.assert_array_equal(F.expand_dims(x, axis).data, np.expand_dims(x, axis))
    assert Tensor(x).unsqueeze(1).shape == (2, 1, 3)
    assert F.unsqueeze(x, dim=-1).shape == (2, 3, 1)
    with pytest.raises(TypeError, match="unsqueeze: missing"):
        F.unsqueeze(x)


# ----- expand, broadcast_to ---------------------------------------------------------------
def test_expand_keeps_minus_one_sides_and_sums_the_gradient() -> None:
    x = r(3, 1)
    out = Tensor(x).expand(2, -1, 4)
    np.testing.assert_array_equal(out.data, np.broadcast_to(x, (2, 3, 4)))
    g = r(2, 3, 4, seed=3)
    np.testing.assert_allclose(_grad(lambda t: t.expand(2, 3, 4), x, g),
                               g.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(F.expand(x, (3, 5)).data, np.broadcast_to(x, (3, 5)))
    assert Tensor(x).expand_as(np.zeros((4, 3, 2))).shape == (4, 3, 2)


def test_broadcast_to_matches_numpy() -> None:
    x = r(4)
    np.testing.assert_array_equal(F.broadcast_to(x, (2, 3, 4)).data,
                                  np.broadcast_to(x, (2, 3, 4)))
    np.testing.assert_array_equal(Tensor(r(1)).broadcast_to(3).data, np.broadcast_to(r(1), 3))
    np.testing.assert_allclose(_grad(lambda t: F.broadcast_to(t, (5, 4)), x), np.full(4, 5.0))


# ----- swapaxes, transpose, moveaxis, permute ----------------------------------------------
def test_swapaxes_and_its_torch_names() -> None:
    x = r(2, 3, 4)
    ref = np.swapaxes(x, 0, 2)
    for out in (F.swapaxes(x, 0, 2), F.swapdims(x, 0, -1), F.transpose(x, 0, 2),
                F.transpose(x, dim0=2, dim1=0), Tensor(x).swapaxes(2, 0),
                Tensor(x).swapdims(0, 2), Tensor(x).transpose(0, 2)):
        np.testing.assert_array_equal(out.data, ref)
    assert F.transpose(x, 0, 2).grad_fn is None  # no input needed grad
    g = r(4, 3, 2, seed=2)
    np.testing.assert_array_equal(_grad(lambda t: t.transpose(0, 2), x, g), np.swapaxes(g, 0, 2))


def test_tensor_transpose_reverses_swaps_two_ints_and_permutes_a_tuple() -> None:
    m = Tensor(r(2, 3))
    np.testing.assert_array_equal(m.transpose().data, r(2, 3).T)
    np.testing.assert_array_equal(m.transpose(0, 1).data, r(2, 3).T)  # torch: swap, not identity
    np.testing.assert_array_equal(m.transpose((0, 1)).data, r(2, 3))  # a tuple permutes (numpy)
    x = Tensor(r(2, 3, 4))
    np.testing.assert_array_equal(x.transpose(1, 2, 0).data, r(2, 3, 4).transpose(1, 2, 0))
    np.testing.assert_array_equal(x.T.data, r(2, 3, 4).transpose(2, 1, 0))  # T: full reversal
    assert x.T.grad_fn is None and F.transpose(x, axes=(2, 0, 1)).shape == (4, 2, 3)


def test_moveaxis_and_movedim_match_numpy() -> None:
    x = r(2, 3, 4, 5)
    for src, dst in ((0, -1), (-1, 0), ((0, 1), (2, 3)), ((3, 0), (0, 2))):
        np.testing.assert_array_equal(F.moveaxis(x, src, dst).data, np.moveaxis(x, src, dst))
        np.testing.assert_array_equal(Tensor(x).movedim(src, dst).data, np.moveaxis(x, src, dst))
    g = r(3, 4, 5, 2, seed=1)
    np.testing.assert_array_equal(_grad(lambda t: t.moveaxis(0, -1), x, g), np.moveaxis(g, -1, 0))


def test_permute_takes_varargs_or_a_tuple() -> None:
    x = r(2, 3, 4)
    np.testing.assert_array_equal(Tensor(x).permute(2, 0, 1).data, x.transpose(2, 0, 1))
    np.testing.assert_array_equal(F.permute(x, (1, 2, 0)).data, x.transpose(1, 2, 0))


# ----- indexing and iteration --------------------------------------------------------------
def test_out_of_range_index_is_an_index_error_and_a_shape_error() -> None:
    t = Tensor(r(3, 2))
    for bad in (3, -4, (0, 2)):
        with pytest.raises(IndexError):
            t[bad]
        with pytest.raises(ShapeError):
            t[bad]
    assert issubclass(IndexRangeError, IndexError) and issubclass(IndexRangeError, ShapeError)


def test_iterating_a_tensor_yields_its_rows_and_gradients_flow() -> None:
    x = r(3, 2)
    t = Tensor(x, requires_grad=True)
    rows = list(t)
    assert len(rows) == 3
    for row, ref in zip(rows, x, strict=True):
        np.testing.assert_array_equal(row.data, ref)
    (rows[0] * 2.0 + rows[2]).sum().backward()
    np.testing.assert_array_equal(t.grad, [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    a, b = Tensor(np.array([1.0, 2.0]))
    assert (a.item(), b.item()) == (1.0, 2.0)


def test_tensor_indices_inside_tuples() -> None:
    x = r(4, 3)
    t = Tensor(x, requires_grad=True)
    rows, col = Tensor(np.array([3, 0, 3])), Tensor(np.array(1))
    mask = Tensor(np.array([True, False, True]))
    np.testing.assert_array_equal(t[rows, col].data, x[[3, 0, 3], 1])
    np.testing.assert_array_equal(t[1:, mask].data, x[1:][:, [0, 2]])
    (t[rows, col].sum() + t[:, mask].sum()).backward()
    expected = np.zeros((4, 3))
    expected[:, [0, 2]] = 1.0
    expected[3, 1] = 2.0  # row 3 taken twice: the gradients accumulate
    expected[0, 1] = 1.0
    np.testing.assert_array_equal(t.grad, expected)


def test_concat_cat_and_stack_take_dim() -> None:
    a, b = r(2, 3), r(2, 1, seed=1)
    np.testing.assert_array_equal(F.cat([a, b], dim=1).data, np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(F.concat([a, a], axis=-1).data, np.concatenate([a, a], -1))
    np.testing.assert_array_equal(F.stack([a, a], dim=2).data, np.stack([a, a], axis=2))


def test_ints_mixed_with_index_arrays_select_first_as_torch() -> None:
    x = r(2, 5, 6, 5, 3)
    d = np.array([[1, 2], [0, 4]])
    t = Tensor(x, requires_grad=True)
    out = t[1, :, 3:6:2, d]  # numpy would move d's axes to the front: shape (2, 2, 5, 2, 3)
    assert out.shape == (5, 2, 2, 2, 3)
    np.testing.assert_array_equal(out.data, x[1][:, 3:6:2][:, :, d])
    g = r(*out.shape, seed=3)
    out.backward(g)
    expected = np.zeros_like(x)
    np.add.at(expected[1][:, 3:6:2], (slice(None), slice(None), d), g)
    np.testing.assert_array_equal(t.grad, expected)
    np.testing.assert_array_equal(t[0, d].data, x[0][d])  # adjacent: numpy and torch agree
    np.testing.assert_array_equal(t[None, 1, [0, 2]].data, x[None, 1][:, [0, 2]])


def test_dims_out_of_range_are_index_errors_and_repeats_runtime_errors() -> None:
    t = Tensor(r(4, 3, 1))
    with pytest.raises(IndexError, match="axis 50 is out of range"):
        t.squeeze(50)
    with pytest.raises(IndexError):
        Tensor(r()).squeeze(1)
    assert Tensor(r()).squeeze(0).shape == () and Tensor(r()).squeeze(-1).shape == ()
    with pytest.raises(RuntimeError, match="must not repeat"):
        t.flip((1, -2))
    with pytest.raises(RuntimeError, match="permutation of range"):
        t.permute((0, 1, 2, 2))
    with pytest.raises(RuntimeError, match="one dimension can be inferred"):
        t.reshape(-1, -1)
    with pytest.raises(IndexError, match="axis must be in"):
        F.stack([r(2, 3)], dim=77)
    with pytest.raises(IndexError, match="0-d inputs"):
        F.cat([Tensor(3.14), Tensor(3.14)])


def test_reshape_keeps_none_sides_and_view_reinterprets_a_dtype() -> None:
    x = r(4, 3, 2)
    assert F.reshape(x, (None, 6)).shape == (4, 6) and Tensor(x).reshape(None, -1, 2).shape \
        == (4, 3, 2)
    f = Tensor(np.array([1.0, -2.0], dtype=np.float32))
    bits = f.view(np.int32)
    assert bits.dtype == np.int32 and bits.data.tolist() == np.float32([1, -2]).view(
        np.int32).tolist()
    assert f.view(2, 1).shape == (2, 1)


def test_zero_size_views_and_joins_have_zero_size_gradients() -> None:
    t = Tensor(r(10, 4), requires_grad=True)
    out = t[1:1]
    assert out.shape == (0, 4)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, np.zeros((10, 4)))
    parts = [Tensor(r(3, k, 2), requires_grad=True) for k in (0, 1, 2)]
    out = F.cat(parts, dim=1)
    assert out.shape == (3, 3, 2)
    out.backward(np.ones((3, 3, 2)))
    assert [p.grad.shape for p in parts] == [(3, 0, 2), (3, 1, 2), (3, 2, 2)]
    e = Tensor(r(4, 1, 6), requires_grad=True)
    out = e.expand(0, 4, 3, 6)
    assert out.shape == (0, 4, 3, 6)
    out.sum().backward()
    np.testing.assert_array_equal(e.grad, np.zeros((4, 1, 6)))
    assert F.stack([r(0, 3), r(0, 3)], dim=1).shape == (0, 2, 3)
