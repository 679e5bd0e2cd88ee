"""Input strategies for the pointwise family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import binary_inputs, float_arrays, shapes, unary_inputs


@st.composite
def lerp_inputs(draw: Callable) -> tuple:
    """start, end and weight broadcasting together; weight a number or an array in [-0.5, 1.5]
    (both branches of torch's two-sided formula), away from 0 and 1."""
    s1, s2, s3 = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                        max_side=4)).input_shapes
    if draw(st.booleans()):
        w = draw(st.sampled_from([-0.4, 0.25, 0.5, 0.7, 1.3]))
    else:  # |w| and |1 - w| >= 0.1: no gradient vanishes into the finite-difference noise
        w = draw(float_arrays(s3, -0.5, 1.5))
        w = np.where(np.abs(w - 1) < 0.1, 1.2, w)
    return (draw(float_arrays(s1)), draw(float_arrays(s2)), w), {}


@st.composite
def nan_to_num_inputs(draw: Callable) -> tuple:
    """x with some NaN / +inf / -inf planted (no gradient there) and moderate replacement
    values (the default +-1.8e308 would overflow the checker's sums)."""
    x = draw(float_arrays(shapes()))
    bad = draw(hnp.arrays(np.int8, x.shape, elements=st.integers(0, 5)))
    if draw(st.booleans()):  # default replacements (~1.8e308) only with NaN planted
        return (np.where(bad == 1, np.nan, x),), {}
    x = np.where(bad == 1, np.nan, np.where(bad == 2, np.inf, np.where(bad == 3, -np.inf, x)))
    return (x,), {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "Copysign": binary_inputs, "LogAddExp": binary_inputs, "LogAddExp2": binary_inputs,
    "Lerp": lerp_inputs, "NanToNum": nan_to_num_inputs,
    "Sinc": lambda: unary_inputs(-2.5, 2.5),
}
