"""Special functions (erf): float32, named errors, values and gradients against math.erf."""
from __future__ import annotations

import math

import numpy as np

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError
from tests.minigrad.ops.common import f32

F32_CASES = {"Erf": lambda: (F.Erf, (f32(3, 4),), (0,))}

ERROR_CASES = [
    ("Erf", "int x", lambda: F.erf(np.arange(6).reshape(2, 3)), DTypeError,
     ["x", "float", "int64"]),
    ("Erf", "str x", lambda: F.erf("0.5"), DTypeError, ["x", "array", "str"]),
]


def test_erf_matches_math_erf_to_1e_15_relative():
    x = np.concatenate([np.linspace(-7, 7, 2801), np.geomspace(1e-12, 0.5, 50), [0.46875, 4.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(F.erf(x).data, expected, rtol=1e-15, atol=1e-300)
    X = np.linspace(-4.0, 4.0, 41) + 0.013
    t = Tensor(X, requires_grad=True)
    g = np.random.default_rng(5).standard_normal(X.shape)
    F.erf(t).backward(g)
    np.testing.assert_allclose(t.grad, g * 2 / math.sqrt(math.pi) * np.exp(-X ** 2), rtol=1e-14)
    assert F.erf(np.array([np.inf, -np.inf])).data.tolist() == [1.0, -1.0]
    x32 = np.linspace(-3, 3, 13, dtype=np.float32)
    np.testing.assert_allclose(F.erf(x32).data, [math.erf(v) for v in x32], rtol=2e-6, atol=1e-7)


def test_erf_tails_and_tensor_method():
    big = np.array([-400.0, -30.0, 30.0, 400.0])
    assert F.erf(big).data.tolist() == [-1.0, -1.0, 1.0, 1.0]
    t = Tensor(np.array([0.3, -1.2]))
    np.testing.assert_allclose(t.erf().data, [math.erf(0.3), math.erf(-1.2)], rtol=1e-15)
    assert F.erf(np.array(0.5, np.float32)).dtype == np.float32
