"""Elementwise binary Functions: reduced broadcast gradients, max/min ties, remainder family,
atan2/hypot, operators; expected values from Python's math module and numpy formulas."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeRuntimeError, ShapeError
from minigrad.function import Context, Function
from minigrad.functional.elementwise import fit_grad
from tests.minigrad.ops.common import f32, r


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
    ("Pow", "negative int power", lambda: Tensor(np.array([2, 3])) ** -2, RangeRuntimeError,
     ["integer x", "negative integer powers", "-2"]),
    ("div", "rounding_mode", lambda: F.div(r(2), r(2), rounding_mode="typo"), RangeRuntimeError,
     ["rounding_mode", "'trunc'", "'floor'", "'typo'"]),
    ("idiv", "str", lambda: F.idiv(np.array([1]), "a"), DTypeError, ["b", "array", "str"]),
]


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


# ----- torch's integer and bool semantics ---------------------------------------------------
def _ints(*v: int) -> Tensor:
    return Tensor(np.array(v, dtype=np.int32))


def test_int_true_division_and_python_floats_give_float32():
    a, b = _ints(5, 6, -7), _ints(2, -4, 2)
    out = a / b
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.float32([2.5, -1.5, -3.5]))
    for o in (a / 2, 1 / a, a * 1.5, a + 0.5, a - 0.5, a % 3.5, 100.5 % a, b * 0.5,
              0.7 ** a, F.maximum(a, 1.2), F.minimum(Tensor(np.array([True, False])), 1.2)):
        assert o.dtype == np.float32, o
    np.testing.assert_allclose((a % 3.5).data, [5 % 3.5, 6 % 3.5, -7 % 3.5])
    assert (a + 2).dtype == np.int32 and (a * b).dtype == np.int32 and (a ** 2).dtype == np.int32
    assert (Tensor(np.array([1.0, 2.0, 3.0])) / b).dtype == np.float64  # a float array decides
    assert (Tensor(np.float32([1.0, 2.0, 3.0])) * np.int64(3)).dtype == np.float32


def test_bool_and_mixed_extrema_follow_type_promotion():
    t = Tensor(np.array([True, False, False]))
    np.testing.assert_array_equal(F.maximum(t, True).data, [True, True, True])
    assert F.maximum(t, True).dtype == np.bool_
    out = F.maximum(t, 3)
    assert out.dtype.kind == "i" and out.data.tolist() == [3, 3, 3]
    big = np.iinfo(np.int32).max
    out = F.minimum(_ints(-1234, 0, big), big)
    assert out.dtype == np.int32 and out.data.tolist() == [-1234, 0, big]


def test_integer_powers_stay_exact_and_negative_powers_are_refused():
    assert (_ints(-2, 0, 2) ** 29).data.tolist() == [(-2) ** 29, 0, 2 ** 29]
    assert (_ints(11, 12, 13) ** 7).data.tolist() == [11 ** 7, 12 ** 7, 13 ** 7]
    assert (_ints(-2, 0, 2) ** 0).data.tolist() == [1, 1, 1]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        _ints(2) ** -2


@pytest.mark.parametrize("den", [-3, -2, 2, 3, 5])
def test_div_rounding_modes_as_torch(den):
    num = [5, 6, 7, 0, -5, -6, -7]
    a, b = _ints(*num), _ints(den)
    trunc = [int(n / den) for n in num]  # Python int(): toward zero
    floor = [n // den for n in num]
    out = a.div(b, rounding_mode="trunc")
    assert out.dtype == np.int32 and out.data.tolist() == trunc
    out = a.div(b, rounding_mode="floor")
    assert out.dtype == np.int32 and out.data.tolist() == floor
    assert a.div(b).dtype == np.float32
    af = Tensor(np.array(num, dtype=np.float32))
    np.testing.assert_array_equal(af.div(b, rounding_mode="trunc").data, trunc)
    np.testing.assert_array_equal(af.div(float(den), rounding_mode="floor").data, floor)
    assert a.div(float(den), rounding_mode="trunc").dtype == np.float32


def test_idiv_truncates_and_rounded_division_has_zero_gradient():
    a, b = _ints(-4, 7, 5, 4, -7, 8), _ints(2, -3, 8, -2, 3, 5)
    assert a.idiv(b).data.tolist() == [-2, -2, 0, -2, -2, 1]
    assert Tensor(-5).idiv(2).item() == -2 and Tensor(-1).idiv(4).item() == 0
    x = Tensor(np.array([5.5, -5.5]), requires_grad=True)
    out = x.div(2.0, rounding_mode="trunc")
    np.testing.assert_array_equal(out.data, [2.0, -2.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    x.grad = None
    x.div(2.0, rounding_mode="floor").sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_method_names_as_torch():
    x = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    y = Tensor(np.array([3.0, 0.5]))
    np.testing.assert_array_equal(x.add(y).data, [4.0, -1.5])
    np.testing.assert_array_equal(x.add(y, alpha=2).data, [7.0, -1.0])
    np.testing.assert_array_equal(Tensor.sub(x, y).data, [-2.0, -2.5])
    np.testing.assert_array_equal(x.mul(y).data, [3.0, -1.0])
    np.testing.assert_array_equal(x.div(y).data, [1 / 3, -4.0])
    np.testing.assert_array_equal(x.true_divide(2).data, [0.5, -1.0])
    np.testing.assert_array_equal(x.neg().data, [-1.0, 2.0])
    np.testing.assert_array_equal(x.pow(2).data, [1.0, 4.0])
    np.testing.assert_array_equal(x.mod(1.5).data, [1.0, 1.0])
    assert x.contiguous() is x and (+x) is x
    x.sub(y, alpha=3).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    assert F.multiply is F.mul and F.subtract is F.sub and F.true_divide is F.div


def test_casts_to_integer_and_bool_leave_the_graph():
    x = Tensor(np.array([1.7, -2.2, 0.0]), requires_grad=True)
    for out, dt in ((x.int(), np.int32), (x.long(), np.int64), (x.bool(), np.bool_),
                    (x.cast(np.int16), np.int16), (x.type(np.int32), np.int32)):
        assert out.dtype == dt and not out.requires_grad
    assert x.int().data.tolist() == [1, -2, 0] and x.bool().data.tolist() == [True, True, False]
    assert x.type() == "float64"
    h = x.cast(np.float16)
    assert h.dtype == np.float16 and h.requires_grad
    h.sum().backward()
    assert x.grad.dtype == np.float64


def test_infinities_and_nan_propagate_in_arithmetic():
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    np.testing.assert_array_equal((x * math.inf).data, [math.inf, -math.inf])
    np.testing.assert_array_equal((x / math.inf).data, [0.0, -0.0])
    np.testing.assert_array_equal((math.inf / x).data, [math.inf, -math.inf])
    assert np.isnan((x * math.nan).data).all()
    (x * math.inf).backward(np.ones(2))
    np.testing.assert_array_equal(x.grad, [math.inf, math.inf])
    with np.errstate(divide="ignore"):
        out = 0 ** Tensor(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out.data, [math.inf, 1.0, 0.0])
    np.testing.assert_array_equal(((-2) ** Tensor(np.array([-1.0, 2.0, 3.0]))).data,
                                  [-0.5, 4.0, -8.0])
