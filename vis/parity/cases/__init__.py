"""The parity registry: at least one `ParityCase` per public minigrad Function, in a plain list.

Torch references are adapted to minigrad's conventions here and only here: LSTM gate blocks
i, f, o, g (torch: i, f, g, o), weights (D, G·H) (torch: (G·H, D)), the captioning loss
normalisation (sum over unmasked tokens / N, or / #unmasked), max ties sharing the gradient
equally (torch.amax), conv (stride, pad) -> conv2d(stride, padding), pool (kernel, stride).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

import minigrad.functional as mf
from vis.parity.registry import Inputs, ParityCase

F64 = torch.float64


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return scale * rng.standard_normal(shape)


def _uniform(rng: np.random.Generator, lo: float, hi: float, *shape: int) -> np.ndarray:
    return rng.uniform(lo, hi, size=shape)


def _away_from_zero(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Normal values with |x| >= 0.1 (no ReLU kink)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-3) * 0.5, x)


def _ints(rng: np.random.Generator, high: int, *shape: int) -> np.ndarray:
    return rng.integers(0, high, size=shape).astype(np.int64)


# ----- torch-side adapters ---------------------------------------------------------------------
def _lstm_perm(H: int) -> torch.Tensor:
    """Column order taking minigrad's gate blocks (i, f, o, g) to torch's (i, f, g, o)."""
    i_f, o, g = torch.arange(0, 2 * H), torch.arange(2 * H, 3 * H), torch.arange(3 * H, 4 * H)
    return torch.cat([i_f, g, o])


def _cell_params(Wx: torch.Tensor, Wh: torch.Tensor, b: torch.Tensor, lstm: bool,
                 suffix: str = "") -> dict:
    """torch RNN parameters from minigrad's (D, G·H), (H, G·H), (G·H,) weights."""
    if lstm:
        perm = _lstm_perm(Wh.shape[0])
        Wx, Wh, b = Wx[:, perm], Wh[:, perm], b[perm]
    return {f"weight_ih{suffix}": Wx.T, f"weight_hh{suffix}": Wh.T, f"bias_ih{suffix}": b,
            f"bias_hh{suffix}": torch.zeros_like(b)}


def _torch_rnn_step(x, h, Wx, Wh, b):
    cell = torch.nn.RNNCell(x.shape[1], h.shape[1], nonlinearity="tanh", dtype=F64)
    return torch.func.functional_call(cell, _cell_params(Wx, Wh, b, False), (x, h))


def _torch_lstm_step(x, h, c, Wx, Wh, b):
    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1], dtype=F64)
    return torch.func.functional_call(cell, _cell_params(Wx, Wh, b, True), (x, (h, c)))


def _torch_rnn_seq(x, h0, Wx, Wh, b):
    net = torch.nn.RNN(x.shape[2], h0.shape[1], nonlinearity="tanh", batch_first=True, dtype=F64)
    out, _ = torch.func.functional_call(net, _cell_params(Wx, Wh, b, False, "_l0"),
                                        (x, h0[None]))
    return out


def _torch_lstm_seq(x, h0, Wx, Wh, b):
    net = torch.nn.LSTM(x.shape[2], h0.shape[1], batch_first=True, dtype=F64)
    c0 = torch.zeros_like(h0)[None]
    out, _ = torch.func.functional_call(net, _cell_params(Wx, Wh, b, True, "_l0"),
                                        (x, (h0[None], c0)))
    return out


def _torch_masked_ce(x, y, mask, normalize="batch"):
    N, T, V = x.shape
    target = torch.where(mask, y, torch.full_like(y, -100)).reshape(N * T)
    if normalize == "tokens":
        return F.cross_entropy(x.reshape(N * T, V), target, ignore_index=-100, reduction="mean")
    return F.cross_entropy(x.reshape(N * T, V), target, ignore_index=-100, reduction="sum") / N


def _dims(x: torch.Tensor, axis) -> tuple:
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in items)


# ----- input builders --------------------------------------------------------------------------
def _binary(shape_a: tuple, shape_b: tuple, b_positive: bool = False):
    def build(rng: np.random.Generator) -> Inputs:
        b = _uniform(rng, 0.5, 2.0, *shape_b) * rng.choice([-1, 1], shape_b) if b_positive \
            else _normal(rng, *shape_b)
        return Inputs({"a": _normal(rng, *shape_a), "b": b})
    return build


def _unary(make):
    return lambda rng: Inputs({"x": make(rng)})


def _ties(rng: np.random.Generator) -> Inputs:
    return Inputs({"x": rng.integers(-2, 3, size=(3, 4, 5)).astype(np.float64)},
                  {"axis": 1, "keepdims": False})


def _embedding(rng: np.random.Generator) -> Inputs:
    idx = _ints(rng, 5, 3, 6)
    idx[0, :3] = 2  # repeated ids must accumulate
    return Inputs({"idx": idx, "W": _normal(rng, 5, 4)})


def _step(gates: int):
    def build(rng: np.random.Generator) -> Inputs:
        N, D, H = 3, 4, 5
        args = {"x": _normal(rng, N, D), "prev_h": _normal(rng, N, H)}
        if gates == 4:
            args["prev_c"] = _normal(rng, N, H)
        args.update(Wx=_normal(rng, D, gates * H, scale=0.5),
                    Wh=_normal(rng, H, gates * H, scale=0.5), b=_normal(rng, gates * H, scale=0.5))
        return Inputs(args)
    return build


def _sequence(gates: int):
    def build(rng: np.random.Generator) -> Inputs:
        N, T, D, H = 3, 6, 4, 5
        return Inputs({"x": _normal(rng, N, T, D), "h0": _normal(rng, N, H),
                       "Wx": _normal(rng, D, gates * H, scale=0.5),
                       "Wh": _normal(rng, H, gates * H, scale=0.5),
                       "b": _normal(rng, gates * H, scale=0.5)})
    return build


def _masked_ce(normalize: str):
    def build(rng: np.random.Generator) -> Inputs:
        N, T, V = 4, 5, 7
        mask = rng.random((N, T)) < 0.7
        mask[0] = False  # one row fully masked
        mask[1, 0] = True
        x = _normal(rng, N, T, V, scale=3.0)
        x[2, 1, 3] = 1e4  # a huge score: the log-softmax must not overflow
        return Inputs({"x": x, "y": _ints(rng, V, N, T), "mask": mask}, {"normalize": normalize})
    return build


# ----- the registry ----------------------------------------------------------------------------
CORE_CASES: list[ParityCase] = [
    ParityCase("Add", mf.Add, _binary((3, 4, 5), (4, 1)), lambda a, b: a + b,
               note="broadcast b (4, 1) against a (3, 4, 5)"),
    ParityCase("Sub", mf.Sub, _binary((3, 1, 5), (4, 5)), lambda a, b: a - b,
               note="both operands broadcast"),
    ParityCase("Mul", mf.Mul, _binary((2, 3, 4), (3, 1)), lambda a, b: a * b),
    ParityCase("Div", mf.Div, _binary((2, 3, 4), (4,), b_positive=True), lambda a, b: a / b,
               note="|b| in [0.5, 2]"),
    ParityCase("Neg", mf.Neg, _unary(lambda r: _normal(r, 3, 4)), lambda x: -x),
    ParityCase("Pow", mf.Pow,
               lambda r: Inputs({"x": _uniform(r, 0.5, 2.0, 3, 4), "p": _uniform(r, -2, 2, 4)}),
               torch.pow, note="tensor exponent: x > 0 so d/dp = x**p log x is defined"),
    ParityCase("Pow[scalar p]", mf.Pow,
               lambda r: Inputs({"x": _normal(r, 3, 4), "p": 3}), torch.pow),
    ParityCase("Exp", mf.Exp, _unary(lambda r: _normal(r, 3, 4)), torch.exp),
    ParityCase("Log", mf.Log, _unary(lambda r: _uniform(r, 0.2, 3.0, 3, 4)), torch.log),
    ParityCase("Tanh", mf.Tanh, _unary(lambda r: _normal(r, 3, 4, scale=2.0)), torch.tanh),
    ParityCase("Sigmoid", mf.Sigmoid,
               _unary(lambda r: np.concatenate([_normal(r, 10, scale=3.0), [-40.0, 40.0]])),
               torch.sigmoid, note="includes |x| = 40 (overflow-safe form)"),
    ParityCase("ReLU", mf.ReLU, _unary(lambda r: _away_from_zero(r, 4, 5)), torch.relu,
               note="inputs kept away from the kink at 0"),
    ParityCase("Cast", mf.Cast, lambda r: Inputs({"x": _normal(r, 3, 4)}, {"dtype": np.float32}),
               lambda x, dtype: x.to(torch.float32),
               note="float64 -> float32; upstream grad is float32, dx back in float64"),
    ParityCase("Sum", mf.Sum, lambda r: Inputs({"x": _normal(r, 2, 3, 4)},
                                               {"axis": (0, 2), "keepdims": True}),
               lambda x, axis, keepdims: x.sum(dim=_dims(x, axis), keepdim=keepdims)),
    ParityCase("Sum[all]", mf.Sum, lambda r: Inputs({"x": _normal(r, 2, 3, 4)}),
               lambda x: x.sum()),
    ParityCase("Mean", mf.Mean, lambda r: Inputs({"x": _normal(r, 2, 3, 4)},
                                                 {"axis": -1, "keepdims": False}),
               lambda x, axis, keepdims: x.mean(dim=axis, keepdim=keepdims)),
    ParityCase("Max", mf.Max, lambda r: Inputs({"x": _normal(r, 3, 4, 5)},
                                               {"axis": (0, 2), "keepdims": True}),
               lambda x, axis, keepdims: torch.amax(x, dim=_dims(x, axis), keepdim=keepdims)),
    ParityCase("Max[ties]", mf.Max, _ties,
               lambda x, axis, keepdims: torch.amax(x, dim=axis, keepdim=keepdims),
               note="integer-valued x with ties: the gradient is shared equally, as torch.amax"),
    ParityCase("Reshape", mf.Reshape, lambda r: Inputs({"x": _normal(r, 2, 3, 4)},
                                                       {"shape": (4, -1)}),
               lambda x, shape: x.reshape(shape)),
    ParityCase("Transpose", mf.Transpose, lambda r: Inputs({"x": _normal(r, 2, 3, 4)},
                                                           {"axes": (1, 2, 0)}),
               lambda x, axes: x.permute(axes)),
    ParityCase("Transpose[reverse]", mf.Transpose, lambda r: Inputs({"x": _normal(r, 2, 3, 4)}),
               lambda x: x.permute(tuple(reversed(range(x.ndim))))),
    ParityCase("GetItem", mf.GetItem,
               lambda r: Inputs({"x": _normal(r, 4, 5, 3)}, {"index": (slice(1, 4), 2)}),
               lambda x, index: x[_torch_index(index)], note="basic index"),
    ParityCase("GetItem[fancy]", mf.GetItem,
               lambda r: Inputs({"x": _normal(r, 4, 5, 3)},
                                {"index": (np.array([0, 2, 0, 3, 0]), slice(None),
                                           np.array([1, 1, 2, 1, 1]))}),
               lambda x, index: x[_torch_index(index)],
               note="repeated integer-array indices accumulate"),
    ParityCase("Concat", mf.Concat,
               lambda r: Inputs({"x0": _normal(r, 2, 1, 3), "x1": _normal(r, 2, 4, 3),
                                 "x2": _normal(r, 2, 2, 3)}, {"axis": 1}),
               lambda *xs, axis: torch.cat(xs, dim=axis)),
    ParityCase("Stack", mf.Stack,
               lambda r: Inputs({"x0": _normal(r, 2, 3), "x1": _normal(r, 2, 3),
                                 "x2": _normal(r, 2, 3)}, {"axis": 2}),
               lambda *xs, axis: torch.stack(xs, dim=axis)),
    ParityCase("MatMul", mf.MatMul, _binary((2, 1, 3, 4), (5, 4, 2)), torch.matmul,
               note="broadcast batch dimensions"),
    ParityCase("MatMul[1-D]", mf.MatMul, _binary((4,), (3, 4, 2)), torch.matmul,
               note="1-D left operand"),
    ParityCase("Affine", mf.Affine,
               lambda r: Inputs({"x": _normal(r, 3, 2, 3), "w": _normal(r, 6, 4),
                                 "b": _normal(r, 4)}),
               lambda x, w, b: x.reshape(x.shape[0], -1) @ w + b),
    ParityCase("TemporalAffine", mf.TemporalAffine,
               lambda r: Inputs({"x": _normal(r, 2, 3, 4), "w": _normal(r, 4, 5),
                                 "b": _normal(r, 5)}),
               lambda x, w, b: x @ w + b),
    ParityCase("Embedding", mf.Embedding, _embedding, lambda idx, W: F.embedding(idx, W),
               note="repeated ids"),
    ParityCase("RNNStep", mf.RNNStep, _step(1), _torch_rnn_step,
               note="torch.nn.RNNCell with weight_ih = Wx.T, bias_hh = 0"),
    ParityCase("LSTMStep", mf.LSTMStep, _step(4), _torch_lstm_step,
               note="torch.nn.LSTMCell; gate blocks (i,f,o,g) permuted to torch's (i,f,g,o)"),
    ParityCase("RNNSequence", mf.RNNSequence, _sequence(1), _torch_rnn_seq,
               note="torch.nn.RNN(batch_first=True)"),
    ParityCase("LSTMSequence", mf.LSTMSequence, _sequence(4), _torch_lstm_seq,
               note="torch.nn.LSTM(batch_first=True), c0 = 0, gate blocks permuted"),
    ParityCase("MaskedSoftmaxCE[batch]", mf.MaskedSoftmaxCE, _masked_ce("batch"),
               _torch_masked_ce, note="cross_entropy(ignore_index, reduction='sum') / N"),
    ParityCase("MaskedSoftmaxCE[tokens]", mf.MaskedSoftmaxCE, _masked_ce("tokens"),
               _torch_masked_ce, note="cross_entropy(ignore_index, reduction='mean')"),
    ParityCase("SoftmaxCE", mf.SoftmaxCE,
               lambda r: Inputs({"x": _normal(r, 5, 6, scale=3.0), "y": _ints(r, 6, 5)}),
               lambda x, y: F.cross_entropy(x, y)),
]

# Family case modules (cases/<family>.py) may use the helpers above, so they are imported here.
from vis.parity.cases import activation as _activation  # noqa: E402
from vis.parity.cases import attention as _attention  # noqa: E402
from vis.parity.cases import conv as _conv  # noqa: E402
from vis.parity.cases import dropout as _dropout  # noqa: E402
from vis.parity.cases import elementwise as _elementwise  # noqa: E402
from vis.parity.cases import index as _index  # noqa: E402
from vis.parity.cases import join as _join  # noqa: E402
from vis.parity.cases import layout as _layout  # noqa: E402
from vis.parity.cases import linalg as _linalg  # noqa: E402
from vis.parity.cases import linear as _linear  # noqa: E402
from vis.parity.cases import loss as _loss  # noqa: E402
from vis.parity.cases import loss_pointwise as _loss_pointwise  # noqa: E402
from vis.parity.cases import moments as _moments  # noqa: E402
from vis.parity.cases import norm as _norm  # noqa: E402
from vis.parity.cases import pointwise as _pointwise  # noqa: E402
from vis.parity.cases import pool as _pool  # noqa: E402
from vis.parity.cases import recurrent as _recurrent  # noqa: E402
from vis.parity.cases import reduce as _reduce  # noqa: E402
from vis.parity.cases import resample as _resample  # noqa: E402
from vis.parity.cases import scan as _scan  # noqa: E402
from vis.parity.cases import scattering as _scattering  # noqa: E402
from vis.parity.cases import shape as _shape  # noqa: E402
from vis.parity.cases import softmax as _softmax  # noqa: E402
from vis.parity.cases import sort as _sort  # noqa: E402
from vis.parity.cases import special as _special  # noqa: E402
from vis.parity.cases import unary as _unary  # noqa: E402

CASES: list[ParityCase] = [*CORE_CASES, *_activation.CASES, *_attention.CASES, *_conv.CASES,
                           *_dropout.CASES, *_elementwise.CASES, *_index.CASES, *_join.CASES,
                           *_linalg.CASES, *_linear.CASES, *_loss.CASES, *_moments.CASES,
                           *_norm.CASES, *_pool.CASES, *_recurrent.CASES, *_reduce.CASES,
                           *_scan.CASES, *_shape.CASES, *_softmax.CASES, *_sort.CASES,
                           *_special.CASES, *_unary.CASES,
                           *_resample.CASES, *_pointwise.CASES, *_scattering.CASES,
                           *_layout.CASES,
                           *_loss_pointwise.CASES]
