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
from minigrad.functional import validate as v
from minigrad.functional.recurrent import (
    GRUStep,
    LSTMStep,
    RNNStep,
    check_cell,
    check_gru,
    gru_backward,
    lstm_gates,
    lstm_gates_backward,
    sigmoid_,
)
from minigrad.functional.shape import Stack


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


class RNNSequence(Function):
    """Vanilla RNN over T steps from h0: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,)
    -> h (N, T, H)."""

    @staticmethod
    def forward(ctx: Context, x: Any, h0: Any, Wx: Any, Wh: Any, b: Any) -> np.ndarray:
        x, h0, Wx, Wh, b = _check_seq("RNNSequence", x, h0, Wx, Wh, b, 1)
        T = x.shape[1]
        xt = _steps_first(x)  # (T*N, D), kept for dWx
        hs = _time_major(xt, Wx, b, T)  # (T, N, H), overwritten step by step
        prev_h = h0
        rec = np.empty_like(h0)
        for t in range(T):
            hs[t] += np.matmul(prev_h, Wh, out=rec)
            np.tanh(hs[t], out=hs[t])
            prev_h = hs[t]
        ctx.save_for_backward(xt, h0, Wx, Wh, hs)
        return hs.transpose(1, 0, 2)  # (N, T, H)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray) -> tuple:
        xt, h0, Wx, Wh, hs = ctx.saved_tensors
        T = hs.shape[0]
        da = np.empty_like(hs)  # (T, N, H)
        dh = np.zeros_like(h0)
        dout = dout.transpose(1, 0, 2)  # (T, N, H) view
        WhT = Wh.T
        for t in range(T - 1, -1, -1):
            dh += dout[t]
            np.multiply(hs[t], hs[t], out=da[t])
            np.subtract(1, da[t], out=da[t])
            da[t] *= dh
            np.matmul(da[t], WhT, out=dh)
        return _sequence_grads(ctx, xt, h0, hs, da, Wx, dh)


class LSTMSequence(Function):
    """LSTM over T steps from h0 and c0 (0 unless given as a 6th input), gates i, f, o, g:
    x (N, T, D), h0 (N, H), Wx (D, 4H), Wh (H, 4H), b (4H,)[, c0 (N, H)] -> h (N, T, H),
    or (h, c_T (N, H)) with `return_c=True`."""

    @staticmethod
    def forward(ctx: Context, x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, c0: Any = None,
                return_c: bool = False) -> Any:
        x, h0, Wx, Wh, b = _check_seq("LSTMSequence", x, h0, Wx, Wh, b, 4)
        N, T, _ = x.shape
        H = h0.shape[1]
        if c0 is not None:
            c0 = v.floating("LSTMSequence", "c0", c0)
            v.shape("LSTMSequence", "c0", c0, h0.shape, "(N, H)")
            v.same_dtype("LSTMSequence", ("h0", "c0"), h0, c0)
        xt = _steps_first(x)  # (T*N, D), kept for dWx
        gates = _time_major(xt, Wx, b, T)  # (T, N, 4H), activated step by step
        cs = np.empty((T + 1, N, H), dtype=h0.dtype)  # cs[0] = c0, cs[t+1] = c_t
        cs[0] = 0 if c0 is None else c0
        hs = np.empty((T, N, H), dtype=h0.dtype)
        prev_h = h0
        rec = np.empty((N, 4 * H), dtype=h0.dtype)
        for t in range(T):
            g = gates[t]
            g += np.matmul(prev_h, Wh, out=rec)
            lstm_gates(g, H)
            np.multiply(g[:, H:2 * H], cs[t], out=cs[t + 1])
            cs[t + 1] += g[:, :H] * g[:, 3 * H:]
            np.tanh(cs[t + 1], out=hs[t])
            hs[t] *= g[:, 2 * H:3 * H]
            prev_h = hs[t]
        ctx.save_for_backward(xt, h0, Wx, Wh, gates, cs, hs)
        if return_c:
            return hs.transpose(1, 0, 2), cs[T].copy()  # (N, T, H), (N, H)
        return hs.transpose(1, 0, 2)  # (N, T, H)

    @staticmethod
    def backward(ctx: Context, dout: np.ndarray, dc_T: Any = None) -> tuple:
        xt, h0, Wx, Wh, gates, cs, hs = ctx.saved_tensors
        T, _, H = hs.shape
        da = gates if ctx.saved_consumable else gates.copy()  # (T, N, 4H), overwritten in place
        dh = np.zeros_like(h0)
        dc = np.zeros_like(h0) if dc_T is None else dc_T.copy()
        dout = dout.transpose(1, 0, 2)  # (T, N, H) view
        WhT = Wh.T
        for t in range(T - 1, -1, -1):
            dh += dout[t]
            _, dc = lstm_gates_backward(dh, dc, da[t], cs[t], np.tanh(cs[t + 1]), H)
            np.matmul(da[t], WhT, out=dh)
        grads = _sequence_grads(ctx, xt, h0, hs, da, Wx, dh)
        if len(ctx.needs_input_grad) == 6:  # c0 was given
            return (*grads, dc if ctx.needs_input_grad[5] else None)
        return grads


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
        grads = _sequence_grads(ctx, xt, h0, hs, da, Wx, dh, drec=dgh)
        dbh = dgh.reshape(T * N, -1).sum(axis=0) if ctx.needs_input_grad[5] else None
        return (*grads, dbh)


def _sequence_grads(ctx: Context, xt: np.ndarray, h0: np.ndarray, hs: np.ndarray,
                    da: np.ndarray, Wx: np.ndarray, dh0: np.ndarray,
                    drec: np.ndarray | None = None) -> tuple:
    """(dx, dh0, dWx, dWh, db) from the pre-activation grads da (T, N, G), one GEMM each;
    xt (T*N, D) are the input rows in time order; `drec` is the gradient of h Wh where it
    differs from da (GRU)."""
    drec = da if drec is None else drec
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


def rnn(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, fused: bool = True) -> Any:
    """Vanilla RNN over a sequence: x (N, T, D), h0 (N, H) -> h (N, T, H).

    `fused=False` loops `RNNStep` through autograd instead (same values, slower).
    """
    if fused:
        return RNNSequence.apply(x, h0, Wx, Wh, b)
    _check_seq("rnn", getattr(x, "data", x), getattr(h0, "data", h0), getattr(Wx, "data", Wx),
               getattr(Wh, "data", Wh), getattr(b, "data", b), 1)
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = RNNStep.apply(x[:, t, :], h, Wx, Wh, b)
        hs.append(h)
    return Stack.apply(*hs, axis=1)


def lstm(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any, fused: bool = True, *, c0: Any = None,
         return_c: bool = False) -> Any:
    """LSTM over a sequence from c0 (zeros if None): x (N, T, D), h0 (N, H) -> h (N, T, H),
    or (h, c_T (N, H)) with `return_c=True`.

    `fused=False` loops `LSTMStep` through autograd instead (same values, slower).
    """
    if fused:
        extra = () if c0 is None else (c0,)
        return LSTMSequence.apply(x, h0, Wx, Wh, b, *extra, return_c=return_c)
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
