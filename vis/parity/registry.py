"""`ParityCase`: one minigrad Function checked against a torch reference on the same inputs."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Builder = Callable[[np.random.Generator], "Inputs"]


@dataclass(frozen=True)
class Inputs:
    """Positional inputs by name (in call order) and the keyword constants of one call.

    Float arrays are the differentiable inputs; integer / bool arrays and Python numbers are
    passed unchanged to minigrad and as torch tensors (int64 / bool) or numbers to the reference.
    """

    args: dict[str, Any]
    consts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParityCase:
    """A Function, an input builder, a torch reference `reference(*tensors, **consts)`, tolerances.

    Each forward output and input gradient passes when max |minigrad - torch| <= atol + rtol * S,
    S the largest |value| over all the torch arrays compared;
    `note` says why a tolerance is looser than the default or what convention was mapped.
    """

    label: str
    function: type
    build: Builder
    reference: Callable[..., Any]
    atol: float = 1e-10
    rtol: float = 0.0
    note: str = ""

    @property
    def function_name(self) -> str:
        """Name of the minigrad Function class under test."""
        return self.function.__name__

    def tolerance(self, ref_scale: float) -> float:
        """Allowed max abs error for a reference whose largest magnitude is `ref_scale`."""
        return self.atol + self.rtol * ref_scale


def by_label(cases: list[ParityCase]) -> dict[str, ParityCase]:
    """{label: case}; raises ValueError on a duplicate label."""
    out: dict[str, ParityCase] = {}
    for c in cases:
        if c.label in out:
            raise ValueError(f"parity registry: duplicate case label {c.label!r}")
        out[c.label] = c
    return out


def covered_functions(cases: list[ParityCase]) -> set[str]:
    """Names of the Function classes that have at least one case."""
    return {c.function_name for c in cases}
