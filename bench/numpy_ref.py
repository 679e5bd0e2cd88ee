"""Hand-written numpy forward + backward of the CS231n captioner: the no-autograd floor.

params: W_proj (D, H), b_proj (H,), W_embed (V, W), Wx (W, G), Wh (H, G), b (G,),
W_vocab (H, V), b_vocab (V,), with G = H (rnn) or 4H (lstm, gates i, f, o, g).
"""
from __future__ import annotations

import numpy as np

from minigrad.functional.elementwise import stable_sigmoid
from minigrad.functional.embedding import scatter_rows


def loss_and_grads(params: dict, features: np.ndarray, captions: np.ndarray,
                   cell: str) -> tuple[float, dict]:
    """Loss (sum over unmasked tokens / N) and the gradient of every parameter."""
    p = params
    cin, cout = captions[:, :-1], captions[:, 1:]
    mask = cout != 0  # (N, T)
    N, T = cin.shape
    H = p["Wh"].shape[0]
    h0 = features @ p["W_proj"] + p["b_proj"]  # (N, H)
    ids = cin.T.ravel()  # time-major (T*N,)
    xw = p["W_embed"][ids]  # (T*N, W)
    a = (xw @ p["Wx"] + p["b"]).reshape(T, N, -1)  # (T, N, G)
    hs = np.empty((T, N, H), dtype=h0.dtype)
    if cell == "lstm":
        cs = np.zeros((T + 1, N, H), dtype=h0.dtype)
        tc = np.empty((T, N, H), dtype=h0.dtype)
    prev = h0
    for t in range(T):
        at = a[t]
        at += prev @ p["Wh"]
        if cell == "rnn":
            np.tanh(at, out=hs[t])
        else:
            at[:, :3 * H] = stable_sigmoid(at[:, :3 * H])
            np.tanh(at[:, 3 * H:], out=at[:, 3 * H:])
            cs[t + 1] = at[:, H:2 * H] * cs[t] + at[:, :H] * at[:, 3 * H:]
            np.tanh(cs[t + 1], out=tc[t])
            hs[t] = at[:, 2 * H:3 * H] * tc[t]
        prev = hs[t]
    h2 = hs.reshape(T * N, H)
    scores = h2 @ p["W_vocab"] + p["b_vocab"]  # (T*N, V)
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)  # probabilities
    y = cout.T.ravel()
    m = mask.T.ravel()
    rows = np.arange(T * N)
    loss = -np.log(scores[rows, y])[m].sum() / N
    dscores = scores
    dscores[rows, y] -= 1
    dscores *= (m / N)[:, None].astype(dscores.dtype)
    g = {"W_vocab": h2.T @ dscores, "b_vocab": dscores.sum(axis=0)}
    dh = (dscores @ p["W_vocab"].T).reshape(T, N, H)
    da = np.empty_like(a)
    dnext = np.zeros_like(h0)
    dc = np.zeros_like(h0)
    WhT = p["Wh"].T
    for t in range(T - 1, -1, -1):
        dht = dh[t] + dnext
        if cell == "rnn":
            np.multiply(dht, 1 - hs[t] * hs[t], out=da[t])
        else:
            at = a[t]
            i, f, o, gg = at[:, :H], at[:, H:2 * H], at[:, 2 * H:3 * H], at[:, 3 * H:]
            dc = dc + dht * o * (1 - tc[t] * tc[t])
            da[t, :, :H] = dc * gg * i * (1 - i)
            da[t, :, H:2 * H] = dc * cs[t] * f * (1 - f)
            da[t, :, 2 * H:3 * H] = dht * tc[t] * o * (1 - o)
            da[t, :, 3 * H:] = dc * i * (1 - gg * gg)
            dc = dc * f
        dnext = da[t] @ WhT
    da2 = da.reshape(T * N, -1)
    g["Wx"] = xw.T @ da2
    g["b"] = da2.sum(axis=0)
    g["Wh"] = h0.T @ da[0] + hs[:-1].reshape(-1, H).T @ da[1:].reshape((T - 1) * N, -1)
    g["W_embed"] = scatter_rows(ids, da2 @ p["Wx"].T, p["W_embed"].shape[0])
    g["W_proj"] = features.T @ dnext
    g["b_proj"] = dnext.sum(axis=0)
    return float(loss), g
