"""Reductions: float32, named errors, torch/numpy argument spellings, torch's semantics (empty
axes, int and bool inputs, dtype=, empty tuples of axes), and values and gradients against numpy
formulas (products with zeros checked against the definition)."""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import (
    DTypeError,
    EmptyReductionError,
    GraphError,
    IndexRangeError,
    ShapeError,
    UnknownDTypeError,
)
from tests.minigrad.ops.common import check_float32, f32, r, value_and_grad

F32_CASES = {
    "Min": lambda: (F.Min, (f32(3, 4),), (0,)),
    "Prod": lambda: (F.Prod, (f32(3, 4),), (0,)),
    "LogSumExp": lambda: (F.LogSumExp, (f32(3, 4),), (0,)),
    "NanSum": lambda: (F.NanSum, (np.where(f32(3, 4) > 0.3, np.nan, f32(3, 4)),), (0,)),
    "NanMean": lambda: (F.NanMean, (np.where(f32(3, 4) > 0.3, np.nan, f32(3, 4)),), (0,)),
}

ERROR_CASES = [
    ("Sum", "axis", lambda: F.sum(r(2, 3), axis=2), IndexRangeError,
     ["axis 2", "x", "(2, 3)", "[-2, 1]"]),
    ("Sum", "0-d axis", lambda: F.sum(np.array(1.0), (1,)), IndexRangeError,
     ["axis 1", "()", "[-1, 0]"]),
    ("Sum", "repeated axis", lambda: F.sum(r(2, 3), (0, -2)), ShapeError,
     ["axis 0", "more than once"]),
    ("Sum", "dtype", lambda: F.sum(r(2), dtype="complex128"), DTypeError,
     ["dtype", "complex128"]),
    ("Sum", "dtype name", lambda: F.sum(r(2), dtype=""), UnknownDTypeError, ["dtype", "''"]),
    ("Prod", "dtype name", lambda: F.prod(r(2), dtype="float33"), UnknownDTypeError,
     ["dtype", "'float33'"]),
    ("Mean", "axis", lambda: F.mean(r(2, 3), axis=-3), IndexRangeError, ["axis -3", "(2, 3)"]),
    ("Mean", "int x", lambda: F.mean(np.arange(4)), DTypeError, ["x", "float", "int64"]),
    ("Max", "empty", lambda: F.max(r(0, 3)), EmptyReductionError, ["axis 0", "size 0", "(0, 3)"]),
    ("Max", "axis", lambda: F.max(r(2, 3), axis=(0, 5)), IndexRangeError, ["axis 5", "(2, 3)"]),
    ("Min", "empty", lambda: F.min(r(2, 0), 1), EmptyReductionError, ["axis 1", "(2, 0)"]),
    ("Min", "axis", lambda: F.min(r(2, 3), dim=(0, 2)), IndexRangeError, ["axis 2", "(2, 3)"]),
    ("Prod", "axis", lambda: F.prod(r(2, 3), -3), IndexRangeError, ["axis -3", "(2, 3)"]),
    ("Prod", "str", lambda: F.prod("abc"), DTypeError, ["x", "array", "str"]),
    ("LogSumExp", "axis", lambda: F.logsumexp(r(2, 3), 2), IndexRangeError,
     ["axis 2", "(2, 3)"]),
    ("LogSumExp", "axis type", lambda: F.logsumexp(r(2, 3), axis=1.0), DTypeError,
     ["axis", "int", "float"]),
    ("NanSum", "axis", lambda: F.nansum(r(2, 3), 3), IndexRangeError, ["axis 3", "(2, 3)"]),
    ("NanMean", "int x", lambda: F.nanmean(np.arange(3)), DTypeError, ["x", "float", "int64"]),
    ("argmax", "axis", lambda: F.argmax(r(2, 3), 2), IndexRangeError, ["axis 2", "(2, 3)"]),
    ("argmin", "empty", lambda: F.argmin(np.zeros((0, 2))), EmptyReductionError,
     ["non-empty", "(0, 2)"]),
    ("any", "axis", lambda: F.any(r(2, 3), dim=-3), IndexRangeError, ["axis -3", "(2, 3)"]),
    ("all", "str", lambda: F.all("yes"), DTypeError, ["x", "array", "str"]),
]


@pytest.mark.parametrize("fn, kwargs", [
    (F.Min, {"axis": 1, "keepdims": True}), (F.Prod, {"axis": (0, 1)}), (F.LogSumExp, {"axis": -1}),
    (F.Sum, {"axis": (), "dtype": np.float32}), (F.NanSum, {"axis": 0, "keepdims": True})])
def test_float32_with_axes(fn, kwargs):
    check_float32(fn, (f32(3, 4),), (0,), **kwargs)


@pytest.mark.parametrize("fn", [F.Sum, F.Mean, F.Prod, F.NanSum, F.NanMean])
def test_dtype_float64_of_float32_x_gives_a_float32_gradient(fn):
    x = f32(3, 4)
    t = Tensor(x, requires_grad=True)
    out = fn.apply(t, axis=1, dtype=np.float64)
    assert out.dtype == np.float64
    ref = {F.Sum: np.sum, F.Mean: np.mean, F.Prod: np.prod, F.NanSum: np.nansum,
           F.NanMean: np.nanmean}[fn]
    np.testing.assert_allclose(out.data, ref(x.astype(np.float64), axis=1), rtol=1e-14)
    out.backward(np.ones(3))
    assert t.grad.dtype == np.float32 and t.grad.shape == (3, 4)


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
    val, dx, g = value_and_grad(F.min, x, axis=1)
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
        val, dx, g = value_and_grad(F.prod, x, axis=1)
    np.testing.assert_allclose(val, [-4.5, 0, 0, 0])
    assert np.isfinite(dx).all()
    np.testing.assert_allclose(dx, _prod_grad_by_definition(x, g, 1), rtol=1e-15)
    assert dx[1].tolist() == [0.0, g[1] * 2.25, 0.0, 0.0]
    assert (dx[2:] == 0).all()
    x3 = np.where(np.abs(r(3, 4, 2)) < 0.4, 0.0, r(3, 4, 2))
    val, dx, g = value_and_grad(F.prod, x3, axis=1)
    np.testing.assert_allclose(val, np.prod(x3, axis=1))
    np.testing.assert_allclose(dx, _prod_grad_by_definition(x3, g, 1), rtol=1e-14, atol=1e-300)
    val, dx, _ = value_and_grad(F.prod, x3, keepdims=True)  # over everything; several zeros
    assert val.shape == (1, 1, 1) and (dx == 0).all()
    assert F.prod(np.arange(1, 5)).data == 24 and F.prod(np.arange(1, 5)).dtype == np.int64


# ----- logsumexp ---------------------------------------------------------------------------
def test_logsumexp_values_gradient_and_huge_scores():
    x = r(3, 4)
    val, dx, g = value_and_grad(F.logsumexp, x, 1)
    np.testing.assert_allclose(val, np.log(np.exp(x).sum(axis=1)), rtol=1e-14)
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dx, g[:, None] * p, rtol=1e-13)
    huge = np.array([[1e4, 1e4 - math.log(3)], [-np.inf, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, _ = value_and_grad(F.logsumexp, huge, dim=1)
    np.testing.assert_allclose(val, [1e4 + math.log(4 / 3), -np.inf], rtol=1e-15)
    assert np.isfinite(dx).all() and dx[1].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(F.logsumexp(x).data, np.log(np.exp(x).sum()), rtol=1e-14)


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
    x[1, 2] = np.nan
    t = Tensor(x)
    refs = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "amax": np.amax,
            "amin": np.amin, "prod": np.prod, "argmax": np.argmax, "argmin": np.argmin,
            "nansum": np.nansum, "nanmean": np.nanmean, "any": np.any, "all": np.all,
            "logsumexp": lambda a, axis: np.log(np.exp(a).sum(axis))}
    for name, ref in refs.items():
        np.testing.assert_allclose(getattr(t, name)(1).data, ref(x, axis=1), rtol=1e-14,
                                   err_msg=name)


# ----- torch's semantics -----------------------------------------------------------------------
def test_reductions_over_an_empty_axis_follow_torch():
    x = r(1, 0, 3, 0, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn, value in [(F.sum, 0.0), (F.mean, np.nan), (F.logsumexp, -np.inf),
                          (F.nansum, 0.0), (F.nanmean, np.nan)]:
            t = Tensor(x, requires_grad=True)
            out = fn(t, (1, 3))
            assert out.shape == (1, 3, 5)
            np.testing.assert_array_equal(out.data, np.full((1, 3, 5), value), fn.__name__)
            out.backward(np.ones((1, 3, 5)))
            assert t.grad.shape == x.shape
        assert F.prod(x, 1).shape == (1, 3, 0, 5) and F.prod(r(2, 0), 1).data.tolist() == [1, 1]
        assert F.max(r(0, 3), dim=1).shape == (0,)  # nothing empty is reduced: no error
        assert F.argmax(r(0, 3), 1).shape == (0,)
    with pytest.raises(IndexError, match="axis 1 of size 0"):
        F.amax(r(2, 0, 3), (0, 1))
    with pytest.raises(RuntimeError, match="Min: cannot reduce"):
        F.min(np.zeros(0))
    with pytest.raises(IndexError, match="argmax: x must be non-empty"):
        F.argmax(np.zeros((2, 0)))


def test_empty_tuple_of_axes_reduces_everything_except_for_any_and_all():
    x = r(2, 3)
    assert F.sum(x, ()).shape == () and F.sum(x, dim=[]).data == pytest.approx(x.sum())
    for name in ["mean", "max", "min", "prod", "logsumexp", "nansum", "nanmean"]:
        assert getattr(F, name)(x, ()).shape == (), name
    assert F.any(x, ()).shape == (2, 3) and F.all(x > 0, dim=()).data.tolist() == \
        (x > 0).tolist()
    s = np.array(3.0)  # 0-d: dims 0, -1 and () all mean the single element
    for axis in [None, 0, -1, (), (0,)]:
        assert F.sum(s, axis).data == 3.0 and F.prod(s, axis).data == 3.0


def test_int_and_bool_inputs_forward_as_torch():
    b = np.array([[True, False, True], [True, True, True]])
    out = F.sum(b)
    assert out.dtype == np.int64 and out.item() == 5 and not out.requires_grad
    assert F.sum(b, 1).data.tolist() == [2, 3] and F.prod(b).dtype == np.int64
    i32 = np.array([[1, -2 ** 31], [2 ** 31 - 1, 0]], np.int32)  # column 0 sums past int32
    assert F.sum(i32, 0).dtype == np.int64 and F.sum(i32, 0).data.tolist() == [2 ** 31, -2 ** 31]
    assert F.max(i32).item() == 2 ** 31 - 1 and F.min(i32).item() == -2 ** 31
    assert F.max(i32).dtype == np.int32 and F.max(b).item() is True and F.min(b).item() is False
    assert F.argmax(np.array([False, True])).item() == 1
    assert F.argmin(np.array([True, False])).item() == 1
    assert F.argmax(np.array([0, -2 ** 31], np.int32)).item() == 0
    assert F.argmax(np.array([2, 2])).item() == 0 and F.argmin(np.array([3, 2, 2])).item() == 1
    np.testing.assert_allclose(F.mean(b, dtype=np.float32).data, 5 / 6, rtol=1e-7)
    assert F.mean(b, dtype=np.float32).dtype == np.float32
    assert F.logsumexp(np.array([0, 0])).dtype == np.float32  # torch's default float
    np.testing.assert_allclose(F.logsumexp(np.array([0, 0])).data, math.log(2), rtol=1e-7)
    assert F.sum(b, dtype=np.float64).dtype == np.float64


def test_an_unknown_dtype_name_is_also_an_attribute_error():
    with pytest.raises(AttributeError, match="Sum: dtype must be a numpy dtype"):
        F.sum(r(2), dtype="")  # tinygrad's and torch's dtypes are attributes: torch.<name>
    assert issubclass(UnknownDTypeError, TypeError) and issubclass(UnknownDTypeError, DTypeError)


def test_torch_dtypes_are_read_by_name():
    torch = pytest.importorskip("torch")
    x = f32(2, 3)
    assert F.sum(x, dtype=torch.float64).dtype == np.float64
    assert F.prod(np.array([1, 2]), dtype=torch.float32).dtype == np.float32


def test_nansum_and_nanmean_skip_nans_and_give_them_no_gradient():
    x = np.array([[1.5, np.nan, -2.0], [np.nan, np.nan, np.nan], [0.5, 2.0, 4.0]])
    val, dx, g = value_and_grad(F.nansum, x, 1)
    np.testing.assert_array_equal(val, [-0.5, 0.0, 6.5])
    np.testing.assert_array_equal(dx, np.where(np.isnan(x), 0.0, g[:, None]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        val, dx, g = value_and_grad(F.nanmean, x, dim=1)
    np.testing.assert_array_equal(val[[0, 2]], [-0.25, 6.5 / 3])
    assert np.isnan(val[1])
    np.testing.assert_allclose(dx[[0, 2]], np.where(np.isnan(x[[0, 2]]), 0.0,
                                                    g[[0, 2], None] / [[2], [3]]), rtol=1e-15)
    assert F.nansum(np.array([1, 2])).dtype == np.int64


def test_any_and_all_are_bool_tensors_outside_the_graph():
    x = np.array([[0.0, 0.0, 1.5], [0.0, 0.0, 0.0]])
    t = Tensor(x, requires_grad=True)
    a = F.any(t)
    assert a.dtype == np.bool_ and a.item() is True and not a.requires_grad
    assert F.any(t, 1).data.tolist() == [True, False]
    assert F.all(x != 1.5, dim=0, keepdim=True).data.tolist() == [[True, True, False]]
    assert t.all().item() is False and Tensor(np.ones(3)).all().item() is True
    assert F.any(np.zeros(0)).item() is False and F.all(np.zeros(0)).item() is True
    assert F.any(np.zeros((1, 0, 3, 0, 5)), (1, 3)).shape == (1, 3, 5)
    assert F.all(np.array(2.0)).item() is True and F.any(np.array([np.nan])).item() is True


@pytest.mark.parametrize("fn", [F.nansum, F.nanmean])
def test_nan_reductions_save_their_mask_and_free_it_after_backward(fn):
    x = Tensor(np.array([[1.0, np.nan, 2.0], [3.0, 4.0, np.nan]]), requires_grad=True)
    y = fn(x, axis=1)
    y.sum().backward()
    np.testing.assert_array_equal(np.isnan(x.grad), [[False, False, False]] * 2)
    np.testing.assert_array_equal(x.grad == 0, [[False, True, False], [False, False, True]])
    with pytest.raises(GraphError, match="second time"):
        y.sum().backward()
