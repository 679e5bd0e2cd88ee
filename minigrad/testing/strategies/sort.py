"""Input strategies for the sort family: each entry draws (args, kwargs) for one Function.

Values are distinct (at least (high - low) / (2 size) apart), so the perturbations of gradcheck
never reorder them: the sorted order, the top k and the running extremes stay the same.
"""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes


@st.composite
def sort_inputs(draw: Callable) -> tuple:
    """Distinct x, an axis, descending and return_indices."""
    x = draw(float_arrays(shapes(), distinct=True))
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1)),
                  "descending": draw(st.booleans()), "return_indices": draw(st.booleans())}


@st.composite
def topk_inputs(draw: Callable) -> tuple:
    """Distinct x, k in [1, n] along a drawn axis, largest."""
    x = draw(float_arrays(shapes(), distinct=True))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    return (x, draw(st.integers(1, x.shape[axis]))), {"axis": axis,
                                                       "largest": draw(st.booleans())}


@st.composite
def scan_inputs(draw: Callable) -> tuple:
    """Distinct x (no ties of the running extreme), an axis, return_indices."""
    x = draw(float_arrays(shapes(), distinct=True))
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1)),
                  "return_indices": draw(st.booleans())}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Sort": sort_inputs,
    "TopK": topk_inputs,
    "CumMax": scan_inputs,
    "CumMin": scan_inputs,
}
