"""Parity cases for the loss family, cross_entropy and nll_loss (see vis.parity.cases for the
conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _ints, _masked_ce, _normal, _torch_masked_ce, _uniform
from vis.parity.registry import Inputs, ParityCase


def _t(a):
    return None if a is None else torch.from_numpy(np.asarray(a))


def _ce(shape: tuple, reduction: str = "mean", weight: bool = False, ignore: bool = False,
        smoothing: float = 0.0, axis: int | None = None, probs: bool = False):
    def build(rng: np.random.Generator) -> Inputs:
        ax = 1 if axis is None else axis % len(shape)
        C = shape[ax]
        x = _normal(rng, *shape, scale=2.0)
        if probs:
            t = rng.dirichlet(np.ones(C), size=shape[:ax] + shape[ax + 1:])  # classes last
            t = np.moveaxis(t, -1, ax).copy()
        else:
            t = _ints(rng, C, *(shape[:ax] + shape[ax + 1:]))
            if ignore:
                t.reshape(-1)[::3] = -100
        consts = {"reduction": reduction, "label_smoothing": smoothing,
                  "weight": _uniform(rng, 0.5, 2.0, C) if weight else None}
        if axis is not None:
            consts["axis"] = axis
        return Inputs({"input": x, "target": t}, consts)
    return build


def _torch_ce(input, target, reduction, label_smoothing, weight, axis=None):
    if axis is not None:  # minigrad's classes-on-`axis` layout -> torch's classes on axis 1
        input = torch.movedim(input, axis, 1)
        if target.dtype.is_floating_point:
            target = torch.movedim(target, axis, 1)
    return F.cross_entropy(input, target, weight=_t(weight), reduction=reduction,
                           label_smoothing=label_smoothing)


def _nll(rng: np.random.Generator) -> Inputs:
    t = _ints(rng, 5, 4, 3)
    t[1, 2] = -100
    return Inputs({"input": _normal(rng, 4, 5, 3) - 2.0, "target": t},
                  {"weight": _uniform(rng, 0.5, 2.0, 5), "reduction": "mean"})


def _affine_ce(normalize: str):
    """x (N, T, D), w (D, V), b (V,) and the MaskedSoftmaxCE case's y, mask (a row all
    masked)."""
    def build(rng: np.random.Generator) -> Inputs:
        ce = _masked_ce(normalize)(rng).args
        N, T, V = ce["x"].shape
        return Inputs({"x": _normal(rng, N, T, 6), "w": _normal(rng, 6, V), "b": _normal(rng, V),
                       "y": ce["y"], "mask": ce["mask"]}, {"normalize": normalize})
    return build


def _torch_affine_ce(x, w, b, y, mask, normalize):
    return _torch_masked_ce(x @ w + b, y, mask, normalize)


CASES: list[ParityCase] = [
    ParityCase("MaskedAffineSoftmaxCE[batch]", mf.MaskedAffineSoftmaxCE, _affine_ce("batch"),
               _torch_affine_ce, note="cross_entropy(x @ w + b, ignore_index, 'sum') / N"),
    ParityCase("MaskedAffineSoftmaxCE[tokens]", mf.MaskedAffineSoftmaxCE, _affine_ce("tokens"),
               _torch_affine_ce, note="cross_entropy(x @ w + b, ignore_index, 'mean')"),
    ParityCase("CrossEntropy", mf.CrossEntropy, _ce((6, 5)), _torch_ce,
               note="(N, C) scores, class ids, mean"),
    ParityCase("CrossEntropy[weight, ignore, smoothing]", mf.CrossEntropy,
               _ce((6, 5), weight=True, ignore=True, smoothing=0.2), _torch_ce,
               note="weighted mean over non-ignored targets, label_smoothing 0.2"),
    ParityCase("CrossEntropy[(N, C, d), sum]", mf.CrossEntropy,
               _ce((3, 4, 5), "sum", weight=True, ignore=True), _torch_ce,
               note="classes on axis 1 with an extra axis"),
    ParityCase("CrossEntropy[axis=-1, none]", mf.CrossEntropy,
               _ce((3, 4, 6), "none", ignore=True, smoothing=0.1, axis=-1), _torch_ce,
               note="(N, T, V) scores: torch input movedim(-1, 1)"),
    ParityCase("CrossEntropy[probabilities]", mf.CrossEntropy,
               _ce((4, 5, 2), weight=True, smoothing=0.1, probs=True), _torch_ce,
               note="class-probability targets (differentiable)"),
    ParityCase("NLLLoss", mf.NLLLoss, _nll,
               lambda input, target, weight, reduction: F.nll_loss(
                   input, target, weight=_t(weight), reduction=reduction),
               note="(N, C, d) log-probabilities, weight, ignore_index"),
]
