"""Recurrent layers (CS231n layouts): RNN and LSTM over whole sequences."""
from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import functional as mgf
from minigrad.nn import init
from minigrad.nn.layers import _check_input, _data, _positive, _rng
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor


class _Recurrent(Module):
    """Shared parts of RNN and LSTM: CS231n parameters Wx (D, G·H), Wh (H, G·H), b (G·H,)."""

    gates = 1
    name = "RNN"

    def __init__(self, D: int, H: int, dtype: Any = np.float32,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        _positive(self.name, D=D, H=H)
        rng = _rng(rng)
        G = self.gates * H
        self.D, self.H = D, H
        self.Wx = Parameter(init.scaled_normal((D, G), rng, dtype))
        self.Wh = Parameter(init.scaled_normal((H, G), rng, dtype))
        self.b = Parameter(init.zeros((G,), dtype))

    def _inputs(self, x: Any, h0: Any) -> Any:
        _check_input(self.name, x, self.D, "D", self.Wx.dtype, 3, "(N, T, D)")
        if h0 is None:
            h0 = np.zeros((_data(x).shape[0], self.H), dtype=self.Wx.dtype)  # (N, H)
        return h0

    def __repr__(self) -> str:
        return f"{self.name}(D={self.D}, H={self.H}, dtype={self.Wx.dtype})"


class RNN(_Recurrent):
    """Vanilla tanh RNN: x (N, T, D), h0 (N, H) (zeros if None) -> h (N, T, H)."""

    def forward(self, x: Any, h0: Any = None) -> Tensor:
        """(N, T, D), (N, H) -> (N, T, H)."""
        return mgf.rnn(x, self._inputs(x, h0), self.Wx, self.Wh, self.b)


class LSTM(_Recurrent):
    """LSTM, gate blocks i, f, o, g, c0 = 0: x (N, T, D), h0 (N, H) (zeros if None) -> (N, T, H)."""

    gates = 4
    name = "LSTM"

    def forward(self, x: Any, h0: Any = None) -> Tensor:
        """(N, T, D), (N, H) -> (N, T, H)."""
        return mgf.lstm(x, self._inputs(x, h0), self.Wx, self.Wh, self.b)


__all__ = ["RNN", "LSTM"]
