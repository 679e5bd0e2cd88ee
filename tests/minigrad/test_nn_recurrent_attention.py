"""nn recurrent layers (RNN, LSTM, GRU, stacked, initial and final states, cells) and
MultiheadAttention against torch in float64: outputs and every gradient."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from minigrad import Tensor
from minigrad.errors import DTypeError, ShapeError
from minigrad.nn import GRU, LSTM, RNN, GRUCell, LSTMCell, MultiheadAttention, RNNCell

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
        "LSTM(4, 8, batch_first=False)"
    assert repr(RNN(3, 2)) == "RNN(3, 2)"
    assert repr(GRUCell(3, 2)) == "GRUCell(3, 2)"
    assert repr(LSTMCell(3, 2, dtype=np.float64)) == "LSTMCell(3, 2)"


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


# ----- MultiheadAttention ------------------------------------------------------------------------
def _in_torch_layout(mha: MultiheadAttention, field: str) -> dict:
    """The q/k/v/out projections' `field` ('data' or 'grad') under torch's names and layouts."""
    names = ("q_proj", "k_proj", "v_proj")
    W = {n: getattr(getattr(mha, n).weight, field).T for n in (*names, "out_proj")}
    out = {"out_proj.weight": W["out_proj"]}
    if mha.kdim == mha.vdim == mha.embed_dim:
        out["in_proj_weight"] = np.concatenate([W[n] for n in names])
    else:
        out.update({f"{n}_weight": W[n] for n in names})
    if mha.out_proj.bias is not None:
        out["in_proj_bias"] = np.concatenate([getattr(getattr(mha, n).bias, field) for n in names])
        out["out_proj.bias"] = getattr(mha.out_proj.bias, field)
    return out


def mha_state_to_torch(mha: MultiheadAttention) -> dict:
    """torch.nn.MultiheadAttention's state dict from minigrad's q/k/v/out projections."""
    return {k: torch.tensor(np.ascontiguousarray(v))
            for k, v in _in_torch_layout(mha, "data").items()}


def mha_grads_in_torch_layout(mha: MultiheadAttention) -> dict:
    """minigrad's parameter gradients under torch's names and layouts."""
    return _in_torch_layout(mha, "grad")


def _mha_pair(E=8, heads=2, rng=None, **kw):
    rng = np.random.default_rng(0) if rng is None else rng
    mha = MultiheadAttention(E, heads, dtype=np.float64, rng=rng, **kw)
    for p in mha.parameters():  # O(1) weights and non-zero biases, so errors show
        p.data[...] = 0.5 * rng.standard_normal(p.shape)
    tmha = torch.nn.MultiheadAttention(E, heads, dtype=F64, **kw)
    tmha.load_state_dict(mha_state_to_torch(mha))
    return mha, tmha


def _bool_attn_mask(rng, L, S):
    m = rng.random((L, S)) < 0.4  # True = not allowed (torch's MultiheadAttention)
    m[:, 0] = False
    return m


def _kpm(rng, N, S):
    m = rng.random((N, S)) < 0.3
    m[:, 1] = False
    return m


MHA_CASES = {
    "plain": ({}, {}),
    "batch_first": ({"batch_first": True}, {}),
    "kdim vdim": ({"kdim": 5, "vdim": 3}, {}),
    "no bias": ({"bias": False}, {}),
    "bool attn_mask": ({}, {"attn_mask": _bool_attn_mask}),
    "float attn_mask (N*h, L, S)": ({}, {"attn_mask": lambda r, L, S: r.standard_normal(
        (3 * 2, L, S))}),
    "key_padding_mask": ({"batch_first": True}, {"key_padding_mask": _kpm}),
    "both masks": ({}, {"attn_mask": _bool_attn_mask, "key_padding_mask": _kpm}),
    "float kpm + bool attn": ({}, {"attn_mask": _bool_attn_mask,
                                   "key_padding_mask": lambda r, N, S: r.standard_normal((N, S))}),
    "per-head weights": ({}, {"average_attn_weights": False}),
    "no weights": ({}, {"need_weights": False}),
    "causal hint": ({}, {"attn_mask": lambda r, L, S: ~np.tril(np.ones((L, S), bool)),
                         "is_causal": True}),
}


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("case", list(MHA_CASES))
def test_multihead_attention_matches_torch(case: str) -> None:
    ctor, call = MHA_CASES[case]
    rng = np.random.default_rng(1)
    N, L, S, E = 3, 4, 5, 8
    mha, tmha = _mha_pair(E, 2, rng, **ctor)
    bf = ctor.get("batch_first", False)
    kd, vd = ctor.get("kdim", E), ctor.get("vdim", E)
    shape = (lambda n, d: (N, n, d)) if bf else (lambda n, d: (n, N, d))
    arrays = [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kd)),
              rng.standard_normal(shape(S, vd))]
    kwargs, tkwargs = {}, {}
    for name, make in call.items():
        if not callable(make):
            kwargs[name] = tkwargs[name] = make
            continue
        a = make(rng, L, S) if name == "attn_mask" else make(rng, N, S)
        kwargs[name], tkwargs[name] = a, torch.tensor(a)
    ms = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, w = mha(*ms, **kwargs)
    tout, tw = tmha(*ts, **tkwargs)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    gout = rng.standard_normal(out.shape)
    total, ttotal = (out * gout).sum(), (tout * torch.tensor(gout)).sum()
    if tw is None:
        assert w is None
    else:
        assert w.shape == tuple(tw.shape)
        np.testing.assert_allclose(w.data, tw.detach().numpy(), atol=1e-12)
        gw = rng.standard_normal(w.shape)
        total, ttotal = total + (w * gw).sum(), ttotal + (tw * torch.tensor(gw)).sum()
    total.backward()
    ttotal.backward()
    for m, t in zip(ms, ts, strict=True):
        np.testing.assert_allclose(m.grad, t.grad.numpy(), atol=1e-11)
    mine = mha_grads_in_torch_layout(mha)
    assert set(mine) == {n for n, _ in tmha.named_parameters()}
    for name, p in tmha.named_parameters():
        np.testing.assert_allclose(mine[name], p.grad.numpy(), atol=1e-11, err_msg=name)


def test_multihead_attention_unbatched_matches_torch() -> None:
    rng = np.random.default_rng(2)
    mha, tmha = _mha_pair(6, 3, rng)
    q, k = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))
    out, w = mha(q, k, k)
    tout, tw = tmha(torch.tensor(q), torch.tensor(k), torch.tensor(k))
    assert out.shape == (4, 6) and w.shape == (4, 5)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), atol=1e-12)


def test_multihead_attention_fully_padded_query_gives_the_bias_not_nan() -> None:
    rng = np.random.default_rng(3)
    mha, _ = _mha_pair(8, 2, rng, batch_first=True)
    x = Tensor(rng.standard_normal((2, 3, 8)), requires_grad=True)
    kpm = np.zeros((2, 3), bool)
    kpm[1] = True  # batch row 1 may attend to nothing (torch gives NaN)
    out, w = mha(x, x, x, key_padding_mask=kpm)
    np.testing.assert_allclose(out.data[1], np.broadcast_to(mha.out_proj.bias.data, (3, 8)))
    assert np.all(w.data[1] == 0)
    out.sum().backward()
    assert all(np.isfinite(p.grad).all() for p in mha.parameters())
    assert np.isfinite(x.grad).all()


def test_multihead_attention_dropout_only_in_training_and_default_init() -> None:
    mha = MultiheadAttention(8, 2, dropout=0.5, batch_first=True, dtype=np.float64,
                             rng=np.random.default_rng(0))
    assert np.all(mha.q_proj.bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    assert np.abs(mha.q_proj.weight.data).max() <= np.sqrt(6 / 32)  # torch's xavier bound
    x = np.random.default_rng(1).standard_normal((2, 4, 8))
    a, wa = mha(x, x, x)
    b, wb = mha(x, x, x)
    assert np.abs(a.data - b.data).max() > 1e-6  # a new dropout mask per call
    assert np.any(wa.data == 0)
    mha.eval()
    c, _ = mha(x, x, x)
    d, _ = mha(x, x, x)
    np.testing.assert_array_equal(c.data, d.data)
    mha.dropout = 0.0
    mha.train()
    np.testing.assert_array_equal(mha(x, x, x)[0].data, c.data)


def test_multihead_attention_is_causal_alone_applies_the_causal_mask() -> None:
    mha, _ = _mha_pair(4, 2, np.random.default_rng(4), batch_first=True)
    x = np.random.default_rng(5).standard_normal((2, 5, 4))
    causal = ~np.tril(np.ones((5, 5), bool))
    np.testing.assert_array_equal(mha(x, x, x, is_causal=True)[0].data,
                                  mha(x, x, x, attn_mask=causal)[0].data)
    w = mha(x, x, x, is_causal=True)[1].data
    assert np.all(w[:, causal] == 0)


def test_multihead_attention_float32_names_and_repr() -> None:
    mha = MultiheadAttention(8, 2, rng=np.random.default_rng(0))
    assert [n for n, _ in mha.named_parameters()] == [
        "q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias", "v_proj.weight",
        "v_proj.bias", "out_proj.weight", "out_proj.bias"]
    x = np.zeros((3, 2, 8), np.float32)
    out, w = mha(x, x, x)
    assert out.dtype == np.float32 and w.dtype == np.float32 and out.shape == (3, 2, 8)
    lin = "Linear(in_features=8, out_features=8, bias=True)"
    assert repr(mha) == ("MultiheadAttention(\n  embed_dim=8, num_heads=2\n"
                         f"  (q_proj): {lin}\n  (k_proj): {lin}\n  (v_proj): {lin}\n"
                         f"  (out_proj): {lin}\n)")
    assert repr(MultiheadAttention(6, 3, kdim=4, batch_first=True)).startswith(
        "MultiheadAttention(\n  embed_dim=6, num_heads=3, kdim=4, batch_first=True\n")


def test_multihead_attention_errors() -> None:
    with pytest.raises(ShapeError, match="embed_dim must be divisible by num_heads, got "
                                         "embed_dim 10 and num_heads 3"):
        MultiheadAttention(10, 3)
    mha = MultiheadAttention(8, 2, batch_first=True, rng=np.random.default_rng(0))
    x = np.zeros((2, 3, 8), np.float32)
    with pytest.raises(ShapeError, match=r"MultiheadAttention: attn_mask must have shape "
                                         r"\(L, S\) = \(3, 3\) or \(N·num_heads, L, S\)"):
        mha(x, x, x, attn_mask=np.zeros((2, 3, 3), bool))
    with pytest.raises(ShapeError, match=r"key_padding_mask must have shape \(N, S\)"):
        mha(x, x, x, key_padding_mask=np.zeros((3, 3), bool))
    with pytest.raises(DTypeError, match="attn_mask must be a bool or float mask"):
        mha(x, x, x, attn_mask=np.zeros((3, 3), int))
    with pytest.raises(ShapeError, match=r"key.shape\[-1\] must be 8"):
        mha(x, np.zeros((2, 3, 5), np.float32), x)
    with pytest.raises(DTypeError, match="query must have the layer's dtype float32"):
        mha(x.astype(np.float64), x, x)
    with pytest.raises(ShapeError, match="same batch size"):
        mha(x, np.zeros((3, 3, 8), np.float32), np.zeros((3, 3, 8), np.float32))
