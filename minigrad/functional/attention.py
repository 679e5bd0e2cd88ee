"""Scaled dot-product attention with boolean, additive and causal masks, and attention dropout.

Masks follow torch's `scaled_dot_product_attention`: a bool `attn_mask` is True where a query
may attend, a float one is added to the scores (-inf allowed), `is_causal` keeps key j <= query
i (top-left aligned). A query row whose every key is masked gets weights 0, output 0 and zero
gradients, as torch's SDPA (no NaN reaches other rows or the parameters).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.errors import DTypeError, RangeError, RangeRuntimeError, ShapeError, ShapeRuntimeError
from minigrad.function import Context, Function
from minigrad.functional import validate as v

_FN = "ScaledDotProductAttention"


def _check_qkv(q: Any, k: Any, val: Any) -> tuple:
    """q (..., L, E), k (..., S, E), v (..., S, Ev) as float arrays; the batch shape of scores."""
    q, k, val = (v.floating(_FN, n, a) for n, a in (("query", q), ("key", k), ("value", val)))
    for name, a, letters in (("query", q, "(..., L, E)"), ("key", k, "(..., S, E)"),
                             ("value", val, "(..., S, Ev)")):
        if a.ndim < 2:
            raise ShapeError(f"{_FN}: {name} must be at least 2-D {letters}, got shape {a.shape}")
        if a.size == 0:
            raise ShapeError(f"{_FN}: {name} must be non-empty, got shape {a.shape}")
    v.same_dim(_FN, "query", q, -1, "key", k, -1)
    v.same_dim(_FN, "key", k, -2, "value", val, -2)
    v.same_dtype(_FN, ("query", "key", "value"), q, k, val)
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], val.shape[:-2])
    except ValueError:
        raise ShapeError(f"{_FN}: the batch dimensions of query, key and value must broadcast "
                         f"together, got query {q.shape}, key {k.shape}, value {val.shape}"
                         ) from None
    return q, k, val, batch


def _repeat_heads(q: Any, k: Any, val: Any) -> tuple:
    """k and v with their heads (axis -3) repeated to q's, as torch's enable_gqa: query
    (..., Hq, L, E), key (..., Hk, S, E), value (..., Hv, S, Ev) with Hk and Hv dividing Hq."""
    q, k, val = (np.asarray(v.floating(_FN, n, a)) for n, a in
                 (("query", q), ("key", k), ("value", val)))
    if min(q.ndim, k.ndim, val.ndim) < 3:
        return q, k, val, (1, 1)
    Hq, reps = q.shape[-3], []
    for name, a in (("key", k), ("value", val)):
        if a.shape[-3] == 0 or Hq % a.shape[-3]:
            raise ShapeRuntimeError(
                f"{_FN}: with enable_gqa the number of {name} heads (axis -3) must divide the "
                f"query heads {Hq}, got query {q.shape} and {name} {a.shape}")
        reps.append(Hq // a.shape[-3])
    return q, np.repeat(k, reps[0], axis=-3), np.repeat(val, reps[1], axis=-3), tuple(reps)


def _fold_heads(g: np.ndarray, rep: int) -> np.ndarray:
    """The gradient of a head-repeated input summed back over its `rep` copies."""
    if rep == 1:
        return g
    return g.reshape(*g.shape[:-3], g.shape[-3] // rep, rep, *g.shape[-2:]).sum(axis=-3)


def _check_mask(mask: Any, scores: tuple, dtype: np.dtype) -> np.ndarray:
    """A bool or float attn_mask that broadcasts to the scores' shape (..., L, S)."""
    mask = v.as_array(_FN, "attn_mask", mask)
    mask = np.asarray(mask)
    if mask.dtype.kind == "f":
        if np.isnan(mask).any() or (mask == np.inf).any():
            raise RangeError(f"{_FN}: a float attn_mask may hold -inf but not NaN or +inf")
        v.same_dtype(_FN, ("query", "attn_mask"), np.empty(0, dtype), mask)
    elif mask.dtype != np.bool_:
        raise DTypeError(f"{_FN}: attn_mask must be a bool mask (True = attend) or a float "
                         f"additive mask, got dtype {mask.dtype}")
    if not v.broadcasts_to(mask.shape, scores):
        raise ShapeError(f"{_FN}: attn_mask must broadcast to the scores' shape (..., L, S) = "
                         f"{scores}, got {mask.shape}")
    return mask


def _softmax_rows(s: np.ndarray) -> np.ndarray:
    """Softmax over the last axis in place; a row of -inf only becomes zeros."""
    m = s.max(axis=-1, keepdims=True)
    dead = m == -np.inf
    if dead.any():
        m[dead] = 0
    s -= m
    np.exp(s, out=s)
    den = s.sum(axis=-1, keepdims=True)
    if dead.any():
        den[dead] = 1
    s /= den
    return s


class ScaledDotProductAttention(Function):
    """softmax(q kᵀ · scale + mask) v: q (..., L, E), k (..., S, E), v (..., S, Ev), optional
    attn_mask broadcastable to (..., L, S) -> (..., L, Ev), or (out, weights (..., L, S)) with
    `need_weights=True` (the weights after dropout, as torch's MultiheadAttention returns).

    A float attn_mask is differentiable (its gradient is the scores'). `scale` defaults to
    1/sqrt(E); `dropout_p` > 0 drops weights with `rng` (a numpy Generator, or an int seed for
    a repeatable mask) and scales the rest by 1/(1 - p). `enable_gqa` repeats each key and
    value head (axis -3) to match the query heads (grouped-query attention, as torch).
    """

    @staticmethod
    def forward(ctx: Context, query: Any, key: Any, value: Any, attn_mask: Any = None,
                is_causal: bool = False, scale: float | None = None, dropout_p: float = 0.0,
                rng: Any = None, need_weights: bool = False, enable_gqa: bool = False) -> Any:
        if attn_mask is not None and is_causal:  # a RuntimeError too, as torch
            raise RangeRuntimeError(f"{_FN}: give attn_mask or is_causal=True, not both (as "
                                    "torch)")
        ctx.reps = (1, 1)
        if enable_gqa:
            query, key, value, ctx.reps = _repeat_heads(query, key, value)
        q, k, val, batch = _check_qkv(query, key, value)
        L, S = q.shape[-2], k.shape[-2]
        scores = (*batch, L, S)
        if not 0.0 <= dropout_p <= 1.0:
            raise RangeError(f"{_FN}: dropout_p must be in [0, 1], got {dropout_p}")
        mask = None if attn_mask is None else _check_mask(attn_mask, scores, q.dtype)
        scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
        s = np.matmul(q, np.swapaxes(k, -1, -2))  # (..., L, S)
        s *= scale
        if mask is not None and mask.dtype.kind == "f":
            s += mask
        elif mask is not None or is_causal:
            keep = np.tril(np.ones((L, S), dtype=bool)) if mask is None else mask
            s = np.where(keep, s, -np.inf)
        p = _softmax_rows(s)  # (..., L, S)
        drop = None
        if dropout_p > 0:
            drop = np.random.default_rng(rng).random(p.shape) >= dropout_p
            w = p * drop * (0.0 if dropout_p == 1 else 1.0 / (1.0 - dropout_p))
        else:
            w = p
        out = np.matmul(w, val)  # (..., L, Ev)
        ctx.scale, ctx.dropout_p = scale, dropout_p
        ctx.mask_shape = None if mask is None or mask.dtype.kind != "f" else mask.shape
        ctx.save_for_backward(q, k, val, p, drop)
        return (out, w) if need_weights else out

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray, dweights: Any = None) -> tuple:
        q, k, val, p, drop = ctx.saved_tensors
        need = ctx.needs_input_grad
        factor = 0.0 if ctx.dropout_p == 1 else 1.0 / (1.0 - ctx.dropout_p)
        w = p if drop is None else p * drop * factor
        dv = _fold_heads(v.unbroadcast(np.matmul(np.swapaxes(w, -1, -2), dout), val.shape),
                         ctx.reps[1]) if need[2] else None
        grads: list = [None, None, dv]
        if need[0] or need[1] or (len(need) > 3 and need[3]):
            dp = np.matmul(dout, np.swapaxes(val, -1, -2))  # (..., L, S)
            if dweights is not None:
                dp += dweights
            if drop is not None:
                dp *= drop
                dp *= factor
            ds = dp - (dp * p).sum(axis=-1, keepdims=True)
            ds *= p  # d scores (before the scale)
            if need[0]:
                grads[0] = v.unbroadcast(np.matmul(ds, k), q.shape) * ctx.scale
            if need[1]:
                grads[1] = _fold_heads(v.unbroadcast(np.matmul(np.swapaxes(ds, -1, -2), q),
                                                     k.shape) * ctx.scale, ctx.reps[0])
            if len(need) > 3 and need[3] and ctx.mask_shape is not None:
                grads.append(v.unbroadcast(ds, ctx.mask_shape))
        grads += [None] * (len(need) - len(grads))
        return tuple(grads)


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None, enable_gqa: bool = False, *,
                                 rng: Any = None, need_weights: bool = False) -> Any:
    """torch's signature: (..., L, E), (..., S, E), (..., S, Ev) -> (..., L, Ev); bool
    attn_mask True = attend, float attn_mask added; `need_weights` also returns (..., L, S);
    `enable_gqa` shares each key/value head among Hq / Hkv query heads (axis -3)."""
    extra = () if attn_mask is None else (attn_mask,)
    return ScaledDotProductAttention.apply(query, key, value, *extra, is_causal=is_causal,
                                           scale=scale, dropout_p=dropout_p, rng=rng,
                                           need_weights=need_weights, enable_gqa=enable_gqa)


__all__ = ["ScaledDotProductAttention", "scaled_dot_product_attention"]

TENSOR_METHODS: dict = {}
