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
SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>")


class VocabularyError(RangeError, KeyError):
    """A `word_to_idx` that is not a bijection words <-> 0..V-1 with the special tokens; a
    ValueError (RangeError) and a KeyError (a missing special token used to be one)."""

    __str__ = Exception.__str__  # the message as written, not KeyError's repr of it


def _listed(items: list[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(x) for x in items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def check_int(fn: str, name: str, value: Any, low: int = 1) -> int:
    """`value` as a Python int >= low, or a named error (a float or str is not truncated)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{fn}: {name} must be an int >= {low}, got {value!r}")
    if value < low:
        raise RangeError(f"{fn}: {name} must be >= {low}, got {value}")
    return int(value)


def check_word_to_idx(fn: str, word_to_idx: Any) -> dict[str, int]:
    """A vocabulary {word: id} checked: ids are exactly 0..V-1, one word each, int >= 0, and
    <NULL>, <START>, <END> are present (hence distinct); returns a copy with Python int ids.

    Raises DTypeError (not a mapping, a word that is not a str, an id that is not an int) or
    VocabularyError naming the offending words and ids.
    """
    if not isinstance(word_to_idx, Mapping):
        raise DTypeError(f"{fn}: word_to_idx must be a mapping word -> id, "
                         f"got {type(word_to_idx).__name__}")
    bad_words = [w for w in word_to_idx if not isinstance(w, str)]
    if bad_words:
        raise DTypeError(f"{fn}: word_to_idx keys must be str words, got {_listed(bad_words)}")
    bad_ids = [f"{w}={i!r}" for w, i in word_to_idx.items()
               if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer))]
    if bad_ids:
        raise DTypeError(f"{fn}: word_to_idx ids must be ints, got {_listed(bad_ids)}")
    w2i = {w: int(i) for w, i in word_to_idx.items()}
    V = len(w2i)
    if V == 0:
        raise VocabularyError(f"{fn}: word_to_idx is empty; it needs at least "
                              f"{', '.join(SPECIAL_TOKENS)}")
    negative = [f"{w}={i}" for w, i in w2i.items() if i < 0]
    if negative:
        raise VocabularyError(f"{fn}: word_to_idx ids must be >= 0, got {_listed(negative)}")
    by_id: dict[int, list[str]] = {}
    for w, i in w2i.items():
        by_id.setdefault(i, []).append(w)
    shared = [f"id {i}: {', '.join(map(repr, ws))}" for i, ws in sorted(by_id.items())
              if len(ws) > 1]
    if shared:
        raise VocabularyError(f"{fn}: word_to_idx must give each word its own id, but "
                              f"{'; '.join(shared[:8])} share one")
    too_big = [f"{w}={i}" for w, i in sorted(w2i.items(), key=lambda kv: kv[1]) if i >= V]
    if too_big:
        gaps = [i for i in range(V) if i not in by_id]
        raise VocabularyError(f"{fn}: word_to_idx ids must be exactly 0..V-1 with V = {V} "
                              f"words; ids {_listed(gaps)} are missing and "
                              f"{_listed(too_big)} are >= V")
    missing = [t for t in SPECIAL_TOKENS if t not in w2i]
    if missing:
        raise VocabularyError(f"{fn}: word_to_idx must contain {', '.join(SPECIAL_TOKENS)}; "
                              f"missing {_listed(missing)}")
    return w2i


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
        D, W, H = (check_int("CaptioningRNN", name, val) for name, val in (
            ("input_dim", input_dim), ("wordvec_dim", wordvec_dim), ("hidden_dim", hidden_dim)))
        seed = check_int("CaptioningRNN", "seed", seed, 0)
        if seed >= 2 ** 32:
            raise RangeError(f"CaptioningRNN: seed must be < 2**32, got {seed}")
        word_to_idx = check_word_to_idx("CaptioningRNN", word_to_idx)
        self.config = CaptionerConfig(D, W, H, cell_type, dt.name, seed)
        self.cell_type = cell_type
        self.word_to_idx = dict(word_to_idx)
        self.idx_to_word = {i: w for w, i in self.word_to_idx.items()}
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx["<START>"]
        self._end = word_to_idx["<END>"]
        V = len(word_to_idx)
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

    def hidden_states(self, features: np.ndarray, captions_in: np.ndarray,
                      lengths: np.ndarray | None = None) -> Tensor:
        """Validated features (N, D) and input words (N, T) -> hidden states (N, T, H);
        with `lengths` (N,) int, row n runs lengths[n] steps only (zeros after)."""
        h0 = F.affine(features, self.W_proj, self.b_proj)  # (N, H)
        x = F.embedding(captions_in, self.W_embed)  # (N, T, W)
        cell = F.lstm if self.cell_type == "lstm" else F.rnn
        return cell(x, h0, self.Wx, self.Wh, self.b, lengths=lengths)  # (N, T, H)

    def loss(self, features: Any, captions: Any) -> Tensor:
        """Features (N, D), captions (N, T+1) int -> scalar: CE over non-<NULL> targets / N.

        Steps after a row's last non-<NULL> target are never computed and scores are made
        only for non-<NULL> targets: neither changes the loss or any gradient.
        """
        feats = self._check_features("CaptioningRNN.loss", features)
        caps = self._check_captions("CaptioningRNN.loss", captions, feats.shape[0])
        captions_in, captions_out = caps[:, :-1], caps[:, 1:]  # (N, T), (N, T)
        mask = captions_out != self._null  # (N, T)
        lengths = (mask * np.arange(1, mask.shape[1] + 1)).max(axis=1)  # last target + 1
        h = self.hidden_states(feats, captions_in, lengths)  # (N, T, H)
        return F.masked_affine_softmax_ce(h, self.W_vocab, self.b_vocab, captions_out, mask)

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
        words = np.asarray(words)
        if words.dtype.kind not in "iu" or words.ndim != 1:
            raise DTypeError(f"CaptioningRNN.step: words must be a 1-D int array (N,), got "
                             f"dtype {words.dtype} shape {words.shape}")
        V = self.vocab_size
        if words.size and (words.min() < 0 or words.max() >= V):
            raise RangeError(f"CaptioningRNN.step: word ids must be in [0, V) with V = {V}, "
                             f"got min {words.min()} max {words.max()}")
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

        max_length = check_int("CaptioningRNN.sample", "max_length", max_length)
        beam_size = check_int("CaptioningRNN.sample", "beam_size", beam_size)
        if isinstance(length_penalty, (bool, np.bool_)) or not isinstance(
                length_penalty, (int, float, np.number)) or not np.isfinite(length_penalty):
            raise RangeError(f"CaptioningRNN.sample: length_penalty must be a finite number, "
                             f"got {length_penalty!r}")
        if beam_size == 1:
            return greedy_decode(self, features, max_length)
        return beam_search(self, features, max_length, beam_size, length_penalty)[0]
