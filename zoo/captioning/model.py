"""The CS231n image captioner on minigrad: image features -> h0 -> RNN/LSTM over words -> scores.

Parameter names, shapes, initialisation, LSTM gate order (i, f, o, g) and the loss normalisation
(cross-entropy summed over non-<NULL> targets, divided by N) are those of CS231n assignment 3,
so the course's published numbers can be reproduced by loading the same parameters.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from minigrad import Tensor, no_grad
from minigrad import functional as F
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.nn import Module, Parameter

CELL_TYPES = ("rnn", "lstm")


@dataclass
class CaptionerConfig:
    """Sizes of the captioner: D image features, W word vectors, H hidden units, cell type."""

    input_dim: int = 512
    wordvec_dim: int = 128
    hidden_dim: int = 128
    cell_type: str = "rnn"
    dtype: str = "float32"
    seed: int = 0


class CaptioningRNN(Module):
    """Captioner: features (N, D) and captions (N, T+1) int -> loss; features -> sampled words.

    Parameters (CS231n names): W_proj (D, H), b_proj (H,), W_embed (V, W), Wx (W, G·H),
    Wh (H, G·H), b (G·H,), W_vocab (H, V), b_vocab (V,), with G = 1 (rnn) or 4 (lstm).
    """

    def __init__(self, word_to_idx: Mapping[str, int], input_dim: int = 512,
                 wordvec_dim: int = 128, hidden_dim: int = 128, cell_type: str = "rnn",
                 dtype: Any = np.float32, seed: int = 0) -> None:
        super().__init__()
        if cell_type not in CELL_TYPES:
            raise ValueError(f"CaptioningRNN: cell_type must be 'rnn' or 'lstm', got {cell_type!r}")
        dt = np.dtype(dtype)
        if dt not in (np.float32, np.float64):
            raise DTypeError(f"CaptioningRNN: dtype must be float32 or float64, got {dt}")
        for name, val in (("input_dim", input_dim), ("wordvec_dim", wordvec_dim),
                          ("hidden_dim", hidden_dim)):
            if int(val) < 1:
                raise RangeError(f"CaptioningRNN: {name} must be >= 1, got {val}")
        if "<NULL>" not in word_to_idx:
            raise KeyError("CaptioningRNN: word_to_idx must contain '<NULL>'")
        self.config = CaptionerConfig(int(input_dim), int(wordvec_dim), int(hidden_dim),
                                      cell_type, dt.name, int(seed))
        self.cell_type = cell_type
        self.word_to_idx = dict(word_to_idx)
        self.idx_to_word = {i: w for w, i in self.word_to_idx.items()}
        self._null = int(word_to_idx["<NULL>"])
        self._start = word_to_idx.get("<START>")
        self._end = word_to_idx.get("<END>")
        V = len(word_to_idx)
        D, W, H = int(input_dim), int(wordvec_dim), int(hidden_dim)
        G = 4 * H if cell_type == "lstm" else H
        rng = np.random.RandomState(seed)  # CS231n draw order: W_embed, W_proj, Wx, Wh, W_vocab
        W_embed = rng.randn(V, W) / 100
        W_proj = rng.randn(D, H) / np.sqrt(D)
        Wx = rng.randn(W, G) / np.sqrt(W)
        Wh = rng.randn(H, G) / np.sqrt(H)
        W_vocab = rng.randn(H, V) / np.sqrt(H)
        self.W_proj = Parameter(W_proj, dtype=dt)  # (D, H)
        self.b_proj = Parameter(np.zeros(H), dtype=dt)  # (H,)
        self.W_embed = Parameter(W_embed, dtype=dt)  # (V, W)
        self.Wx = Parameter(Wx, dtype=dt)  # (W, G)
        self.Wh = Parameter(Wh, dtype=dt)  # (H, G)
        self.b = Parameter(np.zeros(G), dtype=dt)  # (G,)
        self.W_vocab = Parameter(W_vocab, dtype=dt)  # (H, V)
        self.b_vocab = Parameter(np.zeros(V), dtype=dt)  # (V,)

    @property
    def dtype(self) -> np.dtype:
        """The parameters' dtype (follows `model.double()` / `model.float()`)."""
        return self.W_proj.dtype

    @property
    def vocab_size(self) -> int:
        """V, the number of words."""
        return int(self.W_embed.shape[0])

    def _check_features(self, fn: str, features: Any) -> np.ndarray:
        """Features (N, D) float as an array of the model's dtype, or a named error."""
        x = np.asarray(getattr(features, "data", features))
        if x.dtype.kind != "f":
            raise DTypeError(f"{fn}: features must be a float array, got dtype {x.dtype}")
        D = self.config.input_dim
        if x.ndim != 2 or x.shape[1] != D:
            raise ShapeError(f"{fn}: features must be (N, D) with D = input_dim = {D}, "
                             f"got shape {x.shape}")
        if x.shape[0] == 0:
            raise ShapeError(f"{fn}: features must be a non-empty batch, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise RangeError(f"{fn}: features must be finite, got NaN or inf")
        return x.astype(self.dtype, copy=False)

    def _check_captions(self, fn: str, captions: Any, N: int) -> np.ndarray:
        """Captions (N, T+1) int with ids in [0, V), or a named error."""
        c = np.asarray(captions)
        if c.dtype.kind not in "iu":
            raise DTypeError(f"{fn}: captions must be an integer array, got dtype {c.dtype}")
        if c.ndim != 2 or c.shape[1] < 2:
            raise ShapeError(f"{fn}: captions must be 2-D (N, T+1) with T+1 >= 2, "
                             f"got shape {c.shape}")
        if c.shape[0] != N:
            raise ShapeError(f"{fn}: captions.shape[0] must equal features.shape[0] (N = {N}), "
                             f"got captions {c.shape}")
        V = self.vocab_size
        lo, hi = int(c.min()), int(c.max())
        if lo < 0 or hi >= V:
            raise RangeError(f"{fn}: caption ids must be in [0, V) with V = {V}, "
                             f"got min {lo} max {hi}")
        return c

    def hidden_states(self, features: np.ndarray, captions_in: np.ndarray) -> Tensor:
        """Validated features (N, D) and input words (N, T) -> hidden states (N, T, H)."""
        h0 = F.affine(features, self.W_proj, self.b_proj)  # (N, H)
        x = F.embedding(captions_in, self.W_embed)  # (N, T, W)
        cell = F.lstm if self.cell_type == "lstm" else F.rnn
        return cell(x, h0, self.Wx, self.Wh, self.b)  # (N, T, H)

    def loss(self, features: Any, captions: Any) -> Tensor:
        """Features (N, D), captions (N, T+1) int -> scalar: CE over non-<NULL> targets / N."""
        feats = self._check_features("CaptioningRNN.loss", features)
        caps = self._check_captions("CaptioningRNN.loss", captions, feats.shape[0])
        captions_in, captions_out = caps[:, :-1], caps[:, 1:]  # (N, T), (N, T)
        mask = captions_out != self._null  # (N, T)
        h = self.hidden_states(feats, captions_in)  # (N, T, H)
        scores = F.temporal_affine(h, self.W_vocab, self.b_vocab)  # (N, T, V)
        return F.masked_softmax_ce(scores, captions_out, mask)

    forward = loss

    def _special(self, fn: str, token: str) -> int:
        idx = self.word_to_idx.get(token)
        if idx is None:
            raise KeyError(f"{fn}: word_to_idx has no {token!r} token, needed for sampling")
        return int(idx)

    @no_grad()
    def init_state(self, features: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Features (N, D) -> decoder state (h0 (N, H), c0 (N, H) zeros or None for rnn)."""
        feats = self._check_features("CaptioningRNN.sample", features)
        h = F.affine(feats, self.W_proj, self.b_proj).data  # (N, H)
        return h, (np.zeros_like(h) if self.cell_type == "lstm" else None)

    @no_grad()
    def step(self, words: np.ndarray, h: np.ndarray,
             c: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """One decoding step: words (N,) int, h (N, H), c -> (scores (N, V), next_h, next_c)."""
        x = self.W_embed.data[words]  # (N, W)
        if self.cell_type == "lstm":
            nh, nc = F.lstm_step(x, h, c, self.Wx.data, self.Wh.data, self.b.data)
            h, c = nh.data, nc.data
        else:
            h = F.rnn_step(x, h, self.Wx.data, self.Wh.data, self.b.data).data
        scores = F.affine(h, self.W_vocab.data, self.b_vocab.data).data  # (N, V)
        return scores, h, c

    @no_grad()
    def sample(self, features: Any, max_length: int = 30, beam_size: int = 1,
               length_penalty: float = 0.0) -> np.ndarray:
        """Features (N, D) -> generated words (N, max_length) int; <NULL> after a row's <END>.

        `beam_size=1` is greedy; larger uses beam search (see `zoo.captioning.decode`).
        """
        from zoo.captioning.decode import beam_search, greedy_decode

        if int(max_length) < 1:
            raise RangeError(f"CaptioningRNN.sample: max_length must be >= 1, got {max_length}")
        if int(beam_size) < 1:
            raise RangeError(f"CaptioningRNN.sample: beam_size must be >= 1, got {beam_size}")
        if beam_size == 1:
            return greedy_decode(self, features, max_length)
        return beam_search(self, features, max_length, beam_size, length_penalty)[0]
