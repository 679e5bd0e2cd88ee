"""Vanilla RNN, LSTM and GRU single steps (CS231n weight layouts), and their shared checks."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.function import Context, Function
from minigrad.functional import validate as v


def check_cell(fn: str, x: np.ndarray, h: np.ndarray, Wx: Any, Wh: Any, b: Any,
               gates: int, bname: str = "b") -> tuple:
    """Validate x (N, D), h (N, H), Wx (D, G·H), Wh (H, G·H), b (G·H,); returns the float arrays."""
    G = "H" if gates == 1 else f"{gates}H"
    Wx, Wh, b = v.floating(fn, "Wx", Wx), v.floating(fn, "Wh", Wh), v.floating(fn, bname, b)
    v.ndim(fn, "Wx", Wx, 2, f"(D, {G})")
    v.ndim(fn, "Wh", Wh, 2, f"(H, {G})")
    v.ndim(fn, bname, b, 1, f"({G},)")
    N, H = h.shape
    v.shape(fn, "Wh", Wh, (H, gates * H), f"(H, {G})")
    v.shape(fn, "Wx", Wx, (x.shape[-1], gates * H), f"(D, {G})")
    v.shape(fn, bname, b, (gates * H,), f"({G},)")
    v.same_dim(fn, "x", x, 0, "prev_h" if x.ndim == 2 else "h0", h, 0)
    v.nonempty(fn, "x", x)
    v.same_dtype(fn, ("x", "h", "Wx", "Wh", bname), x, h, Wx, Wh, b)
    return Wx, Wh, b


def check_gru(fn: str, x: np.ndarray, h: np.ndarray, Wx: Any, Wh: Any, bx: Any,
              bh: Any) -> tuple:
    """Validate a GRU's Wx (D, 3H), Wh (H, 3H), bx, bh (3H,) against x and h; the float arrays."""
    Wx, Wh, bx = check_cell(fn, x, h, Wx, Wh, bx, 3, "bx")
    bh = v.floating(fn, "bh", bh)
    v.shape(fn, "bh", bh, bx.shape, "(3H,)")
    v.same_dtype(fn, ("bx", "bh"), bx, bh)
    return Wx, Wh, bx, bh


class RNNStep(Function):
    """next_h = tanh(x Wx + prev_h Wh + b): (N, D), (N, H), (D, H), (H, H), (H,) -> (N, H)."""

    @staticmethod
    def forward(ctx: Context, x: Any, prev_h: Any, Wx: Any, Wh: Any, b: Any) -> np.ndarray:
        x, prev_h = v.floating("RNNStep", "x", x), v.floating("RNNStep", "prev_h", prev_h)
        v.ndim("RNNStep", "x", x, 2, "(N, D)")
        v.ndim("RNNStep", "prev_h", prev_h, 2, "(N, H)")
        Wx, Wh, b = check_cell("RNNStep", x, prev_h, Wx, Wh, b, 1)
        next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # (N, H)
        ctx.save_for_backward(x, prev_h, Wx, Wh, next_h)
        return next_h

    @staticmethod
    def backward(ctx: Context, dnext_h: np.ndarray) -> tuple:
        x, prev_h, Wx, Wh, next_h = ctx.saved_tensors
        da = dnext_h * (1 - next_h * next_h)  # (N, H)
        need = ctx.needs_input_grad
        return (da @ Wx.T if need[0] else None, da @ Wh.T if need[1] else None,
                x.T @ da if need[2] else None, prev_h.T @ da if need[3] else None,
                da.sum(axis=0) if need[4] else None)


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """Sigmoid in place, as 0.5 + 0.5 tanh(a / 2) (no overflow for large |a|)."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1
    a *= 0.5
    return a


def lstm_gates(a: np.ndarray, H: int) -> np.ndarray:
    """Activate the (N, 4H) pre-activations in place: sigmoid on i, f, o; tanh on g."""
    sigmoid_(a[:, :3 * H])
    np.tanh(a[:, 3 * H:], out=a[:, 3 * H:])
    return a


def lstm_gates_backward(dnext_h: np.ndarray, dnext_c: np.ndarray, gates: np.ndarray,
                        prev_c: np.ndarray, tanh_c: np.ndarray, H: int) -> tuple:
    """(da (N, 4H), dprev_c (N, H)) of one LSTM step; OVERWRITES `gates` (i, f, o, g) with da.

    Pass a copy to keep the gates. Each product is one in-place pass over memory.
    """
    i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dc = tanh_c * tanh_c  # (N, H)
    np.subtract(1, dc, out=dc)
    dc *= o
    dc *= dnext_h
    dc += dnext_c  # total gradient into next_c
    dprev_c = dc * f
    dg = g * g  # (N, H)
    np.subtract(1, dg, out=dg)
    dg *= dc
    dg *= i
    for gate, up in ((i, g), (f, prev_c)):  # sigmoid'(gate) * up * dc, in place
        up = up * dc
        up *= gate
        np.subtract(1, gate, out=gate)
        gate *= up
    up = dnext_h * tanh_c
    up *= o
    np.subtract(1, o, out=o)
    o *= up
    g[...] = dg
    return gates, dprev_c


def lstm_cell_backward(dh: np.ndarray, dc: np.ndarray, gates: np.ndarray, prev_c: np.ndarray,
                       tanh_c: np.ndarray, up: np.ndarray, axis: int) -> None:
    """One LSTM step backward in place, the gates (i, f, o, g) stacked along `axis` (0:
    feature-major (4H, n), the others (H, n); 1: batch-major (n, 4H), the others (n, H)):
    the activated `gates` become d(pre-activation), `dc` (dnext_c) becomes dprev_c; dh is the
    total dnext_h; `up` (3H along `axis`) is scratch. The sequence kernels' shared cell."""
    H = dh.shape[axis]
    if axis == 0:  # row blocks (plain slices: this runs once per time step)
        i, f, o, g = gates[:H], gates[H:2 * H], gates[2 * H:3 * H], gates[3 * H:]
        ifo, s, u1, u2 = gates[:3 * H], up[:H], up[H:2 * H], up[2 * H:]
    else:
        i, f, o, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
        ifo, s, u1, u2 = gates[:, :3 * H], up[:, :H], up[:, H:2 * H], up[:, 2 * H:]
    np.multiply(tanh_c, tanh_c, out=s)  # dc += dh * o * (1 - tanh_c**2)
    np.subtract(1, s, out=s)
    s *= o
    s *= dh
    dc += s
    np.multiply(g, dc, out=s)  # what multiplies i', f', o' (sigmoid derivatives)
    np.multiply(prev_c, dc, out=u1)
    np.multiply(dh, tanh_c, out=u2)
    np.multiply(g, g, out=g)  # dg = dc * i * (1 - g**2), in place
    np.subtract(1, g, out=g)
    g *= i
    g *= dc
    dc *= f  # dprev_c
    up *= ifo  # d(i, f, o) = up * s * (1 - s), in place
    np.subtract(1, ifo, out=ifo)
    ifo *= up


class LSTMStep(Function):
    """One LSTM step, gate blocks i, f, o, g: (N, D), (N, H), (N, H), (D, 4H), (H, 4H), (4H,)
    -> (next_h (N, H), next_c (N, H))."""

    @staticmethod
    def forward(ctx: Context, x: Any, prev_h: Any, prev_c: Any, Wx: Any, Wh: Any,
                b: Any) -> tuple:
        fn = "LSTMStep"
        x, prev_h = v.floating(fn, "x", x), v.floating(fn, "prev_h", prev_h)
        prev_c = v.floating(fn, "prev_c", prev_c)
        v.ndim(fn, "x", x, 2, "(N, D)")
        v.ndim(fn, "prev_h", prev_h, 2, "(N, H)")
        v.shape(fn, "prev_c", prev_c, prev_h.shape, "(N, H)")
        Wx, Wh, b = check_cell(fn, x, prev_h, Wx, Wh, b, 4)
        v.same_dtype(fn, ("prev_h", "prev_c"), prev_h, prev_c)
        H = prev_h.shape[1]
        gates = lstm_gates(x @ Wx + prev_h @ Wh + b, H)  # (N, 4H)
        next_c = gates[:, H:2 * H] * prev_c + gates[:, :H] * gates[:, 3 * H:]  # (N, H)
        tanh_c = np.tanh(next_c)
        next_h = gates[:, 2 * H:3 * H] * tanh_c  # (N, H)
        ctx.save_for_backward(x, prev_h, prev_c, Wx, Wh, gates, tanh_c)
        return next_h, next_c

    @staticmethod
    def backward(ctx: Context, dnext_h: np.ndarray, dnext_c: np.ndarray) -> tuple:
        x, prev_h, prev_c, Wx, Wh, gates, tanh_c = ctx.saved_tensors
        gates = gates if ctx.saved_consumable else gates.copy()
        da, dprev_c = lstm_gates_backward(dnext_h, dnext_c, gates, prev_c, tanh_c, Wh.shape[0])
        need = ctx.needs_input_grad
        return (da @ Wx.T if need[0] else None, da @ Wh.T if need[1] else None,
                dprev_c if need[2] else None, x.T @ da if need[3] else None,
                prev_h.T @ da if need[4] else None, da.sum(axis=0) if need[5] else None)


def gru_backward(dnext_h: np.ndarray, prev_h: np.ndarray, rz: np.ndarray, n: np.ndarray,
                 ghn: np.ndarray, da: np.ndarray, dgh: np.ndarray) -> np.ndarray:
    """Fill da = d(x Wx + bx) and dgh = d(h Wh + bh), each (N, 3H), of one GRU step; returns
    the part of dprev_h that does not go through Wh, dnext_h ⊙ z."""
    H = n.shape[1]
    r, z = rz[:, :H], rz[:, H:]
    dan = dnext_h * (1 - z)  # dn, then through tanh
    dan *= 1 - n * n
    dz = dnext_h * (prev_h - n)
    da[:, H:2 * H] = dz * z * (1 - z)
    da[:, :H] = dan * ghn * r * (1 - r)
    da[:, 2 * H:] = dan
    dgh[:, :2 * H] = da[:, :2 * H]
    np.multiply(dan, r, out=dgh[:, 2 * H:])
    return dnext_h * z


class GRUStep(Function):
    """One GRU step with torch's equations and gate blocks r, z, n (reset, update, new):
    x (N, D), prev_h (N, H), Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,) -> next_h (N, H).

    r = σ(x Wx_r + bx_r + h Wh_r + bh_r), z likewise, n = tanh(x Wx_n + bx_n + r ⊙ (h Wh_n +
    bh_n)), next_h = (1 - z) ⊙ n + z ⊙ h. torch's GRUCell holds the same blocks in the same
    order: weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = bx, bias_hh = bh.
    """

    @staticmethod
    def forward(ctx: Context, x: Any, prev_h: Any, Wx: Any, Wh: Any, bx: Any,
                bh: Any) -> np.ndarray:
        fn = "GRUStep"
        x, prev_h = v.floating(fn, "x", x), v.floating(fn, "prev_h", prev_h)
        v.ndim(fn, "x", x, 2, "(N, D)")
        v.ndim(fn, "prev_h", prev_h, 2, "(N, H)")
        Wx, Wh, bx, bh = check_gru(fn, x, prev_h, Wx, Wh, bx, bh)
        H = prev_h.shape[1]
        gx = x @ Wx  # (N, 3H)
        gx += bx
        gh = prev_h @ Wh  # (N, 3H)
        gh += bh
        rz = sigmoid_(gx[:, :2 * H] + gh[:, :2 * H])  # (N, 2H)
        ghn = gh[:, 2 * H:]
        n = rz[:, :H] * ghn  # (N, H)
        n += gx[:, 2 * H:]
        np.tanh(n, out=n)
        next_h = prev_h - n  # (N, H)
        next_h *= rz[:, H:]
        next_h += n
        ctx.save_for_backward(x, prev_h, Wx, Wh, rz, n, ghn)
        return next_h

    @staticmethod
    def backward(ctx: Context, dnext_h: np.ndarray) -> tuple:
        x, prev_h, Wx, Wh, rz, n, ghn = ctx.saved_tensors
        N, H = n.shape
        da = np.empty((N, 3 * H), dtype=n.dtype)
        dgh = np.empty_like(da)
        dh = gru_backward(dnext_h, prev_h, rz, n, ghn, da, dgh)
        need = ctx.needs_input_grad
        if need[1]:
            dh += dgh @ Wh.T
        return (da @ Wx.T if need[0] else None, dh if need[1] else None,
                x.T @ da if need[2] else None, prev_h.T @ dgh if need[3] else None,
                da.sum(axis=0) if need[4] else None, dgh.sum(axis=0) if need[5] else None)


def rnn_step(x: Any, prev_h: Any, Wx: Any, Wh: Any, b: Any) -> Any:
    """(N, D), (N, H) -> next_h (N, H)."""
    return RNNStep.apply(x, prev_h, Wx, Wh, b)


def lstm_step(x: Any, prev_h: Any, prev_c: Any, Wx: Any, Wh: Any, b: Any) -> tuple:
    """(N, D), (N, H), (N, H) -> (next_h, next_c), each (N, H)."""
    return LSTMStep.apply(x, prev_h, prev_c, Wx, Wh, b)


def gru_step(x: Any, prev_h: Any, Wx: Any, Wh: Any, bx: Any, bh: Any) -> Any:
    """(N, D), (N, H) -> next_h (N, H); gate blocks r, z, n as torch (see GRUStep)."""
    return GRUStep.apply(x, prev_h, Wx, Wh, bx, bh)


__all__ = ["RNNStep", "LSTMStep", "GRUStep", "rnn_step", "lstm_step", "gru_step"]

TENSOR_METHODS: dict = {}
