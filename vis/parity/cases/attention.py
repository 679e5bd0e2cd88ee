"""Parity cases for the attention family (see vis.parity.cases for the conventions and helpers).

torch.nn.functional.scaled_dot_product_attention is the reference (bool mask True = attend,
float mask added, is_causal top-left aligned, fully masked rows give 0). Where minigrad also
returns the weights or uses dropout, the reference is written in torch ops, with dropout's keep
mask drawn from the same numpy seed.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.cases import _normal
from vis.parity.registry import Inputs, ParityCase


def _qkv(B=(2, 3), L=4, S=6, E=5, Ev=3, kb=None, mask=None, **consts):
    def build(rng: np.random.Generator) -> Inputs:
        args = {"query": _normal(rng, *B, L, E), "key": _normal(rng, *(kb or B), S, E),
                "value": _normal(rng, *(kb or B), S, Ev)}
        if mask is not None:
            args["attn_mask"] = mask(rng)
        return Inputs(args, dict(consts))
    return build


def _bool_mask(rng: np.random.Generator) -> np.ndarray:
    m = rng.random((4, 6)) < 0.6
    m[1] = False  # one query attends to nothing: output and gradients 0, as torch
    m[2, 0] = True
    return m


def _live_mask(rng: np.random.Generator) -> np.ndarray:
    m = rng.random((4, 6)) < 0.6
    m[:, 0] = True  # every query attends somewhere (softmax by hand would give NaN otherwise)
    return m


def _float_mask(rng: np.random.Generator) -> np.ndarray:
    m = _normal(rng, 2, 1, 4, 6)
    m[0, 0, 3, 2] = -np.inf
    m[1, 0, 0, :] = -np.inf  # a fully masked row
    return m


def _sdpa(query, key, value, attn_mask=None, **kw):
    return F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask, **kw)


def _by_hand(query, key, value, attn_mask=None, is_causal=False, scale=None, dropout_p=0.0,
             rng=None, need_weights=False):
    """softmax(q kᵀ scale + mask) v in torch ops; dropout keep mask from numpy's seed."""
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    s = query @ key.transpose(-1, -2) * scale
    if attn_mask is not None:
        s = s + attn_mask
    w = torch.softmax(s, dim=-1)
    if dropout_p > 0:
        keep = np.random.default_rng(rng).random(tuple(w.shape)) >= dropout_p
        w = w * torch.from_numpy(keep) / (1 - dropout_p)
    out = w @ value
    return (out, w) if need_weights else out


CASES: list[ParityCase] = [
    ParityCase("ScaledDotProductAttention", mf.ScaledDotProductAttention, _qkv(), _sdpa,
               note="F.scaled_dot_product_attention, (N, heads, L, E), no mask"),
    ParityCase("ScaledDotProductAttention[causal]", mf.ScaledDotProductAttention,
               _qkv(L=6, is_causal=True), _sdpa, note="is_causal=True, L = S"),
    ParityCase("ScaledDotProductAttention[causal L<S]", mf.ScaledDotProductAttention,
               _qkv(L=3, is_causal=True), _sdpa, note="is_causal=True, top-left aligned"),
    ParityCase("ScaledDotProductAttention[bool mask]", mf.ScaledDotProductAttention,
               _qkv(mask=_bool_mask), _sdpa,
               note="bool (L, S) mask broadcast over (N, heads), True = attend, one row all "
                    "False (output and gradients 0)"),
    ParityCase("ScaledDotProductAttention[additive mask]", mf.ScaledDotProductAttention,
               _qkv(mask=_float_mask), _sdpa,
               note="float (N, 1, L, S) mask with -inf entries and a fully masked row; the "
                    "mask's gradient is compared too"),
    ParityCase("ScaledDotProductAttention[scale, broadcast k v]", mf.ScaledDotProductAttention,
               _qkv(kb=(1, 3), scale=0.7), _sdpa, note="scale=0.7; key/value batch (1, 3)"),
    ParityCase("ScaledDotProductAttention[weights]", mf.ScaledDotProductAttention,
               _qkv(B=(3,), mask=_live_mask, need_weights=True),
               lambda q, k, v, m, **kw: _by_hand(q, k, v, torch.where(m, 0.0, -torch.inf)
                                                 .to(q.dtype), **kw),
               note="need_weights=True: (out, weights) against softmax(q kᵀ/√E + mask) v in "
                    "torch ops"),
    ParityCase("ScaledDotProductAttention[gqa]", mf.ScaledDotProductAttention,
               lambda rng: Inputs({"query": _normal(rng, 2, 6, 4, 5),
                                   "key": _normal(rng, 2, 2, 6, 5),
                                   "value": _normal(rng, 2, 3, 6, 3)},
                                  {"enable_gqa": True, "is_causal": True}), _sdpa,
               note="enable_gqa=True: 6 query heads share 2 key heads and 3 value heads; the "
                    "key/value gradients sum over the sharing heads"),
    ParityCase("ScaledDotProductAttention[dropout]", mf.ScaledDotProductAttention,
               _qkv(dropout_p=0.3, rng=7, need_weights=True), _by_hand,
               note="dropout_p=0.3 with keep mask from np.random.default_rng(7), in torch ops"),
]
