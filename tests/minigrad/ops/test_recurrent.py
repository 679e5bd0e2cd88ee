"""GRU step and sequence, LSTM sequences from (h0, c0) with the final cell state: float32,
named errors, values from numpy formulas, fused == step by step, gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

import minigrad.functional as F
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError
from minigrad.testing import check_function, gradcheck
from minigrad.testing.strategies.recurrent import (
    gru_inputs,
    lstm_state_inputs,
    sequence_lengths_inputs,
)
from tests.minigrad.ops.common import check_float32, f32, r


def _gru_args(N=2, T=None, D=3, H=4, dtype=np.float64, **over):
    x = r(N, D, dtype=dtype) if T is None else r(N, T, D, dtype=dtype)
    args = {"x": x, "h": r(N, H, dtype=dtype, seed=1), "Wx": r(D, 3 * H, dtype=dtype, seed=2),
            "Wh": r(H, 3 * H, dtype=dtype, seed=3), "bx": r(3 * H, dtype=dtype, seed=4),
            "bh": r(3 * H, dtype=dtype, seed=5)}
    args.update(over)
    return tuple(args.values())


def _lstm_args(N=2, T=3, D=3, H=4, **over):
    args = {"x": r(N, T, D), "h0": r(N, H, seed=1), "Wx": r(D, 4 * H, seed=2),
            "Wh": r(H, 4 * H, seed=3), "b": r(4 * H, seed=4), "c0": r(N, H, seed=5)}
    args.update(over)
    return tuple(args.values())


F32_CASES = {
    "GRUStep": lambda: (F.GRUStep, (f32(2, 3), f32(2, 4), f32(3, 12), f32(4, 12), f32(12),
                                    f32(12)), (0, 1, 2, 3, 4, 5)),
    "GRUSequence": lambda: (F.GRUSequence, (f32(2, 5, 3), f32(2, 4), f32(3, 12), f32(4, 12),
                                            f32(12), f32(12)), (0, 1, 2, 3, 4, 5)),
}

ERROR_CASES = [
    ("GRUStep", "x ndim", lambda: F.gru_step(*_gru_args(T=2)), ShapeError,
     ["x must be 2-D (N, D)", "(2, 2, 3)"]),
    ("GRUStep", "Wx", lambda: F.gru_step(*_gru_args(Wx=r(3, 8))), ShapeError,
     ["Wx must have shape (D, 3H) = (3, 12)", "(3, 8)"]),
    ("GRUStep", "Wh", lambda: F.gru_step(*_gru_args(Wh=r(4, 16))), ShapeError,
     ["Wh must have shape (H, 3H) = (4, 12)"]),
    ("GRUStep", "bx", lambda: F.gru_step(*_gru_args(bx=r(4))), ShapeError,
     ["bx must have shape (3H,) = (12,)"]),
    ("GRUStep", "bh", lambda: F.gru_step(*_gru_args(bh=r(11))), ShapeError,
     ["bh must have shape (3H,) = (12,)", "(11,)"]),
    ("GRUStep", "batch", lambda: F.gru_step(*_gru_args(x=r(3, 3))), ShapeError,
     ["x.shape[0] must equal prev_h.shape[0]"]),
    ("GRUStep", "dtype", lambda: F.gru_step(*_gru_args(bh=r(12, dtype=np.float32))), DTypeError,
     ["float inputs must share one dtype", "bh float32"]),
    ("GRUStep", "int x", lambda: F.gru_step(*_gru_args(x=np.ones((2, 3), np.int64))),
     DTypeError, ["x must be a float array"]),
    ("GRUStep", "inf", lambda: F.gru_step(*_gru_args(bh=np.full(12, np.inf))), RangeError,
     ["bh must be finite"]),
    ("GRUSequence", "x ndim", lambda: F.gru(*_gru_args()), ShapeError,
     ["x must be 3-D (N, T, D)"]),
    ("GRUSequence", "h0 batch", lambda: F.gru(*_gru_args(T=5, h=r(3, 4))), ShapeError,
     ["x.shape[0] must equal h0.shape[0]"]),
    ("GRUSequence", "bh", lambda: F.gru(*_gru_args(T=5, bh=r(13))), ShapeError,
     ["bh must have shape (3H,) = (12,)"]),
    ("GRUSequence", "empty", lambda: F.gru(*_gru_args(N=0, T=5)), ShapeError,
     ["x must be a non-empty batch"]),
    ("LSTMSequence", "c0 shape", lambda: F.lstm(*_lstm_args()[:5], c0=r(3, 4)), ShapeError,
     ["c0 must have shape (N, H) = (2, 4)", "(3, 4)"]),
    ("LSTMSequence", "c0 dtype", lambda: F.lstm(*_lstm_args()[:5], c0=r(2, 4, dtype=np.float32)),
     DTypeError, ["float inputs must share one dtype", "c0 float32"]),
    ("LSTMSequence", "lengths range",
     lambda: F.lstm(*_lstm_args()[:5], lengths=np.array([1, 4])), RangeError,
     ["lengths values must be in [0, 4)", "max 4"]),
    ("LSTMSequence", "lengths shape",
     lambda: F.lstm(*_lstm_args()[:5], lengths=np.array([1, 2, 3])), ShapeError,
     ["lengths must have shape (N,) = (2,)", "(3,)"]),
    ("RNNSequence", "lengths dtype",
     lambda: F.rnn(*_lstm_args(H=4)[:2], r(3, 4), r(4, 4), r(4), lengths=np.array([1.0, 2.0])),
     DTypeError, ["lengths must be an integer array", "float64"]),
]


# ----- values from the equations, written out in numpy --------------------------------------
def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _np_gru(x, h, Wx, Wh, bx, bh):
    H = h.shape[1]
    gx, gh = x @ Wx + bx, h @ Wh + bh
    rr = _sig(gx[:, :H] + gh[:, :H])
    z = _sig(gx[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gx[:, 2 * H:] + rr * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def test_gru_step_matches_the_equations() -> None:
    args = _gru_args()
    np.testing.assert_allclose(F.gru_step(*args).data, _np_gru(*args), rtol=1e-13, atol=1e-15)


def test_gru_gate_blocks_are_r_z_n() -> None:
    x, h, Wx, Wh, bx, bh = _gru_args()
    H = h.shape[1]
    keep = bx.copy()
    keep[H:2 * H] = 60.0  # z = 1: the state is carried over unchanged
    np.testing.assert_allclose(F.gru_step(x, h, Wx, Wh, keep, bh).data, h, atol=1e-12)
    new = bx.copy()
    new[H:2 * H] = -60.0  # z = 0 and r = 0: h' = tanh(x Wx_n + bx_n), whatever h Wh_n is
    new[:H] = -60.0
    expected = np.tanh(x @ Wx[:, 2 * H:] + bx[2 * H:])
    np.testing.assert_allclose(F.gru_step(x, h, Wx, Wh, new, bh).data, expected, atol=1e-12)
    np.testing.assert_allclose(F.gru_step(x, 5 * h, Wx, Wh, new, bh).data, expected, atol=1e-12)


def test_gru_sequence_matches_numpy_loop_and_float32_stays_float32() -> None:
    x, h0, Wx, Wh, bx, bh = _gru_args(T=5)
    h, ref = h0, []
    for t in range(5):
        h = _np_gru(x[:, t], h, Wx, Wh, bx, bh)
        ref.append(h)
    np.testing.assert_allclose(F.gru(x, h0, Wx, Wh, bx, bh).data, np.stack(ref, 1), rtol=1e-12)
    out = F.gru(*_gru_args(T=5, dtype=np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 5, 4)


def _fused_vs_loop(fn, args: tuple, **kwargs) -> None:
    """The fused Function and the loop of step Functions agree in values and every gradient."""
    results = []
    for fused in (True, False):
        ts = [Tensor(a, requires_grad=True) for a in args]
        outs = fn(*ts, fused=fused, **kwargs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        ups = [np.random.default_rng(1).standard_normal(o.shape) for o in outs]
        total = sum(((o * u).sum() for o, u in zip(outs, ups, strict=True)), Tensor(0.0))
        total.backward()
        results.append(([o.data for o in outs], [t.grad for t in ts]))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1 + g1, o2 + g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@given(gru_inputs(sequence=True))
def test_gru_sequence_matches_step_by_step(example: tuple) -> None:
    _fused_vs_loop(F.gru, example[0])


@given(lstm_state_inputs())
def test_lstm_from_c0_matches_step_by_step(example: tuple) -> None:
    args, kw = example
    _fused_vs_loop(lambda *t, fused: F.lstm(*t[:5], fused=fused, c0=t[5], **kw), args)


test_lstm_sequence_with_c0_gradients = check_function(
    F.LSTMSequence, lstm_state_inputs(), eps=1e-3, order=4, max_rel_error=1e-7)


def test_lstm_c0_zero_is_the_default_and_c_T_is_the_cell_state() -> None:
    x, h0, Wx, Wh, b, c0 = _lstm_args()
    H = h0.shape[1]
    base = F.lstm(x, h0, Wx, Wh, b).data
    np.testing.assert_array_equal(F.lstm(x, h0, Wx, Wh, b, c0=np.zeros_like(c0)).data, base)
    h, c, hs = h0, c0, []
    for t in range(x.shape[1]):
        a = x[:, t] @ Wx + h @ Wh + b
        i, f, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    out, c_T = F.lstm(x, h0, Wx, Wh, b, c0=c0, return_c=True)
    np.testing.assert_allclose(out.data, np.stack(hs, 1), rtol=1e-12)
    np.testing.assert_allclose(c_T.data, c, rtol=1e-12)


def test_lstm_gradient_reaches_c0_only_when_given() -> None:
    x, h0, Wx, Wh, b, c0 = _lstm_args()
    tc = Tensor(c0, requires_grad=True)
    out, c_T = F.lstm(x, h0, Wx, Wh, b, c0=tc, return_c=True)
    c_T.sum().backward()  # only the final cell state is used; h gets zeros
    eps = 1e-6
    num = np.zeros_like(c0)
    for idx in np.ndindex(*c0.shape):
        cp, cm = c0.copy(), c0.copy()
        cp[idx] += eps
        cm[idx] -= eps
        num[idx] = (F.lstm(x, h0, Wx, Wh, b, c0=cp, return_c=True)[1].data.sum()
                    - F.lstm(x, h0, Wx, Wh, b, c0=cm, return_c=True)[1].data.sum()) / (2 * eps)
    np.testing.assert_allclose(tc.grad, num, rtol=1e-6, atol=1e-9)


# ----- lengths: torch's packed sequences ------------------------------------------------------
def _row_alone(fn, args, n: int, L: int, **kw):
    """Row n run alone for its first L steps through the fused Function without lengths."""
    x, h0, *ws = args
    one = [x[n:n + 1, :L], h0[n:n + 1], *ws[:3]]
    if len(ws) == 4:  # c0
        kw = {**kw, "c0": ws[3][n:n + 1]}
    return fn(*one, **kw)


@given(sequence_lengths_inputs(gates=4))
def test_lstm_lengths_rows_equal_each_row_run_alone(example: tuple) -> None:
    args, kw = example
    lengths = kw["lengths"]
    h, c = F.lstm(*args[:5], c0=args[5] if len(args) == 6 else None, return_c=True,
                  lengths=lengths)
    c0 = args[5] if len(args) == 6 else np.zeros_like(args[1])
    for n, L in enumerate(lengths):
        assert not h.data[n, L:].any()  # zeros past the length
        if L == 0:
            np.testing.assert_array_equal(c.data[n], c0[n])
            continue
        hn, cn = _row_alone(F.lstm, args, n, L, return_c=True)
        np.testing.assert_allclose(h.data[n, :L], hn.data[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(c.data[n], cn.data[0], rtol=0, atol=1e-12)


@given(sequence_lengths_inputs(gates=1))
def test_rnn_lengths_rows_equal_each_row_run_alone(example: tuple) -> None:
    args, kw = example
    h = F.rnn(*args, lengths=kw["lengths"]).data
    for n, L in enumerate(kw["lengths"]):
        assert not h[n, L:].any()
        if L:
            np.testing.assert_allclose(h[n, :L], _row_alone(F.rnn, args, n, L).data[0],
                                       rtol=0, atol=1e-12)


test_lstm_sequence_with_lengths_gradients = check_function(
    F.LSTMSequence, sequence_lengths_inputs(gates=4), eps=1e-3, order=4, max_rel_error=1e-7)
test_rnn_sequence_with_lengths_gradients = check_function(
    F.RNNSequence, sequence_lengths_inputs(gates=1), eps=1e-3, order=4, max_rel_error=1e-7)


def test_sequences_with_lengths_keep_float32() -> None:
    lengths = np.array([2, 5])
    check_float32(F.LSTMSequence, (f32(2, 5, 3), f32(2, 4), f32(3, 16), f32(4, 16), f32(16)),
                  (0, 1, 2, 3, 4), lengths=lengths)
    check_float32(F.RNNSequence, (f32(2, 5, 3), f32(2, 4), f32(3, 4), f32(4, 4), f32(4)),
                  (0, 1, 2, 3, 4), lengths=lengths)


def test_lengths_need_the_fused_path() -> None:
    with pytest.raises(ValueError, match="lengths needs fused=True"):
        F.lstm(*_lstm_args()[:5], fused=False, lengths=np.array([1, 2]))


@pytest.mark.parametrize("D, H", [(2, 8), (8, 8)])  # D < H/2: x rides in each step's GEMM;
def test_lstm_both_input_paths_match_the_step_loop(D: int, H: int) -> None:  # else split
    rng = np.random.default_rng(3)
    N, T = 3, 4
    args = [0.5 * rng.standard_normal(s)  # 0.5: gates away from saturation (gradcheck)
            for s in ((N, T, D), (N, H), (D, 4 * H), (H, 4 * H), (4 * H,))]
    dout = rng.standard_normal((N, T, H))
    results = []
    for fused in (True, False):
        ts = [Tensor(a, requires_grad=True) for a in args]
        h = F.lstm(*ts, fused=fused)
        h.backward(dout)
        results.append((h.data, [t.grad for t in ts]))
    (h1, g1), (h2, g2) = results
    np.testing.assert_allclose(h1, h2, rtol=0, atol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    c0 = rng.standard_normal((N, H))
    report = gradcheck(F.LSTMSequence, [*args, c0], eps=1e-3, order=4,
                       kwargs={"lengths": np.array([4, 0, 2]), "return_c": True})
    assert report.max_rel_error < 1e-7


@pytest.mark.parametrize("D", [2, 8])  # narrow and wide input (the split projection)
def test_feature_major_kernels_equal_the_packed_ones(D: int) -> None:
    """LSTMSequence sends full batches to lstm_kernels (feature-major) and batches with
    lengths to lstm_packed (batch-major): on a full batch both give the same outputs and
    gradients, and the saved forward arrays stay as they were unless consumable."""
    from minigrad.functional import lstm_kernels, lstm_packed
    from minigrad.functional.sequence import _Packing, _sequence_grads

    rng = np.random.default_rng(5)
    N, T, H = 4, 5, 8
    x, h0, c0 = (0.5 * rng.standard_normal(s) for s in ((N, T, D), (N, H), (N, H)))
    Wx, Wh, b = (0.5 * rng.standard_normal(s) for s in ((D, 4 * H), (H, 4 * H), (4 * H,)))
    dout, dc_T = rng.standard_normal((N, T, H)), rng.standard_normal((N, H))
    Z, G, C, TC = lstm_kernels.forward(x, h0, c0, Wx, Wh, b)
    fm = [np.array(lstm_kernels.outputs(Z, H)), lstm_kernels.last_c(C)]
    saved = [a.copy() for a in (Z, G, C, TC)]
    fm += [np.array(g) for g in lstm_kernels.backward((Z, G, C, TC, Wx, Wh), dout, dc_T,
                                                      (True,) * 5, False)]
    for a, s in zip((Z, G, C, TC), saved, strict=True):  # not consumable: left as they were
        np.testing.assert_array_equal(a, s)
    pk = _Packing("test", None, N, T)
    xp = pk.gather(x)
    gates, c_init, cs, tcs, hs = lstm_packed.forward(pk, xp, h0, c0, Wx, Wh, b)
    packed = [pk.scatter(hs), lstm_packed.last_c(pk, cs, c_init)]
    da, dh0, dc0 = lstm_packed.backward(pk, (xp, h0, Wx, Wh, gates, c_init, cs, tcs, hs),
                                        dout, dc_T, True)
    packed += [*_sequence_grads((True,) * 5, xp, pk, h0, hs, da, Wx, dh0), dc0]
    for a, p in zip(fm, packed, strict=True):  # h, c_T, dx, dh0, dWx, dWh, db, dc0
        np.testing.assert_allclose(a, p, rtol=0, atol=1e-12)
