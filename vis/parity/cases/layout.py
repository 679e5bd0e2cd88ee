"""Parity cases for the layout family (conventions and helpers: vis.parity.cases)."""
from __future__ import annotations

import minigrad.functional.layout as ml
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _x(*shape: int, **consts):
    return lambda rng: Inputs({"x": _normal(rng, *shape)}, consts)


def _unfold(x, dimension, size, step):
    return x.unfold(dimension, size, step)


CASES: list[ParityCase] = [
    ParityCase("Unfold", ml.Unfold, _x(3, 8, 2, dimension=1, size=3, step=2), _unfold,
               note="overlapping windows: their gradients accumulate"),
    ParityCase("Unfold[gaps]", ml.Unfold, _x(7, 3, dimension=-2, size=2, step=3), _unfold,
               note="step > size: skipped elements get 0"),
    ParityCase("Unfold[empty window]", ml.Unfold, _x(3, 3, 3, dimension=1, size=0, step=8),
               _unfold, note="size 0: one empty window"),
]

