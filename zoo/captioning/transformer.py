"""CS231n's Transformer captioner (assignment 3, 2021+) on minigrad.

features (N, D) -> visual_projection -> memory (N, 1, W); words (N, T) -> embedding
(padding_idx=<NULL>) -> positional_encoding (+ dropout) -> `transformer` (decoder layers of
causal self-attention, attention to the memory, ReLU feed-forward, each followed by dropout,
residual add and LayerNorm) -> output -> scores (N, T, V). The loss is CaptioningRNN's:
cross-entropy summed over targets that are not <NULL>, divided by N.

`state_dict()` keys are the CS231n torch module's (visual_projection.weight,
transformer.layers.0.self_attn.query.weight, ..., positional_encoding.pe, output.bias) with
Linear weights in minigrad's (in, out) layout (`vis.twin.transformer_state_from_torch`
transposes a torch state dict). Weights start normal(0, 0.02), biases 0, LayerNorm 1 / 0.

Decoding (`sample`, greedy or beam search via `zoo.captioning.decode`) runs incrementally:
`init_state` / `step` keep each layer's self-attention keys and values, so a step computes
only the new position.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad import Tensor, no_grad
from minigrad import functional as F
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.nn import LayerNorm, Linear, Module
from zoo.captioning.model import CaptioningRNN, check_word_to_idx
from zoo.captioning.transformer_layers import (
    Embedding,
    PositionalEncoding,
    TransformerDecoder,
    TransformerDecoderLayer,
)

_NAME = "CaptioningTransformer"


@dataclass
class TransformerConfig:
    """Sizes of the Transformer captioner: D image features, W word vectors, heads, layers."""

    input_dim: int = 512
    wordvec_dim: int = 128
    num_heads: int = 4
    num_layers: int = 2
    max_length: int = 50
    dim_feedforward: int = 2048
    dropout: float = 0.1
    dtype: str = "float32"
    seed: int = 0
    model: str = "transformer"


def _positive(**sizes: Any) -> None:
    for name, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise RangeError(f"{_NAME}: {name} must be an int >= 1, got {n!r}")


class CaptioningTransformer(Module):
    """Transformer captioner: features (N, D) and captions (N, T+1) int -> loss; features ->
    sampled words (N, max_length). See the module docstring for the architecture and names."""

    def __init__(self, word_to_idx: Mapping[str, int], input_dim: int, wordvec_dim: int,
                 num_heads: int = 4, num_layers: int = 2, max_length: int = 50,
                 dim_feedforward: int = 2048, dropout: float = 0.1, dtype: Any = np.float32,
                 seed: int = 0) -> None:
        super().__init__()
        dt = np.dtype(dtype)
        if dt not in (np.float32, np.float64):
            raise DTypeError(f"{_NAME}: dtype must be float32 or float64, got {dt}")
        _positive(input_dim=input_dim, wordvec_dim=wordvec_dim, num_heads=num_heads,
                  num_layers=num_layers, max_length=max_length, dim_feedforward=dim_feedforward)
        if wordvec_dim % num_heads or wordvec_dim % 2:
            raise ShapeError(f"{_NAME}: wordvec_dim must be even and divisible by num_heads, "
                             f"got wordvec_dim {wordvec_dim} and num_heads {num_heads}")
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
                or not 0 <= seed < 2 ** 32:
            raise RangeError(f"{_NAME}: seed must be an int in [0, 2**32), got {seed!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout < 1:
            raise RangeError(f"{_NAME}: dropout must be in [0, 1), got {dropout!r}")
        w2i = check_word_to_idx(_NAME, word_to_idx)  # ids 0..V-1, special tokens present
        self.word_to_idx = w2i
        self.idx_to_word = {i: w for w, i in w2i.items()}
        self._null, self._start, self._end = w2i["<NULL>"], w2i["<START>"], w2i["<END>"]
        self.config = TransformerConfig(int(input_dim), int(wordvec_dim), int(num_heads),
                                        int(num_layers), int(max_length), int(dim_feedforward),
                                        float(dropout), dt.name, int(seed))
        V, D, W = len(w2i), int(input_dim), int(wordvec_dim)
        self.rng = np.random.default_rng([int(seed), 1])  # every dropout mask comes from here
        rng = self.rng
        self.visual_projection = Linear(D, W, dtype=dt, rng=rng)
        self.embedding = Embedding(V, W, padding_idx=self._null, dtype=dt, rng=rng)
        self.positional_encoding = PositionalEncoding(W, dropout, max_length, dtype=dt, rng=rng)
        self.transformer = TransformerDecoder([
            TransformerDecoderLayer(W, num_heads, dim_feedforward, dropout, dtype=dt, rng=rng)
            for _ in range(num_layers)])
        self.output = Linear(W, V, dtype=dt, rng=rng)
        self._init_weights(np.random.default_rng(int(seed)))
        self.seed_dropout([int(seed), 1])

    def _init_weights(self, rng: np.random.Generator) -> None:
        """Linear and Embedding weights normal(0, 0.02), biases 0, LayerNorm weight 1, bias 0."""
        for m in self.modules():
            if isinstance(m, (Linear, Embedding)):
                m.weight.data[...] = rng.normal(0.0, 0.02, m.weight.shape)
                if isinstance(m, Linear) and m.bias is not None:
                    m.bias.data[...] = 0
            elif isinstance(m, LayerNorm):
                m.reset_parameters()

    def seed_dropout(self, entropy: Any) -> None:
        """Reset the Generator every dropout mask is drawn from to `default_rng(entropy)`'s
        state (the solver passes [seed, iteration], making masks a function of both)."""
        self.rng.bit_generator.state = np.random.default_rng(entropy).bit_generator.state

    @property
    def dtype(self) -> np.dtype:
        """The parameters' dtype (follows `model.double()` / `model.float()`)."""
        return self.output.weight.dtype

    @property
    def vocab_size(self) -> int:
        """V, the number of words."""
        return int(self.output.weight.shape[1])

    @property
    def max_length(self) -> int:
        """The longest decoder input (positions) the positional encoding covers."""
        return self.positional_encoding.max_len

    _check_features = CaptioningRNN._check_features
    _check_captions = CaptioningRNN._check_captions
    _special = CaptioningRNN._special

    def _length(self, fn: str, T: int) -> None:
        if T > self.max_length:
            raise RangeError(f"{fn}: sequences of {T} words exceed the model's max_length "
                             f"{self.max_length}")

    def scores(self, features: np.ndarray, captions_in: np.ndarray,
               need_weights: bool = False) -> Any:
        """Validated features (N, D), input words (N, T) -> scores (N, T, V) [, per-layer
        self-attention weights (N, h, T, T)]."""
        x = self.positional_encoding(self.embedding(captions_in))  # (N, T, W)
        memory = F.unsqueeze(self.visual_projection(features), 1)  # (N, 1, W)
        out = self.transformer(x, memory, is_causal=True, need_weights=need_weights)
        h, w = out if need_weights else (out, None)
        s = self.output(h)
        return (s, w) if need_weights else s

    def loss(self, features: Any, captions: Any) -> Tensor:
        """Features (N, D), captions (N, T+1) int -> scalar: CE over non-<NULL> targets / N."""
        fn = f"{_NAME}.loss"
        feats = self._check_features(fn, features)
        caps = self._check_captions(fn, captions, feats.shape[0])
        self._length(fn, caps.shape[1] - 1)
        captions_in, captions_out = caps[:, :-1], caps[:, 1:]  # (N, T), (N, T)
        scores = self.scores(feats, captions_in)  # (N, T, V)
        return F.masked_softmax_ce(scores, captions_out, captions_out != self._null)

    forward = loss

    @no_grad()
    def self_attention_maps(self, features: Any, captions: Any) -> np.ndarray:
        """Self-attention weights in eval mode: features (N, D), decoder input words (N, T)
        int (e.g. <START> + a caption) -> (num_layers, N, num_heads, T, T), rows sum to 1."""
        fn = f"{_NAME}.self_attention_maps"
        feats = self._check_features(fn, features)
        c = np.asarray(captions)
        if c.ndim != 2 or c.shape[1] < 1:
            raise ShapeError(f"{fn}: captions must be 2-D (N, T) with T >= 1, got shape "
                             f"{c.shape}")
        caps = self._check_captions(fn, np.concatenate([c, c[:, :1]], axis=1), feats.shape[0])
        self._length(fn, c.shape[1])
        mode = self.training
        self.eval()
        try:
            _, weights = self.scores(feats, caps[:, :-1], need_weights=True)
        finally:
            self.train(mode)
        return np.stack([w.data for w in weights])

    @no_grad()
    def init_state(self, features: Any) -> tuple[np.ndarray, ...]:
        """Features (N, D) -> decoder state: per layer (self K, self V (N, h, 0, d), memory
        K, V (N, h, 1, d)), flattened into one tuple of arrays with leading axis N."""
        feats = self._check_features(f"{_NAME}.sample", features)
        memory = F.unsqueeze(self.visual_projection(feats), 1)  # (N, 1, W)
        N, c = feats.shape[0], self.config
        empty = np.zeros((N, c.num_heads, 0, c.wordvec_dim // c.num_heads), self.dtype)
        state: list[np.ndarray] = []
        for layer in self.transformer.layers:
            mk, mv = layer.memory_heads(memory)
            state += [empty, empty, mk.data, mv.data]
        return tuple(state)

    @no_grad()
    def step(self, words: np.ndarray, *state: np.ndarray) -> tuple[np.ndarray, ...]:
        """One decoding step (eval behaviour): words (N,) int at position t = cached length,
        state from `init_state` / `step` -> (scores (N, V), *next state)."""
        t = state[0].shape[2]
        if t >= self.max_length:
            raise RangeError(f"{_NAME}.step: position {t} is beyond max_length "
                             f"{self.max_length}")
        x = F.embedding(np.asarray(words)[:, None], self.embedding.weight)  # (N, 1, W)
        x = F.add(x, self.positional_encoding.pe.data[:, t:t + 1])
        new: list[np.ndarray] = []
        for i, layer in enumerate(self.transformer.layers):
            x, cache = layer.step(x, state[4 * i:4 * i + 4])
            new += list(cache)
        scores = self.output(x).data[:, 0]  # (N, V)
        return (scores, *new)

    @no_grad()
    def sample(self, features: Any, max_length: int = 30, beam_size: int = 1,
               length_penalty: float = 0.0) -> np.ndarray:
        """Features (N, D) -> generated words (N, max_length) int; <NULL> after a row's <END>.

        Always decodes without dropout (the caller's train/eval mode is restored after);
        `beam_size=1` is greedy, larger uses beam search (see `zoo.captioning.decode`).
        """
        from zoo.captioning.decode import beam_search, greedy_decode

        fn = f"{_NAME}.sample"
        if int(max_length) < 1:
            raise RangeError(f"{fn}: max_length must be >= 1, got {max_length}")
        if int(max_length) > self.max_length:
            raise RangeError(f"{fn}: max_length {max_length} exceeds the model's max_length "
                             f"{self.max_length} (set when it was built)")
        if int(beam_size) < 1:
            raise RangeError(f"{fn}: beam_size must be >= 1, got {beam_size}")
        mode = self.training
        self.eval()
        try:
            if beam_size == 1:
                return greedy_decode(self, features, int(max_length))
            return beam_search(self, features, int(max_length), int(beam_size),
                               length_penalty)[0]
        finally:
            self.train(mode)

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return int(sum(p.data.size for p in self.parameters()))


__all__ = ["CaptioningTransformer", "TransformerConfig"]
