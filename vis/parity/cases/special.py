"""Parity cases for the special family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _normal, _unary
from vis.parity.registry import ParityCase

CASES: list[ParityCase] = [
    ParityCase("Erf", mf.Erf, _unary(lambda r: np.concatenate(
        [_normal(r, 20, scale=2.0), [-7.0, -4.2, -0.3, 0.0, 0.46875, 3.9, 6.0]])),
        torch.special.erf, note="torch.special.erf; includes the region edges 0.46875 and 4"),
]
