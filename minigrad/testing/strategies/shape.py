"""Input strategies for the shape family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import axis_or_axes, float_arrays, shapes


def _axis(ndim: int) -> SearchStrategy:
    return st.integers(-ndim, ndim - 1)


@st.composite
def swapaxes_inputs(draw: Callable) -> tuple:
    """x and two axes (negative ones too, equal ones allowed)."""
    x = draw(float_arrays(shapes()))
    return (x,), {"axis0": draw(_axis(x.ndim)), "axis1": draw(_axis(x.ndim))}


@st.composite
def moveaxis_inputs(draw: Callable) -> tuple:
    """x and source/destination: single ints or equal-length tuples of distinct axes."""
    x = draw(float_arrays(shapes()))
    k = draw(st.integers(1, x.ndim))
    src = draw(st.permutations(range(x.ndim)))[:k]
    dst = draw(st.permutations(range(-x.ndim, 0)))[:k]
    if k == 1 and draw(st.booleans()):
        return (x,), {"source": src[0], "destination": dst[0]}
    return (x,), {"source": tuple(src), "destination": tuple(dst)}


@st.composite
def squeeze_inputs(draw: Callable) -> tuple:
    """x with some sides of 1, and axis None, an int or a tuple (sides != 1 included)."""
    x = draw(float_arrays(shapes(max_dims=4, max_side=3).map(
        lambda s: tuple(1 if v == 3 else v for v in s))))
    return (x,), {"axis": draw(axis_or_axes(x.ndim))}


@st.composite
def unsqueeze_inputs(draw: Callable) -> tuple:
    """x and a new axis (int, negative too) or a tuple of new axes (numpy expand_dims)."""
    x = draw(float_arrays(shapes()))
    if draw(st.booleans()):
        return (x,), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}
    k = draw(st.integers(1, 2))
    axes = draw(st.lists(st.integers(0, x.ndim + k - 1), min_size=k, max_size=k, unique=True))
    return (x,), {"axis": tuple(axes)}


@st.composite
def expand_inputs(draw: Callable) -> tuple:
    """x with sides of 1 and target sizes: -1 (keep), stretched 1s, new leading sides."""
    x = draw(float_arrays(shapes(max_side=3).map(lambda s: tuple(1 if v == 3 else v for v in s))))
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    for s in x.shape:
        sizes.append(draw(st.sampled_from([-1, s] if s != 1 else [-1, 1, 2, 3])))
    return (x,), {"sizes": tuple(sizes)}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "SwapAxes": swapaxes_inputs, "MoveAxis": moveaxis_inputs, "Squeeze": squeeze_inputs,
    "Unsqueeze": unsqueeze_inputs, "Expand": expand_inputs,
}
