"""Feature-major kernels behind `LSTMSequence` (speed machinery; the maths is LSTMStep's).

`LSTMSequence` uses them when no row stops early; with lengths it uses `lstm_packed`, which
measured faster there. They handle lengths too (tested equal to `lstm_packed`).

Layout, with K = D + H + 1 and the rows of a batch sorted longest first (`_Packing`):

- Z (T + 1, K, N): the inputs of step t are the columns Z[t, :, :n_t], rows x_t (D), then
  h_{t-1} (H), then a row of ones that carries the bias; the batch is the fastest axis.
  Step t writes its h straight into Z[t + 1, D:D+H], so slot T holds the last h, and the
  output h (N, T, H) is a view of Z[1:, D:D+H].
- gates (4H, n_t) of step t: contiguous blocks, one after another (P·4H values in all),
  from ONE GEMM per step, [Wx; Wh; b]ᵀ (4H, K) @ Z[t, :, :n] (or, for a wide input, Whᵀ @ h
  plus that step's columns of one input-projection GEMM for all steps). Each gate is a run of
  contiguous rows, so every elementwise pass runs over contiguous memory (a strided
  (N, H) column slice of batch-major gates costs numpy about 2.5× more per call at
  H=128, N=32), and at that size (4H, H) @ (H, N) took 25 µs against 34 for
  (N, H) @ (H, 4H) (2 threads); at H=512 the two layouts cost about the same.
- backward turns the gates into d(pre-activation) in place, then copies them and Z once
  into (4H, P) and (K, P) matrices (the running columns of every step side by side), so
  every weight gradient (Wx, Wh and b: the ones row) is one GEMM over the P real tokens,
  and so is dx (d(pre-activations)ᵀ Wxᵀ: time-major rows, as the embedding reads them);
  per step only dh_{t-1} = Wh @ da_t remains.
  (Writing them there step by step, strided, costs more: each step's stores miss the cache
  lines the GEMM just moved between the cores.)

Columns past a row's length are never computed; the h rows of Z and the d(inputs) hold 0
there, which are the outputs and gradients of those positions.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.functional.recurrent import lstm_cell_backward
from minigrad.functional.workspace import work_array


def _block(flat: np.ndarray, rows: int, o: int, n: int) -> np.ndarray:
    """The contiguous (rows, n) block of step-packed `flat` that starts at packed row o."""
    return flat[rows * o:rows * (o + n)].reshape(rows, n)


def _step_columns(pk: Any, a: np.ndarray, R: int, role: str) -> np.ndarray:
    """(R, P): the packed columns of every step side by side (step t at offsets[t]:offsets[t+1]),
    from packed blocks `a` (P·R,) or from an array (T, R, N) whose step t uses [:n_t]."""
    out = work_array(role, (R, pk.offsets[-1]), a.dtype)
    if pk.full:
        np.copyto(out.reshape(R, pk.T, pk.N), a.reshape(pk.T, R, pk.N).transpose(1, 0, 2))
        return out
    for t in range(pk.T):
        o, n = pk.step(t)
        out[:, o:o + n] = _block(a, R, o, n) if a.ndim == 1 else a[t, :, :n]
    return out


def forward(pk: Any, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, Wx: np.ndarray,
            Wh: np.ndarray, b: np.ndarray) -> tuple:
    """LSTM over pk.T steps: x (N, T, D), h0 (N, H), c0 (N, H) or None (zeros), Wx (D, 4H),
    Wh (H, 4H), b (4H,) -> (Z, gates, cs, tanh_cs, c_init (H, N)); all in packed order."""
    N, T, D = x.shape
    H = h0.shape[1]
    K, dt = D + H + 1, h0.dtype
    Z = work_array("lstm.z", (T + 1, K, N), dt)
    Z[:T, :D] = (x if pk.order is None else x[pk.order]).transpose(1, 2, 0)
    Z[T, :D] = 0
    Z[0, D:D + H] = (h0 if pk.order is None else h0[pk.order]).T
    Z[:, D + H] = 1
    c_init = np.zeros((H, N), dt)
    if c0 is not None:
        c_init[...] = (c0 if pk.order is None else c0[pk.order]).T
    P = pk.offsets[-1]
    gates = work_array("lstm.gates", (P * 4 * H,), dt)
    cs, tcs = (work_array(r, (P * H,), dt) for r in ("lstm.c", "lstm.tanh_c"))
    ig = np.empty(H * N, dt)
    prev_c = c_init
    # sigmoid(a) = 0.5 + 0.5 tanh(a / 2): with the i, f, o pre-activations halved, one tanh
    # activates all four gates. A wide input (D >= H/2) is projected for all steps in one
    # GEMM, (4H, D) @ (D, P), and each step adds its columns to Whᵀ h; a narrow one rides in
    # each step's GEMM as the rows x_t of Z (at H=512, D=256 the split form took 0.70 ms a
    # step + 3 ms once against 1.01 ms a step; at H=128, D=32, 32 µs against 33 µs + 0.36 ms).
    split = D >= H // 2
    if split:  # GX (4H, P) in the d(pre-activation) columns' buffer: backward needs it later
        GX = np.matmul(Wx.T, _step_columns(pk, Z[:T, :D], D, "lstm.x|dx"),
                       out=work_array("lstm.w|das", (4 * H, P), dt))
        GX += b[:, None]
        GX[:3 * H] *= 0.5
        A, rows = Wh.T, slice(D, D + H)  # per step: (4H, H) @ h (H, n)
    else:  # [Wx; Wh; b] with the i, f, o columns halved (rows copied: a transposed copy
        half = np.ones(4 * H, dt)  # costs more than the GEMMs would gain from it)
        half[:3 * H] = 0.5
        Wc = work_array("lstm.w|das", (K, 4 * H), dt)
        np.multiply(Wx, half, out=Wc[:D])
        np.multiply(Wh, half, out=Wc[D:D + H])
        np.multiply(b, half, out=Wc[D + H])
        A, rows = Wc.T, slice(0, K)  # per step: (4H, K) @ [x_t; h; 1] (K, n)
    for t in range(T):
        o, n = pk.step(t)
        g = np.matmul(A, Z[t, rows, :n], out=_block(gates, 4 * H, o, n))  # (4H, n)
        if split:
            g[:3 * H] *= 0.5
            g += GX[:, o:o + n]
        np.tanh(g, out=g)
        ifo = g[:3 * H]
        ifo *= 0.5
        ifo += 0.5
        c = np.multiply(g[H:2 * H], prev_c[:, :n], out=_block(cs, H, o, n))
        c += np.multiply(g[:H], g[3 * H:], out=ig[:H * n].reshape(H, n))
        tc = np.tanh(c, out=_block(tcs, H, o, n))
        np.multiply(g[2 * H:3 * H], tc, out=Z[t + 1, D:D + H, :n])
        if n < N:  # rows that stopped: their outputs are 0 from here on
            Z[t + 1, D:D + H, n:] = 0
        prev_c = c
    return Z, gates, cs, tcs, c_init


def outputs(pk: Any, Z: np.ndarray, H: int) -> np.ndarray:
    """The h of every step, (N, T, H) in the caller's row order (0 past each length)."""
    D = Z.shape[1] - H - 1
    h = Z[1:, D:D + H].transpose(2, 0, 1)  # (N, T, H) view, packed order
    return h if pk.order is None else pk.unsort(h)


def last_c(pk: Any, cs: np.ndarray, c_init: np.ndarray) -> np.ndarray:
    """c after each row's last step, (N, H) in the caller's order (c0 for length 0)."""
    H, N = c_init.shape
    c_T = c_init.T.copy()
    last = pk.lengths[pk.order if pk.order is not None else slice(None)] - 1  # sorted
    run = np.flatnonzero(last >= 0)
    t = last[run]
    sizes, offsets = np.asarray(pk.sizes), np.asarray(pk.offsets)
    at = (H * offsets[t] + run)[:, None] + np.arange(H) * sizes[t][:, None]  # (R, H)
    c_T[run] = cs[at]
    return pk.unsort(c_T)


def backward(pk: Any, saved: tuple, dout: np.ndarray, dc_T: Any, need: tuple,
             consumable: bool) -> tuple:
    """(dx, dh0, dWx, dWh, db, dc0) of `forward`'s LSTM (None where `need` is False) from
    dout (N, T, H) and dc_T (N, H) or None; overwrites the saved gates if `consumable`."""
    Z, gates, cs, tcs, c_init, Wx, Wh = saved
    D, H = Wx.shape[0], Wh.shape[0]
    K, (T, _, N) = D + H + 1, Z.shape
    T, dt = T - 1, Z.dtype
    dhs = work_array("lstm.dh_prev", (T, H, N), dt)  # d h_{t-1} from step t, 0 past lengths
    dT = (dout if pk.order is None else dout[pk.order]).transpose(2, 1, 0)  # (H, T, N) view
    dc_all = np.zeros((H, N), dt)  # dc_T, then dc0
    if dc_T is not None:
        dc_all[...] = (dc_T if pk.order is None else dc_T[pk.order]).T
    dc = dc_all[:, :0]  # dnext_c of the running rows, kept contiguous (H, n)
    dh, up = np.empty(H * N, dt), np.empty(3 * H * N, dt)
    da = gates  # (P·4H,) packed blocks, overwritten: a private copy unless the gates die here
    if not consumable:
        da = work_array("lstm.da", gates.shape, dt)
        np.copyto(da, gates)
    for t in range(T - 1, -1, -1):
        o, n = pk.step(t)
        d = dh[:H * n].reshape(H, n)  # total dh of the step
        if t + 1 < T:
            np.add(dT[:, t, :n], dhs[t + 1, :, :n], out=d)
        else:
            np.copyto(d, dT[:, t, :n])
        g = _block(da, 4 * H, o, n)
        if dc.shape[1] != n:  # rows join (backward in time): their dc_T, as a new block
            dc = np.concatenate((dc, dc_all[:, dc.shape[1]:n]), axis=1)
        prev_c = _block(cs, H, pk.offsets[t - 1], pk.sizes[t - 1])[:, :n] if t else \
            c_init[:, :n]
        lstm_cell_backward(d, dc, g, prev_c, _block(tcs, H, o, n),
                           up[:3 * H * n].reshape(3 * H, n), axis=0)
        np.matmul(Wh, g, out=dhs[t, :, :n])
        if n < N:
            dhs[t, :, n:] = 0
    dx = dWx = dWh = db = None
    if any(need[i] for i in (0, 2, 3, 4)):  # d(pre-activations) of every real token, (4H, P)
        das = _step_columns(pk, da, 4 * H, "lstm.w|das")  # forward's Wc or GX: dead now
        if need[0]:  # dx of all steps in one GEMM, as time-major packed rows (P, D)
            dxp = work_array("lstm.x|dx", (das.shape[1], D), dt)
            dx = pk.scatter(np.matmul(das.T, Wx.T, out=dxp))  # (N, T, D)
    if need[2] or need[3] or need[4]:
        dWc = _step_columns(pk, Z[:T], K, "lstm.z_cols") @ das.T  # (K, 4H): [dWx; dWh; db]
        dWx, dWh, db = (dWc[:D] if need[2] else None, dWc[D:D + H] if need[3] else None,
                        dWc[D + H] if need[4] else None)
    dh0 = pk.unsort(dhs[0].T) if need[1] else None
    dc_all[:, :dc.shape[1]] = dc
    return dx, dh0, dWx, dWh, db, pk.unsort(dc_all.T)
