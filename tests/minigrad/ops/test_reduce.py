"""Reductions and scans: float32, named errors, torch/numpy argument spellings, and values and
gradients against numpy formulas (products with zeros checked against the definition)."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from tests.minigrad.ops.common import check_float32, check_named_error, f32, r

F32_CASES = {
    "Min": lambda: (F.Min, (f32(3, 4),), (0,)),
    "Prod": lambda: (F.Prod, (f32(3, 4),), (0,)),
    "Var": lambda: (F.Var, (f32(3, 4),), (0,)),
    "Std": lambda: (F.Std, (f32(3, 4),), (0,)),
    "LogSumExp": lambda: (F.LogSumExp, (f32(3, 4),), (0,)),
    "CumSum": lambda: (F.CumSum, (f32(3, 4),), (0,)),
    "CumProd": lambda: (F.CumProd, (f32(3, 4),), (0,)),
}

ERROR_CASES = [
    ("Min", "empty", lambda: F.min(r(0, 3)), ShapeError, ["x", "non-empty", "(0, 3)"]),
    ("Min", "axis", lambda: F.min(r(2, 3), dim=(0, 2)), ShapeError, ["axis 2", "(2, 3)"]),
    ("Prod", "axis", lambda: F.prod(r(2, 3), -3), ShapeError, ["axis -3", "(2, 3)"]),
    ("Prod", "str", lambda: F.prod("abc"), DTypeError, ["x", "array", "str"]),
    ("Var", "int x", lambda: F.var(np.arange(4)), DTypeError, ["x", "float", "int64"]),
    ("Var", "too few", lambda: F.var(r(3, 1), axis=1), RangeError,
     ["correction 1", "got 1", "(3, 1)"]),
    ("Std", "correction", lambda: F.std(r(3), correction="1"), DTypeError,
     ["correction", "number", "str"]),
    ("Std", "empty", lambda: F.std(r(0), correction=0), RangeError, ["correction 0", "got 0"]),
    ("LogSumExp", "axis", lambda: F.logsumexp(r(2, 3), 2), ShapeError, ["axis 2", "(2, 3)"]),
    ("LogSumExp", "axis type", lambda: F.logsumexp(r(2, 3), axis=1.0), DTypeError,
     ["axis", "int", "float"]),
    ("CumSum", "axis", lambda: F.cumsum(r(2, 3), dim=2), ShapeError, ["axis 2", "(2, 3)"]),
    ("CumSum", "tuple axis", lambda: F.cumsum(r(2, 3), (0, 1)), DTypeError,
     ["axis", "int", "tuple"]),
    ("CumProd", "axis", lambda: F.cumprod(r(4), axis=-2), ShapeError, ["axis -2", "(4,)"]),
]


@pytest.mark.parametrize("name", sorted(F32_CASES))
def test_float32_in_float32_out(name):
    fn, arrays, diff = F32_CASES[name]()
    check_float32(fn, arrays, diff)


@pytest.mark.parametrize("fn, kwargs", [
    (F.Min, {"axis": 1, "keepdims": True}), (F.Prod, {"axis": (0, 1)}),
    (F.Var, {"axis": 0, "correction": 0}), (F.Std, {"axis": 1, "correction": np.float64(1)}),
    (F.LogSumExp, {"axis": -1}), (F.CumSum, {"axis": 1}), (F.CumProd, {"axis": 0})])
def test_float32_with_axes(fn, kwargs):
    check_float32(fn, (f32(3, 4),), (0,), **kwargs)


@pytest.mark.parametrize("fn, case, thunk, error, parts", ERROR_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in ERROR_CASES])
def test_named_errors(fn, case, thunk, error, parts):
    check_named_error(fn, thunk, error, parts)


def _grad(fn, x, *args, **kwargs):
    t = Tensor(x, requires_grad=True)
    out = fn(t, *args, **kwargs)
    g = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(g)
    return out.data, t.grad, g


# ----- torch and numpy spellings ---------------------------------------------------------------
@pytest.mark.parametrize("name, ref", [("sum", np.sum), ("mean", np.mean), ("max", np.max),
                                       ("min", np.min), ("amax", np.max), ("amin", np.min),
                                       ("prod", np.prod), ("logsumexp", None)])
def test_dim_keepdim_spellings(name, ref):
    x = r(2, 3, 4)
    fn = getattr(F, name)
    t = Tensor(x)
    a = fn(x, axis=(0, 2), keepdims=True).data
    np.testing.assert_array_equal(fn(x, dim=(0, 2), keepdim=True).data, a)
    np.testing.assert_array_equal(getattr(t, name)(dim=(0, 2), keepdim=True).data, a)
    np.testing.assert_array_equal(getattr(t, name)((0, 2), True).data, a)
    if ref is not None:
        np.testing.assert_allclose(a, ref(x, axis=(0, 2), keepdims=True), rtol=1e-14)
    with pytest.raises(TypeError, match="axis or dim"):
        fn(x, axis=0, dim=1)
    with pytest.raises(TypeError, match="keepdims or keepdim"):
        fn(x, keepdims=True, keepdim=False)


def test_max_and_min_return_values_only_and_ties_share_the_gradient():
    x = np.array([[1.0, -3.0, -3.0, 2.0], [5.0, 5.0, 5.0, -1.0]])
    out = Tensor(x).max(dim=1)
    assert isinstance(out, Tensor) and out.data.tolist() == [2.0, 5.0]
    val, dx, g = _grad(F.min, x, axis=1)
    np.testing.assert_array_equal(val, [-3.0, -1.0])
    np.testing.assert_allclose(dx, [[0, g[0] / 2, g[0] / 2, 0], [0, 0, 0, g[1]]])
    assert F.amin is F.min and F.amax is F.max
    with pytest.raises(DTypeError, match="Max: axis must be"):
        F.max(x, Tensor(x))


# ----- prod with zeros against the definition --------------------------------------------------
def _prod_grad_by_definition(x, g, axis):
    """d/dx_i of sum(g * prod(x, axis)) = g * product of the other entries of x_i's slice."""
    xm, gm = np.moveaxis(x, axis, -1), g
    dx = np.zeros_like(xm)
    for idx in itertools.product(*[range(n) for n in xm.shape[:-1]]):
        row = xm[idx]
        for i in range(row.size):
            dx[idx + (i,)] = gm[idx] * math.prod(np.delete(row, i).tolist())
    return np.moveaxis(dx, -1, axis)


def test_prod_gradient_with_one_and_several_zeros():
    x = np.array([[1.5, -2.0, 0.5, 3.0],  # no zero
                  [1.5, 0.0, 0.5, 3.0],  # one zero
                  [0.0, 2.0, 0.0, 3.0],  # two zeros
                  [0.0, 0.0, 0.0, 0.0]])  # all zeros
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, g = _grad(F.prod, x, axis=1)
    np.testing.assert_allclose(val, [-4.5, 0, 0, 0])
    assert np.isfinite(dx).all()
    np.testing.assert_allclose(dx, _prod_grad_by_definition(x, g, 1), rtol=1e-15)
    assert dx[1].tolist() == [0.0, g[1] * 2.25, 0.0, 0.0]
    assert (dx[2:] == 0).all()
    x3 = np.where(np.abs(r(3, 4, 2)) < 0.4, 0.0, r(3, 4, 2))
    val, dx, g = _grad(F.prod, x3, axis=1)
    np.testing.assert_allclose(val, np.prod(x3, axis=1))
    np.testing.assert_allclose(dx, _prod_grad_by_definition(x3, g, 1), rtol=1e-14, atol=1e-300)
    val, dx, _ = _grad(F.prod, x3, keepdims=True)  # over everything; several zeros
    assert val.shape == (1, 1, 1) and (dx == 0).all()
    assert F.prod(np.arange(1, 5)).data == 24 and F.prod(np.arange(1, 5)).dtype == np.int64


# ----- var / std -------------------------------------------------------------------------------
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
    _, dx, g = _grad(F.var, x, 1)
    np.testing.assert_allclose(dx, g[:, None] * 2 * (x - mean) / (n - 1), rtol=1e-13)
    val, dx, g = _grad(F.std, x, 1, correction=0)
    np.testing.assert_allclose(dx, g[:, None] * (x - mean) / (n * val[:, None]), rtol=1e-13)
    with pytest.raises(TypeError, match="one of correction, unbiased or ddof"):
        F.var(x, correction=1, ddof=0)


def test_std_of_a_constant_has_zero_gradient_not_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, _ = _grad(F.std, np.full((2, 3), 1.5), 1)
    assert val.tolist() == [0.0, 0.0] and dx.tolist() == [[0.0] * 3] * 2


# ----- logsumexp and scans ---------------------------------------------------------------------
def test_logsumexp_values_gradient_and_huge_scores():
    x = r(3, 4)
    val, dx, g = _grad(F.logsumexp, x, 1)
    np.testing.assert_allclose(val, np.log(np.exp(x).sum(axis=1)), rtol=1e-14)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dx, g[:, None] * p, rtol=1e-13)
    huge = np.array([[1e4, 1e4 - math.log(3)], [-np.inf, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, _ = _grad(F.logsumexp, huge, dim=1)
    np.testing.assert_allclose(val, [1e4 + math.log(4 / 3), -np.inf], rtol=1e-15)
    assert np.isfinite(dx).all() and dx[1].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(F.logsumexp(x).data, np.log(np.exp(x).sum()), rtol=1e-14)


def test_cumsum_axis_none_flattens_and_reverse_cumsum_gradient():
    x = r(2, 3)
    val, dx, g = _grad(F.cumsum, x, 1)
    np.testing.assert_allclose(val, np.cumsum(x, axis=1), rtol=1e-15)
    np.testing.assert_allclose(dx, np.cumsum(g[:, ::-1], axis=1)[:, ::-1], rtol=1e-15)
    val, dx, g = _grad(F.cumsum, x)
    assert val.shape == (6,)
    np.testing.assert_allclose(val, np.cumsum(x), rtol=1e-15)
    np.testing.assert_allclose(dx, np.cumsum(g[::-1])[::-1].reshape(2, 3), rtol=1e-15)
    np.testing.assert_array_equal(Tensor(x).cumsum(dim=0).data, np.cumsum(x, axis=0))
    assert F.cumsum(np.array(3.0), 0).shape == ()


def test_cumprod_gradient_with_zeros_against_the_definition():
    x = np.array([[1.5, 0.0, -2.0, 0.5, 0.0, 3.0], [0.5, 2.0, -1.0, 1.5, 0.5, 2.0]])
    val, dx, g = _grad(F.cumprod, x, dim=1)
    np.testing.assert_allclose(val, np.cumprod(x, axis=1))
    expected = np.zeros_like(x)
    for row, k, j in itertools.product(range(2), range(6), range(6)):
        if j >= k:  # out_j = prod_{i <= j} x_i depends on x_k for k <= j
            others = [x[row, i] for i in range(j + 1) if i != k]
            expected[row, k] += g[row, j] * math.prod(others)
    np.testing.assert_allclose(dx, expected, rtol=1e-14)
    np.testing.assert_allclose(Tensor(x).cumprod().data, np.cumprod(x))


# ----- argmax / argmin -------------------------------------------------------------------------
def test_argmax_argmin_int64_first_of_ties_flat_and_keepdims():
    x = np.array([[1.0, 7.0, 7.0], [4.0, -2.0, -2.0]])
    t = Tensor(x, requires_grad=True)
    a = F.argmax(t)
    assert a.dtype == np.int64 and a.data.shape == () and a.item() == 1 and not a.requires_grad
    assert F.argmin(x).item() == 4
    assert t.argmax(dim=1).data.tolist() == [1, 0] and t.argmin(1).data.tolist() == [0, 1]
    assert t.argmax(0, keepdim=True).data.tolist() == [[1, 0, 0]]
    np.testing.assert_array_equal(F.argmax(x, keepdims=True).data, np.argmax(x, keepdims=True))
    with pytest.raises(ShapeError, match="argmax: axis 2 is out of range"):
        F.argmax(x, 2)
    with pytest.raises(ShapeError, match="argmin: x must be non-empty"):
        F.argmin(np.zeros((0, 2)))


def test_tensor_methods_are_bound():
    x = r(3, 4) + 3.0
    t = Tensor(x)
    refs = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "amax": np.amax,
            "amin": np.amin, "prod": np.prod, "cumsum": np.cumsum, "cumprod": np.cumprod,
            "argmax": np.argmax, "argmin": np.argmin,
            "var": lambda a, axis: np.var(a, axis, ddof=1),
            "std": lambda a, axis: np.std(a, axis, ddof=1),
            "logsumexp": lambda a, axis: np.log(np.exp(a).sum(axis))}
    for name, ref in refs.items():
        np.testing.assert_allclose(getattr(t, name)(1).data, ref(x, axis=1), rtol=1e-14,
                                   err_msg=name)
