"""Parity cases for the pointwise family (conventions and helpers: vis.parity.cases)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional.pointwise as mp
from vis.parity.cases import _binary, _normal, _uniform
from vis.parity.registry import Inputs, ParityCase


def _signs(rng: np.random.Generator) -> Inputs:
    """a with exact zeros and both signs, b (4,) of both signs, zeros included."""
    a = _normal(rng, 3, 4)
    a[0, 1] = 0.0
    return Inputs({"a": a, "b": np.array([-1.5, 0.0, 2.0, -0.3])})


def _far_apart(rng: np.random.Generator) -> Inputs:
    """a, b up to 60 apart (one exp would underflow against the other), broadcast."""
    return Inputs({"a": _normal(rng, 3, 4, scale=20.0), "b": _uniform(rng, -40, 40, 4)})


def _lerp(weight_array: bool):
    def build(rng: np.random.Generator) -> Inputs:
        w = _uniform(rng, -0.5, 1.5, 4) if weight_array else 0.75
        return Inputs({"start": _normal(rng, 3, 4), "end": _normal(rng, 1, 4), "weight": w})
    return build


def _with_nonfinite(rng: np.random.Generator) -> Inputs:
    x = _normal(rng, 3, 4)
    x[0, 0], x[1, 2], x[2, 3] = np.nan, np.inf, -np.inf
    return Inputs({"x": x}, {"nan": 0.5, "posinf": 7.0, "neginf": -7.0})


def _sinc_input(rng: np.random.Generator) -> Inputs:
    x = _uniform(rng, -3.0, 3.0, 3, 4)
    x[1, 1] = 0.0  # value 1 and gradient 0 there
    return Inputs({"x": x})


CASES: list[ParityCase] = [
    ParityCase("Copysign", mp.Copysign, _signs, torch.copysign,
               note="exact zeros in a (gradient 0) and in b (+0 gives +); b gets zeros"),
    ParityCase("LogAddExp", mp.LogAddExp, _binary((3, 4), (4,)), torch.logaddexp),
    ParityCase("LogAddExp[far]", mp.LogAddExp, _far_apart, torch.logaddexp,
               note="differences up to ~60: no overflow, gradients 0 or 1 at the extremes"),
    ParityCase("LogAddExp2", mp.LogAddExp2, _binary((2, 3), (2, 1)), torch.logaddexp2),
    ParityCase("Lerp", mp.Lerp, _lerp(True), torch.lerp,
               note="tensor weight in [-0.5, 1.5]: both sides of torch's formula"),
    ParityCase("Lerp[number]", mp.Lerp, _lerp(False), torch.lerp,
               note="Python-number weight (no gradient)"),
    ParityCase("NanToNum", mp.NanToNum, _with_nonfinite, torch.nan_to_num,
               note="NaN, +inf, -inf replaced; no gradient through them"),
    ParityCase("Sinc", mp.Sinc, _sinc_input, torch.sinc, note="includes x = 0"),
]
