"""nn recurrent layers (RNN, LSTM, GRU, stacked, initial and final states, cells) and
MultiheadAttention against torch in float64: outputs and every gradient."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from minigrad import Tensor
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

F64 = torch.float64


def _perm(H: int, lstm: bool) -> np.ndarray:
    """Columns taking minigrad's gate blocks to torch's (LSTM i, f, o, g -> i, f, g, o)."""
    if not lstm:
        return np.arange(H)
    return np.concatenate([np.arange(2 * H), np.arange(3 * H, 4 * H), np.arange(2 * H, 3 * H)])


def _torch_state(layer, cell: bool = False) -> dict:
    """torch parameter names and arrays for a minigrad recurrent layer or cell."""
    lstm = isinstance(layer, (LSTM, LSTMCell))
    out = {}
    for k in range(1 if cell else layer.num_layers):
        sfx, tsfx = ("" if k == 0 else f"_l{k}"), ("" if cell else f"_l{k}")
        P = _perm(layer.H, lstm)
        Wx, Wh = getattr(layer, "Wx" + sfx).data, getattr(layer, "Wh" + sfx).data
        if isinstance(layer, (GRU, GRUCell)):
            bx, bh = getattr(layer, "bx" + sfx).data, getattr(layer, "bh" + sfx).data
        else:
            bx = getattr(layer, "b" + sfx).data[P]
            bh = np.zeros_like(bx)
            Wx, Wh = Wx[:, P], Wh[:, P]
        out.update({f"weight_ih{tsfx}": Wx.T, f"weight_hh{tsfx}": Wh.T, f"bias_ih{tsfx}": bx,
                    f"bias_hh{tsfx}": bh})
    return {k: torch.tensor(np.ascontiguousarray(v)) for k, v in out.items()}


def _grad_of(layer, name: str, cell: bool = False) -> np.ndarray:
    """minigrad's gradient of a torch parameter name, in torch's layout."""
    lstm = isinstance(layer, (LSTM, LSTMCell))
    base, k = (name, 0) if cell else (name.rsplit("_l", 1)[0], int(name.rsplit("_l", 1)[1]))
    sfx = "" if k == 0 else f"_l{k}"
    P = _perm(layer.H, True) if lstm else None
    if base in ("weight_ih", "weight_hh"):
        g = getattr(layer, ("Wx" if base == "weight_ih" else "Wh") + sfx).grad
        return (g if P is None else g[:, P]).T
    if isinstance(layer, (GRU, GRUCell)):
        return getattr(layer, ("bx" if base == "bias_ih" else "bh") + sfx).grad
    g = getattr(layer, "b" + sfx).grad
    return g if P is None else g[P]  # torch's two biases each get the one bias's gradient


def _random_biases(layer, rng) -> None:
    for _, p in layer.named_parameters():
        if p.ndim == 1:
            p.data[:] = 0.3 * rng.standard_normal(p.shape)


TORCH = {RNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [True, False])
def test_layers_match_torch_outputs_final_states_and_every_gradient(cls, num_layers,
                                                                    batch_first) -> None:
    rng = np.random.default_rng(num_layers)
    N, T, D, H = 3, 5, 4, 6
    layer = cls(D, H, num_layers=num_layers, batch_first=batch_first, dtype=np.float64, rng=rng)
    _random_biases(layer, rng)
    net = TORCH[cls](D, H, num_layers=num_layers, batch_first=batch_first, dtype=F64)
    net.load_state_dict(_torch_state(layer))
    x = rng.standard_normal((N, T, D) if batch_first else (T, N, D))
    h0 = rng.standard_normal((num_layers, N, H))
    c0 = rng.standard_normal((num_layers, N, H))
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    mx, mh0, mc0 = (Tensor(a, requires_grad=True) for a in (x, h0, c0))
    if cls is LSTM:
        out, (h_n, c_n) = layer(mx, mh0, mc0, return_state=True)
        tout, (th_n, tc_n) = net(tx, (th0, tc0))
        finals = [(h_n, th_n), (c_n, tc_n)]
    else:
        out, h_n = layer(mx, mh0, return_state=True)
        tout, th_n = net(tx, th0)
        finals = [(h_n, th_n)]
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    ups = [rng.standard_normal(out.shape)] + [rng.standard_normal(m.shape) for m, _ in finals]
    total = (out * ups[0]).sum()
    ttotal = (tout * torch.tensor(ups[0])).sum()
    for (m, t), u in zip(finals, ups[1:], strict=True):
        assert m.shape == tuple(t.shape) == (num_layers, N, H)
        np.testing.assert_allclose(m.data, t.detach().numpy(), atol=1e-12)
        total = total + (m * u).sum()
        ttotal = ttotal + (t * torch.tensor(u)).sum()
    total.backward()
    ttotal.backward()
    for m, t in [(mx, tx), (mh0, th0)] + ([(mc0, tc0)] if cls is LSTM else []):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), atol=1e-11)
    tgrads = {n: p.grad.numpy() for n, p in net.named_parameters()}
    for name, ref in tgrads.items():
        mine = _grad_of(layer, name)
        if cls is not GRU and name.startswith("bias"):
            ref = tgrads[name.replace("bias_hh", "bias_ih")]  # torch's bias_hh is our b too
        np.testing.assert_allclose(mine, ref, atol=1e-11, err_msg=name)


def test_parameter_names_keep_cs231n_layer_0_and_suffix_later_layers() -> None:
    rnn = RNN(3, 4, num_layers=2, rng=np.random.default_rng(0))
    assert [n for n, _ in rnn.named_parameters()] == ["Wx", "Wh", "b", "Wx_l1", "Wh_l1", "b_l1"]
    gru = GRU(3, 4, num_layers=2, rng=np.random.default_rng(0))
    shapes = {n: p.shape for n, p in gru.named_parameters()}
    assert shapes == {"Wx": (3, 12), "Wh": (4, 12), "bx": (12,), "bh": (12,),
                      "Wx_l1": (4, 12), "Wh_l1": (4, 12), "bx_l1": (12,), "bh_l1": (12,)}
    bound = 1 / np.sqrt(4)
    assert all(np.abs(p.data).max() <= bound for p in gru.parameters())  # torch's init range
    lstm = LSTM(3, 4, num_layers=3)
    assert set(lstm.state_dict()) == {f"{n}{s}" for n in ("Wx", "Wh", "b")
                                      for s in ("", "_l1", "_l2")}
    # one layer: the same names and the same draws as before stacking existed
    a = LSTM(3, 4, rng=np.random.default_rng(5))
    b = LSTM(3, 4, num_layers=2, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.Wx.data, b.Wx.data)


def test_default_return_is_the_output_and_h0_defaults_to_zeros() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    for cls in (RNN, LSTM, GRU):
        layer = cls(4, 5, dtype=np.float64, rng=rng)
        out = layer(x)
        assert isinstance(out, Tensor) and out.shape == (2, 3, 5)
        np.testing.assert_array_equal(out.data, layer(x, np.zeros((2, 5))).data)
        np.testing.assert_array_equal(out.data, layer(x, np.zeros((1, 2, 5))).data)
    lstm = LSTM(4, 5, dtype=np.float64, rng=rng)
    c0 = rng.standard_normal((2, 5))
    h_tuple = lstm(x, (np.zeros((2, 5)), c0)).data  # torch's (h0, c0) tuple
    np.testing.assert_array_equal(h_tuple, lstm(x, None, c0).data)
    assert np.abs(h_tuple - lstm(x).data).max() > 1e-3


def test_float32_layers_stay_float32() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for cls in (RNN, LSTM, GRU):
        out, state = cls(4, 5, num_layers=2, rng=np.random.default_rng(1))(x, return_state=True)
        h_n = state[0] if cls is LSTM else state
        assert out.dtype == np.float32 and h_n.dtype == np.float32


def test_recurrent_layer_errors() -> None:
    gru = GRU(4, 5, num_layers=2, rng=np.random.default_rng(0))
    x = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ShapeError, match=r"GRU: h0 must have shape \(num_layers, N, H\) = "
                                         r"\(2, 2, 5\), got \(2, 5\)"):
        gru(x, np.zeros((2, 5), np.float32))
    with pytest.raises(ShapeError, match=r"LSTM: c0 must have shape"):
        LSTM(4, 5)(x, None, np.zeros((3, 5), np.float32))
    with pytest.raises(ShapeError, match=r"GRU: x must be 3-D \(T, N, D\)"):
        GRU(4, 5, batch_first=False)(np.zeros((3, 4), np.float32))
    with pytest.raises(DTypeError, match="GRU: x must have the layer's dtype"):
        gru(np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match="GRU: num_layers must be a positive int, got 0"):
        GRU(4, 5, num_layers=0)


def test_reprs_are_torch_style() -> None:
    assert repr(GRU(4, 8, num_layers=2)) == "GRU(4, 8, num_layers=2)"
    assert repr(LSTM(4, 8, batch_first=False, dtype=np.float64)) == \
        "LSTM(4, 8, batch_first=False, dtype=float64)"
    assert repr(RNN(3, 2)) == "RNN(3, 2)"
    assert repr(GRUCell(3, 2)) == "GRUCell(3, 2)"
    assert repr(LSTMCell(3, 2, dtype=np.float64)) == "LSTMCell(3, 2, dtype=float64)"


CELLS = {RNNCell: torch.nn.RNNCell, LSTMCell: torch.nn.LSTMCell, GRUCell: torch.nn.GRUCell}


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cells_match_torch_cells(cls) -> None:
    rng = np.random.default_rng(3)
    N, D, H = 3, 4, 5
    cell = cls(D, H, dtype=np.float64, rng=rng)
    _random_biases(cell, rng)
    tcell = CELLS[cls](D, H, dtype=F64)
    tcell.load_state_dict(_torch_state(cell, cell=True))
    x, h, c = (rng.standard_normal(s) for s in ((N, D), (N, H), (N, H)))
    mx, mh, mc = (Tensor(a, requires_grad=True) for a in (x, h, c))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h, c))
    if cls is LSTMCell:
        (h1, c1), (th1, tc1) = cell(mx, (mh, mc)), tcell(tx, (th, tc))
        ((h1 * 2).sum() + (c1 * c1).sum()).backward()
        ((th1 * 2).sum() + (tc1 * tc1).sum()).backward()
        np.testing.assert_allclose(mc.grad, tc.grad.numpy(), atol=1e-12)
    else:
        h1, th1 = cell(mx, mh), tcell(tx, th)
        (h1 * h1).sum().backward()
        (th1 * th1).sum().backward()
    np.testing.assert_allclose(h1.data, th1.detach().numpy(), atol=1e-12)
    for m, t in ((mx, tx), (mh, th)):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), atol=1e-12)
    for name, p in tcell.named_parameters():
        ref = p.grad.numpy()
        if cls is not GRUCell and name == "bias_hh":
            continue  # the same gradient as bias_ih: minigrad has one bias there
        np.testing.assert_allclose(_grad_of(cell, name, cell=True), ref, atol=1e-12,
                                   err_msg=name)
    default = cell(x) if cls is not LSTMCell else cell(x)[0]
    zero = cell(x, np.zeros((N, H))) if cls is not LSTMCell else cell(
        x, (np.zeros((N, H)), np.zeros((N, H))))[0]
    np.testing.assert_array_equal(default.data, zero.data)


def test_cell_errors() -> None:
    cell = GRUCell(4, 5, rng=np.random.default_rng(0))
    with pytest.raises(ShapeError, match=r"GRUCell: x must be 2-D \(N, D\)"):
        cell(np.zeros((2, 3, 4), np.float32))
    with pytest.raises(ShapeError, match=r"GRUCell: state must have shape \(N, H\) = \(2, 5\)"):
        cell(np.zeros((2, 4), np.float32), np.zeros((3, 5), np.float32))
