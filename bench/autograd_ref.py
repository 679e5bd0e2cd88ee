"""The captioner in HIPS autograd (benchmark-only dependency), written as its experts would.

HIPS builds a full-size zero array for the gradient of every slice or fancy index, so the words
are embedded per step (a (V, W) zero array each) instead of slicing a big (N, T, 4H) projection
per step, and the loss picks the targets' log-probabilities by fancy indexing (no one-hot).
"""
from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.scipy.special import logsumexp

KEYS = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _loss(plist: list, features, captions, cell: str):
    p = dict(zip(KEYS, plist, strict=True))
    cin, cout = captions[:, :-1], captions[:, 1:]
    N, T = cin.shape
    H = p["Wh"].shape[0]
    h = anp.dot(features, p["W_proj"]) + p["b_proj"]
    c = anp.zeros_like(h)
    hs = []
    for t in range(T):
        a = anp.dot(p["W_embed"][cin[:, t]], p["Wx"]) + anp.dot(h, p["Wh"]) + p["b"]
        if cell == "rnn":
            h = anp.tanh(a)
        else:
            ifo = 0.5 * (anp.tanh(0.5 * a[:, :3 * H]) + 1)
            i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
            c = f * c + i * anp.tanh(a[:, 3 * H:])
            h = o * anp.tanh(c)
        hs.append(h)
    scores = anp.dot(anp.stack(hs), p["W_vocab"]) + p["b_vocab"]  # (T, N, V)
    logp = scores - logsumexp(scores, axis=2, keepdims=True)
    tt, nn = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
    picked = logp[tt, nn, cout.T]  # (T, N)
    return -anp.sum(picked * (cout.T != 0)) / N


_vg = value_and_grad(_loss)


def loss_and_grads(params: dict, features, captions, cell: str) -> tuple[float, dict]:
    """Loss and gradients of every parameter through autograd."""
    val, grads = _vg([params[k] for k in KEYS], features, captions, cell)
    return float(val), dict(zip(KEYS, grads, strict=True))
