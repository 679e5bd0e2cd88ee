"""Regressions: repeated ids, masked/huge logits, saturated sigmoid, fused == step-by-step."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad.functional as F
from minigrad import Function, Tensor
from minigrad.errors import GradientError


class _no_warnings:
    """Make every warning, and numpy overflow/invalid/divide, an error inside the block."""

    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("error")
        self._e = np.errstate(over="raise", invalid="raise", divide="raise")
        self._e.__enter__()

    def __exit__(self, *exc):
        self._e.__exit__(*exc)
        return self._w.__exit__(*exc)


# ----- Embedding -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_repeated_ids_accumulate_like_np_add_at(dtype):
    rng = np.random.default_rng(0)
    V, Wd = 7, 4
    idx = np.array([[3, 3, 3, 0], [6, 3, 0, 0], [1, 1, 1, 1]])  # heavy repeats, one unused id
    W = Tensor(rng.standard_normal((V, Wd)).astype(dtype), requires_grad=True)
    dout = rng.standard_normal((*idx.shape, Wd)).astype(dtype)
    out = F.embedding(idx, W)
    np.testing.assert_array_equal(out.data, W.data[idx])
    out.backward(dout)
    expected = np.zeros((V, Wd), dtype)
    np.add.at(expected, idx.ravel(), dout.reshape(-1, Wd))
    assert W.grad.dtype == dtype
    np.testing.assert_allclose(W.grad, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)
    assert not W.grad[[2, 4, 5]].any()


def test_embedding_accumulates_across_two_lookups_of_one_table():
    rng = np.random.default_rng(1)
    W = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    a, b = np.array([[1, 2, 1]]), np.array([[1, 4]])
    (F.embedding(a, W).sum() + 2.0 * F.embedding(b, W).sum()).backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, a.ravel(), 1.0)
    np.add.at(expected, b.ravel(), 2.0)
    np.testing.assert_allclose(W.grad, expected)


# ----- MaskedSoftmaxCE -----------------------------------------------------------------------
def _ce_reference(x, y, mask, normalize):
    """Plain float64 loops: -log softmax at the target, summed over unmasked tokens."""
    N, T, V = x.shape
    loss, dx = 0.0, np.zeros((N, T, V))
    for n in range(N):
        for t in range(T):
            if mask[n, t]:
                z = x[n, t] - x[n, t].max()
                p = np.exp(z) / np.exp(z).sum()
                loss -= np.log(p[y[n, t]])
                dx[n, t] = p
                dx[n, t, y[n, t]] -= 1
    denom = N if normalize == "batch" else max(mask.sum(), 1)
    return loss / denom, dx / denom


@pytest.mark.parametrize("normalize", ["batch", "tokens"])
def test_masked_softmax_ce_with_all_masked_rows(normalize):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 5))
    y = rng.integers(0, 5, (3, 4))
    mask = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], bool)  # row 1 all masked
    xt = Tensor(x, requires_grad=True)
    with _no_warnings():
        loss = F.masked_softmax_ce(xt, y, mask, normalize=normalize)
        loss.backward()
    ref_loss, ref_dx = _ce_reference(x, y, mask, normalize)
    np.testing.assert_allclose(loss.item(), ref_loss, rtol=1e-12)
    np.testing.assert_allclose(xt.grad, ref_dx, rtol=1e-10, atol=1e-15)
    assert not xt.grad[1].any() and not xt.grad[~mask].any()


@pytest.mark.parametrize("normalize", ["batch", "tokens"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_softmax_ce_all_masked_batch_is_zero_not_nan(normalize, dtype):
    rng = np.random.default_rng(3)
    xt = Tensor(rng.standard_normal((2, 3, 4)).astype(dtype), requires_grad=True)
    with _no_warnings():
        loss = F.masked_softmax_ce(xt, rng.integers(0, 4, (2, 3)), np.zeros((2, 3), bool),
                                   normalize=normalize)
        loss.backward()
    assert loss.item() == 0.0 and loss.dtype == dtype
    assert xt.grad.dtype == dtype and np.isfinite(xt.grad).all() and not xt.grad.any()


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-6)])
@pytest.mark.parametrize("normalize", ["batch", "tokens"])
def test_masked_softmax_ce_huge_logits_do_not_overflow(dtype, rtol, normalize):
    x = np.array([[[1e4, -1e4, 0.0], [1e4, 1e4, -1e4], [-1e4, 1e4, 0.0]]], dtype)  # (1, 3, 3)
    y = np.array([[1, 2, 0]])
    mask = np.array([[True, True, False]])
    xt = Tensor(x, requires_grad=True)
    with _no_warnings():
        loss = F.masked_softmax_ce(xt, y, mask, normalize=normalize)
        loss.backward()
    # token 0: target logit is 2e4 below the max, the rest of the mass is e^-1e4 ~ 0
    # token 1: two tied maxima 2e4 above the target: 2e4 + log 2; token 2 is masked
    denom = 1 if normalize == "batch" else 2
    expected = (2e4 + (2e4 + np.log(2.0))) / denom
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), expected, rtol=rtol)
    dx = np.array([[[1.0, -1.0, 0.0], [0.5, 0.5, -1.0], [0.0, 0.0, 0.0]]]) / denom
    np.testing.assert_allclose(xt.grad, dx, atol=1e-7)
    assert xt.grad.dtype == dtype


def test_masked_softmax_ce_int_mask_equals_bool_mask():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 3, 4)), rng.integers(0, 4, (2, 3))
    m = np.array([[1, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(F.masked_softmax_ce(x, y, m).data,
                                  F.masked_softmax_ce(x, y, m.astype(bool)).data)


# ----- Sigmoid -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_without_warnings(dtype):
    x = Tensor(np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype), requires_grad=True)
    with _no_warnings():
        out = F.sigmoid(x)
        out.sum().backward()
    assert out.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_array_equal(out.data[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype))
    assert np.isfinite(x.grad).all()
    np.testing.assert_array_equal(x.grad[[0, 2, 4]], np.array([0.0, 0.25, 0.0], dtype))


def test_lstm_with_saturated_gates_has_no_warnings():
    N, D, H = 2, 3, 4
    args = [np.full((N, D), 1.0), np.zeros((N, H)), np.zeros((N, H)), np.full((D, 4 * H), 500.0),
            np.zeros((H, 4 * H)), np.concatenate([np.full(3 * H, -800.0), np.zeros(H)])]
    ts = [Tensor(a, requires_grad=True) for a in args]
    with _no_warnings():
        h, c = F.lstm_step(*ts)
        (h.sum() + c.sum()).backward()
    assert all(np.isfinite(t.grad).all() for t in ts)


# ----- fused sequences == step by step -------------------------------------------------------
@pytest.mark.parametrize("cell, G", [("rnn", 1), ("lstm", 4)])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_fused_sequence_matches_step_by_step(cell, G, dtype, rtol):
    rng = np.random.default_rng(5)
    N, T, D, H = 3, 6, 4, 5
    arrays = [rng.standard_normal(s).astype(dtype) * 0.5
              for s in [(N, T, D), (N, H), (D, G * H), (H, G * H), (G * H,)]]
    dout = rng.standard_normal((N, T, H)).astype(dtype)
    fn = getattr(F, cell)
    results = []
    for fused in (True, False):
        ts = [Tensor(a, requires_grad=True) for a in arrays]
        h = fn(*ts, fused=fused)
        assert h.shape == (N, T, H) and h.dtype == dtype
        h.backward(dout)
        results.append((h.data, [t.grad for t in ts]))
    (h1, g1), (h2, g2) = results
    np.testing.assert_allclose(h1, h2, rtol=rtol, atol=rtol * 1e-2)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)


def test_fused_sequence_with_one_time_step_equals_one_step():
    rng = np.random.default_rng(6)
    x, h0 = rng.standard_normal((2, 1, 3)), rng.standard_normal((2, 4))
    Wx, Wh, b = rng.standard_normal((3, 16)), rng.standard_normal((4, 16)), rng.standard_normal(16)
    h, _ = F.lstm_step(x[:, 0], h0, np.zeros((2, 4)), Wx, Wh, b)
    np.testing.assert_allclose(F.lstm(x, h0, Wx, Wh, b).data[:, 0], h.data, rtol=1e-13)


# ----- fixed core bugs -----------------------------------------------------------------------
def test_gradient_error_names_the_right_star_args_input():
    class Join(Function):
        @staticmethod
        def forward(ctx, *xs, axis=0):
            return np.concatenate(xs, axis)

        @staticmethod
        def backward(ctx, dout):
            return dout[:2], dout[:1]

    a = Tensor(np.ones((2, 2)), requires_grad=True)
    b = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(GradientError) as info:
        Join.apply(a, b).sum().backward()
    msg = str(info.value)
    assert "Join input 'xs[1]' (#1)" in msg and "(1, 2)" in msg and "(2, 2)" in msg
    assert "axis" not in msg


def test_concat_and_stack_gradients_split_back():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    b = Tensor(np.ones((2, 3)), requires_grad=True)
    g = np.arange(10.0).reshape(2, 5)
    F.concat([a, b], axis=1).backward(g)
    np.testing.assert_array_equal(a.grad, g[:, :2])
    np.testing.assert_array_equal(b.grad, g[:, 2:])
    c = Tensor(np.ones(3), requires_grad=True)
    d = Tensor(np.ones(3), requires_grad=True)
    gs = np.arange(6.0).reshape(3, 2)
    F.stack([c, d], axis=-1).backward(gs)
    np.testing.assert_array_equal(c.grad, gs[:, 0])
    np.testing.assert_array_equal(d.grad, gs[:, 1])
