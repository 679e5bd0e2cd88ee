"""Parity cases for the conv family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import warnings

import numpy as np
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _torch_conv(x, w, b=None, pad=None, **kwargs):
    """F.conv2d, with CS231n's `pad` spelled `padding`."""
    if pad is not None:
        kwargs["padding"] = pad
    with warnings.catch_warnings():  # torch warns that 'same' with even kernels copies the input
        warnings.simplefilter("ignore", UserWarning)
        return F.conv2d(x, w, b, **kwargs)


def _conv(x: tuple, w: tuple, bias: bool = True, transposed: bool = False, **consts):
    F_out = w[1] * consts.get("groups", 1) if transposed else w[0]

    def build(rng: np.random.Generator) -> Inputs:
        b = _normal(rng, F_out) if bias else None
        return Inputs({"x": _normal(rng, *x), "w": _normal(rng, *w), "b": b}, consts)
    return build


def _torch_conv1d(x, w, b=None, **kwargs):
    return F.conv1d(x, w, b, **kwargs)


def _torch_conv_t(x, w, b=None, **kwargs):
    return F.conv_transpose2d(x, w, b, **kwargs)


def _torch_conv3d(x, w, b=None, **kwargs):
    return F.conv3d(x, w, b, **kwargs)


def _torch_conv_t1d(x, w, b=None, **kwargs):
    return F.conv_transpose1d(x, w, b, **kwargs)


def _torch_conv_t3d(x, w, b=None, **kwargs):
    return F.conv_transpose3d(x, w, b, **kwargs)


def _case(label: str, build, note: str = "") -> ParityCase:
    return ParityCase(label, mf.Conv2d, build, _torch_conv, note=note)


CASES: list[ParityCase] = [
    _case("Conv2d", _conv((2, 3, 9, 7), (4, 3, 3, 3), stride=2, pad=1),
          note="CS231n (stride, pad) -> conv2d(stride, padding)"),
    _case("Conv2d[stride 1, pad 0]", _conv((2, 2, 5, 5), (3, 2, 2, 3), stride=1, pad=0),
          note="stride 1, no padding, non-square kernel"),
    _case("Conv2d[non-tiling]", _conv((2, 3, 8, 7), (4, 3, 3, 3), stride=3, padding=0),
          note="(8 - 3) / 3 and (7 - 3) / 3 are not integers: the output floors, as torch"),
    _case("Conv2d[rectangular]",
          _conv((2, 3, 6, 9), (4, 3, 2, 4), stride=(1, 2), padding=(0, 1)),
          note="(kh, kw), (sh, sw), (ph, pw) pairs"),
    _case("Conv2d[dilation]", _conv((2, 2, 8, 7), (3, 2, 3, 2), padding=2, dilation=(2, 3))),
    _case("Conv2d[groups]",
          _conv((2, 4, 7, 6), (6, 2, 3, 2), stride=(2, 1), padding=(1, 2), groups=2)),
    _case("Conv2d[depthwise]", _conv((2, 3, 6, 6), (6, 1, 3, 3), padding=1, groups=3),
          note="groups = C, two filters per channel"),
    _case("Conv2d[no bias]", _conv((2, 3, 5, 6), (4, 3, 3, 3), bias=False, padding="valid"),
          note="b = None, padding='valid'"),
    _case("Conv2d[same]", _conv((2, 3, 6, 5), (4, 3, 2, 4), padding="same", dilation=(1, 2)),
          note="padding='same' with even kernel extents: the extra zero row/column at the end"),
    ParityCase("Conv1d", mf.Conv1d,
               _conv((2, 4, 9), (6, 2, 3), stride=2, padding=1, dilation=1, groups=2),
               _torch_conv1d, note="groups 2, non-tiling length"),
    ParityCase("Conv1d[same, dilation, no bias]", mf.Conv1d,
               _conv((2, 3, 7), (4, 3, 2), bias=False, padding="same", dilation=3),
               _torch_conv1d, note="even kernel extent: the extra zero at the end"),
    ParityCase("ConvTranspose2d", mf.ConvTranspose2d,
               _conv((2, 3, 4, 5), (3, 4, 3, 3), transposed=True, stride=2, padding=1,
                     output_padding=1),
               _torch_conv_t, note="w (C, F, kh, kw) as torch"),
    ParityCase("ConvTranspose2d[groups, dilation, rectangular]", mf.ConvTranspose2d,
               _conv((2, 4, 3, 4), (4, 3, 2, 3), transposed=True, stride=(1, 3), padding=(0, 2),
                     output_padding=(1, 2), groups=2, dilation=(2, 1)),
               _torch_conv_t, note="output_padding < max(stride, dilation) per side"),
    ParityCase("ConvTranspose2d[no bias]", mf.ConvTranspose2d,
               _conv((1, 2, 5, 5), (2, 3, 4, 4), bias=False, stride=2, padding=1),
               _torch_conv_t),
    ParityCase("Conv3d", mf.Conv3d,
               _conv((2, 4, 5, 6, 7), (6, 2, 3, 2, 3), stride=(1, 2, 1), padding=(1, 0, 2),
                     dilation=(1, 1, 2), groups=2),
               _torch_conv3d, note="triples of stride, padding, dilation; groups 2"),
    ParityCase("Conv3d[same, no bias]", mf.Conv3d,
               _conv((1, 3, 4, 5, 4), (2, 3, 2, 3, 2), bias=False, padding="same"),
               _torch_conv3d, note="even kernel extents: the extra zero at the end"),
    ParityCase("ConvTranspose1d", mf.ConvTranspose1d,
               _conv((2, 4, 6), (4, 3, 3), transposed=True, stride=2, padding=1,
                     output_padding=1, groups=2, dilation=1),
               _torch_conv_t1d, note="w (C, F / groups, k) as torch"),
    ParityCase("ConvTranspose3d", mf.ConvTranspose3d,
               _conv((1, 4, 3, 4, 3), (4, 2, 2, 3, 2), transposed=True, stride=(2, 1, 2),
                     padding=(1, 0, 1), output_padding=(1, 0, 0), groups=2, dilation=(1, 2, 1)),
               _torch_conv_t3d, note="w (C, F / groups, kd, kh, kw) as torch"),
]
