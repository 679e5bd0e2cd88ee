"""nn norm, dropout and loss layers against torch.nn: reprs, state_dict names (torch's load),
training and eval behaviour, running statistics step by step, buffers through save/load."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import minigrad.nn as nn
from minigrad import Tensor
from minigrad.errors import DTypeError, RangeError, ShapeError


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _torch_state(m: torch.nn.Module) -> dict:
    return {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}


@pytest.mark.parametrize("make", [
    lambda M: M.BatchNorm1d(3),
    lambda M: M.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
    lambda M: M.BatchNorm1d(2, track_running_stats=False),
    lambda M: M.LayerNorm((3, 4), eps=1e-3, elementwise_affine=False),
    lambda M: M.LayerNorm(5, bias=False),
    lambda M: M.GroupNorm(2, 4),
    lambda M: M.GroupNorm(1, 2, affine=True, bias=False),
    lambda M: M.BatchNorm1d(3, bias=False),
    lambda M: M.InstanceNorm1d(3),
    lambda M: M.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=None),
    lambda M: M.Dropout(0.3),
    lambda M: M.Dropout2d(),
    lambda M: M.CrossEntropyLoss(),
    lambda M: M.BCEWithLogitsLoss(),
    lambda M: M.Sequential(M.Linear(2, 3), M.BatchNorm1d(3), M.ReLU(), M.Dropout(0.1)),
])
def test_reprs_match_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make", [
    lambda M, **kw: M.BatchNorm1d(3, **kw),
    lambda M, **kw: M.BatchNorm2d(3, affine=False, **kw),
    lambda M, **kw: M.BatchNorm1d(3, track_running_stats=False, **kw),
    lambda M, **kw: M.LayerNorm((2, 3), **kw),
    lambda M, **kw: M.LayerNorm(3, bias=False, **kw),
    lambda M, **kw: M.GroupNorm(1, 3, **kw),
    lambda M, **kw: M.BatchNorm2d(3, bias=False, **kw),
    lambda M, **kw: M.InstanceNorm1d(3, **kw),
    lambda M, **kw: M.InstanceNorm2d(3, affine=True, track_running_stats=True, **kw),
])
def test_state_dict_names_and_torch_state_loads(make):
    mine, theirs = make(nn, dtype=np.float64), make(torch.nn, dtype=torch.float64)
    state = _torch_state(theirs)
    assert list(mine.state_dict()) == list(state)
    for k in state:  # non-trivial values, then load torch's dict as is
        if state[k].dtype.kind == "f":
            state[k] = state[k] + _rand(*state[k].shape, seed=len(k))
        else:
            state[k] = np.asarray(7, dtype=np.int64)
    mine.load_state_dict(state)
    for k, v in mine.state_dict().items():
        np.testing.assert_array_equal(v, state[k])


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 2, 4)])
def test_batchnorm_steps_match_torch(shape, momentum):
    M = nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d
    TM = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
    mine, theirs = M(3, momentum=momentum, dtype=np.float64), TM(3, momentum=momentum,
                                                                 dtype=torch.float64)
    state = {k: v + 0.3 * _rand(*v.shape, seed=1) if v.dtype.kind == "f" else v
             for k, v in _torch_state(theirs).items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    mine.load_state_dict(state)
    for step in range(3):
        x = _rand(*shape, seed=10 + step) * 2 + 1
        dout = _rand(*shape, seed=20 + step)
        xt, xm = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
        out_t, out_m = theirs(xt), mine(xm)
        np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), atol=1e-12)
        out_t.backward(torch.from_numpy(dout))
        out_m.backward(dout)
        np.testing.assert_allclose(xm.grad, xt.grad.numpy(), atol=1e-12)
        for name, p in mine.named_parameters():
            np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), atol=1e-12)
            p.grad = None
            getattr(theirs, name).grad = None
        for k, v in _torch_state(theirs).items():
            np.testing.assert_allclose(mine.state_dict()[k], v, atol=1e-14, err_msg=k)
    assert mine.num_batches_tracked.item() == 3 and mine.num_batches_tracked.dtype == np.int64
    mine.eval()
    theirs.eval()
    x = _rand(*shape, seed=99)
    np.testing.assert_allclose(mine(x).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               atol=1e-12)
    assert mine.num_batches_tracked.item() == 3  # eval does not count


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval():
    mine = nn.BatchNorm1d(3, track_running_stats=False, dtype=np.float64).eval()
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False, dtype=torch.float64).eval()
    x = _rand(5, 3)
    np.testing.assert_allclose(mine(x).data, theirs(torch.from_numpy(x)).detach().numpy(),
                               atol=1e-12)
    assert mine.running_mean is None and "running_mean" not in mine.state_dict()


def test_batchnorm_float32_default_and_double_cast():
    bn = nn.BatchNorm1d(4)
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    out = bn(x)
    assert out.dtype == np.float32 and bn.running_mean.dtype == np.float32
    bn.double()
    assert bn.running_var.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    assert bn(x.astype(np.float64)).dtype == np.float64


def test_batchnorm_reset_running_stats():
    bn = nn.BatchNorm1d(2)
    bn(_rand(4, 2).astype(np.float32))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, [0, 0])
    np.testing.assert_array_equal(bn.running_var.data, [1, 1])
    assert bn.num_batches_tracked.item() == 0


def test_norm_layer_errors():
    with pytest.raises(ShapeError, match=r"BatchNorm1d: x must be 2-D \(N, C\) or 3-D"):
        nn.BatchNorm1d(3)(np.zeros((2, 3, 4, 5), np.float32))
    with pytest.raises(ShapeError, match="BatchNorm2d: x.shape\\[1\\] must equal num_features"):
        nn.BatchNorm2d(3)(np.zeros((2, 4, 5, 5), np.float32))
    with pytest.raises(ShapeError, match="BatchNorm: expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(np.zeros((1, 3), np.float32))
    with pytest.raises(RangeError, match="BatchNorm1d: momentum"):
        nn.BatchNorm1d(3, momentum=2.0)
    with pytest.raises(DTypeError, match="LayerNorm: dtype"):
        nn.LayerNorm(3, dtype=np.int32)
    with pytest.raises(ShapeError, match="LayerNorm: normalized_shape"):
        nn.LayerNorm(0)
    with pytest.raises(ShapeError, match="GroupNorm: num_channels must be divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(DTypeError, match="share one dtype"):  # float64 x, float32 layer
        nn.LayerNorm(3)(np.zeros((2, 3)))


@pytest.mark.parametrize("pair", [
    (lambda M, **k: M.LayerNorm((3, 4), **k), (2, 5, 3, 4)),
    (lambda M, **k: M.LayerNorm(4, elementwise_affine=False, **k), (3, 4)),
    (lambda M, **k: M.GroupNorm(2, 4, **k), (3, 4, 5)),
])
def test_layernorm_and_groupnorm_match_torch(pair):
    make, shape = pair
    mine, theirs = make(nn, dtype=np.float64), make(torch.nn, dtype=torch.float64)
    state = {k: v + _rand(*v.shape, seed=3) for k, v in _torch_state(theirs).items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    mine.load_state_dict(state)
    x = _rand(*shape, seed=4)
    xt, xm = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
    (theirs(xt) ** 2).sum().backward()
    (mine(xm) ** 2).sum().backward()
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), atol=1e-11)
    for name, p in mine.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), atol=1e-11)


@pytest.mark.parametrize("track", [False, True])
@pytest.mark.parametrize("shape", [(3, 3, 5), (3, 6), (2, 3, 4, 3), (3, 2, 4)])
def test_instancenorm_steps_match_torch(shape, track):
    two_d = len(shape) == 4 or shape == (3, 2, 4)
    M = nn.InstanceNorm2d if two_d else nn.InstanceNorm1d
    TM = torch.nn.InstanceNorm2d if two_d else torch.nn.InstanceNorm1d
    kw = {"affine": True, "track_running_stats": track, "momentum": 0.3}
    mine, theirs = M(3, dtype=np.float64, **kw), TM(3, dtype=torch.float64, **kw)
    state = {k: v + 0.3 * _rand(*v.shape, seed=1) if v.dtype.kind == "f" else v
             for k, v in _torch_state(theirs).items()}
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    mine.load_state_dict(state)
    for step, training in enumerate([True, True, False]):
        mine.train(training)
        theirs.train(training)
        x = _rand(*shape, seed=30 + step) * 2 + 1
        xt, xm = torch.tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
        out_t, out_m = theirs(xt), mine(xm)
        np.testing.assert_allclose(out_m.data, out_t.detach().numpy(), atol=1e-12)
        dout = _rand(*shape, seed=40 + step)
        out_t.backward(torch.from_numpy(dout))
        out_m.backward(dout)
        np.testing.assert_allclose(xm.grad, xt.grad.numpy(), atol=1e-12)
        for name, p in mine.named_parameters():
            np.testing.assert_allclose(p.grad, getattr(theirs, name).grad.numpy(), atol=1e-12)
        for k, v in _torch_state(theirs).items():
            np.testing.assert_allclose(mine.state_dict()[k], v, atol=1e-14, err_msg=k)


# ----- dropout ---------------------------------------------------------------------------------
def test_dropout_layer_train_and_eval():
    x = np.ones((50, 40), np.float32)
    d = nn.Dropout(0.25, rng=np.random.default_rng(3))
    out = d(x).data
    keep = np.random.default_rng(3).random((50, 40)) >= 0.25
    np.testing.assert_array_equal(out, keep / np.float32(0.75))
    assert out.dtype == np.float32
    d.eval()
    t = Tensor(x)
    assert d(t) is t
    assert nn.Dropout(0.0)(t) is t
    a = nn.Dropout(0.5, rng=np.random.default_rng(1))(x).data
    b = nn.Dropout(0.5, rng=np.random.default_rng(1))(x).data
    np.testing.assert_array_equal(a, b)


def test_dropout2d_zeroes_whole_channels():
    out = nn.Dropout2d(0.5, rng=np.random.default_rng(0))(np.ones((4, 6, 3, 3))).data
    per_channel = out.reshape(4, 6, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert (per_channel == 0).any() and (per_channel == 2).any()
    with pytest.raises(ShapeError, match="Dropout2d: x must be"):
        nn.Dropout2d()(np.ones((2, 3)))


def test_dropout_layer_errors():
    with pytest.raises(RangeError, match=r"Dropout: p must be a probability in \[0, 1\]"):
        nn.Dropout(1.2)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        nn.Dropout(0.1, rng=0)


# ----- losses ----------------------------------------------------------------------------------
W3 = np.array([0.5, 2.0, 1.0])
WEIGHTED = ("CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss")  # take dtype=
LOSSES = [
    ("CrossEntropyLoss", {"weight": W3, "label_smoothing": 0.1, "ignore_index": 1}, "ids"),
    ("CrossEntropyLoss", {"reduction": "none"}, "ids"),
    ("CrossEntropyLoss", {"reduction": "sum"}, "probs"),
    ("NLLLoss", {"weight": W3}, "ids"),
    ("MSELoss", {}, "same"), ("L1Loss", {"reduction": "sum"}, "same"),
    ("SmoothL1Loss", {"beta": 0.5}, "same"), ("HuberLoss", {"delta": 0.7, "reduction": "none"},
                                              "same"),
    ("BCELoss", {"weight": W3}, "binary"),
    ("BCEWithLogitsLoss", {"pos_weight": W3, "weight": W3}, "same01"),
]


def _loss_inputs(kind: str):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3))
    if kind == "ids":
        return x, np.array([0, 2, 1, 2])
    if kind == "probs":
        return x, rng.dirichlet(np.ones(3), 4)
    if kind == "binary":
        return rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    if kind == "same01":
        return x, rng.uniform(0, 1, (4, 3))
    return x, rng.standard_normal((4, 3))


@pytest.mark.parametrize("name, kwargs, kind", LOSSES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(LOSSES)])
def test_loss_modules_match_torch(name, kwargs, kind):
    x, t = _loss_inputs(kind)
    tk = {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    dtype = {"dtype": np.float64} if name in WEIGHTED else {}
    mine, theirs = getattr(nn, name)(**kwargs, **dtype), getattr(torch.nn, name)(**tk)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    xm = Tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.from_numpy(t)
    lm, lt = mine(xm, t), theirs(xt, tt)
    np.testing.assert_allclose(lm.data, lt.detach().numpy(), atol=1e-13)
    lm.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), atol=1e-13)


def test_cross_entropy_loss_axis_option_and_errors():
    x = _rand(2, 5, 4)
    y = np.random.default_rng(0).integers(0, 4, (2, 5))
    a = nn.CrossEntropyLoss(axis=-1)(x, y).item()
    b = torch.nn.CrossEntropyLoss()(torch.from_numpy(x).permute(0, 2, 1), torch.from_numpy(y))
    assert a == pytest.approx(b.item(), abs=1e-14)
    assert nn.CrossEntropyLoss(dim=2)(x, y).item() == pytest.approx(a, abs=1e-15)
    with pytest.raises(RangeError, match="CrossEntropyLoss: reduction must be"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(DTypeError, match="BCEWithLogitsLoss: pos_weight must be a float"):
        nn.BCEWithLogitsLoss(pos_weight=np.array([1, 2]))


def test_weighted_loss_buffers_follow_dtype_and_round_trip(tmp_path):
    loss = nn.CrossEntropyLoss(weight=[1.0, 2.0, 3.0])
    assert loss.weight.dtype == np.float32 and loss.state_dict()["weight"].dtype == np.float32
    x = np.zeros((2, 3), np.float32)
    assert loss(x, np.array([0, 2])).dtype == np.float32
    loss.save(tmp_path / "ce.npz")
    other = nn.CrossEntropyLoss(weight=[0.0, 0.0, 0.0])
    other.load(tmp_path / "ce.npz")
    np.testing.assert_array_equal(other.weight.data, [1, 2, 3])


def test_batchnorm_buffers_round_trip_through_save_and_load(tmp_path):
    net = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.BatchNorm1d(4),
                        nn.ReLU(), nn.Dropout(0.2))
    for seed in range(3):
        net(np.random.default_rng(seed).standard_normal((6, 3)).astype(np.float32))
    path = tmp_path / "net.npz"
    net.save(path)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.2))
    fresh.load(path)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k], v)
        assert fresh.state_dict()[k].dtype == v.dtype
    assert fresh[1].num_batches_tracked.item() == 3
    assert set(net.state_dict()) == {"0.weight", "0.bias", "1.weight", "1.bias",
                                     "1.running_mean", "1.running_var",
                                     "1.num_batches_tracked"}
