"""Parity cases for the pool family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _torch_max(x, kernel=None, **kwargs):
    """F.max_pool2d, with CS231n's `kernel` spelled `kernel_size`."""
    if kernel is not None:
        kwargs["kernel_size"] = kernel
    return F.max_pool2d(x, **kwargs)


def _torch_avg(x, **kwargs):
    return F.avg_pool2d(x, **kwargs)


def _torch_adaptive(x, output_size):
    return F.adaptive_avg_pool2d(x, output_size)


def _pool(*shape: int, **consts):
    return lambda rng: Inputs({"x": _normal(rng, *shape)}, consts)


def _ties(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": rng.integers(-1, 2, size=(2, 2, 5, 6)).astype(np.float64)},
                  {"kernel_size": 2, "stride": 1})


def _max(label: str, build, note: str = "") -> ParityCase:
    return ParityCase(label, mf.MaxPool2d, build, _torch_max, note=note)


def _avg(label: str, build, note: str = "") -> ParityCase:
    return ParityCase(label, mf.AvgPool2d, build, _torch_avg, note=note)


CASES: list[ParityCase] = [
    _max("MaxPool2d", _pool(2, 3, 6, 8, kernel=2, stride=2), note="continuous inputs: no ties"),
    _max("MaxPool2d[overlap]", _pool(1, 2, 7, 7, kernel=3, stride=2),
         note="overlapping windows accumulate; no ties"),
    _max("MaxPool2d[non-tiling]", _pool(2, 2, 7, 5, kernel_size=2),
         note="odd sides: the last row/column is cropped (floor), stride defaults to the kernel"),
    _max("MaxPool2d[padding]", _pool(2, 2, 6, 7, kernel_size=3, stride=2, padding=1),
         note="-inf padding"),
    _max("MaxPool2d[rectangular, dilation]",
         _pool(2, 2, 9, 8, kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1))),
    _max("MaxPool2d[ceil_mode]", _pool(2, 2, 7, 8, kernel_size=3, stride=2, ceil_mode=True)),
    _max("MaxPool2d[ties]", _ties,
         note="values in {-1, 0, 1}: the first max of a window (row-major) takes its gradient, "
              "as torch on CPU"),
    _avg("AvgPool2d", _pool(2, 3, 6, 8, kernel_size=2)),
    _avg("AvgPool2d[overlap, non-tiling]", _pool(2, 2, 7, 6, kernel_size=3, stride=2)),
    _avg("AvgPool2d[padding]", _pool(2, 2, 6, 7, kernel_size=3, stride=2, padding=1),
         note="count_include_pad=True: padded zeros count in the divisor"),
    _avg("AvgPool2d[count_include_pad=False]",
         _pool(2, 2, 6, 7, kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    _avg("AvgPool2d[rectangular, ceil_mode]",
         _pool(2, 2, 7, 9, kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True,
               count_include_pad=False),
         note="the last window reaches past the padded input: clipped divisor"),
    _avg("AvgPool2d[ceil_mode, include pad]",
         _pool(2, 2, 7, 9, kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    _avg("AvgPool2d[divisor_override]",
         _pool(2, 2, 6, 6, kernel_size=3, stride=2, padding=1, divisor_override=5)),
    ParityCase("AdaptiveAvgPool2d", mf.AdaptiveAvgPool2d, _pool(2, 3, 7, 10, output_size=(3, 4)),
               _torch_adaptive, note="uneven, overlapping windows (7 -> 3, 10 -> 4)"),
    ParityCase("AdaptiveAvgPool2d[upsample, None]", mf.AdaptiveAvgPool2d,
               _pool(2, 2, 3, 5, output_size=(5, None)), _torch_adaptive,
               note="output larger than the input; None keeps the width"),
]
