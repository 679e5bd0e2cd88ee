"""Parity cases for the softmax family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.cases.activation import _spread, _with
from vis.parity.registry import ParityCase


def _scores(rng: np.random.Generator) -> np.ndarray:
    x = _normal(rng, 3, 5, 4, scale=3.0)
    x[1, 2, 0] = 1e4  # a huge score must not overflow
    x[2, 0, 3] = -1e4
    return x


CASES: list[ParityCase] = [
    ParityCase("Softmax", mf.Softmax, _with(_scores, axis=1),
               lambda x, axis: F.softmax(x, dim=axis), note="scores of +-1e4 (no overflow)"),
    ParityCase("Softmax[last]", mf.Softmax, _with(_scores), lambda x: F.softmax(x, dim=-1)),
    ParityCase("LogSoftmax", mf.LogSoftmax, _with(_scores, axis=0),
               lambda x, axis: F.log_softmax(x, dim=axis), note="scores of +-1e4 (no overflow)"),
    ParityCase("LogSoftmax[last]", mf.LogSoftmax, _with(_scores),
               lambda x: F.log_softmax(x, dim=-1)),
    ParityCase("GLU", mf.GLU, _with(lambda r: _normal(r, 3, 4, 6, scale=2.0), axis=-1),
               lambda x, axis: F.glu(x, dim=axis)),
    ParityCase("GLU[axis 0, wide]", mf.GLU, _with(lambda r: _spread(r).T, axis=0),
               lambda x, axis: F.glu(x, dim=axis), note="|x| up to 40 (the sigmoid saturates)"),
]
