"""Input strategies for the linalg family: each entry draws (args, kwargs) for one Function."""
from __future__ import annotations

from typing import Callable

from hypothesis.strategies import SearchStrategy

INPUTS: dict[str, Callable[[], SearchStrategy]] = {}
