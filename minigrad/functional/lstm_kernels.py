"""Feature-major kernels behind `LSTMSequence` when every row runs all T steps (speed
machinery; the maths is LSTMStep's). With lengths `LSTMSequence` uses `lstm_packed`.

Layout, with K = D + H + 1 and the batch the fastest axis everywhere:

- Z (T + 1, K, N): Z[t] = [x_t; h_{t-1}; 1], the inputs of step t (the ones row carries the
  bias). Step t writes its h straight into Z[t + 1, D:D+H]; the output h (N, T, H) is a view
  of Z[1:, D:D+H].
- G (T, 4H, N): the activated gates (i, f, o, g) of step t from ONE GEMM, [Wx; Wh; b]ᵀ
  (4H, K) @ Z[t] (or, for a wide input, Whᵀ @ h plus that step's columns of one
  input-projection GEMM for all steps). Each gate is a run of contiguous rows, so every
  elementwise pass runs over contiguous memory (a strided (N, H) column slice of batch-major
  gates costs numpy about 2.5× more per call at H=128, N=32).
- C (T + 1, H, N): C[0] = c0 and C[t + 1] the cell state after step t; TC (T, H, N) its tanh.

Backward turns each step's gates into d(pre-activation) in place (`lstm_cell_backward`),
then dh_{t-1} = Wh @ da_t; after the loop dx and every weight gradient (Wx, Wh and b: the
ones row) are one GEMM each over the T·N tokens, from one copy of the d(pre-activations) and
of Z into (4H, T·N) and (K, T·N) columns. (Precomputing the forward-only factors of the cell
backward in whole-sequence passes cut each step to five numpy calls but measured no faster:
the passes move the whole sequence through memory several more times.)
"""
from __future__ import annotations

import numpy as np

from minigrad.functional.recurrent import lstm_cell_backward
from minigrad.functional.workspace import work_array


def _columns(a: np.ndarray, role: str) -> np.ndarray:
    """(T, R, N) -> (R, T·N): every step's columns side by side (one copy)."""
    T, R, N = a.shape
    out = work_array(role, (R, T * N), a.dtype)
    np.copyto(out.reshape(R, T, N), a.transpose(1, 0, 2))
    return out


def forward(x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, Wx: np.ndarray,
            Wh: np.ndarray, b: np.ndarray) -> tuple:
    """LSTM over all T steps: x (N, T, D), h0 (N, H), c0 (N, H) or None (zeros), Wx (D, 4H),
    Wh (H, 4H), b (4H,) -> (Z, G, C, TC) as laid out above."""
    N, T, D = x.shape
    H = h0.shape[1]
    K, dt = D + H + 1, h0.dtype
    Z = work_array("lstm.z", (T + 1, K, N), dt)
    Z[:T, :D] = x.transpose(1, 2, 0)
    Z[T, :D] = 0
    Z[0, D:D + H] = h0.T
    Z[:, D + H] = 1
    C = work_array("lstm.c", (T + 1, H, N), dt)
    C[0] = 0 if c0 is None else c0.T
    G = work_array("lstm.gates", (T, 4 * H, N), dt)
    TC = work_array("lstm.tanh_c", (T, H, N), dt)
    ig = np.empty((H, N), dt)
    # sigmoid(a) = 0.5 + 0.5 tanh(a / 2): with the i, f, o pre-activations halved, one tanh
    # activates all four gates. A wide input (D >= H/2) is projected for all steps in one
    # GEMM, (4H, D) @ (D, T·N), and each step adds its columns to Whᵀ h; a narrow one rides in
    # each step's GEMM as the rows x_t of Z (at H=512, D=256 the split form took 0.70 ms a
    # step + 3 ms once against 1.01 ms a step; at H=128, D=32, 32 µs against 33 µs + 0.36 ms).
    split = D >= H // 2
    if split:  # GX (4H, T, N) in the buffer backward's weight-gradient columns take later
        GX = np.matmul(Wx.T, _columns(Z[:T, :D], "lstm.x|dx"),
                       out=work_array("lstm.w|das", (4 * H, T * N), dt)).reshape(4 * H, T, N)
        GX += b[:, None, None]
        GX[:3 * H] *= 0.5
        A, rows = Wh.T, slice(D, D + H)  # per step: (4H, H) @ h (H, N)
    else:  # [Wx; Wh; b] with the i, f, o columns halved (rows copied: a transposed copy
        half = np.ones(4 * H, dt)  # costs more than the GEMMs would gain from it)
        half[:3 * H] = 0.5
        Wc = work_array("lstm.w|das", (K, 4 * H), dt)
        np.multiply(Wx, half, out=Wc[:D])
        np.multiply(Wh, half, out=Wc[D:D + H])
        np.multiply(b, half, out=Wc[D + H])
        A, rows = Wc.T, slice(0, K)  # per step: (4H, K) @ [x_t; h; 1] (K, N)
    for t in range(T):
        g = np.matmul(A, Z[t, rows], out=G[t])  # (4H, N)
        if split:
            g[:3 * H] *= 0.5
            g += GX[:, t]
        np.tanh(g, out=g)
        ifo = g[:3 * H]
        ifo *= 0.5
        ifo += 0.5
        c = np.multiply(g[H:2 * H], C[t], out=C[t + 1])
        c += np.multiply(g[:H], g[3 * H:], out=ig)
        np.multiply(g[2 * H:3 * H], np.tanh(c, out=TC[t]), out=Z[t + 1, D:D + H])
    return Z, G, C, TC


def outputs(Z: np.ndarray, H: int) -> np.ndarray:
    """The h of every step, (N, T, H): a view of Z."""
    D = Z.shape[1] - H - 1
    return Z[1:, D:D + H].transpose(2, 0, 1)


def last_c(C: np.ndarray) -> np.ndarray:
    """c after the last step, (N, H)."""
    return C[-1].T.copy()


def backward(saved: tuple, dout: np.ndarray, dc_T: np.ndarray | None, need: tuple,
             consumable: bool) -> tuple:
    """(dx, dh0, dWx, dWh, db, dc0) of `forward`'s LSTM (None where `need` is False) from
    dout (N, T, H) and dc_T (N, H) or None; overwrites the saved gates if `consumable`."""
    Z, G, C, TC, Wx, Wh = saved
    D, H = Wx.shape[0], Wh.shape[0]
    T, _, N = G.shape
    dt = G.dtype
    da = G  # (T, 4H, N), overwritten: a private copy unless the gates die here
    if not consumable:
        da = work_array("lstm.da", G.shape, dt)
        np.copyto(da, G)
    dT = dout.transpose(2, 1, 0)  # (H, T, N) view
    dc = np.zeros((H, N), dt) if dc_T is None else dc_T.T.copy()  # dnext_c, ours
    d, dh, up = np.empty((H, N), dt), np.empty((H, N), dt), np.empty((3 * H, N), dt)
    for t in range(T - 1, -1, -1):
        dd = np.add(dT[:, t], dh, out=d) if t + 1 < T else dT[:, t]  # total dh_t
        lstm_cell_backward(dd, dc, da[t], C[t], TC[t], up, axis=0)
        np.matmul(Wh, da[t], out=dh)  # dh_{t-1}
    dx = dWx = dWh = db = None
    if any(need[i] for i in (0, 2, 3, 4)):  # d(pre-activations) of every token, (4H, T·N)
        das = _columns(da, "lstm.w|das")  # forward's Wc or GX: dead now
        if need[0]:  # dx of all steps in one GEMM, time-major rows (T·N, D)
            dxp = np.matmul(das.T, Wx.T, out=work_array("lstm.x|dx", (T * N, D), dt))
            dx = dxp.reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    if need[2] or need[3] or need[4]:
        dWc = _columns(Z[:T], "lstm.z_cols") @ das.T  # (K, 4H): [dWx; dWh; db]
        dWx, dWh, db = (dWc[:D] if need[2] else None, dWc[D:D + H] if need[3] else None,
                        dWc[D + H] if need[4] else None)
    return dx, dh.T if need[1] else None, dWx, dWh, db, dc.T.copy()
