"""Parity cases for the reduce family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _dims, _normal, _ties
from vis.parity.registry import Inputs, ParityCase


def _with(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, consts)


def _zeros(rng: np.random.Generator) -> np.ndarray:
    """(4, 5) values with |x| in [0.5, 1.5]; row 1 has one zero, row 2 two, row 3 three."""
    x = rng.uniform(0.5, 1.5, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))
    x[1, 2] = 0.0
    x[2, [0, 3]] = 0.0
    x[3, [1, 2, 4]] = 0.0
    return x


def _torch_prod(x, axis=None, keepdims=False):
    if axis is None:
        out = x.prod()
        return out.reshape((1,) * x.ndim) if keepdims else out
    for a in sorted(_dims(x, axis), reverse=True):
        x = x.prod(dim=a, keepdim=keepdims)
    return x


def _scores(rng: np.random.Generator) -> np.ndarray:
    x = _normal(rng, 3, 4, 5, scale=3.0)
    x[1, 2, 0] = 1e4  # a huge score must not overflow
    return x


CASES: list[ParityCase] = [
    ParityCase("Min", mf.Min, _with(lambda r: _normal(r, 3, 4, 5), axis=(0, 2), keepdims=True),
               lambda x, axis, keepdims: torch.amin(x, dim=axis, keepdim=keepdims)),
    ParityCase("Min[ties]", mf.Min, _ties,
               lambda x, axis, keepdims: torch.amin(x, dim=axis, keepdim=keepdims),
               note="integer-valued x with ties: the gradient is shared equally, as torch.amin"),
    ParityCase("Prod", mf.Prod, _with(lambda r: _normal(r, 3, 4, 2), axis=(0, 2),
                                      keepdims=False), _torch_prod,
               note="torch.prod reduces one dim at a time"),
    ParityCase("Prod[zeros]", mf.Prod, _with(_zeros, axis=1, keepdims=True), _torch_prod,
               note="rows with no, one, two and three zeros"),
    ParityCase("Prod[all]", mf.Prod, _with(lambda r: _normal(r, 2, 3) + 2.0), _torch_prod),
    ParityCase("Var", mf.Var, _with(lambda r: _normal(r, 3, 4, 5), axis=(0, 2), correction=1,
                                    keepdims=False),
               lambda x, axis, correction, keepdims: torch.var(x, dim=axis, correction=correction,
                                                               keepdim=keepdims)),
    ParityCase("Var[ddof 0]", mf.Var, _with(lambda r: _normal(r, 4, 6), axis=1, correction=0,
                                            keepdims=True),
               lambda x, axis, correction, keepdims: torch.var(x, dim=axis, correction=correction,
                                                               keepdim=keepdims)),
    ParityCase("Std", mf.Std, _with(lambda r: _normal(r, 3, 4, 5), axis=-1, correction=1,
                                    keepdims=False),
               lambda x, axis, correction, keepdims: torch.std(x, dim=axis, correction=correction,
                                                               keepdim=keepdims)),
    ParityCase("Std[all, ddof 0]", mf.Std, _with(lambda r: _normal(r, 3, 4), correction=0),
               lambda x, correction: torch.std(x, correction=correction)),
    ParityCase("LogSumExp", mf.LogSumExp, _with(_scores, axis=2, keepdims=False),
               lambda x, axis, keepdims: torch.logsumexp(x, dim=axis, keepdim=keepdims),
               note="includes a score of 1e4 (no overflow)"),
    ParityCase("LogSumExp[axes]", mf.LogSumExp, _with(_scores, axis=(0, 1), keepdims=True),
               lambda x, axis, keepdims: torch.logsumexp(x, dim=axis, keepdim=keepdims)),
    ParityCase("CumSum", mf.CumSum, _with(lambda r: _normal(r, 3, 4, 5), axis=1),
               lambda x, axis: torch.cumsum(x, dim=axis)),
    ParityCase("CumSum[flat]", mf.CumSum, _with(lambda r: _normal(r, 3, 4)),
               lambda x: torch.cumsum(x.reshape(-1), dim=0),
               note="axis None scans the flattened x (numpy); torch on x.reshape(-1)"),
    ParityCase("CumProd", mf.CumProd, _with(lambda r: _normal(r, 3, 6), axis=1),
               lambda x, axis: torch.cumprod(x, dim=axis)),
    ParityCase("CumProd[zeros]", mf.CumProd, _with(_zeros, axis=-1),
               lambda x, axis: torch.cumprod(x, dim=axis), note="rows with one to three zeros"),
]
