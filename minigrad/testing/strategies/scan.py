"""Input strategies for the scan family: each entry draws (args, kwargs) for one Function.

CumProd draws exact zeros on purpose: it is linear in each element, so central differences
stay exact there.
"""
from __future__ import annotations

from typing import Callable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes
from minigrad.testing.strategies.reduce import with_zeros


@st.composite
def scan_inputs(draw: Callable, zeros: bool = False, low: float = -2.0,
                high: float = 2.0) -> tuple:
    """x in [low, high] (with zeros for CumProd) and axis None (flattened) or an axis of x."""
    x = draw(with_zeros()) if zeros else draw(float_arrays(shapes(), low, high))
    return (x,), {"axis": draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "CumSum": scan_inputs,
    "CumProd": lambda: scan_inputs(zeros=True),
    "LogCumSumExp": lambda: scan_inputs(low=-4.0, high=4.0),
}
