"""Softmax, log_softmax, softmin and glu: float32, named errors, dtype=, and values / gradients
from numpy formulas on every axis."""
from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, IndexRangeError, ShapeError, UnknownDTypeError
from tests.minigrad.ops.common import check_float32, f32, r, value_and_grad

F32_CASES = {
    "Softmax": lambda: (F.Softmax, (f32(3, 4),), (0,)),
    "LogSoftmax": lambda: (F.LogSoftmax, (f32(3, 4),), (0,)),
    "GLU": lambda: (F.GLU, (f32(3, 4),), (0,)),
}

I = np.arange(6).reshape(2, 3)  # an int array

ERROR_CASES = [
    ("Softmax", "axis", lambda: F.softmax(r(2, 3), 3), IndexRangeError,
     ["axis 3", "out of range", "(2, 3)", "[-2, 1]"]),
    ("Softmax", "dtype", lambda: F.softmax(r(2, 3), dtype=np.int32), DTypeError,
     ["x", "float", "int32"]),
    ("Softmax", "bad dtype", lambda: F.softmax(r(2, 3), dtype="fast"), UnknownDTypeError,
     ["dtype", "'fast'"]),
    ("Softmax", "tuple axis", lambda: F.softmax(r(2, 3), (0, 1)), DTypeError,
     ["axis", "int", "tuple"]),
    ("LogSoftmax", "axis", lambda: F.log_softmax(r(2, 3), dim=-3), IndexRangeError,
     ["axis -3", "(2, 3)"]),
    ("LogSoftmax", "int x", lambda: F.log_softmax(I), DTypeError, ["x", "float", "int64"]),
    ("GLU", "odd", lambda: F.glu(r(2, 3)), ShapeError, ["axis 1", "even", "(2, 3)"]),
    ("GLU", "0-d", lambda: F.glu(np.array(1.0)), ShapeError, ["0-d"]),
    ("GLU", "axis", lambda: F.glu(r(2, 4), dim=2), IndexRangeError, ["axis 2", "(2, 4)"]),
]


@pytest.mark.parametrize("fn, kwargs", [(F.Softmax, {"axis": 0}),
                                        (F.LogSoftmax, {"axis": np.int64(0)}),
                                        (F.GLU, {"axis": np.int64(1)})])
def test_float32_kept_with_numpy_constants(fn, kwargs):
    check_float32(fn, (f32(3, 4),), (0,), **kwargs)


_grad = partial(value_and_grad, seed=5)  # (value, d sum(g * fn(x)) / dx, g)


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_softmax_and_log_softmax_on_every_axis(axis):
    x = r(2, 3, 4)
    out, dx, g = _grad(F.softmax, x, axis=axis)
    p = _np_softmax(x, axis)
    np.testing.assert_allclose(out, p, rtol=1e-14)
    np.testing.assert_allclose(dx, p * (g - (g * p).sum(axis=axis, keepdims=True)), rtol=1e-12,
                               atol=1e-15)
    out, dx, g = _grad(F.log_softmax, x, axis=axis)
    np.testing.assert_allclose(out, np.log(p), rtol=1e-14)
    np.testing.assert_allclose(dx, g - p * g.sum(axis=axis, keepdims=True), rtol=1e-12,
                               atol=1e-15)


def test_softmax_huge_scores_dim_alias_and_0d():
    x = np.array([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = F.softmax(x, dim=1).data
        lp = F.log_softmax(Tensor(x), dim=-1).data
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    np.testing.assert_allclose(lp, [[0, -1e4, -2e4], [-math.log(3)] * 3], rtol=1e-15)
    with pytest.raises(TypeError, match="axis or dim"):
        F.softmax(x, 0, dim=1)
    assert F.softmax(np.float64(2.5)).data == 1.0 and F.log_softmax(np.array(7.0)).data == 0.0
    np.testing.assert_array_equal(F.softmax(x).data, F.softmax(x, axis=-1).data)


def test_tensor_methods_are_bound():
    x = r(3, 4)
    t = Tensor(x)
    np.testing.assert_allclose(t.softmax(0).data, _np_softmax(x, 0), rtol=1e-14)
    np.testing.assert_allclose(t.log_softmax(dim=0).data, np.log(_np_softmax(x, 0)), rtol=1e-14)
    np.testing.assert_allclose(t.softmin().data, _np_softmax(-x, -1), rtol=1e-14)
    assert t.glu().shape == (3, 2)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_glu_halves_the_axis(axis):
    x = r(4, 2, 6)
    out, dx, g = _grad(F.glu, x, dim=axis)
    a, b = np.split(x, 2, axis=axis)
    s = 1 / (1 + np.exp(-b))
    np.testing.assert_allclose(out, a * s, rtol=1e-14)
    np.testing.assert_allclose(dx, np.concatenate([g * s, g * a * s * (1 - s)], axis=axis),
                               rtol=1e-13)
    assert F.glu(x).shape == (4, 2, 3) and Tensor(x).glu(0).shape == (2, 2, 6)


def test_softmin_is_softmax_of_minus_x():
    x = r(3, 4)
    out, dx, g = _grad(F.softmin, x, dim=0)
    p = _np_softmax(-x, 0)
    np.testing.assert_allclose(out, p, rtol=1e-14)
    np.testing.assert_allclose(dx, -p * (g - (g * p).sum(axis=0, keepdims=True)), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(Tensor(x).softmin().data, _np_softmax(-x, -1), rtol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_dtype_argument_casts_x_first_and_the_gradient_back(name):
    x = f32(3, 4)
    t = Tensor(x, requires_grad=True)
    out = getattr(F, name)(t, 1, dtype=np.float64)
    assert out.dtype == np.float64
    ref = _np_softmax((-1 if name == "softmin" else 1) * x.astype(np.float64), 1)
    np.testing.assert_allclose(out.data, np.log(ref) if name == "log_softmax" else ref,
                               rtol=1e-14)
    out.backward(np.ones((3, 4)))
    assert t.grad.dtype == np.float32
    ints = np.arange(6).reshape(2, 3)
    np.testing.assert_allclose(F.softmax(ints, dim=1, dtype="float32").data,
                               _np_softmax(ints.astype(np.float64), 1), rtol=1e-6)
