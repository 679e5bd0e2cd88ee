"""Parity cases for the activation family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _away_from_zero
from vis.parity.registry import Inputs, ParityCase


def _spread(rng: np.random.Generator) -> np.ndarray:
    """Normal values (scale 3) with |x| >= 0.1, plus large ones of both signs."""
    return np.concatenate([3.0 * _away_from_zero(rng, 4, 6).ravel(),
                           [-40.0, -12.0, -6.5, 6.5, 12.0, 40.0]]).reshape(5, 6)


def _pushed(rng: np.random.Generator, kinks: tuple, low: float, high: float) -> np.ndarray:
    """Uniform values in [low, high] at least 0.05 away from every kink."""
    x = rng.uniform(low, high, size=(4, 6))
    for k in kinks:
        near = np.abs(x - k) < 0.05
        x[near] = k + np.where(x[near] >= k, 0.05, -0.05)
    return x


def _with(make, **consts):
    return lambda rng: Inputs({"x": make(rng)}, consts)


CASES: list[ParityCase] = [
    ParityCase("Softplus", mf.Softplus, _with(_spread), F.softplus,
               note="default beta=1, threshold=20; |x| up to 40"),
    ParityCase("Softplus[beta, threshold]", mf.Softplus,
               _with(lambda r: _pushed(r, (2.5,), -4.0, 4.0), beta=2.0, threshold=5.0),
               F.softplus, note="beta x crosses the threshold (kept 0.05 away from it)"),
    ParityCase("LeakyReLU", mf.LeakyReLU, _with(_spread, negative_slope=0.2), F.leaky_relu,
               note="inputs kept away from the kink at 0"),
    ParityCase("ELU", mf.ELU, _with(_spread, alpha=1.5), F.elu),
    ParityCase("CELU", mf.CELU, _with(_spread, alpha=1.0), F.celu),
    ParityCase("CELU[alpha]", mf.CELU, _with(_spread, alpha=0.7), F.celu, atol=1e-8,
               note="torch's backward uses 1/alpha rounded to float32 (grad error ~5e-9)"),
    ParityCase("CELU[alpha, formula]", mf.CELU, _with(_spread, alpha=0.7),
               lambda x, alpha: torch.where(x > 0, x, alpha * torch.expm1(x / alpha)),
               note="torch float64 ops of CELU's definition: exact gradients, so 1e-10 holds"),
    ParityCase("SELU", mf.SELU, _with(_spread), F.selu),
    ParityCase("GELU", mf.GELU, _with(_spread, approximate="none"), F.gelu,
               note="exact form (erf)"),
    ParityCase("GELU[tanh]", mf.GELU, _with(_spread, approximate="tanh"), F.gelu),
    ParityCase("SiLU", mf.SiLU, _with(_spread), F.silu),
    ParityCase("QuickGELU", mf.QuickGELU, _with(_spread), lambda x: x * torch.sigmoid(1.702 * x),
               note="x * sigmoid(1.702 x); |x| up to 40"),
    ParityCase("Mish", mf.Mish, _with(_spread), F.mish),
    ParityCase("Hardtanh", mf.Hardtanh,
               _with(lambda r: _pushed(r, (-0.5, 2.0), -3.0, 3.0), min_val=-0.5, max_val=2.0),
               F.hardtanh, note="inputs kept away from min_val and max_val"),
    ParityCase("ReLU6", mf.ReLU6, _with(lambda r: _pushed(r, (0.0, 6.0), -3.0, 9.0)), F.relu6,
               note="inputs kept away from 0 and 6"),
    ParityCase("Hardswish", mf.Hardswish,
               _with(lambda r: _pushed(r, (-3.0, 3.0), -5.0, 5.0)), F.hardswish,
               note="inputs kept away from -3 and 3"),
    ParityCase("Hardsigmoid", mf.Hardsigmoid,
               _with(lambda r: _pushed(r, (-3.0, 3.0), -5.0, 5.0)), F.hardsigmoid, atol=1e-8,
               note="away from -3 and 3; torch's backward uses 1/6 rounded to float32 (5e-9)"),
    ParityCase("Hardsigmoid[formula]", mf.Hardsigmoid,
               _with(lambda r: _pushed(r, (-3.0, 3.0), -5.0, 5.0)),
               lambda x: torch.clamp(x / 6 + 0.5, 0.0, 1.0),
               note="torch float64 ops of the definition clamp(x/6 + 1/2, 0, 1): exact gradients"),
    ParityCase("Softsign", mf.Softsign, _with(_spread), F.softsign),
    ParityCase("LogSigmoid", mf.LogSigmoid, _with(_spread), F.logsigmoid),
]
