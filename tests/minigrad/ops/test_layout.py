"""Layout family: unfold, unflatten, meshgrid, rot90, fliplr/flipud, ravel, append, atleast_*d,
Tensor.stack / cat method forms; expected values from numpy and index formulas."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional.layout as L
from minigrad import Tensor
from minigrad.errors import IndexRangeError, RangeRuntimeError, ShapeError, ShapeRuntimeError
from tests.minigrad.ops.common import f32, r

M = L.TENSOR_METHODS  # the family's Tensor methods, as minigrad.functional binds them

F32_CASES = {
    "Unfold": lambda: (L.Unfold, (f32(4, 3),), (0,), {"dimension": 0, "size": 2, "step": 1}),
}

ERROR_CASES = [
    ("Unfold", "size", lambda: L.unfold(r(8), 0, 9, 3), ShapeRuntimeError,
     ["size must be in [0, 8]", "9", "(8,)"]),
    ("Unfold", "dimension", lambda: L.unfold(r(8), 1, 8, 3), IndexRangeError,
     ["dimension 1 is out of range", "(8,)"]),
    ("Unfold", "step", lambda: L.unfold(r(8), 0, 1, -1), RangeRuntimeError,
     ["step must be > 0", "-1"]),
    ("unflatten", "sizes", lambda: L.unflatten(r(4, 6), 1, (4, 2)), ShapeRuntimeError,
     ["multiply to x.shape[1] = 6", "(4, 2)"]),
    ("meshgrid", "indexing", lambda: L.meshgrid(r(3), indexing="bad"), RangeRuntimeError,
     ["'ij' or 'xy'", "'bad'"]),
    ("meshgrid", "ndim", lambda: L.meshgrid(r(3), r(2, 2)), ShapeRuntimeError,
     ["0-D or 1-D", "(2, 2)"]),
    ("rot90", "dims", lambda: L.rot90(r(2, 3), 1, (0, 0)), ShapeRuntimeError,
     ["must not repeat"]),
    ("rot90", "1-D", lambda: L.rot90(r(3)), ShapeRuntimeError, ["at least 2-D", "(3,)"]),
    ("fliplr", "1-D", lambda: L.fliplr(r(3)), ShapeError, ["at least 2-D", "(3,)"]),
]


def test_unfold_windows_and_accumulated_gradient():
    x = Tensor(np.arange(8.0), requires_grad=True)
    out = M["unfold"](x, 0, 3, 2)
    np.testing.assert_array_equal(out.data, [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 2, 1, 2, 1, 1, 0])  # overlaps at 2 and 4
    y = r(3, 5, 2)
    out = L.unfold(y, 1, 2, 2)
    assert out.shape == (3, 2, 2, 2)
    np.testing.assert_array_equal(out.data[:, 1, :, :], y[:, 2:4, :].transpose(0, 2, 1))
    assert L.unfold(r(3, 3, 3), 1, 0, 8).shape == (3, 1, 3, 0)


def test_unflatten_ravel_append():
    x = r(4, 3, 6)
    np.testing.assert_array_equal(L.unflatten(x, 0, (2, 2)).data, x.reshape(2, 2, 3, 6))
    np.testing.assert_array_equal(M["unflatten"](Tensor(x), -1, (3, -1, 1)).data,
                                  x.reshape(4, 3, 3, 2, 1))
    np.testing.assert_array_equal(L.ravel(x).data, x.ravel())
    np.testing.assert_array_equal(L.append(x[0], r(2)).data, np.append(x[0], r(2)))
    np.testing.assert_array_equal(L.append(x, x[:1], axis=0).data, np.append(x, x[:1], 0))
    t = Tensor(r(2, 3), requires_grad=True)
    L.append(t, np.ones(2)).sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones((2, 3)))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_numpy_and_sums_gradients(indexing):
    a, b, c = np.array([0.0, 1.0, 2.0]), np.array([3.0, 4.0, 5.0, 6.0]), np.array(10.0)
    outs = L.meshgrid(a, c, b, indexing=indexing)
    refs = np.meshgrid(a, c, b, indexing=indexing)
    for o, ref in zip(outs, refs, strict=True):
        np.testing.assert_array_equal(o.data, ref)
    ta = Tensor(a, requires_grad=True)
    tb = Tensor(b, requires_grad=True)
    gx, gy = L.meshgrid([ta, tb], indexing=indexing)
    (gx.sum() + 2 * gy.sum()).backward()
    np.testing.assert_array_equal(ta.grad, np.full(3, 4.0))  # each a value appears 4 times
    np.testing.assert_array_equal(tb.grad, np.full(4, 6.0))  # each b value 3 times, times 2


def test_rot90_flips_and_atleast_match_numpy():
    a = r(2, 3, 4)
    for k in range(-2, 6):
        for axes in ((0, 1), (1, 2), (2, 0), (-1, -3)):
            np.testing.assert_array_equal(L.rot90(a, k, axes=axes).data, np.rot90(a, k, axes))
    np.testing.assert_array_equal(M["rot90"](Tensor(a), 1, [0, 2]).data, np.rot90(a, 1, (0, 2)))
    np.testing.assert_array_equal(L.fliplr(a).data, np.fliplr(a))
    np.testing.assert_array_equal(L.flipud(a).data, np.flipud(a))
    for x in (r(), r(3), r(2, 3), r(2, 3, 4)):
        for fn, ref in ((L.atleast_1d, np.atleast_1d), (L.atleast_2d, np.atleast_2d),
                        (L.atleast_3d, np.atleast_3d)):
            np.testing.assert_array_equal(fn(x).data, ref(x))
    pair = L.atleast_2d(r(3), r())
    assert [p.shape for p in pair] == [(1, 3), (1, 1)]


def test_stack_and_cat_method_forms():
    x, y, z = (Tensor(r(2, 3, seed=s)) for s in range(3))
    np.testing.assert_array_equal(M["stack"](x, y, z, dim=1).data,
                                  np.stack([x.data, y.data, z.data], axis=1))
    np.testing.assert_array_equal(M["stack"]((x, y), dim=-1).data,
                                  np.stack([x.data, y.data], axis=-1))
    np.testing.assert_array_equal(M["cat"](x, y, z, dim=1).data,
                                  np.concatenate([x.data, y.data, z.data], axis=1))
    np.testing.assert_array_equal(M["stack"](Tensor(3.14), Tensor(3.14)).data, [3.14, 3.14])
    with pytest.raises(IndexError):
        M["cat"](Tensor(3.14), Tensor(3.14))
