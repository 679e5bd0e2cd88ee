"""Input strategies for the unary family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes, unary_inputs


@st.composite
def off_integers(draw: Callable, low: float, high: float, decimals: bool = False) -> tuple:
    """x = (k + f) / 10^d with f in [low, high] (Floor/Ceil/Trunc: [0.1, 0.9]; Round:
    [-0.4, 0.4]): no jump within reach of the finite differences."""
    v = draw(float_arrays(shapes(), -3.0, 3.0, avoid_zero=0.0))
    d = draw(st.sampled_from([0, 1])) if decimals else 0
    k = np.floor(v)
    x = np.asarray((k + low + (v - k) * (high - low)) / 10.0 ** d)
    return ((x,), {"decimals": d}) if decimals else ((x,), {})


BOUND_LO = (-1.0, -0.5, 0.75)  # with BOUND_HI: both min < max and min > max occur
BOUND_HI = (-0.75, 0.5, 1.0)
_KNOTS = np.array(sorted(BOUND_LO + BOUND_HI))


def _off_knots(v: np.ndarray) -> np.ndarray:
    """v moved >= 0.1 away from every bound value (no tie between x and a bound)."""
    near = np.abs(v[..., None] - _KNOTS)
    k = near.argmin(axis=-1)
    close = near.min(axis=-1) < 0.1
    return np.where(close, _KNOTS[k] + np.where(v >= _KNOTS[k], 0.1, -0.1), v)


@st.composite
def clamp_inputs(draw: Callable) -> tuple:
    """x with min/max given as numbers or broadcastable arrays (one of them may be None); the
    bound values come from small sets (min > max included), x keeps 0.1 away from them."""
    shapes3 = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                     max_side=4)).input_shapes
    x = _off_knots(draw(float_arrays(shapes3[0], avoid_zero=0.0)))

    def bound(values: tuple, shape: tuple) -> Any:
        kind = draw(st.sampled_from(["none", "number", "array"]))
        if kind == "number":
            return draw(st.sampled_from(values))
        if kind == "array":
            idx = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, len(values) - 1)))
            return np.asarray(values)[idx]
        return None

    lo, hi = bound(BOUND_LO, shapes3[1]), bound(BOUND_HI, shapes3[2])
    if lo is None and hi is None:
        lo = draw(st.sampled_from(BOUND_LO))
    return (np.asarray(x), lo, hi), {}


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "Sqrt": lambda: unary_inputs(0.2, 3.0), "Rsqrt": lambda: unary_inputs(0.3, 3.0),
    "Reciprocal": lambda: unary_inputs(-2.0, 2.0, avoid_zero=0.5),
    "Square": unary_inputs, "Abs": unary_inputs, "Sign": unary_inputs,
    "Floor": lambda: off_integers(0.1, 0.9), "Ceil": lambda: off_integers(0.1, 0.9),
    "Trunc": lambda: off_integers(0.1, 0.9), "Round": lambda: off_integers(-0.4, 0.4, True),
    "Sin": lambda: unary_inputs(-3.0, 3.0), "Cos": lambda: unary_inputs(-3.0, 3.0),
    "Tan": lambda: unary_inputs(-1.2, 1.2), "Asin": lambda: unary_inputs(-0.9, 0.9),
    "Acos": lambda: unary_inputs(-0.9, 0.9), "Atan": lambda: unary_inputs(-3.0, 3.0),
    "Sinh": unary_inputs, "Cosh": unary_inputs, "Log1p": lambda: unary_inputs(-0.5, 2.0),
    "Expm1": unary_inputs, "Exp2": unary_inputs, "Log2": lambda: unary_inputs(0.1, 3.0),
    "Log10": lambda: unary_inputs(0.1, 3.0), "Clamp": clamp_inputs,
    "Asinh": lambda: unary_inputs(-3.0, 3.0), "Acosh": lambda: unary_inputs(1.2, 3.0),
    "Atanh": lambda: unary_inputs(-0.8, 0.8),
}
