"""The layers of CS231n's Transformer captioner (assignment 3, 2021+) on minigrad `nn` layers.

Module and parameter names are those of CS231n's torch `transformer_layers.py` /
`classifiers/transformer.py`, so a state dict maps one to one (Linear weights transposed to
minigrad's (in, out) layout): `MultiHeadAttention` has `key`, `query`, `value`, `proj` and
`attn_drop`; `TransformerDecoderLayer` has `self_attn`, `multihead_attn`, `linear1`,
`dropout`, `linear2`, `norm1..3`, `dropout1..3`; `PositionalEncoding` holds the buffer `pe`
(1, max_len, W). Attention scores are scaled by 1/sqrt(head_dim), a causal mask keeps key
j <= query i, and dropout acts on the attention weights (train mode only).

Every dropout draws from one numpy Generator shared by the whole model (`rng`), so a model's
masks can be replayed by resetting that Generator's state.

Letters: N batch, T (or S) sequence length, W embedding size, h heads, d = W / h.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import Tensor
from minigrad import functional as mgf
from minigrad.errors import ShapeError
from minigrad.nn import Dropout, LayerNorm, Linear, Module, ModuleList, ReLU
from minigrad.nn import Embedding as _Embedding


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def sinusoid_table(max_len: int, W: int, dtype: Any = np.float64) -> np.ndarray:
    """CS231n's encoding (1, max_len, W): pe[0, i, 2k] = sin(i·10000^(-2k/W)), pe[0, i, 2k+1] =
    cos(i·10000^(-2k/W))."""
    pos = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
    freq = 10000.0 ** (-np.arange(0, W, 2, dtype=np.float64) / W)  # (W/2,)
    pe = np.zeros((1, max_len, W))
    pe[0, :, 0::2] = np.sin(pos * freq)
    pe[0, :, 1::2] = np.cos(pos * freq)
    return pe.astype(dtype)


class Embedding(_Embedding):
    """Word embedding (V, W) with torch's `padding_idx`: ids (N, T) -> (N, T, W); the
    padding row is looked up as usual but receives no gradient."""

    def __init__(self, V: int, W: int, padding_idx: int | None = None, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__(V, W, dtype=dtype, rng=rng)
        if padding_idx is not None and not 0 <= int(padding_idx) < V:
            raise ShapeError(f"Embedding: padding_idx must be in [0, V) = [0, {V}), "
                             f"got {padding_idx}")
        self.padding_idx = None if padding_idx is None else int(padding_idx)

    def forward(self, idx: Any) -> Tensor:
        """(N, T) int -> (N, T, W)."""
        out = mgf.embedding(idx, self.weight)
        if self.padding_idx is None:
            return out
        pad = (np.asarray(idx) == self.padding_idx)[..., None]  # (N, T, 1)
        if not pad.any():
            return out
        return mgf.where(pad, self.weight.data[self.padding_idx], out)  # no grad to that row

    def extra_repr(self) -> str:
        return f"{self.V}, {self.W}, padding_idx={self.padding_idx}"


class PositionalEncoding(Module):
    """x (N, T, W) -> dropout(x + pe[:, :T]); `pe` is a (1, max_len, W) buffer."""

    def __init__(self, embed_dim: int, dropout: float = 0.1, max_len: int = 5000,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if embed_dim % 2:
            raise ShapeError(f"PositionalEncoding: embed_dim must be even, got {embed_dim}")
        self.dropout = Dropout(dropout, rng=rng)
        self.register_buffer("pe", Tensor(sinusoid_table(max_len, embed_dim, dtype)))

    @property
    def max_len(self) -> int:
        return int(self.pe.shape[1])

    def forward(self, x: Any, start: int = 0) -> Tensor:
        """(N, T, W) -> (N, T, W); positions start, ..., start + T - 1."""
        T = _array(x).shape[1]
        if start + T > self.max_len:
            raise ShapeError(f"PositionalEncoding: positions up to {start + T - 1} need "
                             f"max_len > {start + T - 1}, got max_len {self.max_len}")
        return self.dropout(mgf.add(x, self.pe.data[:, start:start + T]))


class MultiHeadAttention(Module):
    """CS231n's masked multi-head attention: query (N, S, W), key/value (N, T, W) -> (N, S, W).

    `attn_mask` (S, T) keeps [i, j] where it is nonzero/True (CS231n's convention);
    `is_causal=True` keeps j <= i. With `need_weights=True` also returns the attention
    weights (N, h, S, T) (after dropout, as CS231n computes them).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.1,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if num_heads < 1 or embed_dim % num_heads:
            raise ShapeError(f"MultiHeadAttention: embed_dim must be divisible by num_heads, "
                             f"got embed_dim {embed_dim} and num_heads {num_heads}")
        for name in ("key", "query", "value", "proj"):  # CS231n's registration order
            setattr(self, name, Linear(embed_dim, embed_dim, dtype=dtype, rng=rng))
        self.attn_drop = Dropout(dropout, rng=rng)
        self.n_head, self.emd_dim, self.head_dim = num_heads, embed_dim, embed_dim // num_heads

    def heads(self, x: Any) -> Tensor:
        """(N, T, W) -> (N, h, T, d)."""
        N, T, _ = _array(x).shape
        return mgf.transpose(mgf.reshape(x, (N, T, self.n_head, self.head_dim)), (0, 2, 1, 3))

    def attend(self, q: Any, k: Any, v: Any, mask: Any = None, is_causal: bool = False,
               need_weights: bool = False) -> Any:
        """Heads q (N, h, S, d), k and v (N, h, T, d) -> proj output (N, S, W) [, weights]."""
        drop = self.attn_drop
        p = drop.p if drop.training else 0.0
        extra = () if mask is None else (mask,)
        out, w = mgf.ScaledDotProductAttention.apply(q, k, v, *extra, is_causal=is_causal,
                                                     dropout_p=p, rng=drop.rng,
                                                     need_weights=True)
        N, _, S, _ = _array(q).shape
        out = self.proj(mgf.reshape(mgf.transpose(out, (0, 2, 1, 3)), (N, S, self.emd_dim)))
        return (out, w) if need_weights else out

    def forward(self, query: Any, key: Any, value: Any, attn_mask: Any = None,
                is_causal: bool = False, need_weights: bool = False) -> Any:
        """(N, S, W), (N, T, W), (N, T, W) -> (N, S, W) [, weights (N, h, S, T)]."""
        mask = None if attn_mask is None else np.asarray(_array(attn_mask)) != 0  # True = keep
        return self.attend(self.heads(self.query(query)), self.heads(self.key(key)),
                           self.heads(self.value(value)), mask, is_causal, need_weights)


class TransformerDecoderLayer(Module):
    """Post-norm decoder layer: causal self-attention, attention to `memory`, ReLU
    feed-forward, each followed by dropout, residual add and LayerNorm: (N, T, W) -> (N, T, W).
    """

    def __init__(self, input_dim: int, num_heads: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        W = input_dim
        self.self_attn = MultiHeadAttention(W, num_heads, dropout, dtype=dtype, rng=rng)
        self.multihead_attn = MultiHeadAttention(W, num_heads, dropout, dtype=dtype, rng=rng)
        self.linear1 = Linear(W, dim_feedforward, dtype=dtype, rng=rng)
        self.dropout = Dropout(dropout, rng=rng)
        self.linear2 = Linear(dim_feedforward, W, dtype=dtype, rng=rng)
        self.norm1 = LayerNorm(W, dtype=dtype)
        self.norm2 = LayerNorm(W, dtype=dtype)
        self.norm3 = LayerNorm(W, dtype=dtype)
        self.dropout1 = Dropout(dropout, rng=rng)
        self.dropout2 = Dropout(dropout, rng=rng)
        self.dropout3 = Dropout(dropout, rng=rng)
        self.activation = ReLU()

    def _rest(self, tgt: Any, attn: Any, memory_heads: tuple) -> Tensor:
        """After self-attention: residual + norm1, cross-attention, feed-forward."""
        tgt = self.norm1(mgf.add(tgt, self.dropout1(attn)))
        mk, mv = memory_heads
        cross = self.multihead_attn.attend(self.multihead_attn.heads(
            self.multihead_attn.query(tgt)), mk, mv)
        tgt = self.norm2(mgf.add(tgt, self.dropout2(cross)))
        ff = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        return self.norm3(mgf.add(tgt, self.dropout3(ff)))

    def memory_heads(self, memory: Any) -> tuple:
        """The cross-attention keys and values of memory (N, S, W): two (N, h, S, d)."""
        a = self.multihead_attn
        return a.heads(a.key(memory)), a.heads(a.value(memory))

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, is_causal: bool = False,
                need_weights: bool = False) -> Any:
        """tgt (N, T, W), memory (N, S, W) -> (N, T, W) [, self-attention weights (N, h, T, T)]."""
        out = self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask, is_causal=is_causal,
                             need_weights=need_weights)
        attn, w = out if need_weights else (out, None)
        tgt = self._rest(tgt, attn, self.memory_heads(memory))
        return (tgt, w) if need_weights else tgt

    def step(self, x: Any, cache: tuple) -> tuple:
        """One new position: x (N, 1, W), cache (self K, self V (N, h, t, d), memory K, V)
        -> (out (N, 1, W), cache with K, V (N, h, t+1, d)). Eval mode, no mask needed."""
        k_old, v_old, mk, mv = cache
        a = self.self_attn
        k = np.concatenate([k_old, _array(a.heads(a.key(x)))], axis=2)
        v = np.concatenate([v_old, _array(a.heads(a.value(x)))], axis=2)
        attn = a.attend(a.heads(a.query(x)), k, v)
        return self._rest(x, attn, (mk, mv)), (k, v, mk, mv)


class TransformerDecoder(Module):
    """A stack of decoder layers (`layers`, a ModuleList): (N, T, W) -> (N, T, W)."""

    def __init__(self, layers: list[TransformerDecoderLayer]) -> None:
        super().__init__()
        self.layers = ModuleList(layers)
        self.num_layers = len(layers)

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, is_causal: bool = False,
                need_weights: bool = False) -> Any:
        """(N, T, W), (N, S, W) -> (N, T, W) [, list of per-layer weights (N, h, T, T)]."""
        weights = []
        for layer in self.layers:
            out = layer(tgt, memory, tgt_mask=tgt_mask, is_causal=is_causal,
                        need_weights=need_weights)
            tgt = out[0] if need_weights else out
            if need_weights:
                weights.append(out[1])
        return (tgt, weights) if need_weights else tgt


__all__ = ["Embedding", "PositionalEncoding", "MultiHeadAttention", "TransformerDecoderLayer",
           "TransformerDecoder", "sinusoid_table"]
