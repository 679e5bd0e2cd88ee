"""Input strategies for the scattering family: each entry draws (args, kwargs) for a Function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import broadcastable_pairs, float_arrays, masks, shapes


@st.composite
def _layout(draw: Callable, distinct_targets: bool) -> tuple:
    """x shape, dim, index (sizes <= x's, any size along dim when targets may repeat), and a
    src shape >= index's. Distinct targets: every line along dim hits each position once."""
    xs = draw(shapes(1, 3))
    d = draw(st.integers(0, len(xs) - 1))
    n = xs[d]
    ishape = [draw(st.integers(1, s)) for s in xs]
    if not distinct_targets:
        ishape[d] = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if distinct_targets:
        keys = rng.random(tuple(ishape[:d]) + (n,) + tuple(ishape[d + 1:]))
        index = np.argsort(keys, axis=d).take(range(ishape[d]), axis=d)
    else:
        index = rng.integers(0, n, size=ishape)
    sshape = tuple(i + draw(st.integers(0, 1)) for i in ishape)
    return tuple(xs), d, index.astype(np.int64), sshape


@st.composite
def scatter_inputs(draw: Callable) -> tuple:
    """x, dim, index, src and reduce: None with distinct targets (an overwritten value has no
    effect, so only then does a finite difference see torch's gathered gradient), 'add' or
    'multiply' with repeated targets; src may be a number."""
    reduce = draw(st.sampled_from([None, "add", "multiply"]))
    xs, d, index, sshape = draw(_layout(reduce is None))
    src = draw(st.one_of(float_arrays(sshape), st.sampled_from([0.5, -1.5])))
    return (draw(float_arrays(xs)), d, index, src), {"reduce": reduce}


@st.composite
def scatter_reduce_inputs(draw: Callable) -> tuple:
    """x, dim, index (repeated targets), src, reduce and include_self; all values distinct
    (>= 0.1 apart) so that amax/amin have no ties."""
    xs, d, index, sshape = draw(_layout(False))
    nx, ns = int(np.prod(xs)), int(np.prod(sshape))
    values = draw(float_arrays((nx + ns,), -2.0, 2.0, distinct=True))
    x, src = values[:nx].reshape(xs), values[nx:].reshape(sshape)
    reduce = draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
    return (x, d, index, src), {"reduce": reduce, "include_self": draw(st.booleans())}


@st.composite
def masked_select_inputs(draw: Callable) -> tuple:
    """x and a bool mask broadcasting together (all-False masks too)."""
    sx, sm = draw(broadcastable_pairs())
    return (draw(float_arrays(sx)), draw(masks(sm))), {}


INPUTS: dict[str, Callable[[], SearchStrategy[Any]]] = {
    "Scatter": scatter_inputs, "ScatterReduce": scatter_reduce_inputs,
    "MaskedSelect": masked_select_inputs,
}
