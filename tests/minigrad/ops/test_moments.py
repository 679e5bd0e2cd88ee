"""Var and std: float32, named errors, torch/numpy spellings of the correction, torch's inf/NaN
results and gradients when n - correction <= 0, var_mean/std_mean, and numpy's np.var/np.std."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError
from tests.minigrad.ops.common import check_float32, f32, r, value_and_grad

F32_CASES = {
    "Var": lambda: (F.Var, (f32(3, 4),), (0,)),
    "Std": lambda: (F.Std, (f32(3, 4),), (0,)),
}

ERROR_CASES = [
    ("Var", "int x", lambda: F.var(np.arange(4)), DTypeError, ["x", "float", "int64"]),
    ("Var", "axis", lambda: F.var(r(3, 2), axis=2), IndexRangeError, ["axis 2", "(3, 2)"]),
    ("Std", "correction", lambda: F.std(r(3), correction="1"), DTypeError,
     ["correction", "number", "str"]),
    ("Std", "bool x", lambda: F.std(np.ones(3, bool)), DTypeError, ["x", "float", "bool"]),
]


@pytest.mark.parametrize("fn", [F.Var, F.Std])
def test_float32_with_axes_and_corrections(fn):
    check_float32(fn, (f32(3, 4),), (0,), axis=0, correction=0)
    check_float32(fn, (f32(3, 4),), (0,), axis=1, correction=np.float64(1), keepdims=True)


def test_var_std_corrections_and_gradients():
    x = r(3, 5)
    n = 5
    np.testing.assert_allclose(F.var(x, 1).data, np.var(x, axis=1, ddof=1), rtol=1e-14)
    for kwargs, ddof in [({"correction": 0}, 0), ({"unbiased": False}, 0), ({"ddof": 0}, 0),
                         ({"unbiased": True}, 1), ({"correction": 2}, 2), ({}, 1)]:
        np.testing.assert_allclose(F.var(x, dim=1, **kwargs).data, np.var(x, 1, ddof=ddof),
                                   rtol=1e-14, err_msg=str(kwargs))
        np.testing.assert_allclose(Tensor(x).std(1, **kwargs).data, np.std(x, 1, ddof=ddof),
                                   rtol=1e-14, err_msg=str(kwargs))
    np.testing.assert_allclose(F.var(x).data, np.var(x, ddof=1), rtol=1e-14)
    assert F.std(x, axis=0, keepdim=True).shape == (1, 5)
    mean = x.mean(axis=1, keepdims=True)
    _, dx, g = value_and_grad(F.var, x, 1)
    np.testing.assert_allclose(dx, g[:, None] * 2 * (x - mean) / (n - 1), rtol=1e-13)
    val, dx, g = value_and_grad(F.std, x, 1, correction=0)
    np.testing.assert_allclose(dx, g[:, None] * (x - mean) / (n * val[:, None]), rtol=1e-13)
    with pytest.raises(TypeError, match="one of correction, unbiased or ddof"):
        F.var(x, correction=1, ddof=0)


def test_std_of_a_constant_has_zero_gradient_not_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, _ = value_and_grad(F.std, np.full((2, 3), 1.5), 1)
    assert val.tolist() == [0.0, 0.0] and dx.tolist() == [[0.0] * 3] * 2


# ----- torch's results when n - correction <= 0 (torch warns; minigrad is silent) --------------
def test_too_few_elements_give_inf_or_nan_as_torch():
    x = np.array([[1.0, 2.0, 4.0]])  # mean 7/3, squared deviations sum to 14/3
    d = x - 7 / 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # an axis given: 2 g (x - mean) / (n - correction), +inf when n == correction
        val, dx, g = value_and_grad(F.var, x, 1, correction=3)
        assert val.tolist() == [np.inf]
        np.testing.assert_array_equal(dx, np.inf * np.sign(d) * np.sign(g[0]))
        val, dx, g = value_and_grad(F.var, x, 1, correction=5)
        assert val.tolist() == [np.inf]  # divisor max(n - correction, 0) = 0
        np.testing.assert_allclose(dx, g[0] * 2 * d / (3 - 5), rtol=1e-15)
        val, dx, _ = value_and_grad(F.std, x, 1, correction=5)  # g / (2 std) = 0, then as var
        assert val.tolist() == [np.inf] and (dx == 0).all()
        val, dx, _ = value_and_grad(F.std, x, 1, correction=3)  # 0 * inf
        assert np.isnan(dx).all()
        # no axis: g * (NaN where x == mean, else +inf)
        _, dx, g = value_and_grad(F.var, x, correction=5)
        np.testing.assert_array_equal(dx, np.full((1, 3), np.inf) * np.sign(g))
        _, dx, _ = value_and_grad(F.var, np.array([[1.0, 2.0, 3.0]]), correction=3)
        assert np.isnan(dx[0, 1]) and np.isinf(dx[0, [0, 2]]).all()
        _, dx, _ = value_and_grad(F.std, x, correction=5)
        assert np.isnan(dx).all()
        # one element per reduction: 0 / 0 = NaN with the default correction
        val, dx, _ = value_and_grad(F.var, r(2, 1, 3), 1)
        assert np.isnan(val).all() and np.isnan(dx).all()
        val, dx, _ = value_and_grad(F.var, r(2, 1, 3), 1, correction=5)  # 2 g 0 / (1 - 5) = -0
        assert np.isnan(val).all() and (dx == 0).all()
        val, dx, _ = value_and_grad(F.std, r(2, 1, 3), 1, correction=0)
        assert (val == 0).all() and (dx == 0).all()
        val, dx, _ = value_and_grad(F.var, np.array(2.0), correction=1)  # 0-d
        assert np.isnan(val) and np.isnan(dx)
        val, dx, _ = value_and_grad(F.std, np.array(2.0), 0, correction=0)
        assert val == 0 and dx == 0


def test_empty_reductions_are_nan():
    x = r(1, 0, 3, 0, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (F.var, F.std):
            for c in (0, 1, 5):
                val, dx, _ = value_and_grad(fn, x, (1, 3), correction=c)
                assert val.shape == (1, 3, 5) and np.isnan(val).all() and dx.shape == x.shape
        s, m = F.std_mean(x, axis=(1, 3))
        assert np.isnan(s.data).all() and np.isnan(m.data).all()
        assert np.isnan(F.var(np.zeros(0)).item())


def test_var_mean_and_std_mean_return_torchs_pair():
    x = r(3, 4, 5)
    v, m = F.var_mean(x, dim=(0, 2), correction=0, keepdim=True)
    np.testing.assert_allclose(v.data, np.var(x, axis=(0, 2), keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(m.data, np.mean(x, axis=(0, 2), keepdims=True), rtol=1e-14)
    s, m = Tensor(x).std_mean(1)
    np.testing.assert_allclose(s.data, np.std(x, axis=1, ddof=1), rtol=1e-14)
    np.testing.assert_allclose(m.data, np.mean(x, axis=1), rtol=1e-14)
    t = Tensor(x, requires_grad=True)
    s, m = F.std_mean(t, unbiased=False)
    (s + m).backward()
    n = x.size
    expected = (x - x.mean()) / (n * np.std(x)) + 1 / n
    np.testing.assert_allclose(t.grad, expected, rtol=1e-12)
    v, _ = t.var_mean(correction=5)
    np.testing.assert_allclose(v.data, ((x - x.mean()) ** 2).sum() / (n - 5), rtol=1e-14)


def test_numpy_var_and_std_keep_numpys_ddof_default():
    x = r(3, 4)
    t = Tensor(x, requires_grad=True)
    out = np.var(t, axis=1)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, np.var(x, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.std(t, ddof=1, keepdims=True).data,
                               np.std(x, ddof=1, keepdims=True), rtol=1e-14)
