"""Input strategies for the elementwise family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import binary_inputs, broadcastable_pairs, float_arrays


def _on_grid(v: np.ndarray, step: float, lo: float, width: float) -> np.ndarray:
    """Each value moved into [k step + lo, k step + lo + width) of its own step-cell k."""
    cell = np.floor(v / step)
    return np.asarray(cell * step + lo + (v / step - cell) * width, dtype=v.dtype)


@st.composite
def separated_pairs(draw: Callable) -> tuple:
    """Broadcastable a, b whose values never come within 0.02 of each other (no max/min ties):
    a lies in [0.2k, 0.2k + 0.08), b in [0.2k + 0.1, 0.2k + 0.18)."""
    sa, sb = draw(broadcastable_pairs())
    a = _on_grid(draw(float_arrays(sa, avoid_zero=0.0)), 0.2, 0.0, 0.08)
    b = _on_grid(draw(float_arrays(sb, avoid_zero=0.0)), 0.2, 0.1, 0.08)
    return (a, b) if draw(st.booleans()) else (b, a)


@st.composite
def extremum_inputs(draw: Callable) -> tuple:
    """Maximum / Minimum: separated a, b, or b a Python number in the gaps between both grids
    (>= 0.01 away from either)."""
    a, b = draw(separated_pairs())
    if draw(st.booleans()):
        b = draw(st.sampled_from([0.09, -0.31, 1.19]))
    return (a, b), {}


DIVISORS = (0.5, 1.0, 1.5, 2.0, -0.5, -1.0, -1.5, -2.0)


@st.composite
def division_inputs(draw: Callable) -> tuple:
    """Remainder / Fmod / FloorDivide: b in ±{0.5, 1, 1.5, 2} (array or number), a = 0.5 k + f
    with f in [0.1, 0.4]: a / b stays >= 0.05 away from every integer (no jump in reach)."""
    sa, sb = draw(broadcastable_pairs())
    a = _on_grid(draw(float_arrays(sa, -3.0, 3.0, avoid_zero=0.0)), 0.5, 0.1, 0.3)
    if draw(st.booleans()):
        return (a, draw(st.sampled_from(DIVISORS))), {}
    idx = draw(float_arrays(sb, 0.0, len(DIVISORS) - 1e-9, avoid_zero=0.0))
    return (a, np.array(DIVISORS)[idx.astype(int)]), {}


def _away_from_origin() -> SearchStrategy:
    """Atan2 / Hypot: broadcastable a, b with |a|, |b| >= 0.1."""
    return binary_inputs()


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "Maximum": extremum_inputs, "Minimum": extremum_inputs,
    "Remainder": division_inputs, "Fmod": division_inputs, "FloorDivide": division_inputs,
    "Atan2": _away_from_origin, "Hypot": _away_from_origin,
}
