"""Parity cases for the index family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _ints, _normal
from vis.parity.registry import Inputs, ParityCase


def _where(rng: np.random.Generator) -> Inputs:
    """condition (3, 1, 5) bool, a (4, 5), b (3, 4, 1): all three broadcast."""
    return Inputs({"condition": rng.random((3, 1, 5)) < 0.5, "a": _normal(rng, 4, 5),
                   "b": _normal(rng, 3, 4, 1)})


def _where_number(rng: np.random.Generator) -> Inputs:
    return Inputs({"condition": rng.random((3, 4)) < 0.5, "a": _normal(rng, 3, 4), "b": -2.0})


def _masked_fill(tensor_value: bool):
    def build(rng: np.random.Generator) -> Inputs:
        value = np.array(0.75) if tensor_value else -3.5
        return Inputs({"x": _normal(rng, 4, 5), "mask": rng.random((3, 1, 5)) < 0.4,
                       "value": value})
    return build


def _gather(rng: np.random.Generator) -> Inputs:
    """index (3, 2, 6) into x (3, 4, 5) along dim 2: smaller on dim 1, repeats on dim 2."""
    return Inputs({"x": _normal(rng, 3, 4, 5), "dim": 2, "index": _ints(rng, 5, 3, 2, 6)})


def _gather_dim0(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": _normal(rng, 4, 3), "dim": 0, "index": _ints(rng, 4, 6, 3)})


def _index_select(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": _normal(rng, 3, 4, 5), "dim": -2,
                   "index": np.array([3, 0, 3, 3, 1], dtype=np.int64)})


def _triangle(diagonal: int):
    return lambda rng: Inputs({"x": _normal(rng, 2, 4, 5)}, {"diagonal": diagonal})


CASES: list[ParityCase] = [
    ParityCase("Where", mf.Where, _where, torch.where,
               note="condition, a and b all broadcast"),
    ParityCase("Where[number b]", mf.Where, _where_number, torch.where,
               note="b a Python number"),
    ParityCase("MaskedFill", mf.MaskedFill, _masked_fill(False),
               lambda x, mask, value: x.masked_fill(mask, value),
               note="number value; the mask broadcasts x to (3, 4, 5)"),
    ParityCase("MaskedFill[tensor value]", mf.MaskedFill, _masked_fill(True),
               lambda x, mask, value: x.masked_fill(mask, value),
               note="0-d tensor value: its gradient is dout summed over the mask"),
    ParityCase("Gather", mf.Gather, _gather, torch.gather,
               note="index smaller than x off dim; repeated indices accumulate"),
    ParityCase("Gather[dim 0]", mf.Gather, _gather_dim0, torch.gather,
               note="more rows gathered than x has"),
    ParityCase("IndexSelect", mf.IndexSelect, _index_select, torch.index_select,
               note="negative dim, repeated indices accumulate"),
    ParityCase("Tril", mf.Tril, _triangle(0), lambda x, diagonal: torch.tril(x, diagonal)),
    ParityCase("Tril[diagonal -1]", mf.Tril, _triangle(-1),
               lambda x, diagonal: torch.tril(x, diagonal)),
    ParityCase("Triu", mf.Triu, _triangle(0), lambda x, diagonal: torch.triu(x, diagonal)),
    ParityCase("Triu[diagonal 2]", mf.Triu, _triangle(2),
               lambda x, diagonal: torch.triu(x, diagonal)),
]
