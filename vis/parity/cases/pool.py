"""Parity cases for the pool family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import numpy as np
import torch
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


def _torch_max_nd(nd: int):
    fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[nd]
    return lambda x, **kwargs: fn(x, **kwargs)


def _torch_avg_nd(nd: int):
    fn = {1: F.avg_pool1d, 3: F.avg_pool3d}[nd]
    return lambda x, **kwargs: fn(x, **kwargs)


def _unpool(rng: np.random.Generator) -> Inputs:
    """Values and the indices max_pool2d gives for a (2, 3, 10, 11) image, stride 6 x 7."""
    image = _normal(rng, 2, 3, 10, 11)
    _, idx = F.max_pool2d(torch.from_numpy(image), 3, (6, 7), 1, return_indices=True)
    return Inputs({"x": _normal(rng, *idx.shape), "indices": idx.numpy()},
                  {"kernel_size": 3, "stride": (6, 7), "padding": 1, "output_size": (10, 11)})


def _minus_inf(rng: np.random.Generator) -> Inputs:
    x = _normal(rng, 2, 2, 6, 7)
    x[0, 0, :2, 1:3] = -np.inf  # inside windows that also hold finite values
    x[1, 1, 5, :] = -np.inf
    return Inputs({"x": x}, {"kernel_size": 3, "stride": 2, "padding": 1,
                             "return_indices": True})


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
    _max("MaxPool2d[return_indices]",
         _pool(2, 3, 10, 11, kernel_size=(3, 2), dilation=(2, 3), padding=1,
               return_indices=True),
         note="the int64 indices (h W + w) are compared too"),
    _max("MaxPool2d[-inf]", _minus_inf, note="-inf inputs (allowed, as torch) never win"),
    ParityCase("MaxPool1d", mf.MaxPool1d,
               _pool(2, 3, 9, kernel_size=3, stride=2, padding=1, return_indices=True),
               _torch_max_nd(1), note="values and int64 indices"),
    ParityCase("MaxPool3d", mf.MaxPool3d,
               _pool(2, 2, 5, 6, 7, kernel_size=(3, 2, 3), stride=2, padding=1,
                     dilation=(1, 2, 1), ceil_mode=True, return_indices=True),
               _torch_max_nd(3), note="values and int64 indices (d H + h) W + w"),
    ParityCase("AvgPool1d", mf.AvgPool1d,
               _pool(2, 3, 9, kernel_size=3, stride=2, padding=1, count_include_pad=False),
               _torch_avg_nd(1)),
    ParityCase("AvgPool3d", mf.AvgPool3d,
               _pool(2, 2, 5, 6, 7, kernel_size=(3, 2, 3), stride=2, padding=1, ceil_mode=True,
                     count_include_pad=False),
               _torch_avg_nd(3), note="ceil_mode with clipped divisors"),
    ParityCase("AvgPool3d[divisor_override]", mf.AvgPool3d,
               _pool(1, 2, 4, 4, 4, kernel_size=2, divisor_override=3), _torch_avg_nd(3)),
    ParityCase("MaxUnpool2d", mf.MaxUnpool2d, _unpool,
               lambda x, indices, **kw: F.max_unpool2d(x, indices, **kw),
               note="indices from torch's max_pool2d; output_size given"),
    ParityCase("AdaptiveAvgPool2d", mf.AdaptiveAvgPool2d, _pool(2, 3, 7, 10, output_size=(3, 4)),
               _torch_adaptive, note="uneven, overlapping windows (7 -> 3, 10 -> 4)"),
    ParityCase("AdaptiveAvgPool2d[upsample, None]", mf.AdaptiveAvgPool2d,
               _pool(2, 2, 3, 5, output_size=(5, None)), _torch_adaptive,
               note="output larger than the input; None keeps the width"),
]
