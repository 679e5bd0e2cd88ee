"""Input strategies for the index family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import (
    broadcastable_pairs,
    float_arrays,
    masks,
    shapes,
    token_ids,
)


@st.composite
def where_inputs(draw: Callable) -> tuple:
    """condition (bool, or 0/1 ints), a, b broadcast together; a or b may be a Python number."""
    sc, sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3,
                                                        max_side=4)).input_shapes
    cond = draw(masks(sc))
    if draw(st.booleans()):
        cond = cond.astype(np.int64)
    a = draw(st.one_of(float_arrays(sa), st.just(0.5)))
    b = draw(float_arrays(sb)) if not isinstance(a, np.ndarray) or draw(st.booleans()) else -1.5
    return (cond, a, b), {}


@st.composite
def masked_fill_inputs(draw: Callable) -> tuple:
    """x, a mask that broadcasts with it, value a number or a 0-d float array."""
    sx, sm = draw(broadcastable_pairs())
    value = draw(st.one_of(st.just(2.5), float_arrays(())))
    return (draw(float_arrays(sx)), draw(masks(sm)), value), {}


@st.composite
def gather_inputs(draw: Callable) -> tuple:
    """x, dim and an index of x's rank (sizes <= x's off dim, any size on dim, repeats)."""
    x = draw(float_arrays(shapes()))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    d = dim % x.ndim
    ishape = tuple(draw(st.integers(1, 4)) if k == d else draw(st.integers(1, s))
                   for k, s in enumerate(x.shape))
    return (x, dim, draw(token_ids(ishape, x.shape[d]))), {}


@st.composite
def index_select_inputs(draw: Callable) -> tuple:
    """x, dim and a 1-D index with repeats."""
    x = draw(float_arrays(shapes()))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    return (x, dim, draw(token_ids((draw(st.integers(1, 5)),), x.shape[dim]))), {}


@st.composite
def triangle_inputs(draw: Callable) -> tuple:
    """x of rank 2 or 3 and a diagonal offset in [-2, 2]."""
    x = draw(float_arrays(shapes(min_dims=2, max_dims=3)))
    return (x,), {"diagonal": draw(st.integers(-2, 2))}


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "Where": where_inputs, "MaskedFill": masked_fill_inputs, "Gather": gather_inputs,
    "IndexSelect": index_select_inputs, "Tril": triangle_inputs, "Triu": triangle_inputs,
}
