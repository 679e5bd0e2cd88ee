"""Parity cases for the scattering family (conventions and helpers: vis.parity.cases)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional.scattering as ms
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _distinct_targets(rng: np.random.Generator) -> np.ndarray:
    """(3, 3, 4) index along dim 1 of a (3, 5, 4) x: each line hits a position at most once."""
    return np.argsort(rng.random((3, 5, 4)), axis=1)[:, :3, :].astype(np.int64)


def _scatter(reduce: str | None):
    def build(rng: np.random.Generator) -> Inputs:
        index = _distinct_targets(rng) if reduce is None else rng.integers(
            0, 5, size=(3, 3, 4)).astype(np.int64)
        return Inputs({"x": _normal(rng, 3, 5, 4), "dim": 1, "index": index,
                       "src": _normal(rng, 3, 3, 4)}, {} if reduce is None else
                      {"reduce": reduce})
    return build


def _torch_scatter(x, dim, index, src, reduce=None):
    if reduce is None:
        return torch.scatter(x, dim, index, src)
    return torch.scatter_reduce(x, dim, index, src, {"add": "sum", "multiply": "prod"}[reduce])


def _reduce(reduce: str, include_self: bool):
    def build(rng: np.random.Generator) -> Inputs:
        index = rng.integers(0, 3, size=(4, 5)).astype(np.int64)  # repeated targets
        return Inputs({"x": _normal(rng, 4, 3), "dim": 1, "index": index,
                       "src": _normal(rng, 4, 5)},
                      {"reduce": reduce, "include_self": include_self})
    return build


def _prod_with_zeros(rng: np.random.Generator) -> Inputs:
    inputs = _reduce("prod", True)(rng)
    index, src = inputs.args["index"], inputs.args["src"]
    index[0, :3], src[0, :1] = 0, 0.0  # row 0, target 0: one zero among three values
    index[1, :3], src[1, :2] = 1, 0.0  # row 1, target 1: two zeros
    return inputs


def _torch_scatter_reduce(x, dim, index, src, reduce, include_self):
    return torch.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


def _masked(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": _normal(rng, 3, 4), "mask": rng.random((2, 3, 1)) < 0.5})


CASES: list[ParityCase] = [
    ParityCase("Scatter", ms.Scatter, _scatter(None), _torch_scatter,
               note="distinct targets (an overwritten value would have no derivative); src of "
                    "index's shape: torch's backward fails for a larger src"),
    ParityCase("Scatter[add]", ms.Scatter, _scatter("add"), _torch_scatter,
               note="repeated targets accumulate; torch reference: scatter_reduce('sum')"),
    ParityCase("Scatter[multiply]", ms.Scatter, _scatter("multiply"), _torch_scatter,
               note="torch's scatter(reduce='multiply') has no derivative: reference "
                    "scatter_reduce('prod'), the same values"),
    *[ParityCase(f"ScatterReduce[{r}{'' if keep else ', exclude self'}]", ms.ScatterReduce,
                 _reduce(r, keep), _torch_scatter_reduce,
                 note="continuous values: no amax/amin ties" if r in ("amax", "amin") else "")
      for r in ("sum", "prod", "mean", "amax", "amin") for keep in (True, False)],
    ParityCase("ScatterReduce[prod, zeros]", ms.ScatterReduce, _prod_with_zeros,
               _torch_scatter_reduce, note="one and two zeros reduced into one target"),
    ParityCase("MaskedSelect", ms.MaskedSelect, _masked, torch.masked_select,
               note="mask (2, 3, 1) broadcast against x (3, 4): x's gradient sums over it"),
]
