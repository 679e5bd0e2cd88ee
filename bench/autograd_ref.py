"""The captioner in HIPS autograd (benchmark-only dependency)."""
from __future__ import annotations

import autograd.numpy as anp
from autograd import value_and_grad

KEYS = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")


def _loss(plist: list, features, captions, cell: str):
    p = dict(zip(KEYS, plist, strict=True))
    cin, cout = captions[:, :-1], captions[:, 1:]
    N, T = cin.shape
    H = p["Wh"].shape[0]
    h = anp.dot(features, p["W_proj"]) + p["b_proj"]
    c = anp.zeros_like(h)
    xa = anp.dot(p["W_embed"][cin], p["Wx"]) + p["b"]  # (N, T, G)
    hs = []
    for t in range(T):
        a = xa[:, t] + anp.dot(h, p["Wh"])
        if cell == "rnn":
            h = anp.tanh(a)
        else:
            ifo = 0.5 * (anp.tanh(0.5 * a[:, :3 * H]) + 1)
            i, f, o = ifo[:, :H], ifo[:, H:2 * H], ifo[:, 2 * H:]
            c = f * c + i * anp.tanh(a[:, 3 * H:])
            h = o * anp.tanh(c)
        hs.append(h)
    hh = anp.stack(hs, axis=1)
    scores = anp.dot(hh, p["W_vocab"]) + p["b_vocab"]
    scores = scores - anp.max(scores, axis=2, keepdims=True)
    logp = scores - anp.log(anp.sum(anp.exp(scores), axis=2, keepdims=True))
    V = scores.shape[2]
    onehot = (cout[:, :, None] == anp.arange(V)[None, None, :])
    picked = anp.sum(logp * onehot, axis=2)
    return -anp.sum(picked * (cout != 0)) / N


_vg = value_and_grad(_loss)


def loss_and_grads(params: dict, features, captions, cell: str) -> tuple[float, dict]:
    """Loss and gradients of every parameter through autograd."""
    val, grads = _vg([params[k] for k in KEYS], features, captions, cell)
    return float(val), dict(zip(KEYS, grads, strict=True))
