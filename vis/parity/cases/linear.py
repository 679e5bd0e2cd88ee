"""Parity cases for the linear family (see vis.parity.cases for the conventions and helpers)."""
from __future__ import annotations

import torch

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _einsum(subscripts: str, *shapes: tuple):
    def build(r):
        return Inputs({f"x{i}": _normal(r, *s) for i, s in enumerate(shapes)},
                      {"subscripts": subscripts})
    return build


def _torch_einsum(*ops, subscripts):
    return torch.einsum(subscripts, *ops)


def _ab(a_shape: tuple, b_shape: tuple, **consts: object):
    return lambda r: Inputs({"a": _normal(r, *a_shape), "b": _normal(r, *b_shape)}, dict(consts))


CASES: list[ParityCase] = [
    ParityCase("Einsum", mf.Einsum, _einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
               _torch_einsum, note="batched matmul"),
    ParityCase("Einsum[ellipsis]", mf.Einsum, _einsum("...ij,...jk->...ik", (3, 1, 2, 4),
                                                      (5, 4, 2)),
               _torch_einsum, note="'...' batch sides broadcast (1 vs 5, missing leading side)"),
    ParityCase("Einsum[trace, diagonal]", mf.Einsum, _einsum("iij,jk,k->ik", (3, 3, 4), (4, 2),
                                                             (2,)),
               _torch_einsum, note="a repeated index (diagonal) and three operands"),
    ParityCase("Einsum[trace]", mf.Einsum, _einsum("ii", (4, 4)), _torch_einsum,
               note="implicit output: the trace"),
    ParityCase("Einsum[implicit]", mf.Einsum, _einsum("ba,cd", (2, 3), (4, 2)), _torch_einsum,
               note="implicit output 'abcd'; d and c only in one operand"),
    ParityCase("Einsum[summed alone]", mf.Einsum, _einsum("ij,kl->il", (2, 3), (4, 5)),
               _torch_einsum, note="j and k are summed inside one operand each"),
    ParityCase("Tensordot", mf.Tensordot, _ab((2, 3, 4), (4, 3, 5), axes=([1, 2], [1, 0])),
               lambda a, b, axes: torch.tensordot(a, b, dims=axes),
               note="paired axes in a different order"),
    ParityCase("Tensordot[int]", mf.Tensordot, _ab((2, 3, 4), (3, 4, 2), axes=2),
               lambda a, b, axes: torch.tensordot(a, b, dims=axes)),
    ParityCase("Outer", mf.Outer, _ab((4,), (3,)), torch.outer),
]
