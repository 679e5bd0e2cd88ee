"""Parity cases for the recurrent family (see vis.parity.cases for the conventions and helpers).

GRU weights map to torch by a transpose only (same gate blocks r, z, n): weight_ih = Wx.T,
weight_hh = Wh.T, bias_ih = bx, bias_hh = bh.
"""
from __future__ import annotations

import numpy as np
import torch

import minigrad.functional as mf
from vis.parity.cases import F64, _cell_params, _normal
from vis.parity.cases import _sequence as _full_sequence
from vis.parity.registry import Inputs, ParityCase


def _gru_params(Wx, Wh, bx, bh, suffix: str = "") -> dict:
    return {f"weight_ih{suffix}": Wx.T, f"weight_hh{suffix}": Wh.T, f"bias_ih{suffix}": bx,
            f"bias_hh{suffix}": bh}


def _torch_gru_step(x, h, Wx, Wh, bx, bh):
    cell = torch.nn.GRUCell(x.shape[1], h.shape[1], dtype=F64)
    return torch.func.functional_call(cell, _gru_params(Wx, Wh, bx, bh), (x, h))


def _torch_gru_seq(x, h0, Wx, Wh, bx, bh):
    net = torch.nn.GRU(x.shape[2], h0.shape[1], batch_first=True, dtype=F64)
    out, _ = torch.func.functional_call(net, _gru_params(Wx, Wh, bx, bh, "_l0"), (x, h0[None]))
    return out


def _torch_lstm_state(x, h0, Wx, Wh, b, c0, return_c):
    net = torch.nn.LSTM(x.shape[2], h0.shape[1], batch_first=True, dtype=F64)
    out, (_, c_n) = torch.func.functional_call(net, _cell_params(Wx, Wh, b, True, "_l0"),
                                               (x, (h0[None], c0[None])))
    return (out, c_n[0]) if return_c else out


def _gru(sequence: bool):
    def build(rng: np.random.Generator) -> Inputs:
        N, T, D, H = 3, 6, 4, 5
        x = _normal(rng, N, T, D) if sequence else _normal(rng, N, D)
        return Inputs({"x": x, ("h0" if sequence else "prev_h"): _normal(rng, N, H),
                       "Wx": _normal(rng, D, 3 * H, scale=0.5),
                       "Wh": _normal(rng, H, 3 * H, scale=0.5),
                       "bx": _normal(rng, 3 * H, scale=0.5), "bh": _normal(rng, 3 * H, scale=0.5)})
    return build


def _lstm_state(return_c: bool):
    def build(rng: np.random.Generator) -> Inputs:
        N, T, D, H = 3, 6, 4, 5
        return Inputs({"x": _normal(rng, N, T, D), "h0": _normal(rng, N, H),
                       "Wx": _normal(rng, D, 4 * H, scale=0.5),
                       "Wh": _normal(rng, H, 4 * H, scale=0.5),
                       "b": _normal(rng, 4 * H, scale=0.5), "c0": _normal(rng, N, H)},
                      {"return_c": return_c})
    return build


def _packed(net, params, x, state, lengths):
    """torch's RNN on pack_padded_sequence(x, lengths), padded back with zeros."""
    rnn = torch.nn.utils.rnn
    packed = rnn.pack_padded_sequence(x, torch.as_tensor(lengths), batch_first=True,
                                      enforce_sorted=False)
    out, last = torch.func.functional_call(net, params, (packed, state))
    return rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0], last


def _torch_rnn_lengths(x, h0, Wx, Wh, b, lengths):
    net = torch.nn.RNN(x.shape[2], h0.shape[1], nonlinearity="tanh", batch_first=True, dtype=F64)
    return _packed(net, _cell_params(Wx, Wh, b, False, "_l0"), x, h0[None], lengths)[0]


def _torch_lstm_lengths(x, h0, Wx, Wh, b, c0, return_c, lengths):
    net = torch.nn.LSTM(x.shape[2], h0.shape[1], batch_first=True, dtype=F64)
    out, (_, c_n) = _packed(net, _cell_params(Wx, Wh, b, True, "_l0"), x,
                            (h0[None], c0[None]), lengths)
    return (out, c_n[0]) if return_c else out


def _with_lengths(build, lengths: list):
    """The builder's inputs plus lengths (N,) (unsorted, so rows are reordered)."""
    def wrapped(rng: np.random.Generator) -> Inputs:
        inputs = build(rng)
        return Inputs(inputs.args, {**inputs.consts, "lengths": np.array(lengths)})
    return wrapped


CASES: list[ParityCase] = [
    ParityCase("RNNSequence[lengths]", mf.RNNSequence, _with_lengths(_full_sequence(1), [2, 6, 4]),
               _torch_rnn_lengths, note="torch.nn.RNN on pack_padded_sequence(enforce_sorted="
               "False), padded back with zeros"),
    ParityCase("LSTMSequence[lengths, c0, c_T]", mf.LSTMSequence,
               _with_lengths(_lstm_state(True), [3, 6, 1]), _torch_lstm_lengths,
               note="torch.nn.LSTM on pack_padded_sequence: outputs 0 past each length, c_n "
                    "after each row's last step"),
    ParityCase("GRUStep", mf.GRUStep, _gru(False), _torch_gru_step,
               note="torch.nn.GRUCell, same gate blocks (r, z, n): weight_ih = Wx.T, "
                    "bias_hh = bh"),
    ParityCase("GRUSequence", mf.GRUSequence, _gru(True), _torch_gru_seq,
               note="torch.nn.GRU(batch_first=True) from h0"),
    ParityCase("LSTMSequence[c0, c_T]", mf.LSTMSequence, _lstm_state(True), _torch_lstm_state,
               note="torch.nn.LSTM from (h0, c0); second output c_n; gate blocks permuted"),
    ParityCase("LSTMSequence[c0]", mf.LSTMSequence, _lstm_state(False), _torch_lstm_state,
               note="torch.nn.LSTM from (h0, c0); gate blocks permuted"),
]
