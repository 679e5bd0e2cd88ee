"""Greedy and beam decoding: <END> handling, k=1 equals greedy, beam scores are log-probs."""
from __future__ import annotations

import numpy as np
import pytest

from zoo.captioning import CaptioningRNN, beam_search, greedy_decode

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "left"]
W2I = {w: i for i, w in enumerate(WORDS)}


def _model(cell: str, seed: int = 0, scale: float = 1.5, dtype=np.float64) -> CaptioningRNN:
    model = CaptioningRNN(W2I, input_dim=6, wordvec_dim=5, hidden_dim=8, cell_type=cell,
                          dtype=dtype)
    rng = np.random.default_rng(seed)
    model.load_state_dict({k: scale * rng.standard_normal(v.shape)
                           for k, v in model.state_dict().items()})
    return model


def _features(N: int = 40, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N, 6))


def _check_layout(words: np.ndarray, max_length: int) -> None:
    """Every row: after its first <END> only <NULL>."""
    assert words.shape[1] == max_length and words.dtype.kind == "i"
    for row in words:
        ends = np.flatnonzero(row == 2)
        if ends.size:
            assert (row[ends[0] + 1:] == 0).all()


def _length(row: np.ndarray) -> int:
    """Words up to and including the first <END> (all of them if none)."""
    ends = np.flatnonzero(row == 2)
    return int(ends[0]) + 1 if ends.size else len(row)


def _logprob(model: CaptioningRNN, feats: np.ndarray, words: np.ndarray) -> np.ndarray:
    """log p(words | image) per row by teacher forcing the hidden states (up to <END>)."""
    out = []
    for f, row in zip(feats, words, strict=True):
        n = _length(row)
        prefix = np.concatenate([[1], row[:n - 1]])[None]  # <START> + generated[:-1]
        h = model.hidden_states(f[None], prefix).data[0]  # (n, H)
        s = h @ model.W_vocab.data + model.b_vocab.data  # (n, V)
        s = s - s.max(axis=1, keepdims=True)
        logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        out.append(logp[np.arange(n), row[:n]].sum())
    return np.array(out)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_greedy_matches_step_by_step_argmax(cell: str) -> None:
    """Greedy = argmax of the loss path's scores at each step (teacher-forced on its own output)."""
    model = _model(cell)
    feats = _features(10)
    words = model.sample(feats, max_length=12)
    _check_layout(words, 12)
    for f, row in zip(feats, words, strict=True):
        prefix = [1]
        for w in row:
            if prefix[-1] == 2:
                assert w == 0
                continue
            h = model.hidden_states(f[None], np.array([prefix])).data[0, -1]
            scores = h @ model.W_vocab.data + model.b_vocab.data
            assert w == scores.argmax()
            prefix.append(int(w))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_beam_one_equals_greedy(cell: str, dtype) -> None:
    model = _model(cell, seed=8, dtype=dtype)
    model.b_vocab.data[2] += 2.0  # make <END> likely enough that rows stop at different steps
    feats = _features(60, seed=4)
    greedy = greedy_decode(model, feats, max_length=15)
    best, beams, scores = beam_search(model, feats, max_length=15, beam_size=1)
    np.testing.assert_array_equal(best, greedy)
    np.testing.assert_array_equal(model.sample(feats, max_length=15, beam_size=1), greedy)
    assert beams.shape == (60, 1, 15) and scores.shape == (60, 1)
    stops = (greedy == 2).argmax(axis=1)[(greedy == 2).any(axis=1)]
    assert len(set(stops.tolist())) >= 2  # rows stop at <END> at different steps


def test_sample_stops_at_end() -> None:
    """A model whose vocab bias always prefers <END> emits it first, then only <NULL>."""
    model = _model("lstm", scale=0.1)
    model.b_vocab.data[2] = 50.0
    for k in (1, 3):
        words = model.sample(_features(5), max_length=9, beam_size=k)
        assert (words[:, 0] == 2).all() and (words[:, 1:] == 0).all()
    model.b_vocab.data[2] = -50.0  # <END> never wins: every row runs to max_length
    words = model.sample(_features(5), max_length=9)
    assert (words != 0).all() and (words != 2).all()


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_beam_scores_are_log_probs_and_beat_greedy(cell: str) -> None:
    model = _model(cell, seed=5)
    feats = _features(30, seed=6)
    L = 10
    greedy = greedy_decode(model, feats, L)
    best, beams, scores = beam_search(model, feats, L, beam_size=4)
    _check_layout(best, L)
    assert beams.shape == (30, 4, L)
    assert np.all(np.diff(scores, axis=1) <= 0)  # best first
    np.testing.assert_allclose(_logprob(model, feats, best), scores[:, 0], rtol=1e-9)
    assert np.all(scores[:, 0] >= _logprob(model, feats, greedy) - 1e-9)
    assert (scores[:, 0] > _logprob(model, feats, greedy) + 1e-6).any()  # beam finds better
    for n in range(30):  # the k beams are distinct sequences
        assert len({tuple(b) for b in beams[n]}) == 4


def test_length_penalty_ranks_by_mean_log_prob() -> None:
    model = _model("rnn", seed=7)
    feats = _features(20, seed=8)
    _, beams, scores = beam_search(model, feats, 10, beam_size=4, length_penalty=1.0)
    for n in range(20):
        lengths = np.array([_length(b) for b in beams[n]])
        lp = _logprob(model, np.repeat(feats[n:n + 1], 4, axis=0), beams[n])
        np.testing.assert_allclose(lp / lengths, scores[n], rtol=1e-9)


def test_beam_errors() -> None:
    model = _model("rnn")
    with pytest.raises(ValueError, match="beam_size"):
        model.sample(_features(2), beam_size=0)
    with pytest.raises(ValueError, match="max_length"):
        beam_search(model, _features(2), max_length=0)
    with pytest.raises(KeyError, match="<START>"):  # refused at construction, not at sampling
        CaptioningRNN({"<NULL>": 0, "a": 1}, input_dim=6, wordvec_dim=5, hidden_dim=4)
