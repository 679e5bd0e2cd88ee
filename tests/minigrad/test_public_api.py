"""DESIGN §9, the minigrad part: names import and behave as described (numpy references here)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, no_grad
from minigrad.functional import (
    Embedding,
    LSTMStep,
    MaskedSoftmaxCE,
    RNNStep,
    TemporalAffine,
    embedding,
    lstm,
    lstm_step,
    masked_softmax_ce,
    rnn,
    rnn_step,
    temporal_affine,
)

N, T, D, H, V, W = 2, 4, 3, 5, 7, 3


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _params(G, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, H)),
            rng.standard_normal((D, G * H)) * 0.3, rng.standard_normal((H, G * H)) * 0.3,
            rng.standard_normal(G * H) * 0.1)


def _np_lstm_step(x, h, c, Wx, Wh, b):
    """CS231n lstm_step_forward: gate blocks i, f, o, g."""
    a = x @ Wx + h @ Wh + b
    i, f, o, g = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def test_public_names_import():
    assert minigrad.Tensor is Tensor and minigrad.no_grad is no_grad
    from minigrad.testing import check_function, gradcheck
    assert callable(gradcheck) and callable(check_function)
    for name in ("ShapeError", "DTypeError", "RangeError", "GradientError", "GraphError"):
        assert issubclass(getattr(minigrad, name), Exception)


def test_import_minigrad_pulls_in_neither_torch_nor_hypothesis():
    code = ("import sys, minigrad, minigrad.functional, minigrad.testing; "
            "bad = [m for m in ('torch', 'hypothesis') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_tensor_constructor_and_attributes():
    t = Tensor([[1.0, 2.0]], requires_grad=True)
    assert isinstance(t.data, np.ndarray) and t.grad is None and t.requires_grad
    assert t.shape == (1, 2) and t.dtype == np.float64
    (t * t).sum().backward(grad=None)
    np.testing.assert_array_equal(t.grad, [[2.0, 4.0]])


@pytest.mark.parametrize("as_tensor", [True, False])
def test_apply_takes_tensors_or_arrays_and_returns_tensors(as_tensor):
    x, h0, Wx, Wh, b = _params(1)
    wrap = Tensor if as_tensor else (lambda a: a)
    out = RNNStep.apply(wrap(x[:, 0]), wrap(h0), wrap(Wx), wrap(Wh), wrap(b))
    assert isinstance(out, Tensor) and out.shape == (N, H)
    np.testing.assert_allclose(out.data, np.tanh(x[:, 0] @ Wx + h0 @ Wh + b), rtol=1e-13)
    assert not out.requires_grad  # nothing required grad
    out2 = rnn_step(x[:, 0], Tensor(h0, requires_grad=True), Wx, Wh, b)
    assert isinstance(out2, Tensor) and out2.requires_grad


def test_lstm_step_apply_returns_next_h_and_next_c():
    x, h0, Wx, Wh, b = _params(4)
    c0 = np.random.default_rng(1).standard_normal((N, H))
    out = LSTMStep.apply(x[:, 0], h0, c0, Wx, Wh, b)
    assert isinstance(out, tuple) and len(out) == 2
    assert all(isinstance(o, Tensor) and o.shape == (N, H) for o in out)
    ref_h, ref_c = _np_lstm_step(x[:, 0], h0, c0, Wx, Wh, b)
    np.testing.assert_allclose(out[0].data, ref_h, rtol=1e-12)
    np.testing.assert_allclose(out[1].data, ref_c, rtol=1e-12)
    h2, c2 = lstm_step(x[:, 0], h0, c0, Wx, Wh, b)
    np.testing.assert_array_equal(h2.data, out[0].data)


@pytest.mark.parametrize("fused", [True, False])
def test_rnn_returns_all_hidden_states(fused):
    x, h0, Wx, Wh, b = _params(1)
    h = rnn(*(Tensor(a) for a in (x, h0, Wx, Wh, b)), fused=fused)
    assert isinstance(h, Tensor) and h.shape == (N, T, H)
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        np.testing.assert_allclose(h.data[:, t], prev, rtol=1e-12)


@pytest.mark.parametrize("fused", [True, False])
def test_lstm_starts_from_zero_cell_and_returns_all_hidden_states(fused):
    x, h0, Wx, Wh, b = _params(4)
    h = lstm(x, h0, Wx, Wh, b) if fused else lstm(*(Tensor(a) for a in (x, h0, Wx, Wh, b)),
                                                  fused=False)
    assert isinstance(h, Tensor) and h.shape == (N, T, H)
    prev_h, prev_c = h0, np.zeros((N, H))
    for t in range(T):
        prev_h, prev_c = _np_lstm_step(x[:, t], prev_h, prev_c, Wx, Wh, b)
        np.testing.assert_allclose(h.data[:, t], prev_h, rtol=1e-12)


def test_rnn_and_lstm_backward_fill_every_parameter():
    for fn, G in ((rnn, 1), (lstm, 4)):
        ts = [Tensor(a, requires_grad=True) for a in _params(G)]
        fn(*ts).sum().backward()
        for t in ts:
            assert t.grad is not None and t.grad.shape == t.shape and np.abs(t.grad).sum() > 0


def test_embedding_and_temporal_affine_values():
    rng = np.random.default_rng(2)
    idx, Wt = rng.integers(0, V, (N, T)), rng.standard_normal((V, W))
    out = Embedding.apply(idx, Wt)
    assert isinstance(out, Tensor) and out.shape == (N, T, W)
    np.testing.assert_array_equal(out.data, Wt[idx])
    np.testing.assert_array_equal(embedding(idx, Wt).data, Wt[idx])
    x, w, b = rng.standard_normal((N, T, D)), rng.standard_normal((D, V)), rng.standard_normal(V)
    ta = TemporalAffine.apply(x, w, b)
    assert ta.shape == (N, T, V)
    np.testing.assert_allclose(ta.data, np.einsum("ntd,dv->ntv", x, w) + b, rtol=1e-12)
    np.testing.assert_array_equal(temporal_affine(x, w, b).data, ta.data)


def test_masked_softmax_ce_default_normalises_by_batch_size():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((N, T, V)), rng.integers(0, V, (N, T))
    mask = rng.random((N, T)) < 0.6
    mask[0, 0] = True
    logp = x - x.max(axis=2, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=2, keepdims=True))
    nll = -np.take_along_axis(logp, y[..., None], axis=2)[..., 0]
    loss = MaskedSoftmaxCE.apply(x, y, mask)
    assert isinstance(loss, Tensor) and loss.shape == ()
    np.testing.assert_allclose(loss.item(), (nll * mask).sum() / N, rtol=1e-12)
    np.testing.assert_allclose(masked_softmax_ce(x, y, mask, normalize="tokens").item(),
                               (nll * mask).sum() / mask.sum(), rtol=1e-12)


def test_no_grad_is_usable_for_sampling():
    x, h0, Wx, Wh, b = _params(4)
    Whp = Tensor(Wh, requires_grad=True)
    with no_grad():
        h = lstm(x, h0, Wx, Whp, b)
    assert not h.requires_grad and h.shape == (N, T, H)


def test_round_two_names_of_design_section_10():
    """DESIGN §10: torch's names (numpy spellings as aliases), nn layers, optim features."""
    import minigrad.functional as F
    from minigrad.nn import (  # noqa: F401
        GRU,
        BatchNorm1d,
        BatchNorm2d,
        Dropout,
        GRUCell,
        LayerNorm,
        LSTMCell,
        ModuleDict,
        ModuleList,
        MultiheadAttention,
    )
    from minigrad.optim import AdamW, CosineAnnealingLR, LambdaLR, MultiStepLR, clip_grad_norm_  # noqa: F401

    ops = ("sqrt abs sign clip clamp maximum minimum where square sin cos log1p expm1 softplus "
           "leaky_relu elu gelu softmax log_softmax logsumexp min prod var std cumsum argmax "
           "argmin flatten squeeze unsqueeze expand broadcast_to flip pad repeat tile split "
           "swapaxes moveaxis roll tril triu einsum tensordot outer avg_pool2d conv2d").split()
    assert [n for n in ops if not callable(getattr(F, n, None))] == []
    x = Tensor(np.arange(6.0).reshape(2, 3) - 2.5, requires_grad=True)
    rows = list(x)
    a, b = x
    assert len(rows) == 2 and a.shape == (3,) and b.grad_fn is not None
    assert F.softmax(x, axis=0).shape == F.softmax(x, dim=0).shape == (2, 3)
    assert F.gelu(x, approximate="tanh").shape == (2, 3)
    assert (x > 0).dtype == np.bool_ and (x % 2).shape == (x // 2).shape == (2, 3)
