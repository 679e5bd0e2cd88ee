"""Fused whole-sequence RNN/LSTM/GRU Functions and the `rnn` / `lstm` / `gru` helpers.

The fused forms do the input projection for all T steps in one GEMM and each weight
gradient in one GEMM; per step only the (N, H) @ (H, G·H) recurrence remains. They
compute the same values as looping `RNNStep` / `LSTMStep` / `GRUStep` (tested to float64
round-off).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional import lstm_kernels, lstm_packed
from minigrad.functional import validate as v
from minigrad.functional.recurrent import (
    GRUStep,
    LSTMStep,
    RNNStep,
    check_cell,
    check_gru,
    gru_backward,
    sigmoid_,
)
from minigrad.functional.shape import Stack
from minigrad.functional.workspace import work_array


def _check_seq(fn: str, x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, gates: int) -> tuple:
    x, h0 = v.floating(fn, "x", x), v.floating(fn, "h0", h0)
    v.ndim(fn, "x", x, 3, "(N, T, D)")
    v.ndim(fn, "h0", h0, 2, "(N, H)")
    return (x, h0, *check_cell(fn, x, h0, Wx, Wh, b, gates))


def _time_major(xt: np.ndarray, W: np.ndarray, b: np.ndarray, T: int) -> np.ndarray:
    """Rows xt (T*N, D) @ W (D, G) + b for all steps in one GEMM, laid out (T, N, G)."""
    out = xt @ W  # (T*N, G)
    out += b
    return out.reshape(T, -1, out.shape[1])


def _steps_first(x: np.ndarray) -> np.ndarray:
    """x (N, T, D) as (T*N, D) rows in time order; no copy when x is time-major already."""
    N, T, D = x.shape
    return np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * N, D)


class _Packing:
    """Rows sorted by length (longest first) and packed step by step, as torch's PackedSequence:
    step t holds the sizes[t] rows still running, at packed rows offsets[t]:offsets[t + 1].

    Positions past a row's length are never computed: their outputs are 0 and no gradient
    flows through them. Without lengths (or with all rows of length T and no reordering) the
    packed rows are simply the time-major (T*N) rows.
    """

    def __init__(self, fn: str, lengths: Any, N: int, T: int) -> None:
        if lengths is None:
            lengths = np.full(N, T)
        else:
            lengths = v.integer(fn, "lengths", lengths, high=T + 1)
            v.shape(fn, "lengths", lengths, (N,), "(N,)")
        order = np.argsort(-lengths, kind="stable")
        self.order = None if (order == np.arange(N)).all() else order  # None: already sorted
        ls = lengths[order]
        self.sizes = [int(n) for n in (ls[:, None] > np.arange(T)).sum(axis=0)]  # per step
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int).tolist()
        self.full = self.order is None and all(n == N for n in self.sizes)
        self.N, self.T, self.lengths = N, T, lengths
        if not self.full:
            rows = np.arange(N) if self.order is None else self.order
            self.tt = np.repeat(np.arange(T), self.sizes)  # step of each packed row
            self.nn = np.concatenate([rows[:n] for n in self.sizes])  # sample of each packed row

    def gather(self, a: np.ndarray, copy: str = "") -> np.ndarray:
        """(N, T, K) -> the packed rows (P, K), C-contiguous; a view of time-major `a` when
        nothing is skipped, unless `copy` names the work_array role of a private copy."""
        at = a.transpose(1, 0, 2)  # (T, N, K) view
        if self.full:
            if not copy:
                return np.ascontiguousarray(at).reshape(self.T * self.N, a.shape[2])
            out = work_array(copy, at.shape, a.dtype)
            np.copyto(out, at)
            return out.reshape(self.T * self.N, a.shape[2])
        return at[self.tt, self.nn]

    def scatter(self, p: np.ndarray) -> np.ndarray:
        """Packed rows (P, K) -> (N, T, K), a view of time-major memory; 0 past each length."""
        if self.full:
            return p.reshape(self.T, self.N, -1).transpose(1, 0, 2)
        out = np.zeros((self.T, self.N, p.shape[1]), dtype=p.dtype)
        out[self.tt, self.nn] = p
        return out.transpose(1, 0, 2)

    def sort(self, a: np.ndarray) -> np.ndarray:
        """(N, K) rows in packed order (longest first), a new array."""
        return a.copy() if self.order is None else a[self.order]

    def unsort(self, a: np.ndarray) -> np.ndarray:
        """(N, K) rows in packed order -> in the caller's order."""
        if self.order is None:
            return a
        out = np.empty_like(a)
        out[self.order] = a
        return out

    def step(self, t: int) -> tuple[int, int]:
        """(first packed row, number of rows) of step t."""
        return self.offsets[t], self.sizes[t]

    def previous(self, h0: np.ndarray, hs: np.ndarray) -> np.ndarray:
        """The state each packed row started from, (P, H): h0 rows for step 0, else the
        previous step's rows of hs (a prefix of them, as rows only stop)."""
        parts = [h0[:self.sizes[0]]]
        for t in range(1, self.T):
            o, n = self.step(t - 1)
            parts.append(hs[o:o + self.sizes[t]])
        out = work_array("seq.previous", (self.offsets[-1], hs.shape[1]), hs.dtype)
        return np.concatenate(parts, out=out)


def _inputs(fn: str, x: np.ndarray, h0: np.ndarray, lengths: Any) -> tuple:
    """(packing, packed input rows (P, D)) of a sequence Function."""
    N, T, _ = x.shape
    pk = _Packing(fn, lengths, N, T)
    return pk, pk.gather(x)


class RNNSequence(Function):
    """Vanilla RNN over T steps from h0: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,)
    -> h (N, T, H). With `lengths` (N,) int, row n runs lengths[n] steps only (torch's
    pack_padded_sequence): its later outputs are 0 and get no gradient."""

    @staticmethod
    def forward(ctx: Context, x: Any, h0: Any, Wx: Any, Wh: Any, b: Any,
                lengths: Any = None) -> np.ndarray:
        x, h0, Wx, Wh, b = _check_seq("RNNSequence", x, h0, Wx, Wh, b, 1)
        pk, xp = _inputs("RNNSequence", x, h0, lengths)
        hs = np.matmul(xp, Wx, out=work_array("rnn.hs", (xp.shape[0], Wx.shape[1]), Wx.dtype))
        hs += b  # (P, H) packed pre-activations, then states
        prev_h = pk.sort(h0)
        rec = np.empty_like(h0)
        for t in range(pk.T):
            o, n = pk.step(t)
            h = hs[o:o + n]
            h += np.matmul(prev_h[:n], Wh, out=rec[:n])
            np.tanh(h, out=h)
            prev_h = h
        ctx.pk = pk
        ctx.save_for_backward(xp, h0, Wx, Wh, hs)
        return pk.scatter(hs)  # (N, T, H)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xp, h0, Wx, Wh, hs = ctx.saved_tensors
        pk = ctx.pk
        da = pk.gather(dout, copy="rnn.da")  # (P, H): dh from above, then d(pre-activation)
        dh = np.zeros_like(h0)  # dh from the next step, packed order
        tmp = np.empty_like(h0)
        WhT = np.ascontiguousarray(Wh.T)  # (H, H): row-major products, faster per step
        for t in range(pk.T - 1, -1, -1):
            o, n = pk.step(t)
            d = da[o:o + n]
            d += dh[:n]
            np.multiply(hs[o:o + n], hs[o:o + n], out=tmp[:n])
            np.subtract(1, tmp[:n], out=tmp[:n])
            d *= tmp[:n]
            np.matmul(d, WhT, out=dh[:n])
        return _sequence_grads(ctx.needs_input_grad, xp, pk, h0, hs, da, Wx, dh)


class LSTMSequence(Function):
    """LSTM over T steps from h0 and c0 (0 unless given as a 6th input), gates i, f, o, g:
    x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)[, c0 (N, H)] -> h (N, T, H),
    or (h, c_T (N, H)) with `return_c=True`. With `lengths` (N,) int, row n runs lengths[n]
    steps only (torch's pack_padded_sequence): its later outputs are 0 and get no gradient,
    and its c_T is the cell state after its last step. Computed feature-major when no row
    stops early (`lstm_kernels`), else batch-major on packed rows (`lstm_packed`)."""

    @staticmethod
    def forward(ctx: Context, x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, c0: Any = None,
                return_c: bool = False, lengths: Any = None) -> Any:
        x, h0, Wx, Wh, b = _check_seq("LSTMSequence", x, h0, Wx, Wh, b, 4)
        N, T, _ = x.shape
        if c0 is not None:
            c0 = v.floating("LSTMSequence", "c0", c0)
            v.shape("LSTMSequence", "c0", c0, h0.shape, "(N, H)")
            v.same_dtype("LSTMSequence", ("h0", "c0"), h0, c0)
        pk = ctx.pk = _Packing("LSTMSequence", lengths, N, T)
        if pk.full:
            Z, G, C, TC = lstm_kernels.forward(x, h0, c0, Wx, Wh, b)
            ctx.save_for_backward(Z, G, C, TC, Wx, Wh)
            h = lstm_kernels.outputs(Z, h0.shape[1])  # (N, T, H)
            return (h, lstm_kernels.last_c(C)) if return_c else h
        xp = pk.gather(x)  # (P, D) packed input rows
        gates, c_init, cs, tcs, hs = lstm_packed.forward(pk, xp, h0, c0, Wx, Wh, b)
        ctx.save_for_backward(xp, h0, Wx, Wh, gates, c_init, cs, tcs, hs)
        h = pk.scatter(hs)  # (N, T, H)
        return (h, lstm_packed.last_c(pk, cs, c_init)) if return_c else h

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray, dc_T: Any = None) -> tuple:
        need = ctx.needs_input_grad
        if ctx.pk.full:
            *grads, dc0 = lstm_kernels.backward(ctx.saved_tensors, dout, dc_T, need[:5],
                                                ctx.saved_consumable)
        else:
            saved = ctx.saved_tensors
            da, dh0, dc0 = lstm_packed.backward(ctx.pk, saved, dout, dc_T, ctx.saved_consumable)
            xp, h0, Wx, _, _, _, _, _, hs = saved
            grads = _sequence_grads(need, xp, ctx.pk, h0, hs, da, Wx, dh0)
        if len(need) == 6:  # c0 was given
            return (*grads, dc0 if need[5] else None)
        return tuple(grads)


class GRUSequence(Function):
    """GRU over T steps from h0, torch's equations, gate blocks r, z, n (see GRUStep):
    x (N, T, D), h0 (N, H), Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,) -> h (N, T, H)."""

    @staticmethod
    def forward(ctx: Context, x: Any, h0: Any, Wx: Any, Wh: Any, bx: Any,
                bh: Any) -> np.ndarray:
        x, h0, Wx, Wh, bx, bh = _check_gru_seq("GRUSequence", x, h0, Wx, Wh, bx, bh)
        N, T, _ = x.shape
        H = h0.shape[1]
        xt = _steps_first(x)  # (T*N, D), kept for dWx
        gx = _time_major(xt, Wx, bx, T)  # (T, N, 3H)
        rz = np.empty((T, N, 2 * H), dtype=h0.dtype)
        ns, ghn, hs = (np.empty((T, N, H), dtype=h0.dtype) for _ in range(3))
        gh = np.empty((N, 3 * H), dtype=h0.dtype)
        prev_h = h0
        for t in range(T):
            np.matmul(prev_h, Wh, out=gh)
            gh += bh
            sigmoid_(np.add(gx[t, :, :2 * H], gh[:, :2 * H], out=rz[t]))
            ghn[t] = gh[:, 2 * H:]
            n = np.multiply(rz[t, :, :H], ghn[t], out=ns[t])
            n += gx[t, :, 2 * H:]
            np.tanh(n, out=n)
            np.subtract(prev_h, n, out=hs[t])
            hs[t] *= rz[t, :, H:]
            hs[t] += n
            prev_h = hs[t]
        ctx.save_for_backward(xt, h0, Wx, Wh, rz, ns, ghn, hs)
        return hs.transpose(1, 0, 2)  # (N, T, H)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xt, h0, Wx, Wh, rz, ns, ghn, hs = ctx.saved_tensors
        T, N, H = hs.shape
        da = np.empty((T, N, 3 * H), dtype=hs.dtype)  # d(x Wx + bx)
        dgh = np.empty_like(da)  # d(h Wh + bh)
        dh = np.zeros_like(h0)
        dout = dout.transpose(1, 0, 2)  # (T, N, H) view
        WhT = Wh.T
        for t in range(T - 1, -1, -1):
            dh += dout[t]
            direct = gru_backward(dh, hs[t - 1] if t else h0, rz[t], ns[t], ghn[t], da[t],
                                  dgh[t])
            np.matmul(dgh[t], WhT, out=dh)
            dh += direct
        grads = _gru_grads(ctx, xt, h0, hs, da, Wx, dh, dgh)
        dbh = dgh.reshape(T * N, -1).sum(axis=0) if ctx.needs_input_grad[5] else None
        return (*grads, dbh)


def _sequence_grads(need: tuple, xp: np.ndarray, pk: _Packing, h0: np.ndarray,
                    hs: np.ndarray, da: np.ndarray, Wx: np.ndarray, dh0: np.ndarray) -> tuple:
    """(dx, dh0, dWx, dWh, db) from the packed pre-activation grads da (P, G), one GEMM each
    (None where `need`, the needs_input_grad flags, is False); xp (P, D) are the packed input
    rows, hs (P, H) the packed states, dh0 in packed order."""
    dx = dWx = dWh = db = None
    if need[0]:
        dx = pk.scatter(da @ Wx.T)  # (N, T, D)
    if need[2]:
        dWx = xp.T @ da
    if need[3]:
        dWh = pk.previous(pk.sort(h0), hs).T @ da
    if need[4]:
        db = da.sum(axis=0)
    return dx, (pk.unsort(dh0) if need[1] else None), dWx, dWh, db


def _gru_grads(ctx: Context, xt: np.ndarray, h0: np.ndarray, hs: np.ndarray, da: np.ndarray,
               Wx: np.ndarray, dh0: np.ndarray, drec: np.ndarray) -> tuple:
    """GRUSequence's (dx, dh0, dWx, dWh, db) from da (T, N, 3H) = d(x Wx + bx) and drec =
    d(h Wh + bh); xt (T*N, D) are the input rows in time order."""
    T, N, G = da.shape
    D = xt.shape[1]
    da2 = da.reshape(T * N, G)
    need = ctx.needs_input_grad
    dx = dWx = dWh = db = None
    if need[0]:
        dx = (da2 @ Wx.T).reshape(T, N, D).transpose(1, 0, 2)  # (N, T, D)
    if need[2]:
        dWx = xt.T @ da2
    if need[3]:
        dWh = h0.T @ drec[0]
        if T > 1:
            dWh += hs[:-1].reshape((T - 1) * N, -1).T @ drec[1:].reshape((T - 1) * N, G)
    if need[4]:
        db = da2.sum(axis=0)
    return dx, (dh0 if need[1] else None), dWx, dWh, db


def _no_lengths(fn: str, lengths: Any) -> None:
    if lengths is not None:
        raise ValueError(f"{fn}: lengths needs fused=True (the fused Function skips the "
                         "padding), got fused=False")


def rnn(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, fused: bool = True, *,
        lengths: Any = None) -> Any:
    """Vanilla RNN over a sequence: x (N, T, D), h0 (N, H) -> h (N, T, H); `lengths` (N,) int
    runs row n for lengths[n] steps only (0 after, as torch's packed sequences).

    `fused=False` loops `RNNStep` through autograd instead (same values, slower).
    """
    if fused:
        return RNNSequence.apply(x, h0, Wx, Wh, b, lengths=lengths)
    _no_lengths("rnn", lengths)
    _check_seq("rnn", getattr(x, "data", x), getattr(h0, "data", h0), getattr(Wx, "data", Wx),
               getattr(Wh, "data", Wh), getattr(b, "data", b), 1)
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = RNNStep.apply(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
    return Stack.apply(*hs, axis=1)


def lstm(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, fused: bool = True, *, c0: Any = None,
         return_c: bool = False, lengths: Any = None) -> Any:
    """LSTM over a sequence from c0 (zeros if None): x (N, T, D), h0 (N, H) -> h (N, T, H),
    or (h, c_T (N, H)) with `return_c=True`; `lengths` (N,) int runs row n for lengths[n]
    steps only (0 after, c_T after its last step, as torch's packed sequences).

    `fused=False` loops `LSTMStep` through autograd instead (same values, slower).
    """
    if fused:
        extra = () if c0 is None else (c0,)
        return LSTMSequence.apply(x, h0, Wx, Wh, b, *extra, return_c=return_c, lengths=lengths)
    _no_lengths("lstm", lengths)
    h0a = getattr(h0, "data", h0)
    _check_seq("lstm", getattr(x, "data", x), h0a, getattr(Wx, "data", Wx),
               getattr(Wh, "data", Wh), getattr(b, "data", b), 4)
    h, c, hs = h0, (np.zeros_like(h0a) if c0 is None else c0), []
    for t in range(x.shape[1]):
        h, c = LSTMStep.apply(x[:, t, :], h, c, Wx, Wh, b)
        hs.append(h)
    out = Stack.apply(*hs, axis=1)
    return (out, c) if return_c else out


def _check_gru_seq(fn: str, x: Any, h0: Any, Wx: Any, Wh: Any, bx: Any, bh: Any) -> tuple:
    x, h0 = v.floating(fn, "x", x), v.floating(fn, "h0", h0)
    v.ndim(fn, "x", x, 3, "(N, T, D)")
    v.ndim(fn, "h0", h0, 2, "(N, H)")
    return (x, h0, *check_gru(fn, x, h0, Wx, Wh, bx, bh))


def gru(x: Any, h0: Any, Wx: Any, Wh: Any, bx: Any, bh: Any, fused: bool = True) -> Any:
    """GRU over a sequence (torch's equations, gate blocks r, z, n): x (N, T, D), h0 (N, H)
    -> h (N, T, H).

    `fused=False` loops `GRUStep` through autograd instead (same values, slower).
    """
    if fused:
        return GRUSequence.apply(x, h0, Wx, Wh, bx, bh)
    _check_gru_seq("gru", *(getattr(a, "data", a) for a in (x, h0, Wx, Wh, bx, bh)))
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = GRUStep.apply(x[:, t, :], h, Wx, Wh, bx, bh)
        hs.append(h)
    return Stack.apply(*hs, axis=1)


__all__ = ["RNNSequence", "LSTMSequence", "GRUSequence", "rnn", "lstm", "gru"]

TENSOR_METHODS: dict = {}
