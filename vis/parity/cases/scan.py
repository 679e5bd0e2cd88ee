"""Parity cases for the scan family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.cases.reduce import _zeros
from vis.parity.registry import Inputs, ParityCase


def _with(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, consts)


def _wide(rng: np.random.Generator) -> np.ndarray:
    """(3, 6) values from -1000 to 1000: exp under- and overflows, logaddexp does not."""
    x = _normal(rng, 3, 6, scale=3.0)
    x[0, :3] = [-1000.0, 0.0, 1000.0]
    x[1, :3] = [100.0, -50.0, 0.0]
    x[2, 4] = -700.0
    return x


CASES: list[ParityCase] = [
    ParityCase("CumSum", mf.CumSum, _with(lambda r: _normal(r, 3, 4, 5), axis=1),
               lambda x, axis: torch.cumsum(x, dim=axis)),
    ParityCase("CumSum[flat]", mf.CumSum, _with(lambda r: _normal(r, 3, 4)),
               lambda x: torch.cumsum(x.reshape(-1), dim=0),
               note="axis None scans the flattened x (numpy); torch on x.reshape(-1)"),
    ParityCase("CumProd", mf.CumProd, _with(lambda r: _normal(r, 3, 6), axis=1),
               lambda x, axis: torch.cumprod(x, dim=axis)),
    ParityCase("CumProd[zeros]", mf.CumProd, _with(_zeros, axis=-1),
               lambda x, axis: torch.cumprod(x, dim=axis), note="rows with one to three zeros"),

    ParityCase("CumSum[empty axis]", mf.CumSum, _with(lambda r: _normal(r, 2, 0, 3), axis=1),
               lambda x, axis: torch.cumsum(x, dim=axis)),
    ParityCase("LogCumSumExp", mf.LogCumSumExp, _with(lambda r: _normal(r, 3, 4, 5, scale=2.0),
                                                      axis=1),
               lambda x, axis: torch.logcumsumexp(x, dim=axis)),
    ParityCase("LogCumSumExp[wide]", mf.LogCumSumExp, _with(_wide, axis=-1),
               lambda x, axis: torch.logcumsumexp(x, dim=axis),
               note="values +-1000 and -700: no overflow, no underflow to -inf"),
    ParityCase("LogCumSumExp[flat]", mf.LogCumSumExp, _with(lambda r: _normal(r, 3, 4)),
               lambda x: torch.logcumsumexp(x.reshape(-1), dim=0),
               note="axis None scans the flattened x (as cumsum); torch on x.reshape(-1)"),
]
