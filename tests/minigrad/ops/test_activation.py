"""Activation Functions: float32, named errors, and values / gradients from math/numpy formulas."""
from __future__ import annotations

import math
import warnings
from functools import partial

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError
from tests.minigrad.ops.common import check_float32, f32, r, value_and_grad

POINTWISE = ["Softplus", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "QuickGELU", "Mish",
             "Hardtanh", "ReLU6", "Hardswish", "Hardsigmoid", "Softsign", "LogSigmoid"]


def _f32_case(name: str):
    return lambda: (getattr(F, name), (f32(3, 4),), (0,))


F32_CASES = {name: _f32_case(name) for name in POINTWISE}

I = np.arange(6).reshape(2, 3)  # an int array

ERROR_CASES = [
    ("Softplus", "beta 0", lambda: F.softplus(r(3), beta=0), RangeError, ["beta", "non-zero"]),
    ("Softplus", "str threshold", lambda: F.softplus(r(3), threshold="20"), DTypeError,
     ["threshold", "real number", "str"]),
    ("LeakyReLU", "str slope", lambda: F.leaky_relu(r(3), "a"), DTypeError,
     ["negative_slope", "real number", "str"]),
    ("ELU", "int x", lambda: F.elu(I), DTypeError, ["x", "float", "int64"]),
    ("CELU", "alpha 0", lambda: F.celu(r(3), alpha=0.0), RangeError, ["alpha", "non-zero"]),
    ("SELU", "bool x", lambda: F.selu(I > 2), DTypeError, ["x", "float", "bool"]),
    ("GELU", "approximate", lambda: F.gelu(r(3), approximate="fast"), RangeError,
     ["approximate", "'none'", "'tanh'", "'fast'"]),
    ("SiLU", "str x", lambda: F.silu("1.0"), DTypeError, ["x", "array", "str"]),
    ("Mish", "none x", lambda: F.mish(None), DTypeError, ["x", "array", "NoneType"]),
    ("Hardtanh", "min > max", lambda: F.hardtanh(r(3), 2.0, 1.0), RangeError,
     ["min_val", "max_val", "2.0", "1.0"]),
    ("ReLU6", "int x", lambda: F.relu6(I), DTypeError, ["x", "float", "int64"]),
    ("Hardswish", "int x", lambda: F.hardswish(I), DTypeError, ["x", "float", "int64"]),
    ("Hardsigmoid", "object x", lambda: F.hardsigmoid(np.array([object()])), DTypeError,
     ["x", "numeric", "object"]),
    ("Softsign", "int x", lambda: F.softsign(I), DTypeError, ["x", "float", "int64"]),
    ("LogSigmoid", "int x", lambda: F.logsigmoid(I), DTypeError, ["x", "float", "int64"]),
    ("QuickGELU", "int x", lambda: F.quick_gelu(I), DTypeError, ["x", "float", "int64"]),
]


@pytest.mark.parametrize("fn, kwargs", [
    (F.Softplus, {"beta": np.float64(2.0), "threshold": np.float64(1.0)}),
    (F.LeakyReLU, {"negative_slope": np.float64(0.2)}), (F.ELU, {"alpha": np.float64(0.5)}),
    (F.CELU, {"alpha": 2}), (F.GELU, {"approximate": "tanh"}),
    (F.Hardtanh, {"min_val": np.float64(-0.5), "max_val": 2})])
def test_float32_kept_with_numpy_float64_constants(fn, kwargs):
    check_float32(fn, (f32(3, 4),), (0,), **kwargs)


def test_unknown_constant_is_a_type_error():
    with pytest.raises(TypeError, match="Softplus: unexpected argument"):
        F.Softplus.apply(r(3), alpha=1.0)


# ----- values and gradients against formulas ---------------------------------------------------
_grad = partial(value_and_grad, seed=5)  # (value, d sum(g * fn(x)) / dx, g)


X = np.linspace(-4.0, 4.0, 41) + 0.013  # no exact kink (0, +-3, +-1) on the grid


def test_softplus_formula_threshold_and_tails():
    out, dx, g = _grad(F.softplus, X, beta=2.0, threshold=5.0)
    z = 2.0 * X
    soft = np.log1p(np.exp(z)) / 2.0
    np.testing.assert_allclose(out, np.where(z > 5.0, X, soft), rtol=1e-15)
    np.testing.assert_allclose(dx, g * np.where(z > 5.0, 1.0, 1 / (1 + np.exp(-z))), rtol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = F.softplus(np.array([-1000.0, -50.0, 19.5, 25.0, 1000.0])).data
    assert big[0] == 0.0 and big[3] == 25.0 and big[4] == 1000.0
    np.testing.assert_allclose(big[1:3], [math.log1p(math.exp(-50.0)),
                                          math.log1p(math.exp(19.5))], rtol=1e-15)


def test_leaky_relu_elu_celu_selu_formulas():
    out, dx, g = _grad(F.leaky_relu, X, negative_slope=0.2)
    np.testing.assert_allclose(out, np.where(X > 0, X, 0.2 * X))
    np.testing.assert_allclose(dx, g * np.where(X > 0, 1.0, 0.2))
    out, dx, g = _grad(F.elu, X, alpha=1.5)
    np.testing.assert_allclose(out, np.where(X > 0, X, 1.5 * (np.exp(X) - 1)), rtol=1e-14)
    np.testing.assert_allclose(dx, g * np.where(X > 0, 1.0, 1.5 * np.exp(X)), rtol=1e-14)
    out, dx, g = _grad(F.celu, X, alpha=0.5)
    np.testing.assert_allclose(out, np.where(X > 0, X, 0.5 * (np.exp(X / 0.5) - 1)), rtol=1e-13)
    np.testing.assert_allclose(dx, g * np.where(X > 0, 1.0, np.exp(X / 0.5)), rtol=1e-14)
    alpha, scale = 1.6732632423543772, 1.0507009873554805  # Klambauer et al. (2017)
    out, dx, g = _grad(F.selu, X)
    np.testing.assert_allclose(out, scale * np.where(X > 0, X, alpha * (np.exp(X) - 1)),
                               rtol=1e-14)
    np.testing.assert_allclose(dx, g * scale * np.where(X > 0, 1.0, alpha * np.exp(X)),
                               rtol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.elu(np.array([1000.0, -1000.0])).data.tolist() == [1000.0, -1.0]


def test_gelu_exact_and_tanh():
    out, dx, g = _grad(F.gelu, X)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in X])  # no 1 + erf cancellation
    pdf = np.exp(-X ** 2 / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(out, X * cdf, rtol=1e-14)
    np.testing.assert_allclose(dx, g * (cdf + X * pdf), rtol=1e-13)
    # the negative tail keeps its relative accuracy (erfc, not 1 + erf, which gives 0 here);
    # erfc's condition number 2 z^2 ~ 400 at z = 14 amplifies the rounding of x / sqrt(2)
    tail = np.array([-10.0, -20.0])
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in tail]
    np.testing.assert_allclose(F.gelu(tail).data, expected, rtol=1e-12)
    out, dx, g = _grad(F.gelu, X, approximate="tanh")
    k = math.sqrt(2 / math.pi)
    t = np.tanh(k * (X + 0.044715 * X ** 3))
    np.testing.assert_allclose(out, 0.5 * X * (1 + t), rtol=1e-14)
    dt = (1 - t ** 2) * k * (1 + 3 * 0.044715 * X ** 2)
    np.testing.assert_allclose(dx, g * (0.5 * (1 + t) + 0.5 * X * dt), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = F.gelu(np.array([-1e30, 1e30], np.float32), approximate="tanh").data
    np.testing.assert_array_equal(big, np.array([0.0, 1e30], np.float32))


def test_silu_swish_mish_softsign_logsigmoid():
    s = 1 / (1 + np.exp(-X))
    out, dx, g = _grad(F.silu, X)
    np.testing.assert_allclose(out, X * s, rtol=1e-14)
    np.testing.assert_allclose(dx, g * (s + X * s * (1 - s)), rtol=1e-13)
    assert F.swish is F.silu
    out, dx, g = _grad(F.mish, X)
    sp = np.log1p(np.exp(X))
    np.testing.assert_allclose(out, X * np.tanh(sp), rtol=1e-14)
    np.testing.assert_allclose(dx, g * (np.tanh(sp) + X * s * (1 - np.tanh(sp) ** 2)),
                               rtol=1e-13)
    out, dx, g = _grad(F.softsign, X)
    np.testing.assert_allclose(out, X / (1 + np.abs(X)), rtol=1e-15)
    np.testing.assert_allclose(dx, g / (1 + np.abs(X)) ** 2, rtol=1e-15)
    out, dx, g = _grad(F.logsigmoid, X)
    np.testing.assert_allclose(out, np.log(s), rtol=1e-14)
    np.testing.assert_allclose(dx, g * (1 - s), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tails = F.logsigmoid(np.array([-1000.0, 1000.0, -40.0])).data
    np.testing.assert_allclose(tails, [-1000.0, 0.0, -40.0 - math.log1p(math.exp(-40.0))],
                               rtol=1e-15)


def test_hard_activations_and_torch_gradients_at_the_kinks():
    out, dx, g = _grad(F.hardtanh, X, min_val=-0.5, max_val=2.0)
    np.testing.assert_array_equal(out, np.clip(X, -0.5, 2.0))
    np.testing.assert_array_equal(dx, g * ((X > -0.5) & (X < 2.0)))
    out, _, _ = _grad(F.relu6, X * 3)
    np.testing.assert_array_equal(out, np.minimum(np.maximum(X * 3, 0), 6))
    out, dx, g = _grad(F.hardswish, X)
    np.testing.assert_allclose(out, X * np.clip(X + 3, 0, 6) / 6, rtol=1e-15)
    np.testing.assert_allclose(dx, g * np.where(X < -3, 0, np.where(X > 3, 1, (2 * X + 3) / 6)))
    out, dx, g = _grad(F.hardsigmoid, X)
    np.testing.assert_allclose(out, np.clip(X / 6 + 0.5, 0, 1), rtol=1e-15)
    np.testing.assert_allclose(dx, g * np.where(np.abs(X) < 3, 1 / 6, 0.0))
    # torch's conventions exactly at the kinks (ReLU-like ops: the gradient at x = 0)
    kinks = {F.leaky_relu: ([0.0], [0.01]), F.elu: ([0.0], [1.0]), F.relu6: ([0.0, 6.0], [0, 0]),
             F.hardtanh: ([-1.0, 1.0], [0, 0]), F.hardsigmoid: ([-3.0, 3.0], [0, 0]),
             F.hardswish: ([-3.0, 3.0], [-0.5, 1.5])}
    for fn, (at, expected) in kinks.items():
        t = Tensor(np.array(at), requires_grad=True)
        fn(t).sum().backward()
        np.testing.assert_allclose(t.grad, expected, err_msg=fn.__name__)


def test_tensor_methods_are_bound():
    x = r(3, 4)
    t = Tensor(x)
    for name in ["softplus", "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "swish",
                 "quick_gelu", "mish", "hardtanh", "relu6", "hardswish", "hardsigmoid", "softsign",
                 "logsigmoid"]:
        np.testing.assert_array_equal(getattr(t, name)().data, getattr(F, name)(x).data, name)
    np.testing.assert_array_equal(t.gelu(approximate="tanh").data,
                                  F.gelu(x, approximate="tanh").data)
    np.testing.assert_array_equal(t.leaky_relu(0.3).data, np.where(x > 0, x, 0.3 * x))


def test_quick_gelu_formula_and_extremes():
    s = 1 / (1 + np.exp(-1.702 * X))
    out, dx, g = _grad(F.quick_gelu, X)
    np.testing.assert_allclose(out, X * s, rtol=1e-14)
    np.testing.assert_allclose(dx, g * (s + 1.702 * X * s * (1 - s)), rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, dx, _ = _grad(F.quick_gelu, np.array([-400.0, 300.0]))
    assert abs(out[0]) < 1e-290 and out[1] == 300.0 and abs(dx[0]) < 1e-290
    np.testing.assert_allclose(dx[1], np.random.default_rng(5).standard_normal(2)[1])
