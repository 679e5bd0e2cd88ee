"""Time-major views through the captioner chain, and saved buffers consumed only when freed."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor
from minigrad.testing import gradcheck

RNG = np.random.default_rng(7)
N, T, V, W, H, M = 3, 4, 6, 5, 4, 7


def _chain(W_embed, Wx, Wh, b, Wo, bo, *, ids, h0, mask, cell):
    x = F.embedding(ids, W_embed)  # time-major view
    h = (F.lstm if cell == "lstm" else F.rnn)(x, h0, Wx, Wh, b)
    scores = F.temporal_affine(h, Wo, bo)
    return F.masked_softmax_ce(scores, ids, mask)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_captioner_chain_gradcheck_through_time_major_views(cell):
    G = 4 * H if cell == "lstm" else H
    ids = RNG.integers(0, V, (N, T))
    arrays = [RNG.standard_normal(s) * 0.5 for s in ((V, W), (W, G), (H, G), (G,), (H, M), (M,))]
    arrays[4] = RNG.standard_normal((H, V)) * 0.5
    arrays[5] = RNG.standard_normal(V) * 0.1
    h0 = RNG.standard_normal((N, H)) * 0.5
    mask = RNG.random((N, T)) > 0.2

    def fn(*ps):
        return _chain(*ps, ids=ids, h0=h0, mask=mask, cell=cell)

    report = gradcheck(fn, arrays, eps=1e-3, order=4)
    assert report.max_rel_error < 1e-7


def test_embedding_output_is_a_time_major_view_with_the_right_values():
    Wt = RNG.standard_normal((V, W))
    ids = RNG.integers(0, V, (N, T))
    out = F.embedding(ids, Wt).data
    np.testing.assert_array_equal(out, Wt[ids])
    assert out.transpose(1, 0, 2).flags.c_contiguous


@pytest.mark.parametrize("make", ["lstm_seq", "lstm_step", "masked_ce"])
def test_retain_graph_keeps_saved_buffers_intact(make):
    """With retain_graph=True the saved buffers must not be consumed: two backwards agree."""
    if make == "masked_ce":
        x = Tensor(RNG.standard_normal((N, T, V)), requires_grad=True)
        out = F.masked_softmax_ce(x, RNG.integers(0, V, (N, T)), RNG.random((N, T)) > 0.3)
        leaves = [x]
    else:
        x = Tensor(RNG.standard_normal((N, T, W)), requires_grad=True)
        Wx = Tensor(RNG.standard_normal((W, 4 * H)) * 0.5, requires_grad=True)
        Wh = Tensor(RNG.standard_normal((H, 4 * H)) * 0.5, requires_grad=True)
        b = Tensor(RNG.standard_normal(4 * H) * 0.5, requires_grad=True)
        h0 = np.zeros((N, H))
        if make == "lstm_seq":
            out = F.lstm(x, h0, Wx, Wh, b).sum()
        else:
            h, c = F.lstm_step(x[:, 0, :], h0, h0, Wx, Wh, b)
            out = (h * c).sum()
        leaves = [x, Wx, Wh, b]
    out.backward(retain_graph=True)
    first = [t.grad.copy() for t in leaves]
    for t in leaves:
        t.grad = None
    out.backward()
    for g1, t in zip(first, leaves, strict=True):
        np.testing.assert_array_equal(g1, t.grad)
