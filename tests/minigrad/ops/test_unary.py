"""Unary math Functions: values and gradients against Python's math module, torch's rules at
kinks and ties (abs at 0, zero-gradient rounding, clamp at its bounds), float32, methods."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeRuntimeError, ShapeError
from tests.minigrad.ops.common import f32, r

X = [-1.7, -0.6, -0.2, 0.3, 0.8, 1.9]  # inside every domain below once mapped
POS = [0.2, 0.5, 1.0, 1.7, 2.5, 3.0]
UNIT = [-0.9, -0.5, -0.1, 0.2, 0.6, 0.85]

# name: (values, f(v), f'(v)) with math-module references
SMOOTH = {
    "Sqrt": (POS, math.sqrt, lambda v: 0.5 / math.sqrt(v)),
    "Rsqrt": (POS, lambda v: 1 / math.sqrt(v), lambda v: -0.5 * v ** -1.5),
    "Reciprocal": (X, lambda v: 1 / v, lambda v: -1 / v ** 2),
    "Square": (X, lambda v: v * v, lambda v: 2 * v),
    "Abs": (X, math.fabs, lambda v: math.copysign(1.0, v)),
    "Sin": (X, math.sin, math.cos),
    "Cos": (X, math.cos, lambda v: -math.sin(v)),
    "Tan": (X[1:-1], math.tan, lambda v: 1 / math.cos(v) ** 2),
    "Asin": (UNIT, math.asin, lambda v: 1 / math.sqrt(1 - v * v)),
    "Acos": (UNIT, math.acos, lambda v: -1 / math.sqrt(1 - v * v)),
    "Atan": (X, math.atan, lambda v: 1 / (1 + v * v)),
    "Sinh": (X, math.sinh, math.cosh),
    "Cosh": (X, math.cosh, math.sinh),
    "Log1p": (UNIT, math.log1p, lambda v: 1 / (1 + v)),
    "Expm1": (X, math.expm1, math.exp),
    "Exp2": (X, lambda v: 2.0 ** v, lambda v: 2.0 ** v * math.log(2)),
    "Log2": (POS, math.log2, lambda v: 1 / (v * math.log(2))),
    "Log10": (POS, math.log10, lambda v: 1 / (v * math.log(10))),
    "Exp": (X, math.exp, math.exp),
    "Log": (POS, math.log, lambda v: 1 / v),
    "Asinh": (X, math.asinh, lambda v: 1 / math.sqrt(v * v + 1)),
    "Acosh": ([1.1, 1.5, 2.0, 3.3], math.acosh, lambda v: 1 / math.sqrt(v * v - 1)),
    "Atanh": (UNIT, math.atanh, lambda v: 1 / (1 - v * v)),
}
STEPS = {"Sign": lambda v: math.copysign(1.0, v) if v else 0.0, "Floor": math.floor,
         "Ceil": math.ceil, "Trunc": math.trunc, "Round": round}
POSITIVE = {"Sqrt", "Rsqrt", "Log2", "Log10", "Log"}


def _f32_input(name: str) -> np.ndarray:
    x = f32(2, 3)
    if name in POSITIVE:
        return np.abs(x) + np.float32(0.2)
    if name == "Acosh":
        return np.abs(x) + np.float32(1.1)
    if name in ("Asin", "Acos", "Log1p", "Atanh"):
        return np.clip(x, -0.8, 0.8)
    return np.where(np.abs(x) < 0.1, np.float32(0.3), x) if name == "Reciprocal" else x


F32_CASES = {name: (lambda name=name: (getattr(F, name), (_f32_input(name),), (0,)))
             for name in [*SMOOTH, *STEPS] if name not in ("Exp", "Log")}
F32_CASES["Clamp"] = lambda: (F.Clamp, (f32(2, 3), f32(3, seed=2) - 0.5, f32(2, 1) + 0.5),
                              (0, 1, 2))

ERROR_CASES = [(name, "none", lambda name=name: getattr(F, name).apply(None), DTypeError,
                ["x", "array", "NoneType"]) for name in [*SMOOTH, *STEPS]] + [
    ("Sqrt", "str", lambda: F.sqrt(np.array(["a"])), DTypeError, ["x", "numeric", "<U1"]),
    ("Clamp", "no bound", lambda: F.clamp(r(3)), RangeRuntimeError,
     ["at least one", "min", "max"]),
    ("Clamp", "shapes", lambda: F.clamp(r(2, 3), r(4), 1.0), ShapeError,
     ["x, min and max", "broadcast", "(2, 3)", "(4,)", "()"]),
    ("Clamp", "str", lambda: F.clip(r(2), "a", None), DTypeError, ["min", "array", "str"]),
    ("Clamp", "keyword tensor", lambda: F.Clamp.apply(r(2), max=Tensor(r(2))), TypeError,
     ["positionally", "max"]),
]


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_values_and_gradients_match_the_math_module(name):
    values, f, df = SMOOTH[name]
    x = Tensor(np.array(values), requires_grad=True)
    g = np.linspace(0.5, 2.0, len(values))
    out = getattr(F, name).apply(x)
    np.testing.assert_allclose(out.data, [f(v) for v in values], rtol=1e-13)
    out.backward(g)
    np.testing.assert_allclose(x.grad, g * np.array([df(v) for v in values]), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_step_functions_values_and_zero_gradient(name):
    values = [-2.5, -1.5, -0.7, -0.0, 0.0, 0.5, 1.5, 2.4, 3.0]
    x = Tensor(np.array(values), requires_grad=True)
    out = getattr(F, name).apply(x)
    np.testing.assert_array_equal(out.data, [STEPS[name](v) for v in values])  # round: to even
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(len(values)))


def test_abs_gradient_is_zero_at_zero_and_abs_operator():
    x = Tensor(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    abs(x).sum().backward()  # Tensor.__abs__
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_round_decimals_and_integer_inputs_keep_their_dtype():
    np.testing.assert_allclose(F.round(np.array([1.234, -5.678]), decimals=2).data,
                               [1.23, -5.68])
    t = Tensor(np.array([-3, 0, 4]))
    for out in (t.abs(), t.sign(), t.square(), t.floor(), t.round(), t.clamp(-1, 2)):
        assert out.dtype.kind == "i" and not out.requires_grad
    np.testing.assert_array_equal(t.clamp(-1, 2).data, [-1, 0, 2])
    assert F.reciprocal(np.array([2, 4])).data.tolist() == [0.5, 0.25]  # floating, as torch


def test_float32_is_kept_for_every_unary_method():
    t = Tensor(np.abs(f32(2, 3)) + np.float32(0.1), requires_grad=True)
    names = ["sqrt", "rsqrt", "reciprocal", "square", "abs", "sign", "floor", "ceil", "trunc",
             "round", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
             "sinh", "cosh", "log1p", "expm1", "exp2", "log2", "log10", "exp", "log"]
    for name in names:
        arg = t * 0.5 if name in ("asin", "acos", "arcsin", "arccos") else t
        out = getattr(arg, name)()
        assert out.dtype == np.float32, name
        out.sum().backward()
        assert t.grad.dtype == np.float32, name
    assert F.arcsin is F.asin and F.absolute is F.abs and F.fix is F.trunc


# ----- clamp / clip -------------------------------------------------------------------------
XS = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])


def test_clamp_with_number_bounds_passes_the_gradient_strictly_inside():
    x = Tensor(XS, requires_grad=True)
    out = x.clamp(-1.0, 1.0)
    np.testing.assert_array_equal(out.data, [-1, -1, -0.5, 0, 0.5, 1, 1])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 1, 1, 1, 0, 0])  # 0 at x == bound (torch)
    x.grad = None
    x.clamp_min(0.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 0, 0, 0, 1, 1, 1])
    x.grad = None
    F.clamp_max(x, 0.5).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 1, 1, 0, 0, 0])


def test_clamp_with_min_above_max_gives_max():
    x = Tensor(XS, requires_grad=True)
    out = F.clamp(x, 1.0, -1.0)
    np.testing.assert_array_equal(out.data, np.full(7, -1.0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(7))


def test_clamp_with_tensor_bounds_splits_ties_like_torch():
    # rows of (x, min, max) and the expected (dx, dmin, dmax) under torch's rule
    table = [((0, 1, 2), (0, 1, 0)), ((1, 1, 2), (0.5, 0.5, 0)), ((1.5, 1, 2), (1, 0, 0)),
             ((2, 1, 2), (0.5, 0, 0.5)), ((3, 1, 2), (0, 0, 1)), ((1, 1, 1), (1, 0, 0)),
             ((0, 1, 1), (0, 1, 0)), ((2, 1, 1), (0, 0, 1)), ((1, 2, 0), (0, 0, 1)),
             ((2, 2, 0), (0, 0, 1))]
    x, lo, hi = (Tensor(np.array([row[0][k] for row in table], float), requires_grad=True)
                 for k in range(3))
    out = F.clamp(x, lo, hi)
    np.testing.assert_array_equal(out.data, [min(max(a, b), c) for (a, b, c), _ in table])
    out.sum().backward()
    for k, t in enumerate((x, lo, hi)):
        np.testing.assert_array_equal(t.grad, [row[1][k] for row in table])


def test_clamp_with_one_tensor_bound_and_broadcasting():
    x = Tensor(np.array([[0.0, 1.0, 2.0], [3.0, 1.0, -1.0]]), requires_grad=True)
    lo = Tensor(np.array([1.0, 1.0, 0.0]), requires_grad=True)
    out = x.clamp(lo)
    np.testing.assert_array_equal(out.data, [[1, 1, 2], [3, 1, 0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 1], [1, 0.5, 0]])
    np.testing.assert_array_equal(lo.grad, [1.0, 1.0, 1.0])  # (1 + 0, .5 + .5, 0 + 1)
    hi = np.array([[0.5], [2.0]])  # an array bound: a constant, still torch's tensor tie rule
    x.grad = None
    F.clamp(x, max=hi).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 0], [0, 1, 1]])


def test_clip_is_numpy_spelling_and_takes_min_max_keywords():
    t = Tensor(XS)
    np.testing.assert_array_equal(F.clip(t, -0.5, 0.5).data, np.clip(XS, -0.5, 0.5))
    np.testing.assert_array_equal(F.clip(t, min=0.0).data, np.clip(XS, 0.0, None))
    np.testing.assert_array_equal(t.clip(None, 0.0).data, np.clip(XS, None, 0.0))
    with pytest.raises(TypeError, match="a_min or min"):
        F.clip(t, 0.0, min=1.0)


def test_clamp_keeps_float32_with_number_bounds():
    t = Tensor(f32(3, 4), requires_grad=True)
    out = t.clamp(-0.2, np.float64(0.2))
    assert out.dtype == np.float32
    out.sum().backward()
    assert t.grad.dtype == np.float32


def test_clamp_without_bounds_is_a_runtime_error_as_torch():
    with pytest.raises(RuntimeError, match="at least one of min and max"):
        Tensor(XS).clip(None, None)


# ----- torch's dtypes, NaN and inf ----------------------------------------------------------
def test_integer_inputs_give_float32_as_torch_default_float():
    t = Tensor(np.array([1, 2, 4], dtype=np.int32))
    for name in ("exp", "log", "sqrt", "sin", "reciprocal", "log2", "asinh", "sigmoid", "tanh"):
        out = getattr(t, name)()
        assert out.dtype == np.float32, name
    np.testing.assert_allclose(t.sqrt().data, [1.0, math.sqrt(2), 2.0], rtol=1e-7)
    assert Tensor(np.array([1.0, 2.0])).exp().dtype == np.float64


def test_nan_and_inf_propagate_like_ieee():
    x = Tensor(np.array([np.inf, -np.inf, np.nan, 0.0]), requires_grad=True)
    np.testing.assert_array_equal(x.exp().data, [np.inf, 0.0, np.nan, 1.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(x.log().data, [np.inf, np.nan, np.nan, -np.inf])
        np.testing.assert_array_equal(x.sin().data, [np.nan, np.nan, np.nan, 0.0])
    y = x.exp()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.0, np.nan, 1.0])


def test_isinf_isnan_isfinite_are_bool_tensors():
    v = np.array([-np.inf, 0.0, np.inf, np.nan, 1.1])
    t = Tensor(v)
    assert t.isinf().data.tolist() == [True, False, True, False, False]
    assert F.isinf(t, detect_negative=False).data.tolist() == [False, False, True, False, False]
    assert t.isinf(detect_positive=False).data.tolist() == [True, False, False, False, False]
    assert t.isnan().data.tolist() == [False, False, False, True, False]
    assert F.isfinite(v).data.tolist() == [False, True, False, False, True]
    assert Tensor(np.array([1, 2])).isfinite().data.all()
    assert not t.isnan().requires_grad and t.isnan().dtype == np.bool_


def test_inverse_hyperbolics_and_angle_conversions():
    x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    np.testing.assert_allclose(x.arcsinh().data, [math.asinh(0.5), math.asinh(2.0)])
    np.testing.assert_allclose(F.arccosh(np.array([2.0])).data, [math.acosh(2.0)])
    np.testing.assert_allclose(F.arctanh(np.array([0.5])).data, [math.atanh(0.5)])
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(F.acosh(np.array([0.5])).data[0])  # outside the domain: NaN, as torch
        assert F.atanh(np.array([1.0])).data[0] == np.inf
    out = x.deg2rad()
    np.testing.assert_allclose(out.data, [0.5 * math.pi / 180, 2 * math.pi / 180])
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [math.pi / 180] * 2)
    np.testing.assert_allclose(F.degrees(np.array([math.pi])).data, [180.0])
    assert F.radians is F.deg2rad and F.fabs is F.abs
    assert Tensor(np.float32([90])).deg2rad().dtype == np.float32
