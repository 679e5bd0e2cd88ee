"""Optimizers, schedulers and gradient clipping follow torch step by step (float64, two param
groups with different hyperparameters, the same gradients fed to both)."""
import math

import numpy as np
import pytest
import torch

from minigrad import GradientError, Tensor
from minigrad.nn import Parameter, load_npz, save_npz
from minigrad.optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    ReduceLROnPlateau,
    RMSProp,
    StepLR,
    clip_grad_norm_,
    clip_grad_value_,
)

SHAPES = [(3, 4), (4,), (2, 1, 3)]
STEPS = 20
TOL = dict(rtol=1e-9, atol=1e-12)  # well inside the 1e-6 asked of torch parity


def _init(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _grads(steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def _groups(params, group1):
    """Params 0 and 1 in group 0 (the constructor's settings), param 2 in group 1."""
    return [{"params": params[:2]}, {"params": params[2:], **group1}]


# (minigrad class, torch class, constructor kwargs, group 1 overrides)
OPTIMIZERS = {
    "sgd": (SGD, torch.optim.SGD, dict(lr=0.1), dict(lr=0.03)),
    "sgd_momentum": (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9),
                     dict(lr=0.01, momentum=0.5)),
    "sgd_nesterov": (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True),
                     dict(lr=0.2)),
    "sgd_weight_decay": (SGD, torch.optim.SGD, dict(lr=0.05, weight_decay=0.1),
                         dict(lr=0.02, weight_decay=0.0)),
    "sgd_dampening_maximize": (SGD, torch.optim.SGD,
                               dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True),
                               dict(lr=0.01, weight_decay=0.05)),
    "rmsprop": (RMSProp, torch.optim.RMSprop, dict(lr=1e-2, alpha=0.9), dict(lr=3e-3)),
    "rmsprop_centered_momentum": (RMSProp, torch.optim.RMSprop,
                                  dict(lr=1e-2, centered=True, momentum=0.7, weight_decay=0.01),
                                  dict(lr=5e-3, centered=False)),
    "adam": (Adam, torch.optim.Adam, dict(lr=1e-2, betas=(0.8, 0.95)), dict(lr=3e-2)),
    "adam_wd_amsgrad": (Adam, torch.optim.Adam, dict(lr=1e-2, weight_decay=0.1, amsgrad=True),
                        dict(lr=2e-2, betas=(0.5, 0.9))),
    "adamw": (AdamW, torch.optim.AdamW, dict(lr=1e-2), dict(lr=5e-2, weight_decay=0.3)),
    "adamw_amsgrad_maximize": (AdamW, torch.optim.AdamW,
                               dict(lr=1e-2, amsgrad=True, maximize=True), dict(lr=4e-3)),
}


def _run_both(name, grads):
    mine_cls, torch_cls, kwargs, group1 = OPTIMIZERS[name]
    mp = [Parameter(w) for w in _init()]
    tp = [torch.tensor(w, requires_grad=True) for w in _init()]
    mine, theirs = mine_cls(_groups(mp, group1), **kwargs), torch_cls(_groups(tp, group1), **kwargs)
    for k, gs in enumerate(grads):
        for p, q, g in zip(mp, tp, gs, strict=True):
            skip = k in (3, 4) and p is mp[1]  # param 1 has no grad for two steps
            p.grad = None if skip else g.copy()
            q.grad = None if skip else torch.tensor(g)
        mine.step()
        theirs.step()
        for p, q in zip(mp, tp, strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), **TOL,
                                       err_msg=f"{name} step {k}")
    return mine, theirs


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_follows_torch_with_two_param_groups(name):
    mine, theirs = _run_both(name, _grads())
    for g, tg in zip(mine.param_groups, theirs.param_groups, strict=True):
        for key, value in tg.items():
            if key in mine.defaults:
                assert g[key] == pytest.approx(value), key


def test_adamw_default_weight_decay_is_torchs():
    assert AdamW([Parameter(np.zeros(2))]).defaults["weight_decay"] == 0.01 == \
        torch.optim.AdamW([torch.zeros(2, requires_grad=True)]).defaults["weight_decay"]


@pytest.mark.parametrize("name", ["sgd_momentum", "rmsprop_centered_momentum", "adam_wd_amsgrad",
                                  "adamw", "sgd_dampening_maximize"])
def test_resume_from_npz_is_bit_exact(name, tmp_path):
    mine_cls, _, kwargs, group1 = OPTIMIZERS[name]
    grads = [[g.astype(np.float32) for g in gs] for gs in _grads(10)]

    def run(params, opt, gs):
        for step in gs:
            for p, g in zip(params, step, strict=True):
                p.grad = g.copy()
            opt.step()

    full = [Parameter(w.astype(np.float32)) for w in _init()]
    run(full, mine_cls(_groups(full, group1), **kwargs), grads)
    part = [Parameter(w.astype(np.float32)) for w in _init()]
    opt = mine_cls(_groups(part, group1), **kwargs)
    run(part, opt, grads[:5])
    save_npz(tmp_path / "opt.npz", opt.state_dict())
    params = [Parameter(p.data.copy()) for p in part]
    opt2 = mine_cls(_groups(params, {}), **kwargs)  # group 1's settings come from the file
    opt2.load_state_dict(load_npz(tmp_path / "opt.npz"))
    assert opt2.param_groups[1]["lr"] == group1["lr"]
    run(params, opt2, grads[5:])
    for a, b in zip(full, params, strict=True):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(a.data, b.data)
    for state in opt2.state.values():
        assert all(arr.dtype == (np.int64 if k == "t" else np.float32)
                   for k, arr in state.items())


# ----- schedulers ------------------------------------------------------------------------------
SCHEDULERS = {
    "step": (lambda o: StepLR(o, step_size=3, gamma=0.5),
             lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    "multistep": (lambda o: MultiStepLR(o, milestones=[2, 5, 5, 11], gamma=0.3),
                  lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 11], gamma=0.3)),
    "exponential": (lambda o: ExponentialLR(o, gamma=0.9),
                    lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    "cosine": (lambda o: CosineAnnealingLR(o, T_max=6, eta_min=1e-3),
               lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=1e-3)),
    "cosine_to_zero": (lambda o: CosineAnnealingLR(o, T_max=5),
                       lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5)),
    "lambda": (lambda o: LambdaLR(o, lambda e: 0.95 ** e / (1 + e % 3)),
               lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e / (1 + e % 3))),
    "lambda_per_group": (
        lambda o: LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: math.cos(e / 4) ** 2]),
        lambda o: torch.optim.lr_scheduler.LambdaLR(
            o, [lambda e: 1 / (e + 1), lambda e: math.cos(e / 4) ** 2])),
}
PLATEAU_KW = {
    "plateau_min_rel": dict(patience=2, threshold=0.01),
    "plateau_max_abs_cooldown": dict(mode="max", threshold_mode="abs", threshold=0.05,
                                     patience=1, cooldown=2, factor=0.5, min_lr=[0.02, 0.004]),
    "plateau_eps": dict(patience=0, factor=0.5, min_lr=0.01, eps=1e-3),
}
METRICS = [1.0, 0.9, 0.95, 0.9, 0.905, 0.8, 0.8, 0.79, 0.85, 0.7, 0.7, 0.7, 0.71, 0.6, 0.6,
           0.65, 0.6, 0.5, 0.55, 0.56]
for _name, _kw in PLATEAU_KW.items():
    SCHEDULERS[_name] = (lambda o, kw=_kw: ReduceLROnPlateau(o, **kw),
                         lambda o, kw=_kw: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kw))


def _sched_pair(name):
    mp = [Parameter(w) for w in _init()]
    tp = [torch.tensor(w, requires_grad=True) for w in _init()]
    opt = SGD(_groups(mp, {"lr": 0.02}), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(_groups(tp, {"lr": 0.02}), lr=0.1, momentum=0.9)
    mine, theirs = SCHEDULERS[name]
    return mp, tp, opt, topt, mine(opt), theirs(topt)


def _epoch(k, gs, mp, tp, opt, topt, sched, tsched):
    for p, q, g in zip(mp, tp, gs, strict=True):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    opt.step()
    topt.step()
    if isinstance(sched, ReduceLROnPlateau):
        sched.step(METRICS[k])
        tsched.step(METRICS[k])
    else:
        sched.step()
        tsched.step()


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_follows_torch_per_group(name):
    mp, tp, opt, topt, sched, tsched = _sched_pair(name)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    lrs = []
    for k, gs in enumerate(_grads()):
        _epoch(k, gs, mp, tp, opt, topt, sched, tsched)
        last = sched.get_last_lr()
        assert isinstance(last, list) and len(last) == 2
        np.testing.assert_allclose(last, tsched.get_last_lr(), **TOL, err_msg=f"epoch {k}")
        assert [g["lr"] for g in opt.param_groups] == last
        assert sched.last_epoch == tsched.last_epoch
        lrs.append(last)
    for p, q in zip(mp, tp, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), **TOL)
    assert len({tuple(x) for x in lrs}) > 2, "the schedule should change the lr"


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_state_dict_resumes_exactly(name, tmp_path):
    grads = _grads()
    straight = _sched_pair(name)
    for k, gs in enumerate(grads):
        _epoch(k, gs, *straight)
    first = _sched_pair(name)
    for k, gs in enumerate(grads[:7]):
        _epoch(k, gs, *first)
    _, _, opt, _, sched, _ = first
    save_npz(tmp_path / "o.npz", opt.state_dict())
    save_npz(tmp_path / "s.npz", sched.state_dict())
    second = _sched_pair(name)  # fresh objects (the scheduler first, as torch advises)
    mp, tp, opt2, topt2, sched2, tsched2 = second
    for p, q in zip(mp, first[0], strict=True):
        p.data[...] = q.data
    opt2.load_state_dict(load_npz(tmp_path / "o.npz"))
    sched2.load_state_dict(load_npz(tmp_path / "s.npz"))
    topt2.load_state_dict(first[3].state_dict())
    tsched2.load_state_dict(first[5].state_dict())
    for k, gs in enumerate(grads[7:], start=7):
        _epoch(k, gs, *second)
    assert sched2.get_last_lr() == straight[4].get_last_lr()
    for a, b in zip(straight[0], mp, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


def test_lambda_lr_state_dict_holds_no_functions():
    sched = LambdaLR(SGD([Parameter(np.zeros(2))], lr=0.1), lambda e: 0.5 ** e)
    sched.step()
    d = sched.state_dict()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in d.values())
    assert sched.get_last_lr() == [0.05]


# ----- gradient clipping -----------------------------------------------------------------------
def _clip_pair(dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(3)
    grads = [scale * rng.standard_normal(s).astype(dtype) for s in SHAPES]
    mp = [Parameter(np.zeros(s, dtype)) for s in SHAPES] + [Parameter(np.zeros(2, dtype))]
    tp = [torch.zeros(s, dtype=torch.float64 if dtype == np.float64 else torch.float32,
                      requires_grad=True) for s in SHAPES] + [torch.zeros(2, requires_grad=True)]
    for p, q, g in zip(mp, tp, grads, strict=False):  # the last parameter has no grad
        p.grad, q.grad = g.copy(), torch.tensor(g)
    return mp, tp


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    mp, tp = _clip_pair()
    total = clip_grad_norm_(mp, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(total, Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    for p, q in zip(mp, tp, strict=True):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)
    if max_norm == 0.5:  # clipped to max_norm (up to torch's 1e-6 in the coefficient)
        grads = np.concatenate([p.grad.ravel() for p in mp if p.grad is not None])
        norm = np.max(np.abs(grads)) if norm_type in (math.inf, "inf") else \
            np.sum(np.abs(grads) ** float(norm_type)) ** (1 / float(norm_type))
        assert norm == pytest.approx(0.5, rel=1e-5)


def test_clip_grad_norm_float32_single_tensor_and_no_grads():
    mp, tp = _clip_pair(np.float32)
    total = clip_grad_norm_(mp[0], 0.1)
    ttotal = torch.nn.utils.clip_grad_norm_(tp[0], 0.1)
    assert total.dtype == np.float32 and mp[0].grad.dtype == np.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    np.testing.assert_allclose(mp[0].grad, tp[0].grad.numpy(), rtol=1e-6)
    none = clip_grad_norm_([Parameter(np.zeros(3))], 1.0)
    assert none.item() == torch.nn.utils.clip_grad_norm_([torch.zeros(3)], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    mp, tp = _clip_pair()
    mp[0].grad[0, 0] = tp[0].grad[0, 0] = np.nan
    assert issubclass(GradientError, RuntimeError)  # torch raises a RuntimeError
    with pytest.raises(GradientError, match="total norm of order 2.0 .* is nan"):
        clip_grad_norm_(mp, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(tp, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(mp, 1.0)
    assert np.isnan(total.item()) and np.isnan(torch.nn.utils.clip_grad_norm_(tp, 1.0).item())


@pytest.mark.parametrize("clip_value", [0.3, 5.0])
def test_clip_grad_value_matches_torch(clip_value):
    mp, tp = _clip_pair(scale=2.0)
    assert clip_grad_value_(mp, clip_value) is None
    torch.nn.utils.clip_grad_value_(tp, clip_value)
    for p, q in zip(mp, tp, strict=True):
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad, q.grad.numpy())
            assert np.abs(p.grad).max() <= clip_value
