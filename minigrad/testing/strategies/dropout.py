"""Input strategies for the dropout family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, masks, shapes


@st.composite
def dropout_inputs(draw: Callable) -> tuple:
    """x of any small shape, a keep-mask of its shape (or one broadcasting to it), p."""
    x = draw(float_arrays(shapes()))
    mshape = tuple(draw(st.sampled_from([s, 1])) for s in x.shape)
    mask = draw(masks(mshape if draw(st.booleans()) else x.shape))
    p = draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]))
    return (x, np.asarray(mask)), {"p": p}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {"Dropout": dropout_inputs}
