"""Parity cases for the moments family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _with(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, consts)


CASES: list[ParityCase] = [
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
    ParityCase("Var[correction 2.5, all]", mf.Var,
               _with(lambda r: _normal(r, 3, 4), correction=2.5),
               lambda x, correction: torch.var(x, correction=correction),
               note="a fractional correction; no axis"),
    ParityCase("Std[axes, keepdims]", mf.Std,
               _with(lambda r: _normal(r, 2, 3, 4), axis=(0, 2), correction=2, keepdims=True),
               lambda x, axis, correction, keepdims: torch.std(x, dim=axis, correction=correction,
                                                               keepdim=keepdims)),
]
