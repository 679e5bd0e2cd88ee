"""Input strategies for the moments family (Var, Std): each entry draws (args, kwargs)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _axis_kwargs, float_arrays, shapes


@st.composite
def moment_inputs(draw: Callable) -> tuple:
    """Well-spread x, axis, keepdims and a correction (0, 1 or 0.5) the reduction size allows.

    x = exp(distinct values): an evenly spaced slice would have an element at its mean, whose
    gradient is 0 and whose numerical value is pure rounding (an infinite relative error).
    """
    x = np.exp(draw(float_arrays(shapes(), distinct=True)))
    kwargs = draw(_axis_kwargs(x.ndim))
    axis = kwargs["axis"]
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    n = int(np.prod([x.shape[a] for a in axes]))
    corrections = [0, 1, 0.5] if n > 1 else [0, 0.5]
    return (x,), {**kwargs, "correction": draw(st.sampled_from(corrections))}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Var": moment_inputs,
    "Std": moment_inputs,
}
