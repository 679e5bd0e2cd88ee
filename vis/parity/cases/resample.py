"""Parity cases for the resample family (see vis.parity.cases for the conventions and helpers).

torch.nn.functional.interpolate is the reference. torch's 1-D and 3-D 'nearest' backward
treats a scale_factor that gives out = in or out = 2 in as a copy / halving while its forward
does not (its gradient is then not the transpose of its forward); no case here uses those sizes.
"""
from __future__ import annotations

import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _x(*shape: int, **consts):
    return lambda rng: Inputs({"x": _normal(rng, *shape)}, consts)


def _ref(x, **kwargs):
    return F.interpolate(x, **kwargs)


def _case(label: str, build, note: str = "") -> ParityCase:
    return ParityCase(label, mf.Interpolate, build, _ref, note=note)


CASES: list[ParityCase] = [
    _case("Interpolate", _x(2, 3, 5, 7, size=(9, 4)),
          note="nearest (default), 2-D, up and down"),
    _case("Interpolate[nearest 1-D]", _x(2, 3, 13, size=9), note="overlapping picks summed"),
    _case("Interpolate[nearest 3-D scale_factor]", _x(1, 2, 3, 4, 5, scale_factor=(1.5, 0.75, 2.5)),
          note="source index from 1 / scale_factor in float32, as torch"),
    _case("Interpolate[nearest-exact]", _x(2, 2, 9, 11, size=(10, 13), mode="nearest-exact")),
    _case("Interpolate[nearest-exact 3-D]", _x(1, 2, 5, 2, 8, size=(3, 6, 4),
                                              mode="nearest-exact")),
    _case("Interpolate[linear]", _x(2, 3, 29, size=52, mode="linear")),
    _case("Interpolate[linear align_corners]", _x(2, 3, 52, size=29, mode="linear",
                                                  align_corners=True)),
    _case("Interpolate[bilinear]", _x(2, 3, 12, 9, size=(31, 20), mode="bilinear")),
    _case("Interpolate[bilinear align_corners]", _x(2, 2, 9, 31, size=(20, 12),
                                                    mode="bilinear", align_corners=True)),
    _case("Interpolate[bilinear scale_factor]", _x(1, 2, 5, 6, scale_factor=(1.7, 0.6),
                                                   mode="bilinear"),
          note="source index from 1 / scale_factor"),
    _case("Interpolate[bilinear recompute]", _x(1, 2, 5, 6, scale_factor=(1.7, 0.6),
                                                mode="bilinear", recompute_scale_factor=True),
          note="source index from in / out"),
    _case("Interpolate[trilinear]", _x(2, 3, 5, 2, 8, size=(3, 6, 4), mode="trilinear")),
    _case("Interpolate[trilinear align_corners]", _x(1, 2, 5, 2, 8, size=(3, 6, 1),
                                                     mode="trilinear", align_corners=True),
          note="an output side of 1 reads index 0"),
]
