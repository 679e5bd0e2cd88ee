"""Layers: forward values and shapes, gradients by central differences, Module state dicts, init."""
import math

import numpy as np
import pytest

from minigrad import DTypeError, ShapeError, Tensor
from minigrad.nn import (
    LSTM,
    RNN,
    Embedding,
    Flatten,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Tanh,
    init,
)


def _numeric_grad(f, arr, eps=1e-6):
    """Central differences of the scalar f() with respect to `arr`, perturbed in place."""
    g = np.zeros_like(arr)
    it = np.nditer(arr, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = arr[i]
        arr[i] = old + eps
        fp = f()
        arr[i] = old - eps
        fm = f()
        arr[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def _check_layer_grads(layer, x, *extra):
    """Analytic grads of sum(layer(x) * R) for x and each parameter match central differences."""
    xt = Tensor(x, requires_grad=True)
    out = layer(xt, *extra)
    R = np.random.default_rng(5).standard_normal(out.shape)
    (out * R).sum().backward()

    def f():
        return float((layer(Tensor(x), *extra).data * R).sum())

    np.testing.assert_allclose(xt.grad, _numeric_grad(f, x), rtol=1e-5, atol=1e-7)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, _numeric_grad(f, p.data), rtol=1e-5, atol=1e-7,
                                   err_msg=name)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ----- Linear ---------------------------------------------------------------------------------
def test_linear_layout_and_forward_any_leading_shape():
    rng = np.random.default_rng(0)
    lin = Linear(5, 3, rng=rng)
    assert lin.weight.shape == (5, 3) and lin.bias.shape == (3,)  # (in, out): x @ W + b
    assert lin.weight.dtype == np.float32
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    for shape in [(4, 5), (2, 3, 5), (5,), (2, 2, 2, 5)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y = lin(x)
        assert y.shape == shape[:-1] + (3,) and y.dtype == np.float32
        np.testing.assert_allclose(y.data, x @ lin.weight.data + lin.bias.data, rtol=1e-6)
    nb = Linear(5, 3, bias=False, rng=rng)
    assert nb.bias is None and len(nb.parameters()) == 1
    x = rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(nb(x).data, x @ nb.weight.data, rtol=1e-6)


def test_linear_init_is_seeded_and_bounded():
    a = Linear(16, 8, rng=np.random.default_rng(3))
    b = Linear(16, 8, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert np.abs(a.weight.data).max() <= 1 / math.sqrt(16)


def test_linear_errors_name_layer_and_sizes():
    lin = Linear(5, 3, rng=np.random.default_rng(0))
    with pytest.raises(ShapeError, match=r"Linear: x.shape\[-1\] must equal in_features = 5"):
        lin(np.zeros((2, 4), np.float32))
    with pytest.raises(DTypeError, match="Linear.*float32.*float64"):
        lin(np.zeros((2, 5)))
    with pytest.raises(ShapeError, match="in_features"):
        Linear(0, 3)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_linear_gradcheck(shape):
    rng = np.random.default_rng(1)
    lin = Linear(4, 3, dtype=np.float64, rng=rng)
    _check_layer_grads(lin, rng.standard_normal(shape))


# ----- Embedding, RNN, LSTM -------------------------------------------------------------------
def test_embedding_lookup():
    emb = Embedding(7, 4, rng=np.random.default_rng(0))
    idx = np.array([[0, 6, 6], [1, 2, 3]])
    out = emb(idx)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, emb.weight.data[idx])


def test_rnn_parameters_and_forward_match_numpy():
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5
    rnn = RNN(D, H, dtype=np.float64, rng=rng)
    shapes = {n: p.shape for n, p in rnn.named_parameters()}
    assert shapes == {"Wx": (D, H), "Wh": (H, H), "b": (H,)}
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    h = rnn(x, h0)
    assert h.shape == (N, T, H)
    prev, ref = h0, []
    for t in range(T):
        prev = np.tanh(x[:, t] @ rnn.Wx.data + prev @ rnn.Wh.data + rnn.b.data)
        ref.append(prev)
    np.testing.assert_allclose(h.data, np.stack(ref, axis=1), rtol=1e-12)
    np.testing.assert_allclose(rnn(x).data, rnn(x, np.zeros((N, H))).data)  # h0 defaults to 0


def test_lstm_parameters_and_forward_match_numpy_gate_order_ifog():
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 3, 4, 5
    lstm = LSTM(D, H, dtype=np.float64, rng=rng)
    lstm.b.data[:] = rng.standard_normal(4 * H)
    shapes = {n: p.shape for n, p in lstm.named_parameters()}
    assert shapes == {"Wx": (D, 4 * H), "Wh": (H, 4 * H), "b": (4 * H,)}
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    h = lstm(x, h0)
    assert h.shape == (N, T, H)
    prev_h, prev_c, ref = h0, np.zeros((N, H)), []
    for t in range(T):
        a = x[:, t] @ lstm.Wx.data + prev_h @ lstm.Wh.data + lstm.b.data
        i, f, o, g = (_sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]),
                      np.tanh(a[:, 3 * H:]))
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        ref.append(prev_h)
    np.testing.assert_allclose(h.data, np.stack(ref, axis=1), rtol=1e-12)


def test_recurrent_gradcheck():
    rng = np.random.default_rng(2)
    for cls in (RNN, LSTM):
        layer = cls(3, 4, dtype=np.float64, rng=rng)
        layer.b.data[:] = 0.1 * rng.standard_normal(layer.b.shape)
        _check_layer_grads(layer, rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4)))


def test_recurrent_errors():
    rnn = RNN(4, 5, rng=np.random.default_rng(0))
    with pytest.raises(ShapeError, match=r"RNN: x must be 3-D \(N, T, D\)"):
        rnn(np.zeros((2, 4), np.float32))
    with pytest.raises(ShapeError, match=r"RNN: x.shape\[-1\] must equal D = 4"):
        rnn(np.zeros((2, 3, 6), np.float32))
    with pytest.raises(DTypeError, match="LSTM.*float32.*float64"):
        LSTM(4, 5)(np.zeros((2, 3, 4)))


# ----- activations, Flatten, Sequential -------------------------------------------------------
def test_sequential_names_forward_and_grad():
    rng = np.random.default_rng(0)
    net = Sequential(Flatten(), Linear(6, 5, dtype=np.float64, rng=rng), ReLU(),
                     Linear(5, 2, dtype=np.float64, rng=rng), Tanh())
    assert [n for n, _ in net.named_parameters()] == ["1.weight", "1.bias", "3.weight", "3.bias"]
    assert len(net) == 5 and isinstance(net[1], Linear)
    x = rng.standard_normal((4, 2, 3))
    out = net(x)
    l1, l2 = net[1], net[3]
    ref = np.tanh(np.maximum(x.reshape(4, 6) @ l1.weight.data + l1.bias.data, 0)
                  @ l2.weight.data + l2.bias.data)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12)
    _check_layer_grads(net, x)
    with pytest.raises(TypeError, match="layer 0"):
        Sequential(lambda x: x)


# ----- Module state dict ----------------------------------------------------------------------
class _Two(Module):
    def __init__(self):
        super().__init__()
        self.enc = Linear(3, 4, rng=np.random.default_rng(0))
        self.scale = Parameter(np.ones(4, np.float32))


def test_state_dict_round_trip_and_copies():
    a, b = _Two(), _Two()
    b.enc.weight.data[:] = 7
    sd = b.state_dict()
    assert set(sd) == {"enc.weight", "enc.bias", "scale"}
    sd["scale"][:] = 3  # a copy: the module is untouched
    assert (b.scale.data == 1).all()
    a.load_state_dict(sd)
    np.testing.assert_array_equal(a.enc.weight.data, 7)
    np.testing.assert_array_equal(a.scale.data, 3)
    assert a.enc.weight.dtype == np.float32


def test_load_state_dict_errors_name_the_key_and_change_nothing():
    m = _Two()
    before = m.state_dict()
    sd = m.state_dict()
    del sd["enc.bias"]
    with pytest.raises(KeyError, match="enc.bias"):
        m.load_state_dict(sd)
    sd = {k: v + 1 for k, v in m.state_dict().items()}
    sd["scale"] = np.ones(5, np.float32)
    with pytest.raises(ShapeError, match=r"scale must have shape \(4,\), got \(5,\)"):
        m.load_state_dict(sd)
    for k, v in m.state_dict().items():  # the valid entries were not half-applied
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(KeyError, match="unexpected keys \\['extra'\\]"):
        m.load_state_dict(dict(before, extra=np.zeros(1)))
    m.load_state_dict({"scale": np.full(4, 2.0)}, strict=False)
    assert (m.scale.data == 2).all()


# ----- init -----------------------------------------------------------------------------------
def test_init_functions():
    rng = np.random.default_rng(0)
    w = init.scaled_normal((400, 300), rng, dtype=np.float64)
    assert w.dtype == np.float64 and abs(w.std() - 1 / math.sqrt(400)) < 0.002
    a = init.scaled_normal((4, 3), np.random.default_rng(9), dtype=np.float32)
    b = init.scaled_normal((4, 3), np.random.default_rng(9), dtype=np.float64)
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, b, rtol=1e-6)  # same seed, same weights in both dtypes
    x = init.xavier_uniform((30, 20), rng)
    assert np.abs(x).max() <= math.sqrt(6 / 50) and np.abs(x).max() > 0.8 * math.sqrt(6 / 50)
    k = init.kaiming_uniform((8, 3, 3, 3), rng)  # conv (F, C, kh, kw): fan_in 27
    assert k.dtype == np.float32 and np.abs(k).max() <= math.sqrt(2) * math.sqrt(3 / 27)
    assert init.fans((8, 3, 3, 3)) == (27, 72)
    with pytest.raises(TypeError, match="Generator"):
        init.scaled_normal((2, 2), 0)
    with pytest.raises(DTypeError, match="int64"):
        init.uniform((2,), rng, 1.0, dtype=np.int64)


# ----- Conv2d, MaxPool2d ----------------------------------------------------------------------
def _naive_conv(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (H + 2 * pad - k) // stride, 1 + (W + 2 * pad - k) // stride
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def test_conv_pool_layers_forward_and_grad():
    from minigrad.nn import Conv2d, MaxPool2d

    rng = np.random.default_rng(0)
    conv = Conv2d(2, 3, 3, stride=1, pad=1, dtype=np.float64, rng=rng)
    assert {n: p.shape for n, p in conv.named_parameters()} == {"weight": (3, 2, 3, 3),
                                                               "bias": (3,)}
    x = rng.standard_normal((2, 2, 4, 4))
    y = conv(x)
    assert y.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(y.data, _naive_conv(x, conv.weight.data, conv.bias.data, 1, 1),
                               rtol=1e-12, atol=1e-12)
    pool = MaxPool2d(2)
    z = pool(y)
    assert z.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(z.data, y.data.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)))
    net = Sequential(Conv2d(2, 2, 3, stride=2, pad=1, dtype=np.float64, rng=rng), Tanh(),
                     Flatten(), Linear(18, 2, dtype=np.float64, rng=rng))
    _check_layer_grads(net, rng.standard_normal((2, 2, 5, 5)))  # H' = 1 + (5 + 2 - 3) / 2
    assert Conv2d(2, 3, 3).weight.dtype == np.float32
