"""Pointwise family: copysign, logaddexp(2), lerp, nan_to_num, sinc and numpy's complex helpers
on real input; expected values from Python's math module and numpy formulas."""
from __future__ import annotations

import math

import numpy as np

import minigrad.functional.pointwise as P
from minigrad import Tensor
from minigrad.errors import DTypeError, ShapeError
from tests.minigrad.ops.common import f32, r

FUNCTIONS = [n for n in P.__all__ if n[0].isupper()]
M = P.TENSOR_METHODS  # the family's Tensor methods, as minigrad.functional binds them

F32_CASES = {
    "Copysign": lambda: (P.Copysign, (f32(2, 3), f32(3, seed=2)), (0, 1)),
    "LogAddExp": lambda: (P.LogAddExp, (f32(2, 3), f32(2, 1, seed=2)), (0, 1)),
    "LogAddExp2": lambda: (P.LogAddExp2, (f32(2, 3), f32(3, seed=2)), (0, 1)),
    "Lerp": lambda: (P.Lerp, (f32(2, 3), f32(3, seed=2), f32(2, 1, seed=3)), (0, 1, 2)),
    "NanToNum": lambda: (P.NanToNum, (np.float32([1.0, np.nan, -np.inf]),), (0,)),
    "Sinc": lambda: (P.Sinc, (f32(2, 3),), (0,)),
}

ERROR_CASES = [
    ("Copysign", "shapes", lambda: P.copysign(r(2, 3), r(2)), ShapeError,
     ["a and b", "broadcast", "(2, 3)", "(2,)"]),
    ("LogAddExp", "str", lambda: P.logaddexp(r(2), "x"), DTypeError, ["b", "array", "str"]),
    ("LogAddExp2", "shapes", lambda: P.logaddexp2(r(3), r(4)), ShapeError, ["(3,)", "(4,)"]),
    ("Lerp", "shapes", lambda: P.lerp(r(2, 3), r(3), r(2)), ShapeError,
     ["start, end and weight", "(2, 3)", "(3,)", "(2,)"]),
    ("NanToNum", "none", lambda: P.nan_to_num(None), DTypeError, ["x", "array", "NoneType"]),
    ("Sinc", "object", lambda: P.sinc(np.array([object()])), DTypeError,
     ["x", "numeric", "object"]),
]


def test_every_function_has_float32_and_error_cases():
    assert set(F32_CASES) == set(FUNCTIONS)
    assert {c[0] for c in ERROR_CASES} == set(FUNCTIONS)


def test_copysign_values_and_torch_gradients():
    a = Tensor(np.array([-1.0, 0.0, 1.0, 2.0, -3.0]), requires_grad=True)
    b = Tensor(np.array([1.0, -1.0, -0.0, -2.0, 0.0]), requires_grad=True)
    out = M["copysign"](a, b)
    expected = [math.copysign(x, y) for x, y in zip(a.data, b.data, strict=True)]
    np.testing.assert_array_equal(out.data, expected)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [-1.0, 0.0, -1.0, -1.0, -1.0])  # 0 where a == 0
    np.testing.assert_array_equal(b.grad, np.zeros(5))
    assert P.copysign(np.array([2, -3], dtype=np.int32), 1).dtype == np.float32


def test_logaddexp_is_stable_and_its_gradients_are_softmax_weights():
    a = Tensor(np.array([1.0, 2000.0, -300.0, 0.5]), requires_grad=True)
    b = Tensor(np.array([-1.0, 2.0, -301.0, 0.5]), requires_grad=True)
    out = M["logaddexp"](a, b)
    ref = [max(x, y) + math.log1p(math.exp(-abs(x - y))) for x, y in zip(a.data, b.data,
                                                                           strict=True)]
    np.testing.assert_allclose(out.data, ref, rtol=1e-15)
    out.sum().backward()
    wa = [1 / (1 + math.exp(y - x)) for x, y in zip(a.data, b.data, strict=True)]
    np.testing.assert_allclose(a.grad, wa, rtol=1e-15)
    np.testing.assert_allclose(a.grad + b.grad, np.ones(4), rtol=1e-15)
    out2 = P.logaddexp2(np.array([3.0]), np.array([3.0]))
    np.testing.assert_allclose(out2.data, [4.0])


def test_lerp_two_sided_formula_and_gradients():
    s = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    e = Tensor(np.array([4.0, 5.0, 6.0]), requires_grad=True)
    w = Tensor(np.array([0.25, 0.5, 1.0]), requires_grad=True)
    out = M["lerp"](s, e, w)
    np.testing.assert_array_equal(out.data, [1.75, 3.5, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(s.grad, [0.75, 0.5, 0.0])
    np.testing.assert_array_equal(e.grad, [0.25, 0.5, 1.0])
    np.testing.assert_array_equal(w.grad, [3.0, 3.0, 3.0])
    assert P.lerp(f32(2), f32(2, seed=3), 0.5).dtype == np.float32


def test_nan_to_num_defaults_and_gradient_mask():
    x = Tensor(np.array([np.nan, np.inf, -np.inf, 1.5]), requires_grad=True)
    out = M["nan_to_num"](x)
    big = np.finfo(np.float64).max
    np.testing.assert_array_equal(out.data, [0.0, big, -big, 1.5])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(P.nan_to_num(x.detach(), nan=2.0, posinf=1.0).data[:2],
                                  [2.0, 1.0])


def test_sinc_values_and_gradient_at_zero():
    x = Tensor(np.array([0.0, 0.5, -1.5]), requires_grad=True)
    out = M["sinc"](x)
    ref = [1.0] + [math.sin(math.pi * v) / (math.pi * v) for v in (0.5, -1.5)]
    np.testing.assert_allclose(out.data, ref, rtol=1e-15)
    out.sum().backward()
    d = [0.0] + [(math.cos(math.pi * v) - math.sin(math.pi * v) / (math.pi * v)) / v
                 for v in (0.5, -1.5)]
    np.testing.assert_allclose(x.grad, d, rtol=1e-14, atol=1e-16)


def test_complex_helpers_on_real_input():
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    assert P.real(x) is x and P.conj(x) is x and P.real_if_close(x) is x
    im = P.imag(x)
    np.testing.assert_array_equal(im.data, np.zeros(3))
    ang = P.angle(x)
    np.testing.assert_array_equal(ang.data, [math.pi, 0.0, 0.0])
    (im + ang).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))
