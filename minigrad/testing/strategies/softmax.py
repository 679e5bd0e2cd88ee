"""Input strategies for the softmax family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes
from minigrad.testing.strategies.activation import _x


@st.composite
def softmax_inputs(draw: Callable) -> tuple:
    """x (any shape) in [-3, 3] and an axis of it."""
    x = draw(_x())
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


@st.composite
def glu_inputs(draw: Callable) -> tuple:
    """x in [-3, 3] whose halved axis has an even size (2 or 4), and that axis."""
    shape = list(draw(shapes()))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shape[axis] = draw(st.sampled_from([2, 4]))
    return (draw(float_arrays(tuple(shape), -3.0, 3.0, avoid_zero=0.0)),), {"axis": axis}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Softmax": softmax_inputs,
    "LogSoftmax": softmax_inputs,
    "GLU": glu_inputs,
}
