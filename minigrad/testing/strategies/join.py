"""Input strategies for the join family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import axis_or_axes, float_arrays, shapes


@st.composite
def split_inputs(draw: Callable) -> tuple:
    """x, an axis and an int piece size or a list of sizes (zeros too) summing to the side."""
    x = draw(float_arrays(shapes()))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    if draw(st.booleans()):
        return (x,), {"split_size_or_sections": draw(st.integers(1, n + 1)), "axis": axis}
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return (x,), {"split_size_or_sections": sizes, "axis": axis}


@st.composite
def pad_inputs(draw: Callable) -> tuple:
    """x, torch-style pad pairs (last dims first, crops in constant mode), mode and value."""
    x = draw(float_arrays(shapes(max_dims=3, min_side=2)))
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular", "symmetric"]))
    k = draw(st.integers(1, x.ndim))
    pad = []
    for d in range(k):
        n = x.shape[x.ndim - 1 - d]
        lo = -1 if mode == "constant" and n > 2 else 0
        hi = n - 1 if mode == "reflect" else n
        pad += [draw(st.integers(lo, hi)), draw(st.integers(lo, hi + 2))]
    value = draw(st.floats(-2, 2)) if mode == "constant" else 0.0
    return (x,), {"pad": tuple(pad), "mode": mode, "value": value}


@st.composite
def flip_inputs(draw: Callable) -> tuple:
    """x and axis: None, an int or a tuple of distinct axes."""
    x = draw(float_arrays(shapes()))
    return (x,), {"axis": draw(axis_or_axes(x.ndim))}


@st.composite
def roll_inputs(draw: Callable) -> tuple:
    """x, shifts (beyond the side and negative too) and axis None, an int or a tuple."""
    x = draw(float_arrays(shapes()))
    shift = st.integers(-6, 6)
    kind = draw(st.sampled_from(["flat", "int", "tuple"]))
    if kind == "flat":
        return (x,), {"shifts": draw(shift), "axis": None}
    if kind == "int":
        return (x,), {"shifts": draw(shift), "axis": draw(st.integers(-x.ndim, x.ndim - 1))}
    axes = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True))
    shifts = [draw(shift) for _ in axes]
    return (x,), {"shifts": tuple(shifts), "axis": tuple(axes)}


@st.composite
def tile_inputs(draw: Callable) -> tuple:
    """x and reps shorter or longer than x.ndim (numpy tile)."""
    x = draw(float_arrays(shapes(max_side=3)))
    reps = draw(st.lists(st.integers(1, 3), min_size=1, max_size=x.ndim + 1))
    return (x,), {"reps": tuple(reps)}


@st.composite
def repeat_interleave_inputs(draw: Callable) -> tuple:
    """x, repeats (an int or one count per element, zeros too) and axis (None flattens)."""
    x = draw(float_arrays(shapes(max_side=3)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    repeats = draw(st.one_of(st.integers(1, 3),
                             st.lists(st.integers(0, 3), min_size=n, max_size=n)))
    return (x,), {"repeats": repeats, "axis": axis}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Split": split_inputs, "Pad": pad_inputs, "Flip": flip_inputs, "Roll": roll_inputs,
    "Tile": tile_inputs, "RepeatInterleave": repeat_interleave_inputs,
}
