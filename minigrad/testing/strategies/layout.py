"""Input strategies for the layout family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes


@st.composite
def unfold_inputs(draw: Callable) -> tuple:
    """x, a dimension, a window size in [0, side] and a step in [1, 3] (overlapping windows
    when step < size, gaps when step > size)."""
    x = draw(float_arrays(shapes(1, 3)))
    d = draw(st.integers(-x.ndim, x.ndim - 1))
    size = draw(st.integers(0, x.shape[d]))
    return (x,), {"dimension": d, "size": size, "step": draw(st.integers(1, 3))}


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {"Unfold": unfold_inputs}
