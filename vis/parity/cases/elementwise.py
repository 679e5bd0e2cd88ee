"""Parity cases for the elementwise family (conventions and helpers: vis.parity.cases)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _binary, _normal
from vis.parity.registry import Inputs, ParityCase


def _ties(rng: np.random.Generator) -> Inputs:
    """Integer-valued a (3, 4), b (4,): many exact ties a == b."""
    return Inputs({"a": rng.integers(-2, 3, size=(3, 4)).astype(np.float64),
                   "b": rng.integers(-2, 3, size=4).astype(np.float64)})


def _division(b_scalar: bool = False):
    """a (3, 4) spread over several periods, b (4,) of both signs with |b| in [0.5, 2]."""
    def build(rng: np.random.Generator) -> Inputs:
        a = _normal(rng, 3, 4, scale=4.0)
        b = -1.5 if b_scalar else rng.uniform(0.5, 2.0, 4) * rng.choice([-1.0, 1.0], 4)
        return Inputs({"a": a, "b": b})
    return build


def _pow_at_zero(rng: np.random.Generator) -> Inputs:
    """x with zeros against tensor exponents 0, 2, 0.5: torch's masked gradients there."""
    x = np.array([[0.0, 0.0, 2.0, 0.5], [0.0, 1.5, 0.7, 0.0]])
    p = np.array([[0.0, 2.0, 0.0, 3.0], [1.0, -1.0, 0.5, 3.5]])
    return Inputs({"x": x, "p": p})


CASES: list[ParityCase] = [
    ParityCase("Pow[x=0]", mf.Pow, _pow_at_zero, torch.pow,
               note="x == 0 with p >= 0: dp = 0; p == 0: dx = 0 (torch's masks)"),
    ParityCase("Maximum", mf.Maximum, _binary((3, 4), (4,)), torch.maximum,
               note="continuous inputs, b broadcast"),
    ParityCase("Maximum[ties]", mf.Maximum, _ties, torch.maximum,
               note="integer-valued inputs: a tie splits the gradient in half, as torch"),
    ParityCase("Minimum", mf.Minimum, _binary((2, 1, 4), (3, 1)), torch.minimum,
               note="both operands broadcast"),
    ParityCase("Minimum[ties]", mf.Minimum, _ties, torch.minimum,
               note="integer-valued inputs: a tie splits the gradient in half, as torch"),
    ParityCase("Remainder", mf.Remainder, _division(), torch.remainder,
               note="divisors of both signs: the result takes b's sign"),
    ParityCase("Remainder[scalar b]", mf.Remainder, _division(b_scalar=True),
               torch.remainder, note="b = -1.5, a Python number"),
    ParityCase("Fmod", mf.Fmod, _division(), torch.fmod,
               note="divisors of both signs: the result takes a's sign"),
    ParityCase("FloorDivide", mf.FloorDivide, _division(),
               lambda a, b: torch.div(a, b, rounding_mode="floor"),
               note="torch.floor_divide has no derivative; div(rounding_mode='floor') is the "
                    "same values with zero gradients"),
    ParityCase("Atan2", mf.Atan2, _binary((3, 4), (3, 4)), torch.atan2,
               note="all four quadrants"),
    ParityCase("Hypot", mf.Hypot, _binary((3, 4), (4,)), torch.hypot),
]
