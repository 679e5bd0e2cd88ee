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


def _nans(rng: np.random.Generator) -> np.ndarray:
    """(3, 4, 5) normal values, a fifth of them NaN (none of the reductions below all NaN)."""
    x = _normal(rng, 3, 4, 5)
    nan = rng.random(x.shape) < 0.2
    nan[:, 0, 0] = False
    return np.where(nan, np.nan, x)


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
    ParityCase("LogSumExp", mf.LogSumExp, _with(_scores, axis=2, keepdims=False),
               lambda x, axis, keepdims: torch.logsumexp(x, dim=axis, keepdim=keepdims),
               note="includes a score of 1e4 (no overflow)"),
    ParityCase("LogSumExp[axes]", mf.LogSumExp, _with(_scores, axis=(0, 1), keepdims=True),
               lambda x, axis, keepdims: torch.logsumexp(x, dim=axis, keepdim=keepdims)),
    ParityCase("NanSum", mf.NanSum, _with(_nans, axis=1, keepdims=False),
               lambda x, axis, keepdims: torch.nansum(x, dim=axis, keepdim=keepdims),
               note="NaNs count as 0 and get no gradient"),
    ParityCase("NanSum[all]", mf.NanSum, _with(_nans), torch.nansum),
    ParityCase("NanMean", mf.NanMean, _with(_nans, axis=(0, 2), keepdims=True),
               lambda x, axis, keepdims: torch.nanmean(x, dim=axis, keepdim=keepdims),
               note="the mean of the non-NaN entries of each reduction"),
    ParityCase("Prod[empty axis]", mf.Prod, _with(lambda r: _normal(r, 3, 0, 2), axis=1,
                                                  keepdims=False), _torch_prod,
               note="a product over nothing is 1"),
    ParityCase("Sum[empty axis]", mf.Sum, _with(lambda r: _normal(r, 3, 0, 2), axis=(0, 1),
                                                keepdims=True),
               lambda x, axis, keepdims: x.sum(dim=axis, keepdim=keepdims),
               note="a sum over nothing is 0"),
]
