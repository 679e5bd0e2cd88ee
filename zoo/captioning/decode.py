"""Greedy and beam-search decoding for a captioner with `init_state`, `step` and special tokens.

The model's decoder state is a tuple of arrays (or None) whose leading axis is the batch:
`init_state(features) -> state` and `step(words (N,), *state) -> (scores (N, V), *state)`.
CaptioningRNN's state is (h, c); CaptioningTransformer's is its per-layer key/value cache.

Both return (N, max_length) int arrays in the CS231n layout: column 0 is the first generated
word (not <START>), a row holds <END> where it stopped and <NULL> after it.

Beam search keeps `k` hypotheses per image, ranked by the sum of their token log-probabilities.
A hypothesis that emits <END> is frozen: it stays in the beam with its score and competes with
the live ones (it extends only by <NULL> at log-prob 0). Search stops once every beam is frozen
or after `max_length` steps. The returned caption is the beam with the best
`score / length ** length_penalty`, where length counts the words including <END>;
`length_penalty=0` (the default) keeps the raw log-prob sum, 1 averages per token (favouring
longer captions). Ties go to the lower word id and the earlier beam, so `k=1` is exactly greedy.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import no_grad
from minigrad.errors import DTypeError, RangeError
from minigrad.functional.loss import log_softmax_array

MAX_DECODE_LENGTH = 10_000  # words per caption: far beyond any caption, well below a hang
MAX_BEAM_SIZE = 1_000


def _check_sizes(fn: str, max_length: Any, beam_size: Any = 1) -> None:
    """RangeError for a length or beam that would allocate or loop without bound."""
    if int(max_length) > MAX_DECODE_LENGTH or int(beam_size) > MAX_BEAM_SIZE:
        raise RangeError(f"{fn}: max_length must be <= {MAX_DECODE_LENGTH} and beam_size <= "
                         f"{MAX_BEAM_SIZE}, got max_length {max_length} and beam_size "
                         f"{beam_size}")


def _tokens(model: Any, fn: str) -> tuple[int, int, int]:
    if not all(hasattr(model, a) for a in ("init_state", "step", "_null", "_special")):
        raise DTypeError(f"{fn}: model must be a CaptioningRNN or CaptioningTransformer (with "
                         f"init_state and step), got {type(model).__name__}")
    return model._null, model._special(fn, "<START>"), model._special(fn, "<END>")


def _take(state: Any, rows: np.ndarray) -> tuple:
    """Each array of a decoder state indexed by `rows` along its batch axis (None stays)."""
    return tuple(None if a is None else a[rows] for a in state)


@no_grad()
def greedy_decode(model: Any, features: Any, max_length: int = 30) -> np.ndarray:
    """Argmax word at each step from <START>: features (N, D) -> (N, max_length) int64."""
    _check_sizes("greedy_decode", max_length)
    null, start, end = _tokens(model, "greedy_decode")
    state = tuple(model.init_state(features))
    N = state[0].shape[0]
    out = np.full((N, max_length), null, dtype=np.int64)  # (N, max_length)
    words = np.full(N, start, dtype=np.int64)  # (N,)
    done = np.zeros(N, dtype=bool)
    for t in range(max_length):
        scores, *state = model.step(words, *state)
        words = scores.argmax(axis=1)  # (N,)
        out[:, t] = np.where(done, null, words)
        done |= words == end
        if done.all():
            break
    return out


@no_grad()
def beam_search(model: Any, features: Any, max_length: int = 30, beam_size: int = 3,
                length_penalty: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beam search: features (N, D) -> (best (N, L) int64, beams (N, k, L) int64, scores (N, k)).

    `beams` are sorted best first by the final score (log-prob sum / length ** length_penalty).
    """
    if int(beam_size) < 1:
        raise RangeError(f"beam_search: beam_size must be >= 1, got {beam_size}")
    if int(max_length) < 1:
        raise RangeError(f"beam_search: max_length must be >= 1, got {max_length}")
    _check_sizes("beam_search", max_length, beam_size)
    null, start, end = _tokens(model, "beam_search")
    k, L = int(beam_size), int(max_length)
    state = tuple(model.init_state(features))  # arrays (N, ...)
    N = state[0].shape[0]
    rep = np.repeat(np.arange(N), k)  # (N*k,) image of each beam
    state = _take(state, rep)
    words = np.full(N * k, start, dtype=np.int64)  # (N*k,)
    seqs = np.full((N, k, L), null, dtype=np.int64)  # (N, k, L)
    score = np.full((N, k), -np.inf)  # (N, k); one live beam at the start
    score[:, 0] = 0.0
    done = np.zeros((N, k), dtype=bool)
    length = np.zeros((N, k), dtype=np.int64)
    for t in range(L):
        scores, *new_state = model.step(words, *state)
        V = scores.shape[1]
        logp = log_softmax_array(scores.astype(np.float64), axis=1).reshape(N, k, V)  # (N, k, V)
        cand = score[:, :, None] + logp  # (N, k, V)
        frozen = np.full(V, -np.inf)
        frozen[null] = 0.0
        cand = np.where(done[:, :, None], score[:, :, None] + frozen, cand)
        flat = cand.reshape(N, k * V)
        top = np.argsort(-flat, axis=1, kind="stable")[:, :k]  # (N, k) best first
        beam, word = top // V, top % V  # (N, k)
        rows = np.arange(N)[:, None]
        score = flat[rows, top]
        was_done = done[rows, beam]
        seqs = seqs[rows, beam]
        seqs[:, :, t] = np.where(was_done, null, word)
        length = length[rows, beam] + ~was_done
        done = was_done | (word == end)
        src = (rows * k + beam).ravel()  # (N*k,) source beam of each new beam
        state = _take(new_state, src)
        words = word.ravel()
        if done.all():
            break
    final = score / np.maximum(length, 1) ** float(length_penalty)  # (N, k)
    final = np.where(np.isfinite(score), final, -np.inf)
    order = np.argsort(-final, axis=1, kind="stable")  # (N, k)
    rows = np.arange(N)[:, None]
    beams, final = seqs[rows, order], final[rows, order]
    return beams[:, 0], beams, final
