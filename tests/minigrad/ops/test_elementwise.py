"""Elementwise binary Functions: reduced broadcast gradients, max/min ties, remainder family,
atan2/hypot, operators; expected values from Python's math module and numpy formulas."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.elementwise import fit_grad
from tests.minigrad.ops.common import check_float32, check_named_error, f32, r


def _away(*shape: int, seed: int = 2) -> np.ndarray:
    """float32 values with |x| in [0.5, 1.5] and random signs (safe divisors)."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 1.5, shape) * rng.choice([-1, 1], shape)).astype(np.float32)


F32_CASES = {
    "Maximum": lambda: (F.Maximum, (f32(2, 3), f32(3, seed=2)), (0, 1)),
    "Minimum": lambda: (F.Minimum, (f32(2, 3), f32(2, 1, seed=2)), (0, 1)),
    "Remainder": lambda: (F.Remainder, (f32(2, 3) * 4, _away(3)), (0, 1)),
    "Fmod": lambda: (F.Fmod, (f32(2, 3) * 4, _away(2, 3)), (0, 1)),
    "FloorDivide": lambda: (F.FloorDivide, (f32(2, 3) * 4, _away(1, 3)), (0, 1)),
    "Atan2": lambda: (F.Atan2, (f32(2, 3), _away(3)), (0, 1)),
    "Hypot": lambda: (F.Hypot, (_away(2, 3), _away(2, 3, seed=3)), (0, 1)),
}

ERROR_CASES = [
    (name, "shapes", lambda fn=fn: fn.apply(Tensor(r(2, 3)), r(4)), ShapeError,
     ["a and b", "broadcast", "(2, 3)", "(4,)"])
    for name, fn in [("Maximum", F.Maximum), ("Minimum", F.Minimum), ("Remainder", F.Remainder),
                     ("Fmod", F.Fmod), ("FloorDivide", F.FloorDivide), ("Atan2", F.Atan2),
                     ("Hypot", F.Hypot)]
] + [
    ("Maximum", "none", lambda: F.maximum(r(2), None), DTypeError, ["b", "array", "NoneType"]),
    ("Remainder", "str", lambda: Tensor(r(2)) % "x", DTypeError, ["b", "array", "str"]),
    ("FloorDivide", "object", lambda: F.floor_divide(np.array([object()]), 2.0), DTypeError,
     ["a", "numeric", "object"]),
]


@pytest.mark.parametrize("name", sorted(F32_CASES))
def test_float32_in_float32_out(name):
    fn, arrays, diff = F32_CASES[name]()
    check_float32(fn, arrays, diff)


@pytest.mark.parametrize("name, case, thunk, error, parts", ERROR_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in ERROR_CASES])
def test_named_errors(name, case, thunk, error, parts):
    check_named_error(name, thunk, error, parts)


# ----- broadcast gradients are reduced by the Functions themselves ----------------------------
class _Probe(Function):
    """Identity that records the gradient its consumer's backward handed to it."""

    seen: list = []

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> np.ndarray:
        _Probe.seen.append(dout)
        return dout


@pytest.mark.parametrize("fn", [F.Add, F.Sub, F.Mul, F.Div, F.Pow, F.Maximum, F.Minimum,
                                F.Remainder, F.Fmod, F.FloorDivide, F.Atan2, F.Hypot])
def test_backward_returns_each_input_shape_and_dtype(fn):
    a = np.abs(r(2, 3, 4)) + 0.5
    b = np.abs(r(3, 1, dtype=np.float32, seed=1)) + 0.5
    ctx = Context(fn, (Tensor(a), Tensor(b)), (True, True))
    out = fn.forward(ctx, a, b)
    ctx.inputs = (Tensor(a), Tensor(b))
    grads = fn.backward(ctx, np.ones_like(out))
    assert grads[0].shape == a.shape and grads[0].dtype == a.dtype
    assert grads[1].shape == b.shape and grads[1].dtype == np.float32


def test_broadcast_gradients_are_sums_over_the_stretched_axes():
    a = Tensor(r(2, 3, 4), requires_grad=True)
    b = Tensor(np.abs(r(3, 1, seed=1)) + 0.5, requires_grad=True)
    g = r(2, 3, 4, seed=3)
    (a * b + a / b - b).backward(g)
    np.testing.assert_allclose(a.grad, g * b.data + g / b.data)
    expected_b = (g * a.data - g * a.data / b.data ** 2 - g).sum(axis=(0, 2))[:, None]
    np.testing.assert_allclose(b.grad, expected_b)


def test_fit_grad_returns_the_same_array_when_nothing_to_reduce():
    g = r(2, 3)
    ctx = Context(F.Add, (Tensor(r(2, 3)),), (True,))
    assert fit_grad(ctx, 0, g) is g
    ctx = Context(F.Add, (Tensor(r(3)),), (True,))
    np.testing.assert_allclose(fit_grad(ctx, 0, g), g.sum(axis=0))


def test_pow_masks_match_torch_at_zero():
    x = Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    p = Tensor(np.array([0.0, 2.0, 0.0]), requires_grad=True)
    (x ** p).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])  # p == 0 -> 0 (not 0 * inf)
    np.testing.assert_allclose(p.grad, [0.0, 0.0, math.log(2.0)])  # x == 0, p >= 0 -> 0


# ----- maximum / minimum ----------------------------------------------------------------------
def test_maximum_minimum_values_and_tie_split():
    a = Tensor(np.array([1.0, 2.0, 3.0, -1.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 1.0, 4.0, -1.0]), requires_grad=True)
    g = np.array([2.0, 3.0, 5.0, 7.0])
    out = F.maximum(a, b)
    np.testing.assert_array_equal(out.data, [1.0, 2.0, 4.0, -1.0])
    out.backward(g)
    np.testing.assert_array_equal(a.grad, [1.0, 3.0, 0.0, 3.5])
    np.testing.assert_array_equal(b.grad, [1.0, 0.0, 5.0, 3.5])
    a.grad = b.grad = None
    out = a.minimum(b)
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 3.0, -1.0])
    out.backward(g)
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 5.0, 3.5])
    np.testing.assert_array_equal(b.grad, [1.0, 3.0, 0.0, 3.5])


def test_maximum_with_a_number_and_broadcast():
    x = Tensor(np.array([[-1.0, 0.0, 2.0], [3.0, 0.0, -4.0]]), requires_grad=True)
    y = F.maximum(x, 0.0)  # relu with the tie at 0 split in half
    np.testing.assert_array_equal(y.data, [[0, 0, 2], [3, 0, 0]])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 1], [1, 0.5, 0]])
    b = Tensor(np.array([1.0, 0.0, -4.0]), requires_grad=True)
    F.minimum(x.detach(), b).sum().backward()
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.5])  # (0 + 1, .5 + .5, 1 + .5) by row


def test_maximum_propagates_nan():
    out = F.maximum(np.array([np.nan, 1.0]), np.array([0.0, np.nan]))
    assert np.isnan(out.data).all()


# ----- remainder, fmod, floor_divide ----------------------------------------------------------
PAIRS = [(5.5, 2.0), (-5.5, 2.0), (5.5, -2.0), (-5.5, -2.0), (7.0, 3.0), (-7.0, 0.75)]


def test_remainder_takes_the_sign_of_the_divisor_like_python():
    a = Tensor(np.array([p[0] for p in PAIRS]), requires_grad=True)
    b = Tensor(np.array([p[1] for p in PAIRS]), requires_grad=True)
    out = a % b
    np.testing.assert_allclose(out.data, [x % y for x, y in PAIRS])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, np.ones(len(PAIRS)))
    np.testing.assert_array_equal(b.grad, [-(x // y) for x, y in PAIRS])
    assert F.mod is F.remainder
    np.testing.assert_allclose(F.remainder(a, 2.0).data, [x % 2.0 for x, _ in PAIRS])


def test_fmod_takes_the_sign_of_the_dividend_like_c():
    a = Tensor(np.array([p[0] for p in PAIRS]), requires_grad=True)
    b = Tensor(np.array([p[1] for p in PAIRS]), requires_grad=True)
    out = a.fmod(b)
    np.testing.assert_allclose(out.data, [math.fmod(x, y) for x, y in PAIRS])
    out.sum().backward()
    np.testing.assert_array_equal(b.grad, [-math.trunc(x / y) for x, y in PAIRS])


def test_floor_divide_values_and_zero_gradients():
    a = Tensor(np.array([p[0] for p in PAIRS]), requires_grad=True)
    b = Tensor(np.array([p[1] for p in PAIRS]), requires_grad=True)
    out = a // b
    np.testing.assert_array_equal(out.data, [x // y for x, y in PAIRS])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, np.zeros(len(PAIRS)))
    np.testing.assert_array_equal(b.grad, np.zeros(len(PAIRS)))


def test_integer_remainder_and_floor_divide_stay_integer():
    a = Tensor(np.array([7, -7, 7, -7]))
    b = np.array([3, 3, -3, -3])
    np.testing.assert_array_equal((a % b).data, [7 % 3, -7 % 3, 7 % -3, -7 % -3])
    np.testing.assert_array_equal((a // b).data, [7 // 3, -7 // 3, 7 // -3, -7 // -3])
    assert (a // 2).dtype.kind == "i" and not (a % 2).requires_grad


def test_reflected_remainder_and_floor_divide():
    t = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    np.testing.assert_allclose((7.0 % t).data, [7.0 % 1.5, 7.0 % -2.5])
    np.testing.assert_allclose((7.0 // t).data, [7.0 // 1.5, 7.0 // -2.5])
    out = np.array([4.0, 4.0]) % t  # numpy hands the operator to Tensor.__rmod__
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [-(4.0 // 1.5), -(4.0 // -2.5)])
    assert isinstance(np.array([4.0]) // Tensor(np.array([1.5])), Tensor)


# ----- atan2, hypot ---------------------------------------------------------------------------
def test_atan2_values_in_every_quadrant_and_gradients():
    pts = [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-2.0, 3.0), (0.5, 0.0)]  # (y, x)
    ys, xs = [p[0] for p in pts], [p[1] for p in pts]
    a = Tensor(np.array(ys), requires_grad=True)
    b = Tensor(np.array(xs), requires_grad=True)
    out = F.atan2(a, b)
    np.testing.assert_allclose(out.data, [math.atan2(y, x) for y, x in pts])
    out.sum().backward()
    np.testing.assert_allclose(a.grad, [x / (x * x + y * y) for y, x in pts])
    np.testing.assert_allclose(b.grad, [-y / (x * x + y * y) for y, x in pts])
    assert F.arctan2 is F.atan2


def test_atan2_gradient_is_zero_at_the_origin():
    a = Tensor(np.zeros(1), requires_grad=True)
    b = Tensor(np.zeros(1), requires_grad=True)
    a.atan2(b).sum().backward()
    assert a.grad[0] == 0.0 and b.grad[0] == 0.0


def test_hypot_values_and_gradients():
    a = Tensor(np.array([3.0, 5.0, -8.0, 1e200]), requires_grad=True)
    b = Tensor(np.array([4.0, -12.0, 15.0, 1e200]), requires_grad=True)
    out = a.hypot(b)
    np.testing.assert_allclose(out.data, [5.0, 13.0, 17.0, math.hypot(1e200, 1e200)])
    out.sum().backward()
    np.testing.assert_allclose(a.grad, [0.6, 5 / 13, -8 / 17, math.sqrt(0.5)])
    np.testing.assert_allclose(b.grad, [0.8, -12 / 13, 15 / 17, math.sqrt(0.5)])


def test_float32_stays_float32_with_python_and_numpy_scalars():
    t = Tensor(f32(2, 3), requires_grad=True)
    for out in (t % 0.7, t // np.float64(0.3), F.maximum(t, 0.1), F.minimum(0.1, t),
                F.atan2(t, 2.0), F.hypot(t, np.float64(1.0)), t.fmod(0.5)):
        assert out.dtype == np.float32, out
        out.sum().backward()
        assert t.grad.dtype == np.float32
        t.grad = None
