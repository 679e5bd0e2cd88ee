"""Optimizers against torch.optim on identical gradients; dtype, state dict, schedules."""
import numpy as np
import pytest
import torch

from minigrad import GraphError, RangeError, ShapeError, Tensor
from minigrad.nn import Linear, Parameter, load_npz, save_npz
from minigrad.optim import SGD, Adam, ExponentialLR, RMSProp, StepLR, make_optimizer

SHAPES = [(3, 4), (4,), (2, 1, 3)]


def _grads(steps, dtype, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]


def _run_minigrad(make, dtype, grads, init_seed=0):
    rng = np.random.default_rng(init_seed)
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in SHAPES]
    opt = make(params)
    for gs in grads:
        for p, g in zip(params, gs, strict=True):
            p.grad = None if g is None else g.copy()
        opt.step()
    return params, opt


def _run_torch(make, dtype, grads, init_seed=0):
    rng = np.random.default_rng(init_seed)
    params = [torch.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in SHAPES]
    opt = make(params)
    for gs in grads:
        for p, g in zip(params, gs, strict=True):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params]


CASES = {
    "sgd": (lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    "sgd_momentum_wd": (lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
                        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01)),
    "rmsprop": (lambda ps: RMSProp(ps, lr=1e-2, alpha=0.9, eps=1e-8),
                lambda ps: torch.optim.RMSprop(ps, lr=1e-2, alpha=0.9, eps=1e-8)),
    "adam": (lambda ps: Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-8),
             lambda ps: torch.optim.Adam(ps, lr=1e-2, betas=(0.8, 0.95), eps=1e-8)),
    "adam_wd": (lambda ps: Adam(ps, lr=1e-2, weight_decay=0.1),
                lambda ps: torch.optim.Adam(ps, lr=1e-2, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_float64(name):
    mine, theirs = CASES[name]
    grads = _grads(6, np.float64)
    params, _ = _run_minigrad(mine, np.float64, grads)
    ref = _run_torch(theirs, np.float64, grads)
    for p, r in zip(params, ref, strict=True):
        np.testing.assert_allclose(p.data, r, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_preserved_and_matches_torch(name):
    mine, theirs = CASES[name]
    grads = _grads(6, np.float32)
    params, opt = _run_minigrad(mine, np.float32, grads)
    ref = _run_torch(theirs, np.float32, grads)
    for p, r in zip(params, ref, strict=True):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, r, rtol=1e-5, atol=1e-6)
    for key, arr in opt.state_dict().items():
        if key not in ("step", "lr") and not key.startswith(("t.", "group.")):
            assert arr.dtype == np.float32, key


def test_cs231n_closed_forms():
    """The CS231n update rules written out in numpy agree with make_optimizer's optimizers."""
    grads = _grads(5, np.float64)
    rng = np.random.default_rng(0)  # the same initial weights as _run_minigrad
    w0 = [rng.standard_normal(s) for s in SHAPES]

    def reference(rule, cfg):
        ws = [w.copy() for w in w0]
        st = [dict(v=np.zeros_like(w), cache=np.zeros_like(w), m=np.zeros_like(w), t=0)
              for w in ws]
        for gs in grads:
            for w, dw, s in zip(ws, gs, st, strict=True):
                lr = cfg["learning_rate"]
                if rule == "sgd":
                    w -= lr * dw
                elif rule == "sgd_momentum":
                    s["v"] = cfg["momentum"] * s["v"] - lr * dw
                    w += s["v"]
                elif rule == "rmsprop":
                    s["cache"] = cfg["decay_rate"] * s["cache"] + (1 - cfg["decay_rate"]) * dw**2
                    w -= lr * dw / (np.sqrt(s["cache"]) + cfg["epsilon"])
                else:
                    s["t"] += 1
                    s["m"] = cfg["beta1"] * s["m"] + (1 - cfg["beta1"]) * dw
                    s["v"] = cfg["beta2"] * s["v"] + (1 - cfg["beta2"]) * dw**2
                    mt = s["m"] / (1 - cfg["beta1"] ** s["t"])
                    vt = s["v"] / (1 - cfg["beta2"] ** s["t"])
                    w -= lr * mt / (np.sqrt(vt) + cfg["epsilon"])
        return ws

    configs = {
        "sgd": {"learning_rate": 0.1},
        "sgd_momentum": {"learning_rate": 0.05, "momentum": 0.8},
        "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.9, "epsilon": 1e-6},
        "adam": {"learning_rate": 1e-2, "beta1": 0.85, "beta2": 0.99, "epsilon": 1e-7},
    }
    for rule, cfg in configs.items():
        params, _ = _run_minigrad(lambda ps, r=rule, c=cfg: make_optimizer(r, ps, c),
                                  np.float64, grads)
        for p, r in zip(params, reference(rule, cfg), strict=True):
            np.testing.assert_allclose(p.data, r, rtol=1e-10, atol=1e-12, err_msg=rule)


def test_make_optimizer_defaults_and_errors():
    p = [Parameter(np.zeros(3))]
    opt = make_optimizer("adam", p, {})
    assert isinstance(opt, Adam) and opt.lr == 1e-3 and opt.defaults["betas"] == (0.9, 0.999)
    opt = make_optimizer("sgd_momentum", p, {"learning_rate": 0.5})
    assert isinstance(opt, SGD) and opt.lr == 0.5 and opt.param_groups[0]["momentum"] == 0.9
    opt = make_optimizer("rmsprop", p, {"decay_rate": 0.5})
    assert isinstance(opt, RMSProp) and opt.param_groups[0]["alpha"] == 0.5 and opt.lr == 1e-2
    with pytest.raises(ValueError, match="update_rule"):
        make_optimizer("adagrad", p, {})
    with pytest.raises(KeyError, match="momentum"):
        make_optimizer("sgd", p, {"momentum": 0.9})


def test_skips_params_without_grad_like_torch():
    grads = _grads(4, np.float64)
    for gs in grads[:2]:
        gs[1] = None  # param 1 gets no gradient for two steps
    mine, theirs = CASES["adam"]
    params, opt = _run_minigrad(mine, np.float64, grads)
    rng = np.random.default_rng(0)
    tparams = [torch.tensor(rng.standard_normal(s), requires_grad=True) for s in SHAPES]
    topt = theirs(tparams)
    for gs in grads:
        for p, g in zip(tparams, gs, strict=True):
            p.grad = None if g is None else torch.tensor(g)
        topt.step()
    for p, r in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.data, r.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert int(opt.state[1]["t"]) == 2 and int(opt.state[0]["t"]) == 4


def test_step_bumps_version_so_stale_graph_errors():
    w = Parameter(np.ones(3))
    loss = (w * w).sum()
    opt = SGD([w], lr=0.1)
    w.grad = np.ones(3)
    v0 = w._version
    opt.step()
    assert w._version == v0 + 1
    with pytest.raises(GraphError):
        loss.backward()
    w.grad = None
    opt.step()  # nothing to do for a None grad
    assert w._version == v0 + 1


def test_zero_grad_lr_setter_and_bad_grad():
    w = Parameter(np.ones((2, 2)))
    opt = SGD([w], lr=0.1)
    w.grad = np.ones((2, 2))
    opt.zero_grad()
    assert w.grad is None
    opt.lr = 0.3
    assert opt.lr == 0.3
    with pytest.raises(RangeError, match="lr"):
        opt.lr = -1.0
    with pytest.raises(ShapeError, match=r"grad must have the tensor's shape \(2, 2\)"):
        w.grad = np.ones(4)  # refused when assigned, as torch
    w._grad = np.ones(4)  # past the setter, the optimizer still names it
    with pytest.raises(ShapeError, match=r"params\[0\].grad"):
        opt.step()
    with pytest.raises(TypeError, match=r"params\[0\] must be a floating leaf Tensor"):
        SGD([np.ones(2)], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a floating leaf Tensor"):
        SGD([w, w * 2], lr=0.1)  # a non-leaf
    frozen = Tensor(np.ones(2))  # requires_grad=False: accepted and never updated, as torch
    w.grad = None
    SGD([w, frozen], lr=0.1).step()
    np.testing.assert_array_equal(frozen.data, 1.0)
    with pytest.raises(ValueError, match="more than once"):
        Adam([w, w])
    with pytest.raises(ValueError, match="empty"):
        Adam([])


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_resume_is_bitwise_identical(name, tmp_path):
    mine, _ = CASES[name]
    grads = _grads(8, np.float32)
    # uninterrupted run
    full, _ = _run_minigrad(mine, np.float32, grads)
    # run 4 steps, checkpoint model + optimizer through .npz, rebuild, run 4 more
    part, opt = _run_minigrad(mine, np.float32, grads[:4])
    save_npz(tmp_path / "opt.npz", opt.state_dict())
    save_npz(tmp_path / "params.npz", {str(i): p.data for i, p in enumerate(part)})
    saved = load_npz(tmp_path / "params.npz")
    params = [Parameter(saved[str(i)]) for i in range(len(SHAPES))]
    opt2 = mine(params)
    opt2.load_state_dict(load_npz(tmp_path / "opt.npz"))
    assert opt2.step_count == 4
    for gs in grads[4:]:
        for p, g in zip(params, gs, strict=True):
            p.grad = g.copy()
        opt2.step()
    for a, b in zip(full, params, strict=True):
        assert a.data.dtype == b.data.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data)


def test_load_state_dict_errors_name_the_key():
    params = [Parameter(np.zeros((2, 3))), Parameter(np.zeros(3))]
    opt = Adam(params)
    for p in params:
        p.grad = np.ones_like(p.data)
    opt.step()
    d = opt.state_dict()
    bad = dict(d)
    del bad["v.1"]
    with pytest.raises(KeyError, match="v.1"):
        opt.load_state_dict(bad)
    bad = dict(d, **{"m.0": np.zeros((3, 2))})
    with pytest.raises(ShapeError, match=r"m\.0.*\(2, 3\).*\(3, 2\)"):
        opt.load_state_dict(bad)
    bad = dict(d, **{"t.0": np.array(-1)})
    with pytest.raises(RangeError, match="t.0"):
        opt.load_state_dict(bad)


def test_step_lr_matches_torch():
    p = [Parameter(np.zeros(2))]
    opt = SGD(p, lr=0.5)
    sched = StepLR(opt, step_size=3, gamma=0.1)
    tp = [torch.zeros(2, requires_grad=True)]
    topt = torch.optim.SGD(tp, lr=0.5)
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.1)
    for _ in range(10):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert opt.lr == pytest.approx(tsched.get_last_lr()[0], rel=1e-12)
    assert sched.last_epoch == 10
    with pytest.raises(RangeError, match="step_size"):
        StepLR(opt, step_size=0)


def test_exponential_lr_is_cs231n_lr_decay():
    opt = Adam([Parameter(np.zeros(2))], lr=1e-3)
    sched = ExponentialLR(opt, gamma=0.95)
    lr = 1e-3
    for _ in range(5):
        sched.step()
        lr *= 0.95  # CS231n Solver: optim_config['learning_rate'] *= lr_decay each epoch
    assert opt.lr == pytest.approx(lr, rel=1e-15)
    d = sched.state_dict()
    sched2 = ExponentialLR(Adam([Parameter(np.zeros(2))]), gamma=0.95)
    sched2.load_state_dict(d)
    assert sched2.last_epoch == 5


def test_adam_trains_a_linear_layer_in_float32():
    rng = np.random.default_rng(0)
    layer = Linear(4, 1, rng=rng)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.25).astype(np.float32)
    opt = Adam(layer.parameters(), lr=5e-2)
    losses = []
    for _ in range(200):
        diff = layer(x) - y
        loss = (diff * diff).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert losses[-1] < 1e-3 * losses[0]


# ----- parameter groups ------------------------------------------------------------------------
def _ps(n=3, dtype=np.float64):
    return [Parameter(np.full((2,), float(i + 1), dtype)) for i in range(n)]


def test_param_groups_defaults_overrides_and_add_param_group():
    a, b, c = _ps()
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1]
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [c], "lr": 0.25})
    assert opt.params == [a, b, c] and opt.param_groups[2]["nesterov"] is False
    for p in (a, b, c):
        p.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose([a.data[0], b.data[0], c.data[0]], [1 - 0.1, 2 - 0.5, 3 - 0.25])
    assert opt.lr == 0.1  # group 0's
    opt.lr = 0.01  # sets every group, as CS231n's lr_decay needs
    assert [g["lr"] for g in opt.param_groups] == [0.01] * 3
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="ordered sequence, not a set"):
        opt.add_param_group({"params": {Parameter(np.zeros(1))}})
    with pytest.raises(TypeError, match="'params' entry"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(RangeError, match="momentum"):
        opt.add_param_group({"params": [Parameter(np.zeros(1))], "momentum": -1})
    with pytest.raises(RangeError, match="nesterov"):
        SGD([a], nesterov=True)
    with pytest.raises(TypeError, match="iterable of Tensors or of dicts"):
        Adam(a)


def test_state_dict_holds_groups_and_checks_them():
    a, b, c = _ps()
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5, "betas": (0.5, 0.6)}])
    for p in (a, c):
        p.grad = np.ones(2)
    opt.step()
    d = opt.state_dict()
    assert d["group.1.params"].tolist() == [2] and d["group.0.params"].tolist() == [0, 1]
    assert d["group.1.betas"].tolist() == [0.5, 0.6] and d["group.1.lr"] == 0.5
    assert "m.1" not in d and "m.2" in d  # state only for parameters that have stepped
    fresh = Adam([{"params": _ps()[:2]}, {"params": [Parameter(np.zeros(2))]}])
    fresh.load_state_dict(d)
    assert fresh.param_groups[1]["betas"] == (0.5, 0.6) and fresh.param_groups[1]["lr"] == 0.5
    np.testing.assert_array_equal(fresh.state[2]["v"], opt.state[2]["v"])
    other = Adam(_ps())  # one group of three: a different layout
    with pytest.raises(ValueError, match="param group 0 holds parameters"):
        other.load_state_dict(d)
    with pytest.raises(RangeError, match="lr"):
        fresh.load_state_dict(dict(d, **{"group.0.lr": np.array(-1.0)}))


def test_single_group_state_dict_of_the_earlier_format_loads():
    """The flat dict the optimizers wrote before param groups existed (still in zoo
    checkpoints): 'step', 'lr' and '<buffer>.<i>' for every parameter, zeros before a step."""
    grads = _grads(6, np.float32)
    full, _ = _run_minigrad(CASES["adam"][0], np.float32, grads)
    part, opt = _run_minigrad(CASES["adam"][0], np.float32, grads[:3])
    legacy = {"step": np.array(3, np.int64), "lr": np.array(1e-2, np.float64)}
    for i in range(len(SHAPES)):
        legacy.update({f"m.{i}": opt.state[i]["m"], f"v.{i}": opt.state[i]["v"],
                       f"t.{i}": opt.state[i]["t"]})
    params = [Parameter(p.data.copy()) for p in part]
    opt2 = Adam(params, lr=0.5, betas=(0.8, 0.95))  # the old format saved only the lr
    opt2.load_state_dict(legacy)
    assert opt2.lr == 1e-2 and opt2.step_count == 3
    for gs in grads[3:]:
        for p, g in zip(params, gs, strict=True):
            p.grad = g.copy()
        opt2.step()
    for a, b in zip(full, params, strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    sgd = SGD(_ps(2), lr=0.1, momentum=0.9)  # buffers of zeros for a never-stepped parameter
    sgd.load_state_dict({"step": np.array(0), "lr": np.array(0.2),
                         "momentum_buffer.0": np.zeros(2), "momentum_buffer.1": np.zeros(2)})
    assert sgd.lr == 0.2 and set(sgd.state) == {0, 1}
    sched = StepLR(sgd, step_size=2)
    sched.load_state_dict({"last_epoch": np.array(3), "base_lr": np.array(0.2)})
    assert sched.last_epoch == 3 and sched.base_lrs == [0.2]


def test_scheduler_argument_errors():
    opt = SGD([{"params": _ps(1)}, {"params": _ps(1)}], lr=0.1)
    from minigrad.optim import CosineAnnealingLR, LambdaLR, MultiStepLR, ReduceLROnPlateau

    with pytest.raises(ValueError, match="expected 2 lr_lambdas"):
        LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="not callable"):
        LambdaLR(opt, 0.5)
    with pytest.raises(RangeError, match="T_max"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(RangeError, match="milestones"):
        MultiStepLR(opt, [2, -1])
    with pytest.raises(RangeError, match="factor"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="expected 2 min_lrs"):
        ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(TypeError, match="minigrad Optimizer"):
        StepLR(object(), step_size=1)
    plateau = ReduceLROnPlateau(opt, patience=0)
    plateau.step(Tensor(np.array(1.0)))  # a scalar Tensor is a metric
    plateau.step(2.0)
    assert plateau.get_last_lr() == pytest.approx([0.01, 0.01])
