"""`TorchCaptioningTransformer`: zoo's CaptioningTransformer in torch, with CS231n's module names.

The modules are those of CS231n's torch `CaptioningTransformer` (visual_projection, embedding
with padding_idx=<NULL>, positional_encoding.pe (1, max_length, W), transformer.layers.i.
{self_attn, multihead_attn}.{key, query, value, proj}, linear1, linear2, norm1..3, output), so
a CS231n state dict loads as is (`load_state_dict`). The maths is CS231n's (scores scaled by
1/sqrt(head_dim), future keys masked with -inf, dropout on the attention weights); the loss is
zoo's: cross-entropy summed over targets that are not <NULL>, divided by N.

Dropout: every site (positional encoding, attention weights, dropout, dropout1..3) is a
`GlobalDropout`, which is `nn.Dropout` (torch's global RNG) unless the twin's
`global_dropout(seed, step, rows, total)` context is on: then each mask is a function of
(seed, step, k) over the GLOBAL batch (k counts the sites applied in the step) and this process
takes the rows it holds, so a batch split over N processes draws the masks of one process.

`transformer_state_from_torch(sd)` turns a torch state dict into the arrays
`CaptioningTransformer.load_state_dict` takes (2-D Linear weights transposed to minigrad's
(in, out) layout); `transformer_state_to_torch(state)` is its inverse.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from minigrad.errors import RangeError, ShapeError


def _is_linear_weight(name: str, value: Any) -> bool:
    """Whether `name` is a Linear weight (2-D, not the embedding table)."""
    return name.endswith(".weight") and name != "embedding.weight" and np.ndim(value) == 2


def transformer_state_from_torch(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A torch CaptioningTransformer state dict -> {name: ndarray} in minigrad's layout
    (Linear weights (out, in) -> (in, out); everything else copied)."""
    out = {}
    for name, value in state.items():
        a = value.detach().cpu().numpy() if torch.is_tensor(value) else np.asarray(value)
        out[name] = np.ascontiguousarray(a.T if _is_linear_weight(name, a) else a).copy()
    return out


def transformer_state_to_torch(state: Mapping[str, Any], dtype: torch.dtype | None = None
                               ) -> dict[str, torch.Tensor]:
    """{name: array} of a minigrad CaptioningTransformer -> a torch state dict (Linear weights
    transposed back to (out, in)); `dtype` casts every tensor (default: keep)."""
    out = {}
    for name, value in state.items():
        a = np.asarray(getattr(value, "data", value))
        t = torch.from_numpy(np.ascontiguousarray(a.T if _is_linear_weight(name, a) else a).copy())
        out[name] = t if dtype is None else t.to(dtype)
    return out


class GlobalMasks:
    """The dropout masks of one training step as a function of (seed, step) over the global
    batch of `total` rows, of which this process holds rows [start, stop).

    The k-th mask drawn (k = 0, 1, ... in the order the sites run) has the global shape
    (total, *x.shape[1:]): a torch.Generator on x's device (CPU or CUDA, so the mask is made where
    x lives) seeded from SeedSequence([seed, step, k]) draws uniform float32 u, keep = u >= p,
    and x (N_r, ...) is multiplied by keep[start:stop] / (1 - p). Masks depend on the device's
    generator (CPU and CUDA draw different ones), never on the process count or on torch's
    global RNG. rows=None: this process holds the whole batch (total = x.shape[0]).
    """

    def __init__(self, seed: int, step: int, rows: tuple[int, int] | None = None,
                 total: int | None = None) -> None:
        for name, value in (("seed", seed), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise RangeError(f"GlobalMasks: {name} must be an int >= 0, got {value!r}")
        if (rows is None) != (total is None):
            raise RangeError(f"GlobalMasks: rows and total go together, got rows={rows!r}, "
                             f"total={total!r}")
        if rows is not None and not 0 <= rows[0] < rows[1] <= total:
            raise RangeError(f"GlobalMasks: rows must satisfy 0 <= start < stop <= total, got "
                             f"rows={tuple(rows)!r}, total={total!r}")
        self.seed, self.step = int(seed), int(step)
        self.rows = None if rows is None else (int(rows[0]), int(rows[1]))
        self.total = None if total is None else int(total)
        self.calls = 0

    def generator(self, k: int, device: torch.device) -> torch.Generator:
        """The generator of the k-th mask of this step, on `device`."""
        seq = np.random.SeedSequence([self.seed, self.step, int(k)])
        g = torch.Generator(device=device)
        g.manual_seed(int(seq.generate_state(1, np.uint64)[0]) >> 1)
        return g

    def apply(self, x: torch.Tensor, p: float) -> torch.Tensor:
        """x (N_r, ...) -> x · keep[start:stop] / (1 - p) with the next global mask."""
        k, self.calls = self.calls, self.calls + 1
        start, stop = (0, x.shape[0]) if self.rows is None else self.rows
        total = x.shape[0] if self.total is None else self.total
        if x.shape[0] != stop - start:
            raise ShapeError(f"GlobalMasks: x has {x.shape[0]} rows, rows [{start}, {stop}) "
                             f"of the global batch hold {stop - start}")
        if p == 0.0:
            return x
        if p >= 1.0:
            return x * torch.zeros((), dtype=x.dtype, device=x.device)
        u = torch.rand((total, *x.shape[1:]), generator=self.generator(k, x.device),
                       device=x.device, dtype=torch.float32)[start:stop]
        return x * (u >= p).to(x.dtype).div_(1.0 - p)


class GlobalDropout(nn.Dropout):
    """nn.Dropout (torch's global RNG), or, while `masks` is set (the twin's `global_dropout`
    context), the masks of `GlobalMasks`; x (N, ...) -> same shape; identity in eval mode."""

    masks: GlobalMasks | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.masks is None or not self.training:
            return super().forward(x)
        return self.masks.apply(x, self.p)


class PositionalEncoding(nn.Module):
    """x (N, T, W) -> dropout(x + pe[:, :T]); `pe` (1, max_len, W) is CS231n's sinusoid table."""

    def __init__(self, embed_dim: int, dropout: float = 0.1, max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = GlobalDropout(p=dropout)
        pos = torch.arange(max_len, dtype=torch.float64)[:, None]
        freq = 10000.0 ** (-torch.arange(0, embed_dim, 2, dtype=torch.float64) / embed_dim)
        pe = torch.zeros(1, max_len, embed_dim, dtype=torch.float64)
        pe[0, :, 0::2] = torch.sin(pos * freq)
        pe[0, :, 1::2] = torch.cos(pos * freq)
        self.register_buffer("pe", pe)  # float64; the model's .to(dtype) casts it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[:, :x.shape[1]])


class MultiHeadAttention(nn.Module):
    """CS231n's attention: query (N, S, E), key/value (N, T, E), attn_mask (S, T) (0 = masked)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = GlobalDropout(dropout)
        self.n_head, self.emd_dim, self.head_dim = num_heads, embed_dim, embed_dim // num_heads
        self.last_weights: torch.Tensor | None = None

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        N, S, E = query.shape
        T = value.shape[1]
        h, d = self.n_head, self.head_dim
        q = self.query(query).view(N, S, h, d).transpose(1, 2)  # (N, h, S, d)
        k = self.key(key).view(N, T, h, d).transpose(1, 2)
        v = self.value(value).view(N, T, h, d).transpose(1, 2)
        scores = q @ k.transpose(2, 3) / math.sqrt(d)  # (N, h, S, T)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, float("-inf"))
        w = self.attn_drop(F.softmax(scores, dim=-1))
        self.last_weights = w.detach()
        return self.proj((w @ v).transpose(1, 2).reshape(N, S, E))


class TransformerDecoderLayer(nn.Module):
    """Post-norm decoder layer (self-attention, cross-attention, ReLU feed-forward)."""

    def __init__(self, input_dim: int, num_heads: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = GlobalDropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)
        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = GlobalDropout(dropout)
        self.dropout2 = GlobalDropout(dropout)
        self.dropout3 = GlobalDropout(dropout)
        self.activation = nn.ReLU()

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor,
                tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        tgt = self.norm1(tgt + self.dropout1(self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)))
        tgt = self.norm2(tgt + self.dropout2(self.multihead_attn(tgt, memory, memory)))
        ff = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        return self.norm3(tgt + self.dropout3(ff))


class TransformerDecoder(nn.Module):
    """`layers`: a ModuleList of decoder layers."""

    def __init__(self, layers: list[TransformerDecoderLayer]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.num_layers = len(layers)

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor,
                tgt_mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            tgt = layer(tgt, memory, tgt_mask=tgt_mask)
        return tgt


class TorchCaptioningTransformer(nn.Module):
    """Torch twin of `zoo.captioning.CaptioningTransformer` (same arguments and module names):
    features (N, D), captions (N, T+1) -> loss; features -> greedy words (N, max_length)."""

    def __init__(self, word_to_idx: Mapping[str, int], input_dim: int, wordvec_dim: int,
                 num_heads: int = 4, num_layers: int = 2, max_length: int = 50,
                 dim_feedforward: int = 2048, dropout: float = 0.1,
                 dtype: torch.dtype = torch.float64, device: Any = None) -> None:
        super().__init__()
        V = len(word_to_idx)
        self.word_to_idx = dict(word_to_idx)
        self._null = int(word_to_idx["<NULL>"])
        self._start, self._end = word_to_idx.get("<START>"), word_to_idx.get("<END>")
        self.max_length = int(max_length)
        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.embedding = nn.Embedding(V, wordvec_dim, padding_idx=self._null)
        self.positional_encoding = PositionalEncoding(wordvec_dim, dropout, max_length)
        self.transformer = TransformerDecoder([
            TransformerDecoderLayer(wordvec_dim, num_heads, dim_feedforward, dropout)
            for _ in range(num_layers)])
        self.output = nn.Linear(wordvec_dim, V)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if isinstance(m, nn.Linear):
                    nn.init.zeros_(m.bias)
        self.to(dtype=dtype, device=device)

    @classmethod
    def from_minigrad(cls, model: Any, dtype: torch.dtype = torch.float64,
                      device: Any = None) -> TorchCaptioningTransformer:
        """The twin of a minigrad CaptioningTransformer: same config, vocabulary and weights."""
        c = model.config
        twin = cls(model.word_to_idx, c.input_dim, c.wordvec_dim, c.num_heads, c.num_layers,
                   c.max_length, c.dim_feedforward, c.dropout, dtype=dtype, device=device)
        twin.load_state_dict(transformer_state_to_torch(model.state_dict(), dtype))
        return twin

    def to_state_dict(self) -> dict[str, np.ndarray]:
        """The minigrad model's `load_state_dict` input (`transformer_state_from_torch`)."""
        return transformer_state_from_torch(self.state_dict())

    @contextmanager
    def global_dropout(self, seed: int, step: int, rows: tuple[int, int] | None = None,
                       total: int | None = None) -> Iterator[GlobalMasks]:
        """Within the context every dropout site (in train mode) uses the masks of
        `GlobalMasks(seed, step, rows, total)`: a function of (seed, step) over the global batch
        of `total` rows, of which this process's inputs are rows [start, stop) (rows=None: all).
        The previous setting (normally torch's global RNG) is restored on exit."""
        masks = GlobalMasks(seed, step, rows, total)
        sites = [m for m in self.modules() if isinstance(m, GlobalDropout)]
        before = [m.masks for m in sites]
        for m in sites:
            m.masks = masks
        try:
            yield masks
        finally:
            for m, old in zip(sites, before, strict=True):
                m.masks = old

    def _tensor(self, x: Any, dtype: torch.dtype) -> torch.Tensor:
        dev = self.output.weight.device
        return (x if torch.is_tensor(x) else torch.as_tensor(np.asarray(x))).to(dev, dtype)

    def forward(self, features: Any, captions: Any) -> torch.Tensor:
        """Features (N, D), input words (N, T) -> scores (N, T, V) (CS231n's forward)."""
        feats = self._tensor(features, self.output.weight.dtype)
        tokens = self._tensor(captions, torch.int64)
        T = tokens.shape[1]
        if T > self.max_length:
            raise RangeError(f"TorchCaptioningTransformer: {T} words exceed max_length "
                             f"{self.max_length}")
        x = self.positional_encoding(self.embedding(tokens))
        memory = self.visual_projection(feats).unsqueeze(1)  # (N, 1, W)
        mask = torch.tril(torch.ones(T, T, device=x.device, dtype=x.dtype))
        return self.output(self.transformer(x, memory, tgt_mask=mask))

    def loss(self, features: Any, captions: Any) -> torch.Tensor:
        """Features (N, D), captions (N, T+1) -> CE summed over non-<NULL> targets / N."""
        caps = self._tensor(captions, torch.int64)
        if caps.ndim != 2 or caps.shape[1] < 2:
            raise ShapeError(f"TorchCaptioningTransformer.loss: captions must be (N, T+1) with "
                             f"T >= 1, got shape {tuple(caps.shape)}")
        scores = self(features, caps[:, :-1])
        total = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), caps[:, 1:].reshape(-1),
                                ignore_index=self._null, reduction="sum")
        return total / caps.shape[0]

    @torch.no_grad()
    def sample(self, features: Any, max_length: int = 30) -> np.ndarray:
        """Greedy captions (N, max_length) int, recomputing every prefix (eval mode inside);
        a row is <NULL> after its first <END>."""
        if self._start is None or self._end is None:
            raise KeyError("TorchCaptioningTransformer.sample: needs <START> and <END>")
        if max_length > self.max_length:
            raise RangeError(f"TorchCaptioningTransformer.sample: max_length {max_length} "
                             f"exceeds the model's {self.max_length}")
        mode = self.training
        self.eval()
        try:
            feats = self._tensor(features, self.output.weight.dtype)
            N = feats.shape[0]
            out = torch.full((N, max_length), self._null, dtype=torch.int64)
            prefix = torch.full((N, 1), self._start, dtype=torch.int64, device=feats.device)
            done = torch.zeros(N, dtype=torch.bool, device=feats.device)
            for t in range(max_length):
                word = self(feats, prefix)[:, -1].argmax(dim=1)  # (N,)
                out[:, t] = torch.where(done, self._null, word).cpu()
                done |= word == self._end
                if bool(done.all()):
                    break
                prefix = torch.cat([prefix, word[:, None]], dim=1)
        finally:
            self.train(mode)
        return out.numpy()


__all__ = ["GlobalDropout", "GlobalMasks", "TorchCaptioningTransformer",
           "transformer_state_from_torch", "transformer_state_to_torch"]
