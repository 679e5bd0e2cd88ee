"""Parity cases for the sort family (see vis.parity.cases for the conventions and helpers).

The runner backpropagates every output, so the cases run with return_indices=False (values
only); the int64 indices are compared with torch's in tests/minigrad/ops/test_sort.py.
"""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _x(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, {**consts, "return_indices": False})


def _ties(rng: np.random.Generator) -> np.ndarray:
    """Integer values 0..3 in (4, 6): many exact ties."""
    return rng.integers(0, 4, size=(4, 6)).astype(np.float64)


def _sort_ref(x, axis, descending=False, return_indices=False):
    return torch.sort(x, dim=axis, descending=descending, stable=True).values


def _topk_ref(x, k, axis, largest=True, return_indices=False):
    return torch.topk(x, k, dim=axis, largest=largest).values


CASES: list[ParityCase] = [
    ParityCase("Sort", mf.Sort, _x(lambda r: _normal(r, 3, 5), axis=1), _sort_ref),
    ParityCase("Sort[descending]", mf.Sort, _x(lambda r: _normal(r, 4, 3, 2), axis=0,
                                               descending=True), _sort_ref),
    ParityCase("Sort[ties]", mf.Sort, _x(_ties, axis=1, descending=True), _sort_ref,
               note="ties: both sides stable, so the gradient goes to the same elements"),
    ParityCase("TopK", mf.TopK, _x(lambda r: _normal(r, 3, 6), k=3, axis=1), _topk_ref),
    ParityCase("TopK[smallest]", mf.TopK, _x(lambda r: _normal(r, 5, 2, 3), k=2, axis=0,
                                             largest=False), _topk_ref),
    ParityCase("CumMax", mf.CumMax, _x(lambda r: _normal(r, 3, 6), axis=1),
               lambda x, axis, return_indices: torch.cummax(x, dim=axis).values),
    ParityCase("CumMax[ties]", mf.CumMax, _x(_ties, axis=1),
               lambda x, axis, return_indices: torch.cummax(x, dim=axis).values,
               note="ties: the gradient goes to the last tied index, as torch"),
    ParityCase("CumMin", mf.CumMin, _x(lambda r: _normal(r, 4, 3), axis=0),
               lambda x, axis, return_indices: torch.cummin(x, dim=axis).values),
    ParityCase("CumMin[ties]", mf.CumMin, _x(_ties, axis=-1),
               lambda x, axis, return_indices: torch.cummin(x, dim=axis).values,
               note="ties: the gradient goes to the last tied index, as torch"),
]
