"""Parity cases for the join family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _x(*shape: int, **consts: object):
    return lambda r: Inputs({"x": _normal(r, *shape)}, dict(consts))


def _pad(x, pad, mode="constant", value=0.0):
    torch_mode = {"edge": "replicate", "wrap": "circular"}.get(mode, mode)
    if torch_mode == "constant":
        return F.pad(x, pad, mode="constant", value=value)
    return F.pad(x, pad, mode=torch_mode)


def _repeat_interleave(x, repeats, axis):
    reps = repeats if isinstance(repeats, int) else torch.tensor(repeats)
    return torch.repeat_interleave(x, reps, dim=axis)


CASES: list[ParityCase] = [
    ParityCase("Split", mf.Split, _x(3, 7, 2, split_size_or_sections=3, axis=1),
               lambda x, split_size_or_sections, axis: torch.split(x, split_size_or_sections,
                                                                    dim=axis),
               note="int size: pieces 3, 3, 1 (multi-output)"),
    ParityCase("Split[sections]", mf.Split, _x(6, 2, split_size_or_sections=[2, 0, 4], axis=0),
               lambda x, split_size_or_sections, axis: torch.split(x, split_size_or_sections,
                                                                    dim=axis),
               note="a list of sizes with an empty piece"),
    ParityCase("Pad", mf.Pad, _x(2, 3, 4, 5, pad=(1, -1, 2, 0, 0, 3), value=0.5),
               _pad, note="constant 0.5, three dims from the last, a negative pad crops"),
    ParityCase("Pad[reflect]", mf.Pad, _x(2, 3, 4, 5, pad=(2, 4, 3, 1), mode="reflect"),
               _pad, note="reflected elements accumulate their gradients"),
    ParityCase("Pad[replicate]", mf.Pad, _x(2, 3, 5, pad=(3, 2), mode="replicate"), _pad),
    ParityCase("Pad[reflect crop]", mf.Pad, _x(1, 2, 5, 5, pad=(3, -5, -1, 2), mode="reflect"),
               _pad, note="negative pads: cropped positions reflect into the whole input"),
    ParityCase("Pad[replicate crop]", mf.Pad, _x(2, 3, 5, pad=(-2, 3), mode="replicate"), _pad),
    ParityCase("Pad[circular]", mf.Pad, _x(2, 3, 4, 5, pad=(5, 2, 1, 4), mode="circular"),
               _pad, note="pads as wide as the side"),
    ParityCase("Flip", mf.Flip, _x(2, 3, 4, axis=(0, -1)),
               lambda x, axis: torch.flip(x, dims=axis)),
    ParityCase("Roll", mf.Roll, _x(3, 4, 5, shifts=(2, -7), axis=(0, 2)),
               lambda x, shifts, axis: torch.roll(x, shifts, dims=axis),
               note="shifts beyond the side and negative"),
    ParityCase("Roll[flat]", mf.Roll, _x(3, 4, shifts=5),
               lambda x, shifts: torch.roll(x, shifts), note="axis None rolls the flattened x"),
    ParityCase("Tile", mf.Tile, _x(2, 3, reps=(2, 1, 3)), lambda x, reps: torch.tile(x, reps),
               note="more reps than dims: a new leading dim"),
    ParityCase("Tile[short reps]", mf.Tile, _x(2, 3, 2, reps=(2, 3)),
               lambda x, reps: torch.tile(x, reps), note="fewer reps than dims: leading 1s"),
    ParityCase("RepeatInterleave", mf.RepeatInterleave,
               _x(3, 4, repeats=[2, 0, 1, 3], axis=1), _repeat_interleave,
               note="one count per element, a zero count"),
    ParityCase("RepeatInterleave[flat]", mf.RepeatInterleave, _x(2, 3, repeats=2, axis=None),
               _repeat_interleave, note="axis None flattens"),
]
