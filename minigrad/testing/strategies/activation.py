"""Input strategies for the activation family: each entry draws (args, kwargs) for one Function.

Values stay at least GAP away from every kink (LeakyReLU/ELU/SELU/CELU at 0, the clip points of
Hardtanh/ReLU6/Hardswish/Hardsigmoid, Softplus's threshold), far beyond gradcheck's stencil.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes

GAP = 0.05


def away_from(x: np.ndarray, kinks: tuple, gap: float = GAP) -> np.ndarray:
    """`x` with every value within `gap` of a kink pushed out to that distance."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap)
    return x


def _x(low: float = -3.0, high: float = 3.0, kinks: tuple = ()) -> SearchStrategy:
    return float_arrays(shapes(), low, high, avoid_zero=0.0).map(lambda x: away_from(x, kinks))


def _plain(low: float = -3.0, high: float = 3.0, kinks: tuple = ()) -> SearchStrategy:
    return _x(low, high, kinks).map(lambda x: ((x,), {}))


@st.composite
def softplus_inputs(draw: Callable) -> tuple:
    """x in [-3, 3]; beta in {1, 2, 0.5, -1}; threshold 20 or a small one that x crosses."""
    beta = draw(st.sampled_from([1.0, 2.0, 0.5, -1.0]))
    threshold = draw(st.sampled_from([20.0, 1.0]))
    x = draw(_x(kinks=(threshold / beta,)))
    return (x,), {"beta": beta, "threshold": threshold}


def _with(name: str, values: list, kinks: tuple = (0.0,)) -> SearchStrategy:
    return st.tuples(_x(kinks=kinks), st.sampled_from(values)).map(
        lambda p: ((p[0],), {name: p[1]}))


@st.composite
def hardtanh_inputs(draw: Callable) -> tuple:
    """x in [-3, 3] away from min_val and max_val."""
    lo, hi = draw(st.sampled_from([(-1.0, 1.0), (-0.5, 2.0), (0.0, 6.0)]))
    return (draw(_x(kinks=(lo, hi))),), {"min_val": lo, "max_val": hi}


INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Softplus": softplus_inputs,
    "LeakyReLU": lambda: _with("negative_slope", [0.01, 0.2, -0.5, 1.5]),
    "ELU": lambda: _with("alpha", [1.0, 0.5, 2.0]),
    "CELU": lambda: _with("alpha", [1.0, 0.5, 2.0]),
    "SELU": lambda: _plain(kinks=(0.0,)),
    "GELU": lambda: st.tuples(_x(-4.0, 4.0), st.sampled_from(["none", "tanh"])).map(
        lambda p: ((p[0],), {"approximate": p[1]})),
    "SiLU": lambda: _plain(-4.0, 4.0),
    "QuickGELU": lambda: _plain(-4.0, 4.0),
    "Mish": lambda: _plain(-4.0, 4.0),
    "Hardtanh": hardtanh_inputs,
    "ReLU6": lambda: _plain(-2.0, 8.0, kinks=(0.0, 6.0)),
    "Hardswish": lambda: _plain(-5.0, 5.0, kinks=(-3.0, 3.0)),
    "Hardsigmoid": lambda: _plain(-5.0, 5.0, kinks=(-3.0, 3.0)),
    "Softsign": lambda: _plain(kinks=(0.0,)),
    "LogSigmoid": lambda: _plain(-5.0, 5.0),
}
