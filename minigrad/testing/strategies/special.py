"""Input strategies for the special family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis.strategies import SearchStrategy

from minigrad.testing.strategies import float_arrays, shapes

INPUTS: dict[str, Callable[[], SearchStrategy]] = {
    "Erf": lambda: float_arrays(shapes(), -3.5, 3.5, avoid_zero=0.0).map(lambda x: ((x,), {})),
}
