"""Parity cases for the dropout family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _dropout(p: float, mask_shape: tuple | None = None):
    def build(rng: np.random.Generator) -> Inputs:
        x = _normal(rng, 4, 3, 5)
        mask = rng.random(mask_shape or x.shape) >= p
        return Inputs({"x": x, "mask": mask}, {"p": p})
    return build


def _torch_dropout(x, mask, p):
    """torch's inverted dropout with the given keep-mask: x * mask / (1 - p) (0 for p = 1)."""
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * mask.to(x.dtype) * scale


CASES: list[ParityCase] = [
    ParityCase("Dropout", mf.Dropout, _dropout(0.3), _torch_dropout,
               note="same keep-mask on both sides"),
    ParityCase("Dropout[channel mask]", mf.Dropout, _dropout(0.5, (4, 3, 1)), _torch_dropout,
               note="mask (N, C, 1) broadcast over the last axis, as dropout1d"),
    ParityCase("Dropout[p=1]", mf.Dropout, _dropout(1.0), _torch_dropout,
               note="everything dropped: zeros, zero gradient"),
]
