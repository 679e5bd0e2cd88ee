"""Parity cases for the unary family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _away_from_zero, _normal, _unary, _uniform
from vis.parity.registry import Inputs, ParityCase


def _normal34(scale: float = 1.0):
    return _unary(lambda r: _normal(r, 3, 4, scale=scale))


def _positive(lo: float = 0.2, hi: float = 3.0):
    return _unary(lambda r: _uniform(r, lo, hi, 3, 4))


def _with_zeros(rng: np.random.Generator) -> Inputs:
    """Normal values with exact zeros (the kink of abs, the jump of sign)."""
    x = _normal(rng, 3, 4)
    x[0, :2] = 0.0
    return Inputs({"x": x})


def _grid(rng: np.random.Generator) -> np.ndarray:
    """Integer values -2..2 (exact ties with the bounds -1, 1 and with each other)."""
    return rng.integers(-2, 3, size=(4, 5)).astype(np.float64)


def _clamp_numbers(ties: bool):
    def build(rng: np.random.Generator) -> Inputs:
        x = _grid(rng) if ties else _normal(rng, 3, 4)
        return Inputs({"x": x}, {"min": -1.0, "max": 1.0})
    return build


def _clamp_tensors(ties: bool, which: str = "both"):
    def build(rng: np.random.Generator) -> Inputs:
        if ties:  # x, min, max in -2..2: x == min, x == max, min == max and min > max all occur
            x, lo, hi = _grid(rng), _grid(rng), _grid(rng)
        else:
            x, lo, hi = _normal(rng, 4, 5), _uniform(rng, -1.5, 0.0, 5), _uniform(rng, 0, 1.5, 4, 1)
        return Inputs({"x": x, "min": None if which == "max" else lo,
                       "max": None if which == "min" else hi})
    return build


def _clamp_ref(x, min=None, max=None):  # noqa: A002
    return torch.clamp(x, min, max)


def _round_ref(x, decimals=0):
    return torch.round(x, decimals=decimals)


CASES: list[ParityCase] = [
    ParityCase("Sqrt", mf.Sqrt, _positive(), torch.sqrt),
    ParityCase("Rsqrt", mf.Rsqrt, _positive(), torch.rsqrt),
    ParityCase("Reciprocal", mf.Reciprocal, _unary(lambda r: _away_from_zero(r, 3, 4)),
               torch.reciprocal, note="|x| >= 0.1"),
    ParityCase("Square", mf.Square, _normal34(), torch.square),
    ParityCase("Abs", mf.Abs, _with_zeros, torch.abs, note="exact zeros: gradient 0 there"),
    ParityCase("Sign", mf.Sign, _with_zeros, torch.sign, note="exact zeros; zero gradient"),
    ParityCase("Floor", mf.Floor, _normal34(3.0), torch.floor, note="zero gradient"),
    ParityCase("Ceil", mf.Ceil, _normal34(3.0), torch.ceil, note="zero gradient"),
    ParityCase("Trunc", mf.Trunc, _normal34(3.0), torch.trunc, note="zero gradient"),
    ParityCase("Round", mf.Round,
               _unary(lambda r: np.concatenate([_normal(r, 8, scale=3.0),
                                                [0.5, 1.5, 2.5, -0.5, -2.5]])),
               torch.round, note="exact halves round to even, as torch; zero gradient"),
    ParityCase("Round[decimals]", mf.Round,
               lambda r: Inputs({"x": _normal(r, 3, 4, scale=3.0)}, {"decimals": 2}),
               _round_ref, note="decimals=2"),
    ParityCase("Sin", mf.Sin, _normal34(2.0), torch.sin),
    ParityCase("Cos", mf.Cos, _normal34(2.0), torch.cos),
    ParityCase("Tan", mf.Tan, _unary(lambda r: _uniform(r, -1.3, 1.3, 3, 4)), torch.tan),
    ParityCase("Asin", mf.Asin, _unary(lambda r: _uniform(r, -0.95, 0.95, 3, 4)), torch.asin),
    ParityCase("Acos", mf.Acos, _unary(lambda r: _uniform(r, -0.95, 0.95, 3, 4)), torch.acos),
    ParityCase("Atan", mf.Atan, _normal34(2.0), torch.atan),
    ParityCase("Asinh", mf.Asinh, _normal34(2.0), torch.asinh),
    ParityCase("Acosh", mf.Acosh, _unary(lambda r: _uniform(r, 1.1, 4.0, 3, 4)), torch.acosh,
               note="x in [1.1, 4]: inside the domain, away from the infinite slope at 1"),
    ParityCase("Atanh", mf.Atanh, _unary(lambda r: _uniform(r, -0.9, 0.9, 3, 4)), torch.atanh),
    ParityCase("Sinh", mf.Sinh, _normal34(), torch.sinh),
    ParityCase("Cosh", mf.Cosh, _normal34(), torch.cosh),
    ParityCase("Log1p", mf.Log1p, _unary(lambda r: _uniform(r, -0.9, 3.0, 3, 4)), torch.log1p),
    ParityCase("Expm1", mf.Expm1, _normal34(), torch.expm1),
    ParityCase("Exp2", mf.Exp2, _normal34(2.0), torch.exp2),
    ParityCase("Log2", mf.Log2, _positive(0.1), torch.log2),
    ParityCase("Log10", mf.Log10, _positive(0.1), torch.log10),
    ParityCase("Clamp", mf.Clamp, _clamp_numbers(False), _clamp_ref, note="number bounds"),
    ParityCase("Clamp[number ties]", mf.Clamp, _clamp_numbers(True), _clamp_ref,
               note="x exactly at a number bound gets no gradient (torch: min < x < max)"),
    ParityCase("Clamp[tensors]", mf.Clamp, _clamp_tensors(False), _clamp_ref,
               note="differentiable bounds, all three broadcast"),
    ParityCase("Clamp[tensor ties]", mf.Clamp, _clamp_tensors(True), _clamp_ref,
               note="x == bound splits in half; x == min == max all to x; min > max all to max"),
    ParityCase("Clamp[min tensor]", mf.Clamp, _clamp_tensors(True, "min"), _clamp_ref,
               note="only min, a tensor; ties split"),
    ParityCase("Clamp[max tensor]", mf.Clamp, _clamp_tensors(True, "max"), _clamp_ref,
               note="only max, a tensor (min None); ties split"),
]
