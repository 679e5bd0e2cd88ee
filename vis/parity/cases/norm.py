"""Parity cases for the norm family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal, _uniform
from vis.parity.registry import Inputs, ParityCase


def _layer_norm(S: tuple, lead: tuple, affine: bool = True):
    def build(rng: np.random.Generator) -> Inputs:
        args = {"x": _normal(rng, *lead, *S, scale=2.0) + 0.5,
                "weight": _normal(rng, *S) if affine else None,
                "bias": _normal(rng, *S) if affine else None}
        return Inputs(args, {"normalized_shape": S, "eps": 1e-5})
    return build


def _torch_layer_norm(x, weight, bias, normalized_shape, eps):
    return F.layer_norm(x, normalized_shape, weight, bias, eps)


def _batch_norm(shape: tuple, training: bool, affine: bool = True):
    def build(rng: np.random.Generator) -> Inputs:
        C = shape[1]
        args = {"x": _normal(rng, *shape, scale=1.5) + _normal(rng, 1, C, *[1] * (len(shape) - 2)),
                "weight": _normal(rng, C) if affine else None,
                "bias": _normal(rng, C) if affine else None}
        consts = {"training": training, "momentum": 0.2, "eps": 1e-5,
                  "running_mean": _normal(rng, C), "running_var": _uniform(rng, 0.5, 2.0, C)}
        return Inputs(args, consts)
    return build


def _torch_batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps):
    rm = torch.from_numpy(np.array(running_mean))  # copies: minigrad updated the originals
    rv = torch.from_numpy(np.array(running_var))
    return F.batch_norm(x, rm, rv, weight, bias, training=training, momentum=momentum, eps=eps)


def _group_norm(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": _normal(rng, 3, 6, 4, 2), "weight": _normal(rng, 6),
                   "bias": _normal(rng, 6)}, {"num_groups": 3, "eps": 1e-5})


CASES: list[ParityCase] = [
    ParityCase("LayerNorm", mf.LayerNorm, _layer_norm((6,), (3, 4)), _torch_layer_norm,
               note="x (N, T, D), normalized over D"),
    ParityCase("LayerNorm[2 axes, no affine]", mf.LayerNorm, _layer_norm((3, 4), (2,), False),
               _torch_layer_norm, note="normalized_shape (3, 4), weight and bias None"),
    ParityCase("BatchNorm[train 1d]", mf.BatchNorm, _batch_norm((8, 5), True),
               _torch_batch_norm, note="batch statistics (N, C); running stats updated"),
    ParityCase("BatchNorm[train (N, C, L)]", mf.BatchNorm, _batch_norm((4, 3, 5), True),
               _torch_batch_norm, note="statistics over N and L"),
    ParityCase("BatchNorm[train 2d, no affine]", mf.BatchNorm,
               _batch_norm((3, 2, 4, 5), True, False), _torch_batch_norm,
               note="(N, C, H, W), weight and bias None"),
    ParityCase("BatchNorm[eval]", mf.BatchNorm, _batch_norm((4, 3, 2, 3), False),
               _torch_batch_norm, note="running statistics (constants)"),
    ParityCase("GroupNorm", mf.GroupNorm, _group_norm,
               lambda x, weight, bias, num_groups, eps: F.group_norm(x, num_groups, weight, bias,
                                                                     eps),
               note="6 channels in 3 groups"),
]
