"""Recurrent layers (CS231n layouts): RNN, LSTM and GRU over whole sequences, and their cells.

Weights are Wx (D, G·H), Wh (H, G·H) and biases (G·H,), the transposes of torch's
weight_ih_l{k} / weight_hh_l{k}. Layer 0 is named Wx, Wh, b (GRU: bx, bh); layer k >= 1 adds
the suffix `_l{k}` (Wx_l1, ...). LSTM gate blocks are i, f, o, g (torch: i, f, g, o); GRU
blocks are r, z, n as in torch, so bx = torch's bias_ih and bh = bias_hh. Sequences are
batch-first (N, T, D) by default (torch defaults to batch_first=False).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad import functional as mgf
from minigrad.errors import ShapeError
from minigrad.nn import init
from minigrad.nn.layers import _check_input, _data, _positive, _rng
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


def _suffix(k: int) -> str:
    return "" if k == 0 else f"_l{k}"


def _state(layer: str, name: str, s: Any, L: int, N: int, H: int, dtype: Any) -> list:
    """A per-layer list of (N, H) states from None (zeros), (N, H) when L == 1, or (L, N, H)."""
    if s is None:
        return [np.zeros((N, H), dtype=dtype) for _ in range(L)]
    a = _data(s)
    if a.ndim == 2 and L == 1 and a.shape == (N, H):
        return [s]
    if a.shape != (L, N, H):
        want = f"(N, H) = {(N, H)} or " if L == 1 else ""
        raise ShapeError(f"{layer}: {name} must have shape {want}(num_layers, N, H) = "
                         f"{(L, N, H)}, got {a.shape}")
    return [s[k] for k in range(L)]


class _Recurrent(Module):
    """Shared parts of RNN, LSTM and GRU: one set of weights per layer, stacked layers."""

    gates = 1
    name = "RNN"
    biases: tuple[str, ...] = ("b",)

    def __init__(self, D: int, H: int, num_layers: int = 1, batch_first: bool = True,
                 dtype: Any = np.float32, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive(self.name, D=D, H=H, num_layers=num_layers)
        rng = _rng(rng)
        self.D, self.H, self.num_layers, self.batch_first = D, H, num_layers, bool(batch_first)
        for k in range(num_layers):
            for name, arr in self._init_layer(D if k == 0 else H, H, rng, dtype):
                setattr(self, name + _suffix(k), Parameter(arr))

    @classmethod
    def _init_layer(cls, D: int, H: int, rng: np.random.Generator, dtype: Any) -> list:
        """CS231n init: randn / sqrt(fan_in) weights, zero bias."""
        G = cls.gates * H
        return [("Wx", init.scaled_normal((D, G), rng, dtype)),
                ("Wh", init.scaled_normal((H, G), rng, dtype)), ("b", init.zeros((G,), dtype))]

    def layer_params(self, k: int) -> tuple:
        """(Wx, Wh, *biases) of layer k."""
        sfx = _suffix(k)
        return tuple(getattr(self, n + sfx) for n in ("Wx", "Wh", *self.biases))

    def _run(self, x: Any, h0: Any, c0: Any, need_state: bool) -> tuple:
        """(out (N, T, H) batch-first, [last h per layer], [last c per layer] or None)."""
        _check_input(self.name, x, self.D, "D", self.Wx.dtype, 3,
                     "(N, T, D)" if self.batch_first else "(T, N, D)")
        if not self.batch_first:
            x = mgf.transpose(x, (1, 0, 2))
        N, L, H, dt = _data(x).shape[0], self.num_layers, self.H, self.Wx.dtype
        hs = _state(self.name, "h0", h0, L, N, H, dt)
        cs = _state(self.name, "c0", c0, L, N, H, dt) if self.gates == 4 else None
        last_h, last_c = [], []
        for k in range(L):
            params = self.layer_params(k)
            if self.gates == 4 and (c0 is not None or need_state):
                x, c = mgf.lstm(x, hs[k], *params, c0=None if c0 is None else cs[k],
                                return_c=True)
                last_c.append(c)
            elif self.gates == 4:
                x = mgf.lstm(x, hs[k], *params)
            elif self.gates == 3:
                x = mgf.gru(x, hs[k], *params)
            else:
                x = mgf.rnn(x, hs[k], *params)
            if need_state:
                last_h.append(x[:, -1])
        return x, last_h, (last_c if self.gates == 4 else None)

    def _output(self, out: Any) -> Any:
        return out if self.batch_first else mgf.transpose(out, (1, 0, 2))

    def forward(self, x: Any, h0: Any = None, return_state: bool = False) -> Any:
        """(N, T, D), (N, H) -> (N, T, H) [, (num_layers, N, H)] (RNN and GRU; LSTM adds c0)."""
        out, last_h, _ = self._run(x, h0, None, return_state)
        if return_state:
            return self._output(out), mgf.stack(last_h, axis=0)
        return self._output(out)

    def extra_repr(self) -> str:
        extra = "" if self.num_layers == 1 else f", num_layers={self.num_layers}"
        extra += "" if self.batch_first else ", batch_first=False"
        return f"{self.D}, {self.H}{extra}"


class RNN(_Recurrent):
    """Vanilla tanh RNN: x (N, T, D), h0 (N, H) or (num_layers, N, H) (zeros if None) ->
    h (N, T, H); with `return_state=True`, (h, h_n (num_layers, N, H)) as torch."""


class LSTM(_Recurrent):
    """LSTM, gate blocks i, f, o, g, from (h0, c0) (zeros if None): x (N, T, D) -> h (N, T, H);
    with `return_state=True`, (h, (h_n, c_n)), each (num_layers, N, H), as torch.

    h0 may also be torch's tuple (h0, c0).
    """

    gates = 4
    name = "LSTM"

    def forward(self, x: Any, h0: Any = None, c0: Any = None, return_state: bool = False) -> Any:
        """(N, T, D), (N, H), (N, H) -> (N, T, H) [, ((L, N, H), (L, N, H))]."""
        if isinstance(h0, tuple):
            h0, c0 = h0
        out, last_h, last_c = self._run(x, h0, c0, return_state)
        if return_state:
            return self._output(out), (mgf.stack(last_h, axis=0), mgf.stack(last_c, axis=0))
        return self._output(out)


class GRU(_Recurrent):
    """GRU with torch's equations and gate blocks r, z, n: x (N, T, D), h0 (N, H) or
    (num_layers, N, H) (zeros if None) -> h (N, T, H); with `return_state=True`,
    (h, h_n (num_layers, N, H)) as torch. Init U(±1/sqrt(H)) as torch.

    torch.nn.GRU's weight_ih_l{k} = Wx{sfx}.T, weight_hh_l{k} = Wh{sfx}.T,
    bias_ih_l{k} = bx{sfx}, bias_hh_l{k} = bh{sfx}, with sfx '' for k = 0 and '_l{k}' after.
    """

    gates = 3
    name = "GRU"
    biases = ("bx", "bh")

    @classmethod
    def _init_layer(cls, D: int, H: int, rng: np.random.Generator, dtype: Any) -> list:
        """torch's init: every weight and bias U(±1/sqrt(H))."""
        bound = 1.0 / math.sqrt(H)
        shapes = {"Wx": (D, 3 * H), "Wh": (H, 3 * H), "bx": (3 * H,), "bh": (3 * H,)}
        return [(n, init.uniform(s, rng, bound, dtype)) for n, s in shapes.items()]


class _Cell(Module):
    """One step of a recurrent layer, with the same parameters as its layer's first layer."""

    kind: type = RNN

    def __init__(self, D: int, H: int, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        _positive(name, D=D, H=H)
        self.D, self.H = D, H
        for pname, arr in self.kind._init_layer(D, H, _rng(rng), dtype):
            setattr(self, pname, Parameter(arr))

    def _state(self, x: Any, h: Any) -> Any:
        name = type(self).__name__
        _check_input(name, x, self.D, "D", self.Wx.dtype, 2, "(N, D)")
        N = _data(x).shape[0]
        if h is None:
            return np.zeros((N, self.H), dtype=self.Wx.dtype)  # (N, H)
        if _data(h).shape != (N, self.H):
            raise ShapeError(f"{name}: state must have shape (N, H) = {(N, self.H)}, "
                             f"got {_data(h).shape}")
        return h

    def extra_repr(self) -> str:
        return f"{self.D}, {self.H}"


class RNNCell(_Cell):
    """h' = tanh(x Wx + h Wh + b): x (N, D), h (N, H) (zeros if None) -> (N, H)."""

    def forward(self, x: Any, h: Any = None) -> Tensor:
        """(N, D), (N, H) -> (N, H)."""
        return mgf.rnn_step(x, self._state(x, h), self.Wx, self.Wh, self.b)


class LSTMCell(_Cell):
    """One LSTM step, gate blocks i, f, o, g: x (N, D), state (h, c) (zeros if None) ->
    (h', c'), each (N, H), as torch's LSTMCell."""

    kind = LSTM

    def forward(self, x: Any, state: tuple | None = None) -> tuple:
        """(N, D), ((N, H), (N, H)) -> ((N, H), (N, H))."""
        h, c = (None, None) if state is None else state
        return mgf.lstm_step(x, self._state(x, h), self._state(x, c), self.Wx, self.Wh, self.b)


class GRUCell(_Cell):
    """One GRU step (torch's equations, gate blocks r, z, n): x (N, D), h (N, H) (zeros if
    None) -> (N, H); torch.nn.GRUCell's weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = bx,
    bias_hh = bh."""

    kind = GRU

    def forward(self, x: Any, h: Any = None) -> Tensor:
        """(N, D), (N, H) -> (N, H)."""
        return mgf.gru_step(x, self._state(x, h), self.Wx, self.Wh, self.bx, self.bh)


__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]
