"""Input strategies for the reduce family: each entry draws (args, kwargs) for one Function.

(Sum, Mean and Max keep their builders in strategies/__init__.py.) Prod and CumProd draw exact
zeros on purpose: both are linear in each element, so central differences stay exact there.
"""
from __future__ import annotations

from typing import Callable

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


@st.composite
def logsumexp_inputs(draw: Callable) -> tuple:
    """x in [-3, 3], axis, keepdims."""
    x = draw(float_arrays(shapes(), -3.0, 3.0, avoid_zero=0.0))
    return (x,), draw(_axis_kwargs(x.ndim))


@st.composite
def scan_inputs(draw: Callable, zeros: bool = False) -> tuple:
    """x (with zeros for CumProd) and axis None (flattened) or an axis of x."""
    x = draw(with_zeros()) if zeros else draw(float_arrays(shapes()))
    return (x,), {"axis": draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Min": lambda: reduce_inputs(distinct=True),
    "Prod": prod_inputs,
    "Var": moment_inputs,
    "Std": moment_inputs,
    "LogSumExp": logsumexp_inputs,
    "CumSum": scan_inputs,
    "CumProd": lambda: scan_inputs(zeros=True),
}
