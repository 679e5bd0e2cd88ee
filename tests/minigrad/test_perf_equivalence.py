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
