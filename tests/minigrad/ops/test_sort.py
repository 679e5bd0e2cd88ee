"""Sorting and selection: float32, named errors, values and indices against numpy (stable
argsort) and torch (descending ties, cummax ties, NaN, medians), gradients scattered back by the
indices, the numpy-style wrappers and the Tensor methods."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError, RangeError
from tests.minigrad.ops.common import f32, r

TIES = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 1.0])

F32_CASES = {
    "Sort": lambda: (F.Sort, (f32(3, 4),), (0,)),
    "TopK": lambda: (F.TopK, (f32(3, 4), 2), (0,)),
    "CumMax": lambda: (F.CumMax, (f32(3, 4), 1), (0,)),
    "CumMin": lambda: (F.CumMin, (f32(3, 4), 0), (0,)),
}

ERROR_CASES = [
    ("Sort", "axis", lambda: F.sort(r(2, 3), dim=2), IndexRangeError, ["axis 2", "(2, 3)"]),
    ("Sort", "str", lambda: F.sort("abc"), DTypeError, ["x", "array", "str"]),
    ("Sort", "axis type", lambda: F.sort(r(3), axis=0.0), DTypeError, ["axis", "int", "float"]),
    ("TopK", "k too big", lambda: F.topk(r(3, 4), 5), RangeError,
     ["k must be in [0, 4]", "got 5", "(3, 4)"]),
    ("TopK", "k type", lambda: F.topk(r(3, 4), 1.0), DTypeError, ["k", "int", "float"]),
    ("TopK", "axis", lambda: F.topk(r(3, 4), 1, dim=-3), IndexRangeError, ["axis -3", "(3, 4)"]),
    ("CumMax", "axis", lambda: F.cummax(r(2, 3), 2), IndexRangeError, ["axis 2", "(2, 3)"]),
    ("CumMin", "axis type", lambda: F.cummin(r(2, 3), dim=(0,)), DTypeError,
     ["axis", "int", "tuple"]),
]


def _values_grad(fn, x, *args, **kwargs):
    """(outputs, dx, upstream) for a loss on the values output only."""
    t = Tensor(x, requires_grad=True)
    outs = fn(t, *args, **kwargs)
    vals = outs[0] if isinstance(outs, tuple) else outs
    g = np.random.default_rng(3).standard_normal(vals.shape)
    vals.backward(g)
    return outs, t.grad, g


def test_sort_values_indices_and_scattered_gradient_against_numpy():
    x = r(3, 4, 5)
    for axis in (0, 1, -1):
        (vals, idx), dx, g = _values_grad(F.sort, x, axis)
        np.testing.assert_array_equal(vals.data, np.sort(x, axis))
        np.testing.assert_array_equal(idx.data, np.argsort(x, axis, kind="stable"))
        assert idx.dtype == np.int64 and not idx.requires_grad
        expected = np.zeros_like(x)
        np.put_along_axis(expected, idx.data, g, axis)
        np.testing.assert_array_equal(dx, expected)
    (vals, idx), dx, g = _values_grad(F.sort, x, 1, descending=True)
    np.testing.assert_array_equal(vals.data, np.flip(np.sort(x, 1), 1))
    np.testing.assert_array_equal(np.take_along_axis(x, idx.data, 1), vals.data)
    ints, iidx = F.sort(np.array([3, 1, 2]))
    assert ints.data.tolist() == [1, 2, 3] and ints.dtype == np.int64 and not ints.requires_grad


def test_sort_ties_nan_and_argsort_follow_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, np.nan, 3.0, -1.0, 3.0, np.nan, 1.0], TIES.tolist() + [2.0]])
    for descending in (False, True):
        vals, idx = F.sort(x, descending=descending)
        ref = torch.sort(torch.tensor(x), descending=descending, stable=True)
        np.testing.assert_array_equal(vals.data, ref.values.numpy())  # NaN: the largest
        np.testing.assert_array_equal(idx.data, ref.indices.numpy())  # ties in original order
        np.testing.assert_array_equal(F.argsort(x, descending=descending).data,
                                      ref.indices.numpy())
    assert F.argsort(Tensor(x, requires_grad=True)).requires_grad is False
    np.testing.assert_array_equal(Tensor(TIES).argsort(0).data, np.argsort(TIES, kind="stable"))


def test_np_sort_and_msort():
    x = r(3, 4)
    np.testing.assert_array_equal(F.np_sort(x).data, np.sort(x))
    np.testing.assert_array_equal(F.np_sort(x, axis=None).data, np.sort(x, axis=None))
    np.testing.assert_array_equal(F.np_sort(x, 0).data, np.sort(x, 0))
    np.testing.assert_array_equal(F.msort(x).data, np.sort(x, axis=0))
    np.testing.assert_array_equal(Tensor(x).msort().data, np.sort(x, axis=0))
    out, dx, g = _values_grad(F.np_sort, x, None)
    assert isinstance(out, Tensor) and out.shape == (12,)
    np.testing.assert_array_equal(dx.reshape(-1)[np.argsort(x, axis=None, kind="stable")], g)


def test_topk_values_indices_gradient_and_documented_ties():
    torch = pytest.importorskip("torch")
    x = r(4, 6)
    for k, dim, largest in [(3, 1, True), (2, 0, False), (6, -1, True), (1, 0, True)]:
        (vals, idx), dx, g = _values_grad(F.topk, x, k, dim, largest)
        ref = torch.topk(torch.tensor(x), k, dim, largest)
        np.testing.assert_array_equal(vals.data, ref.values.numpy())
        np.testing.assert_array_equal(idx.data, ref.indices.numpy())  # distinct values
        expected = np.zeros_like(x)
        np.put_along_axis(expected, idx.data, g, dim)
        np.testing.assert_array_equal(dx, expected)
    vals, idx = Tensor(TIES).topk(2)
    assert vals.data.tolist() == [3.0, 3.0] and idx.data.tolist() == [1, 2]  # lowest index first
    assert torch.topk(torch.tensor(TIES), 2).values.tolist() == [3.0, 3.0]  # torch: [2, 4]
    assert F.topk(x, 0)[0].shape == (4, 0)


def test_kthvalue_and_median_follow_torch():
    torch = pytest.importorskip("torch")
    x = r(3, 5)
    tx = torch.tensor(x)
    for k in (1, 3, 5):
        vals, idx = F.kthvalue(x, k, dim=1)
        ref = torch.kthvalue(tx, k, dim=1)
        np.testing.assert_array_equal(vals.data, ref.values.numpy())
        np.testing.assert_array_equal(idx.data, ref.indices.numpy())
    vals, idx = Tensor(x).kthvalue(2, 0, keepdim=True)
    assert vals.shape == (1, 5) and idx.shape == (1, 5)
    even = r(4, 6)
    assert F.median(even).item() == torch.median(torch.tensor(even)).item()  # lower median
    assert F.median(even).item() != pytest.approx(np.median(even))  # numpy averages
    vals, idx = Tensor(even).median(dim=1)
    ref = torch.median(torch.tensor(even), dim=1)
    np.testing.assert_array_equal(vals.data, ref.values.numpy())
    np.testing.assert_array_equal(idx.data, ref.indices.numpy())
    out, dx, _ = _values_grad(F.median, even)
    assert dx.sum() != 0 and np.count_nonzero(dx) == 1  # one element gets the gradient
    with pytest.raises(RangeError, match=r"kthvalue: k must be an int in \[1, 5\]"):
        F.kthvalue(x, 6)


def test_cummax_cummin_values_indices_ties_nan_and_gradients_follow_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 1.0, 2.0, 0.0, 2.0, 3.0], [2.0, np.nan, 1.0, 5.0, np.nan, 0.0]])
    for fn, ref_fn in ((F.cummax, torch.cummax), (F.cummin, torch.cummin)):
        vals, idx = fn(x, 1)
        ref = ref_fn(torch.tensor(x), 1)
        np.testing.assert_array_equal(vals.data, ref.values.numpy())
        np.testing.assert_array_equal(idx.data, ref.indices.numpy())  # the last of ties
    y = r(3, 5)
    for fn, acc in ((F.cummax, np.maximum), (F.cummin, np.minimum)):
        (vals, idx), dx, g = _values_grad(fn, y, dim=0)
        np.testing.assert_array_equal(vals.data, acc.accumulate(y, axis=0))
        expected = np.zeros_like(y)
        for i in range(3):
            for j in range(5):
                expected[idx.data[i, j], j] += g[i, j]
        np.testing.assert_allclose(dx, expected, rtol=1e-15)
    assert Tensor(y).cummax(1)[0].shape == (3, 5) and Tensor(y).cummin(dim=1)[1].dtype == np.int64
    with pytest.raises(TypeError, match="cummax: dim is required"):
        F.cummax(y)


def test_scalars_and_float32_wrappers():
    s = np.float32(2.5)
    assert F.sort(np.array(s))[0].item() == 2.5 and F.cummax(np.array(s), 0)[1].item() == 0
    x = f32(3, 4)
    outs = [*F.sort(x), *F.topk(x, 2), *F.cummax(x, 1), F.np_sort(x, None), F.median(x),
            *F.kthvalue(x, 2)]
    assert all(o.dtype in (np.float32, np.int64) for o in outs)
