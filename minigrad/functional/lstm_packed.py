"""Batch-major kernels behind `LSTMSequence` for packed sequences (speed machinery).

With `lengths` the rows of a step shrink as captions end. Packed batch-major, step t's rows
are the contiguous rows offsets[t]:offsets[t+1] of every buffer, whatever their number, and
the input projection and each weight gradient are one GEMM over the P real tokens; the
feature-major kernels (`lstm_kernels`) would slice every step's columns out of padded
buffers instead, which measured 11% slower (N=100, T=16, D=64, H=128, random lengths) while
being 16% faster without lengths. Same values either way (tested to float64 round-off).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.functional.recurrent import lstm_cell_backward
from minigrad.functional.workspace import work_array


def forward(pk: Any, xp: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, Wx: np.ndarray,
            Wh: np.ndarray, b: np.ndarray) -> tuple:
    """LSTM over the packed input rows xp (P, D) from h0, c0 (N, H) (c0 None: zeros) ->
    (gates, c_init, cs, tanh_cs, hs): activated gates (P, 4H), c0 in packed order (N, H), and
    the cell states, their tanh and the h of every packed row, (P, H) each."""
    N, H = h0.shape
    P, D = xp.shape
    # sigmoid(a) = 0.5 + 0.5 tanh(a / 2), so one tanh activates all four gates once the
    # i, f, o pre-activations are halved (exactly): in the weights when they are smaller
    # than the gates of all steps, else on each step's gates
    fold = 3 * P > 4 * (D + H)
    s = np.ones(4 * H, dtype=h0.dtype)
    s[:3 * H] = 0.5
    s1 = 1 - s
    gates = work_array("lstm.gates", (P, 4 * H), h0.dtype)  # packed, activated per step
    np.matmul(xp, Wx * s if fold else Wx, out=gates)
    gates += b * s if fold else b
    Whs = Wh * s if fold else Wh
    cs, tcs, hs = (work_array(r, (P, H), h0.dtype) for r in ("lstm.c", "lstm.tanh_c", "lstm.h"))
    prev_h = pk.sort(h0)
    prev_c = np.zeros_like(h0) if c0 is None else pk.sort(c0)
    c_init = prev_c
    rec = np.empty((N, 4 * H), dtype=h0.dtype)
    ig = np.empty_like(h0)
    for t in range(pk.T):
        o, n = pk.step(t)
        g = gates[o:o + n]
        g += np.matmul(prev_h[:n], Whs, out=rec[:n])
        if fold:
            np.tanh(g, out=g)
            g *= s  # contiguous passes: i, f, o = 0.5 t + 0.5; g = t
            g += s1
        else:
            g[:, :3 * H] *= 0.5
            np.tanh(g, out=g)
            g[:, :3 * H] *= 0.5
            g[:, :3 * H] += 0.5
        c = np.multiply(g[:, H:2 * H], prev_c[:n], out=cs[o:o + n])
        c += np.multiply(g[:, :H], g[:, 3 * H:], out=ig[:n])
        np.tanh(c, out=tcs[o:o + n])
        prev_h = np.multiply(g[:, 2 * H:3 * H], tcs[o:o + n], out=hs[o:o + n])
        prev_c = c
    return gates, c_init, cs, tcs, hs


def last_c(pk: Any, cs: np.ndarray, c_init: np.ndarray) -> np.ndarray:
    """c after each row's last step, (N, H) in the caller's order (c0 for length 0)."""
    c_T = c_init.copy()
    last = pk.lengths[pk.order if pk.order is not None else slice(None)] - 1
    run = last >= 0
    c_T[run] = cs[np.asarray(pk.offsets)[last[run]] + np.flatnonzero(run)]
    return pk.unsort(c_T)


def backward(pk: Any, saved: tuple, dout: np.ndarray, dc_T: Any, consumable: bool) -> tuple:
    """(da, dh0, dc0) of `forward`'s LSTM from dout (N, T, H) and dc_T (N, H) or None: the
    packed d(pre-activations) (P, 4H), dh0 in packed order, dc0 in the caller's order (the
    sequence's input and weight gradients are one GEMM each from them: `_sequence_grads`);
    overwrites the saved gates if `consumable`."""
    _, h0, _, Wh, gates, c_init, cs, tcs, _ = saved
    H = h0.shape[1]
    da = gates  # (P, 4H), overwritten in place: a private copy unless gates die here
    if not consumable:
        da = work_array("lstm.da", gates.shape, gates.dtype)
        np.copyto(da, gates)
    dps = pk.gather(dout, copy="lstm.dh")  # (P, H), becomes the total dh of each step
    dhT = np.zeros((H, h0.shape[0]), dtype=h0.dtype)  # dh from the next step, transposed
    dc = np.zeros_like(h0) if dc_T is None else pk.sort(dc_T)
    up = np.empty((h0.shape[0], 3 * H), dtype=h0.dtype)
    for t in range(pk.T - 1, -1, -1):
        o, n = pk.step(t)
        d = dps[o:o + n]
        d += dhT[:, :n].T  # total dh of the step, (n, H)
        prev_c = cs[pk.offsets[t - 1]:pk.offsets[t - 1] + n] if t else c_init[:n]
        lstm_cell_backward(d, dc[:n], da[o:o + n], prev_c, tcs[o:o + n], up[:n], axis=1)
        # dhᵀ = Wh daᵀ reads Wh as stored: a transposed copy of Wh for da @ Whᵀ cost 3 ms per
        # call at H=512 (the products themselves take the same time)
        np.matmul(Wh, da[o:o + n].T, out=dhT[:, :n])
    return da, dhT.T, pk.unsort(dc)
