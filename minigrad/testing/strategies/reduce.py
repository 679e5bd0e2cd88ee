"""Input strategies for the reduce family: each entry draws (args, kwargs) for one Function.

(Sum, Mean and Max keep their builders in strategies/__init__.py.) Prod draws exact zeros on
purpose: it is linear in each element, so central differences stay exact there.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import _axis_kwargs, float_arrays, reduce_inputs, shapes


@st.composite
def with_zeros(draw: Callable) -> np.ndarray:
    """|x| in [0.5, 1.5] (products stay moderate) with none, one or several exact zeros."""
    x = draw(float_arrays(shapes(), -1.5, 1.5, avoid_zero=0.5))
    zeros = draw(hnp.arrays(np.bool_, x.shape, elements=st.sampled_from([False] * 3 + [True])))
    return np.where(zeros, 0.0, x)


@st.composite
def prod_inputs(draw: Callable) -> tuple:
    """x with zeros, axis (None, int or tuple), keepdims."""
    x = draw(with_zeros())
    return (x,), draw(_axis_kwargs(x.ndim))


@st.composite
def logsumexp_inputs(draw: Callable) -> tuple:
    """x in [-3, 3], axis, keepdims."""
    x = draw(float_arrays(shapes(), -3.0, 3.0, avoid_zero=0.0))
    return (x,), draw(_axis_kwargs(x.ndim))


@st.composite
def nan_inputs(draw: Callable) -> tuple:
    """x with some NaNs (never a whole reduction: the first entry along the reduced axes stays),
    axis, keepdims."""
    x = draw(float_arrays(shapes()))
    kwargs = draw(_axis_kwargs(x.ndim))
    nan = draw(hnp.arrays(np.bool_, x.shape, elements=st.sampled_from([False] * 2 + [True])))
    axes = reduced_axes(x.ndim, kwargs["axis"])
    nan[tuple(slice(0, 1) if a in axes else slice(None) for a in range(x.ndim))] = False
    return (np.where(nan, np.nan, x),), kwargs


def reduced_axes(ndim: int, axis: Any) -> tuple:
    """The axes an `axis` argument (None, int or tuple) of `_axis_kwargs` reduces."""
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Min": lambda: reduce_inputs(distinct=True),
    "Prod": prod_inputs,
    "LogSumExp": logsumexp_inputs,
    "NanSum": nan_inputs,
    "NanMean": nan_inputs,
}
