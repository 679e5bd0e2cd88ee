"""Parity cases for the shape family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _x(*shape: int, **consts: object):
    return lambda r: Inputs({"x": _normal(r, *shape)}, dict(consts))


def _torch_index(index: tuple) -> tuple:
    return tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in index)


CASES: list[ParityCase] = [
    ParityCase("SwapAxes", mf.SwapAxes, _x(2, 3, 4, axis0=0, axis1=-1),
               lambda x, axis0, axis1: torch.transpose(x, axis0, axis1),
               note="torch.transpose(x, dim0, dim1)"),
    ParityCase("MoveAxis", mf.MoveAxis, _x(2, 3, 4, 5, source=(0, 3), destination=(-1, 1)),
               lambda x, source, destination: torch.movedim(x, source, destination),
               note="torch.movedim with tuples and a negative destination"),
    ParityCase("MoveAxis[int]", mf.MoveAxis, _x(2, 3, 4, source=2, destination=0),
               lambda x, source, destination: torch.movedim(x, source, destination)),
    ParityCase("Squeeze", mf.Squeeze, _x(2, 1, 3, 1, axis=(1, 2, -1)),
               lambda x, axis: torch.squeeze(x, dim=axis),
               note="dim 2 has size 3 and is left as is, like torch"),
    ParityCase("Squeeze[all]", mf.Squeeze, _x(1, 3, 1, 2), lambda x: torch.squeeze(x)),
    ParityCase("Unsqueeze", mf.Unsqueeze, _x(2, 3, axis=-1),
               lambda x, axis: torch.unsqueeze(x, axis)),
    ParityCase("Expand", mf.Expand, _x(3, 1, 4, sizes=(2, -1, 5, 4)),
               lambda x, sizes: x.expand(*sizes),
               note="a new leading side, -1 keeps a side, a 1 stretched: the gradient sums"),
    ParityCase("GetItem[bool mask, negative int]", mf.GetItem,
               lambda r: Inputs({"x": _normal(r, 4, 3, 2)},
                                {"index": (np.array([True, False, True, True]), -1)}),
               lambda x, index: x[_torch_index(index)]),
]
