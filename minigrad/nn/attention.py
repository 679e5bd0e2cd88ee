"""Attention layers: MultiheadAttention (torch's API, minigrad's (in, out) Linear layout).

Mapping from torch.nn.MultiheadAttention's state dict (E = embed_dim):
q_proj.weight = in_proj_weight[:E].T, k_proj.weight = in_proj_weight[E:2E].T,
v_proj.weight = in_proj_weight[2E:].T (or q_proj_weight.T, ... when kdim / vdim differ from E),
q_proj.bias, k_proj.bias, v_proj.bias = the thirds of in_proj_bias, out_proj.weight =
out_proj.weight.T, out_proj.bias = out_proj.bias.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import functional as mgf
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import init
from minigrad.nn.layers import Linear, _data, _positive, _rng
from minigrad.nn.module import Module, Parameter

_NAME = "MultiheadAttention"


def _mask_array(name: str, m: Any) -> Any:
    """A bool mask as an array, a float mask as given (it may be a Tensor in the graph)."""
    kind = _data(m).dtype.kind
    if kind not in "bf":
        raise DTypeError(f"{_NAME}: {name} must be a bool or float mask, got dtype "
                         f"{_data(m).dtype}")
    return _data(m) if kind == "b" else m


def _additive(m: Any, dtype: np.dtype) -> Any:
    """Bool masks (True = not allowed, torch's MultiheadAttention convention) as 0 / -inf."""
    if _data(m).dtype.kind == "b":
        return np.where(_data(m), -np.inf, 0.0).astype(dtype)
    return m


class MultiheadAttention(Module):
    """Multi-head attention as torch.nn.MultiheadAttention: query (L, N, E), key (S, N, kdim),
    value (S, N, vdim) ((N, L, E) ... with batch_first=True; unbatched (L, E) too) ->
    (output (L, N, E), weights (N, L, S) averaged over heads, or (N, heads, L, S), or None).

    Sub-modules q_proj, k_proj, v_proj, out_proj are Linear layers ((in, out) weights). Masks
    follow torch's MultiheadAttention: a bool attn_mask or key_padding_mask is True where
    attention is NOT allowed, a float one is added to the scores; attn_mask is (L, S) or
    (N·num_heads, L, S), key_padding_mask (N, S). `is_causal=True` without attn_mask applies
    the causal mask (torch requires attn_mask then and treats is_causal as a hint; given both,
    attn_mask is used, as torch). A query that may attend to no key gets output out_proj.bias
    and weights 0 (torch gives NaN there). Dropout on the weights in training mode only.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, kdim: int | None = None, vdim: int | None = None,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        kdim = embed_dim if kdim is None else kdim
        vdim = embed_dim if vdim is None else vdim
        _positive(_NAME, embed_dim=embed_dim, num_heads=num_heads, kdim=kdim, vdim=vdim)
        if embed_dim % num_heads:
            raise ShapeError(f"{_NAME}: embed_dim must be divisible by num_heads, got "
                             f"embed_dim {embed_dim} and num_heads {num_heads}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{_NAME}: dropout must be in [0, 1), got {dropout}")
        rng = _rng(rng)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim, self.vdim, self.dropout, self.batch_first = kdim, vdim, dropout, batch_first
        self.rng = rng
        for name, dim in (("q_proj", embed_dim), ("k_proj", kdim), ("v_proj", vdim)):
            layer = Linear(dim, embed_dim, bias=bias, dtype=dtype, rng=rng)
            fan = 4 * embed_dim if kdim == vdim == embed_dim else embed_dim + dim  # torch's xavier
            layer.weight = Parameter(init.uniform((dim, embed_dim), rng, math.sqrt(6 / fan), dtype))
            if bias:
                layer.bias = Parameter(init.zeros((embed_dim,), dtype))
            setattr(self, name, layer)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, rng=rng)
        if bias:
            self.out_proj.bias = Parameter(init.zeros((embed_dim,), dtype))

    def _inputs(self, query: Any, key: Any, value: Any) -> tuple:
        """Batch-first (N, L, E), (N, S, kdim), (N, S, vdim) inputs, and whether batched."""
        q, k, v = _data(query), _data(key), _data(value)
        batched = q.ndim == 3
        lay = "(N, L, E)" if self.batch_first else "(L, N, E)"
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise ShapeError(f"{_NAME}: query, key and value must all be 3-D {lay} or all 2-D "
                             f"(L, E), got {q.shape}, {k.shape}, {v.shape}")
        for name, a, dim in (("query", q, self.embed_dim), ("key", k, self.kdim),
                             ("value", v, self.vdim)):
            if a.shape[-1] != dim:
                raise ShapeError(f"{_NAME}: {name}.shape[-1] must be {dim}, got {a.shape}")
            if a.dtype != self.out_proj.weight.dtype:
                raise DTypeError(f"{_NAME}: {name} must have the layer's dtype "
                                 f"{self.out_proj.weight.dtype}, got {a.dtype}")
        if k.shape[:-1] != v.shape[:-1]:
            raise ShapeError(f"{_NAME}: key and value must agree but in the last axis, got "
                             f"key {k.shape} and value {v.shape}")
        b = 0 if self.batch_first or not batched else 1
        if batched and q.shape[b] != k.shape[b]:
            raise ShapeError(f"{_NAME}: query and key must have the same batch size, got "
                             f"query {q.shape} and key {k.shape}")
        xs = []
        for x in (query, key, value):
            if not batched:
                x = mgf.reshape(x, (1, *_data(x).shape))
            elif not self.batch_first:
                x = mgf.transpose(x, (1, 0, 2))
            xs.append(x)
        return (*xs, batched)

    def _mask(self, attn_mask: Any, key_padding_mask: Any, is_causal: bool, N: int, L: int,
              S: int, batched: bool) -> Any:
        """One SDPA mask broadcastable to (N, heads, L, S): bool True = attend, or additive."""
        h, dt = self.num_heads, self.out_proj.weight.dtype
        parts = []
        if attn_mask is None and is_causal:
            attn_mask = ~np.tril(np.ones((L, S), dtype=bool))
        if attn_mask is not None:
            m = _mask_array("attn_mask", attn_mask)
            shp = _data(m).shape
            if shp == (L, S):
                parts.append(m)
            elif shp == (N * h, L, S):
                parts.append(mgf.reshape(m, (N, h, L, S)) if _data(m).dtype.kind == "f"
                             else _data(m).reshape(N, h, L, S))
            else:
                raise ShapeError(f"{_NAME}: attn_mask must have shape (L, S) = {(L, S)} or "
                                 f"(N·num_heads, L, S) = {(N * h, L, S)}, got {shp}")
        if key_padding_mask is not None:
            m = _mask_array("key_padding_mask", key_padding_mask)
            want = (N, S) if batched else (S,)
            if _data(m).shape != want:
                raise ShapeError(f"{_NAME}: key_padding_mask must have shape "
                                 f"{'(N, S)' if batched else '(S,)'} = {want}, "
                                 f"got {_data(m).shape}")
            parts.append(mgf.reshape(m, (N, 1, 1, S)) if _data(m).dtype.kind == "f"
                         else _data(m).reshape(N, 1, 1, S))
        if not parts:
            return None
        if all(_data(p).dtype.kind == "b" for p in parts):
            return ~np.logical_or.reduce(np.broadcast_arrays(*parts))  # True = attend
        total = _additive(parts[0], dt)
        for p in parts[1:]:
            total = mgf.add(total, _additive(p, dt))
        return total

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
        """(L, N, E), (S, N, kdim), (S, N, vdim) -> ((L, N, E), (N, L, S) or None)."""
        q, k, v, batched = self._inputs(query, key, value)
        N, L, _ = q.shape
        S = k.shape[1]
        h, d = self.num_heads, self.head_dim

        def heads(x: Any, n: int) -> Any:  # (N, n, E) -> (N, h, n, d)
            return mgf.transpose(mgf.reshape(x, (N, n, h, d)), (0, 2, 1, 3))

        mask = self._mask(attn_mask, key_padding_mask, is_causal, N, L, S, batched)
        extra = () if mask is None else (mask,)
        out, w = mgf.ScaledDotProductAttention.apply(
            heads(self.q_proj(q), L), heads(self.k_proj(k), S), heads(self.v_proj(v), S),
            *extra, dropout_p=self.dropout if self.training else 0.0, rng=self.rng,
            need_weights=True)  # (N, h, L, d), (N, h, L, S)
        out = self.out_proj(mgf.reshape(mgf.transpose(out, (0, 2, 1, 3)), (N, L, h * d)))
        if not batched:
            out = mgf.reshape(out, (L, self.embed_dim))
        elif not self.batch_first:
            out = mgf.transpose(out, (1, 0, 2))
        if not need_weights:
            return out, None
        if average_attn_weights:
            w = mgf.mean(w, axis=1)  # (N, L, S)
        return out, (w if batched else mgf.reshape(w, _data(w).shape[1:]))

    def extra_repr(self) -> str:
        extra = "" if self.dropout == 0 else f", dropout={self.dropout}"
        extra += "" if self.kdim == self.embed_dim else f", kdim={self.kdim}"
        extra += "" if self.vdim == self.embed_dim else f", vdim={self.vdim}"
        extra += "" if self.out_proj.bias is not None else ", bias=False"
        extra += ", batch_first=True" if self.batch_first else ""
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}{extra}"


__all__ = ["MultiheadAttention"]
