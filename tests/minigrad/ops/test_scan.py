"""Scans: float32, named errors, torch/numpy spellings, and values and gradients against numpy
formulas (cumprod with zeros against the definition, logcumsumexp against exact sums)."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError
from tests.minigrad.ops.common import check_float32, f32, r, value_and_grad

F32_CASES = {
    "CumSum": lambda: (F.CumSum, (f32(3, 4),), (0,)),
    "CumProd": lambda: (F.CumProd, (f32(3, 4),), (0,)),
    "LogCumSumExp": lambda: (F.LogCumSumExp, (f32(3, 4),), (0,)),
}

ERROR_CASES = [
    ("CumSum", "axis", lambda: F.cumsum(r(2, 3), dim=2), IndexRangeError, ["axis 2", "(2, 3)"]),
    ("CumSum", "0-d axis", lambda: F.cumsum(np.array(1.0), 1), IndexRangeError,
     ["axis 1", "()", "[-1, 0]"]),
    ("CumSum", "tuple axis", lambda: F.cumsum(r(2, 3), (0, 1)), DTypeError,
     ["axis", "int", "tuple"]),
    ("CumProd", "axis", lambda: F.cumprod(r(4), axis=-2), IndexRangeError, ["axis -2", "(4,)"]),
    ("LogCumSumExp", "int x", lambda: F.logcumsumexp(np.arange(3)), DTypeError,
     ["x", "float", "int64"]),
    ("LogCumSumExp", "axis", lambda: F.logcumsumexp(r(3), 1), IndexRangeError,
     ["axis 1", "(3,)"]),
]


@pytest.mark.parametrize("fn", [F.CumSum, F.CumProd, F.LogCumSumExp])
def test_float32_along_each_axis(fn):
    for axis in (0, -1):
        check_float32(fn, (f32(3, 4),), (0,), axis=axis)


def test_cumsum_axis_none_flattens_and_reverse_cumsum_gradient():
    x = r(2, 3)
    val, dx, g = value_and_grad(F.cumsum, x, 1)
    np.testing.assert_allclose(val, np.cumsum(x, axis=1), rtol=1e-15)
    np.testing.assert_allclose(dx, np.cumsum(g[:, ::-1], axis=1)[:, ::-1], rtol=1e-15)
    val, dx, g = value_and_grad(F.cumsum, x)
    assert val.shape == (6,)
    np.testing.assert_allclose(val, np.cumsum(x), rtol=1e-15)
    np.testing.assert_allclose(dx, np.cumsum(g[::-1])[::-1].reshape(2, 3), rtol=1e-15)
    np.testing.assert_array_equal(Tensor(x).cumsum(dim=0).data, np.cumsum(x, axis=0))
    assert F.cumsum(np.array(3.0), 0).shape == ()


def test_cumprod_gradient_with_zeros_against_the_definition():
    x = np.array([[1.5, 0.0, -2.0, 0.5, 0.0, 3.0], [0.5, 2.0, -1.0, 1.5, 0.5, 2.0]])
    val, dx, g = value_and_grad(F.cumprod, x, dim=1)
    np.testing.assert_allclose(val, np.cumprod(x, axis=1))
    expected = np.zeros_like(x)
    for row, k, j in itertools.product(range(2), range(6), range(6)):
        if j >= k:  # out_j = prod_{i <= j} x_i depends on x_k for k <= j
            others = [x[row, i] for i in range(j + 1) if i != k]
            expected[row, k] += g[row, j] * math.prod(others)
    np.testing.assert_allclose(dx, expected, rtol=1e-14)
    np.testing.assert_allclose(Tensor(x).cumprod().data, np.cumprod(x))


def test_int_bool_dtype_and_empty_scans():
    assert F.cumsum(np.array([True, False, True])).data.tolist() == [1, 1, 2]
    assert F.cumsum(np.array([True])).dtype == np.int64
    i32 = np.array([2 ** 31 - 1, 1], np.int32)
    assert F.cumsum(i32).data.tolist() == [2 ** 31 - 1, 2 ** 31]
    assert F.cumprod(np.array([3, 4], np.int32)).dtype == np.int64
    t = Tensor(f32(2, 3), requires_grad=True)
    out = F.cumsum(t, 1, dtype=np.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, np.cumsum(t.data.astype(np.float64), 1), rtol=1e-15)
    out.backward(np.ones((2, 3)))
    assert t.grad.dtype == np.float32 and t.grad.tolist() == [[3, 2, 1], [3, 2, 1]]
    for fn in (F.cumsum, F.cumprod, F.logcumsumexp):
        for shape, axis in [((2, 0, 4), 1), ((0, 3), 0), ((2, 3, 0), 2)]:
            val, dx, _ = value_and_grad(fn, r(*shape), axis)
            assert val.shape == shape and dx.shape == shape, (fn.__name__, shape)
        assert fn(np.array(1.5), 0).shape == () and fn(np.array(1.5), -1).shape == ()


def test_logcumsumexp_is_stable_and_matches_the_exact_sums():
    x = r(3, 5)
    val, dx, g = value_and_grad(F.logcumsumexp, x, 1)
    e = np.exp(x)
    np.testing.assert_allclose(val, np.log(np.cumsum(e, axis=1)), rtol=1e-14)
    # dx_i = sum_{j >= i} g_j exp(x_i) / sum_{k <= j} exp(x_k)
    expected = e * np.cumsum((g / np.cumsum(e, axis=1))[:, ::-1], axis=1)[:, ::-1]
    np.testing.assert_allclose(dx, expected, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, _ = value_and_grad(F.logcumsumexp, np.array([0.0, 100.0]), dim=0)
        np.testing.assert_allclose(val, [0.0, 100 + math.log1p(math.exp(-100))], rtol=1e-15)
        wide = np.array([-1000.0, 0.0, 1000.0, -1000.0])
        val, dx, g = value_and_grad(F.logcumsumexp, wide)
    np.testing.assert_allclose(val, [-1000.0, 0.0, 1000.0, 1000.0], rtol=1e-15)
    # exp(x_i - out_j) is 1 or 0 here; the log-space sums of g cost ~1000 eps relative
    np.testing.assert_allclose(dx, [g[0], g[1], g[2] + g[3], 0.0], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(Tensor(x).logcumsumexp(dim=0).data,
                               np.log(np.cumsum(e, axis=0)), rtol=1e-14)
    np.testing.assert_allclose(F.logcumsumexp(x).data, np.log(np.cumsum(e, axis=0)), rtol=1e-14)
    assert F.logcumsumexp(np.array(0.5)).shape == ()  # default axis 0, as tinygrad
    flat = F.LogCumSumExp.apply(x)
    assert flat.shape == (15,)
    np.testing.assert_allclose(flat.data, np.log(np.cumsum(e.ravel())), rtol=1e-14)
