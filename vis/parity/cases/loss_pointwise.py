"""Parity cases for the loss_pointwise family (see vis.parity.cases for the conventions and
helpers)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _uniform
from vis.parity.cases.loss import _t
from vis.parity.registry import Inputs, ParityCase


def _pair(shape_x: tuple, shape_t: tuple, lo: float = -2.0, hi: float = 2.0,
          t_range: tuple = (-2.0, 2.0), **consts):
    """input U(lo, hi), target U(t_range); callable consts are drawn from the case's rng."""
    def build(rng: np.random.Generator) -> Inputs:
        x = _uniform(rng, lo, hi, *shape_x)
        t = _uniform(rng, *t_range, *shape_t)
        extra = {k: (c(rng) if callable(c) else c) for k, c in consts.items()}
        return Inputs({"input": x, "target": t}, extra)
    return build


def _bce_ref(input, target, reduction, weight=None):
    return F.binary_cross_entropy(input, target, weight=_t(weight), reduction=reduction)


def _bce_logits_ref(input, target, reduction, weight=None, pos_weight=None):
    return F.binary_cross_entropy_with_logits(input, target, weight=_t(weight),
                                              reduction=reduction, pos_weight=_t(pos_weight))


CASES: list[ParityCase] = [
    ParityCase("MSELoss", mf.MSELoss, _pair((4, 3), (4, 3), reduction="mean"),
               lambda input, target, reduction: F.mse_loss(input, target, reduction=reduction)),
    ParityCase("MSELoss[broadcast, none]", mf.MSELoss, _pair((4, 1), (3,), reduction="none"),
               lambda input, target, reduction: F.mse_loss(
                   *torch.broadcast_tensors(input, target), reduction=reduction),
               note="input and target broadcast (torch expands them)"),
    ParityCase("L1Loss", mf.L1Loss, _pair((4, 3), (4, 3), reduction="sum"),
               lambda input, target, reduction: F.l1_loss(input, target, reduction=reduction)),
    ParityCase("SmoothL1Loss", mf.SmoothL1Loss, _pair((5, 4), (5, 4), reduction="mean",
                                                      beta=0.7),
               lambda input, target, reduction, beta: F.smooth_l1_loss(
                   input, target, reduction=reduction, beta=beta)),
    ParityCase("HuberLoss", mf.HuberLoss, _pair((5, 4), (5, 4), reduction="none", delta=0.8),
               lambda input, target, reduction, delta: F.huber_loss(
                   input, target, reduction=reduction, delta=delta)),
    ParityCase("BCELoss", mf.BCELoss,
               _pair((4, 3), (4, 3), 0.02, 0.98, (0.0, 1.0), reduction="mean",
                     weight=lambda r: _uniform(r, 0.5, 2.0, 3)), _bce_ref,
               note="probabilities input, soft targets, weight over the last axis"),
    ParityCase("BCEWithLogitsLoss", mf.BCEWithLogitsLoss,
               _pair((4, 3), (4, 3), -6.0, 6.0, (0.0, 1.0), reduction="mean",
                     pos_weight=lambda r: _uniform(r, 0.5, 3.0, 3)), _bce_logits_ref,
               note="pos_weight over the last axis"),
    ParityCase("BCEWithLogitsLoss[weight, none]", mf.BCEWithLogitsLoss,
               _pair((4, 3), (4, 3), -30.0, 30.0, (0.0, 1.0), reduction="none",
                     weight=lambda r: _uniform(r, 0.5, 2.0, 4, 1)), _bce_logits_ref,
               note="large scores (stable), weight (N, 1)"),
]
