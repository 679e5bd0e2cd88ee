"""The captioner's fast path (lengths-aware sequences, scores only for unmasked tokens) gives
the loss and gradients of the plain composition (full sequence, every score, masked CE) to
float64 round-off, on random masks with holes and rows of padding only."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Tensor


def _lengths(mask: np.ndarray) -> np.ndarray:
    """1 + the last unmasked position of each row (0 for a row of padding only)."""
    return (mask * np.arange(1, mask.shape[1] + 1)).max(axis=1)


def _grads(cell: str, fast: bool, arrays: dict, y: np.ndarray, mask: np.ndarray) -> tuple:
    p = {k: Tensor(v, requires_grad=True) for k, v in arrays.items()}
    run = F.lstm if cell == "lstm" else F.rnn
    kw = {"lengths": _lengths(mask)} if fast else {}
    h = run(p["x"], p["h0"], p["Wx"], p["Wh"], p["b"], **kw)
    if fast:
        loss = F.masked_affine_softmax_ce(h, p["W_vocab"], p["b_vocab"], y, mask)
    else:
        loss = F.masked_softmax_ce(F.temporal_affine(h, p["W_vocab"], p["b_vocab"]), y, mask)
    loss.backward()
    return loss.item(), {k: t.grad for k, t in p.items()}


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
@pytest.mark.parametrize("seed", range(4))
def test_fast_path_equals_plain_composition(cell: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    N, T, D, H, V = 6, 7, 5, 4, 9
    G = 4 * H if cell == "lstm" else H
    arrays = {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
              "Wx": rng.standard_normal((D, G)) / 2, "Wh": rng.standard_normal((H, G)) / 2,
              "b": rng.standard_normal(G) / 2, "W_vocab": rng.standard_normal((H, V)),
              "b_vocab": rng.standard_normal(V)}
    y = rng.integers(0, V, size=(N, T))
    ends = rng.integers(0, T + 1, size=N)
    mask = np.arange(T) < ends[:, None]  # caption-like prefixes, unsorted
    mask &= rng.random((N, T)) < 0.8  # and holes inside them
    mask[seed % N] = False  # a row of padding only
    loss, grads = _grads(cell, False, arrays, y, mask)
    loss_fast, grads_fast = _grads(cell, True, arrays, y, mask)
    assert loss_fast == pytest.approx(loss, rel=1e-13)
    for k, g in grads.items():
        np.testing.assert_allclose(grads_fast[k], g, rtol=0, atol=1e-13 * np.abs(g).max(),
                                   err_msg=k)


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_captioner_loss_equals_the_plain_composition(cell: str) -> None:
    from zoo.captioning import CaptioningRNN

    V = 12
    w2i = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": i for i in range(3, V)}}
    model = CaptioningRNN(w2i, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell,
                          dtype=np.float64, seed=1)
    rng = np.random.default_rng(7)
    N, T1 = 5, 8
    features = rng.standard_normal((N, 5))
    captions = rng.integers(3, V, size=(N, T1))
    captions[:, 0] = 1
    captions[0, 1:] = 0  # padding only
    captions[1, 4:] = 0  # a short caption
    captions[2, 2] = 0  # a <NULL> hole inside a caption
    model.zero_grad()
    loss = model.loss(features, captions)
    loss.backward()
    fast = {k: p.grad.copy() for k, p in model.named_parameters()}
    model.zero_grad()
    cin, cout = captions[:, :-1], captions[:, 1:]
    h = F.lstm if cell == "lstm" else F.rnn
    hs = h(F.embedding(cin, model.W_embed), F.affine(features, model.W_proj, model.b_proj),
           model.Wx, model.Wh, model.b)
    plain = F.masked_softmax_ce(F.temporal_affine(hs, model.W_vocab, model.b_vocab), cout,
                                cout != 0)
    plain.backward()
    assert loss.item() == pytest.approx(plain.item(), rel=1e-13)
    for k, p in model.named_parameters():
        np.testing.assert_allclose(fast[k], p.grad, rtol=0, atol=1e-13 * np.abs(p.grad).max(),
                                   err_msg=k)
