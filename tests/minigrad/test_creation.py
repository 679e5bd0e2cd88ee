"""Tensor factories: shapes, dtypes (torch's defaults), values, seeding, named errors."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.creation as mc
from minigrad import Tensor
from minigrad.errors import RangeError, ShapeError


@pytest.mark.parametrize("fn, value", [(mc.zeros, 0.0), (mc.ones, 1.0), (mc.empty, 0.0)])
def test_constant_factories_take_sizes_either_way(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32
        np.testing.assert_array_equal(t.data, np.full((2, 3), value, np.float32))
    assert fn().shape == () and fn(0, 4).shape == (0, 4)
    assert fn(2, dtype=np.float64).dtype == np.float64
    assert fn(3, requires_grad=True).requires_grad


def test_full_infers_dtype_like_torch():
    assert mc.full((2,), 1.5).dtype == np.float32
    assert mc.full((2,), 3).dtype == np.int64
    assert mc.full((2,), True).dtype == np.bool_
    np.testing.assert_array_equal(mc.full(3, 7).data, [7, 7, 7])


def test_eye_arange_linspace():
    np.testing.assert_array_equal(mc.eye(3, 2).data, np.eye(3, 2))
    np.testing.assert_array_equal(mc.eye(2).data, np.eye(2))
    a = mc.arange(5)
    assert a.dtype == np.int64 and a.data.tolist() == [0, 1, 2, 3, 4]
    assert mc.arange(10, 5, -3).data.tolist() == [10, 7]
    f = mc.arange(5.5, 10.0, 2.5)
    assert f.dtype == np.float32 and f.data.tolist() == [5.5, 8.0]
    np.testing.assert_allclose(mc.linspace(5, 10, 3).data, [5.0, 7.5, 10.0])
    assert mc.linspace(5, 10, 0).shape == (0,)
    assert mc.linspace(5, -5, 4, dtype=np.int32).data.tolist() == [5, 1, -1, -5]


def test_like_factories_follow_shape_and_dtype():
    t = Tensor(np.arange(6, dtype=np.float64).reshape(2, 3))
    for name, value in (("zeros_like", 0), ("ones_like", 1)):
        out = getattr(t, name)()
        assert out.shape == (2, 3) and out.dtype == np.float64
        np.testing.assert_array_equal(out.data, np.full((2, 3), value))
    np.testing.assert_array_equal(Tensor.full_like(t, 4).data, np.full((2, 3), 4.0))
    assert mc.zeros_like(t, dtype=np.int32).dtype == np.int32


def test_random_factories_are_seeded_by_the_generator():
    a = mc.randn(3, 4, rng=np.random.default_rng(7))
    b = Tensor.randn(3, 4, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(
        a.data, np.random.default_rng(7).standard_normal((3, 4)).astype(np.float32))
    u = mc.rand(1000, rng=np.random.default_rng(0))
    assert u.dtype == np.float32 and 0 <= u.data.min() and u.data.max() < 1
    r = mc.randint(3, 8, size=(50,), rng=np.random.default_rng(0))
    assert r.dtype == np.int64 and r.data.min() >= 3 and r.data.max() < 8
    n = mc.normal(2.0, 0.5, size=(20000,), rng=np.random.default_rng(1))
    assert abs(float(n.data.mean()) - 2.0) < 0.02 and abs(float(n.data.std()) - 0.5) < 0.02


def test_bad_sizes_and_ranges_are_named_errors():
    with pytest.raises(ShapeError, match=r"zeros: sizes must be >= 0, got \(2, -3\)"):
        mc.zeros(2, -3)
    with pytest.raises(ShapeError, match="ones: sizes must be ints"):
        mc.ones(2.5)
    with pytest.raises(RangeError, match="arange: step must be non-zero"):
        mc.arange(0, 5, 0)
    with pytest.raises(RangeError, match="randint: need low < high"):
        mc.randint(5, 5)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        mc.randn(2, rng=3)


def test_fan_scaled_initialisers_have_their_bounds():
    rng = np.random.default_rng(0)
    k = mc.kaiming_uniform(200, 50, rng=rng)
    bound = (6 / ((1 + 0.01 ** 2) * 50)) ** 0.5
    assert k.shape == (200, 50) and k.dtype == np.float32
    assert -bound <= k.data.min() and k.data.max() <= bound and k.data.max() > 0.95 * bound
    g = Tensor.glorot_uniform(30, 20, rng=rng)
    assert np.abs(g.data).max() <= (6 / 50) ** 0.5
    s = Tensor.scaled_uniform(10, 10, rng=rng)
    assert np.abs(s.data).max() <= 0.1
    n = mc.kaiming_normal(400, 100, a=0.0, rng=rng)
    assert abs(float(n.data.std()) - (2 / 100) ** 0.5) < 0.005


@pytest.mark.parametrize("fn", [mc.zeros, mc.ones, mc.empty, mc.rand, mc.randn, mc.scaled_uniform,
                                mc.glorot_uniform, mc.kaiming_uniform, mc.kaiming_normal])
def test_negative_sizes_are_value_errors(fn):
    for size in ((-3, 2), ((2, -3),), ((2, -3, 0),)):
        with pytest.raises(ValueError):
            fn(*size)
    with pytest.raises(ValueError):
        mc.full((2, -3), 4)
    with pytest.raises(ValueError):
        mc.eye(3, -3)


def test_eye_of_zero_and_linspace_refuses_bool():
    assert mc.eye(0).shape == (0, 0) and mc.eye(0, 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="linspace: dtype must be int or float"):
        mc.linspace(5, 10, 3, dtype=np.bool_)
    with pytest.raises(ValueError):
        mc.linspace(1, 2, -1)
